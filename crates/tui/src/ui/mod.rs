//! Rendering: `impl Widget for &App`. The terminal and the screenshot exporter both draw through
//! this one path.
//!
//! ```text
//! ┌ header: cpyviz · file · engine · CPython version ───────────────────────┐
//! │ stage bar: 1 Tokens › 2 AST › 3 Bytecode › …                            │
//! ├ Source ───────────────────────┬ Stage pane (tokens table, AST tree, …) ─┤
//! │  1 │ def abs(a, b):           │ 2,0-2,3      NAME      'def'            │
//! ├ Explain ──────────────────────┴─────────────────────────────────────────┤
//! │ what the stage is · what the selection means                            │
//! └ footer: keys / status ──────────────────────────────────────────────────┘
//! ```

pub mod lesson;
mod stages;

use crate::app::action::KEYMAP;
use crate::app::jit::is_jit;
use crate::app::{App, Focus, Hit};
use crate::theme::Theme;
use cpyviz_model::capture::{Stage, StageStatus};
use cpyviz_model::explain;
use cpyviz_model::pyrepr::str_repr;
use cpyviz_model::tokens::TokenKind;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Padding, Paragraph, Widget, Wrap};
use unicode_width::UnicodeWidthChar;

/// The smallest terminal the viewer draws in.
pub const MIN_SIZE: (u16, u16) = (60, 16);
const EXPLAIN_HEIGHT: u16 = 8;
/// The specialized stage's detail panel, on screens at least [`DETAIL_MIN_SCREEN`] rows high.
const DETAIL_HEIGHT: u16 = 9;
const DETAIL_MIN_SCREEN: u16 = 30;
const TAB_WIDTH: usize = 8;

/// Where each part of the screen is.
#[derive(Debug, Clone, Copy, Default)]
pub struct Areas {
    pub header: Rect,
    pub stage_bar: Rect,
    pub source: Rect,
    pub source_inner: Rect,
    pub stage: Rect,
    pub stage_inner: Rect,
    pub explain: Rect,
    /// The specialized stage's detail panel (empty on other stages and small screens).
    pub detail: Rect,
    pub footer: Rect,
    /// The presenter layout's narration panel (empty otherwise): the lesson draws it.
    pub lesson: Rect,
}

/// The layout for a screen of `area` showing `stage`: the JIT stages give their pane more of
/// the width (machine code needs it more than the source does), and so does the specialized
/// stage (two names per row), which has a detail panel under the panes too.
pub fn layout_for(area: Rect, stage: Stage) -> Areas {
    let wide = is_jit(stage) || stage == Stage::Specialized;
    let detail = if stage == Stage::Specialized && area.height >= DETAIL_MIN_SCREEN {
        DETAIL_HEIGHT
    } else {
        0
    };
    split(area, if wide { 30 } else { 45 }, detail)
}

/// The layout for a screen of `area` (the source pane 45% of the width).
pub fn layout_in(area: Rect) -> Areas {
    split(area, 45, 0)
}

/// The presenter layout (a lesson's guided mode): the header, one stage pane across the whole
/// width, and `narration` rows at the bottom for the lesson; no source pane, stage bar,
/// explanation or footer.
pub fn presenter_layout(area: Rect, narration: u16) -> Areas {
    let narration = narration.min(area.height.saturating_sub(4));
    let [header, stage, lesson] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(narration),
    ])
    .areas(area);
    let inner = |r: Rect| pane_frame().inner(r);
    let none = Rect::new(area.x, area.y, 0, 0);
    Areas {
        header,
        stage_bar: none,
        source: none,
        source_inner: none,
        stage,
        stage_inner: inner(stage),
        explain: none,
        detail: none,
        footer: none,
        lesson,
    }
}

fn split(area: Rect, source_percent: u16, detail_height: u16) -> Areas {
    let [header, stage_bar, main, detail, explain, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(detail_height),
        Constraint::Length(EXPLAIN_HEIGHT),
        Constraint::Length(1),
    ])
    .areas(area);
    let [source, stage] = Layout::horizontal([
        Constraint::Percentage(source_percent),
        Constraint::Percentage(100 - source_percent),
    ])
    .areas(main);
    let inner = |r: Rect| pane_frame().inner(r);
    Areas {
        header,
        stage_bar,
        source,
        source_inner: inner(source),
        stage,
        stage_inner: inner(stage),
        explain,
        detail,
        footer,
        lesson: Rect::new(area.x, area.bottom(), 0, 0),
    }
}

/// The layout for the app's current terminal size.
pub fn layout(app: &App) -> Areas {
    areas_of(app, Rect::new(0, 0, app.size.0, app.size.1))
}

/// The layout of `app` drawn in `area`: the presenter layout when a lesson asks for it.
fn areas_of(app: &App, area: Rect) -> Areas {
    match app.presenter {
        Some(rows) => presenter_layout(area, rows),
        None => layout_for(area, app.stage),
    }
}

/// Rows above the first data row in a stage's list (the token table's header, the JIT panes'
/// options bar).
pub fn list_header_rows(app: &App) -> usize {
    match app.stage {
        Stage::Tokens => 1,
        Stage::Specialized => stages::specialized::header_rows(app),
        s if is_jit(s) && app.jit().has_builder() => 1,
        _ => 0,
    }
}

/// The first data row shown in the stage list, keeping the selection in view.
pub fn list_scroll(app: &App, areas: &Areas) -> usize {
    let height = (areas.stage_inner.height as usize).saturating_sub(list_header_rows(app));
    centered_scroll(app.selected_row(), app.row_count(), height)
}

fn centered_scroll(target: usize, len: usize, height: usize) -> usize {
    if height == 0 || len <= height {
        return 0;
    }
    target.saturating_sub(height / 2).min(len - height)
}

