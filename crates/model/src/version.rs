//! CPython version profiles.
//!
//! What differs between the CPython versions cpyviz models belongs in a [`Profile`] table here
//! (or in the generated tables it points to), not in scattered version comparisons; about 40
//! such comparisons remain elsewhere and are to move here.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A CPython version cpyviz has a profile for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum PyVersion {
    #[serde(rename = "3.14")]
    V3_14,
    #[serde(rename = "3.15")]
    V3_15,
}

impl PyVersion {
    pub const ALL: [PyVersion; 2] = [PyVersion::V3_14, PyVersion::V3_15];

    /// The version's facts.
    pub fn profile(self) -> &'static Profile {
        match self {
            PyVersion::V3_14 => &PROFILE_3_14,
            PyVersion::V3_15 => &PROFILE_3_15,
        }
    }

    /// `"3.14"` or `"3.15"`.
    pub fn label(self) -> &'static str {
        self.profile().label
    }

    /// The other profile (for the 3.14 ↔ 3.15 toggle).
    pub fn toggled(self) -> PyVersion {
        match self {
            PyVersion::V3_14 => PyVersion::V3_15,
            PyVersion::V3_15 => PyVersion::V3_14,
        }
    }
}

impl fmt::Display for PyVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for PyVersion {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "3.14" | "314" => Ok(PyVersion::V3_14),
            "3.15" | "315" => Ok(PyVersion::V3_15),
            other => Err(format!(
                "unsupported CPython version '{other}': cpyviz has profiles for 3.14 and 3.15"
            )),
        }
    }
}

/// Facts about one CPython version that change what a stage shows.
#[derive(Debug)]
pub struct Profile {
    pub version: PyVersion,
    pub label: &'static str,
    /// `sys.version_info[:2]`: the version whose tools' output formats apply.
    pub version_info: (u32, u32),
    /// `ast.dump` leaves out `ctx=Load()` (3.15: a field equal to its default is omitted).
    pub ast_dump_omits_default_ctx: bool,
    /// The borrow analysis (`optimize_load_fast`) follows an empty block to the next one;
    /// 3.14 stops there, so the loads after it keep strong references.
    pub borrow_analysis_crosses_empty_blocks: bool,
    /// The borrow analysis records the values pushed by an opcode that keeps its inputs
    /// (`GET_LEN`, `MATCH_KEYS`, …) against its loop counter, i.e. the block's first
    /// instructions, instead of the opcode (a shadowed variable in 3.14's `flowgraph.c`).
    pub borrow_analysis_shadowed_push_index: bool,
    /// `GET_ITER` leaves the iterable on the stack under the iterator.
    pub get_iter_keeps_iterable: bool,
}

pub static PROFILE_3_14: Profile = Profile {
    version: PyVersion::V3_14,
    label: "3.14",
    version_info: (3, 14),
    ast_dump_omits_default_ctx: false,
    borrow_analysis_crosses_empty_blocks: false,
    borrow_analysis_shadowed_push_index: true,
    get_iter_keeps_iterable: false,
};

pub static PROFILE_3_15: Profile = Profile {
    version: PyVersion::V3_15,
    label: "3.15",
    version_info: (3, 15),
    ast_dump_omits_default_ctx: true,
    borrow_analysis_crosses_empty_blocks: true,
    borrow_analysis_shadowed_push_index: false,
    get_iter_keeps_iterable: true,
};
