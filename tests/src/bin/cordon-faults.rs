//! `cordon-faults`: the reliability scenarios of `docs/RELIABILITY.md` (lossy links, a
//! partition, hub and node SIGKILLs, a full disk, a skewed clock), each on its own
//! federation on 127.0.0.1, printed as one markdown table. Exits 1 if any scenario lost
//! or duplicated a message.
//!
//! `cargo build --release -p cordon-testbed --bin cordon-faults`
//! `./target/release/cordon-faults --scenario all --scale full` (the disk scenario mounts
//! a tmpfs and needs root; it is skipped with a message otherwise).
#![forbid(unsafe_code)]

use anyhow::Result;
use clap::Parser;
use cordon_testbed::faults::scenarios::{self, NAMES};
use cordon_testbed::faults::{markdown, Scale};

/// Run Cordon's reliability scenarios and print what each survived.
#[derive(Debug, Parser)]
#[command(name = "cordon-faults", version)]
struct Args {
    /// A scenario (lossy-links, partition, hub-kills, node-kills, disk-full, clock-skew)
    /// or `all`.
    #[arg(long, default_value = "all")]
    scenario: String,
    /// `short` (the sizes of `cargo test`) or `full` (20 nodes, 30 s partition, 20 kills).
    #[arg(long, value_enum, default_value_t = Scale::Full)]
    scale: Scale,
}

#[tokio::main]
async fn main() -> Result<std::process::ExitCode> {
    let args = Args::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let names: Vec<&str> = if args.scenario == "all" {
        NAMES.to_vec()
    } else {
        vec![args.scenario.as_str()]
    };
    let mut reports = Vec::new();
    for name in names {
        eprintln!("running {name} ({})…", args.scale);
        let r = scenarios::run(name, args.scale).await?;
        eprintln!(
            "{name}: {} in {:.1} s",
            r.verdict(),
            r.elapsed.as_secs_f64()
        );
        reports.push(r);
    }
    println!("{}", markdown(&reports));
    let failed = reports.iter().any(|r| r.skipped.is_none() && !r.passed());
    Ok(if failed {
        std::process::ExitCode::FAILURE
    } else {
        std::process::ExitCode::SUCCESS
    })
}
