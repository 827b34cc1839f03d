//! The command line: `cpyviz FILE` opens the viewer; `dump`, `shot` print or export one stage.

use crate::capture::Stage;
use crate::dump;
use crate::version::PyVersion;
use clap::{Args, Parser, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Step a Python snippet through CPython's pipeline: tokens, AST, bytecode, specialized
/// instructions, micro-op traces, JIT machine code and trampolines.
#[derive(Parser, Debug)]
#[command(name = "cpyviz", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub open: OpenArgs,
}

/// Options for opening the interactive viewer.
#[derive(Args, Debug)]
pub struct OpenArgs {
    /// The Python file to show (try samples/abs.py).
    pub file: Option<PathBuf>,
    /// The CPython version profile to model.
    #[arg(long = "python-version", default_value = "3.14", value_parser = parse_version)]
    pub python_version: PyVersion,
    /// The stage to open on.
    #[arg(long, default_value = "tokens", value_parser = parse_stage)]
    pub stage: Stage,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Render the viewer headless into an image or text file (same view as the terminal).
    Shot {
        file: PathBuf,
        /// The stage to show.
        #[arg(long, default_value = "tokens", value_parser = parse_stage)]
        stage: Stage,
        /// Select row N of the stage pane (0-based: token N, AST row N).
        #[arg(long)]
        select: Option<usize>,
        /// Screen size in cells, WIDTHxHEIGHT.
        #[arg(long, default_value = "120x36", value_parser = parse_size)]
        size: (u16, u16),
        #[arg(long = "python-version", default_value = "3.14", value_parser = parse_version)]
        python_version: PyVersion,
        /// Output file: .svg, .png, .html or .txt.
        #[arg(short, long)]
        output: PathBuf,
        /// PNG pixel scale (2 for high-DPI screens).
        #[arg(long, default_value_t = 2.0)]
        scale: f32,
    },
    /// Print one stage exactly as CPython's own tool prints it
    /// (tokens: `python -m tokenize -e`; ast: `python -m ast`).
    Dump {
        /// tokens | ast
        #[arg(value_parser = parse_stage)]
        stage: Stage,
        file: PathBuf,
        #[arg(long = "python-version", default_value = "3.14", value_parser = parse_version)]
        python_version: PyVersion,
    },
}

fn parse_version(s: &str) -> Result<PyVersion, String> {
    s.parse()
}

fn parse_size(s: &str) -> Result<(u16, u16), String> {
    let err = || format!("size '{s}' should look like 120x36");
    let (w, h) = s.split_once(['x', 'X']).ok_or_else(err)?;
    let w: u16 = w.trim().parse().map_err(|_| err())?;
    let h: u16 = h.trim().parse().map_err(|_| err())?;
    let (min_w, min_h) = crate::ui::MIN_SIZE;
    if w < min_w || h < min_h || w > 1000 || h > 1000 {
        return Err(format!(
            "size {w}x{h} is out of range: from {min_w}x{min_h} to 1000x1000"
        ));
    }
    Ok((w, h))
}

fn parse_stage(s: &str) -> Result<Stage, String> {
    Stage::from_cli_name(s).ok_or_else(|| {
        let names: Vec<_> = Stage::all().map(Stage::cli_name).collect();
        format!("unknown stage '{s}' (stages: {})", names.join(", "))
    })
}

/// Reads a file, with a message in the user's terms on failure.
pub fn read_file(path: &std::path::Path) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| {
        format!(
            "cpyviz: can't open file '{}': {}",
            path.display(),
            io_reason(&e)
        )
    })?;
    if meta.is_dir() {
        return Err(format!(
            "cpyviz: '{}' is a directory, not a Python file",
            path.display()
        ));
    }
    std::fs::read(path).map_err(|e| {
        format!(
            "cpyviz: can't open file '{}': {}",
            path.display(),
            io_reason(&e)
        )
    })
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "[Errno 2] No such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "[Errno 13] Permission denied".into(),
        _ => e.to_string(),
    }
}

