//! The per-user store of imported stencil sets: copies of the `jit_stencils-<triple>.h`
//! headers a user imported, so that later runs can use CPython's real stencils.
//!
//! Where: `$CPYVIZ_STENCILS_DIR` if set, else `$XDG_DATA_HOME/cpyviz/stencils`, else
//! `$HOME/.local/share/cpyviz/stencils`. Layout: `<version>/<triple>/<sha256>.h` (a copy of
//! the header, byte for byte) and `<sha256>.json` next to it (where it was imported from,
//! when, and how many groups and symbols it has). Importing the same header again only
//! refreshes its `.json` (so it becomes the most recent import).

use std::ffi::OsString;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use cpyviz_model::jit::{StencilOrigin, StencilSet, Target};
use cpyviz_model::version::PyVersion;
use serde::{Deserialize, Serialize};

use crate::header;

/// A store of imported stencil sets, rooted at a directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Store {
    pub root: PathBuf,
}

/// The result of an import.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Imported {
    pub version: PyVersion,
    pub target: Target,
    pub sha256: String,
    /// Stencil groups in `stencil_groups` (the entry group not counted).
    pub groups: usize,
    pub symbols: usize,
    /// The copy in the store.
    pub stored: PathBuf,
    /// The store had this header already (the import only refreshed its metadata).
    pub already_stored: bool,
}

/// One stored set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    pub version: PyVersion,
    pub target: Target,
    pub sha256: String,
    /// Where it was (last) imported from.
    pub original_path: String,
    /// When it was (last) imported, seconds since the Unix epoch.
    pub imported_at: u64,
    pub groups: usize,
    pub symbols: usize,
    /// The copy in the store.
    pub header: PathBuf,
}

/// (seconds, nanoseconds) since the Unix epoch.
type ImportTime = (u64, u32);

/// The `<sha256>.json` next to each stored header.
#[derive(Serialize, Deserialize)]
struct Meta {
    original_path: String,
    /// Seconds since the Unix epoch.
    imported_at: u64,
    /// The sub-second part, to order imports made within one second.
    #[serde(default)]
    imported_at_nanos: u32,
    groups: usize,
    symbols: usize,
    version: PyVersion,
    target: Target,
    sha256: String,
}

impl Store {
    pub fn new(root: impl Into<PathBuf>) -> Store {
        Store { root: root.into() }
    }

    /// The user's store, from the environment (see the module docs).
    pub fn default_location() -> Result<Store, String> {
        Store::location_from(|name| std::env::var_os(name)).map(Store::new)
    }

