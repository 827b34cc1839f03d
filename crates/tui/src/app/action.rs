//! What the user can do, and the default keymap. The help overlay is generated from [`KEYMAP`],
//! so the keys it lists are always the keys that work.

use cpyviz_model::capture::{Stage, STAGES};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Everything the viewer can be asked to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Quit,
    /// Open the file in `$VISUAL` / `$EDITOR` (the terminal runs it; the view reloads after).
    Edit,
    ToggleHelp,
    ToggleOutput,
    NextStage,
    PrevStage,
    GoToStage(usize),
    ToggleVersion,
    /// The next theme (dark → light → high contrast).
    CycleTheme,
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
    /// Micro-ops: show the traces before the optimizer ↔ the executors.
    ToggleUnoptimized,
    /// Machine code: show the bytes after patching, or the stencils before.
    TogglePatched,
    /// Machine code: select the next / previous hole of the patching.
    NextHole,
    PrevHole,
    /// Go back to where the last follow (Enter on a jump, a call, a symbol) started.
    Back,
    /// The JIT stages' options: the stencils (built-in / imported), the memory model, the
    /// target. Each asks the capture for the stages under the new options.
    CycleStencils,
    CycleMemory,
    CycleTarget,
    /// Trampolines: show or hide the explainer's worked example.
    ToggleExample,
    /// The specialized stage's warm-up scrubber: to the next / previous step at which an
    /// instruction changes form, to twice / half the step, to the start / end of the run.
    NextChange,
    PrevChange,
    ScrubForward,
    ScrubBack,
    ScrubStart,
    ScrubEnd,
    /// Open the search prompt (`/`): find a name in the rows of every stage.
    Search,
    /// A mouse click on what the view's layout found under the pointer (`ui::hit`).
    Click(Hit),
    /// The mouse wheel, over what the pointer is on.
    ScrollUp(Hit),
    ScrollDown(Hit),
}

/// What a mouse pointer is over, as the view's layout tells (`ui::hit`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hit {
    /// The source pane, at this byte offset of the source (`None`: past the text).
    Source(Option<usize>),
    /// The stage pane, on this row of the stage's list (header rows count as the first row).
    StageRow(usize),
    /// A stage's tab on the stage bar.
    StageTab(Stage),
    Nothing,
}

/// A key as the keymap names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    /// A key without Ctrl (a character, or a named key such as `Tab`).
    Plain(KeyCode),
    /// Ctrl and a character.
    Ctrl(char),
}

/// One line of the keymap: how help shows the keys, what they do, the short name the footer
/// shows for them (if the footer shows them), and the actions the keys dispatch to. Dispatch,
/// the help overlay and the footer all read [`KEYMAP`], so they cannot disagree.
pub struct Binding {
    pub keys: &'static str,
    pub help: &'static str,
    /// `(key, word)` in the footer, e.g. `("Tab", "stage")`.
    pub footer: Option<(&'static str, &'static str)>,
    /// The stages whose footer shows it (empty: every stage).
    pub footer_in: &'static [Stage],
    pub dispatch: &'static [(Key, Action)],
}

/// The stages of the JIT (machine code, trampolines).
const JIT: &[Stage] = &[Stage::MachineCode, Stage::Trampolines];
/// The stages where Enter follows something (and b comes back).
const FOLLOW: &[Stage] = &[Stage::Uops, Stage::MachineCode, Stage::Trampolines];
/// The stage with the warm-up scrubber.
const SPECIALIZED: &[Stage] = &[Stage::Specialized];

impl Binding {
    /// Whether the footer shows this binding on `stage`.
    pub fn in_footer(&self, stage: Stage) -> bool {
        self.footer.is_some() && (self.footer_in.is_empty() || self.footer_in.contains(&stage))
    }
}

const fn ch(c: char) -> Key {
    Key::Plain(KeyCode::Char(c))
}

const fn code(c: KeyCode) -> Key {
    Key::Plain(c)
}

