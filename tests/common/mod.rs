//! Helpers shared by the viewer tests: pressing keys and reading the rendered screen.
#![allow(dead_code)]

use cpyviz_tui::app::App;
use cpyviz_tui::theme::DARK as THEME;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Key events from a string: single characters, or names in angle brackets (`<Tab>`,
/// `<Down>`, …).
pub fn keys(keys: &str) -> Vec<KeyEvent> {
    let mut out = Vec::new();
    let mut rest = keys;
    while let Some(c) = rest.chars().next() {
        // `<Name>` is a named key; a `<` or `>` not starting a name is that character.
        let named = c == '<'
            && rest[1..]
                .find('>')
                .is_some_and(|e| e > 0 && rest[1..1 + e].chars().all(|c| c.is_ascii_alphabetic()));
        let (code, len) = if named {
            let end = rest.find('>').expect("closing >");
            let code = match &rest[1..end] {
                "Tab" => KeyCode::Tab,
                "BackTab" => KeyCode::BackTab,
                "Home" => KeyCode::Home,
                "Down" => KeyCode::Down,
                "Up" => KeyCode::Up,
                "Left" => KeyCode::Left,
                "Right" => KeyCode::Right,
                "Enter" => KeyCode::Enter,
                "Esc" => KeyCode::Esc,
                "End" => KeyCode::End,
                "PageDown" => KeyCode::PageDown,
                "PageUp" => KeyCode::PageUp,
                "Backspace" => KeyCode::Backspace,
                other => panic!("unknown key {other}"),
            };
            (code, end + 1)
        } else {
            (KeyCode::Char(c), c.len_utf8())
        };
        out.push(KeyEvent::new(code, KeyModifiers::NONE));
        rest = &rest[len..];
    }
    out
}

/// Presses keys (see [`keys`]) as the terminal does, settling after each.
pub fn press(app: &mut App, keys_: &str) {
    for key in keys(keys_) {
        app.handle_key(key);
        app.settle();
    }
}

pub fn text(buffer: &Buffer) -> String {
    let area = buffer.area;
    let mut out = String::new();
    for y in 0..area.height {
        let mut line = String::new();
        for x in 0..area.width {
            line.push_str(buffer[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The source-pane cells drawn with the selection background, as text.
pub fn highlighted_source(buffer: &Buffer) -> String {
    let area = buffer.area;
    let mut out = String::new();
    for y in 0..area.height {
        for x in 0..area.width / 2 {
            let cell = &buffer[(x, y)];
            if cell.bg == THEME.source_selection {
                out.push_str(cell.symbol());
            }
        }
    }
    out
}

/// `app` with every stage of its capture computed (the viewer computes them on another
/// thread; a test looks at the finished view).
pub fn settled(mut app: App) -> App {
    app.settle();
    app
}
