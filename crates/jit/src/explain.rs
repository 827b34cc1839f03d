//! The trampoline bitmask explainer: `get_trampoline_slot` of `Python/jit.c`, step by step.
//!
//! A trace reserves one slot per symbol in the union of its groups' trampoline masks, in
//! ordinal order; a symbol's slot index is the number of set bits below its own. The same rule
//! places the 3.15 trace-GOT slots (8 bytes each) by the GOT mask.

use cpyviz_model::jit::{SlotSteps, SymbolMask};

/// Every step of finding `ordinal`'s slot in `mask`, for slots of `slot_size` bytes from `mem`.
/// An ordinal whose bit is not set gets `present: false` (jit.c asserts there; the index is
/// still computed, as the place the slot would have).
pub fn slot_steps(mask: &SymbolMask, ordinal: u32, mem: u64, slot_size: usize) -> SlotSteps {
    let word = (ordinal / 32) as usize;
    let bit = ordinal % 32;
    let symbol_mask = 1u32 << bit;
    let mask_word = mask.0.get(word).copied().unwrap_or(0);
    let below = mask_word & (symbol_mask - 1);
    let below_count = below.count_ones();
    let earlier_counts: Vec<u32> = mask.0.iter().take(word).map(|w| w.count_ones()).collect();
    let index = below_count as usize + earlier_counts.iter().map(|&c| c as usize).sum::<usize>();
    SlotSteps {
        mask: *mask,
        ordinal,
        word,
        bit,
        symbol_mask,
        mask_word,
        present: mask_word & symbol_mask != 0,
        below,
        below_count,
        earlier_counts,
        index,
        address: mem.wrapping_add((index * slot_size) as u64),
        mem,
        slot_size,
    }
}

/// Whether a branch at `from` reaches `to` with a `bits`-bit signed reach: `to - from` in
/// `[-2^bits, 2^bits)` (`bits` is [`JitFacts::branch_range_bits`]: 31 on x86-64, 27 on
/// AArch64). For x86-64 pass the end of the 4-byte displacement as `from`: jit.c's
/// `patch_x86_64_trampoline` tests `value - 4 - location`.
///
/// [`JitFacts::branch_range_bits`]: cpyviz_model::jit::JitFacts::branch_range_bits
pub fn in_range(arch_bits: u32, from: u64, to: u64) -> bool {
    let d = i128::from(to) - i128::from(from);
    let lim = 1i128 << arch_bits.min(64);
    d >= -lim && d < lim
}

