fn main() -> std::process::ExitCode {
    cpyviz::cli::main()
}
