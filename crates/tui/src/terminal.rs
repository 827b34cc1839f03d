//! The interactive terminal: raw mode, the event loop, and restoring the terminal on every way
//! out (normal exit, error, panic, SIGTERM/SIGHUP/SIGINT/SIGQUIT).
//!
//! Test hook (`scripts/check-terminal`): `CPYVIZ_TEST_PANIC=draw` makes drawing panic,
//! `CPYVIZ_TEST_PANIC=error` makes the event loop return an error after the first frame, as a
//! failed draw does. Both only end the viewer the way a bug would; nothing else reads them.

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
    let signals = restore_on_signals();
    let hook = std::env::var("CPYVIZ_TEST_PANIC").unwrap_or_default();
    let result = (|| {
        execute!(io::stdout(), EnableMouseCapture)?;
        let _guard = MouseGuard;
        if hook == "draw" || hook == "error" {
            let drawn = std::cell::Cell::new(false);
            event_loop(
                &mut terminal,
                &mut TestHook {
                    screen: app,
                    hook,
                    drawn,
                },
            )?;
            return Err(io::Error::other("CPYVIZ_TEST_PANIC=error: the draw failed"));
        }
        event_loop(&mut terminal, &mut app)
    })();
    ratatui::restore();
    drop(signals);
    result
}

/// Restores the terminal and exits (status 128 + the signal) when the process is asked to
/// end while the viewer runs: a signal thread, stopped when the handle is dropped.
#[cfg(unix)]
fn restore_on_signals() -> Option<signal_hook::iterator::Handle> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
    let mut signals =
        signal_hook::iterator::Signals::new([SIGTERM, SIGHUP, SIGINT, SIGQUIT]).ok()?;
    let handle = signals.handle();
    std::thread::Builder::new()
        .name("cpyviz-signals".into())
        .spawn(move || {
            if let Some(sig) = signals.forever().next() {
                let _ = execute!(io::stdout(), DisableMouseCapture);
                ratatui::restore();
                std::process::exit(128 + sig);
            }
        })
        .ok()?;
    Some(handle)
}

#[cfg(not(unix))]
fn restore_on_signals() -> Option<()> {
    None
}

/// The test hook's screen: `draw` panics (`CPYVIZ_TEST_PANIC=draw`), or the loop ends after
/// the first frame (`error`, which `run` then returns as an error).
struct TestHook<S> {
    screen: S,
    hook: String,
    drawn: std::cell::Cell<bool>,
}

impl<S: Screen> Screen for TestHook<S> {
    fn app(&mut self) -> &mut App {
        self.screen.app()
    }
    fn set_size(&mut self, width: u16, height: u16) {
        self.screen.set_size(width, height);
    }
    fn tick(&mut self) {
        self.screen.tick();
    }
    fn handle_key(&mut self, key: KeyEvent) {
        self.screen.handle_key(key);
    }
    fn draw(&self, frame: &mut ratatui::Frame) {
        self.screen.draw(frame);
        self.drawn.set(true);
        if self.hook == "draw" {
            panic!("CPYVIZ_TEST_PANIC=draw: a panic while drawing");
        }
    }
    fn computing(&self) -> bool {
        // `error`: the loop wakes up after the first frame instead of waiting for a key.
        self.screen.computing() || self.hook == "error"
    }
    fn done(&self) -> bool {
        self.screen.done() || (self.hook == "error" && self.drawn.get())
    }
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
