//! SVG writer: one `<rect>` per background run, one `<text>` per run of same-style glyphs with an
//! explicit x for every glyph, then underline / strike-through rects.

use std::fmt::Write as _;

use ratatui::buffer::Buffer;

use super::{
    canvas_size, escape, hex, num, ExportOptions, Grid, GridCell, TextStyle, ASCENT, CELL_HEIGHT,
    CELL_WIDTH, FONT_SIZE, STRIKE_POS, STRIKE_SIZE, UNDERLINE_POS, UNDERLINE_SIZE,
};

/// Background rects reach this far into the next row, and into the next run to the right when
/// that run is painted too, so anti-aliased edges of neighbouring rects never leave a seam. Rects
/// are drawn row by row, left to right, so the neighbour always paints over the overlap.
const OVERLAP: f64 = 0.5;
/// Slant of the synthetic italic, in degrees.
const ITALIC_SKEW: f64 = -12.0;

/// Render `buf` as a standalone SVG document.
pub fn to_svg(buf: &Buffer, opts: &ExportOptions) -> String {
    let grid = Grid::new(buf, opts.default_fg, opts.default_bg);
    let (w, h) = canvas_size(grid.width, grid.height);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}">"#
    );
    if let Some(title) = &opts.title {
        let _ = writeln!(out, "<title>{}</title>", escape(title));
    }
    let _ = writeln!(
        out,
        r#"<rect width="{w}" height="{h}" fill="{}"/>"#,
        hex(opts.default_bg)
    );

    // Backgrounds.
    out.push_str("<g>\n");
    for (y, row) in grid.rows.iter().enumerate() {
        let y0 = y as f64 * CELL_HEIGHT;
        let y1 = if y + 1 == grid.height {
            f64::from(h)
        } else {
            (y + 1) as f64 * CELL_HEIGHT + OVERLAP
        };
        for (start, end, bg) in runs(row, |c| c.bg) {
            // A default-colour run is already painted by the canvas rect; it needs its own rect
            // only to cover the overlap of painted rects above it.
            if bg == opts.default_bg
                && (y == 0
                    || grid.rows[y - 1][start..end]
                        .iter()
                        .all(|c| c.bg == opts.default_bg))
            {
                continue;
            }
            let x0 = start as f64 * CELL_WIDTH;
            let x1 = if end == grid.width {
                f64::from(w)
            } else if row[end].bg != opts.default_bg {
                end as f64 * CELL_WIDTH + OVERLAP
            } else {
                end as f64 * CELL_WIDTH
            };
            let _ = writeln!(
                out,
                r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>"#,
                num(x0),
                num(y0),
                num(x1 - x0),
                num(y1 - y0),
                hex(bg)
            );
        }
    }
    out.push_str("</g>\n");

    // Text.
    let _ = writeln!(
        out,
        r#"<g font-family="DejaVu Sans Mono, monospace" font-size="{}" xml:space="preserve">"#,
        num(FONT_SIZE)
    );
    for (y, row) in grid.rows.iter().enumerate() {
        let baseline = y as f64 * CELL_HEIGHT + ASCENT * FONT_SIZE;
        for run in text_runs(row) {
            write_text(&mut out, &run, baseline);
        }
    }
    out.push_str("</g>\n");

    // Decorations.
    let mut deco = String::new();
    for (y, row) in grid.rows.iter().enumerate() {
        let baseline = y as f64 * CELL_HEIGHT + ASCENT * FONT_SIZE;
        let lines = [
            (
                (|c: &GridCell| c.underline) as fn(&GridCell) -> bool,
                baseline + UNDERLINE_POS * FONT_SIZE,
                UNDERLINE_SIZE,
            ),
            (
                |c: &GridCell| c.strike,
                baseline - STRIKE_POS * FONT_SIZE,
                STRIKE_SIZE,
            ),
        ];
        for (has, top, size) in lines {
            let key = |c: &GridCell| (has(c) && !c.hidden).then_some(c.text.fg);
            for (start, end, fg) in runs(row, key) {
                let Some(fg) = fg else { continue };
                let _ = writeln!(
                    deco,
                    r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>"#,
                    num(start as f64 * CELL_WIDTH),
                    num(top),
                    num((end - start) as f64 * CELL_WIDTH),
                    num((size * FONT_SIZE).max(1.0)),
                    hex(fg)
                );
            }
        }
    }
    if !deco.is_empty() {
        out.push_str("<g>\n");
        out.push_str(&deco);
        out.push_str("</g>\n");
    }
    out.push_str("</svg>\n");
    out
}

/// Maximal runs `(start, end, key)` of consecutive cells with equal `key`.
fn runs<K: PartialEq + Copy>(
    row: &[GridCell],
    key: impl Fn(&GridCell) -> K,
) -> Vec<(usize, usize, K)> {
    let mut out: Vec<(usize, usize, K)> = Vec::new();
    for (x, cell) in row.iter().enumerate() {
        let k = key(cell);
        match out.last_mut() {
            Some((_, end, last)) if *last == k => *end = x + 1,
            _ => out.push((x, x + 1, k)),
        }
    }
    out
}

/// A run of glyphs drawn by one `<text>`: every char has its own x.
struct TextRun {
    style: TextStyle,
    /// `(column, symbol)`; a symbol of several chars (a grapheme cluster) is always alone.
    glyphs: Vec<(usize, String)>,
}

/// Group a row's glyphs into runs of equal style, bridging single blank cells with a space.
fn text_runs(row: &[GridCell]) -> Vec<TextRun> {
    let mut out: Vec<TextRun> = Vec::new();
    let mut next_col = 0usize; // column after the last glyph of the current run
    for (x, cell) in row.iter().enumerate() {
        if !cell.has_glyph() {
            continue;
        }
        let single = cell.symbol.chars().count() == 1;
        let joinable = match out.last() {
            Some(run) => {
                single
                    && run.style == cell.text
                    && run.glyphs.iter().all(|(_, s)| s.chars().count() == 1)
                    && x <= next_col + 1
            }
            None => false,
        };
        match out.last_mut() {
            Some(run) if joinable => {
                if x == next_col + 1 {
                    run.glyphs.push((next_col, " ".to_string()));
                }
                run.glyphs.push((x, cell.symbol.clone()));
            }
            _ => out.push(TextRun {
                style: cell.text,
                glyphs: vec![(x, cell.symbol.clone())],
            }),
        }
        next_col = x + cell.width;
    }
    out
}

fn write_text(out: &mut String, run: &TextRun, baseline: f64) {
    let mut xs: Vec<String> = Vec::new();
    let mut text = String::new();
    for (col, symbol) in &run.glyphs {
        let x = num(*col as f64 * CELL_WIDTH);
        // One x per char; a multi-char symbol (always alone in its run) gets one x.
        if symbol.chars().count() == 1 || xs.is_empty() {
            xs.push(x);
        }
        text.push_str(&escape(symbol));
    }
    let xs = xs.join(" ");
    let weight = if run.style.bold {
        r#" font-weight="bold""#
    } else {
        ""
    };
    let fill = hex(run.style.fg);
    if run.style.italic {
        let _ = writeln!(
            out,
            r#"<text x="{xs}" y="0" transform="translate(0 {}) skewX({})" fill="{fill}"{weight}>{text}</text>"#,
            num(baseline),
            num(ITALIC_SKEW)
        );
    } else {
        let _ = writeln!(
            out,
            r#"<text x="{xs}" y="{}" fill="{fill}"{weight}>{text}</text>"#,
            num(baseline)
        );
    }
}
