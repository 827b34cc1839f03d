//! Memory models: where a modeled process puts its JIT region, the executor and the external
//! symbols the stencils call and load. They decide which calls reach directly, which go
//! through trampolines, and which GOT loads relax.
//!
//! Every preset is a model (`recorded: false`, and its name says so). Symbols are not listed
//! one by one: each lies at `default_symbols + 0x40 * ordinal` (see
//! [`MemoryModel::symbol_address`]), so addresses are deterministic and distinct.

use cpyviz_model::jit::{MemoryModel, Target};
use cpyviz_model::version::PyVersion;
use std::collections::BTreeMap;

/// The presets' keys, in the order [`presets`] returns them (`low` only where a binary can be
/// loaded below 4 GiB: not on macOS).
pub const PRESET_KEYS: [&str; 3] = ["near", "far", "low"];

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

/// The page size of a target (16 KiB on Apple silicon, 4 KiB elsewhere).
pub fn page_size(target: Target) -> u64 {
    match target {
        Target::Aarch64Darwin => 16384,
        _ => 4096,
    }
}

/// Where a position-independent interpreter's text and data typically lie.
fn image_base(target: Target) -> u64 {
    match target {
        Target::X86_64Linux => 0x5555_5570_0000,
        Target::Aarch64Linux => 0xAAAA_AAB0_0000,
        Target::X86_64Darwin | Target::Aarch64Darwin => 0x1_0050_0000,
    }
}

fn model(
    key: &str,
    what: String,
    version: PyVersion,
    target: Target,
    symbols: u64,
    region: u64,
    executor: u64,
) -> MemoryModel {
    let page = page_size(target);
    MemoryModel {
        name: format!("model \"{key}\" ({} {target}): {what}", version.label()),
        region: region & !(page - 1),
        page_size: page,
        executor,
        symbols: BTreeMap::new(),
        default_symbols: symbols,
        recorded: false,
    }
}

/// The memory-model presets for a version and target:
/// - `near`: the region 64 MiB from the interpreter's symbols, within reach of every direct
///   call and branch (AArch64's ±128 MiB included): no trampolines, x86-64 GOT loads relax to
///   `lea` / direct calls;
/// - `far`: the region 40 GiB from the symbols (a macOS debug build, or a non-PIE binary with
///   the region mapped high): calls out of reach go through trampolines on targets that have
///   them, and no GOT load relaxes;
/// - `low` (not on macOS, which maps nothing below 4 GiB): a non-PIE binary at 0x400000, the
///   symbols below 4 GiB, the region 120 MiB up: AArch64 GOT loads relax to `movz`/`movk`.
pub fn presets(version: PyVersion, target: Target) -> Vec<MemoryModel> {
    let sym = image_base(target);
    let mut out = vec![
        model(
            "near",
            "the JIT region 64 MiB from every symbol (direct calls, GOT loads relaxed)".into(),
            version,
            target,
            sym,
            sym + 64 * MIB,
            sym + 32 * MIB + 0x1a50,
        ),
        model(
            "far",
            "the JIT region 40 GiB from the symbols (out-of-range calls through trampolines, \
             no GOT relaxation)"
                .into(),
            version,
            target,
            sym,
            sym + 40 * GIB,
            sym + 32 * MIB + 0x1a50,
        ),
    ];
    if !target.is_darwin() {
        out.push(model(
            "low",
            "a non-PIE binary: symbols below 4 GiB, the region 120 MiB up (AArch64 GOT loads \
             become movz/movk)"
                .into(),
            version,
            target,
            0x50_0000,
            0x50_0000 + 120 * MIB,
            0x90_0a50,
        ));
    }
    out
}

/// The preset with this key (`near`, `far`, `low`), if the target has it.
pub fn preset(version: PyVersion, target: Target, key: &str) -> Option<MemoryModel> {
    let tag = format!("model \"{key}\" ");
    presets(version, target)
        .into_iter()
        .find(|m| m.name.starts_with(&tag))
}

/// `base` with the region moved to `region` (rounded down to a page). A recorded model moved
/// is a model.
pub fn with_region(base: &MemoryModel, region: u64) -> MemoryModel {
    let page = if base.page_size.is_power_of_two() {
        base.page_size
    } else {
        4096
    };
    let region = region & !(page - 1);
    let name = if base.recorded {
        format!("model: {} with the region moved to {region:#x}", base.name)
    } else {
        format!("{} — region moved to {region:#x}", base.name)
    };
    MemoryModel {
        name,
        region,
        page_size: page,
        recorded: false,
        ..base.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explain::in_range;

    #[test]
    fn presets_are_labeled_models_with_the_right_pages() {
        for v in PyVersion::ALL {
            for t in Target::ALL {
                let ps = presets(v, t);
                assert!(ps.len() >= 2);
                for m in &ps {
                    assert!(m.name.starts_with("model"), "{}", m.name);
                    assert!(!m.recorded);
                    assert_eq!(
                        m.page_size,
                        if t == Target::Aarch64Darwin {
                            16384
                        } else {
                            4096
                        }
                    );
                    assert_eq!(m.region % m.page_size, 0);
                }
                assert!(preset(v, t, "near").is_some());
                assert!(preset(v, t, "far").is_some());
                assert_eq!(preset(v, t, "low").is_some(), !t.is_darwin());
                assert!(preset(v, t, "nowhere").is_none());
            }
        }
    }

    #[test]
    fn near_reaches_and_far_does_not() {
        let t = Target::Aarch64Linux;
        let near = preset(PyVersion::V3_15, t, "near").unwrap();
        let far = preset(PyVersion::V3_15, t, "far").unwrap();
        for ord in [0u32, 10, 127] {
            let a = near.symbol_address("_PyLong_Add", Some(ord));
            assert!(in_range(27, near.region + 0x4000, a));
            let b = far.symbol_address("_PyLong_Add", Some(ord));
            assert!(!in_range(31, far.region, b));
            let dist = far.region.abs_diff(b);
            assert!((39 * GIB..41 * GIB).contains(&dist));
        }
        let low = preset(PyVersion::V3_14, t, "low").unwrap();
        assert!(low.symbol_address("PyLong_Type", Some(50)) < 1 << 32);
        assert!(in_range(
            27,
            low.region + 0x1000,
            low.symbol_address("x", Some(3))
        ));
        // Distinct, deterministic.
        assert_ne!(
            near.symbol_address("a", Some(1)),
            near.symbol_address("b", Some(2))
        );
        assert_eq!(
            near.symbol_address("a", Some(1)),
            near.symbol_address("a", Some(1))
        );
    }

    #[test]
    fn with_region_moves_and_rounds() {
        let base = preset(PyVersion::V3_15, Target::Aarch64Darwin, "near").unwrap();
        let m = with_region(&base, 0x2_0000_1234);
        assert_eq!(m.region, 0x2_0000_0000);
        assert_eq!(m.default_symbols, base.default_symbols);
        assert!(m.name.contains("0x200000000"));
        let mut rec = base.clone();
        rec.recorded = true;
        let m = with_region(&rec, 0x1000_0000);
        assert!(!m.recorded);
        assert!(m.name.starts_with("model"));
    }
}
