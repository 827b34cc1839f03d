//! The interactive terminal: raw mode, the event loop, and restoring the terminal on every way
//! out (normal exit, error, panic, SIGTERM/SIGHUP/SIGINT/SIGQUIT). Live editing: with a
//! [`Watcher`] the loop looks at the file every [`WATCH_PERIOD`] and hands new captures to the
//! app; `e` runs the editor on it.
//!
//! Test hook (`scripts/check-terminal`): `CPYVIZ_TEST_PANIC=draw` makes drawing panic,
//! `CPYVIZ_TEST_PANIC=error` makes the event loop return an error after the first frame, as a
//! failed draw does. Both only end the viewer the way a bug would; nothing else reads them.

use crate::app::{Action, App};
use crate::lesson::LessonApp;
use crate::ui;
use cpyviz_model::capture::Capture;
use ratatui::crossterm::event::KeyEvent;
use ratatui::crossterm::event::{
    self, DisableMouseCapture, EnableMouseCapture, Event, KeyEventKind, MouseButton, MouseEventKind,
};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, Clear, ClearType, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::DefaultTerminal;
use std::io;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How often a watched file is looked at.
pub const WATCH_PERIOD: Duration = Duration::from_millis(200);

/// The file behind the view, for live editing. The command line implements it with the
/// engine: the viewer never makes captures itself.
pub trait Watcher {
    /// Whether to look at the file every [`WATCH_PERIOD`] (`--watch`); else only after `e`.
    fn watching(&self) -> bool;
    /// Whether the file changed since it was last loaded (a cheap look: size and modification
    /// time; a file that disappeared has changed).
    fn changed(&mut self) -> bool;
    /// Starts making new captures of the file as it is now. The live engine runs CPython for
    /// them, which takes a while: the work happens elsewhere, and the viewer stays responsive.
    fn start_reload(&mut self);
    /// The captures of the reload started last, or why there are none (a message for the
    /// user), once they are made; `None` while none is finished.
    fn reloaded(&mut self) -> Option<Result<Vec<Capture>, String>>;
    /// Whether a reload is under way.
    fn reloading(&self) -> bool;
    /// The file `e` opens, or why there is none. A snippet that is not a file here (a bundled
    /// sample) is first copied to a temporary file, which is watched from then on.
    fn editable(&mut self) -> Result<PathBuf, String>;
}

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
pub fn run(app: impl Screen) -> io::Result<()> {
    run_with(app, None)
}

/// Runs the viewer (or a lesson) until the user quits; with a watcher, it follows the file's
/// changes and `e` edits it.
pub fn run_with(mut app: impl Screen, mut watcher: Option<Box<dyn Watcher>>) -> io::Result<()> {
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
                &mut watcher,
            )?;
            return Err(io::Error::other("CPYVIZ_TEST_PANIC=error: the draw failed"));
        }
        event_loop(&mut terminal, &mut app, &mut watcher)
    })();
    ratatui::restore();
    drop(signals);
    result
}

