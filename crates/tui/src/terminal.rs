//! The interactive terminal: raw mode, the event loop, and restoring the terminal on every way
//! out (normal exit, error, panic).

use crate::app::{action_for_key, Action, App};
use crate::ui;
use ratatui::crossterm::event::{
    self, DisableMouseCapture, EnableMouseCapture, Event, KeyEventKind, MouseButton, MouseEventKind,
};
use ratatui::crossterm::execute;
use ratatui::DefaultTerminal;
use std::io;

/// Restores the terminal when dropped (also on early return and unwinding).
struct MouseGuard;

impl Drop for MouseGuard {
    fn drop(&mut self) {
        let _ = execute!(io::stdout(), DisableMouseCapture);
    }
}

/// Runs the viewer until the user quits.
pub fn run(mut app: App) -> io::Result<()> {
    // ratatui::init installs a panic hook that restores the terminal before the panic message;
    // chain one that also turns mouse reporting off first.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = execute!(io::stdout(), DisableMouseCapture);
        previous(info);
    }));
    let mut terminal = ratatui::init();
    let result = (|| {
        execute!(io::stdout(), EnableMouseCapture)?;
        let _guard = MouseGuard;
        event_loop(&mut terminal, &mut app)
    })();
    ratatui::restore();
    result
}

fn event_loop(terminal: &mut DefaultTerminal, app: &mut App) -> io::Result<()> {
    while !app.quit {
        let size = terminal.size()?;
        app.size = (size.width, size.height);
        app.tick();
        terminal.draw(|frame| frame.render_widget(&*app, frame.area()))?;
        // While stages are computed on another thread, wake up now and then to show them.
        if app.computing() && !event::poll(std::time::Duration::from_millis(100))? {
            continue;
        }
        let action = match event::read()? {
            Event::Key(key) if key.kind != KeyEventKind::Release => action_for_key(key),
            Event::Mouse(m) => match m.kind {
                MouseEventKind::Down(MouseButton::Left) => {
                    Some(Action::Click(ui::hit(app, m.column, m.row)))
                }
                MouseEventKind::ScrollUp => Some(Action::ScrollUp(ui::hit(app, m.column, m.row))),
                MouseEventKind::ScrollDown => {
                    Some(Action::ScrollDown(ui::hit(app, m.column, m.row)))
                }
                _ => None,
            },
            _ => None, // Resize: redraw on the next turn.
        };
        if let Some(action) = action {
            app.update(action);
        }
    }
    Ok(())
}
