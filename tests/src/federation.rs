//! A whole federation on loopback: a fresh CA, a hub on 127.0.0.1:0 and real node
//! daemons (`cordon_node::RunningNode`, each with its store and local API), with the
//! configuration files a person would use to point `cordon-node` at them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use cordon_common::ids::Role;
use cordon_node::{NodeConfig, RunningNode};

use crate::pki::{NodeCreds, Pki};
use crate::TestHub;

/// The example federation's nodes: id and role.
pub const EXAMPLE_NODES: [(&str, Role); 8] = [
    ("OCU", Role::Ocu),
    ("RILO-WE", Role::Rilo),
    ("RILO-AP", Role::Rilo),
    ("BE-NCP", Role::Member),
    ("HU-NCP", Role::Member),
    ("NL-NCP", Role::Member),
    ("US-NCP", Role::Member),
    ("XX-NCP", Role::Member),
];

/// The example federation's policy (`certs-example/policy.toml`).
pub const EXAMPLE_POLICY: &str = include_str!("../../certs-example/policy.toml");

/// A running federation.
pub struct Federation {
    /// The CA and the hub's certificate (keeps the temporary directory alive).
    pub pki: Pki,
    /// The hub.
    pub hub: TestHub,
    /// Node credentials by id.
    pub creds: BTreeMap<String, NodeCreds>,
    /// Running nodes by id (a stopped node is absent).
    pub nodes: BTreeMap<String, RunningNode>,
    /// Node configuration files by id.
    pub configs: BTreeMap<String, PathBuf>,
}

impl std::fmt::Debug for Federation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Federation(hub {}, {} nodes)",
            self.hub.addr(),
            self.nodes.len()
        )
    }
}

/// Write a node configuration for `creds` talking to `hub` (API on 127.0.0.1:0).
pub fn write_node_config(
    pki: &Pki,
    creds: &NodeCreds,
    hub: std::net::SocketAddr,
    dir: &Path,
) -> Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let text = format!(
        "[node]\ndata_dir = \"{data}\"\n\n[hub]\naddr = \"{hub}\"\nserver_name = \"localhost\"\n\n\
         [tls]\ncert = \"{cert}\"\nkey = \"{key}\"\nroot = \"{root}\"\ncrls = [\"{crl}\"]\n\n\
         [api]\nlisten = \"127.0.0.1:0\"\n",
        data = dir.join("data").display(),
        cert = creds.cert_path.display(),
        key = creds.key_path.display(),
        root = pki.root_path().display(),
        crl = pki.crl_path().display(),
    );
    let path = dir.join("node.toml");
    std::fs::write(&path, text)?;
    Ok(path)
}

/// A node daemon in this process for `creds`, its files in `pki`'s `nodes/<id>`, talking
/// to the hub at `hub`; returned once it is connected (at most 15 s).
pub async fn start_connected_node(
    pki: &Pki,
    creds: &NodeCreds,
    hub: std::net::SocketAddr,
) -> Result<RunningNode> {
    let dir = pki
        .path()
        .join("nodes")
        .join(creds.identity.node_id.as_str());
    let cfg = write_node_config(pki, creds, hub, &dir)?;
    let node = RunningNode::start(NodeConfig::load(&cfg)?).await?;
    if !node.wait_connected(Duration::from_secs(15)).await {
        bail!("{} did not connect within 15 s", creds.identity.node_id);
    }
    Ok(node)
}

impl Federation {
    /// Start a hub with `policy` and the nodes `ids`, and wait until every node is
    /// connected and has published its key bundle.
    pub async fn start(policy: &str, ids: &[(&str, Role)]) -> Result<Self> {
        let mut fed = Self::prepare(policy, ids).await?;
        for (id, _) in ids {
            fed.start_node(id).await?;
        }
        Ok(fed)
    }

    /// Start a hub with `policy` and write the configurations of the nodes `ids`,
    /// without starting them (to change their configuration first).
    pub async fn prepare(policy: &str, ids: &[(&str, Role)]) -> Result<Self> {
        let pki = Pki::new()?;
        let hub = TestHub::start(&pki, &pki.path().join("hub"), policy, "").await?;
        let mut fed = Self {
            pki,
            hub,
            creds: BTreeMap::new(),
            nodes: BTreeMap::new(),
            configs: BTreeMap::new(),
        };
        for (id, role) in ids {
            let creds = fed.pki.node(id, *role)?;
            let dir = fed.pki.path().join("nodes").join(id);
            let cfg = write_node_config(&fed.pki, &creds, fed.hub.addr(), &dir)?;
            fed.creds.insert((*id).to_owned(), creds);
            fed.configs.insert((*id).to_owned(), cfg);
        }
        Ok(fed)
    }

    /// Start (or restart) node `id` and wait until it is connected.
    pub async fn start_node(&mut self, id: &str) -> Result<()> {
        let path = self
            .configs
            .get(id)
            .with_context(|| format!("no node {id}"))?;
        let config = NodeConfig::load(path)?;
        let node = RunningNode::start(config)
            .await
            .with_context(|| format!("starting {id}"))?;
        if !node.wait_connected(Duration::from_secs(15)).await {
            bail!("{id} did not connect to the hub within 15 s");
        }
        self.nodes.insert(id.to_owned(), node);
        Ok(())
    }

    /// Stop node `id` gracefully.
    pub async fn stop_node(&mut self, id: &str) -> Result<()> {
        let node = self
            .nodes
            .remove(id)
            .with_context(|| format!("{id} is not running"))?;
        node.shutdown().await;
        Ok(())
    }

    /// A running node.
    pub fn node(&self, id: &str) -> Result<&RunningNode> {
        self.nodes
            .get(id)
            .with_context(|| format!("{id} is not running"))
    }

    /// Stop every node, then the hub.
    pub async fn shutdown(mut self) {
        let ids: Vec<String> = self.nodes.keys().cloned().collect();
        for id in ids {
            if let Some(n) = self.nodes.remove(&id) {
                n.shutdown().await;
            }
        }
        self.hub.hub.shutdown().await;
    }
}