/// Hands the watcher's new captures (or why there are none) to the app, if a reload finished.
pub fn reload_into(app: &mut App, watcher: &mut dyn Watcher) {
    match watcher.reloaded() {
        Some(Ok(captures)) => app.reload(captures),
        Some(Err(why)) => app.reload_failed(&why),
        None => {}
    }
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

fn event_loop(
    terminal: &mut DefaultTerminal,
    screen: &mut impl Screen,
    watcher: &mut Option<Box<dyn Watcher>>,
) -> io::Result<()> {
    let mut looked = Instant::now();
    while !screen.done() {
        let size = terminal.size()?;
        screen.set_size(size.width, size.height);
        screen.tick();
        terminal.draw(|frame| screen.draw(frame))?;
        if screen.app().take_edit_request() {
            let app = screen.app();
            match watcher {
                Some(w) => edit(terminal, app, w.as_mut())?,
                None => {
                    app.status = Some("e: this view is not of a file that can be edited".into())
                }
            }
            continue;
        }
        if let Some(w) = watcher.as_mut() {
            reload_into(screen.app(), w.as_mut());
        }
        let watching = watcher.as_ref().is_some_and(|w| w.watching());
        let reloading = watcher.as_ref().is_some_and(|w| w.reloading());
        // While stages are computed on another thread (or a reload is made), wake up now and
        // then to show them; while a file is watched, to look at it. Otherwise wait for an
        // event.
        let wait = if screen.computing() || reloading {
            Some(Duration::from_millis(100))
        } else if watching {
            Some(WATCH_PERIOD.saturating_sub(looked.elapsed()))
        } else {
            None
        };
        if let Some(wait) = wait {
            if !event::poll(wait)? {
                if let Some(w) = watcher.as_mut().filter(|w| w.watching()) {
                    if looked.elapsed() >= WATCH_PERIOD {
                        looked = Instant::now();
                        // A save during a reload is seen at the next look after it.
                        if !w.reloading() && w.changed() {
                            w.start_reload();
                        }
                    }
                }
                continue;
            }
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

/// The editor command: `$VISUAL`, else `$EDITOR`, else `vi`, split into the program and its
/// arguments like a shell splits words (quotes and backslashes; no shell runs).
pub fn editor_command(visual: Option<&str>, editor: Option<&str>) -> Vec<String> {
    [visual, editor]
        .into_iter()
        .flatten()
        .map(split_words)
        .find(|words| !words.is_empty())
        .unwrap_or_else(|| vec!["vi".to_string()])
}

/// Splits `text` into words: blanks separate them, `'…'` and `"…"` quote, `\` escapes.
fn split_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if let Some(w) = word.take() {
                    words.push(w);
                }
            }
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    w.push(q);
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                while let Some(q) = chars.next() {
                    match q {
                        '"' => break,
                        '\\' => {
                            if let Some(e) = chars.next() {
                                w.push(e);
                            }
                        }
                        q => w.push(q),
                    }
                }
            }
            '\\' => {
                let w = word.get_or_insert_with(String::new);
                if let Some(e) = chars.next() {
                    w.push(e);
                }
            }
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    words
}

/// `e`: leaves the viewer's screen, runs the editor on the watched file, comes back and
/// reloads it. Every failure is a status message.
fn edit(
    terminal: &mut DefaultTerminal,
    app: &mut App,
    watcher: &mut dyn Watcher,
) -> io::Result<()> {
    let path = match watcher.editable() {
        Ok(p) => p,
        Err(why) => {
            app.status = Some(why);
            return Ok(());
        }
    };
    let visual = std::env::var("VISUAL").ok();
    let editor = std::env::var("EDITOR").ok();
    let command = editor_command(visual.as_deref(), editor.as_deref());
    execute!(io::stdout(), DisableMouseCapture, LeaveAlternateScreen)?;
    disable_raw_mode()?;
    let status = std::process::Command::new(&command[0])
        .args(&command[1..])
        .arg(&path)
        .status();
    enable_raw_mode()?;
    execute!(
        io::stdout(),
        EnterAlternateScreen,
        Clear(ClearType::All),
        EnableMouseCapture
    )?;
    // Forget the last frame, so the next draw repaints every cell (`Terminal::clear` would
    // ask the terminal where its cursor is, which not every terminal answers).
    terminal.swap_buffers();
    let which = if visual.as_deref().is_some_and(|v| !v.trim().is_empty()) {
        "$VISUAL"
    } else if editor.as_deref().is_some_and(|v| !v.trim().is_empty()) {
        "$EDITOR"
    } else {
        "the default editor"
    };
    match status {
        Err(e) => {
            app.status = Some(format!(
                "e: can't run {which} '{}': {e} (set $VISUAL or $EDITOR)",
                command.join(" ")
            ));
            return Ok(());
        }
        Ok(s) if !s.success() => {
            app.status = Some(format!(
                "the editor exited with {s}; reloading the file anyway"
            ));
        }
        Ok(_) => app.status = Some(format!("edited {}", path.display())),
    }
    watcher.start_reload();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::editor_command;

    #[test]
    fn the_editor_variable_is_split_into_program_and_arguments() {
        assert_eq!(editor_command(None, None), ["vi"]);
        assert_eq!(editor_command(Some(""), Some("nano -w")), ["nano", "-w"]);
        assert_eq!(
            editor_command(Some("code --wait"), Some("vim")),
            ["code", "--wait"]
        );
        assert_eq!(
            editor_command(
                None,
                Some(r#"'/opt/my editor/bin/ed' -c "set x=\"1\"" a\ b"#)
            ),
            ["/opt/my editor/bin/ed", "-c", "set x=\"1\"", "a b"]
        );
        assert_eq!(editor_command(None, Some("   ")), ["vi"]);
    }
}
