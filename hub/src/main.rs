//! `cordon-hub`: parses the command line, sets up logging, and calls the library.
#![forbid(unsafe_code)]

use clap::Parser;
use cordon_hub::cli::{execute, Cli, LogFormat};
use tracing_subscriber::EnvFilter;

/// Logs go to standard error, coloured only when that is a terminal (not a file, a pipe
/// or a journal).
fn init_logging(format: LogFormat) {
    use std::io::IsTerminal as _;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// The exit code of a configuration file that cannot be read or is wrong (`EX_CONFIG` of
/// sysexits.h, as `cordon-node`).
const EX_CONFIG: u8 = 78;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(execute(cli.command)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            let config = e.chain().any(|c| {
                c.downcast_ref::<cordon_hub::config::ConfigError>()
                    .is_some()
            });
            if config {
                std::process::ExitCode::from(EX_CONFIG)
            } else {
                std::process::ExitCode::FAILURE
            }
        }
    }
}
