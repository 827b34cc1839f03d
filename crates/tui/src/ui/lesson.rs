//! The lesson's part of the screen: the narration panel of the presenter layout, the banner
//! of free exploration, and the lesson's overlays (steps, notes, keys, quit). The stage pane
//! itself is the viewer's own (`impl Widget for &App`).

use super::{pane_block, render_overlay, render_overlay_sized, MIN_SIZE};
use crate::lesson::{LessonApp, Mode, Overlay, LESSON_KEYS};
use cpyviz_model::lesson::paragraphs;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;
use unicode_width::UnicodeWidthStr;

/// Rows the narration panel takes at most, as a share of the screen (the rest is the stage).
const NARRATION_SHARE: f32 = 0.5;

/// The narration panel's height for a screen of `width`×`height`: its lines plus the borders,
/// at least 6 rows and at most half the screen.
pub fn narration_height(l: &LessonApp, width: u16, height: u16) -> u16 {
    let lines = narration_lines(l, width.saturating_sub(4) as usize).len() as u16;
    let max = ((height as f32 * NARRATION_SHARE) as u16).max(6);
    (lines + 2).clamp(6, max)
}

/// Greedy word wrap of styled runs into lines of at most `width` columns.
fn wrap(runs: Vec<Span<'static>>, width: usize, indent: &str) -> Vec<Line<'static>> {
    let width = width.max(8);
    let mut lines = Vec::new();
    let mut line: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for run in runs {
        let style = run.style;
        // Split each run at spaces, keeping the spaces with the word before them.
        for word in run.content.split_inclusive(' ') {
            let trimmed = word.trim_end().width();
            if used > 0 && used + trimmed > width {
                lines.push(Line::from(std::mem::take(&mut line)));
                line.push(Span::raw(indent.to_string()));
                used = indent.width();
            }
            // A word longer than the line is cut.
            let mut word = word.to_string();
            while used + word.trim_end().width() > width && word.chars().count() > 1 {
                let take: String = word
                    .chars()
                    .scan(used, |u, c| {
                        *u += c.to_string().width();
                        (*u <= width).then_some(c)
                    })
                    .collect();
                if take.is_empty() {
                    break;
                }
                word = word[take.len()..].to_string();
                line.push(Span::styled(take, style));
                lines.push(Line::from(std::mem::take(&mut line)));
                line.push(Span::raw(indent.to_string()));
                used = indent.width();
            }
            used += word.width();
            line.push(Span::styled(word, style));
        }
    }
    if !line.is_empty() {
        lines.push(Line::from(line));
    }
    lines
}

/// The narration panel's lines at `width` columns: the step's paragraphs, its highlights
/// (source lines with the text marked), what is selected and where CPython defines it, and
/// the problem if the selection could not be made.
pub fn narration_lines(l: &LessonApp, width: usize) -> Vec<Line<'static>> {
    let th = l.app.theme();
    let step = &l.lesson.steps[l.step];
    let mut out = Vec::new();
    for (i, para) in paragraphs(&step.narration).into_iter().enumerate() {
        if i > 0 {
            out.push(Line::raw(""));
        }
        let bullet = para.first().is_some_and(|(t, _)| t.starts_with("• "));
        let runs = para
            .into_iter()
            .map(|(text, code)| {
                if code {
                    Span::styled(text, th.opname.add_modifier(Modifier::BOLD))
                } else {
                    Span::styled(text, th.text)
                }
            })
            .collect();
        out.extend(wrap(runs, width, if bullet { "  " } else { "" }));
    }
    let src = &l.app.capture().source;
    let mut shown_lines = Vec::new();
    for h in &step.highlight {
        let Some(at) = src.text.find(h.as_str()) else {
            out.push(Line::styled(
                format!("⚠ highlight {h:?} is not in the snippet"),
                th.error,
            ));
            continue;
        };
        let (line, _) = src.line_col(at);
        if shown_lines.contains(&line) {
            continue;
        }
        shown_lines.push(line);
        let text = src.line_text(line).to_string();
        let mut spans = vec![Span::styled(
            format!("{line:>4} │ "),
            Style::new().fg(th.dim),
        )];
        // Every highlight on this line is marked.
        let mut marks: Vec<(usize, usize)> = step
            .highlight
            .iter()
            .filter_map(|h| {
                let a = text.find(h.as_str())?;
                Some((a, a + h.len()))
            })
            .collect();
        marks.sort();
        let mut pos = 0;
        for (a, b) in marks {
            if a < pos {
                continue;
            }
            spans.push(Span::styled(text[pos..a].to_string(), th.text));
            spans.push(Span::styled(text[a..b].to_string(), th.hole_selected));
            pos = b;
        }
        spans.push(Span::styled(text[pos..].to_string(), th.text));
        out.push(Line::from(spans));
    }
    if let Some(p) = &l.problem {
        out.push(Line::raw(""));
        out.extend(wrap(
            vec![Span::styled(format!("⚠ {p}"), th.error)],
            width,
            "  ",
        ));
    } else if step.select.is_some() {
        let selected = l.app.row_text(l.app.selected_row());
        let selected = selected.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut runs = vec![
            Span::styled("▸ ", th.key),
            Span::styled(selected, th.emphasis),
        ];
        if let Some(d) = l.app.defined_in() {
            runs.push(Span::styled(" — in CPython: ", Style::new().fg(th.dim)));
            runs.push(Span::styled(d, th.detail));
        }
        out.push(Line::raw(""));
        out.extend(wrap(runs, width, "  "));
    }
    out
}

