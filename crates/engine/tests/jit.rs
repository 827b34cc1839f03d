//! The JIT stages on the committed captures (recorded from the reference CPythons 3.14 and
//! 3.15 with the JIT on, x86-64 Linux): the model's predictions checked against the real
//! regions, and the byte-for-byte path checked with headers generated from built-in stencils.

use cpyviz_engine::capture_file;
use cpyviz_model::capture::Capture;
use cpyviz_model::jit::{JitOptions, MemoryChoice, StencilChoice, Target};
use cpyviz_model::uops::Executor;
use std::path::Path;

fn capture(name: &str) -> Capture {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/captures")
        .join(name);
    capture_file::read(&path).unwrap().remove(0)
}

fn executors(c: &Capture) -> Vec<Executor> {
    match &c.later.executors {
        Some(Ok(e)) => e.clone(),
        other => panic!("no executors: {other:?}"),
    }
}

/// Every committed capture (each sample, both versions).
fn all_captures() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/captures");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".capture.json"))
        .collect();
    names.sort();
    assert!(names.len() >= 12, "{names:?}");
    names
}

#[test]
fn the_model_predictions_hold_on_the_real_regions() {
    for name in all_captures() {
        let name = name.as_str();
        let c = capture(name);
        let view = c.jit(&JitOptions::default()).expect("a JIT view");
        assert!(view.stencils_are_model, "{name}: {}", view.stencils);
        assert!(view.stencils.contains("a model"), "{}", view.stencils);
        assert!(!view.executors.is_empty(), "{name}");
        for ex in &view.executors {
            let region = ex.region.as_ref().unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(region.memory.recorded, "{name}: {}", region.memory.name);
            let check = ex.check.as_ref().expect("a live check");
            assert!(check.findings.len() >= 3, "{name}: {:?}", check.findings);
            for f in &check.findings {
                if f.what == "operands" {
                    // A model stencil may not use an operand the way CPython's does (today:
                    // 3.15's _DYNAMIC_EXIT); the rest must be there.
                    let (found, of) = operand_counts(&f.found);
                    assert!(found * 10 >= of * 9, "{name} {}: {}", ex.qualname, f.found);
                    continue;
                }
                assert!(
                    f.agrees,
                    "{name} {}: {}: predicted {}; found {}",
                    ex.qualname, f.what, f.predicted, f.found
                );
            }
            let whats: Vec<&str> = check.findings.iter().map(|f| f.what.as_str()).collect();
            for want in ["region size", "code → data", "padding", "operands"] {
                assert!(
                    whats.contains(&want),
                    "{name}: no {want} finding in {whats:?}"
                );
            }
            if c.version.profile().jit_trace_got {
                assert!(whats.contains(&"trace GOT"), "{whats:?}");
            }
        }
    }
}

/// `N of M found: …` → (N, M).
fn operand_counts(found: &str) -> (usize, usize) {
    let mut words = found.split_whitespace();
    let n = words.next().and_then(|w| w.parse().ok()).unwrap();
    let m = words
        .nth(1)
        .and_then(|w| w.trim_end_matches(':').parse().ok())
        .unwrap();
    (n, m)
}