/// Renders the app into a fresh buffer of `width`×`height`, as a terminal of that size would
/// show it (the screenshot exporter and the tests use this).
pub fn render_to_buffer(app: &mut App, width: u16, height: u16) -> Buffer {
    app.size = (width, height);
    let area = Rect::new(0, 0, width, height);
    let mut buf = Buffer::empty(area);
    (&*app).render(area, &mut buf);
    buf
}

/// Renders like [`render_to_buffer`]; with `footer`, the buffer has one more row under the
/// screen: the export footer ([`export_footer`]), so a shot says what made it. The footer is
/// part of the rendered buffer (one render path): every export format shows it.
pub fn render_for_export(app: &mut App, width: u16, height: u16, footer: bool) -> Buffer {
    let screen = render_to_buffer(app, width, height);
    if !footer {
        return screen;
    }
    with_footer(app, &screen)
}

/// `screen` with the export footer ([`export_footer`]) in one more row under it.
pub fn with_footer(app: &App, screen: &Buffer) -> Buffer {
    let (width, height) = (screen.area.width, screen.area.height);
    let mut buf = Buffer::empty(Rect::new(0, 0, width, height + 1));
    buf.merge(screen);
    let row = Rect::new(0, height, width, 1);
    let th = app.theme();
    buf.set_style(row, th.header);
    let text = export_footer(app);
    let room = usize::from(width).saturating_sub(2);
    let line = if Line::from(text.as_str()).width() > room {
        let mut cut = String::new();
        for c in text.chars() {
            if Line::from(cut.as_str()).width() + c.width().unwrap_or(0) + 1 > room {
                break;
            }
            cut.push(c);
        }
        cut + "…"
    } else {
        text
    };
    buf.set_stringn(1, height, line, room, th.header);
    buf
}

/// One frame of an animation ([`cpyviz_export::animate`]): the app as [`render_for_export`]
/// draws it, coloured by [`export_options`], shown for `seconds`.
pub fn export_frame(
    app: &mut App,
    width: u16,
    height: u16,
    footer: bool,
    seconds: f32,
) -> cpyviz_export::Frame {
    cpyviz_export::Frame {
        buffer: render_for_export(app, width, height, footer),
        options: export_options(app),
        seconds,
    }
}

/// The export footer's one line: cpyviz's version, the engine and the exact CPython build
/// (the live interpreter's whole `sys.version`; for the built-in engine, the word "model" and
/// the version profile), and on the JIT stages the target and where the stencils come from.
pub fn export_footer(app: &App) -> String {
    use cpyviz_model::capture::Engine;
    let cap = app.capture();
    let mut parts = vec![format!("cpyviz {}", env!("CARGO_PKG_VERSION"))];
    parts.push(match &cap.engine {
        Engine::Builtin => format!("builtin model of CPython {}", cap.display_version()),
        Engine::Cpython { version, .. } => format!(
            "live CPython {}",
            version.split_whitespace().collect::<Vec<_>>().join(" ")
        ),
    });
    if is_jit(app.stage) {
        let j = app.jit();
        match j.view() {
            Some(v) => {
                parts.push(format!("JIT {}", v.target));
                parts.push(if v.stencils_are_model {
                    "built-in stencils (a model)".to_string()
                } else {
                    v.stencils.clone()
                });
            }
            None => parts.push(format!("JIT {}", j.options_text())),
        }
    }
    parts.join(" · ")
}

/// Export settings matching the theme (cells with no colour of their own get the theme's).
pub fn export_options(app: &App) -> cpyviz_export::ExportOptions {
    let th = app.theme();
    let rgb = |c| match c {
        ratatui::style::Color::Rgb(r, g, b) => (r, g, b),
        _ => (0, 0, 0),
    };
    let cap = app.capture();
    cpyviz_export::ExportOptions {
        default_fg: rgb(th.fg),
        default_bg: rgb(th.bg),
        title: Some(format!(
            "cpyviz · {} · {} · {} · CPython {}",
            cap.source.path,
            app.stage.title(),
            cap.engine.label(),
            cap.display_version()
        )),
    }
}

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let th = self.theme();
        buf.set_style(area, Style::new().bg(th.bg).fg(th.fg));
        if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
            render_too_small(th, area, buf);
            return;
        }
        let areas = areas_of(self, area);
        render_header(self, areas.header, buf);
        render_stage_bar(self, areas.stage_bar, buf);
        if let Some((stage, rows)) = &self.diff {
            // The comparison needs the width of both panes.
            let mut rect = areas.source.union(areas.stage);
            if !areas.detail.is_empty() {
                rect = rect.union(areas.detail);
            }
            render_diff(self, *stage, rows, rect, buf);
        } else {
            render_source(self, &areas, buf);
            render_stage(self, &areas, buf);
            if !areas.detail.is_empty()
                && matches!(self.capture().status_now(self.stage), StageStatus::Ready)
            {
                stages::specialized::render_detail(self, areas.detail, buf);
            }
        }
        render_explain(self, areas.explain, buf);
        render_footer(self, areas.footer, buf);
        if self.show_output {
            render_output(self, area, buf);
        }
        if self.show_help {
            render_help(self, area, buf);
        }
    }
}

fn render_too_small(th: &Theme, area: Rect, buf: &mut Buffer) {
    let msg = format!(
        "cpyviz needs a terminal of at least {}×{} (this one is {}×{}). Enlarge it, or press q to quit.",
        MIN_SIZE.0, MIN_SIZE.1, area.width, area.height
    );
    let y = area.y + area.height / 2;
    Paragraph::new(msg)
        .style(th.text)
        .wrap(Wrap { trim: true })
        .centered()
        .render(
            Rect::new(area.x, y.saturating_sub(1), area.width, 3.min(area.height)),
            buf,
        );
}

/// A pane's borders and padding, without colours or title (they decide its inside).
fn pane_frame() -> Block<'static> {
    Block::bordered()
        .border_type(BorderType::Rounded)
        .padding(Padding::horizontal(1))
}

