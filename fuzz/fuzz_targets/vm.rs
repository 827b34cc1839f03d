//! The built-in VM on whatever the compiler accepts, with small limits (steps, depth, memory):
//! the specialized stage, its output and its traceback.
#![no_main]
use cpyviz_model::execution::{Limits, RunOptions};
use libfuzzer_sys::fuzz_target;
include!("common.rs");

fuzz_target!(|data: &[u8]| {
    let (version, bytes) = split(data);
    let Ok(src) = cpyviz_model::source::Source::decode("<fuzz>", bytes) else {
        return;
    };
    let run = RunOptions {
        jit: data.first().is_some_and(|b| b & 2 != 0),
        limits: Limits {
            max_steps: 20_000,
            max_depth: 40,
            max_memory: 8 << 20,
        },
    };
    let capture = cpyviz_engine::builtin::capture_with(src, version, &run);
    let _ = capture.specialized();
    let _ = capture.executors();
});
