//! The `povsim` command; see `src/cli/`.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
