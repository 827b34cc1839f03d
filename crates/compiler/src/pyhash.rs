//! Python's `hash()` of constant values and the iteration order of the `frozenset`s the compiler
//! folds, as CPython computes them when run with `PYTHONHASHSEED=0` (the reference CPythons'
//! setting): string and bytes hashes are SipHash-1-3 with an all-zero key, so they are fixed.
//!
//! ```text
//! hash:   int/bool  value mod 2**61-1, sign kept          float  the same modulus on its bits
//!         complex   hash(re) + 1000003 * hash(im)         None   0xFCA86420
//!         str       SipHash-1-3 of the code units (1, 2 or 4 bytes each, by the widest char)
//!         bytes     SipHash-1-3 of the bytes              tuple  xxHash-style lanes
//!         frozenset CPython's shuffle-and-xor of its entries' hashes
//! order:  a set table of 8 slots; slot = hash & mask, 9 linear probes, then perturbed probing
//!         (i*5 + 1 + perturb, perturb >>= 5); grows to the next power of two above 4 × used
//!         once 5 × fill ≥ 3 × mask, reinserting in table order
//! ```
//! (`-1` is never a hash: it becomes `-2`.) A value whose hash CPython derives from its address
//! (`Ellipsis`, a NaN, a code object) has no fixed hash: [`hash`] returns `None` for it.

use crate::ir::ConstValue;
use num_bigint::{BigInt, Sign};
use num_traits::{ToPrimitive, Zero};
use std::hash::Hasher;

/// `sys.hash_info.modulus`: the Mersenne prime 2**61 - 1.
const MODULUS: u64 = (1 << 61) - 1;
const HASH_BITS: u32 = 61;
const HASH_INF: i64 = 314_159;
const HASH_IMAG: u64 = 1_000_003;
/// `hash(None)` (a constant since CPython 3.12).
const HASH_NONE: i64 = 0xFCA8_6420;

fn fix(h: i64) -> i64 {
    if h == -1 {
        -2
    } else {
        h
    }
}

/// SipHash-1-3 with the all-zero key of `PYTHONHASHSEED=0`; the empty input hashes to 0.
fn hash_bytes(data: &[u8]) -> i64 {
    if data.is_empty() {
        return 0;
    }
    let mut h = siphasher::sip::SipHasher13::new_with_keys(0, 0);
    h.write(data);
    fix(h.finish() as i64)
}

/// `str.__hash__`: over the string's storage, one, two or four little-endian bytes per code
/// point depending on its widest code point (PEP 393).
pub fn hash_str_code_points(cps: &[u32]) -> i64 {
    let max = cps.iter().copied().max().unwrap_or(0);
    let width = if max < 0x100 {
        1
    } else if max < 0x10000 {
        2
    } else {
        4
    };
    let mut data = Vec::with_capacity(cps.len() * width);
    for &c in cps {
        data.extend_from_slice(&c.to_le_bytes()[..width]);
    }
    hash_bytes(&data)
}

/// `int.__hash__`: the value modulo 2**61 - 1, with its sign.
pub fn hash_int(i: &BigInt) -> i64 {
    let m = BigInt::from(MODULUS);
    let r = (i.magnitude() % m.magnitude()).to_u64().unwrap_or(0) as i64;
    fix(if i.sign() == Sign::Minus { -r } else { r })
}

/// `float.__hash__` (`_Py_HashDouble`); `None` for a NaN (CPython hashes its address).
pub fn hash_float(v: f64) -> Option<i64> {
    if v.is_nan() {
        return None;
    }
    if v.is_infinite() {
        return Some(if v > 0.0 { HASH_INF } else { -HASH_INF });
    }
    let (mut m, mut e) = frexp(v);
    let mut sign = 1i64;
    if m < 0.0 {
        sign = -1;
        m = -m;
    }
    let mut x: u64 = 0;
    while m != 0.0 {
        x = ((x << 28) & MODULUS) | (x >> (HASH_BITS - 28));
        m *= 268_435_456.0; // 2**28
        e -= 28;
        let y = m as u64;
        m -= y as f64;
        x += y;
        if x >= MODULUS {
            x -= MODULUS;
        }
    }
    let e = if e >= 0 {
        e % HASH_BITS as i32
    } else {
        HASH_BITS as i32 - 1 - ((-1 - e) % HASH_BITS as i32)
    } as u32;
    x = ((x << e) & MODULUS) | (x >> (HASH_BITS - e));
    Some(fix((x as i64).wrapping_mul(sign)))
}

