//! The Unicode facts CPython's output depends on, per version: which characters `repr()` prints
//! as they are (`str.isprintable()`), which may start or continue an identifier, and how
//! identifiers are NFKC-normalized. CPython 3.14 ships Unicode 16.0, 3.15 Unicode 17.0, so a
//! character assigned in 17.0 (say U+A7CE) is an unprintable, invalid one in 3.14 and a letter in
//! 3.15.
//!
//! The tables (`src/tables/unicode/3.1x.txt`) are generated from the reference interpreters by
//! `scripts/gen-unicode`. NFKC of whole strings (composition across characters) is the
//! `unicode-normalization` crate's; the tables correct it, character by character, where its
//! Unicode version disagrees with the interpreter's.

use crate::version::PyVersion;
use std::collections::HashMap;
use std::sync::OnceLock;

/// One version's tables.
#[derive(Debug)]
pub struct UnicodeData {
    /// `unicodedata.unidata_version`.
    pub unidata_version: String,
    printable: Vec<(u32, u32)>,
    id_start: Vec<(u32, u32)>,
    id_continue: Vec<(u32, u32)>,
    /// NFKC of single characters, where it is not the character itself.
    nfkc: HashMap<u32, Vec<u32>>,
}

/// The tables of `version` (parsed from its profile's [`crate::version::Profile::unicode_table`]).
pub fn data(version: PyVersion) -> &'static UnicodeData {
    static CACHE: [OnceLock<UnicodeData>; PyVersion::ALL.len()] =
        [const { OnceLock::new() }; PyVersion::ALL.len()];
    CACHE[version.index()].get_or_init(|| parse(version.profile().unicode_table))
}

fn parse(text: &str) -> UnicodeData {
    let mut d = UnicodeData {
        unidata_version: String::new(),
        printable: Vec::new(),
        id_start: Vec::new(),
        id_continue: Vec::new(),
        nfkc: HashMap::new(),
    };
    let hex = |s: &str| u32::from_str_radix(s, 16).unwrap_or(0);
    for line in text.lines() {
        let mut f = line.split(' ');
        match f.next() {
            Some("U") => d.unidata_version = f.next().unwrap_or("").to_string(),
            Some(tag @ ("P" | "S" | "C")) => {
                let a = hex(f.next().unwrap_or("0"));
                let b = hex(f.next().unwrap_or("0"));
                match tag {
                    "P" => d.printable.push((a, b)),
                    "S" => d.id_start.push((a, b)),
                    _ => d.id_continue.push((a, b)),
                }
            }
            Some("N") => {
                let c = hex(f.next().unwrap_or("0"));
                d.nfkc.insert(c, f.map(hex).collect());
            }
            _ => {}
        }
    }
    d
}

fn in_ranges(ranges: &[(u32, u32)], c: u32) -> bool {
    let i = ranges.partition_point(|&(_, b)| b < c);
    ranges.get(i).is_some_and(|&(a, _)| a <= c)
}

impl UnicodeData {
    /// `chr(c).isprintable()` (lone surrogates are not printable).
    pub fn is_printable(&self, c: u32) -> bool {
        in_ranges(&self.printable, c)
    }

    /// `chr(c).isidentifier()`: may start an identifier.
    pub fn is_id_start(&self, c: u32) -> bool {
        in_ranges(&self.id_start, c)
    }

    /// `('a' + chr(c)).isidentifier()`: may continue an identifier.
    pub fn is_id_continue(&self, c: u32) -> bool {
        in_ranges(&self.id_continue, c)
    }

    /// The index (in characters) of the first character of `s` that cannot be part of an
    /// identifier there (the tokenizer's `verify_identifier`), or `None` when `s` is one.
    pub fn first_invalid_identifier_char(&self, s: &str) -> Option<usize> {
        s.chars().enumerate().position(|(i, c)| {
            let c = c as u32;
            if i == 0 {
                !self.is_id_start(c)
            } else {
                !self.is_id_continue(c)
            }
        })
    }