/// A region made from the built-in stencils stands in for a live one; the same stencils written
/// as a `jit_stencils-<triple>.h`, read back and compiled again must reproduce it byte for byte.
#[test]
fn imported_stencils_reproduce_a_region_byte_for_byte() {
    let dir = std::env::temp_dir().join(format!("cpyviz-jit-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for name in ["abs-3.14.capture.json", "abs-3.15.capture.json"] {
        let c = capture(name);
        let builtin = cpyviz_jit::builtin::stencils(c.version, Target::X86_64Linux);
        let header = dir
            .join(c.version.label())
            .join("jit_stencils-x86_64-unknown-linux-gnu.h");
        std::fs::create_dir_all(header.parent().unwrap()).unwrap();
        std::fs::write(&header, cpyviz_jit::header::write(builtin)).unwrap();
        let model = c.jit(&JitOptions::default()).unwrap();
        let imported = c
            .jit(&JitOptions {
                stencils: StencilChoice::Path(header.display().to_string()),
                memory: MemoryChoice::Recorded,
                target: None,
            })
            .unwrap();
        assert!(!imported.stencils_are_model, "{}", imported.stencils);
        assert!(imported.note.is_none(), "{:?}", imported.note);
        for (m, i) in model.executors.iter().zip(&imported.executors) {
            let m = m.region.as_ref().unwrap();
            let ir = i.region.as_ref().unwrap();
            assert_eq!(m.bytes, ir.bytes, "{name}");
            // Check the imported model against the built-in one as if it were the live region.
            let fake = Executor {
                jit_code: Some(m.bytes.clone()),
                jit_address: Some(m.base),
                ..executors(&c)[0].clone()
            };
            let check = cpyviz_jit::check::check(&fake, ir, Some(m.layout.page_size), true);
            let (same, total) = check.byte_match.unwrap();
            assert_eq!(same, total, "{name}");
            assert!(check.per_uop.iter().all(|(_, a, b)| a == b));
            assert_eq!(check.per_uop.len(), ir.uops.len());
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_builtin_engine_says_when_no_loop_got_hot() {
    let src = cpyviz_model::source::Source::from_text("t.py", "x = 1\n");
    let c = cpyviz_engine::builtin::capture(src, cpyviz_model::version::PyVersion::V3_15);
    let view = c.jit(&JitOptions::default()).unwrap();
    assert!(view.executors.is_empty());
    let note = view.note.as_deref().unwrap();
    assert!(
        note.contains("no loop in the snippet ran hot enough"),
        "{note}"
    );
}

#[test]
fn the_builtin_engine_compiles_its_own_traces() {
    let text = std::fs::read_to_string("../../samples/abs.py").unwrap();
    let src = cpyviz_model::source::Source::from_text("samples/abs.py", &text);
    let c = cpyviz_engine::builtin::capture(src, cpyviz_model::version::PyVersion::V3_14);
    let view = c.jit(&JitOptions::default()).unwrap();
    assert_eq!(view.executors.len(), 1, "{:?}", view.note);
    let ex = &view.executors[0];
    assert_eq!((ex.qualname.as_str(), ex.offset), ("<module>", 72));
    assert!(
        ex.trace_source.starts_with("the built-in tier 2's"),
        "{}",
        ex.trace_source
    );
    let region = ex
        .region
        .as_ref()
        .expect("the trace compiles with the built-in stencils");
    assert_eq!(
        region.uops.len(),
        77,
        "one placed stencil group per uop of the trace"
    );
}

#[test]
fn the_far_memory_model_needs_trampolines_on_aarch64() {
    let c = capture("abs-3.15.capture.json");
    let view = c
        .jit(&JitOptions {
            stencils: StencilChoice::Builtin,
            memory: MemoryChoice::Preset("far".into()),
            target: Some(Target::Aarch64Darwin),
        })
        .unwrap();
    let r = view.executors[0].region.as_ref().unwrap();
    assert!(!r.trampolines.is_empty());
    assert!(r.trampolines.iter().any(|t| t.used));
    assert_eq!(
        view.executors[0].slot_steps.len(),
        r.trampoline_mask.count() as usize
    );
    let near = c
        .jit(&JitOptions {
            stencils: StencilChoice::Builtin,
            memory: MemoryChoice::Preset("near".into()),
            target: Some(Target::Aarch64Darwin),
        })
        .unwrap();
    let r = near.executors[0].region.as_ref().unwrap();
    assert!(
        r.trampolines.iter().all(|t| !t.used),
        "near: every call in range"
    );
    assert_eq!(near.example.index, 3);
    assert_eq!(near.example.ordinal, 37);
}

/// A region recorded on an AArch64 machine is disassembled with the AArch64 decoder: a model
/// region compiled for aarch64-unknown-linux-gnu stands in for one.
#[test]
fn an_aarch64_region_is_listed_with_its_data_and_symbols() {
    let c = capture("abs-3.15.capture.json");
    let view = c
        .jit(&JitOptions {
            stencils: StencilChoice::Builtin,
            memory: MemoryChoice::Preset("far".into()),
            target: Some(Target::Aarch64Linux),
        })
        .unwrap();
    let r = view.executors[1].region.as_ref().unwrap();
    let symbols = r
        .symbols
        .iter()
        .enumerate()
        .map(|(o, name)| cpyviz_model::uops::JitSymbol {
            address: r.memory.symbol_address(name, Some(o as u32)),
            kind: "symbol".into(),
            name: name.clone(),
        })
        .collect();
    let ex = Executor {
        jit_code: Some(r.bytes.clone()),
        jit_address: Some(r.base),
        jit_symbols: symbols,
        ..executors(&c)[1].clone()
    };
    let listing = cpyviz_engine::machine::annotate_for(&ex, cpyviz_model::jit::Arch::Aarch64);
    let ds = listing.data_start.expect("the data is found");
    assert!(
        ds >= r.layout.data.start && ds < r.layout.got.end,
        "{ds:#x} {:?}",
        r.layout
    );
    let code: Vec<_> = listing
        .lines
        .iter()
        .filter(|l| l.section == cpyviz_model::uops::Section::Code)
        .collect();
    assert!(code.iter().any(|l| l.text.starts_with("bl ")), "no bl");
    assert!(
        !code
            .iter()
            .any(|l| l.text.starts_with(".word") && l.hex != "00000000"),
        "undecoded code"
    );
    assert!(!r.got.is_empty());
    for g in &r.got {
        assert!(
            listing
                .lines
                .iter()
                .any(|l| l.section == cpyviz_model::uops::Section::Data
                    && l.note.contains(&format!("→ {}", g.symbol))),
            "GOT slot of {} is not named",
            g.symbol
        );
    }
    for t in r.trampolines.iter().filter(|t| t.used) {
        assert!(
            listing
                .lines
                .iter()
                .any(|l| l.note == format!("trampoline → {}", t.symbol)),
            "trampoline of {} is not named",
            t.symbol
        );
    }
}

/// Every built-in set (both versions, the four targets), written as a header and read back,
/// compiles the recorded traces to the same bytes, near and far.
#[test]
fn every_builtin_set_survives_the_header_format() {
    let dir = std::env::temp_dir().join(format!("cpyviz-jit-all-{}", std::process::id()));
    for name in ["abs-3.14.capture.json", "abs-3.15.capture.json"] {
        let c = capture(name);
        for target in Target::ALL {
            let header = dir
                .join(c.version.label())
                .join(format!("jit_stencils-{}.h", target.triple()));
            std::fs::create_dir_all(header.parent().unwrap()).unwrap();
            let set = cpyviz_jit::builtin::stencils(c.version, target);
            std::fs::write(&header, cpyviz_jit::header::write(set)).unwrap();
            for memory in ["near", "far"] {
                let opts = |stencils| JitOptions {
                    stencils,
                    memory: MemoryChoice::Preset(memory.into()),
                    target: Some(target),
                };
                let model = c.jit(&opts(StencilChoice::Builtin)).unwrap();
                let imported = c
                    .jit(&opts(StencilChoice::Path(header.display().to_string())))
                    .unwrap();
                assert!(imported.note.is_none(), "{target}: {:?}", imported.note);
                for (m, i) in model.executors.iter().zip(&imported.executors) {
                    let (m, i) = (m.region.as_ref().unwrap(), i.region.as_ref().unwrap());
                    assert_eq!(m.bytes, i.bytes, "{name} {target} {memory}");
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Whatever bytes a capture claims a region holds (a damaged or hand-edited capture), listing
/// them and checking the model against them never panics, on either instruction set.
#[test]
fn any_recorded_bytes_are_listed_and_checked_without_panicking() {
    let c = capture("abs-3.15.capture.json");
    let view = c.jit(&JitOptions::default()).unwrap();
    let model = view.executors[1].region.as_ref().unwrap();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for round in 0..300 {
        let len = match round % 4 {
            0 => 0,
            1 => (next() % 64) as usize,
            2 => 4096,
            _ => (next() % 9000) as usize,
        };
        let mut bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        if round % 3 == 0 {
            // Mostly zeros, with pointers into the region here and there.
            for b in bytes.iter_mut() {
                *b = 0;
            }
            for _ in 0..8 {
                if len >= 16 {
                    let at = (next() as usize) % (len - 8);
                    let v = model.base + next() % (len as u64 + 64);
                    bytes[at..at + 8].copy_from_slice(&v.to_le_bytes());
                }
            }
        }
        let ex = Executor {
            jit_code: Some(bytes),
            jit_address: (round % 5 != 0).then_some(model.base),
            ..executors(&c)[1].clone()
        };
        for arch in [
            cpyviz_model::jit::Arch::X86_64,
            cpyviz_model::jit::Arch::Aarch64,
        ] {
            let _ = cpyviz_engine::machine::annotate_for(&ex, arch);
            let _ = cpyviz_jit::check::real_layout(&ex, arch);
        }
        let _ = cpyviz_jit::check::check(&ex, model, Some(4096), round % 2 == 0);
        let _ = cpyviz_jit::check::check(&ex, model, Some(0), true);
    }
}