/// C's `frexp`: `v = m * 2**e` with `0.5 <= |m| < 1` (`m = 0` for zero).
fn frexp(v: f64) -> (f64, i32) {
    if v == 0.0 {
        return (v, 0);
    }
    let bits = v.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    if exp == 0 {
        // Subnormal: scale into the normal range first.
        let (m, e) = frexp(v * f64::from_bits(0x4350_0000_0000_0000)); // 2**54
        return (m, e - 54);
    }
    let m = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (m, exp - 1022)
}

fn hash_complex(re: f64, im: f64) -> Option<i64> {
    let r = hash_float(re)? as u64;
    let i = hash_float(im)? as u64;
    Some(fix(r.wrapping_add(HASH_IMAG.wrapping_mul(i)) as i64))
}

/// `tuple.__hash__` (the xxHash-based lanes of CPython 3.8+).
fn hash_tuple(items: &[ConstValue]) -> Option<i64> {
    const P1: u64 = 11_400_714_785_074_694_791;
    const P2: u64 = 14_029_467_366_897_019_727;
    const P5: u64 = 2_870_177_450_012_600_261;
    let mut acc = P5;
    for it in items {
        let lane = hash(it)? as u64;
        acc = acc.wrapping_add(lane.wrapping_mul(P2));
        acc = acc.rotate_left(31);
        acc = acc.wrapping_mul(P1);
    }
    acc = acc.wrapping_add((items.len() as u64) ^ (P5 ^ 3_527_539));
    Some(if acc == u64::MAX {
        1_546_275_796
    } else {
        acc as i64
    })
}

/// `frozenset.__hash__` of a set whose entries (in table order) are `items`.
fn hash_frozenset(items: &[ConstValue]) -> Option<i64> {
    fn shuffle(h: u64) -> u64 {
        ((h ^ 89_869_747) ^ (h << 16)).wrapping_mul(3_644_798_167)
    }
    let mut h: u64 = 0;
    for it in items {
        h ^= shuffle(hash(it)? as u64);
    }
    // A frozenset built by the compiler has no deleted slots: fill == used.
    h ^= (items.len() as u64 + 1).wrapping_mul(1_927_868_237);
    h ^= (h >> 11) ^ (h >> 25);
    h = h.wrapping_mul(69_069).wrapping_add(907_133_923);
    Some(if h == u64::MAX { 590_923_713 } else { h as i64 })
}

/// `hash(value)` as CPython computes it with `PYTHONHASHSEED=0`, or `None` when CPython's hash
/// of it depends on an address.
pub fn hash(value: &ConstValue) -> Option<i64> {
    Some(match value {
        ConstValue::None => HASH_NONE,
        ConstValue::Bool(b) => *b as i64,
        ConstValue::Int(i) => hash_int(i),
        ConstValue::Float(f) => hash_float(*f)?,
        ConstValue::Complex { re, im } => hash_complex(*re, *im)?,
        ConstValue::Str(s) => hash_str_code_points(&s.code_points()),
        ConstValue::Bytes(b) => hash_bytes(b),
        ConstValue::Tuple(items) => hash_tuple(items)?,
        ConstValue::FrozenSet(items) => hash_frozenset(items)?,
        ConstValue::Ellipsis | ConstValue::Slice(_) | ConstValue::Code(_) => return None,
    })
}

/// A number as Python compares numbers: exactly, across int, bool, float and complex.
enum Num<'a> {
    Int(std::borrow::Cow<'a, BigInt>),
    Float(f64),
    Complex(f64, f64),
}

fn num(v: &ConstValue) -> Option<Num<'_>> {
    match v {
        ConstValue::Bool(b) => Some(Num::Int(std::borrow::Cow::Owned(BigInt::from(*b as u8)))),
        ConstValue::Int(i) => Some(Num::Int(std::borrow::Cow::Borrowed(i))),
        ConstValue::Float(f) => Some(Num::Float(*f)),
        ConstValue::Complex { re, im } => Some(Num::Complex(*re, *im)),
        _ => None,
    }
}

/// `int == float`, exactly (no rounding of the int).
fn int_eq_float(i: &BigInt, f: f64) -> bool {
    if !f.is_finite() || f.fract() != 0.0 {
        return false;
    }
    if f == 0.0 {
        return i.is_zero();
    }
    // An integral float is m * 2**e exactly: compare as big integers.
    let bits = f.abs().to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i64;
    let mant = if exp == 0 {
        (bits & ((1 << 52) - 1)) << 1
    } else {
        (bits & ((1 << 52) - 1)) | (1 << 52)
    };
    let shift = exp - 1075;
    let mut v = BigInt::from(mant);
    if shift >= 0 {
        v <<= shift as usize;
    } else {
        v >>= (-shift) as usize;
    }
    if f < 0.0 {
        v = -v;
    }
    &v == i
}