/// The steps as text, one line each.
pub fn steps_text(s: &SlotSteps) -> Vec<String> {
    let mut out = vec![
        format!("ordinal = {}", s.ordinal),
        format!("ordinal / 32 = {}", s.word),
        format!("ordinal % 32 = {}", s.bit),
        format!("symbol_mask = 1 << {} = {:#010x}", s.bit, s.symbol_mask),
        format!("mask[{}] = {:#010x}", s.word, s.mask_word),
    ];
    if !s.present {
        out.push(format!(
            "mask[{}] & symbol_mask = 0: ordinal {} is not in the mask, it has no slot \
             (jit.c asserts this never happens)",
            s.word, s.ordinal
        ));
    }
    out.push(format!(
        "mask[{}] & (symbol_mask - 1) = {:#010x} & {:#010x} = {:#010x} → popcount {}",
        s.word,
        s.mask_word,
        s.symbol_mask.wrapping_sub(1),
        s.below,
        s.below_count
    ));
    for (i, c) in s.earlier_counts.iter().enumerate() {
        out.push(format!("popcount(mask[{i}]) = {c}"));
    }
    let mut terms = vec![s.below_count.to_string()];
    terms.extend(s.earlier_counts.iter().map(u32::to_string));
    if s.earlier_counts.is_empty() {
        out.push(format!(
            "index = {} (no earlier mask words to count)",
            s.index
        ));
    } else {
        out.push(format!("index = {} = {}", terms.join(" + "), s.index));
    }
    out.push(format!(
        "slot = mem + {} * {} = {:#x} + {:#x} = {:#x}",
        s.index,
        s.slot_size,
        s.mem,
        s.index * s.slot_size,
        s.address
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask_of(ords: &[u32]) -> SymbolMask {
        let mut m = SymbolMask::default();
        for &o in ords {
            m.insert(o);
        }
        m
    }

    #[test]
    fn worked_example() {
        let m = mask_of(&[3, 7, 15, 37, 42]);
        let s = slot_steps(&m, 37, 0x1000, 16);
        assert_eq!((s.word, s.bit, s.symbol_mask), (1, 5, 0x20));
        assert!(s.present);
        assert_eq!(s.mask_word, (1 << 5) | (1 << 10));
        assert_eq!((s.below, s.below_count), (0, 0));
        assert_eq!(s.earlier_counts, vec![3]);
        assert_eq!(s.index, 3);
        assert_eq!(s.address, 0x1030);
        let text = steps_text(&s);
        for line in [
            "ordinal / 32 = 1",
            "ordinal % 32 = 5",
            "symbol_mask = 1 << 5 = 0x00000020",
            "popcount(mask[0]) = 3",
            "index = 0 + 3 = 3",
            "slot = mem + 3 * 16 = 0x1000 + 0x30 = 0x1030",
        ] {
            assert!(
                text.iter().any(|l| l == line),
                "missing {line:?} in {text:#?}"
            );
        }
        assert!(
            text.iter()
                .any(|l| l.starts_with("mask[1] & (symbol_mask - 1) =")
                    && l.ends_with("→ popcount 0"))
        );
        // 42 is after 37 in the same word; 15 is in word 0.
        assert_eq!(slot_steps(&m, 42, 0, 16).index, 4);
        assert_eq!(slot_steps(&m, 15, 0, 16).index, 2);
        assert_eq!(slot_steps(&m, 3, 0, 16).index, 0);
    }

    #[test]
    fn absent_ordinal_says_so() {
        let m = mask_of(&[1, 2]);
        let s = slot_steps(&m, 5, 0, 16);
        assert!(!s.present);
        assert_eq!(s.index, 2);
        assert!(steps_text(&s).iter().any(|l| l.contains("not in the mask")));
        // Past the mask's 128 bits: no panic, not present.
        let s = slot_steps(&m, 200, 0, 16);
        assert!(!s.present);
        assert_eq!(s.index, 2);
    }

    /// xorshift64: deterministic, no dependency.
    struct XorShift(u64);
    impl XorShift {
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }
    }

    #[test]
    fn random_masks_match_a_naive_count() {
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let mut checked = 0;
        for _ in 0..1500 {
            // Sparse and dense masks alike.
            let density = rng.next() % 4;
            let mut words = [0u32; 4];
            for w in &mut words {
                let mut v = rng.next() as u32;
                for _ in 0..density {
                    v &= rng.next() as u32;
                }
                *w = v;
            }
            let m = SymbolMask(words);
            let set: Vec<u32> = (0..128).filter(|&o| m.contains(o)).collect();
            if set.is_empty() {
                continue;
            }
            let ord = set[(rng.next() % set.len() as u64) as usize];
            let naive = (0..128u32).filter(|&o| o < ord && m.contains(o)).count();
            let s = slot_steps(&m, ord, 0x4000, 16);
            assert!(s.present);
            assert_eq!(s.index, naive, "mask {words:08x?} ordinal {ord}");
            assert_eq!(s.address, 0x4000 + 16 * naive as u64);
            checked += 1;
        }
        assert!(checked >= 1000, "only {checked} masks checked");
    }

    #[test]
    fn in_range_ends() {
        let from = 0x10_0000_0000u64;
        assert!(in_range(27, from, from + (1 << 27) - 4));
        assert!(!in_range(27, from, from + (1 << 27)));
        assert!(in_range(27, from, from - (1 << 27)));
        assert!(!in_range(27, from, from - (1 << 27) - 4));
        assert!(in_range(31, from, from + (1 << 31) - 1));
        assert!(!in_range(31, from, from + (1 << 31)));
        assert!(in_range(31, from, from - (1 << 31)));
        assert!(!in_range(31, from, from - (1 << 31) - 1));
    }
}