fn pane_block(th: &Theme, title: String, focused: bool) -> Block<'static> {
    let border = if focused { th.border_focus } else { th.border };
    pane_frame()
        .border_style(Style::new().fg(border))
        .title(Span::styled(format!(" {title} "), th.title))
}

/// `builtin model · CPython 3.14`: which engine and version a pane shows.
fn provenance(app: &App) -> String {
    let cap = app.capture();
    format!("{} · CPython {}", cap.engine.label(), cap.display_version())
}

fn render_header(app: &App, area: Rect, buf: &mut Buffer) {
    let th = app.theme();
    buf.set_style(area, th.header);
    let cap = app.capture();
    let engine = format!(" {} ", cap.engine.label());
    let version = format!(" CPython {} ", cap.display_version());
    // The engine and version always show (a built-in image must say "model"): a path too long
    // for the rest of the line loses its beginning.
    let fixed = Line::from(format!(" cpyviz   {engine} {version}")).width();
    let path = shorten_left(
        &cap.source.path,
        (area.width as usize).saturating_sub(fixed + 2),
    );
    let line = Line::from(vec![
        Span::styled(" cpyviz ", th.header.add_modifier(Modifier::BOLD)),
        Span::styled(format!(" {path} "), th.header),
        Span::raw("  "),
        Span::styled(engine, th.header_engine),
        Span::raw(" "),
        Span::styled(version, th.header_engine),
    ]);
    let line = match app.stale() {
        // Live editing: the file as saved does not compile (or is gone).
        Some(_) => {
            let mut spans = line.spans;
            spans.push(Span::raw(" "));
            spans.push(Span::styled(
                " stale ",
                th.error.add_modifier(Modifier::BOLD),
            ));
            Line::from(spans)
        }
        None => line,
    };
    let used = line.width();
    line.style(th.header).render(area, buf);
    let hint = " ? help ";
    if area.width as usize > used + hint.len() {
        let x = area.right() - hint.len() as u16;
        buf.set_string(x, area.y, hint, th.header);
    }
}

/// `text` in at most `max` columns: when it is wider, `…` and its end.
fn shorten_left(text: &str, max: usize) -> String {
    if Line::from(text).width() <= max {
        return text.to_string();
    }
    let mut kept: Vec<char> = Vec::new();
    let mut width = 1; // the ellipsis
    for c in text.chars().rev() {
        let w = c.width().unwrap_or(0);
        if width + w > max {
            break;
        }
        width += w;
        kept.push(c);
    }
    std::iter::once('…').chain(kept.into_iter().rev()).collect()
}

/// Stage bar items with their x ranges, for drawing and for mouse hits.
fn stage_bar_items(app: &App, area: Rect) -> Vec<(Stage, Rect, String, Style)> {
    let full = stage_bar_items_with(app, area, Stage::title);
    match full.last() {
        Some((_, r, ..)) if r.right() > area.right() => {
            stage_bar_items_with(app, area, Stage::short_title)
        }
        _ => full,
    }
}

fn stage_bar_items_with(
    app: &App,
    area: Rect,
    title: fn(Stage) -> &'static str,
) -> Vec<(Stage, Rect, String, Style)> {
    let th = app.theme();
    let mut x = area.x + 1;
    let mut out = Vec::new();
    for stage in Stage::all() {
        let status = app.capture().status_now(stage);
        let mut label = format!(" {} {} ", stage as usize + 1, title(stage));
        let style = if stage == app.stage {
            th.stage_current
        } else {
            match status {
                StageStatus::Ready => th.stage_ready,
                StageStatus::Failed(_) => th.stage_failed,
                StageStatus::NotBuilt | StageStatus::Computing => th.stage_missing,
            }
        };
        match status {
            StageStatus::Failed(_) => label.push_str("✗ "),
            StageStatus::Computing => label.push_str("… "),
            StageStatus::NotBuilt if stage == app.stage => label.push_str("(not built) "),
            _ => {}
        }
        let w = Line::from(label.as_str()).width() as u16;
        out.push((stage, Rect::new(x, area.y, w, 1), label, style));
        x += w + 3;
    }
    out
}

/// The stage whose label is at a cell of the stage bar.
/// What the mouse pointer at (`column`, `row`) is over, in the layout of the last frame.
pub fn hit(app: &App, column: u16, row: u16) -> Hit {
    let areas = layout(app);
    let pos = ratatui::layout::Position::new(column, row);
    if areas.source_inner.contains(pos) {
        Hit::Source(source_offset_at(app, &areas, column, row))
    } else if areas.stage_inner.contains(pos) {
        let first = list_scroll(app, &areas);
        let target = first + (row - areas.stage_inner.y) as usize;
        Hit::StageRow(target.saturating_sub(list_header_rows(app)))
    } else if let Some(stage) = stage_at(app, &areas, column, row) {
        Hit::StageTab(stage)
    } else {
        Hit::Nothing
    }
}

pub fn stage_at(app: &App, areas: &Areas, column: u16, row: u16) -> Option<Stage> {
    stage_bar_items(app, areas.stage_bar)
        .into_iter()
        .find(|(_, r, _, _)| r.contains(ratatui::layout::Position::new(column, row)))
        .map(|(s, ..)| s)
}

fn render_stage_bar(app: &App, area: Rect, buf: &mut Buffer) {
    let th = app.theme();
    for (i, (_, rect, label, style)) in stage_bar_items(app, area).into_iter().enumerate() {
        if rect.x >= area.right() {
            break;
        }
        if i > 0 {
            buf.set_string(rect.x - 2, area.y, "›", Style::new().fg(th.dim));
        }
        let room = area.right().saturating_sub(rect.x) as usize;
        buf.set_stringn(rect.x, area.y, label, room, style);
    }
}

