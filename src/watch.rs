//! Where the viewer's snippet comes from (a file, or a sample built into the binary) and live
//! editing: [`FileWatch`] is the viewer's [`Watcher`]: it looks at the file's size and
//! modification time, and makes new captures through the engine when asked.

use crate::embedded::{self, Embedded};
use cpyviz_engine::{EngineKind, LiveOptions};
use cpyviz_model::capture::Capture;
use cpyviz_model::execution::RunOptions;
use cpyviz_tui::terminal::Watcher;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::SystemTime;

/// A Python snippet named on the command line.
#[derive(Debug, Clone)]
pub enum Snippet {
    /// A file (that may not exist: reading it says so).
    File(PathBuf),
    /// No such file here, but the name is a sample built into cpyviz: `name` as typed.
    Embedded {
        name: String,
        sample: &'static Embedded,
    },
}

impl Snippet {
    /// `path`, or the embedded sample it names when there is no such file here.
    pub fn resolve(path: &Path) -> Snippet {
        match embedded::fallback(path) {
            Some(sample) => Snippet::Embedded {
                name: path.to_string_lossy().to_string(),
                sample,
            },
            None => Snippet::File(path.to_path_buf()),
        }
    }

    /// The name dumps and the viewer show (the path as typed).
    pub fn name(&self) -> String {
        match self {
            Snippet::File(p) => p.to_string_lossy().to_string(),
            Snippet::Embedded { name, .. } => name.clone(),
        }
    }

    /// The snippet's bytes (a file's read now).
    pub fn bytes(&self) -> Result<Vec<u8>, String> {
        match self {
            Snippet::File(p) => cpyviz_engine::read_file(p),
            Snippet::Embedded { sample, .. } => Ok(sample.text.as_bytes().to_vec()),
        }
    }

    /// Why the live engine cannot run this snippet (it runs files: an embedded sample must be
    /// written out first).
    pub fn needs_file(&self) -> Result<&Path, String> {
        match self {
            Snippet::File(p) => Ok(p),
            Snippet::Embedded { name, sample } => Err(format!(
                "cpyviz: there is no {name} here; cpyviz's bundled copy of {} works with the \
                 built-in engine, and a real CPython needs a file: write the samples out with \
                 `cpyviz samples --extract DIR`",
                sample.path
            )),
        }
    }

    /// The captures `engine` makes of the snippet.
    pub fn captures(
        &self,
        engine: EngineKind,
        live: &LiveOptions,
        run: &RunOptions,
    ) -> Result<Vec<Capture>, String> {
        match (self, engine) {
            (Snippet::File(p), _) => cpyviz_engine::captures(p, engine, live, run),
            (Snippet::Embedded { .. }, EngineKind::Cpython) => {
                Err(self.needs_file().err().unwrap_or_default())
            }
            (Snippet::Embedded { name, sample }, EngineKind::Builtin) => {
                cpyviz_engine::builtin::captures_of_bytes(name, sample.text.as_bytes(), run)
            }
        }
    }
}

/// What a look at a file finds: its size and modification time (`None`: it is not there).
type Stamp = Option<(u64, Option<SystemTime>)>;

fn stamp(path: &Path) -> Stamp {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.len(), meta.modified().ok()))
}

/// The snippet behind the viewer, for `--watch` and `e`.
pub struct FileWatch {
    snippet: Snippet,
    engine: EngineKind,
    live: LiveOptions,
    run: RunOptions,
    watching: bool,
    /// The file as it was when last loaded.
    loaded: Stamp,
    /// The reload under way: its captures arrive from the thread that makes them.
    pending: Option<Receiver<Result<Vec<Capture>, String>>>,
}

impl FileWatch {
    /// Follows `snippet` (every [`WATCH_PERIOD`](cpyviz_tui::terminal::WATCH_PERIOD) when
    /// `watching`), making its captures with `engine`.
    pub fn new(
        snippet: Snippet,
        engine: EngineKind,
        live: LiveOptions,
        run: RunOptions,
        watching: bool,
    ) -> FileWatch {
        FileWatch {
            snippet,
            engine,
            live,
            run,
            watching,
            loaded: None,
            pending: None,
        }
    }

    /// New captures of the snippet as it is now, waited for (the first load, before the
    /// viewer starts; the viewer itself uses [`Watcher::start_reload`]).
    pub fn reload(&mut self) -> Result<Vec<Capture>, String> {
        self.start_reload();
        match self.pending.take().map(|rx| rx.recv()) {
            Some(Ok(result)) => result,
            _ => Err("cpyviz: the reload failed (an internal error)".to_string()),
        }
    }

    /// The snippet followed now (an embedded sample becomes a file once `e` copied it).
    pub fn snippet(&self) -> &Snippet {
        &self.snippet
    }
}

impl Watcher for FileWatch {
    fn watching(&self) -> bool {
        self.watching
    }

    fn changed(&mut self) -> bool {
        match &self.snippet {
            Snippet::File(p) => stamp(p) != self.loaded,
            Snippet::Embedded { .. } => false,
        }
    }

    fn start_reload(&mut self) {
        if let Snippet::File(p) = &self.snippet {
            // Taken before reading: a save while the engine works is seen at the next look.
            self.loaded = stamp(p);
        }
        let (tx, rx) = std::sync::mpsc::channel();
        let (snippet, engine) = (self.snippet.clone(), self.engine);
        let (live, run) = (self.live.clone(), self.run);
        let started = std::thread::Builder::new()
            .name("cpyviz-reload".into())
            .spawn(move || {
                let _ = tx.send(snippet.captures(engine, &live, &run));
            });
        self.pending = match started {
            Ok(_) => Some(rx),
            Err(e) => {
                let (tx, rx) = std::sync::mpsc::channel();
                let _ = tx.send(Err(format!("cpyviz: can't start a thread to reload: {e}")));
                Some(rx)
            }
        };
    }

    fn reloaded(&mut self) -> Option<Result<Vec<Capture>, String>> {
        let result = match self.pending.as_ref()?.try_recv() {
            Ok(result) => result,
            Err(TryRecvError::Empty) => return None,
            Err(TryRecvError::Disconnected) => {
                Err("cpyviz: the reload failed (an internal error)".to_string())
            }
        };
        self.pending = None;
        Some(result)
    }

    fn reloading(&self) -> bool {
        self.pending.is_some()
    }

    fn editable(&mut self) -> Result<PathBuf, String> {
        let (name, sample) = match &self.snippet {
            Snippet::File(p) => return Ok(p.clone()),
            Snippet::Embedded { name, sample } => (name.clone(), *sample),
        };
        // A bundled sample is not a file here: edit a copy, and follow the copy from now on.
        let dir = std::env::temp_dir().join(format!("cpyviz-{}", std::process::id()));
        let path = dir.join(sample.path);
        if !path.exists() {
            std::fs::create_dir_all(&dir)
                .and_then(|()| std::fs::write(&path, sample.text))
                .map_err(|e| {
                    format!(
                        "e: {name} is cpyviz's bundled sample, and copying it to {} to edit failed: {e}",
                        path.display()
                    )
                })?;
        }
        self.snippet = Snippet::File(path.clone());
        self.loaded = None;
        Ok(path)
    }
}