/// `●●●○○○○ 3/7`.
fn progress(l: &LessonApp) -> String {
    let n = l.step_count();
    let dots: String = (0..n)
        .map(|i| if i <= l.step { '●' } else { '○' })
        .collect();
    if n <= 20 {
        format!(" {dots} {}/{n} ", l.step + 1)
    } else {
        format!(" {}/{n} ", l.step + 1)
    }
}

impl Widget for &LessonApp {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let th = self.app.theme();
        (&self.app).render(area, buf);
        if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
            return;
        }
        match self.mode {
            Mode::Guided => render_narration(self, super::layout(&self.app).lesson, buf),
            Mode::Explore => render_banner(self, area, buf),
        }
        match self.overlay {
            Some(Overlay::Steps(sel)) => render_steps(self, sel, area, buf),
            Some(Overlay::Notes) => {
                let step = &self.lesson.steps[self.step];
                let text = if step.notes.is_empty() {
                    "No speaker notes for this step.".to_string()
                } else {
                    step.notes.clone()
                };
                let lines = text
                    .lines()
                    .map(|l| Line::styled(l.to_string(), th.text))
                    .collect();
                render_overlay(
                    th,
                    &format!("Speaker notes · step {}", self.step + 1),
                    lines,
                    area,
                    buf,
                );
            }
            Some(Overlay::Help) => {
                let mut lines = vec![Line::styled(
                    format!("Lesson: {}", self.lesson.title),
                    th.emphasis,
                )];
                lines.push(Line::raw(""));
                for (keys, what) in LESSON_KEYS {
                    lines.push(Line::from(vec![
                        Span::styled(format!("{keys:<20}"), th.key),
                        Span::styled(what.to_string(), th.text),
                    ]));
                }
                render_overlay(th, "Lesson keys · any key closes", lines, area, buf);
            }
            Some(Overlay::ConfirmQuit) => {
                let lines = vec![
                    Line::styled("Quit the lesson?", th.emphasis),
                    Line::styled("y or q: quit · any other key: stay", th.text),
                ];
                render_overlay_sized(th, "Quit", lines, area, buf, 44.min(area.width));
            }
            None => {}
        }
    }
}