/// Display cells of one source line: (byte offset in the text, display column, width).
fn line_cells(text: &str, line_start: usize) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::with_capacity(text.len());
    let mut col = 0;
    for (i, c) in text.char_indices() {
        let w = if c == '\t' {
            TAB_WIDTH - col % TAB_WIDTH
        } else {
            c.width()
                .unwrap_or(0)
                .max(if c.is_control() { 1 } else { 0 })
        };
        out.push((line_start + i, col, w));
        col += w;
    }
    out
}

const GUTTER: usize = 6;

/// The first source line shown and the horizontal scroll.
fn source_scroll(app: &App, areas: &Areas) -> (usize, usize) {
    let src = &app.capture().source;
    let target = match (app.focus, app.selected_span()) {
        (Focus::Stage, Some(span)) => span.start as usize,
        _ => app.cursor,
    }
    .min(src.text.len());
    let (line, _) = src.line_col(target);
    let height = areas.source_inner.height as usize;
    let lines = src.line_count().max(1);
    let first = 1 + centered_scroll(line - 1, lines, height);
    let width = (areas.source_inner.width as usize).saturating_sub(GUTTER);
    let line_text = src.line_text(line);
    let start = src.line_start(line);
    let cells = line_cells(line_text, start);
    let col = cells
        .iter()
        .find(|(off, ..)| *off >= target)
        .map_or_else(|| cells.last().map_or(0, |c| c.1 + c.2), |c| c.1);
    let hscroll = if width > 8 && col + 4 > width {
        col + 4 - width / 2
    } else {
        0
    };
    (first, hscroll)
}

/// The source byte offset under a screen cell of the source pane.
pub fn source_offset_at(app: &App, areas: &Areas, column: u16, row: u16) -> Option<usize> {
    let src = &app.capture().source;
    let (first, hscroll) = source_scroll(app, areas);
    let line = first + (row - areas.source_inner.y) as usize;
    if line > src.line_count().max(1) {
        return None;
    }
    let x = (column - areas.source_inner.x) as usize;
    let start = src.line_start(line);
    let text = src.line_text(line);
    if x < GUTTER {
        return Some(start);
    }
    let col = x - GUTTER + hscroll;
    let cells = line_cells(text, start);
    Some(
        cells
            .iter()
            .find(|(_, c, w)| col < c + w)
            .map_or(start + text.len(), |(off, ..)| *off),
    )
}

fn render_source(app: &App, areas: &Areas, buf: &mut Buffer) {
    let th = app.theme();
    let src = &app.capture().source;
    let block = pane_block(
        th,
        format!("Source · {}", src.path),
        app.focus == Focus::Source,
    );
    block.render(areas.source, buf);
    let inner = areas.source_inner;
    let (first, hscroll) = source_scroll(app, areas);
    let sel = app.selected_span();
    let line_count = src.line_count().max(1);
    let width = inner.width as usize;
    let (cur_line, _) = src.line_col(app.cursor.min(src.text.len()));
    for row in 0..inner.height as usize {
        let line = first + row;
        if line > line_count {
            break;
        }
        let y = inner.y + row as u16;
        let gutter_style = if line == cur_line && app.focus == Focus::Source {
            th.emphasis
        } else {
            th.gutter
        };
        buf.set_stringn(inner.x, y, format!("{line:>4} │"), width, gutter_style);
        let start = src.line_start(line);
        let text = src.line_text(line);
        let indent_end = start + text.len() - text.trim_start().len();
        let mut cells = line_cells(text, start);
        // A cell for the line ending, so NEWLINE tokens and zero-width tokens at the end show.
        let end_col = cells.last().map_or(0, |c| c.1 + c.2);
        cells.push((start + text.len(), end_col, 1));
        for (off, col, w) in cells {
            if col < hscroll {
                continue;
            }
            let x = GUTTER + col - hscroll;
            if x + w > width {
                break;
            }
            let is_eol = off == start + text.len();
            let ch = if is_eol {
                None
            } else {
                src.text[off..].chars().next()
            };
            let mut style = Style::new().fg(app.highlight.color_at(line - 1, off).unwrap_or(th.fg));
            // A multi-line selection skips the indentation of its later lines.
            let in_indent = off < indent_end && off > sel.map_or(0, |s| s.start as usize);
            let selected = !in_indent
                && sel
                    .is_some_and(|s| s.contains(off) || (s.is_empty() && s.start as usize == off));
            if selected {
                style = style.bg(th.source_selection).add_modifier(Modifier::BOLD);
            }
            if app.focus == Focus::Source && off == app.cursor {
                style = th.cursor;
            }
            let symbol = match ch {
                Some('\t') | None => " ".to_string(),
                Some(c) if c.is_control() => "·".to_string(),
                Some(c) => c.to_string(),
            };
            let symbol = if is_eol && selected && src.text[off..].starts_with('\n') {
                "↵".to_string()
            } else {
                symbol
            };
            let cx = inner.x + x as u16;
            if is_eol && !selected && !(app.focus == Focus::Source && off == app.cursor) {
                continue;
            }
            buf.set_string(cx, y, &symbol, style);
            for extra in 1..w {
                buf.set_string(cx + extra as u16, y, " ", style);
            }
        }
    }
}

fn token_style(th: &Theme, kind: TokenKind) -> Style {
    use TokenKind::*;
    match kind {
        NAME => th.token_name,
        NUMBER => th.token_number,
        STRING | FSTRING_START | FSTRING_MIDDLE | FSTRING_END | TSTRING_START | TSTRING_MIDDLE
        | TSTRING_END => th.token_string,
        COMMENT => th.token_comment,
        NEWLINE | NL | INDENT | DEDENT | ENDMARKER | ENCODING => th.token_layout,
        ERRORTOKEN => th.error,
        _ => th.token_op,
    }
}

