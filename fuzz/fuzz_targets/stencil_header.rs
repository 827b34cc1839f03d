//! The stencil header reader (`cpyviz stencils import`) on any text, under each target's
//! file name.
#![no_main]
use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 4] = [
    "jit_stencils-x86_64-unknown-linux-gnu.h",
    "jit_stencils-aarch64-unknown-linux-gnu.h",
    "jit_stencils-x86_64-apple-darwin.h",
    "jit_stencils-aarch64-apple-darwin.h",
];

fuzz_target!(|data: &[u8]| {
    let Some((b, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let name = NAMES[usize::from(*b) % NAMES.len()];
    if let Ok(set) = cpyviz_jit::header::parse(text, name) {
        // What was read writes back out.
        let _ = cpyviz_jit::header::write(&set);
    }
});
