//! `cordon-node`: parse the arguments, set up logging, call the library.

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use cordon_node::cli::{self, Cli, Command, LogFormat};
use cordon_node::config::NodeConfig;

/// Logs go to standard error, coloured only when that is a terminal (not a file, a pipe
/// or a journal).
fn init_logging(format: LogFormat) {
    use std::io::IsTerminal as _;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn main() -> ExitCode {
    let args = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cordon-node: {e:#}");
            return ExitCode::from(cli::exit::INTERNAL);
        }
    };
    match &args.command {
        Command::Run { config } => {
            init_logging(args.log_format);
            let config = match NodeConfig::load(config) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("cordon-node: {e}");
                    return ExitCode::from(cli::exit::CONFIG);
                }
            };
            match runtime.block_on(cordon_node::daemon::run(config)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    let e = anyhow::Error::new(e).context("the node could not run");
                    eprintln!("cordon-node: {e:#}");
                    ExitCode::from(cli::exit::INTERNAL)
                }
            }
        }
        other => {
            if std::env::var_os("RUST_LOG").is_some() {
                init_logging(args.log_format);
            }
            ExitCode::from(runtime.block_on(cli::execute(other)))
        }
    }
}
