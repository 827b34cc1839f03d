//! Syntax colouring of the source with syntect, computed once per source text.

use ratatui::style::Color;
use std::ops::Range;
use std::sync::{Arc, OnceLock};
use syntect::easy::HighlightLines;
use syntect::highlighting::{Theme, ThemeSet};
use syntect::parsing::SyntaxSet;

/// Lines beyond this are shown uncoloured (colouring a 10 MB file would take too long).
const MAX_HIGHLIGHTED_LINES: usize = 5_000;

fn syntaxes() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(SyntaxSet::load_defaults_newlines)
}

fn theme() -> &'static Theme {
    static THEME: OnceLock<Theme> = OnceLock::new();
    THEME.get_or_init(|| {
        let mut set = ThemeSet::load_defaults();
        set.themes.remove("base16-ocean.dark").unwrap_or_default()
    })
}

/// Per line: (colour, byte range in the whole text).
type Lines = Vec<Vec<(Color, Range<usize>)>>;

/// Foreground colours for byte ranges of each line, computed on another thread: the source
/// pane is drawn uncoloured until they are there.
#[derive(Debug, Clone)]
pub struct Highlighted {
    text: Arc<str>,
    lines: Arc<OnceLock<Lines>>,
}

impl Highlighted {
    /// Starts colouring `text` on another thread.
    pub fn start(text: &str) -> Highlighted {
        let h = Highlighted {
            text: text.into(),
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
        self.lines.get_or_init(|| colour(&self.text))
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

fn colour(text: &str) -> Lines {
    {
        let ss = syntaxes();
        let Some(syntax) = ss.find_syntax_by_extension("py") else {
            return Lines::new();
        };
        let mut h = HighlightLines::new(syntax, theme());
        let mut lines = Vec::new();
        let mut offset = 0;
        for line in text.split_inclusive('\n').take(MAX_HIGHLIGHTED_LINES) {
            let mut spans = Vec::new();
            if let Ok(regions) = h.highlight_line(line, ss) {
                let mut at = offset;
                for (style, piece) in regions {
                    let c = style.foreground;
                    spans.push((Color::Rgb(c.r, c.g, c.b), at..at + piece.len()));
                    at += piece.len();
                }
            }
            lines.push(spans);
            offset += line.len();
        }
        lines
    }
}
