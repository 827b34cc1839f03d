//! One theme of RGB styles: screenshots never depend on a terminal's palette.

use ratatui::style::{Color, Modifier, Style};

pub struct Theme {
    pub bg: Color,
    pub fg: Color,
    pub dim: Color,
    pub border: Color,
    pub border_focus: Color,
    pub title: Style,
    pub header: Style,
    pub header_engine: Style,
    pub stage_current: Style,
    pub stage_ready: Style,
    pub stage_missing: Style,
    pub stage_failed: Style,
    pub gutter: Style,
    pub selection_row: Style,
    pub source_selection: Color,
    pub cursor: Style,
    pub error: Style,
    pub field: Style,
    pub node: Style,
    pub detail: Style,
    pub token_name: Style,
    pub token_number: Style,
    pub token_string: Style,
    pub token_op: Style,
    pub token_layout: Style,
    pub token_comment: Style,
    pub key: Style,
    pub text: Style,
    pub emphasis: Style,
    /// Bytecode: an instruction's name, a specialized form's name, jump labels.
    pub opname: Style,
    pub specialized: Style,
    /// The specialized stage: a one-time rewrite on first execution (`RESUME` →
    /// `RESUME_CHECK`), a form gone back to its adaptive one, an attempt that found no form.
    pub quickened: Style,
    pub deoptimized: Style,
    pub spec_failed: Style,
    /// The warm-up scrubber: the part of the run before the position, and after it.
    pub gauge_done: Style,
    pub gauge_rest: Style,
    pub label: Style,
    /// The version comparison: a line as the current version has it / as the other has it.
    pub diff_old: Style,
    pub diff_new: Style,
    /// Machine code: the bytes of a hole, and of the hole being stepped through.
    pub hole: Style,
    pub hole_selected: Style,
    /// Trampoline masks: a set bit, a clear one, the set bits counted below the selected
    /// symbol's, and the selected symbol's own bit.
    pub bit_set: Style,
    pub bit_clear: Style,
    pub bit_counted: Style,
    pub bit_selected: Style,
    /// A check that agrees (✓) or not (✗).
    pub ok: Style,
    pub bad: Style,
    /// The JIT panes' options bar.
    pub options: Style,
}

const fn rgb(r: u8, g: u8, b: u8) -> Color {
    Color::Rgb(r, g, b)
}

const fn fg(c: Color) -> Style {
    Style::new().fg(c)
}

pub const BG: Color = rgb(0x1b, 0x1f, 0x27);
pub const FG: Color = rgb(0xd8, 0xde, 0xe9);

