//! The viewer's themes, each all RGB styles so screenshots never depend on a terminal's
//! palette: [`DARK`] (the default), [`LIGHT`] (blog posts, print) and [`HIGH_CONTRAST`]
//! (projectors). The `App` holds its [`ThemeName`]; the render code reads `app.theme()`.

use ratatui::style::{Color, Modifier, Style};

/// The themes by name (`--theme`, the `T` key).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ThemeName {
    #[default]
    Dark,
    Light,
    HighContrast,
}

impl ThemeName {
    /// Every theme, in the order `T` cycles through them.
    pub const ALL: [ThemeName; 3] = [ThemeName::Dark, ThemeName::Light, ThemeName::HighContrast];

    /// The name on the command line: `dark`, `light`, `high-contrast`.
    pub fn name(self) -> &'static str {
        match self {
            ThemeName::Dark => "dark",
            ThemeName::Light => "light",
            ThemeName::HighContrast => "high-contrast",
        }
    }

    pub fn from_name(name: &str) -> Option<ThemeName> {
        ThemeName::ALL.into_iter().find(|t| t.name() == name)
    }

    pub fn theme(self) -> &'static Theme {
        match self {
            ThemeName::Dark => &DARK,
            ThemeName::Light => &LIGHT,
            ThemeName::HighContrast => &HIGH_CONTRAST,
        }
    }

    /// The next theme (after the last, the first).
    pub fn next(self) -> ThemeName {
        let i = ThemeName::ALL.iter().position(|t| *t == self).unwrap_or(0);
        ThemeName::ALL[(i + 1) % ThemeName::ALL.len()]
    }
}

/// The source pane's colours: a theme of syntect's defaults, and colours of its palette
/// replaced by others (`0xrrggbb` → `0xrrggbb`).
#[derive(Debug)]
pub struct SyntaxColours {
    pub syntect: &'static str,
    pub remap: &'static [(u32, u32)],
}

