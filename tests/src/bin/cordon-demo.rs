//! `cordon-demo`: a whole example federation on loopback (fresh CA, hub, 8 nodes, real
//! QUIC with mutual TLS) plays operation COSMO-2 step by step and prints what each party
//! saw. Exits 0 only if every step happened as described.
//!
//! `--keep-running` leaves the federation up, every node serving the officers' console,
//! and prints each party's console address and demo login, and how to use `cordon-node`
//! with it.
#![forbid(unsafe_code)]

use clap::Parser;

/// Play the example operation on a federation started on 127.0.0.1.
#[derive(Debug, Parser)]
#[command(name = "cordon-demo", version)]
struct Args {
    /// Leave the federation running after the demo (until Ctrl-C).
    #[arg(long)]
    keep_running: bool,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let fed = match cordon_testbed::demo::run(args.keep_running).await {
        Ok(f) => f,
        Err(e) => {
            eprintln!("\nDEMO FAILED: {e:#}");
            return std::process::ExitCode::FAILURE;
        }
    };
    if args.keep_running {
        println!("\nThe federation keeps running (Ctrl-C to stop). Point cordon-node at a node:");
        for (id, cfg) in &fed.configs {
            println!(
                "  cargo run -q -p cordon-node -- status --config {}   # {id}",
                cfg.display()
            );
        }
        println!(
            "e.g.: cargo run -q -p cordon-node -- inbox --config {}",
            fed.configs["BE-NCP"].display()
        );
        println!("\nEach party's web console (log in as `officer`, `reader` or `admin`, password \"{}\"):", cordon_testbed::console::PASSWORD);
        for id in fed.configs.keys() {
            if let Ok(url) = cordon_testbed::console::url(&fed, id) {
                println!("  {id:<8} {url}/");
            }
        }
        println!("Click through operation COSMO-2: the OCU's console shows its notice and the grid of who has it; BE-NCP's inbox the alert, the tracking updates and the seizure report.");
        let _ = tokio::signal::ctrl_c().await;
    }
    fed.shutdown().await;
    std::process::ExitCode::SUCCESS
}
