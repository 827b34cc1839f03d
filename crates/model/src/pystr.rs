//! [`PyStr`]: a Python `str` value, which — unlike a Rust `String` — may hold lone surrogates
//! (`'\ud800'` is a valid Python literal).
//!
//! Nearly every string is plain UTF-8 and stays a `String`; only a string holding a lone
//! surrogate is kept as code points. Both forms compare, hash and order by their code points, so
//! a value has one identity whichever form it has (the constructors keep the `String` form
//! whenever it can hold the value).

use serde::{Deserialize, Serialize};

/// A Python `str`: a sequence of code points from U+0000 to U+10FFFF, surrogates included.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PyStr {
    /// A string without lone surrogates.
    Text(String),
    /// A string with at least one lone surrogate, as code points.
    CodePoints(Vec<u32>),
}

impl Default for PyStr {
    fn default() -> PyStr {
        PyStr::Text(String::new())
    }
}

impl From<String> for PyStr {
    fn from(s: String) -> PyStr {
        PyStr::Text(s)
    }
}

impl From<&str> for PyStr {
    fn from(s: &str) -> PyStr {
        PyStr::Text(s.to_string())
    }
}

impl PyStr {
    /// The string of these code points (each at most U+10FFFF).
    pub fn from_code_points(cps: Vec<u32>) -> PyStr {
        match cps
            .iter()
            .map(|&c| char::from_u32(c))
            .collect::<Option<String>>()
        {
            Some(s) => PyStr::Text(s),
            None => PyStr::CodePoints(cps),
        }
    }

    /// The value as a Rust string, when it holds no lone surrogate.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            PyStr::Text(s) => Some(s),
            PyStr::CodePoints(_) => None,
        }
    }

    /// The value with each lone surrogate replaced by U+FFFD (for display only).
    pub fn to_string_lossy(&self) -> std::borrow::Cow<'_, str> {
        match self {
            PyStr::Text(s) => std::borrow::Cow::Borrowed(s),
            PyStr::CodePoints(cps) => std::borrow::Cow::Owned(
                cps.iter()
                    .map(|&c| char::from_u32(c).unwrap_or('\u{fffd}'))
                    .collect(),
            ),
        }
    }

    /// The code points, in order.
    pub fn code_points(&self) -> Vec<u32> {
        match self {
            PyStr::Text(s) => s.chars().map(|c| c as u32).collect(),
            PyStr::CodePoints(cps) => cps.clone(),
        }
    }

    /// `len(s)`: the number of code points.
    pub fn char_len(&self) -> usize {
        match self {
            PyStr::Text(s) => s.chars().count(),
            PyStr::CodePoints(cps) => cps.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        match self {
            PyStr::Text(s) => s.is_empty(),
            PyStr::CodePoints(cps) => cps.is_empty(),
        }
    }

    /// `a + b`.
    pub fn concat(&self, other: &PyStr) -> PyStr {
        match (self, other) {
            (PyStr::Text(a), PyStr::Text(b)) => PyStr::Text(format!("{a}{b}")),
            _ => {
                let mut cps = self.code_points();
                cps.extend(other.code_points());
                PyStr::from_code_points(cps)
            }
        }
    }

    /// `s * n` for `n >= 0`.
    pub fn repeat(&self, n: usize) -> PyStr {
        match self {
            PyStr::Text(s) => PyStr::Text(s.repeat(n)),
            PyStr::CodePoints(cps) => PyStr::CodePoints(cps.repeat(n)),
        }
    }
}