fn render_stage(app: &App, areas: &Areas, buf: &mut Buffer) {
    let th = app.theme();
    let mut title = format!("{} · {}", app.stage.title(), provenance(app));
    if app.stale().is_some() {
        title.push_str(" · stale");
    }
    if let Some(stencils) = stages::stencils_title(app).filter(|_| is_jit(app.stage)) {
        title.push_str(&format!(" · {stencils}"));
    }
    if let Some(jit) =
        stages::specialized::jit_label(app).filter(|_| app.stage == Stage::Specialized)
    {
        title.push_str(&format!(" · {jit}"));
    }
    pane_block(th, title, app.focus == Focus::Stage).render(areas.stage, buf);
    let inner = areas.stage_inner;
    let cap = app.capture();
    let status = cap.status_now(app.stage);
    // The JIT panes show what the engine's JIT stages say, its note included, whenever the
    // engine builds them (a failed trace stage shows its error below).
    if is_jit(app.stage) && app.jit().has_builder() && !matches!(status, StageStatus::Failed(_)) {
        stages::render(app, areas, buf);
        return;
    }
    match status {
        StageStatus::Computing => {
            let text = vec![
                Line::styled(
                    format!("Computing the {} stage…", app.stage.title()),
                    th.emphasis,
                ),
                Line::raw(""),
                Line::styled(explain::stage(app.stage), th.text),
            ];
            Paragraph::new(text)
                .wrap(Wrap { trim: false })
                .render(inner, buf);
        }
        StageStatus::NotBuilt => {
            let headline = match (app.stage, &cap.later.interpreter) {
                // A live run with tier 2 but without the JIT: nothing was compiled to record.
                (Stage::MachineCode, Some(i)) if cap.later.executors.is_some() => format!(
                    "Not recorded: {} ran without the JIT ({}), so no machine code exists.",
                    cap.engine.label(),
                    i.jit_note.as_deref().unwrap_or(match i.jit_available {
                        Some(false) => "this build has no JIT",
                        _ => "JIT off",
                    })
                ),
                _ => format!(
                    "{} is not built yet in the {}.",
                    app.stage.title(),
                    cap.engine.label()
                ),
            };
            let text = vec![
                Line::styled(headline, th.emphasis),
                Line::raw(""),
                Line::styled(explain::stage(app.stage), th.text),
                Line::raw(""),
                Line::styled(
                    "Nothing is shown here rather than something made up.",
                    Style::new().fg(th.dim),
                ),
            ];
            Paragraph::new(text)
                .wrap(Wrap { trim: false })
                .render(inner, buf);
        }
        StageStatus::Failed(err) => {
            let headline = if err.kind == cpyviz_model::error::PyErrorKind::Unsupported {
                format!("The {} cannot show this stage here:", cap.engine.label())
            } else {
                format!("CPython {} rejects this source:", cap.display_version())
            };
            let mut text = vec![Line::styled(headline, th.emphasis)];
            text.push(Line::raw(""));
            for l in err.render().lines() {
                text.push(Line::styled(l.to_string(), th.error));
            }
            Paragraph::new(text)
                .wrap(Wrap { trim: false })
                .render(inner, buf);
        }
        StageStatus::Ready => match app.stage {
            Stage::Tokens => render_tokens(app, areas, buf),
            Stage::Ast => render_ast(app, areas, buf),
            _ => stages::render(app, areas, buf),
        },
    }
}

fn render_tokens(app: &App, areas: &Areas, buf: &mut Buffer) {
    let th = app.theme();
    let Some(Ok(tokens)) = app.capture().ready_tokens() else {
        return;
    };
    let inner = areas.stage_inner;
    let w = inner.width as usize;
    buf.set_stringn(
        inner.x,
        inner.y,
        format!("  {:<16}{:<16}{}", "START-END", "TYPE", "STRING"),
        w,
        Style::new().fg(th.dim).add_modifier(Modifier::UNDERLINED),
    );
    let first = list_scroll(app, areas);
    let rows = (inner.height as usize).saturating_sub(1);
    for (i, t) in tokens.iter().enumerate().skip(first).take(rows) {
        let y = inner.y + 1 + (i - first) as u16;
        let selected = i == app.token_sel;
        let base = if selected {
            th.selection_row
        } else {
            Style::new()
        };
        if selected {
            buf.set_style(Rect::new(inner.x, y, inner.width, 1), base);
        }
        let pos = format!("{},{}-{},{}", t.start.0, t.start.1, t.end.0, t.end.1);
        let line = Line::from(vec![
            Span::styled(if selected { "▶ " } else { "  " }, th.key),
            Span::styled(format!("{pos:<16}"), Style::new().fg(th.dim)),
            Span::styled(format!("{:<16}", t.kind.name()), token_style(th, t.kind)),
            Span::styled(str_repr(&t.text, app.capture().version), th.text),
        ]);
        line.patch_style(base)
            .render(Rect::new(inner.x, y, inner.width, 1), buf);
    }
}

