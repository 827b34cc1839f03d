//! The interactive terminal: raw mode, the event loop, and restoring the terminal on every way
//! out (normal exit, error, panic).

use crate::app::{Action, App};
use crate::lesson::LessonApp;
use crate::ui;
use ratatui::crossterm::event::KeyEvent;
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

/// What the event loop drives: the viewer, or a lesson presented over it.
pub trait Screen {
    /// The viewer (mouse events go to it).
    fn app(&mut self) -> &mut App;
    /// Sets the terminal size before a frame is drawn.
    fn set_size(&mut self, width: u16, height: u16);
    /// Takes in what finished computing.
    fn tick(&mut self);
    fn handle_key(&mut self, key: KeyEvent);
    fn draw(&self, frame: &mut ratatui::Frame);
    /// Whether anything is still being computed (the loop then wakes up to show it).
    fn computing(&self) -> bool;
    fn done(&self) -> bool;
}

impl Screen for App {
    fn app(&mut self) -> &mut App {
        self
    }
    fn set_size(&mut self, width: u16, height: u16) {
        self.size = (width, height);
    }
    fn tick(&mut self) {
        App::tick(self);
    }
    fn handle_key(&mut self, key: KeyEvent) {
        App::handle_key(self, key);
    }
    fn draw(&self, frame: &mut ratatui::Frame) {
        frame.render_widget(self, frame.area());
    }
    fn computing(&self) -> bool {
        App::computing(self)
    }
    fn done(&self) -> bool {
        self.quit
    }
}

impl Screen for LessonApp {
    fn app(&mut self) -> &mut App {
        &mut self.app
    }
    fn set_size(&mut self, width: u16, height: u16) {
        LessonApp::set_size(self, width, height);
    }
    fn tick(&mut self) {
        LessonApp::tick(self);
    }
    fn handle_key(&mut self, key: KeyEvent) {
        LessonApp::handle_key(self, key);
    }
    fn draw(&self, frame: &mut ratatui::Frame) {
        frame.render_widget(self, frame.area());
    }
    fn computing(&self) -> bool {
        LessonApp::computing(self)
    }
    fn done(&self) -> bool {
        self.quit || self.app.quit
    }
}

/// Runs the viewer (or a lesson) until the user quits.
pub fn run(mut app: impl Screen) -> io::Result<()> {
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

fn event_loop(terminal: &mut DefaultTerminal, screen: &mut impl Screen) -> io::Result<()> {
    while !screen.done() {
        let size = terminal.size()?;
        screen.set_size(size.width, size.height);
        screen.tick();
        terminal.draw(|frame| screen.draw(frame))?;
        // While stages are computed on another thread, wake up now and then to show them.
        if screen.computing() && !event::poll(std::time::Duration::from_millis(100))? {
            continue;
        }
        match event::read()? {
            Event::Key(key) if key.kind != KeyEventKind::Release => screen.handle_key(key),
            Event::Mouse(m) => {
                let app = screen.app();
                let hit = ui::hit(app, m.column, m.row);
                let action = match m.kind {
                    MouseEventKind::Down(MouseButton::Left) => Some(Action::Click(hit)),
                    MouseEventKind::ScrollUp => Some(Action::ScrollUp(hit)),
                    MouseEventKind::ScrollDown => Some(Action::ScrollDown(hit)),
                    _ => None,
                };
                if let Some(action) = action {
                    app.update(action);
                }
            }
            _ => {} // Resize: redraw on the next turn.
        }
    }
    Ok(())
}
