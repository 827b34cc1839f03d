//! Screenshot exporter: turns a rendered [`Buffer`] (the same buffer the TUI draws, rendered
//! headless) into deterministic `.svg`, `.png`, `.html`, `.txt`, `.cast` (asciinema) and
//! `.gif` files, and a sequence of buffers into an animated `.cast` or `.gif` ([`animate`]).
//!
//! All the writers read the buffer through one cell model (`Grid`), so they agree on colours,
//! modifiers and wide characters:
//!
//! - Colours: `Color::Rgb` is used as is, `Color::Reset` maps to [`ExportOptions::default_fg`] /
//!   [`ExportOptions::default_bg`], and named / indexed colours go through the fixed xterm
//!   palette in [`xterm_rgb`], so the output never depends on a terminal's theme.
//! - Modifiers: `REVERSED` swaps fg/bg; `DIM` moves the fg a third of the way toward the bg;
//!   `BOLD` uses the bold face; `ITALIC` slants (a synthetic 12° oblique in SVG/PNG, since only
//!   the regular and bold faces are bundled; box-drawing and block characters stay upright);
//!   `UNDERLINED` and `CROSSED_OUT` draw lines in the fg colour; `HIDDEN` paints only the
//!   background. Blinking is ignored.
//! - Wide characters: a symbol `n` columns wide (`CellWidth`, which honours
//!   `CellDiffOption::ForcedWidth`) covers the next `n - 1` cells, which are skipped (they take
//!   the wide character's background). Cells marked `CellDiffOption::Skip` (or the deprecated
//!   `skip`) paint their background but no glyph. Terminal escape sequences in symbols (OSC 8
//!   hyperlinks) and control characters are dropped.
//!
//! ## Fonts
//! DejaVu Sans Mono regular and bold are bundled in `assets/fonts/` (Bitstream Vera / DejaVu
//! license, `assets/fonts/LICENSE-DejaVu.txt`) and compiled in with `include_bytes!`.
//! - PNG is rendered in process by resvg from the SVG with *only* these two fonts (system fonts
//!   are never loaded), so PNGs are identical on every machine. Characters the font lacks (CJK,
//!   emoji) show as DejaVu's missing-glyph box, still at their exact cells.
//! - HTML embeds both faces as base64 `@font-face`, so the page looks the same in any browser.
//! - SVG does *not* embed the fonts (that would add ~900 KB to every file); it asks for
//!   `font-family="DejaVu Sans Mono, monospace"`. Every glyph has an explicit x position, so
//!   even with a fallback monospace font nothing drifts; for pixel-exact images use PNG.
//!
//! ## Geometry
//! One cell is `0.602 em` wide (DejaVu Sans Mono's advance, 1233/2048) and exactly
//! `ascent + descent = 1.164 em` high (2384/2048), so box-drawing glyphs join without gaps.
//! The font size is [`FONT_SIZE`] px.
//!
//! Output is deterministic: the same buffer always gives byte-identical files.
//!
//! ## Animations
//! A sequence of [`Frame`]s (each a `Buffer`, its [`ExportOptions`] and the seconds it is
//! shown) becomes an animation with [`animate`]:
//!
//! ```no_run
//! # use cpyviz_export::{animate, AnimFormat, ExportOptions, Frame};
//! # let (first, second) = (ratatui::buffer::Buffer::empty(ratatui::layout::Rect::new(0, 0, 80, 24)), ratatui::buffer::Buffer::empty(ratatui::layout::Rect::new(0, 0, 80, 24)));
//! let frames = vec![
//!     Frame { buffer: first, options: ExportOptions::default(), seconds: 2.0 },
//!     Frame { buffer: second, options: ExportOptions::default(), seconds: 3.5 },
//! ];
//! let gif: Vec<u8> = animate(&frames, AnimFormat::Gif, 1.0)?; // pixels: the PNG's x 1.0
//! let cast: Vec<u8> = animate(&frames, AnimFormat::Cast, 1.0)?; // scale unused
//! # Ok::<(), String>(())
//! ```
//!
//! - [`to_cast`]: an asciinema v2 recording (`.cast`): a JSON header line (width, height,
//!   title, `env`), then one `[time, "o", data]` event per frame whose data redraws the whole
//!   screen with 24-bit colours ([`to_ansi`], the ANSI writer), and a last event at the total
//!   duration.
//! - [`to_gif`]: an animated GIF: each frame rendered to pixels exactly as the PNG is (resvg,
//!   bundled fonts, at the given scale), quantized to a 256-colour palette per frame (NeuQuant,
//!   from the `gif` crate), its delay the frame's seconds in hundredths (at least 0.02 s).
//!
//! All frames must have one size. [`export`] writes a single buffer as a one-frame cast or
//! GIF ([`STILL_SECONDS`] long) for [`Format::Cast`] and [`Format::Gif`].

