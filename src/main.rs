use std::process::ExitCode;

fn main() -> ExitCode {
    match povsim::cli::main(std::env::args_os()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if povsim::cli::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", povsim::cli::message(&err));
            ExitCode::from(povsim::cli::exit_code(&err))
        }
    }
}