/// `1`, `2`, … go to the stages of [`STAGES`], in order.
const STAGE_KEYS: [(Key, Action); STAGES.len()] = {
    let mut keys = [(ch('1'), Action::GoToStage(0)); STAGES.len()];
    let mut i = 0;
    while i < STAGES.len() {
        keys[i] = (ch((b'1' + i as u8) as char), Action::GoToStage(i));
        i += 1;
    }
    keys
};

/// The keymap, in the order help shows it.
pub const KEYMAP: &[Binding] = &[
    Binding {
        keys: "Tab / Shift-Tab",
        help: "next / previous stage",
        footer: Some(("Tab", "stage")),
        footer_in: &[],
        dispatch: &[
            (code(KeyCode::Tab), Action::NextStage),
            (code(KeyCode::BackTab), Action::PrevStage),
        ],
    },
    Binding {
        keys: "1 … 7",
        help: "go to a stage",
        footer: None,
        footer_in: &[],
        dispatch: &STAGE_KEYS,
    },
    Binding {
        keys: "↑ ↓  k j",
        help: "move the selection (or the source cursor)",
        footer: Some(("↑↓", "select")),
        footer_in: &[],
        dispatch: &[
            (code(KeyCode::Up), Action::Up),
            (code(KeyCode::Down), Action::Down),
            (ch('k'), Action::Up),
            (ch('j'), Action::Down),
        ],
    },
    Binding {
        keys: "f",
        help: "focus the source pane or the stage pane",
        footer: Some(("f", "focus")),
        footer_in: &[],
        dispatch: &[(ch('f'), Action::SwitchFocus)],
    },
    Binding {
        keys: "v",
        help: "switch CPython version profile (3.14 ↔ 3.15)",
        footer: Some(("v", "version")),
        footer_in: &[],
        dispatch: &[(ch('v'), Action::ToggleVersion)],
    },
    Binding {
        keys: "← →  h l",
        help: "AST, bytecode: fold / unfold · source: move the cursor",
        footer: None,
        footer_in: &[],
        dispatch: &[
            (code(KeyCode::Left), Action::Left),
            (code(KeyCode::Right), Action::Right),
            (ch('h'), Action::Left),
            (ch('l'), Action::Right),
        ],
    },
    Binding {
        keys: "Enter  Space",
        help: "fold / unfold (AST, code headers) · follow: an instruction to its micro-ops or executor, a uop to its instruction, a JIT jump or call",
        footer: Some(("Enter", "follow")),
        footer_in: FOLLOW,
        dispatch: &[
            (code(KeyCode::Enter), Action::ToggleFold),
            (ch(' '), Action::ToggleFold),
        ],
    },
    Binding {
        keys: "PgUp PgDn Home End",
        help: "move by a page / to the ends",
        footer: None,
        footer_in: &[],
        dispatch: &[
            (code(KeyCode::PageUp), Action::PageUp),
            (code(KeyCode::PageDown), Action::PageDown),
            (code(KeyCode::Home), Action::Home),
            (code(KeyCode::End), Action::End),
            (ch('g'), Action::Home),
            (ch('G'), Action::End),
        ],
    },
    Binding {
        keys: "mouse",
        help: "click to select · wheel to scroll",
        footer: None,
        footer_in: &[],
        // Mouse events become `Click`/`ScrollUp`/`ScrollDown` in the terminal loop.
        dispatch: &[],
    },
    Binding {
        keys: "]  [",
        help: "next / previous code object (bytecode) or uop (machine code)",
        footer: None,
        footer_in: &[],
        dispatch: &[(ch(']'), Action::NextCode), (ch('['), Action::PrevCode)],
    },
    Binding {
        keys: "c",
        help: "bytecode, specialized: show or hide the inline cache entries",
        footer: None,
        footer_in: &[],
        dispatch: &[(ch('c'), Action::ToggleCaches)],
    },
    Binding {
        keys: "d",
        help: "bytecode, specialized, micro-ops: compare CPython 3.14 and 3.15 side by side",
        footer: Some(("d", "3.14↔3.15")),
        footer_in: &[Stage::Uops],
        dispatch: &[(ch('d'), Action::ToggleDiff)],
    },
    Binding {
        keys: "u",
        help: "micro-ops: the traces before the optimizer (what it removed and replaced) ↔ the executors",
        footer: Some(("u", "unoptimized")),
        footer_in: &[Stage::Uops],
        dispatch: &[(ch('u'), Action::ToggleUnoptimized)],
    },
    Binding {
        keys: ".  ,",
        help: "specialized: scrub to the next / previous change of an instruction's form",
        footer: Some((". ,", "change")),
        footer_in: SPECIALIZED,
        dispatch: &[(ch('.'), Action::NextChange), (ch(','), Action::PrevChange)],
    },
    Binding {
        keys: ">  <",
        help: "specialized: scrub to twice / half the step",
        footer: Some(("> <", "×2 ÷2")),
        footer_in: SPECIALIZED,
        dispatch: &[
            (ch('>'), Action::ScrubForward),
            (ch('<'), Action::ScrubBack),
        ],
    },
    Binding {
        keys: "0  $",
        help: "specialized: scrub to the start / end of the run",
        footer: Some(("0 $", "start end")),
        footer_in: SPECIALIZED,
        dispatch: &[(ch('0'), Action::ScrubStart), (ch('$'), Action::ScrubEnd)],
    },
    Binding {
        keys: "p",
        help: "machine code: the bytes after patching ↔ the stencil before",
        footer: Some(("p", "patched")),
        footer_in: &[Stage::MachineCode],
        dispatch: &[(ch('p'), Action::TogglePatched)],
    },
    Binding {
        keys: "n  N",
        help: "machine code: step to the next / previous hole",
        footer: Some(("n N", "hole")),
        footer_in: &[Stage::MachineCode],
        dispatch: &[(ch('n'), Action::NextHole), (ch('N'), Action::PrevHole)],
    },
    Binding {
        keys: "b  Backspace",
        help: "go back to where the last follow (Enter) started",
        footer: Some(("b", "back")),
        footer_in: FOLLOW,
        dispatch: &[
            (ch('b'), Action::Back),
            (code(KeyCode::Backspace), Action::Back),
        ],
    },
    Binding {
        keys: "s  m  t",
        help: "JIT: switch the stencils · memory model · target",
        footer: Some(("s m t", "options")),
        footer_in: JIT,
        dispatch: &[
            (ch('s'), Action::CycleStencils),
            (ch('m'), Action::CycleMemory),
            (ch('t'), Action::CycleTarget),
        ],
    },
    Binding {
        keys: "w",
        help: "trampolines: show or hide the worked example",
        footer: Some(("w", "example")),
        footer_in: &[Stage::Trampolines],
        dispatch: &[(ch('w'), Action::ToggleExample)],
    },
    Binding {
        keys: "T",
        help: "switch the theme: dark · light · high contrast",
        footer: None,
        footer_in: &[],
        dispatch: &[(ch('T'), Action::CycleTheme)],
    },
    Binding {
        keys: "o",
        help: "show or hide what the snippet printed (engines that run it)",
        footer: Some(("o", "output")),
        footer_in: &[],
        dispatch: &[(ch('o'), Action::ToggleOutput)],
    },
    Binding {
        keys: "e",
        help: "edit the file in $VISUAL / $EDITOR (vi); the stages follow when it is saved",
        footer: None,
        footer_in: &[],
        dispatch: &[(ch('e'), Action::Edit)],
    },
    Binding {
        keys: "/",
        help: "search every stage's rows (an opcode, a uop, a symbol, a name; line N: a source line); then n / N: next / previous match, Esc: done",
        footer: None,
        footer_in: &[],
        dispatch: &[(ch('/'), Action::Search)],
    },
    Binding {
        keys: "?",
        help: "show or hide this help",
        footer: Some(("?", "help")),
        footer_in: &[],
        dispatch: &[(ch('?'), Action::ToggleHelp)],
    },
    Binding {
        keys: "q  Esc  Ctrl-C",
        help: "quit (Esc closes help first)",
        footer: Some(("q", "quit")),
        footer_in: &[],
        dispatch: &[
            (ch('q'), Action::Quit),
            (code(KeyCode::Esc), Action::Quit),
            (Key::Ctrl('c'), Action::Quit),
            (Key::Ctrl('q'), Action::Quit),
        ],
    },
];