fn render_ast(app: &App, areas: &Areas, buf: &mut Buffer) {
    let th = app.theme();
    let inner = areas.stage_inner;
    let rows = app.ast_rows();
    if rows.is_empty() && app.preparing_rows() {
        Paragraph::new(Line::styled("Laying out the tree…", th.emphasis)).render(inner, buf);
        return;
    }
    let first = list_scroll(app, areas);
    for (i, r) in rows
        .iter()
        .enumerate()
        .skip(first)
        .take(inner.height as usize)
    {
        let y = inner.y + (i - first) as u16;
        let selected = i == app.ast_sel;
        let base = if selected {
            th.selection_row
        } else {
            Style::new()
        };
        if selected {
            buf.set_style(Rect::new(inner.x, y, inner.width, 1), base);
        }
        let indent = if r.depth > 24 {
            format!("{:>46}", format!("·{}· ", r.depth))
        } else {
            "  ".repeat(r.depth)
        };
        let marker = match (r.has_children, r.folded) {
            (true, true) => "▸ ",
            (true, false) => "▾ ",
            _ => "  ",
        };
        let mut spans = vec![
            Span::styled(if selected { "▶" } else { " " }, th.key),
            Span::styled(indent, Style::new().fg(th.border)),
            Span::styled(marker, th.field),
        ];
        if !r.field.is_empty() {
            spans.push(Span::styled(format!("{} ", r.field), th.field));
        }
        spans.push(Span::styled(r.kind.name(), th.node));
        if !r.detail.is_empty() {
            spans.push(Span::styled(format!(" {}", r.detail), th.detail));
        }
        Line::from(spans)
            .patch_style(base)
            .render(Rect::new(inner.x, y, inner.width, 1), buf);
    }
}

const KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];
const SOFT_KEYWORDS: &[&str] = &["match", "case", "type", "_"];

fn selection_lines(app: &App) -> Vec<Line<'static>> {
    let th = app.theme();
    let cap = app.capture();
    match (app.stage, cap.status_now(app.stage)) {
        (Stage::Tokens, StageStatus::Ready) => {
            let Some(t) = cap
                .ready_tokens()
                .and_then(|t| t.as_ref().ok())
                .and_then(|t| t.get(app.token_sel))
            else {
                return vec![];
            };
            let mut head = vec![
                Span::styled(
                    t.kind.name(),
                    token_style(th, t.kind).add_modifier(Modifier::BOLD),
                ),
                Span::raw(" "),
                Span::styled(str_repr(&t.text, cap.version), th.text),
                Span::styled(
                    format!(
                        "  · line {} col {} to line {} col {}",
                        t.start.0, t.start.1, t.end.0, t.end.1
                    ),
                    Style::new().fg(th.dim),
                ),
            ];
            if t.kind == TokenKind::NAME {
                if KEYWORDS.contains(&t.text.as_str()) {
                    head.push(Span::styled("  · a keyword", th.key));
                } else if SOFT_KEYWORDS.contains(&t.text.as_str()) {
                    head.push(Span::styled(
                        "  · a soft keyword where the grammar allows",
                        th.key,
                    ));
                }
            }
            vec![
                Line::from(head),
                Line::styled(explain::token(t.kind), th.text),
            ]
        }
        (Stage::Ast, StageStatus::Ready) => {
            let Some(r) = app.ast_rows().get(app.ast_sel) else {
                return vec![];
            };
            let mut head = vec![Span::styled(r.kind.name(), th.node)];
            if let Some(span) = r.span {
                let (l1, _) = cap.source.line_col(span.start as usize);
                let (l2, _) = cap
                    .source
                    .line_col((span.end as usize).max(span.start as usize + 1) - 1);
                let lines = if l1 == l2 {
                    format!("  · line {l1}")
                } else {
                    format!("  · lines {l1}–{l2}")
                };
                head.push(Span::styled(lines, Style::new().fg(th.dim)));
            }
            if !r.detail.is_empty() {
                head.push(Span::styled(format!("  {}", r.detail), th.detail));
            }
            vec![
                Line::from(head),
                Line::styled(explain::ast_node(r.kind), th.text),
            ]
        }
        (_, StageStatus::Failed(e)) => vec![Line::styled(
            format!("{}: {}", e.kind.name(), e.msg),
            th.error,
        )],
        (s, _) if is_jit(s) && app.jit().has_builder() => stages::selection_lines(app),
        (_, StageStatus::Ready) => stages::selection_lines(app),
        _ => vec![],
    }
}

fn render_explain(app: &App, area: Rect, buf: &mut Buffer) {
    let th = app.theme();
    let block = pane_block(th, format!("Explain · {}", app.stage.title()), false);
    let inner = block.inner(area);
    block.render(area, buf);
    let mut lines = Vec::new();
    let cap = app.capture();
    if app.diff.is_some() {
        let other = app
            .other_capture()
            .map_or_else(String::new, |c| c.display_version());
        let text = vec![
            Line::from(vec![
                Span::styled("Comparing versions", th.emphasis),
                Span::styled(
                    format!(
                        " — left: CPython {} · right: CPython {other} ({}).",
                        cap.display_version(),
                        cap.engine.label()
                    ),
                    th.text,
                ),
            ]),
            Line::styled(
                "Rows are `python -m dis` lines aligned by a line diff; shaded rows differ between the versions (code-object addresses are masked).",
                th.text,
            ),
            Line::styled("↑ ↓ PgUp PgDn scroll · d or Esc closes.", Style::new().fg(th.dim)),
        ];
        Paragraph::new(text)
            .wrap(Wrap { trim: false })
            .render(inner, buf);
        return;
    }
    if let Some(stale) = app.stale() {
        // Live editing: CPython's message in place of the explanation (its caret lines keep
        // their indentation), until the file is good again.
        lines.push(Line::styled(
            format!("Stale: {}.", stale.headline),
            th.emphasis,
        ));
        for l in &stale.message {
            lines.push(Line::styled(l.clone(), th.error));
        }
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .render(inner, buf);
        return;
    }
    if !cap.tables_match()
        && matches!(
            app.stage,
            Stage::Bytecode | Stage::Specialized | Stage::Uops
        )
    {
        lines.push(Line::styled(
            format!(
                "Opcode facts here come from cpyviz's CPython {} tables; this run is CPython {}.",
                cap.version,
                cap.display_version()
            ),
            th.key,
        ));
    }
    lines.extend(selection_lines(app));
    if let Some(src) = app.defined_in() {
        lines.push(Line::from(vec![
            Span::styled("In CPython: ", Style::new().fg(th.dim)),
            Span::styled(src, th.detail),
        ]));
    }
    lines.extend(warning_lines(app));
    if !lines.is_empty() {
        lines.push(Line::raw(""));
    }
    lines.push(Line::styled(
        explain::stage(app.stage),
        Style::new().fg(th.dim),
    ));
    Paragraph::new(lines)
        .wrap(Wrap { trim: true })
        .render(inner, buf);
}