// `PyError` is a plain record of CPython's SyntaxError fields; a stage returns at most one.
#![allow(clippy::result_large_err)]

mod anim;
mod animated_gif;
mod cast;
mod html;
mod png;
mod svg;
mod txt;

#[cfg(test)]
mod tests;

use std::path::Path;

use ratatui::buffer::{Buffer, CellDiffOption, CellWidth};
use ratatui::style::{Color, Modifier};

pub use anim::{animate, AnimFormat, Frame, STILL_SECONDS};
pub use animated_gif::to_gif;
pub use cast::{to_ansi, to_cast};
pub use html::to_html;
pub use png::to_png;
pub use svg::to_svg;
pub use txt::to_txt;

/// Bundled DejaVu Sans Mono (regular).
pub const FONT_REGULAR: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSansMono.ttf");
/// Bundled DejaVu Sans Mono (bold).
pub const FONT_BOLD: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSansMono-Bold.ttf");
/// Family name of the bundled fonts.
pub const FONT_FAMILY: &str = "DejaVu Sans Mono";

/// Font size in px (SVG user units) of the SVG/PNG/HTML output.
pub const FONT_SIZE: f64 = 14.0;
const UNITS_PER_EM: f64 = 2048.0;
/// hhea ascender / descender / advance width of DejaVu Sans Mono (regular and bold agree).
const ASCENT: f64 = 1901.0 / UNITS_PER_EM;
const DESCENT: f64 = 483.0 / UNITS_PER_EM;
const ADVANCE: f64 = 1233.0 / UNITS_PER_EM;
/// OS/2 strikeout position and size, post underline thickness.
const STRIKE_POS: f64 = 530.0 / UNITS_PER_EM;
const STRIKE_SIZE: f64 = 102.0 / UNITS_PER_EM;
const UNDERLINE_SIZE: f64 = 90.0 / UNITS_PER_EM;
/// Top of the underline below the baseline (a little lower than the font's -40 units, which
/// would touch the letters at this size).
const UNDERLINE_POS: f64 = 150.0 / UNITS_PER_EM;

/// Cell width in px.
pub const CELL_WIDTH: f64 = FONT_SIZE * ADVANCE;
/// Cell height in px: ascent + descent, so box-drawing glyphs join.
pub const CELL_HEIGHT: f64 = FONT_SIZE * (ASCENT + DESCENT);

/// An export file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Svg,
    Png,
    Html,
    Txt,
    /// asciinema v2 recording.
    Cast,
    /// (Animated) GIF.
    Gif,
}

impl Format {
    /// The format named by a path's extension (`.svg`, `.png`, `.html`/`.htm`, `.txt`, `.cast`,
    /// `.gif`; any case).
    pub fn from_path(p: &Path) -> Result<Format, String> {
        let ext = p
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("svg") => Ok(Format::Svg),
            Some("png") => Ok(Format::Png),
            Some("html") | Some("htm") => Ok(Format::Html),
            Some("txt") => Ok(Format::Txt),
            Some("cast") => Ok(Format::Cast),
            Some("gif") => Ok(Format::Gif),
            _ => Err(format!(
                "cannot tell the export format of `{}`: use one of the extensions .svg, .png, .html, .txt, .cast or .gif",
                p.display()
            )),
        }
    }

    /// The usual file extension (without the dot).
    pub fn extension(self) -> &'static str {
        match self {
            Format::Svg => "svg",
            Format::Png => "png",
            Format::Html => "html",
            Format::Txt => "txt",
            Format::Cast => "cast",
            Format::Gif => "gif",
        }
    }

    /// The animation format this is, for `.cast` and `.gif`.
    pub fn animation(self) -> Option<AnimFormat> {
        match self {
            Format::Cast => Some(AnimFormat::Cast),
            Format::Gif => Some(AnimFormat::Gif),
            _ => None,
        }
    }
}

/// Options shared by the exporters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportOptions {
    /// Colour of `Color::Reset` foregrounds.
    pub default_fg: (u8, u8, u8),
    /// Colour of `Color::Reset` backgrounds (and of the canvas).
    pub default_bg: (u8, u8, u8),
    /// Title for the SVG `<title>` / HTML `<title>`.
    pub title: Option<String>,
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions {
            default_fg: (229, 229, 229),
            default_bg: (24, 24, 24),
            title: None,
        }
    }
}

/// Export `buf` in `format`: UTF-8 text for SVG/HTML/TXT/cast, PNG and GIF bytes at scale 2
/// (retina). A cast or GIF has this one frame, shown for [`STILL_SECONDS`].
pub fn export(buf: &Buffer, opts: &ExportOptions, format: Format) -> Result<Vec<u8>, String> {
    export_scaled(buf, opts, format, 2.0)
}

