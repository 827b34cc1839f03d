//! The panes of the later stages: bytecode and specialized instructions, micro-op traces, JIT
//! machine code and trampolines. They draw the rows `App` caches
//! ([`crate::app::stages::LaterRows`], [`crate::app::jit::JitState`]).

mod bytecode;
mod jit;
mod machine;
pub(crate) mod specialized;
mod trampolines;
mod uops;

use super::{list_header_rows, list_scroll, Areas};
use crate::app::App;
use crate::theme::Theme;
use cpyviz_model::capture::Stage;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget, Wrap};

/// Draws the pane of a later stage whose data is ready.
pub fn render(app: &App, areas: &Areas, buf: &mut Buffer) {
    let jit = app.jit().has_builder();
    match app.stage {
        Stage::Bytecode => bytecode::render(app, areas, buf),
        Stage::Specialized => specialized::render(app, areas, buf),
        Stage::Uops => uops::render(app, areas, buf),
        Stage::MachineCode if jit => jit::render(app, areas, buf),
        Stage::MachineCode => machine::render(app, areas, buf),
        Stage::Trampolines if jit => trampolines::render(app, areas, buf),
        _ => {}
    }
}

/// The explanation of the selected row of a later stage.
pub fn selection_lines(app: &App) -> Vec<Line<'static>> {
    let jit = app.jit().has_builder();
    match app.stage {
        Stage::Bytecode | Stage::Specialized => bytecode::selection_lines(app),
        Stage::Uops => uops::selection_lines(app),
        Stage::MachineCode if jit => jit::selection_lines(app),
        Stage::MachineCode => machine::selection_lines(app),
        Stage::Trampolines if jit => trampolines::selection_lines(app),
        _ => vec![],
    }
}

/// The pane title's note on the stencils of the JIT stages: a model, or imported.
pub fn stencils_title(app: &App) -> Option<&'static str> {
    jit::stencils_label(app)
}

/// Draws the visible rows: `line(i, selected)` makes row `i`'s line.
fn render_rows(
    app: &App,
    areas: &Areas,
    buf: &mut Buffer,
    mut line: impl FnMut(usize, bool) -> Line<'static>,
) {
    let th = app.theme();
    let inner = areas.stage_inner;
    let top = list_header_rows(app).min(inner.height as usize);
    let first = list_scroll(app, areas);
    let n = app.row_count();
    let sel = app.selected_row();
    for i in (first..n).take(inner.height as usize - top) {
        let y = inner.y + (top + i - first) as u16;
        let selected = i == sel;
        let rect = Rect::new(inner.x, y, inner.width, 1);
        if selected {
            buf.set_style(rect, th.selection_row);
        }
        let l = line(i, selected);
        let l = if selected {
            l.patch_style(th.selection_row)
        } else {
            l
        };
        l.render(rect, buf);
    }
}

/// A message in the pane when a ready stage has no rows (e.g. no executor was created).
fn render_empty(areas: &Areas, buf: &mut Buffer, lines: Vec<Line<'static>>) {
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .render(areas.stage_inner, buf);
}

fn dim(th: &Theme) -> Style {
    Style::new().fg(th.dim)
}
