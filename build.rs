//! Embeds the bundled folders in the binary, so an installed `cpyviz` (`cargo install --path .`)
//! has them without a checkout: every `samples/*.py` and every file under `lessons/`. Writes
//! `$OUT_DIR/embedded.rs`, which `src/embedded.rs` includes: one `include_str!` per file.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The files under `dir` (recursively) whose name passes `keep`, sorted by path.
fn files(dir: &Path, keep: &dyn Fn(&Path) -> bool, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            files(&path, keep, out);
        } else if keep(&path) {
            out.push(path);
        }
    }
}

/// `pub static NAME: &[Embedded] = &[…];` for the files of `folder`.
fn table(root: &Path, folder: &str, keep: &dyn Fn(&Path) -> bool, out: &mut String) {
    let dir = root.join(folder);
    // A folder that appears later (or a file added to it) reruns this script.
    println!("cargo:rerun-if-changed={folder}");
    let mut found = Vec::new();
    files(&dir, keep, &mut found);
    found.sort();
    let name = folder.to_uppercase();
    writeln!(out, "pub static {name}: &[Embedded] = &[").unwrap();
    for path in found {
        let rel = path
            .strip_prefix(&dir)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        writeln!(
            out,
            "    Embedded {{ path: {rel:?}, text: include_str!({:?}) }},",
            path.to_string_lossy()
        )
        .unwrap();
    }
    writeln!(out, "];").unwrap();
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let mut out = String::new();
    table(
        &root,
        "samples",
        &|p| p.extension().is_some_and(|e| e == "py"),
        &mut out,
    );
    table(&root, "lessons", &|_| true, &mut out);
    let dest = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("embedded.rs");
    std::fs::write(dest, out).unwrap();
    println!("cargo:rerun-if-changed=build.rs");
}
