//! The architecture invariants the crate graph carries (ARCHITECTURE.md): each member's
//! `Cargo.toml` may only name the crates its layer allows, so a change that would let the model
//! depend on a UI crate, a stage on the terminal or the command line, an engine on the CLI or
//! the viewer on a stage fails here, and the code that would use them fails to build.

use std::collections::BTreeSet;

/// The dependency names of a manifest's `[dependencies]` and `[target.….dependencies]` tables
/// (not `[dev-dependencies]`).
fn dependencies(crate_dir: &str) -> BTreeSet<String> {
    let path = format!("{crate_dir}/Cargo.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut out = BTreeSet::new();
    let mut in_deps = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_deps = line == "[dependencies]"
                || (line.starts_with("[target.") && line.ends_with(".dependencies]"));
            continue;
        }
        if in_deps && !line.is_empty() && !line.starts_with('#') {
            let name = line.split(['=', '.', ' ']).next().unwrap_or("").trim();
            out.insert(name.to_string());
        }
    }
    out
}

const UI: &[&str] = &["ratatui", "crossterm", "syntect", "resvg"];
const CLI: &[&str] = &["clap"];
const DISASSEMBLER: &[&str] = &["iced-x86"];

fn check(crate_dir: &str, ours_allowed: &[&str], forbidden: &[&[&str]]) {
    let deps = dependencies(crate_dir);
    for dep in &deps {
        if dep.starts_with("cpyviz") {
            assert!(
                ours_allowed.contains(&dep.as_str()),
                "{crate_dir} may not depend on {dep} (allowed: {ours_allowed:?})"
            );
        }
        for group in forbidden {
            assert!(
                !group.contains(&dep.as_str()),
                "{crate_dir} may not depend on {dep}"
            );
        }
    }
}

#[test]
fn the_model_depends_on_nothing_of_ours_and_on_no_ui_cli_or_disassembler() {
    check("crates/model", &[], &[UI, CLI, DISASSEMBLER]);
}

#[test]
fn the_stages_depend_only_on_earlier_layers_and_on_no_ui_or_cli() {
    check("crates/syntax", &["cpyviz-model"], &[UI, CLI, DISASSEMBLER]);
    check(
        "crates/compiler",
        &["cpyviz-model", "cpyviz-syntax"],
        &[UI, CLI, DISASSEMBLER],
    );
}

#[test]
fn the_jit_stages_depend_only_on_the_model_and_on_no_ui_or_cli() {
    check("crates/jit", &["cpyviz-model"], &[UI, CLI]);
}

#[test]
fn the_engines_never_reach_the_cli_or_the_viewer() {
    check(
        "crates/engine",
        &[
            "cpyviz-model",
            "cpyviz-syntax",
            "cpyviz-compiler",
            "cpyviz-jit",
            "cpyviz-vm",
        ],
        &[UI, CLI],
    );
}

#[test]
fn the_vm_runs_compiled_code_and_knows_nothing_of_engines_ui_or_cli() {
    check(
        "crates/vm",
        &["cpyviz-model", "cpyviz-compiler"],
        &[UI, CLI, DISASSEMBLER],
    );
}

#[test]
fn the_viewer_cannot_compute_a_stage() {
    check(
        "crates/tui",
        &["cpyviz-model", "cpyviz-export"],
        &[CLI, DISASSEMBLER],
    );
    check("crates/export", &[], &[CLI, DISASSEMBLER]);
}

#[test]
fn the_manifest_reader_sees_the_dependencies() {
    // The check above is only as good as this reader: it must find what is really there.
    let engine = dependencies("crates/engine");
    assert!(engine.contains("cpyviz-compiler") && engine.contains("iced-x86"));
    assert!(engine.contains("libc"), "target-specific tables count too");
    assert!(
        !dependencies("crates/export").contains("insta"),
        "dev-dependencies do not"
    );
}