pub const THEME: Theme = Theme {
    bg: BG,
    fg: FG,
    dim: rgb(0x7b, 0x85, 0x96),
    border: rgb(0x4c, 0x56, 0x6a),
    border_focus: rgb(0x88, 0xc0, 0xd0),
    title: Style::new()
        .fg(rgb(0xec, 0xef, 0xf4))
        .add_modifier(Modifier::BOLD),
    header: Style::new()
        .fg(rgb(0xec, 0xef, 0xf4))
        .bg(rgb(0x2e, 0x34, 0x40)),
    header_engine: Style::new()
        .fg(rgb(0x1b, 0x1f, 0x27))
        .bg(rgb(0xeb, 0xcb, 0x8b))
        .add_modifier(Modifier::BOLD),
    stage_current: Style::new()
        .fg(rgb(0x1b, 0x1f, 0x27))
        .bg(rgb(0x88, 0xc0, 0xd0))
        .add_modifier(Modifier::BOLD),
    stage_ready: fg(rgb(0xd8, 0xde, 0xe9)),
    stage_missing: fg(rgb(0x5c, 0x66, 0x7a)),
    stage_failed: fg(rgb(0xbf, 0x61, 0x6a)),
    gutter: fg(rgb(0x5c, 0x66, 0x7a)),
    selection_row: Style::new().bg(rgb(0x3b, 0x42, 0x52)),
    source_selection: rgb(0x5e, 0x81, 0xac),
    cursor: Style::new()
        .fg(rgb(0x1b, 0x1f, 0x27))
        .bg(rgb(0xd8, 0xde, 0xe9)),
    error: fg(rgb(0xbf, 0x61, 0x6a)),
    field: fg(rgb(0x7b, 0x85, 0x96)),
    node: Style::new()
        .fg(rgb(0x88, 0xc0, 0xd0))
        .add_modifier(Modifier::BOLD),
    detail: fg(rgb(0xa3, 0xbe, 0x8c)),
    token_name: fg(rgb(0x88, 0xc0, 0xd0)),
    token_number: fg(rgb(0xb4, 0x8e, 0xad)),
    token_string: fg(rgb(0xa3, 0xbe, 0x8c)),
    token_op: fg(rgb(0xeb, 0xcb, 0x8b)),
    token_layout: fg(rgb(0x7b, 0x85, 0x96)),
    token_comment: fg(rgb(0x61, 0x6e, 0x88)),
    key: Style::new()
        .fg(rgb(0xeb, 0xcb, 0x8b))
        .add_modifier(Modifier::BOLD),
    text: fg(FG),
    emphasis: Style::new()
        .fg(rgb(0xec, 0xef, 0xf4))
        .add_modifier(Modifier::BOLD),
    opname: fg(rgb(0x88, 0xc0, 0xd0)),
    specialized: Style::new()
        .fg(rgb(0xd0, 0x87, 0x70))
        .add_modifier(Modifier::BOLD),
    quickened: Style::new()
        .fg(rgb(0xa3, 0xbe, 0x8c))
        .add_modifier(Modifier::BOLD),
    deoptimized: Style::new()
        .fg(rgb(0xbf, 0x61, 0x6a))
        .add_modifier(Modifier::BOLD),
    spec_failed: Style::new()
        .fg(rgb(0xb4, 0x8e, 0xad))
        .add_modifier(Modifier::ITALIC),
    gauge_done: fg(rgb(0x88, 0xc0, 0xd0)),
    gauge_rest: fg(rgb(0x4c, 0x56, 0x6a)),
    label: fg(rgb(0xeb, 0xcb, 0x8b)),
    diff_old: Style::new()
        .fg(rgb(0xec, 0xef, 0xf4))
        .bg(rgb(0x5a, 0x2e, 0x36)),
    diff_new: Style::new()
        .fg(rgb(0xec, 0xef, 0xf4))
        .bg(rgb(0x2e, 0x4a, 0x36)),
    hole: Style::new()
        .fg(rgb(0xeb, 0xcb, 0x8b))
        .bg(rgb(0x4a, 0x40, 0x2a)),
    hole_selected: Style::new()
        .fg(rgb(0x1b, 0x1f, 0x27))
        .bg(rgb(0xd0, 0x87, 0x70))
        .add_modifier(Modifier::BOLD),
    bit_set: Style::new()
        .fg(rgb(0x88, 0xc0, 0xd0))
        .add_modifier(Modifier::BOLD),
    bit_clear: fg(rgb(0x4c, 0x56, 0x6a)),
    bit_counted: Style::new()
        .fg(rgb(0x1b, 0x1f, 0x27))
        .bg(rgb(0xa3, 0xbe, 0x8c))
        .add_modifier(Modifier::BOLD),
    bit_selected: Style::new()
        .fg(rgb(0x1b, 0x1f, 0x27))
        .bg(rgb(0xb4, 0x8e, 0xad))
        .add_modifier(Modifier::BOLD),
    ok: fg(rgb(0xa3, 0xbe, 0x8c)),
    bad: Style::new()
        .fg(rgb(0xbf, 0x61, 0x6a))
        .add_modifier(Modifier::BOLD),
    options: Style::new()
        .fg(rgb(0xd8, 0xde, 0xe9))
        .bg(rgb(0x2e, 0x34, 0x40)),
};

#[cfg(test)]
mod tests {
    use super::*;

    /// Screenshots and terminals must agree: every colour of the theme is RGB.
    #[test]
    fn every_colour_is_rgb() {
        let t = &THEME;
        let colours = [
            t.bg,
            t.fg,
            t.dim,
            t.border,
            t.border_focus,
            t.source_selection,
        ];
        let styles = [
            t.title,
            t.header,
            t.header_engine,
            t.stage_current,
            t.stage_ready,
            t.stage_missing,
            t.stage_failed,
            t.gutter,
            t.selection_row,
            t.cursor,
            t.error,
            t.field,
            t.node,
            t.detail,
            t.token_name,
            t.token_number,
            t.token_string,
            t.token_op,
            t.token_layout,
            t.token_comment,
            t.key,
            t.text,
            t.emphasis,
            t.opname,
            t.specialized,
            t.quickened,
            t.deoptimized,
            t.spec_failed,
            t.gauge_done,
            t.gauge_rest,
            t.label,
            t.diff_old,
            t.diff_new,
            t.hole,
            t.hole_selected,
            t.bit_set,
            t.bit_clear,
            t.bit_counted,
            t.bit_selected,
            t.ok,
            t.bad,
            t.options,
        ];
        let all = colours
            .into_iter()
            .chain(styles.iter().flat_map(|s| s.fg.into_iter().chain(s.bg)));
        for c in all {
            assert!(matches!(c, Color::Rgb(..)), "{c:?} is not RGB");
        }
        // The specialized stage's forms are told apart by their colours.
        let forms = [
            t.opname,
            t.specialized,
            t.quickened,
            t.deoptimized,
            t.spec_failed,
        ];
        for (i, a) in forms.iter().enumerate() {
            for b in &forms[i + 1..] {
                assert_ne!(a.fg, b.fg);
            }
        }
        // The highlights the JIT panes rely on are told apart by their backgrounds.
        let bgs = [
            t.hole,
            t.hole_selected,
            t.bit_counted,
            t.bit_selected,
            t.header_engine,
        ];
        for (i, a) in bgs.iter().enumerate() {
            for b in &bgs[i + 1..] {
                assert_ne!(a.bg, b.bg);
            }
        }
    }
}
