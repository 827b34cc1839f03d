//! Lone surrogates in `str`. Python strings may hold the code points U+D800–U+DFFF on their
//! own (`'\ud800'`, `chr(0xdc80)`); a Rust `str` cannot. The VM keeps each such code point as
//! one of the last 2,048 code points of plane 16 (U+10F800 + its offset from U+D800) and
//! turns it back wherever the difference shows: `ord`, `repr`/`ascii`, `hash`, encoding and
//! printing (CPython refuses to encode them: "surrogates not allowed").
//!
//! The limit of the trick: a string that really holds a code point of U+10F800–U+10FFFF (the
//! end of a private-use plane) is taken for lone surrogates.

/// Where the stand-ins start.
const BASE: u32 = 0x10_F800;

/// The VM's character for code point `cp` (a surrogate gets its stand-in).
pub fn char_of(cp: u32) -> Option<char> {
    if (0xD800..=0xDFFF).contains(&cp) {
        char::from_u32(BASE + (cp - 0xD800))
    } else {
        char::from_u32(cp)
    }
}

/// The Python code point of the VM's character `c`.
pub fn code_point(c: char) -> u32 {
    let n = c as u32;
    if n >= BASE {
        0xD800 + (n - BASE)
    } else {
        n
    }
}

/// Whether `c` stands for a lone surrogate.
pub fn is_surrogate(c: char) -> bool {
    c as u32 >= BASE
}

/// Whether `s` holds a lone surrogate.
pub fn has_surrogates(s: &str) -> bool {
    // Stand-ins are four bytes long and start with 0xF4 0x8F 0xA0..0xBF.
    s.as_bytes()
        .windows(3)
        .any(|w| w[0] == 0xF4 && w[1] == 0x8F && w[2] >= 0xA0)
}

/// The VM's text of a string given as code points (surrogates included).
pub fn from_code_points(cps: &[u32]) -> String {
    cps.iter().filter_map(|&c| char_of(c)).collect()
}

/// `s`'s code points, surrogates as themselves (for `repr`, hashing).
pub fn code_points(s: &str) -> Vec<u32> {
    s.chars().map(code_point).collect()
}

/// The model's string for `s` (so its `repr` can escape the surrogates as CPython does).
pub fn to_pystr(s: &str) -> cpyviz_model::pystr::PyStr {
    if has_surrogates(s) {
        cpyviz_model::pystr::PyStr::CodePoints(code_points(s))
    } else {
        cpyviz_model::pystr::PyStr::Text(s.to_string())
    }
}

/// The index (in characters) of the first lone surrogate of `s`, and its code point.
pub fn first(s: &str) -> Option<(usize, u32)> {
    s.chars()
        .enumerate()
        .find(|(_, c)| is_surrogate(*c))
        .map(|(k, c)| (k, code_point(c)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surrogates_round_trip() {
        for cp in [0xD800, 0xDBFF, 0xDC00, 0xDFFF] {
            let c = char_of(cp).unwrap();
            assert!(is_surrogate(c));
            assert_eq!(code_point(c), cp);
            let s = c.to_string();
            assert!(has_surrogates(&s));
        }
        assert!(!has_surrogates("a\u{1F600}é"));
        assert_eq!(
            code_points(&from_code_points(&[0x61, 0xDC80, 0x1F600])),
            [0x61, 0xDC80, 0x1F600]
        );
        assert_eq!(first(&from_code_points(&[0x61, 0xDC80])), Some((1, 0xDC80)));
    }
}