    /// `unicodedata.normalize('NFKC', s)`, as the parser applies it to identifiers.
    pub fn nfkc(&self, s: &str) -> String {
        use unicode_normalization::UnicodeNormalization;
        if s.is_ascii() {
            return s.to_string();
        }
        // Characters whose single-character NFKC the crate gets differently from this version
        // are mapped from the table; the runs between them go through the crate.
        let mut out = String::with_capacity(s.len());
        let mut run = String::new();
        for c in s.chars() {
            let want: Option<&Vec<u32>> = self.nfkc.get(&(c as u32));
            let crate_single: String = c.to_string().nfkc().collect();
            let agrees = match want {
                Some(m) => crate_single.chars().map(|x| x as u32).eq(m.iter().copied()),
                None => crate_single.chars().eq(std::iter::once(c)),
            };
            if agrees {
                run.push(c);
            } else {
                out.extend(run.nfkc());
                run.clear();
                match want {
                    Some(m) => out.extend(m.iter().filter_map(|&x| char::from_u32(x))),
                    None => out.push(c),
                }
            }
        }
        out.extend(run.nfkc());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_version_has_its_own_unicode() {
        let (a, b) = (data(PyVersion::V3_14), data(PyVersion::V3_15));
        assert_eq!(a.unidata_version, "16.0.0");
        assert_eq!(b.unidata_version, "17.0.0");
        // U+A7CE, assigned in Unicode 17.0: unprintable and no letter in 3.14, a letter in 3.15.
        assert!(!a.is_printable(0xA7CE) && !a.is_id_start(0xA7CE));
        assert!(b.is_printable(0xA7CE) && b.is_id_start(0xA7CE));
        for d in [a, b] {
            assert!(d.is_printable(' ' as u32) && !d.is_printable('\n' as u32));
            assert!(!d.is_printable(0xD800) && !d.is_printable(0x3000));
            assert!(d.is_id_start('_' as u32) && !d.is_id_start('1' as u32));
            assert!(d.is_id_continue('1' as u32) && !d.is_id_continue('-' as u32));
            assert_eq!(d.first_invalid_identifier_char("a€b"), Some(1));
            assert_eq!(d.first_invalid_identifier_char("µx"), None);
        }
    }

    /// Checked against `unicodedata.normalize('NFKC', …)` of the reference interpreters.
    #[test]
    fn identifiers_normalize_like_cpython() {
        for v in PyVersion::ALL {
            let d = data(v);
            assert_eq!(d.nfkc("ﬁ"), "fi");
            assert_eq!(d.nfkc("ℌx"), "Hx");
            assert_eq!(d.nfkc("µ"), "μ");
            assert_eq!(d.nfkc("e\u{301}"), "é");
            assert_eq!(d.nfkc("plain"), "plain");
        }
        // U+A7F1 gained a compatibility mapping (to 'S') in Unicode 17.0.
        assert_eq!(data(PyVersion::V3_15).nfkc("\u{a7f1}"), "S");
        assert_eq!(data(PyVersion::V3_14).nfkc("\u{a7f1}"), "\u{a7f1}");
    }

    /// Every single character normalizes exactly as the interpreter normalizes it, where the
    /// crate's Unicode version differs too.
    #[test]
    fn every_character_normalizes_as_the_table_says() {
        for v in PyVersion::ALL {
            let d = data(v);
            for c in (0x80..0x110000u32).filter_map(char::from_u32) {
                let want: String = match d.nfkc.get(&(c as u32)) {
                    Some(m) => m.iter().filter_map(|&x| char::from_u32(x)).collect(),
                    None => c.to_string(),
                };
                assert_eq!(d.nfkc(&c.to_string()), want, "{v:?} U+{:04X}", c as u32);
            }
        }
    }
}