fn render_narration(l: &LessonApp, area: Rect, buf: &mut Buffer) {
    let th = l.app.theme();
    if area.height < 3 {
        return;
    }
    let step = &l.lesson.steps[l.step];
    let mut title = format!("Step {}/{} · {}", l.step + 1, l.step_count(), step.title);
    if !l.digits.is_empty() {
        title.push_str(&format!(" · go to step {}…", l.digits));
    }
    let block = pane_block(th, title, true)
        .title_bottom(Line::styled(progress(l), th.key).right_aligned())
        .title_bottom(Line::styled(
            match &l.app.status {
                Some(s) => format!(" {s} "),
                None => match &l.app.search {
                    Some(s) => format!(" {} ", s.prompt()),
                    None => " PgDn next · PgUp back · x explore · / search · ? keys ".to_string(),
                },
            },
            Style::new().fg(th.dim),
        ));
    let inner = block.inner(area);
    block.render(area, buf);
    let lines = narration_lines(l, inner.width as usize);
    let more = lines.len() > inner.height as usize;
    for (i, line) in lines.into_iter().take(inner.height as usize).enumerate() {
        line.render(Rect::new(inner.x, inner.y + i as u16, inner.width, 1), buf);
    }
    if more && inner.height > 0 {
        let y = inner.bottom() - 1;
        buf.set_string(inner.right().saturating_sub(8), y, " more ↓ ", th.key);
    }
}

/// Free exploration: the right end of the footer says how to come back (the header keeps the
/// engine and version).
fn render_banner(l: &LessonApp, area: Rect, buf: &mut Buffer) {
    let th = l.app.theme();
    let text = format!(" lesson {}/{} · x returns ", l.step + 1, l.step_count());
    let w = text.width() as u16;
    if area.width > w + 20 && area.height > 0 {
        let y = area.bottom() - 1;
        buf.set_string(area.right() - w, y, text, th.stage_current);
    }
}

fn render_steps(l: &LessonApp, sel: usize, area: Rect, buf: &mut Buffer) {
    let th = l.app.theme();
    let lines = l
        .lesson
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let style = if i == sel {
                th.selection_row.patch(th.emphasis)
            } else {
                th.text
            };
            let mark = if i == l.step { "▸" } else { " " };
            Line::styled(
                format!(
                    "{mark}{:>3}  {:<40} {:<12} {}",
                    i + 1,
                    s.title,
                    s.stage.short_title(),
                    s.version
                ),
                style,
            )
        })
        .collect();
    render_overlay(
        th,
        &format!("{} · ↑ ↓ Enter jumps · Esc closes", l.lesson.title),
        lines,
        area,
        buf,
    );
}

/// Renders a lesson into a fresh buffer, as a terminal of `width`×`height` would show it.
pub fn render_to_buffer(l: &mut LessonApp, width: u16, height: u16) -> Buffer {
    l.set_size(width, height);
    let area = Rect::new(0, 0, width, height);
    let mut buf = Buffer::empty(area);
    (&*l).render(area, &mut buf);
    buf
}

/// A lesson step as an exported image shows it: [`render_to_buffer`], with the export footer
/// under it when asked.
pub fn render_for_export(l: &mut LessonApp, width: u16, height: u16, footer: bool) -> Buffer {
    let screen = render_to_buffer(l, width, height);
    if footer {
        super::with_footer(&l.app, &screen)
    } else {
        screen
    }
}

/// The current step as one frame of an animation, shown for the step's duration.
pub fn export_frame(
    l: &mut LessonApp,
    width: u16,
    height: u16,
    footer: bool,
) -> cpyviz_export::Frame {
    let buffer = render_for_export(l, width, height, footer);
    let mut options = super::export_options(&l.app);
    options.title = Some(export_title(l));
    cpyviz_export::Frame {
        buffer,
        options,
        seconds: l.lesson.steps[l.step].duration,
    }
}

/// `cpyviz · LESSON · step 3 of 7: TITLE`, the exported file's title.
pub fn export_title(l: &LessonApp) -> String {
    format!(
        "cpyviz · {} · step {} of {}: {}",
        l.lesson.title,
        l.step + 1,
        l.step_count(),
        l.lesson.steps[l.step].title
    )
}
