//! HTML writer: a standalone page with one `<pre>` of styled spans and the bundled font
//! embedded as base64 `@font-face`.

use std::fmt::Write as _;

use base64::Engine as _;
use ratatui::buffer::Buffer;

use super::{
    escape, hex, num, ExportOptions, Grid, GridCell, Rgb, TextStyle, ASCENT, DESCENT, FONT_BOLD,
    FONT_REGULAR, FONT_SIZE,
};

/// Family name the page gives the embedded faces (so a different installed "DejaVu Sans Mono"
/// can never be picked instead).
const EMBEDDED_FAMILY: &str = "cpyviz DejaVu Sans Mono";

/// Render `buf` as a standalone HTML page.
pub fn to_html(buf: &Buffer, opts: &ExportOptions) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut fonts = String::new();
    for (weight, data) in [(400, FONT_REGULAR), (700, FONT_BOLD)] {
        let _ = writeln!(
            fonts,
            "@font-face {{ font-family: \"{EMBEDDED_FAMILY}\"; font-style: normal; font-weight: {weight}; \
             src: url(data:font/ttf;base64,{}) format(\"truetype\"); }}",
            b64.encode(data)
        );
    }
    html_page(buf, opts, &fonts)
}

/// Style of a `<span>`: everything but the symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SpanStyle {
    bg: Rgb,
    text: TextStyle,
    underline: bool,
    strike: bool,
    hidden: bool,
}

impl SpanStyle {
    fn of(c: &GridCell) -> SpanStyle {
        SpanStyle {
            bg: c.bg,
            text: c.text,
            underline: c.underline,
            strike: c.strike,
            hidden: c.hidden,
        }
    }

    fn css(&self, opts: &ExportOptions) -> String {
        let mut css = String::new();
        if self.text.fg != opts.default_fg {
            let _ = write!(css, "color: {}; ", hex(self.text.fg));
        }
        if self.bg != opts.default_bg {
            let _ = write!(css, "background: {}; ", hex(self.bg));
        }
        if self.text.bold {
            css.push_str("font-weight: 700; ");
        }
        if self.text.italic {
            css.push_str("font-style: italic; ");
        }
        match (self.underline, self.strike) {
            (true, true) => css.push_str("text-decoration: underline line-through; "),
            (true, false) => css.push_str("text-decoration: underline; "),
            (false, true) => css.push_str("text-decoration: line-through; "),
            (false, false) => {}
        }
        if self.hidden {
            // Not `visibility: hidden`, which would hide the background too.
            css.push_str("color: transparent; ");
        }
        css.trim_end().to_string()
    }
}

/// The page around `font_css` (the `@font-face` rules; tests pass a stub).
pub(super) fn html_page(buf: &Buffer, opts: &ExportOptions, font_css: &str) -> String {
    let grid = Grid::new(buf, opts.default_fg, opts.default_bg);

    // Class per distinct style, numbered in order of first appearance (deterministic).
    let mut styles: Vec<SpanStyle> = Vec::new();
    let mut body = String::new();
    for row in &grid.rows {
        // Drop trailing default blanks.
        let default_blank = |c: &GridCell| {
            c.width == 0 || (!c.has_glyph() && c.bg == opts.default_bg && !c.underline && !c.strike)
        };
        let len = row.len() - row.iter().rev().take_while(|c| default_blank(c)).count();
        let mut open: Option<SpanStyle> = None;
        for cell in &row[..len] {
            if cell.width == 0 {
                continue;
            }
            let style = Some(SpanStyle::of(cell)).filter(|s| !s.css(opts).is_empty());
            if open != style {
                if open.is_some() {
                    body.push_str("</span>");
                }
                if let Some(style) = style {
                    let idx = match styles.iter().position(|s| *s == style) {
                        Some(i) => i,
                        None => {
                            styles.push(style);
                            styles.len() - 1
                        }
                    };
                    let _ = write!(body, "<span class=\"s{idx}\">");
                }
                open = style;
            }
            let symbol = if cell.hidden {
                " "
            } else {
                cell.symbol.as_str()
            };
            if cell.width > 1 {
                let _ = write!(
                    body,
                    "<span class=\"w{}\">{}</span>",
                    cell.width,
                    escape(symbol)
                );
            } else {
                body.push_str(&escape(symbol));
            }
        }
        if open.is_some() {
            body.push_str("</span>");
        }
        body.push('\n');
    }

    let mut widths: Vec<usize> = Vec::new();
    for row in &grid.rows {
        for c in row {
            if c.width > 1 && !widths.contains(&c.width) {
                widths.push(c.width);
            }
        }
    }
    widths.sort_unstable();

    let title = escape(opts.title.as_deref().unwrap_or("cpyviz screenshot"));
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(out, "<title>{title}</title>");
    out.push_str("<style>\n");
    out.push_str(font_css);
    let _ = writeln!(
        out,
        "body {{ margin: 0; padding: 16px; background: {bg}; }}\n\
         pre.cpyviz {{ display: inline-block; margin: 0; padding: 0; \
         font-family: \"{EMBEDDED_FAMILY}\", \"DejaVu Sans Mono\", monospace; \
         font-size: {size}px; line-height: {lh:.4}; font-variant-ligatures: none; \
         font-kerning: none; color: {fg}; background: {bg}; }}",
        bg = hex(opts.default_bg),
        fg = hex(opts.default_fg),
        size = num(FONT_SIZE),
        lh = ASCENT + DESCENT,
    );
    for w in &widths {
        // Wide characters (often from a fallback font) take exactly `w` cells.
        let _ = writeln!(
            out,
            "pre.cpyviz .w{w} {{ display: inline-block; width: {w}ch; overflow: hidden; vertical-align: top; }}"
        );
    }
    for (i, s) in styles.iter().enumerate() {
        let _ = writeln!(out, "pre.cpyviz .s{i} {{ {} }}", s.css(opts));
    }
    out.push_str("</style>\n</head>\n<body>\n<pre class=\"cpyviz\">");
    out.push_str(&body);
    out.push_str("</pre>\n</body>\n</html>\n");
    out
}
