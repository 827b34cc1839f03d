//! Syntax colouring of the source with syntect, computed once per source text.

use ratatui::style::Color;
use std::ops::Range;
use std::sync::{Arc, OnceLock};
use syntect::easy::HighlightLines;
use syntect::highlighting::{Theme, ThemeSet};

use crate::theme::SyntaxColours;
use syntect::parsing::SyntaxSet;

/// Lines beyond this are shown uncoloured (colouring a 10 MB file would take too long).
const MAX_HIGHLIGHTED_LINES: usize = 5_000;

fn syntaxes() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(SyntaxSet::load_defaults_newlines)
}

fn themes() -> &'static ThemeSet {
    static SET: OnceLock<ThemeSet> = OnceLock::new();
    SET.get_or_init(ThemeSet::load_defaults)
}

/// Per line: (colour, byte range in the whole text).
type Lines = Vec<Vec<(Color, Range<usize>)>>;

/// Foreground colours for byte ranges of each line, computed on another thread: the source
/// pane is drawn uncoloured until they are there.
#[derive(Debug, Clone)]
pub struct Highlighted {
    text: Arc<str>,
    colours: &'static SyntaxColours,
    lines: Arc<OnceLock<Lines>>,
}

impl Highlighted {
    /// Starts colouring `text` with `colours` (the theme's) on another thread.
    pub fn start(text: &str, colours: &'static SyntaxColours) -> Highlighted {
        let h = Highlighted {
            text: text.into(),
            colours,
            lines: Arc::new(OnceLock::new()),
        };
        let worker = h.clone();
        let spawned = std::thread::Builder::new()
            .name("cpyviz-highlight".into())
            .spawn(move || {
                worker.wait();
            });
        if spawned.is_err() {
            h.wait();
        }
        h
    }

    /// Whether the colours are computed.
    pub fn is_ready(&self) -> bool {
        self.lines.get().is_some()
    }

    /// Waits for the colours (computing them here if no thread does).
    pub fn wait(&self) -> &Lines {
        self.lines.get_or_init(|| colour(&self.text, self.colours))
    }

    /// The colour of the byte at `offset` on 0-based `line`, if coloured (`None` too while
    /// the colours are being computed).
    pub fn color_at(&self, line: usize, offset: usize) -> Option<Color> {
        let spans = self.lines.get()?.get(line)?;
        let i = spans.partition_point(|(_, r)| r.end <= offset);
        spans
            .get(i)
            .filter(|(_, r)| r.contains(&offset))
            .map(|(c, _)| *c)
    }
}

fn colour(text: &str, colours: &SyntaxColours) -> Lines {
    {
        let ss = syntaxes();
        let Some(syntax) = ss.find_syntax_by_extension("py") else {
            return Lines::new();
        };
        let fallback = Theme::default();
        let theme = themes().themes.get(colours.syntect).unwrap_or(&fallback);
        let mut h = HighlightLines::new(syntax, theme);
        let mut lines = Vec::new();
        let mut offset = 0;
        for line in text.split_inclusive('\n').take(MAX_HIGHLIGHTED_LINES) {
            let mut spans = Vec::new();
            if let Ok(regions) = h.highlight_line(line, ss) {
                let mut at = offset;
                for (style, piece) in regions {
                    let c = style.foreground;
                    let rgb = u32::from_be_bytes([0, c.r, c.g, c.b]);
                    let rgb = colours
                        .remap
                        .iter()
                        .find(|(from, _)| *from == rgb)
                        .map_or(rgb, |(_, to)| *to);
                    let [_, r, g, b] = rgb.to_be_bytes();
                    spans.push((Color::Rgb(r, g, b), at..at + piece.len()));
                    at += piece.len();
                }
            }
            lines.push(spans);
            offset += line.len();
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::theme::ThemeName;

    const SNIPPET: &str =
        "# a comment\ndef f(a, b=1.5):\n    return f\"{a}\" + 'x' if a else None\n";

    fn colours_of(name: ThemeName) -> Vec<Color> {
        let mut out: Vec<Color> = colour(SNIPPET, &name.theme().syntax)
            .into_iter()
            .flatten()
            .map(|(c, _)| c)
            .collect();
        out.sort_by_key(|c| format!("{c:?}"));
        out.dedup();
        out
    }

    /// Each theme's syntect theme exists and colours the source in several colours.
    #[test]
    fn every_theme_colours_python() {
        for name in ThemeName::ALL {
            assert!(colours_of(name).len() >= 4, "{name:?}");
        }
        assert_ne!(colours_of(ThemeName::Dark), colours_of(ThemeName::Light));
    }

    /// The high-contrast theme's source colours are all from its own palette.
    #[test]
    fn high_contrast_remaps_the_whole_palette() {
        let remap = ThemeName::HighContrast.theme().syntax.remap;
        for c in colours_of(ThemeName::HighContrast) {
            let Color::Rgb(r, g, b) = c else {
                panic!("{c:?}")
            };
            let rgb = u32::from_be_bytes([0, r, g, b]);
            assert!(remap.iter().any(|(_, to)| *to == rgb), "{rgb:06x}");
        }
    }
}
