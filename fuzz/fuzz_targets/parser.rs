//! The parser on any bytes: decode, parse (with its warnings), `python -m ast`'s dump; errors
//! rendered as CPython's traceback tail.
#![no_main]
use libfuzzer_sys::fuzz_target;
include!("common.rs");

fuzz_target!(|data: &[u8]| {
    let (version, bytes) = split(data);
    match cpyviz_model::source::Source::decode("<fuzz>", bytes) {
        Ok(src) => match cpyviz_syntax::ast::parse_with_warnings(&src, version).0 {
            Ok(tree) => drop(cpyviz_syntax::ast::dump(&tree, version)),
            Err(e) => drop(e.render()),
        },
        Err(e) => drop(cpyviz_syntax::ast::render_decode_error("<fuzz>", &e)),
    }
});
