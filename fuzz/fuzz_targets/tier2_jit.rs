//! Tier 2 and the JIT model on whatever the front end accepts: the built-in capture's
//! executors (the JIT on, enough steps for a loop to get hot), then the machine-code stages
//! with the default options.
#![no_main]
use cpyviz_model::execution::{Limits, RunOptions};
use cpyviz_model::jit::JitOptions;
use libfuzzer_sys::fuzz_target;
include!("common.rs");

fuzz_target!(|data: &[u8]| {
    let (version, bytes) = split(data);
    let Ok(src) = cpyviz_model::source::Source::decode("<fuzz>", bytes) else {
        return;
    };
    let run = RunOptions {
        jit: true,
        limits: Limits {
            max_steps: 100_000,
            max_depth: 40,
            max_memory: 8 << 20,
        },
    };
    let capture = cpyviz_engine::builtin::capture_with(src, version, &run);
    if let Some(Ok(_)) = capture.executors() {
        let _ = capture.jit(&JitOptions::default());
    }
});