/// `a == b` for constants, as Python decides it (the test a set uses after equal hashes).
pub fn py_eq(a: &ConstValue, b: &ConstValue) -> bool {
    if let (Some(x), Some(y)) = (num(a), num(b)) {
        return match (x, y) {
            (Num::Int(i), Num::Int(j)) => i == j,
            (Num::Int(i), Num::Float(f)) | (Num::Float(f), Num::Int(i)) => int_eq_float(&i, f),
            (Num::Int(i), Num::Complex(re, im)) | (Num::Complex(re, im), Num::Int(i)) => {
                im == 0.0 && int_eq_float(&i, re)
            }
            (Num::Float(f), Num::Float(g)) => f == g,
            (Num::Float(f), Num::Complex(re, im)) | (Num::Complex(re, im), Num::Float(f)) => {
                im == 0.0 && f == re
            }
            (Num::Complex(a, b), Num::Complex(c, d)) => a == c && b == d,
        };
    }
    match (a, b) {
        (ConstValue::None, ConstValue::None) => true,
        (ConstValue::Str(x), ConstValue::Str(y)) => x == y,
        (ConstValue::Bytes(x), ConstValue::Bytes(y)) => x == y,
        (ConstValue::Tuple(x), ConstValue::Tuple(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| py_eq(p, q))
        }
        (ConstValue::FrozenSet(x), ConstValue::FrozenSet(y)) => {
            x.len() == y.len() && x.iter().all(|p| y.iter().any(|q| py_eq(p, q)))
        }
        _ => false,
    }
}

/// `frozenset(items)`: its elements in the order CPython's set table iterates them (duplicates,
/// by `==`, dropped, the first kept), or `None` when an element has no fixed hash.
pub fn frozenset_order(items: Vec<ConstValue>) -> Option<Vec<ConstValue>> {
    const LINEAR_PROBES: usize = 9;
    const PERTURB_SHIFT: u32 = 5;
    const MIN_SIZE: usize = 8;
    let hashes = items.iter().map(hash).collect::<Option<Vec<i64>>>()?;
    /// Puts item `idx` in its slot; false when an equal item is there already.
    fn place(
        table: &mut [Option<usize>],
        hashes: &[i64],
        items: &[ConstValue],
        idx: usize,
        check: bool,
    ) -> bool {
        let h = hashes[idx];
        let mask = table.len() - 1;
        let mut perturb = h as u64;
        let mut i = (h as u64 as usize) & mask;
        loop {
            let probes = if i + LINEAR_PROBES <= mask {
                LINEAR_PROBES
            } else {
                0
            };
            for j in 0..=probes {
                match table[i + j] {
                    None => {
                        table[i + j] = Some(idx);
                        return true;
                    }
                    Some(e) if check && hashes[e] == h && py_eq(&items[e], &items[idx]) => {
                        return false;
                    }
                    Some(_) => {}
                }
            }
            perturb >>= PERTURB_SHIFT;
            i = (i
                .wrapping_mul(5)
                .wrapping_add(1)
                .wrapping_add(perturb as usize))
                & mask;
        }
    }
    let mut table: Vec<Option<usize>> = vec![None; MIN_SIZE];
    let mut used = 0usize;
    for idx in 0..items.len() {
        if !place(&mut table, &hashes, &items, idx, true) {
            continue;
        }
        used += 1;
        let mask = table.len() - 1;
        if used * 5 >= mask * 3 {
            let minused = if used > 50_000 { used * 2 } else { used * 4 };
            let mut size = MIN_SIZE;
            while size <= minused {
                size <<= 1;
            }
            let old = std::mem::replace(&mut table, vec![None; size]);
            for e in old.into_iter().flatten() {
                place(&mut table, &hashes, &items, e, false);
            }
        }
    }
    let mut slots: Vec<Option<ConstValue>> = items.into_iter().map(Some).collect();
    Some(
        table
            .into_iter()
            .flatten()
            .filter_map(|i| slots[i].take())
            .collect(),
    )
}

/// The order of a `frozenset` constant the compiler folds from `items`. CPython builds the set
/// from the items in source order; then, when the code object interns its constants, a set with
/// a name-like string (ASCII letters, digits, `_`; two characters or more) that equals an
/// already-interned string (`interned`) gets the interned copy and is rebuilt from its own
/// iteration order, which can move colliding items once more (`intern_constants`).
pub fn constant_frozenset_order(
    items: Vec<ConstValue>,
    interned: impl Fn(&str) -> bool,
) -> Option<Vec<ConstValue>> {
    let first = frozenset_order(items)?;
    let rebuilt = first.iter().any(|v| match v {
        ConstValue::Str(s) => s
            .as_str()
            .is_some_and(|s| s.len() >= 2 && is_name_like(s) && interned(s)),
        _ => false,
    });
    if rebuilt {
        frozenset_order(first)
    } else {
        Some(first)
    }
}

