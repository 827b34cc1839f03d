//! The lesson loader (`cpyviz lesson`) on any text.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(lesson) = cpyviz_model::lesson::Lesson::parse(text) {
        let _ = lesson.sources();
    }
});
