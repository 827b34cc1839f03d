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