/// The `SyntaxWarning`s CPython's tool prints for the current stage (`python -m ast`: the
/// parser's; `python -m dis`: the compiler's too), in one line: how many, and the first few
/// by their first sentence.
fn warning_lines(app: &App) -> Vec<Line<'static>> {
    let th = app.theme();
    const SHOWN: usize = 2;
    let all = app.capture().ready_warnings_for(app.stage);
    if all.is_empty() {
        return Vec::new();
    }
    let plural = if all.len() == 1 { "" } else { "s" };
    let mut spans = vec![Span::styled(
        format!("{} SyntaxWarning{plural}", all.len()),
        th.key,
    )];
    for w in all.iter().take(SHOWN) {
        let first = w.msg.split(". ").next().unwrap_or(&w.msg);
        spans.push(Span::styled(
            format!(" · line {}: {first}", w.lineno),
            th.text,
        ));
    }
    let more = all.len().saturating_sub(SHOWN);
    let tail = if more > 0 {
        format!(" · {more} more")
    } else {
        String::new()
    };
    spans.push(Span::styled(
        format!("{tail} (cpyviz dump {} prints them)", app.stage.cli_name()),
        Style::new().fg(th.dim),
    ));
    vec![Line::from(spans)]
}

fn render_footer(app: &App, area: Rect, buf: &mut Buffer) {
    let th = app.theme();
    if let Some(search) = &app.search {
        let style = if search.editing || !search.matches.is_empty() {
            th.key
        } else {
            th.error
        };
        buf.set_stringn(
            area.x + 1,
            area.y,
            search.prompt(),
            area.width as usize,
            style,
        );
        return;
    }
    if let Some(status) = &app.status {
        buf.set_stringn(area.x + 1, area.y, status, area.width as usize, th.key);
        return;
    }
    // A stage's own keys come first; when they do not all fit, global keys the header or help
    // also tell of make room, least needed first.
    const DROP_FIRST: [&str; 4] = ["o", "f", "v", "↑↓"];
    let mut entries: Vec<(&str, &str)> = KEYMAP
        .iter()
        .filter(|b| b.in_footer(app.stage))
        .filter_map(|b| b.footer)
        .collect();
    let width = |e: &[(&str, &str)]| -> usize {
        e.iter()
            .map(|(k, w)| Line::from(format!(" {k} {w} ")).width())
            .sum()
    };
    for drop in DROP_FIRST {
        if width(&entries) <= area.width as usize {
            break;
        }
        entries.retain(|(k, _)| *k != drop);
    }
    let mut spans = Vec::new();
    for (k, what) in entries {
        spans.push(Span::styled(format!(" {k} "), th.key));
        spans.push(Span::styled(format!("{what} "), Style::new().fg(th.dim)));
    }
    let focus = match app.focus {
        Focus::Source => "focus: source",
        Focus::Stage => "focus: stage",
    };
    let line = Line::from(spans);
    let used = line.width();
    line.render(area, buf);
    if area.width as usize > focus.len() + used + 2 {
        let x = area.right() - focus.len() as u16 - 1;
        buf.set_string(x, area.y, focus, Style::new().fg(th.dim));
    }
}

fn render_help(app: &App, area: Rect, buf: &mut Buffer) {
    let th = app.theme();
    let mut lines = vec![
        Line::styled(
            "cpyviz steps one snippet through CPython's pipeline.",
            th.emphasis,
        ),
        Line::raw(""),
    ];
    for b in KEYMAP {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<20}", b.keys), th.key),
            Span::styled(b.help, th.text),
        ]));
    }
    lines.push(Line::raw(""));
    let cap = app.capture();
    let built: Vec<String> = Stage::all()
        .filter(|s| !matches!(cap.status_now(*s), StageStatus::NotBuilt))
        .map(|s| s.title().to_string())
        .collect();
    lines.push(Line::styled(
        format!(
            "Showing the {} for CPython {}. Stages this engine builds: {}.",
            cap.engine.label(),
            cap.display_version(),
            built.join(", ")
        ),
        Style::new().fg(th.dim),
    ));
    lines.push(Line::styled(
        "Press ? or Esc to close.",
        Style::new().fg(th.dim),
    ));
    // As wide as the screen allows (up to 120 columns); taller than the screen, it scrolls.
    let width = 120.min(area.width.saturating_sub(4));
    let text_width = width.saturating_sub(4).max(1) as usize;
    let wrapped: usize = lines
        .iter()
        .map(|l| l.width().max(1).div_ceil(text_width))
        .sum();
    let room = area.height.saturating_sub(4) as usize;
    if wrapped <= room {
        render_overlay_sized(th, "Help", lines, area, buf, width);
        return;
    }
    let scroll = app.help_scroll.min(wrapped - room);
    let title = if scroll + room < wrapped {
        "Help · ↑↓ PgDn: more below"
    } else {
        "Help · ↑↓ PgUp: more above"
    };
    let height = (room as u16 + 2).min(area.height.saturating_sub(2));
    let inner = overlay_frame(th, title, area, width, height, buf);
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .scroll((scroll as u16, 0))
        .render(inner, buf);
}

/// A bordered overlay of `width`×`height` centred in `area`, cleared to the theme's background;
/// returns the area inside its border.
fn overlay_frame(
    th: &Theme,
    title: &str,
    area: Rect,
    width: u16,
    height: u16,
    buf: &mut Buffer,
) -> Rect {
    let rect = Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    );
    Clear.render(rect, buf);
    buf.set_style(rect, Style::new().bg(th.bg));
    let block = pane_block(th, title.into(), true);
    let inner = block.inner(rect);
    block.render(rect, buf);
    inner
}