pub struct Theme {
    /// The source pane's syntax colours.
    pub syntax: SyntaxColours,
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

const BG: Color = rgb(0x1b, 0x1f, 0x27);
const FG: Color = rgb(0xd8, 0xde, 0xe9);

/// The default: a dark, Nord-like palette.
pub const DARK: Theme = Theme {
    syntax: SyntaxColours {
        syntect: "base16-ocean.dark",
        remap: &[],
    },
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

/// Dark text on white, for blog posts and printing (GitHub-like colours).
pub const LIGHT: Theme = Theme {
    syntax: SyntaxColours {
        syntect: "InspiredGitHub",
        remap: &[],
    },
    bg: rgb(0xff, 0xff, 0xff),
    fg: rgb(0x24, 0x29, 0x2f),
    dim: rgb(0x57, 0x60, 0x6a),
    border: rgb(0xaf, 0xb8, 0xc1),
    border_focus: rgb(0x09, 0x69, 0xda),
    title: Style::new()
        .fg(rgb(0x1f, 0x23, 0x28))
        .add_modifier(Modifier::BOLD),
    header: Style::new()
        .fg(rgb(0x1f, 0x23, 0x28))
        .bg(rgb(0xea, 0xee, 0xf2)),
    header_engine: Style::new()
        .fg(rgb(0xff, 0xff, 0xff))
        .bg(rgb(0x9a, 0x67, 0x00))
        .add_modifier(Modifier::BOLD),
    stage_current: Style::new()
        .fg(rgb(0xff, 0xff, 0xff))
        .bg(rgb(0x09, 0x69, 0xda))
        .add_modifier(Modifier::BOLD),
    stage_ready: fg(rgb(0x24, 0x29, 0x2f)),
    stage_missing: fg(rgb(0x8c, 0x95, 0x9f)),
    stage_failed: fg(rgb(0xcf, 0x22, 0x2e)),
    gutter: fg(rgb(0x6e, 0x77, 0x81)),
    selection_row: Style::new().bg(rgb(0xdd, 0xf4, 0xff)),
    source_selection: rgb(0xb6, 0xe3, 0xff),
    cursor: Style::new()
        .fg(rgb(0xff, 0xff, 0xff))
        .bg(rgb(0x24, 0x29, 0x2f)),
    error: fg(rgb(0xcf, 0x22, 0x2e)),
    field: fg(rgb(0x57, 0x60, 0x6a)),
    node: Style::new()
        .fg(rgb(0x05, 0x50, 0xae))
        .add_modifier(Modifier::BOLD),
    detail: fg(rgb(0x1a, 0x7f, 0x37)),
    token_name: fg(rgb(0x05, 0x50, 0xae)),
    token_number: fg(rgb(0x82, 0x50, 0xdf)),
    token_string: fg(rgb(0x1a, 0x7f, 0x37)),
    token_op: fg(rgb(0x95, 0x38, 0x00)),
    token_layout: fg(rgb(0x57, 0x60, 0x6a)),
    token_comment: fg(rgb(0x6e, 0x77, 0x81)),
    key: Style::new()
        .fg(rgb(0x95, 0x38, 0x00))
        .add_modifier(Modifier::BOLD),
    text: fg(rgb(0x24, 0x29, 0x2f)),
    emphasis: Style::new()
        .fg(rgb(0x1f, 0x23, 0x28))
        .add_modifier(Modifier::BOLD),
    opname: fg(rgb(0x05, 0x50, 0xae)),
    specialized: Style::new()
        .fg(rgb(0xbc, 0x4c, 0x00))
        .add_modifier(Modifier::BOLD),
    quickened: Style::new()
        .fg(rgb(0x1a, 0x7f, 0x37))
        .add_modifier(Modifier::BOLD),
    deoptimized: Style::new()
        .fg(rgb(0xcf, 0x22, 0x2e))
        .add_modifier(Modifier::BOLD),
    spec_failed: Style::new()
        .fg(rgb(0x82, 0x50, 0xdf))
        .add_modifier(Modifier::ITALIC),
    gauge_done: fg(rgb(0x09, 0x69, 0xda)),
    gauge_rest: fg(rgb(0xd0, 0xd7, 0xde)),
    label: fg(rgb(0x95, 0x38, 0x00)),
    diff_old: Style::new()
        .fg(rgb(0x1f, 0x23, 0x28))
        .bg(rgb(0xff, 0xeb, 0xe9)),
    diff_new: Style::new()
        .fg(rgb(0x1f, 0x23, 0x28))
        .bg(rgb(0xda, 0xfb, 0xe1)),
    hole: Style::new()
        .fg(rgb(0x7d, 0x4e, 0x00))
        .bg(rgb(0xff, 0xf8, 0xc5)),
    hole_selected: Style::new()
        .fg(rgb(0xff, 0xff, 0xff))
        .bg(rgb(0xbc, 0x4c, 0x00))
        .add_modifier(Modifier::BOLD),
    bit_set: Style::new()
        .fg(rgb(0x09, 0x69, 0xda))
        .add_modifier(Modifier::BOLD),
    bit_clear: fg(rgb(0xaf, 0xb8, 0xc1)),
    bit_counted: Style::new()
        .fg(rgb(0xff, 0xff, 0xff))
        .bg(rgb(0x1a, 0x7f, 0x37))
        .add_modifier(Modifier::BOLD),
    bit_selected: Style::new()
        .fg(rgb(0xff, 0xff, 0xff))
        .bg(rgb(0x82, 0x50, 0xdf))
        .add_modifier(Modifier::BOLD),
    ok: fg(rgb(0x1a, 0x7f, 0x37)),
    bad: Style::new()
        .fg(rgb(0xcf, 0x22, 0x2e))
        .add_modifier(Modifier::BOLD),
    options: Style::new()
        .fg(rgb(0x24, 0x29, 0x2f))
        .bg(rgb(0xea, 0xee, 0xf2)),
};

/// White on black with strong saturated colours and no dim greys, for projectors.
pub const HIGH_CONTRAST: Theme = Theme {
    syntax: SyntaxColours {
        syntect: "base16-ocean.dark",
        // base16-ocean's palette → saturated colours on black.
        remap: &[
            (0xc0c5ce, 0xffffff), // text
            (0x65737e, 0xc6c6c6), // comments
            (0xbf616a, 0xff5f5f), // red
            (0xd08770, 0xff8700), // orange
            (0xebcb8b, 0xffff00), // yellow
            (0xa3be8c, 0x5fff5f), // green
            (0x96b5b4, 0x00ffff), // cyan
            (0x8fa1b3, 0x5fafff), // blue
            (0xb48ead, 0xff87ff), // purple
            (0xab7967, 0xffaf5f), // brown
        ],
    },
    bg: rgb(0x00, 0x00, 0x00),
    fg: rgb(0xff, 0xff, 0xff),
    dim: rgb(0xd0, 0xd0, 0xd0),
    border: rgb(0xc0, 0xc0, 0xc0),
    border_focus: rgb(0x00, 0xff, 0xff),
    title: Style::new()
        .fg(rgb(0xff, 0xff, 0xff))
        .add_modifier(Modifier::BOLD),
    header: Style::new()
        .fg(rgb(0xff, 0xff, 0xff))
        .bg(rgb(0x30, 0x30, 0x30)),
    header_engine: Style::new()
        .fg(rgb(0x00, 0x00, 0x00))
        .bg(rgb(0xff, 0xd7, 0x00))
        .add_modifier(Modifier::BOLD),
    stage_current: Style::new()
        .fg(rgb(0x00, 0x00, 0x00))
        .bg(rgb(0x00, 0xff, 0xff))
        .add_modifier(Modifier::BOLD),
    stage_ready: fg(rgb(0xff, 0xff, 0xff)),
    stage_missing: fg(rgb(0xb2, 0xb2, 0xb2)),
    stage_failed: fg(rgb(0xff, 0x5f, 0x5f)),
    gutter: fg(rgb(0xc6, 0xc6, 0xc6)),
    selection_row: Style::new().bg(rgb(0x00, 0x2b, 0x6e)),
    source_selection: rgb(0x00, 0x2b, 0x6e),
    cursor: Style::new()
        .fg(rgb(0x00, 0x00, 0x00))
        .bg(rgb(0xff, 0xff, 0xff)),
    error: fg(rgb(0xff, 0x5f, 0x5f)),
    field: fg(rgb(0xd0, 0xd0, 0xd0)),
    node: Style::new()
        .fg(rgb(0x00, 0xff, 0xff))
        .add_modifier(Modifier::BOLD),
    detail: fg(rgb(0x5f, 0xff, 0x5f)),
    token_name: fg(rgb(0x00, 0xff, 0xff)),
    token_number: fg(rgb(0xff, 0x87, 0xff)),
    token_string: fg(rgb(0x5f, 0xff, 0x5f)),
    token_op: fg(rgb(0xff, 0xff, 0x00)),
    token_layout: fg(rgb(0xd0, 0xd0, 0xd0)),
    token_comment: fg(rgb(0xc6, 0xc6, 0xc6)),
    key: Style::new()
        .fg(rgb(0xff, 0xff, 0x00))
        .add_modifier(Modifier::BOLD),
    text: fg(rgb(0xff, 0xff, 0xff)),
    emphasis: Style::new()
        .fg(rgb(0xff, 0xff, 0xff))
        .add_modifier(Modifier::BOLD),
    opname: fg(rgb(0x00, 0xff, 0xff)),
    specialized: Style::new()
        .fg(rgb(0xff, 0x87, 0x00))
        .add_modifier(Modifier::BOLD),
    quickened: Style::new()
        .fg(rgb(0x5f, 0xff, 0x5f))
        .add_modifier(Modifier::BOLD),
    deoptimized: Style::new()
        .fg(rgb(0xff, 0x5f, 0x5f))
        .add_modifier(Modifier::BOLD),
    spec_failed: Style::new()
        .fg(rgb(0xff, 0x87, 0xff))
        .add_modifier(Modifier::ITALIC),
    gauge_done: fg(rgb(0x00, 0xff, 0xff)),
    gauge_rest: fg(rgb(0xa8, 0xa8, 0xa8)),
    label: fg(rgb(0xff, 0xff, 0x00)),
    diff_old: Style::new()
        .fg(rgb(0xff, 0xff, 0xff))
        .bg(rgb(0x87, 0x00, 0x00)),
    diff_new: Style::new()
        .fg(rgb(0xff, 0xff, 0xff))
        .bg(rgb(0x00, 0x5f, 0x00)),
    hole: Style::new()
        .fg(rgb(0xff, 0xff, 0x5f))
        .bg(rgb(0x4e, 0x3a, 0x00)),
    hole_selected: Style::new()
        .fg(rgb(0x00, 0x00, 0x00))
        .bg(rgb(0xff, 0x87, 0x00))
        .add_modifier(Modifier::BOLD),
    bit_set: Style::new()
        .fg(rgb(0x00, 0xff, 0xff))
        .add_modifier(Modifier::BOLD),
    bit_clear: fg(rgb(0xa8, 0xa8, 0xa8)),
    bit_counted: Style::new()
        .fg(rgb(0x00, 0x00, 0x00))
        .bg(rgb(0x5f, 0xff, 0x5f))
        .add_modifier(Modifier::BOLD),
    bit_selected: Style::new()
        .fg(rgb(0x00, 0x00, 0x00))
        .bg(rgb(0xff, 0x87, 0xff))
        .add_modifier(Modifier::BOLD),
    ok: fg(rgb(0x5f, 0xff, 0x5f)),
    bad: Style::new()
        .fg(rgb(0xff, 0x5f, 0x5f))
        .add_modifier(Modifier::BOLD),
    options: Style::new()
        .fg(rgb(0xff, 0xff, 0xff))
        .bg(rgb(0x30, 0x30, 0x30)),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_cycle() {
        for t in ThemeName::ALL {
            assert_eq!(ThemeName::from_name(t.name()), Some(t));
        }
        assert_eq!(ThemeName::from_name("solarized"), None);
        assert_eq!(ThemeName::Dark.next(), ThemeName::Light);
        assert_eq!(ThemeName::Light.next(), ThemeName::HighContrast);
        assert_eq!(ThemeName::HighContrast.next(), ThemeName::Dark);
    }

    /// WCAG 2 contrast ratio of two RGB colours.
    fn contrast(a: Color, b: Color) -> f64 {
        let lum = |c: Color| {
            let Color::Rgb(r, g, b) = c else {
                panic!("{c:?} is not RGB")
            };
            let f = |v: u8| {
                let c = f64::from(v) / 255.0;
                if c <= 0.03928 {
                    c / 12.92
                } else {
                    ((c + 0.055) / 1.055).powf(2.4)
                }
            };
            0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b)
        };
        let (x, y) = (lum(a), lum(b));
        (x.max(y) + 0.05) / (x.min(y) + 0.05)
    }

    /// The light theme's text reads on paper (WCAG AA, 4.5:1); the high-contrast theme's on a
    /// projector (AAA, 7:1), its selections too.
    #[test]
    fn text_has_contrast() {
        for (t, min) in [(&LIGHT, 4.5), (&HIGH_CONTRAST, 7.0)] {
            let text = [
                t.text,
                t.gutter,
                t.field,
                t.detail,
                t.node,
                t.error,
                t.key,
                t.emphasis,
                t.label,
                t.token_name,
                t.token_number,
                t.token_string,
                t.token_op,
                t.token_layout,
                t.token_comment,
                t.opname,
                t.specialized,
                t.quickened,
                t.deoptimized,
                t.spec_failed,
                t.ok,
                t.bad,
                t.stage_ready,
                t.stage_failed,
            ];
            for s in text {
                let fg = s.fg.unwrap();
                assert!(contrast(fg, t.bg) >= min, "{fg:?} on {:?}", t.bg);
            }
            for s in [
                t.header,
                t.options,
                t.header_engine,
                t.stage_current,
                t.cursor,
            ] {
                let (fg, bg) = (s.fg.unwrap(), s.bg.unwrap());
                assert!(contrast(fg, bg) >= min, "{fg:?} on {bg:?}");
            }
        }
        for s in [
            HIGH_CONTRAST.text,
            HIGH_CONTRAST.opname,
            HIGH_CONTRAST.field,
        ] {
            let bg = HIGH_CONTRAST.selection_row.bg.unwrap();
            assert!(contrast(s.fg.unwrap(), bg) >= 7.0);
        }
    }

    /// Screenshots and terminals must agree: every colour of every theme is RGB.
    #[test]
    fn every_colour_is_rgb() {
        for name in ThemeName::ALL {
            check_theme(name.theme());
        }
    }

    fn check_theme(t: &Theme) {
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