/// [`export`] with the pixel scale of PNG and GIF (other formats have none).
pub fn export_scaled(
    buf: &Buffer,
    opts: &ExportOptions,
    format: Format,
    scale: f32,
) -> Result<Vec<u8>, String> {
    match format {
        Format::Svg => Ok(to_svg(buf, opts).into_bytes()),
        Format::Png => to_png(buf, opts, scale),
        Format::Html => Ok(to_html(buf, opts).into_bytes()),
        Format::Txt => Ok(to_txt(buf).into_bytes()),
        Format::Cast | Format::Gif => {
            let frame = Frame {
                buffer: buf.clone(),
                options: opts.clone(),
                seconds: STILL_SECONDS,
            };
            let anim = format.animation().unwrap_or(AnimFormat::Cast);
            animate(std::slice::from_ref(&frame), anim, scale)
        }
    }
}

/// An RGB colour.
pub(crate) type Rgb = (u8, u8, u8);

/// The fixed xterm 256-colour palette.
pub fn xterm_rgb(index: u8) -> Rgb {
    const BASE: [Rgb; 16] = [
        (0, 0, 0),
        (205, 0, 0),
        (0, 205, 0),
        (205, 205, 0),
        (0, 0, 238),
        (205, 0, 205),
        (0, 205, 205),
        (229, 229, 229),
        (127, 127, 127),
        (255, 0, 0),
        (0, 255, 0),
        (255, 255, 0),
        (92, 92, 255),
        (255, 0, 255),
        (0, 255, 255),
        (255, 255, 255),
    ];
    const LEVELS: [u8; 6] = [0, 95, 135, 175, 215, 255];
    match index {
        0..=15 => BASE[usize::from(index)],
        16..=231 => {
            let i = usize::from(index - 16);
            (LEVELS[i / 36], LEVELS[(i / 6) % 6], LEVELS[i % 6])
        }
        _ => {
            let v = 8 + 10 * (index - 232);
            (v, v, v)
        }
    }
}

/// Resolve a ratatui colour; `Reset` becomes `default`.
pub(crate) fn resolve_color(c: Color, default: Rgb) -> Rgb {
    match c {
        Color::Reset => default,
        Color::Black => xterm_rgb(0),
        Color::Red => xterm_rgb(1),
        Color::Green => xterm_rgb(2),
        Color::Yellow => xterm_rgb(3),
        Color::Blue => xterm_rgb(4),
        Color::Magenta => xterm_rgb(5),
        Color::Cyan => xterm_rgb(6),
        Color::Gray => xterm_rgb(7),
        Color::DarkGray => xterm_rgb(8),
        Color::LightRed => xterm_rgb(9),
        Color::LightGreen => xterm_rgb(10),
        Color::LightYellow => xterm_rgb(11),
        Color::LightBlue => xterm_rgb(12),
        Color::LightMagenta => xterm_rgb(13),
        Color::LightCyan => xterm_rgb(14),
        Color::White => xterm_rgb(15),
        Color::Indexed(i) => xterm_rgb(i),
        Color::Rgb(r, g, b) => (r, g, b),
    }
}

/// `#rrggbb`.
pub(crate) fn hex(c: Rgb) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

/// A number with at most 3 decimals and no trailing zeros (deterministic, compact).
pub(crate) fn num(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" {
        "0".to_string()
    } else {
        s
    }
}

/// Escape text for XML/HTML (content and double- or single-quoted attributes).
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Not allowed in XML 1.0.
            '\u{fffe}' | '\u{ffff}' => out.push('\u{fffd}'),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Text style of one glyph (fg after REVERSED/DIM).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TextStyle {
    pub fg: Rgb,
    pub bold: bool,
    pub italic: bool,
}

/// One cell as the exporters see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GridCell {
    /// The symbol to draw; empty for cells covered by a wide character.
    pub symbol: String,
    /// Columns the symbol occupies (1 or more); 0 for covered cells.
    pub width: usize,
    /// Background after REVERSED.
    pub bg: Rgb,
    pub text: TextStyle,
    pub underline: bool,
    pub strike: bool,
    /// Nothing but the background is drawn (HIDDEN, `skip`).
    pub hidden: bool,
}

impl GridCell {
    /// True when the cell draws a visible glyph.
    pub fn has_glyph(&self) -> bool {
        !self.hidden && self.width > 0 && !self.symbol.chars().all(char::is_whitespace)
    }
}

