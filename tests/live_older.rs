//! The live engine on CPython 3.12 and 3.13 (older than any built-in profile): the stages those
//! versions have match their own tools, and what they cannot show is said, not faked.
//! Uses `python3.12` / `python3.13` from `$CPYVIZ_OLDER_PYTHONS` (space-separated paths), pyenv or
//! PATH; without them the tests print SKIPPED.

use std::path::PathBuf;
use std::process::Command;

fn find(minor: u32) -> Option<PathBuf> {
    let name = format!("python3.{minor}");
    if let Ok(list) = std::env::var("CPYVIZ_OLDER_PYTHONS") {
        return list
            .split_whitespace()
            .map(PathBuf::from)
            .find(|p| p.file_name().is_some_and(|f| f.to_string_lossy() == name));
    }
    let home = std::env::var("HOME").unwrap_or_default();
    let pyenv = PathBuf::from(home).join(".pyenv/versions");
    if let Ok(entries) = std::fs::read_dir(&pyenv) {
        let mut dirs: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        dirs.sort();
        for d in dirs {
            let exe = d.join("bin").join(&name);
            if d.file_name()
                .is_some_and(|f| f.to_string_lossy().starts_with(&format!("3.{minor}.")))
                && exe.is_file()
            {
                return Some(exe);
            }
        }
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(&name))
            .find(|p| p.is_file())
    })
}

fn mask(text: &str) -> String {
    cpyviz_model::dis::mask_addresses(text, "ADDR")
}

fn cpyviz(args: &[&str]) -> (String, String, Option<i32>) {
    let out = Command::new(env!("CARGO_BIN_EXE_cpyviz"))
        .args(args)
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code(),
    )
}

#[test]
fn older_cpythons_match_their_own_dis_and_say_what_they_lack() {
    let mut ran = 0;
    for minor in [12, 13] {
        let Some(python) = find(minor) else {
            println!("SKIPPED: no python3.{minor} found (set CPYVIZ_OLDER_PYTHONS)");
            continue;
        };
        let py = python.to_string_lossy().to_string();
        for file in [
            "samples/abs.py",
            "samples/int_loop.py",
            "tests/corpus/08_classes.py",
        ] {
            let (ours, err, code) = cpyviz(&["dump", "bytecode", file, "--python", &py]);
            assert_eq!(code, Some(0), "{py} {file}: {err}");
            let theirs = Command::new(&python)
                .args(["-m", "dis", file])
                .output()
                .unwrap();
            assert_eq!(
                mask(&ours),
                mask(&String::from_utf8_lossy(&theirs.stdout)),
                "python3.{minor} {file}"
            );
        }
        let (_, err, code) = cpyviz(&["dump", "jit", "samples/abs.py", "--python", &py]);
        assert_ne!(code, Some(0));
        assert!(err.contains("not available"), "{err}");
        ran += 1;
    }
    println!("older CPythons checked: {ran}");
}
