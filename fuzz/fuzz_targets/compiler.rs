//! The compiler on whatever the parser accepts: code objects and their `dis` listing.
#![no_main]
use libfuzzer_sys::fuzz_target;
include!("common.rs");

fuzz_target!(|data: &[u8]| {
    let (version, bytes) = split(data);
    let Ok(src) = cpyviz_model::source::Source::decode("<fuzz>", bytes) else {
        return;
    };
    let Ok(tree) = cpyviz_syntax::ast::parse(&src, version) else {
        return;
    };
    match cpyviz_compiler::compile_with_warnings(&tree, &src, version).0 {
        Ok(code) => drop(cpyviz_model::dis::dis(&code, version.profile().version_info)),
        Err(e) => drop(e.render()),
    }
});
