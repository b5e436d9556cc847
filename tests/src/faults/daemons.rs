//! The hub and node daemons of a fault run: in this process ([`Fleet`]: a node per id,
//! each optionally behind its own [`FaultProxy`]) or as child processes that a scenario
//! kills with SIGKILL and starts again on the same files ([`HubProcess`],
//! [`NodeProcess`]).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use cordon_common::ids::Role;
use cordon_node::api_client::ApiClient;
use cordon_node::{NodeConfig, RunningNode};
use serde_json::Value;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::proxy::{FaultProxy, LinkFaults};
use crate::client::connect_raw;
use crate::federation::write_node_config;
use crate::pki::{NodeCreds, Pki};
use crate::process::{binary, ChildGuard};
use crate::write_hub_config;

/// The id of the `i`th node of a run (role `rilo`: a participant of `cosmo-2`).
pub fn node_id(i: usize) -> String {
    format!("F-{i:02}")
}

/// Start `program args…` with the child's logs at `warn` unless `RUST_LOG` says more.
fn spawn_quiet(program: &Path, args: &[&str]) -> Result<ChildGuard> {
    let level = std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into());
    let child = Command::new(program)
        .args(args)
        .env("RUST_LOG", level)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", program.display()))?;
    Ok(ChildGuard(child))
}

/// A `cordon-hub run` process on a fixed address of 127.0.0.1 (killed when dropped).
#[derive(Debug)]
pub struct HubProcess {
    child: Option<ChildGuard>,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its configuration file.
    pub config: PathBuf,
    probe: NodeCreds,
}

impl HubProcess {
    /// Write a hub configuration for `pki` in `dir` (data in `dir/data`, or in `data_dir`
    /// if given) with `policy`, and start it on a free port.
    pub async fn start(
        pki: &Pki,
        dir: &Path,
        policy: &str,
        data_dir: Option<&Path>,
    ) -> Result<Self> {
        let mut hub = Self {
            child: None,
            addr: ([127, 0, 0, 1], 0).into(),
            config: PathBuf::new(),
            probe: pki.node("PROBE", Role::Member)?,
        };
        let mut last = None;
        // Another program may take the port between the probe and the hub's bind.
        for _ in 0..5 {
            let port = std::net::UdpSocket::bind("127.0.0.1:0")?
                .local_addr()?
                .port();
            hub.addr = ([127, 0, 0, 1], port).into();
            // A data directory of its own is the disk-full scenario's small tmpfs: keep
            // 1 MiB free there (the default 1 GiB would refuse every publish from the start).
            let limits = if data_dir.is_some() {
                "min_free_disk_bytes = 1048576"
            } else {
                ""
            };
            hub.config = write_hub_config(pki, dir, policy, limits, &hub.addr.to_string())?;
            if let Some(data) = data_dir {
                let text = std::fs::read_to_string(&hub.config)?;
                let line = format!("data_dir = \"{}\"", dir.join("data").display());
                let text = text.replace(&line, &format!("data_dir = \"{}\"", data.display()));
                std::fs::write(&hub.config, text)?;
            }
            match hub.restart(pki).await {
                Ok(()) => return Ok(hub),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| anyhow::anyhow!("the hub did not start")))
    }

