//! The `squashmate` binary: run the command line, exit with 0 ok / 1 findings / 2 error.

fn main() -> std::process::ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("Error: cannot start the async runtime: {e}");
            return std::process::ExitCode::from(squashmate::cli::EXIT_ERROR);
        }
    };
    let code = runtime.block_on(squashmate::cli::main_with_args(std::env::args_os().collect()));
    squashmate::server::wait_for_interrupt_cleanup();
    std::process::ExitCode::from(code)
}