/// CPython's `all_name_chars`: only ASCII letters, digits and underscores.
fn is_name_like(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> ConstValue {
        ConstValue::Str(v.into())
    }
    fn int(v: i64) -> ConstValue {
        ConstValue::Int(BigInt::from(v))
    }

    /// Values printed by the reference CPython 3.14.10 and 3.15.2 with PYTHONHASHSEED=0.
    #[test]
    fn hashes_are_cpythons() {
        let cases: Vec<(ConstValue, i64)> = vec![
            (s("a"), 4644417185603328019),
            (s("ab"), 6148830537548944441),
            (s(""), 0),
            (s("é"), 6047309291227476195),
            (s("一"), -8198144525740604511),
            (s("\u{1F600}"), -3536540696076613844),
            (ConstValue::Bytes(b"a".to_vec()), 4644417185603328019),
            (ConstValue::Bytes(vec![]), 0),
            (
                ConstValue::Tuple(vec![int(1), int(2)]),
                -3550055125485641917,
            ),
            (ConstValue::Tuple(vec![]), 5740354900026072187),
            (ConstValue::None, 4238894112),
            (ConstValue::Float(1.5), 1152921504606846977),
            (int(-1), -2),
            (ConstValue::Int(BigInt::from(1u64 << 61)), 1),
            (ConstValue::Int(-(BigInt::from(1u64 << 61)) + 1), 0),
            (ConstValue::Float(1e300), 1224995262755759164),
            (ConstValue::Float(f64::INFINITY), 314159),
            (ConstValue::Complex { re: 1.0, im: 2.0 }, 2000007),
            (ConstValue::Bool(true), 1),
            (
                ConstValue::FrozenSet(vec![int(1), int(2)]),
                -1826646154956904602,
            ),
            (ConstValue::FrozenSet(vec![]), 133146708735736),
        ];
        for (v, want) in cases {
            assert_eq!(hash(&v), Some(want), "{v:?}");
        }
        assert_eq!(hash(&ConstValue::Float(f64::NAN)), None);
        assert_eq!(hash(&ConstValue::Ellipsis), None);
    }

    #[test]
    fn floats_equal_to_ints_hash_alike() {
        for v in [0.0, 1.0, -7.0, 1e18, 2f64.powi(70), -2f64.powi(100)] {
            let i = BigInt::from(v as i128);
            if v.abs() < 1e30 {
                assert_eq!(hash_float(v), Some(hash_int(&i)), "{v}");
            }
        }
        assert_eq!(hash_float(0.5), Some(1 << 60));
        assert_eq!(hash_float(5e-324).map(|h| h > 0), Some(true));
    }

    /// Orders the reference CPythons print for these frozenset constants (`x in {…}`).
    #[test]
    fn frozensets_iterate_in_cpythons_order() {
        let cases: &[(&[&str], &[&str])] = &[
            (
                &["attlist", "linktype", "link", "element"],
                &["linktype", "attlist", "link", "element"],
            ),
            (&["win32", "cygwin"], &["cygwin", "win32"]),
            (&["1", "2", "3"], &["2", "1", "3"]),
            (&[".ps", ".eps"], &[".eps", ".ps"]),
            (
                &[
                    "error", "ignore", "always", "all", "default", "module", "once",
                ],
                &[
                    "all", "always", "ignore", "module", "once", "error", "default",
                ],
            ),
        ];
        for (given, want) in cases {
            let interned = cpyviz_model::tables::interned_at_compile(
                cpyviz_model::version::PyVersion::V3_14,
                cpyviz_model::tables::CompilingProcess::Dis,
            );
            let got = constant_frozenset_order(given.iter().map(|v| s(v)).collect(), |s| {
                interned.contains(s)
            })
            .unwrap();
            let got: Vec<String> = got
                .iter()
                .map(|v| match v {
                    ConstValue::Str(s) => s.as_str().unwrap().to_string(),
                    _ => unreachable!(),
                })
                .collect();
            assert_eq!(&got, want, "{given:?}");
        }
    }

    #[test]
    fn equal_numbers_collapse_to_the_first() {
        let got = frozenset_order(vec![
            int(1),
            ConstValue::Float(1.0),
            ConstValue::Bool(true),
            int(2),
        ])
        .unwrap();
        assert_eq!(format!("{got:?}"), format!("{:?}", vec![int(1), int(2)]));
        assert!(frozenset_order(vec![ConstValue::Ellipsis]).is_none());
    }
}