/// The 3.14 ↔ 3.15 comparison in the stage pane: this version's disassembly on the left, the
/// other's on the right, aligned; changed lines in the theme's diff colors.
fn render_diff(
    app: &App,
    stage: Stage,
    rows: &[crate::app::diff::DiffRow],
    rect: Rect,
    buf: &mut Buffer,
) {
    let th = app.theme();
    use crate::app::diff::DiffKind;
    let cap = app.capture();
    let other = app
        .other_capture()
        .map_or_else(String::new, |c| c.display_version());
    let changed = rows.iter().filter(|r| r.kind != DiffKind::Same).count();
    let title = format!(
        "{} · {} · CPython {} ↔ {other} · {changed} lines differ",
        stage.title(),
        cap.engine.label(),
        cap.display_version()
    );
    let block = pane_block(th, title, true);
    let inner = block.inner(rect);
    block.render(rect, buf);
    let half = inner.width.saturating_sub(1) / 2;
    let first = app.diff_scroll.min(rows.len().saturating_sub(1));
    for (k, row) in rows
        .iter()
        .skip(first)
        .take(inner.height as usize)
        .enumerate()
    {
        let y = inner.y + k as u16;
        let (ls, rs) = match row.kind {
            DiffKind::Same => (Style::new().fg(th.dim), Style::new().fg(th.dim)),
            DiffKind::Changed => (th.diff_old, th.diff_new),
            DiffKind::Removed => (th.diff_old, th.diff_old),
            DiffKind::Added => (th.diff_new, th.diff_new),
        };
        if let Some(l) = &row.left {
            buf.set_stringn(inner.x, y, l, half as usize, ls);
        }
        buf.set_string(inner.x + half, y, "│", Style::new().fg(th.dim));
        if let Some(r) = &row.right {
            buf.set_stringn(
                inner.x + half + 1,
                y,
                r,
                inner.width.saturating_sub(half + 1) as usize,
                rs,
            );
        }
    }
}

/// A bordered box in the middle of the screen, sized to its (wrapped) lines.
fn render_overlay(
    th: &Theme,
    title: &str,
    lines: Vec<Line<'static>>,
    area: Rect,
    buf: &mut Buffer,
) {
    render_overlay_sized(
        th,
        title,
        lines,
        area,
        buf,
        88.min(area.width.saturating_sub(4)),
    );
}

/// [`render_overlay`] at most `width` columns wide.
fn render_overlay_sized(
    th: &Theme,
    title: &str,
    lines: Vec<Line<'static>>,
    area: Rect,
    buf: &mut Buffer,
    width: u16,
) {
    let text_width = width.saturating_sub(4).max(1) as usize;
    let wrapped: usize = lines
        .iter()
        .map(|l| l.width().max(1).div_ceil(text_width))
        .sum();
    let height = (wrapped as u16 + 2).min(area.height.saturating_sub(2));
    let inner = overlay_frame(th, title, area, width, height, buf);
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .render(inner, buf);
}

/// Lines of the snippet's output shown in the output overlay, at most.
const OUTPUT_LINES: usize = 40;

fn render_output(app: &App, area: Rect, buf: &mut Buffer) {
    let th = app.theme();
    let cap = app.capture();
    let dim = Style::new().fg(th.dim);
    let mut lines = Vec::new();
    match cap.ready_run() {
        None if !cap.is_ready(Stage::Specialized) => lines.push(Line::styled(
            format!("The {} is still running the snippet…", cap.engine.label()),
            th.text,
        )),
        None => {
            lines.push(Line::styled(
                format!(
                    "The {} does not run the snippet, so there is no output to show.",
                    cap.engine.label()
                ),
                th.text,
            ));
            lines.push(Line::styled(
                "Run it with a real CPython: --engine cpython (this executes the code).",
                dim,
            ));
        }
        Some(Err(e)) => {
            lines.push(Line::styled("The snippet did not run:", th.emphasis));
            for l in e.render().lines() {
                lines.push(Line::styled(l.to_string(), th.error));
            }
        }
        Some(Ok(run)) => {
            lines.push(Line::styled(
                format!(
                    "What the snippet printed when {} ran it (exit status {}):",
                    cap.engine.label(),
                    run.exit_code
                ),
                th.emphasis,
            ));
            lines.push(Line::raw(""));
            let mut push_block = |label: &str, text: &str, style: Style| {
                if text.is_empty() {
                    return;
                }
                lines.push(Line::styled(label.to_string(), dim));
                let all: Vec<&str> = text.lines().collect();
                for l in all.iter().take(OUTPUT_LINES) {
                    lines.push(Line::styled(l.to_string(), style));
                }
                if all.len() > OUTPUT_LINES {
                    lines.push(Line::styled(
                        format!("… {} more lines", all.len() - OUTPUT_LINES),
                        dim,
                    ));
                }
            };
            push_block("stdout", &run.stdout, th.text);
            push_block("stderr", &run.stderr, th.error);
            // The traceback, when stderr does not hold it already.
            if let Some(x) = &run.exception {
                if !x.traceback.is_empty() && !run.stderr.contains(x.traceback.trim()) {
                    push_block("traceback", &x.traceback, th.error);
                }
            }
            if run.stdout.is_empty() && run.stderr.is_empty() {
                lines.push(Line::styled("(no output)", dim));
            }
        }
    }
    let limit = crate::app::stages::execution_of(cap).and_then(|e| e.limit.as_ref());
    if let Some((_, why)) = limit {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            format!("The run stopped early: {why}"),
            th.key,
        ));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Press o or Esc to close.", dim));
    render_overlay(
        th,
        &format!("Output · {}", provenance(app)),
        lines,
        area,
        buf,
    );
}