/// Canvas size in whole px for a grid of `cols` x `rows` cells.
pub(crate) fn canvas_size(cols: usize, rows: usize) -> (u32, u32) {
    (
        (cols as f64 * CELL_WIDTH - 1e-6).ceil().max(0.0) as u32,
        (rows as f64 * CELL_HEIGHT - 1e-6).ceil().max(0.0) as u32,
    )
}

/// The buffer resolved into colours and wide-character spans.
pub(crate) struct Grid {
    pub width: usize,
    pub height: usize,
    pub rows: Vec<Vec<GridCell>>,
}

impl Grid {
    pub fn new(buf: &Buffer, default_fg: Rgb, default_bg: Rgb) -> Grid {
        let area = *buf.area();
        let width = usize::from(area.width);
        let height = usize::from(area.height);
        let content = buf.content();
        let blank = ratatui::buffer::Cell::default();
        let mut rows = Vec::with_capacity(height);
        for y in 0..height {
            let mut row: Vec<GridCell> = Vec::with_capacity(width);
            let mut covered = 0usize;
            for x in 0..width {
                let cell = content.get(y * width + x).unwrap_or(&blank);
                if covered > 0 {
                    covered -= 1;
                    let mut c = row
                        .last()
                        .cloned()
                        .unwrap_or_else(|| resolve_cell(&blank, "", 0, default_fg, default_bg));
                    c.symbol.clear();
                    c.width = 0;
                    row.push(c);
                    continue;
                }
                #[allow(deprecated)] // the old flag still exists next to `diff_option`
                let skip = cell.skip || cell.diff_option == CellDiffOption::Skip;
                let raw = printable(cell.symbol());
                // `cell_width` honours `CellDiffOption::ForcedWidth`; sanitize the symbol
                // first so a stray control character cannot trip its debug assertion.
                let w = if let CellDiffOption::ForcedWidth(n) = cell.diff_option {
                    usize::from(n.get())
                } else {
                    usize::from(raw.as_str().cell_width())
                };
                let (symbol, w) = if skip || w == 0 || raw.is_empty() {
                    (String::from(" "), w.clamp(1, width - x))
                } else {
                    (raw, w.min(width - x))
                };
                covered = w - 1;
                let mut c = resolve_cell(cell, &symbol, w, default_fg, default_bg);
                c.hidden |= skip;
                row.push(c);
            }
            rows.push(row);
        }
        Grid {
            width,
            height,
            rows,
        }
    }
}

/// The drawable part of a symbol: terminal escape sequences (such as OSC 8 hyperlinks, which
/// come with `CellDiffOption::ForcedWidth`) and other control characters are removed.
fn printable(symbol: &str) -> String {
    let mut out = String::with_capacity(symbol.len());
    let mut chars = symbol.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            if !c.is_control() {
                out.push(c);
            }
            continue;
        }
        match chars.next() {
            // CSI: parameters, then a final byte in @..~.
            Some('[') => {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            // OSC / DCS / APC / PM / SOS: up to BEL or ST (ESC \\).
            Some(']' | 'P' | '_' | '^' | 'X') => {
                while let Some(c) = chars.next() {
                    if c == '\u{7}' {
                        break;
                    }
                    if c == '\u{1b}' {
                        if chars.peek() == Some(&'\\') {
                            chars.next();
                        }
                        break;
                    }
                }
            }
            // Two-character sequences (or a lone ESC at the end).
            _ => {}
        }
    }
    out
}

fn resolve_cell(
    cell: &ratatui::buffer::Cell,
    symbol: &str,
    width: usize,
    default_fg: Rgb,
    default_bg: Rgb,
) -> GridCell {
    let m = cell.modifier;
    let mut fg = resolve_color(cell.fg, default_fg);
    let mut bg = resolve_color(cell.bg, default_bg);
    if m.contains(Modifier::REVERSED) {
        std::mem::swap(&mut fg, &mut bg);
    }
    if m.contains(Modifier::DIM) {
        let mix = |f: u8, b: u8| ((u16::from(f) * 2 + u16::from(b) + 1) / 3) as u8;
        fg = (mix(fg.0, bg.0), mix(fg.1, bg.1), mix(fg.2, bg.2));
    }
    GridCell {
        symbol: symbol.to_string(),
        width,
        bg,
        text: TextStyle {
            fg,
            bold: m.contains(Modifier::BOLD),
            // Box-drawing and block glyphs stay upright (as in real oblique fonts) so borders
            // keep joining.
            italic: m.contains(Modifier::ITALIC)
                && !symbol
                    .chars()
                    .all(|c| ('\u{2500}'..='\u{259f}').contains(&c)),
        },
        underline: m.contains(Modifier::UNDERLINED),
        strike: m.contains(Modifier::CROSSED_OUT),
        hidden: m.contains(Modifier::HIDDEN),
    }
}