    /// The store's directory given a way to read environment variables (tests pass their own).
    pub fn location_from(var: impl Fn(&str) -> Option<OsString>) -> Result<PathBuf, String> {
        let set = |name: &str| var(name).filter(|v| !v.is_empty());
        if let Some(dir) = set("CPYVIZ_STENCILS_DIR") {
            return Ok(PathBuf::from(dir));
        }
        // The XDG spec ignores a relative XDG_DATA_HOME.
        if let Some(data) = set("XDG_DATA_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
        {
            return Ok(data.join("cpyviz").join("stencils"));
        }
        if let Some(home) = set("HOME") {
            return Ok(PathBuf::from(home)
                .join(".local")
                .join("share")
                .join("cpyviz")
                .join("stencils"));
        }
        Err(
            "cannot tell where to keep imported stencils: set CPYVIZ_STENCILS_DIR (or HOME)"
                .to_string(),
        )
    }

    fn dir(&self, version: PyVersion, target: Target) -> PathBuf {
        self.root.join(version.label()).join(target.triple())
    }

    /// Reads and checks a header, and keeps a copy of it.
    pub fn import(&self, path: &Path) -> Result<Imported, String> {
        let text = read_header(path)?;
        let name = path.display().to_string();
        let set = header::parse(&text, &name).map_err(|e| e.to_string())?;
        let sha256 = match &set.origin {
            StencilOrigin::Imported { sha256, .. } => sha256.clone(),
            StencilOrigin::Builtin => header::sha256_hex(text.as_bytes()),
        };
        let dir = self.dir(set.version, set.target);
        fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create the stencil store {}: {e}", dir.display()))?;
        let stored = dir.join(format!("{sha256}.h"));
        let already_stored = match fs::read(&stored) {
            Ok(bytes) => bytes == text.as_bytes(),
            Err(_) => false,
        };
        if !already_stored {
            write_atomically(&stored, text.as_bytes())?;
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let original_path = fs::canonicalize(path)
            .unwrap_or_else(|_| path.to_path_buf())
            .display()
            .to_string();
        let meta = Meta {
            original_path,
            imported_at: now.as_secs(),
            imported_at_nanos: now.subsec_nanos(),
            groups: set.groups.len(),
            symbols: set.symbols.len(),
            version: set.version,
            target: set.target,
            sha256: sha256.clone(),
        };
        let json = serde_json::to_string_pretty(&meta)
            .map_err(|e| format!("cannot describe the stored header: {e}"))?;
        write_atomically(&dir.join(format!("{sha256}.json")), json.as_bytes())?;
        Ok(Imported {
            version: set.version,
            target: set.target,
            sha256,
            groups: meta.groups,
            symbols: meta.symbols,
            stored,
            already_stored,
        })
    }

    /// Every stored set, by version and target, the most recent import of each pair first.
    /// An empty list when the store does not exist yet.
    pub fn list(&self) -> Result<Vec<Stored>, String> {
        Ok(self
            .entries()?
            .into_iter()
            .map(|(stored, _)| stored)
            .collect())
    }

    /// Stored sets with their sort keys, sorted.
    fn entries(&self) -> Result<Vec<(Stored, ImportTime)>, String> {
        let mut out = Vec::new();
        for version in PyVersion::ALL {
            for target in Target::ALL {
                let dir = self.dir(version, target);
                let listing = match fs::read_dir(&dir) {
                    Ok(l) => l,
                    Err(e) if e.kind() == ErrorKind::NotFound => continue,
                    Err(e) => {
                        return Err(format!(
                            "cannot read the stencil store {}: {e}",
                            dir.display()
                        ))
                    }
                };
                for item in listing {
                    let item = item.map_err(|e| {
                        format!("cannot read the stencil store {}: {e}", dir.display())
                    })?;
                    let path = item.path();
                    let Some(sha) = path
                        .file_name()
                        .and_then(|n| n.to_str())
                        .and_then(|n| n.strip_suffix(".json"))
                        .filter(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()))
                    else {
                        continue;
                    };
                    let bad = |why: String| {
                        format!(
                            "the stencil store's {} is damaged ({why}): delete it and import the \
                             header again",
                            path.display()
                        )
                    };
                    let text = fs::read_to_string(&path).map_err(|e| bad(e.to_string()))?;
                    let meta: Meta = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
                    if meta.sha256 != sha || meta.version != version || meta.target != target {
                        return Err(bad("it describes another header".to_string()));
                    }
                    out.push((
                        Stored {
                            version,
                            target,
                            sha256: meta.sha256,
                            original_path: meta.original_path,
                            imported_at: meta.imported_at,
                            groups: meta.groups,
                            symbols: meta.symbols,
                            header: dir.join(format!("{sha}.h")),
                        },
                        (meta.imported_at, meta.imported_at_nanos),
                    ));
                }
            }
        }
        out.sort_by(|(a, ka), (b, kb)| {
            (a.version, a.target)
                .cmp(&(b.version, b.target))
                .then(kb.cmp(ka))
                .then(a.sha256.cmp(&b.sha256))
        });
        Ok(out)
    }

    /// The most recently imported set for a version and target (`None`: none imported).
    pub fn load(&self, version: PyVersion, target: Target) -> Option<Result<StencilSet, String>> {
        let entries = match self.entries() {
            Ok(e) => e,
            Err(e) => return Some(Err(e)),
        };
        let (stored, _) = entries
            .into_iter()
            .find(|(s, _)| s.version == version && s.target == target)?;
        Some(load_stored(&stored))
    }
}

/// Loads one stored set (an entry of [`Store::list`]), checking that the copy is unchanged.
pub fn load_stored(stored: &Stored) -> Result<StencilSet, String> {
    let text = match fs::read(&stored.header) {
        Ok(bytes) => String::from_utf8(bytes).map_err(|_| {
            format!(
                "the stored header {} is not UTF-8 text",
                stored.header.display()
            )
        })?,
        Err(e) => {
            return Err(format!(
                "the stored header {} cannot be read ({e}): import {} again",
                stored.header.display(),
                stored.original_path
            ))
        }
    };
    let name = stored.header.display().to_string();
    let mut set = header::parse_as(&text, &name, stored.target).map_err(|e| e.to_string())?;
    let sha256 = header::sha256_hex(text.as_bytes());
    if sha256 != stored.sha256 {
        return Err(format!(
            "the stored header {} was changed since it was imported (its SHA-256 is now {sha256}): \
             import {} again",
            stored.header.display(),
            stored.original_path
        ));
    }
    if set.version != stored.version {
        return Err(format!(
            "the stored header {} is a {} header, but is stored as {}",
            stored.header.display(),
            set.version,
            stored.version
        ));
    }
    set.origin = StencilOrigin::Imported {
        path: stored.original_path.clone(),
        sha256,
    };
    Ok(set)
}

/// Reads a header given directly: a `jit_stencils-<triple>.h`, or a copy in a store (whose
/// name is its hash: the target is then the name of the folder it is in).
pub fn load_file(path: &Path) -> Result<StencilSet, String> {
    let text = read_header(path)?;
    let name = path.display().to_string();
    let target = header::target_from_file_name(&name).or_else(|e| {
        let in_store = path
            .file_stem()
            .and_then(|s| s.to_str())
            .is_some_and(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()));
        path.parent()
            .and_then(|d| d.file_name())
            .and_then(|d| d.to_str())
            .and_then(Target::from_triple)
            .filter(|_| in_store)
            .ok_or(e)
    });
    let target = target.map_err(|e| e.to_string())?;
    header::parse_as(&text, &name, target).map_err(|e| e.to_string())
}

