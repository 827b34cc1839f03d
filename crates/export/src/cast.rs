//! ANSI writer (a buffer as terminal output with 24-bit colours) and asciinema v2 casts.

use std::fmt::Write as _;

use ratatui::buffer::Buffer;

use super::anim::{check_frames, Frame};
use super::{ExportOptions, Grid, Rgb};

/// The terminal type a cast's header names (the player needs 24-bit colours).
const TERM: &str = "xterm-256color";

/// One screen as terminal output: every row placed absolutely (`ESC[row;1H`), the cells'
/// colours as 24-bit SGR (`38;2;r;g;b` / `48;2;r;g;b`, after `REVERSED` and `DIM`, like the
/// other writers), bold / italic / underline / strike-through as SGR 1 / 3 / 4 / 9, `HIDDEN`
/// cells as spaces, a wide character once (the terminal advances over the cells it covers).
/// A style is written only where it changes; the output ends with `ESC[0m`. Printed on a
/// terminal of the buffer's size (or larger), it redraws that screen from the top-left corner.
pub fn to_ansi(buf: &Buffer, opts: &ExportOptions) -> String {
    let grid = Grid::new(buf, opts.default_fg, opts.default_bg);
    let mut out = String::new();
    for (y, row) in grid.rows.iter().enumerate() {
        let _ = write!(out, "\x1b[{};1H", y + 1);
        let mut current: Option<Sgr> = None;
        for cell in row {
            if cell.width == 0 {
                continue; // covered by a wide character
            }
            let sgr = Sgr {
                fg: cell.text.fg,
                bg: cell.bg,
                bold: cell.text.bold,
                italic: cell.text.italic,
                underline: cell.underline,
                strike: cell.strike,
            };
            if current != Some(sgr) {
                sgr.write(&mut out);
                current = Some(sgr);
            }
            if cell.hidden {
                out.push_str(&" ".repeat(cell.width));
            } else {
                out.push_str(&cell.symbol);
            }
        }
        out.push_str("\x1b[0m");
    }
    out
}

/// The attributes one SGR sequence sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sgr {
    fg: Rgb,
    bg: Rgb,
    bold: bool,
    italic: bool,
    underline: bool,
    strike: bool,
}

impl Sgr {
    fn write(&self, out: &mut String) {
        let (f, b) = (self.fg, self.bg);
        let _ = write!(
            out,
            "\x1b[0;38;2;{};{};{};48;2;{};{};{}",
            f.0, f.1, f.2, b.0, b.1, b.2
        );
        for (on, code) in [
            (self.bold, ";1"),
            (self.italic, ";3"),
            (self.underline, ";4"),
            (self.strike, ";9"),
        ] {
            if on {
                out.push_str(code);
            }
        }
        out.push('m');
    }
}

/// An asciinema v2 recording of `frames` (`.cast`, newline-delimited JSON).
///
/// The header line has `version` 2, the frames' `width` and `height`, the first frame's title
/// (if it has one) and `env` (`TERM`); no timestamp, so the same frames give the same bytes.
/// Then one `[time, "o", data]` event per frame, at the sum of the earlier frames' seconds,
/// whose data redraws the screen ([`to_ansi`]; the first also hides the cursor and clears the
/// screen), and a last event at the total duration (`ESC[0m`) so the last frame is held for its
/// seconds. All frames must have the same size.
pub fn to_cast(frames: &[Frame]) -> Result<String, String> {
    let (width, height) = check_frames(frames)?;
    let mut out = String::new();
    let _ = write!(
        out,
        "{{\"version\": 2, \"width\": {width}, \"height\": {height}"
    );
    if let Some(title) = &frames[0].options.title {
        let _ = write!(out, ", \"title\": {}", json_string(title));
    }
    let _ = writeln!(out, ", \"env\": {{\"TERM\": {}}}}}", json_string(TERM));
    let mut time = 0.0f64;
    for (i, frame) in frames.iter().enumerate() {
        let mut data = if i == 0 {
            String::from("\x1b[?25l\x1b[2J")
        } else {
            String::new()
        };
        data.push_str(&to_ansi(&frame.buffer, &frame.options));
        event(&mut out, time, &data);
        time += f64::from(frame.seconds);
    }
    event(&mut out, time, "\x1b[0m");
    Ok(out)
}

fn event(out: &mut String, time: f64, data: &str) {
    let _ = writeln!(out, "[{}, \"o\", {}]", seconds(time), json_string(data));
}

/// Seconds with at most 6 decimals (microseconds, as asciinema writes them), no trailing zeros.
fn seconds(t: f64) -> String {
    let s = format!("{t:.6}");
    let s = s.trim_end_matches('0');
    if s.ends_with('.') {
        format!("{s}0")
    } else {
        s.to_string()
    }
}

/// A JSON string literal: quotes, backslashes and control characters escaped.
pub(crate) fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