    /// Start the process (again) on the same configuration, data and address, and wait
    /// (at most 20 s) until it accepts a connection.
    pub async fn restart(&mut self, pki: &Pki) -> Result<()> {
        let bin = binary("cordon-hub", "cordon-hub")?;
        let config = self.config.to_str().context("config path")?;
        let mut child = spawn_quiet(&bin, &["run", "--config", config])?;
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = child.0.try_wait()? {
                bail!("the hub exited before listening on {}: {status}", self.addr);
            }
            let attempt = tokio::time::timeout(
                Duration::from_secs(2),
                connect_raw(pki, &self.probe, self.addr),
            )
            .await;
            if let Ok(Ok(session)) = attempt {
                session.close();
                self.child = Some(child);
                return Ok(());
            }
            if Instant::now() >= deadline {
                bail!(
                    "the hub at {} did not accept a connection within 20 s",
                    self.addr
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL: no orderly stop, no final sync.
    pub fn kill(&mut self) -> Result<()> {
        if let Some(mut c) = self.child.take() {
            c.kill()?;
        }
        Ok(())
    }

    /// Whether the process has exited by itself (a crash); its status if so.
    pub fn exited(&mut self) -> Result<Option<std::process::ExitStatus>> {
        match &mut self.child {
            Some(c) => Ok(c.0.try_wait()?),
            None => Ok(None),
        }
    }
}

/// A `cordon-node run` process (killed when dropped).
#[derive(Debug)]
pub struct NodeProcess {
    child: Option<ChildGuard>,
    /// Its configuration file.
    pub config: PathBuf,
}

impl NodeProcess {
    /// A node process for `config`, not started yet.
    pub fn new(config: PathBuf) -> Self {
        Self {
            child: None,
            config,
        }
    }

    /// Start it and wait (at most 20 s) until it is connected; its API.
    pub async fn start(&mut self) -> Result<ApiClient> {
        let bin = binary("cordon-node", "cordon-node")?;
        let config = self.config.to_str().context("config path")?;
        let mut child = spawn_quiet(&bin, &["run", "--config", config])?;
        let data = self.config.parent().context("config dir")?.join("data");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = child.0.try_wait()? {
                bail!("{} exited at start: {status}", self.config.display());
            }
            // api.addr is rewritten at each start; a stale one from a killed run fails.
            if let Ok(api) = ApiClient::from_data_dir(&data) {
                if let Ok(st) = api.get::<Value>("/v1/status").await {
                    if st["connection"] == "connected" {
                        self.child = Some(child);
                        return Ok(api);
                    }
                }
            }
            if Instant::now() >= deadline {
                bail!("{} did not connect within 20 s", self.config.display());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL.
    pub fn kill(&mut self) -> Result<()> {
        if let Some(mut c) = self.child.take() {
            c.kill()?;
        }
        Ok(())
    }
}

/// Node daemons in this process, `F-01`…, each optionally behind its own fault proxy.
#[derive(Debug)]
pub struct Fleet {
    /// Node ids, in order.
    pub ids: Vec<String>,
    /// Configuration files by id.
    pub configs: BTreeMap<String, PathBuf>,
    /// Running nodes by id.
    pub nodes: BTreeMap<String, RunningNode>,
    /// Each node's proxy by id (none when not proxied).
    pub proxies: BTreeMap<String, FaultProxy>,
}

impl Fleet {
    /// Issue `n` node certificates, write their configurations towards `hub` (through a
    /// clean proxy each when `proxy_seed` is given; with `limits` as their `[limits]`
    /// table when not empty), start them all and wait until each is connected and has
    /// published its key bundle.
    pub async fn start(
        pki: &Pki,
        hub: SocketAddr,
        n: usize,
        proxy_seed: Option<u64>,
        limits: &str,
    ) -> Result<Self> {
        let mut fleet = Self {
            ids: (1..=n).map(node_id).collect(),
            configs: BTreeMap::new(),
            nodes: BTreeMap::new(),
            proxies: BTreeMap::new(),
        };
        for (i, id) in fleet.ids.iter().enumerate() {
            let target = match proxy_seed {
                Some(seed) => {
                    let p = FaultProxy::start(hub, LinkFaults::default(), seed + i as u64).await?;
                    let addr = p.addr();
                    fleet.proxies.insert(id.clone(), p);
                    addr
                }
                None => hub,
            };
            let cfg = node_config(pki, id, target)?;
            if !limits.is_empty() {
                let text = std::fs::read_to_string(&cfg)?;
                std::fs::write(&cfg, format!("{text}\n[limits]\n{limits}\n"))?;
            }
            fleet.configs.insert(id.clone(), cfg);
        }
        let mut starting = JoinSet::new();
        for (id, cfg) in &fleet.configs {
            let (id, config) = (id.clone(), NodeConfig::load(cfg)?);
            starting.spawn(async move {
                let node = RunningNode::start(config)
                    .await
                    .with_context(|| format!("starting {id}"))?;
                if !node.wait_connected(Duration::from_secs(60)).await {
                    bail!("{id} did not connect to the hub within 60 s");
                }
                Ok((id, node))
            });
        }
        while let Some(r) = starting.join_next().await {
            let (id, node) = r??;
            fleet.nodes.insert(id, node);
        }
        Ok(fleet)
    }

    /// Each running node's API by id.
    pub fn apis(&self) -> BTreeMap<String, ApiClient> {
        self.nodes
            .iter()
            .map(|(id, n)| (id.clone(), n.api_client()))
            .collect()
    }

    /// Set every proxy's faults.
    pub fn set_faults(&self, faults: LinkFaults) {
        for p in self.proxies.values() {
            p.set(faults);
        }
    }

    /// Stop every node.
    pub async fn shutdown(self) {
        for (_, n) in self.nodes {
            n.shutdown().await;
        }
    }
}

/// Issue `id`'s certificate (role `rilo`) and write its configuration towards `hub`.
pub fn node_config(pki: &Pki, id: &str, hub: SocketAddr) -> Result<PathBuf> {
    let creds = pki.node(id, Role::Rilo)?;
    write_node_config(pki, &creds, hub, &pki.path().join("nodes").join(id))
}
