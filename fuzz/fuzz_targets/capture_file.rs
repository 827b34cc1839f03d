//! The capture loader (`cpyviz replay`, `--capture`) on any text: every stage of what it
//! accepts is read.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(captures) = cpyviz_engine::capture_file::from_json("fuzz.capture.json", text) {
        for c in &captures {
            let _ = c.tokens();
            let _ = c.ast();
            let _ = c.bytecode();
            let _ = c.specialized();
            let _ = c.executors();
        }
        let _ = cpyviz_engine::capture_file::to_json(&captures);
    }
});