/// Imports into the user's store.
pub fn import(path: &Path) -> Result<Imported, String> {
    Store::default_location()?.import(path)
}

/// Lists the user's store.
pub fn list() -> Result<Vec<Stored>, String> {
    Store::default_location()?.list()
}

/// The most recent import of the user's store for a version and target.
pub fn load(version: PyVersion, target: Target) -> Option<Result<StencilSet, String>> {
    match Store::default_location() {
        Ok(store) => store.load(version, target),
        Err(e) => Some(Err(e)),
    }
}

/// A header's text, with clear errors for what is not one.
pub fn read_header(path: &Path) -> Result<String, String> {
    let shown = path.display();
    let meta = fs::metadata(path).map_err(|e| match e.kind() {
        ErrorKind::NotFound => format!("{shown}: no such file"),
        _ => format!("{shown}: {e}"),
    })?;
    if meta.is_dir() {
        return Err(format!(
            "{shown} is a directory, not a jit_stencils header (a CPython JIT build leaves \
             jit_stencils-<triple>.h in its build directory)"
        ));
    }
    let bytes = fs::read(path).map_err(|e| format!("{shown}: {e}"))?;
    String::from_utf8(bytes)
        .map_err(|_| format!("{shown} is not UTF-8 text: not a jit_stencils header?"))
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp-{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    fs::write(&tmp, bytes)
        .and_then(|()| fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = fs::remove_file(&tmp);
            format!("cannot write {} in the stencil store: {e}", path.display())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const X86_315: &str =
        include_str!("../tests/headers/3.15/jit_stencils-x86_64-unknown-linux-gnu.h");
    const ARM_315: &str =
        include_str!("../tests/headers/3.15/jit_stencils-aarch64-unknown-linux-gnu.h");
    const X86_314: &str =
        include_str!("../tests/headers/3.14/jit_stencils-x86_64-unknown-linux-gnu.h");
    const X86_NAME: &str = "jit_stencils-x86_64-unknown-linux-gnu.h";
    const ARM_NAME: &str = "jit_stencils-aarch64-unknown-linux-gnu.h";

    /// A fresh directory, removed when dropped.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new() -> TempDir {
            static N: AtomicUsize = AtomicUsize::new(0);
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .subsec_nanos();
            let dir = std::env::temp_dir().join(format!(
                "cpyviz-store-test-{}-{}-{nanos}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }

        /// Writes `text` at `rel` inside the directory.
        fn file(&self, rel: &str, text: &[u8]) -> PathBuf {
            let p = self.0.join(rel);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(&p, text).unwrap();
            p
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn store(tmp: &TempDir) -> Store {
        Store::new(tmp.0.join("store"))
    }

    fn sha(text: &str) -> String {
        header::sha256_hex(text.as_bytes())
    }

    #[test]
    fn store_import_copies_the_header_and_describes_it() {
        let tmp = TempDir::new();
        let src = tmp.file(&format!("build/{X86_NAME}"), X86_315.as_bytes());
        let s = store(&tmp);
        let imported = s.import(&src).unwrap();
        assert_eq!(imported.version, PyVersion::V3_15);
        assert_eq!(imported.target, Target::X86_64Linux);
        assert_eq!(imported.sha256, sha(X86_315));
        assert_eq!((imported.groups, imported.symbols), (8, 2));
        assert!(!imported.already_stored);
        let expected = s
            .root
            .join("3.15")
            .join("x86_64-unknown-linux-gnu")
            .join(format!("{}.h", sha(X86_315)));
        assert_eq!(imported.stored, expected);
        assert_eq!(fs::read_to_string(&expected).unwrap(), X86_315);
        let meta: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(expected.with_extension("json")).unwrap())
                .unwrap();
        let canonical = fs::canonicalize(&src).unwrap().display().to_string();
        assert_eq!(meta["original_path"], canonical.as_str());
        assert_eq!(meta["groups"], 8);
        assert_eq!(meta["symbols"], 2);
        assert_eq!(meta["version"], "3.15");
        assert_eq!(meta["target"], "x86_64-unknown-linux-gnu");
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let at = meta["imported_at"].as_u64().unwrap();
        assert!(at <= now && now - at < 600, "{at} vs {now}");
        // No temporary files left behind.
        let names: Vec<String> = fs::read_dir(expected.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");

        // The same header again: fine, nothing new.
        let again = s.import(&src).unwrap();
        assert!(again.already_stored);
        assert_eq!(again.stored, imported.stored);
        assert_eq!(s.list().unwrap().len(), 1);
    }

    #[test]
    fn store_lists_and_loads_the_most_recent_import() {
        let tmp = TempDir::new();
        let s = store(&tmp);
        assert_eq!(s.list().unwrap(), []);
        assert!(s.load(PyVersion::V3_15, Target::X86_64Linux).is_none());

        let a = tmp.file(&format!("a/{X86_NAME}"), X86_315.as_bytes());
        let changed = X86_315.replacen("\n\n", "\n// rebuilt\n\n", 1);
        let b = tmp.file(&format!("b/{X86_NAME}"), changed.as_bytes());
        let arm = tmp.file(
            "c/jit_stencils-aarch64-unknown-linux-gnu.h",
            ARM_315.as_bytes(),
        );
        let old = tmp.file(&format!("d/{X86_NAME}"), X86_314.as_bytes());
        for p in [&a, &arm, &old, &b] {
            s.import(p).unwrap();
        }
        let list = s.list().unwrap();
        let pairs: Vec<(PyVersion, Target, String)> = list
            .iter()
            .map(|e| (e.version, e.target, e.sha256.clone()))
            .collect();
        assert_eq!(
            pairs,
            [
                (PyVersion::V3_14, Target::X86_64Linux, sha(X86_314)),
                (PyVersion::V3_15, Target::X86_64Linux, sha(&changed)),
                (PyVersion::V3_15, Target::X86_64Linux, sha(X86_315)),
                (PyVersion::V3_15, Target::Aarch64Linux, sha(ARM_315)),
            ]
        );
        assert_eq!(
            list[1].original_path,
            fs::canonicalize(&b).unwrap().display().to_string()
        );
        assert_eq!((list[3].groups, list[3].symbols), (5, 3));
        assert!(list.iter().all(|e| e.header.is_file()));

        let loaded = s
            .load(PyVersion::V3_15, Target::X86_64Linux)
            .unwrap()
            .unwrap();
        assert_eq!(
            loaded.origin,
            StencilOrigin::Imported {
                path: fs::canonicalize(&b).unwrap().display().to_string(),
                sha256: sha(&changed),
            }
        );
        let direct = header::parse(&changed, X86_NAME).unwrap();
        assert_eq!(loaded.groups, direct.groups);
        assert_eq!(loaded.symbols, direct.symbols);

        // Importing the first header again makes it the most recent.
        s.import(&a).unwrap();
        let loaded = s
            .load(PyVersion::V3_15, Target::X86_64Linux)
            .unwrap()
            .unwrap();
        assert!(
            matches!(&loaded.origin, StencilOrigin::Imported { sha256, .. } if *sha256 == sha(X86_315))
        );
        let old_set = s
            .load(PyVersion::V3_14, Target::X86_64Linux)
            .unwrap()
            .unwrap();
        assert_eq!(old_set.version, PyVersion::V3_14);
        assert!(old_set.entry.is_some());
        assert!(s.load(PyVersion::V3_14, Target::Aarch64Darwin).is_none());
    }

    #[test]
    fn store_read_errors_are_clear() {
        let tmp = TempDir::new();
        let s = store(&tmp);
        let missing = tmp.0.join(X86_NAME);
        let e = s.import(&missing).unwrap_err();
        assert_eq!(e, format!("{}: no such file", missing.display()));
        let dir = tmp.0.join("adir");
        fs::create_dir_all(&dir).unwrap();
        let e = s.import(&dir).unwrap_err();
        assert!(
            e.starts_with(&format!(
                "{} is a directory, not a jit_stencils header",
                dir.display()
            )),
            "{e}"
        );
        let binary = tmp.file(X86_NAME, &[0x7f, b'E', b'L', b'F', 0xff, 0xfe, 0]);
        let e = s.import(&binary).unwrap_err();
        assert_eq!(
            e,
            format!(
                "{} is not UTF-8 text: not a jit_stencils header?",
                binary.display()
            )
        );
        assert_eq!(load_file(&binary).unwrap_err(), e);
        let bad = X86_315.replacen("patch_64(code + 0x9,", "patch_99(code + 0x9,", 1);
        let line = bad.lines().position(|l| l.contains("patch_99")).unwrap() + 1;
        let broken = tmp.file(&format!("x/{X86_NAME}"), bad.as_bytes());
        let e = s.import(&broken).unwrap_err();
        assert_eq!(
            e,
            format!(
                "{}:{line}: unknown patch function `patch_99`",
                broken.display()
            )
        );
        let renamed = tmp.file("x/stencils.h", X86_315.as_bytes());
        let e = s.import(&renamed).unwrap_err();
        assert!(e.contains("keep the name the build gave"), "{e}");
        // Nothing was stored.
        assert_eq!(s.list().unwrap(), []);
    }

    #[test]
    fn store_load_file_reads_a_stored_copy() {
        let tmp = TempDir::new();
        let s = store(&tmp);
        let p = tmp.file(&format!("build/{ARM_NAME}"), ARM_315.as_bytes());
        s.import(&p).unwrap();
        let stored = &s.list().unwrap()[0];
        let set = load_file(&stored.header).unwrap();
        assert_eq!(
            (set.version, set.target),
            (PyVersion::V3_15, Target::Aarch64Linux)
        );
        assert_eq!(load_stored(stored).unwrap().groups, set.groups);
        // Only a hash-named file in a triple's folder counts as a stored copy.
        let odd = tmp.file("x/aarch64-unknown-linux-gnu/notes.h", ARM_315.as_bytes());
        assert!(load_file(&odd)
            .unwrap_err()
            .contains("keep the name the build gave"));
    }

    #[test]
    fn store_load_file_reads_a_header_directly() {
        let tmp = TempDir::new();
        let p = tmp.file(&format!("build/{X86_NAME}"), X86_314.as_bytes());
        let set = load_file(&p).unwrap();
        assert_eq!(
            (set.version, set.target),
            (PyVersion::V3_14, Target::X86_64Linux)
        );
        assert_eq!(
            set.origin,
            StencilOrigin::Imported {
                path: p.display().to_string(),
                sha256: sha(X86_314)
            }
        );
    }

    #[test]
    fn store_detects_damage() {
        let tmp = TempDir::new();
        let s = store(&tmp);
        let p = tmp.file(&format!("build/{X86_NAME}"), X86_315.as_bytes());
        let imported = s.import(&p).unwrap();
        // An edited copy.
        fs::write(&imported.stored, X86_315.replacen("0x50,", "0x51,", 1)).unwrap();
        let e = s
            .load(PyVersion::V3_15, Target::X86_64Linux)
            .unwrap()
            .unwrap_err();
        assert!(e.contains("was changed since it was imported"), "{e}");
        // A missing copy.
        fs::remove_file(&imported.stored).unwrap();
        let e = s
            .load(PyVersion::V3_15, Target::X86_64Linux)
            .unwrap()
            .unwrap_err();
        assert!(e.contains("cannot be read"), "{e}");
        // Re-importing repairs it.
        assert!(!s.import(&p).unwrap().already_stored);
        assert!(s
            .load(PyVersion::V3_15, Target::X86_64Linux)
            .unwrap()
            .is_ok());
        // Damaged metadata.
        let json = imported.stored.with_extension("json");
        fs::write(&json, "{not json").unwrap();
        let e = s.list().unwrap_err();
        assert!(
            e.contains(&json.display().to_string()) && e.contains("damaged"),
            "{e}"
        );
        assert!(s
            .load(PyVersion::V3_15, Target::X86_64Linux)
            .unwrap()
            .is_err());
        // Files that are not the store's are left alone.
        fs::remove_file(&json).unwrap();
        tmp.file("store/3.15/x86_64-unknown-linux-gnu/notes.json", b"{}");
        tmp.file("store/3.16/x86_64-unknown-linux-gnu/x.json", b"{}");
        assert_eq!(s.list().unwrap(), []);
    }

    #[test]
    fn store_location_follows_the_environment() {
        let env = |pairs: &[(&str, &str)]| {
            let map: HashMap<String, OsString> = pairs
                .iter()
                .map(|(k, v)| (k.to_string(), OsString::from(v)))
                .collect();
            Store::location_from(move |k| map.get(k).cloned())
        };
        let all = [
            ("CPYVIZ_STENCILS_DIR", "/s"),
            ("XDG_DATA_HOME", "/x"),
            ("HOME", "/h"),
        ];
        assert_eq!(env(&all).unwrap(), PathBuf::from("/s"));
        assert_eq!(env(&all[1..]).unwrap(), PathBuf::from("/x/cpyviz/stencils"));
        assert_eq!(
            env(&all[2..]).unwrap(),
            PathBuf::from("/h/.local/share/cpyviz/stencils")
        );
        // Empty and relative values do not count.
        assert_eq!(
            env(&[
                ("CPYVIZ_STENCILS_DIR", ""),
                ("XDG_DATA_HOME", "rel"),
                ("HOME", "/h")
            ])
            .unwrap(),
            PathBuf::from("/h/.local/share/cpyviz/stencils")
        );
        assert!(env(&[]).unwrap_err().contains("CPYVIZ_STENCILS_DIR"));
    }
}
