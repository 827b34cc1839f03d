//! What the user can do, and the default keymap. The help overlay is generated from [`KEYMAP`],
//! so the keys it lists are always the keys that work.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Everything the viewer can be asked to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Quit,
    ToggleHelp,
    ToggleOutput,
    NextStage,
    PrevStage,
    GoToStage(usize),
    ToggleVersion,
    SwitchFocus,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    ToggleFold,
    /// Jump to the next / previous code object (bytecode, specialized).
    NextCode,
    PrevCode,
    /// Show or hide inline cache entries (bytecode, specialized).
    ToggleCaches,
    /// Open or close the 3.14 ↔ 3.15 side-by-side comparison.
    ToggleDiff,
    /// A mouse click at a terminal cell.
    Click {
        column: u16,
        row: u16,
    },
    ScrollUp {
        column: u16,
        row: u16,
    },
    ScrollDown {
        column: u16,
        row: u16,
    },
}

/// One line of the keymap: the keys shown in help, what they do, and how a key maps to an action.
pub struct Binding {
    pub keys: &'static str,
    pub help: &'static str,
}

/// The keymap as shown in the help overlay (order matters).
pub const KEYMAP: &[Binding] = &[
    Binding {
        keys: "Tab / Shift-Tab",
        help: "next / previous stage",
    },
    Binding {
        keys: "1 … 7",
        help: "go to a stage",
    },
    Binding {
        keys: "v",
        help: "switch CPython version profile (3.14 ↔ 3.15)",
    },
    Binding {
        keys: "f",
        help: "focus the source pane or the stage pane",
    },
    Binding {
        keys: "↑ ↓  k j",
        help: "move the selection (or the source cursor)",
    },
    Binding {
        keys: "← →  h l",
        help: "AST, bytecode: fold / unfold · source: move the cursor",
    },
    Binding {
        keys: "Enter  Space",
        help: "fold or unfold the selected AST node or code object",
    },
    Binding {
        keys: "PgUp PgDn Home End",
        help: "move by a page / to the ends",
    },
    Binding {
        keys: "mouse",
        help: "click to select · wheel to scroll",
    },
    Binding {
        keys: "]  [",
        help: "bytecode: jump to the next / previous code object",
    },
    Binding {
        keys: "c",
        help: "bytecode: show or hide each instruction's inline cache entries",
    },
    Binding {
        keys: "d",
        help: "bytecode: compare CPython 3.14 and 3.15 side by side",
    },
    Binding {
        keys: "o",
        help: "show or hide what the snippet printed (live engine)",
    },
    Binding {
        keys: "?",
        help: "show or hide this help",
    },
    Binding {
        keys: "q  Esc  Ctrl-C",
        help: "quit (Esc closes help first)",
    },
];

/// Maps a key press to an action, if it has one.
pub fn action_for_key(key: KeyEvent) -> Option<Action> {
    use KeyCode::*;
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return match key.code {
            Char('c') | Char('q') => Some(Action::Quit),
            _ => None,
        };
    }
    Some(match key.code {
        Char('q') | Esc => Action::Quit,
        Char('?') => Action::ToggleHelp,
        Char('o') => Action::ToggleOutput,
        Char('c') => Action::ToggleCaches,
        Char(']') => Action::NextCode,
        Char('[') => Action::PrevCode,
        Char('d') => Action::ToggleDiff,
        Tab => Action::NextStage,
        BackTab => Action::PrevStage,
        Char(c @ '1'..='7') => Action::GoToStage(c as usize - '1' as usize),
        Char('v') => Action::ToggleVersion,
        Char('f') => Action::SwitchFocus,
        Up | Char('k') => Action::Up,
        Down | Char('j') => Action::Down,
        Left | Char('h') => Action::Left,
        Right | Char('l') => Action::Right,
        PageUp => Action::PageUp,
        PageDown => Action::PageDown,
        Home | Char('g') => Action::Home,
        End | Char('G') => Action::End,
        Enter | Char(' ') => Action::ToggleFold,
        _ => return None,
    })
}
