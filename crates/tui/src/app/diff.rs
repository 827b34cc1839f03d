//! The 3.14 ↔ 3.15 side-by-side view: the `dis` text (or the executors' micro-ops) of the same
//! snippet under both version profiles, aligned line by line. Presentation only: both disassemblies come from captures the
//! pipeline already made.

use cpyviz_model::capture::{Capture, Stage};
use similar::{ChangeTag, TextDiff};

/// One aligned row: the left (current version) and right (other version) lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiffRow {
    pub left: Option<String>,
    pub right: Option<String>,
    pub kind: DiffKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiffKind {
    Same,
    /// The line differs between the versions (both sides present).
    Changed,
    /// Only the left side has the line.
    Removed,
    /// Only the right side has the line.
    Added,
}

/// The disassembly of `stage` of `cap`, with code-object addresses masked (they differ between
/// any two compilations).
fn dis_text(cap: &Capture, stage: Stage) -> Option<String> {
    if stage == Stage::Uops {
        return crate::app::stages::executors(cap).map(cpyviz_model::uops::dump);
    }
    let code = crate::app::stages::code_of(cap, stage)?;
    let text = cpyviz_model::dis::dis(code, cap.python_version());
    Some(mask_addresses(&text))
}

fn mask_addresses(text: &str) -> String {
    cpyviz_model::dis::mask_addresses(text, "…")
}

/// The aligned rows of `stage` between `left` and `right`; `None` when a side has no such stage.
pub fn rows(left: &Capture, right: &Capture, stage: Stage) -> Option<Vec<DiffRow>> {
    let (a, b) = (dis_text(left, stage)?, dis_text(right, stage)?);
    let diff = TextDiff::from_lines(&a, &b);
    let mut out = Vec::new();
    for op in diff.ops() {
        let mut removed = Vec::new();
        let mut added = Vec::new();
        for change in diff.iter_changes(op) {
            let line = change.value().trim_end_matches('\n').to_string();
            match change.tag() {
                ChangeTag::Equal => out.push(DiffRow {
                    left: Some(line.clone()),
                    right: Some(line),
                    kind: DiffKind::Same,
                }),
                ChangeTag::Delete => removed.push(line),
                ChangeTag::Insert => added.push(line),
            }
        }
        // A replaced block pairs its lines up side by side.
        let n = removed.len().max(added.len());
        let (mut r, mut a) = (removed.into_iter(), added.into_iter());
        for _ in 0..n {
            let (l, rr) = (r.next(), a.next());
            let kind = match (&l, &rr) {
                (Some(_), Some(_)) => DiffKind::Changed,
                (Some(_), None) => DiffKind::Removed,
                _ => DiffKind::Added,
            };
            out.push(DiffRow {
                left: l,
                right: rr,
                kind,
            });
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_masked() {
        assert_eq!(
            mask_addresses("<code object f at 0x7f12ab, file \"t.py\", line 1>"),
            "<code object f at 0x…, file \"t.py\", line 1>"
        );
    }
}
