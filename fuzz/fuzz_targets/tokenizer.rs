//! The tokenizer on any bytes: `Source::decode` (compile()'s rules), `decode_for_tokenize`
//! (the tokenize module's), then `tokenize` and its dump.
#![no_main]
use libfuzzer_sys::fuzz_target;
include!("common.rs");

fuzz_target!(|data: &[u8]| {
    let (version, bytes) = split(data);
    if let Ok(src) = cpyviz_syntax::tokens::decode_for_tokenize("<fuzz>", bytes, version) {
        match cpyviz_syntax::tokens::tokenize(&src, version) {
            Ok(tokens) => drop(cpyviz_syntax::tokens::dump(&tokens, version)),
            Err(e) => drop(cpyviz_syntax::tokens::render_error(&e)),
        }
    }
    if let Ok(src) = cpyviz_model::source::Source::decode("<fuzz>", bytes) {
        let _ = cpyviz_syntax::tokens::tokenize(&src, version);
    }
});
