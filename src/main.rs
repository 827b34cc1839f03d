fn main() -> std::process::ExitCode {
    // Output piped into `head` and closed early ends cpyviz quietly, as it does any Unix tool
    // (Rust ignores SIGPIPE, and a failed print would panic).
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to its default before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    cpyviz::cli::main()
}
