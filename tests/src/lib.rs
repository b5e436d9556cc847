//! Whole Cordon federations on loopback: a real CA, a real hub (QUIC on 127.0.0.1, port
//! 0) and clients with real certificates. Used by the integration tests, the benchmarks
//! and `cordon-demo`.

#![forbid(unsafe_code)]

pub mod audit;
pub mod baseline;
pub mod browser;
pub mod client;
pub mod console;
pub mod demo;
pub mod fake_hub;
pub mod faults;
pub mod federation;
pub mod inbox_fill;
pub mod initials;
pub mod pki;
pub mod policy;
pub mod process;
pub mod stall;

pub use client::TestClient;
pub use pki::{NodeCreds, Pki};

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use cordon_hub::config::{HubConfig, Limits};
use cordon_hub::server::RunningHub;

/// The value of the sample `name` (with its labels, if any, exactly as the hub writes
/// them) in a Prometheus text exposition.
pub fn metric_value(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

/// A hub running in this process on 127.0.0.1 with a port chosen by the OS.
#[derive(Debug)]
pub struct TestHub {
    /// The running hub.
    pub hub: RunningHub,
    /// Its configuration file.
    pub config_path: PathBuf,
    /// Its policy file (rewrite it to test reloads).
    pub policy_path: PathBuf,
}

/// Write a hub configuration for `pki` into `dir` and return its path.
pub fn write_hub_config(
    pki: &Pki,
    dir: &Path,
    policy: &str,
    limits: &str,
    listen: &str,
) -> Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let policy_path = dir.join("policy.toml");
    std::fs::write(&policy_path, policy)?;
    let roster_path = dir.join("roster.signed");
    if let Err(e) = pki.sign_roster(policy, &roster_path) {
        // A policy the hub will refuse anyway (tests of bad policies): no roster.
        tracing::debug!(error = %e, "no roster signed for this policy");
    }
    let cfg = format!(
        "[hub]\nlisten = \"{listen}\"\ndata_dir = \"{data}\"\n\n[tls]\ncert = \"{cert}\"\nkey = \"{key}\"\nroot = \"{root}\"\ncrls = [\"{crl}\"]\n\n[policy]\nfile = \"{policy}\"\nroster = \"{roster}\"\n\n[limits]\n{limits}\n",
        data = dir.join("data").display(),
        cert = pki.hub_cert.display(),
        key = pki.hub_key.display(),
        root = pki.root_path().display(),
        crl = pki.crl_path().display(),
        policy = policy_path.display(),
        roster = roster_path.display(),
    );
    let path = dir.join("hub.toml");
    std::fs::write(&path, cfg)?;
    Ok(path)
}

impl TestHub {
    /// Start a hub for `pki` with `policy`, keeping its files in `dir`. `limits` is TOML
    /// for the `[limits]` table (may be empty).
    pub async fn start(pki: &Pki, dir: &Path, policy: &str, limits: &str) -> Result<Self> {
        init_test_logging();
        let config_path = write_hub_config(pki, dir, policy, limits, "127.0.0.1:0")?;
        let config = HubConfig::load(&config_path)?;
        let policy_path = config.policy.clone();
        let hub = RunningHub::start(config)
            .await
            .context("starting the test hub")?;
        Ok(Self {
            hub,
            config_path,
            policy_path,
        })
    }

    /// Stop the hub gracefully and start it again on the same address, data and files.
    pub async fn restart(self) -> Result<Self> {
        let addr = self.addr();
        let Self {
            hub,
            config_path,
            policy_path,
        } = self;
        hub.shutdown().await;
        let mut config = HubConfig::load(&config_path)?;
        config.listen = addr;
        let hub = RunningHub::start(config)
            .await
            .context("restarting the test hub")?;
        Ok(Self {
            hub,
            config_path,
            policy_path,
        })
    }

    /// Its signed roster file (re-sign it with [`Pki::sign_roster`] when the policy's
    /// readers change).
    pub fn roster_path(&self) -> PathBuf {
        self.hub.state().config.roster.clone()
    }

    /// The hub's address.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.hub.addr
    }

    /// Wait (at most `within`) for an audit record (one JSON line) for which `wanted`
    /// holds, and return it; fail with the log's contents if none comes.
    pub async fn wait_audit(
        &self,
        wanted: impl Fn(&str) -> bool,
        within: std::time::Duration,
    ) -> Result<String> {
        let path = self.hub.state().config.audit_path();
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let audit = std::fs::read_to_string(&path).unwrap_or_default();
            if let Some(line) = audit.lines().find(|l| wanted(l)) {
                return Ok(line.to_owned());
            }
            if tokio::time::Instant::now() >= deadline {
                anyhow::bail!("no such audit record within {within:?}: {audit}");
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// The default limits, for reference.
    pub fn default_limits() -> Limits {
        Limits::default()
    }
}

/// Log to the test output when `RUST_LOG` is set.
pub fn init_test_logging() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}
