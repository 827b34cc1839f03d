//! CPython version profiles.
//!
//! Everything that differs between the CPython versions cpyviz models lives in a [`Profile`]
//! table here (or in the generated tables it points to), never in scattered `if`s.

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
    /// `ast.dump` leaves out `ctx=Load()` (3.15: a field equal to its default is omitted).
    pub ast_dump_omits_default_ctx: bool,
}

pub static PROFILE_3_14: Profile = Profile {
    version: PyVersion::V3_14,
    label: "3.14",
    ast_dump_omits_default_ctx: false,
};

pub static PROFILE_3_15: Profile = Profile {
    version: PyVersion::V3_15,
    label: "3.15",
    ast_dump_omits_default_ctx: true,
};