/// Maps a key press to an action, if the keymap has one.
pub fn action_for_key(key: KeyEvent) -> Option<Action> {
    let pressed = if key.modifiers.contains(KeyModifiers::CONTROL) {
        match key.code {
            KeyCode::Char(c) => Key::Ctrl(c.to_ascii_lowercase()),
            _ => return None,
        }
    } else {
        Key::Plain(key.code)
    };
    KEYMAP
        .iter()
        .flat_map(|b| b.dispatch)
        .find(|(k, _)| *k == pressed)
        .map(|&(_, action)| action)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_key_is_bound_twice() {
        let keys: Vec<Key> = KEYMAP
            .iter()
            .flat_map(|b| b.dispatch)
            .map(|d| d.0)
            .collect();
        for (i, k) in keys.iter().enumerate() {
            assert!(!keys[..i].contains(k), "{k:?} is bound twice");
        }
    }

    #[test]
    fn every_stage_has_its_digit_and_help_names_them() {
        let last = STAGES.len();
        assert_eq!(KEYMAP[1].keys, format!("1 … {last}"));
        let key = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
        for (i, _) in STAGES.iter().enumerate() {
            let digit = char::from(b'1' + i as u8);
            assert_eq!(action_for_key(key(digit)), Some(Action::GoToStage(i)));
        }
    }

    #[test]
    fn dispatch_follows_the_keymap() {
        let key = |c| KeyEvent::new(c, KeyModifiers::NONE);
        assert_eq!(action_for_key(key(KeyCode::Tab)), Some(Action::NextStage));
        assert_eq!(
            action_for_key(key(KeyCode::Char('7'))),
            Some(Action::GoToStage(6))
        );
        assert_eq!(
            action_for_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
        assert_eq!(
            action_for_key(key(KeyCode::Char('c'))),
            Some(Action::ToggleCaches)
        );
        assert_eq!(action_for_key(key(KeyCode::Char('x'))), None);
        assert_eq!(
            action_for_key(key(KeyCode::Char('N'))),
            Some(Action::PrevHole)
        );
        assert_eq!(action_for_key(key(KeyCode::Backspace)), Some(Action::Back));
    }

    #[test]
    fn jit_keys_show_in_the_jit_footers_only() {
        let footer = |stage| -> Vec<&str> {
            KEYMAP
                .iter()
                .filter(|b| b.in_footer(stage))
                .filter_map(|b| b.footer.map(|f| f.0))
                .collect()
        };
        assert!(footer(Stage::MachineCode).contains(&"p"));
        assert!(footer(Stage::MachineCode).contains(&"Enter"));
        assert!(!footer(Stage::Trampolines).contains(&"p"));
        assert!(footer(Stage::Trampolines).contains(&"w"));
        assert!(!footer(Stage::Tokens).contains(&"Enter"));
        assert!(footer(Stage::Tokens).contains(&"Tab"));
        assert!(footer(Stage::Specialized).contains(&". ,"));
        assert!(!footer(Stage::Bytecode).contains(&". ,"));
    }

    #[test]
    fn the_scrubber_keys_dispatch() {
        let key = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
        for (c, want) in [
            ('.', Action::NextChange),
            (',', Action::PrevChange),
            ('>', Action::ScrubForward),
            ('<', Action::ScrubBack),
            ('0', Action::ScrubStart),
            ('$', Action::ScrubEnd),
        ] {
            assert_eq!(action_for_key(key(c)), Some(want));
        }
    }
}