/// Runs the command line; returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Dump {
            stage,
            file,
            python_version,
        }) => {
            let bytes = match read_file(&file) {
                Ok(b) => b,
                Err(msg) => {
                    eprintln!("{msg}");
                    return ExitCode::from(2);
                }
            };
            let out = dump::dump_file(stage, &file.to_string_lossy(), &bytes, python_version);
            let _ = std::io::stdout().write_all(out.stdout.as_bytes());
            let _ = std::io::stderr().write_all(out.stderr.as_bytes());
            ExitCode::from(out.code as u8)
        }
        Some(Command::Shot {
            file,
            stage,
            select,
            size,
            python_version,
            output,
            scale,
        }) => {
            let shot = Shot {
                file,
                stage,
                select,
                size,
                python_version,
                output,
                scale,
            };
            match shot.render().and_then(|bytes| shot.write(&bytes)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(msg) => {
                    eprint!("{}", if msg.ends_with('\n') { msg } else { msg + "\n" });
                    ExitCode::from(1)
                }
            }
        }
        None => open_viewer(cli.open),
    }
}

/// Builds the built-in engine's captures of a file for every version profile, or the message
/// CPython would print when the file cannot even be decoded.
pub fn builtin_captures(path: &std::path::Path) -> Result<Vec<crate::capture::Capture>, String> {
    let bytes = read_file(path)?;
    let name = path.to_string_lossy().to_string();
    let source = crate::source::Source::decode(&name, &bytes)
        .map_err(|e| crate::pipeline::ast::render_decode_error(&name, &e))?;
    Ok(PyVersion::ALL
        .iter()
        .map(|&v| crate::pipeline::capture(source.clone(), v))
        .collect())
}

fn open_viewer(args: OpenArgs) -> ExitCode {
    use std::io::IsTerminal;
    let Some(file) = args.file else {
        eprintln!("cpyviz: give a Python file to open, e.g. `cpyviz samples/abs.py` (see --help)");
        return ExitCode::from(2);
    };
    let captures = match builtin_captures(&file) {
        Ok(c) => c,
        Err(msg) => {
            eprint!("{}", if msg.ends_with('\n') { msg } else { msg + "\n" });
            return ExitCode::from(1);
        }
    };
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        eprintln!(
            "cpyviz: the viewer needs a terminal; use `cpyviz dump` or `cpyviz shot` to write a stage to a file or pipe"
        );
        return ExitCode::from(2);
    }
    let app = crate::app::App::new(captures, args.python_version, args.stage);
    match crate::tui::run(app) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cpyviz: terminal error: {e}");
            ExitCode::from(1)
        }
    }
}

/// `cpyviz shot`: the viewer rendered headless and exported.
#[derive(Debug, Clone)]
pub struct Shot {
    pub file: PathBuf,
    pub stage: Stage,
    pub select: Option<usize>,
    pub size: (u16, u16),
    pub python_version: PyVersion,
    pub output: PathBuf,
    pub scale: f32,
}

impl Shot {
    /// The shot a `cpyviz shot …` command line asks for.
    pub fn from_args<I, T>(args: I) -> Result<Shot, String>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        match Cli::try_parse_from(args)
            .map_err(|e| e.to_string())?
            .command
        {
            Some(Command::Shot {
                file,
                stage,
                select,
                size,
                python_version,
                output,
                scale,
            }) => Ok(Shot {
                file,
                stage,
                select,
                size,
                python_version,
                output,
                scale,
            }),
            _ => Err("not a `cpyviz shot` command line".to_string()),
        }
    }

    /// The exported file's bytes.
    pub fn render(&self) -> Result<Vec<u8>, String> {
        let format = crate::export::Format::from_path(&self.output)?;
        if !(0.25..=8.0).contains(&self.scale) {
            return Err(format!(
                "cpyviz: --scale {} is out of range (0.25 to 8)",
                self.scale
            ));
        }
        let captures = builtin_captures(&self.file)?;
        let mut app = crate::app::App::new(captures, self.python_version, self.stage);
        if let Some(row) = self.select {
            let rows = app.row_count();
            if row >= rows {
                return Err(format!(
                    "cpyviz: --select {row} is out of range: the {} pane has {rows} rows",
                    self.stage.title()
                ));
            }
            app.set_selected_row(row);
        }
        let buffer = crate::ui::render_to_buffer(&mut app, self.size.0, self.size.1);
        let options = crate::ui::export_options(&app);
        if format == crate::export::Format::Png {
            return crate::export::to_png(&buffer, &options, self.scale);
        }
        crate::export::export(&buffer, &options, format)
    }

    /// Writes the exported bytes to the output file.
    pub fn write(&self, bytes: &[u8]) -> Result<(), String> {
        std::fs::write(&self.output, bytes).map_err(|e| {
            format!(
                "cpyviz: can't write '{}': {}",
                self.output.display(),
                io_reason(&e)
            )
        })
    }
}
