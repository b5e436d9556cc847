//! The daemon: load keys and store, start the link to the hub and the local API, and
//! shut down gracefully.
//!
//! In-process use (tests, the testbed):
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use cordon_node::config::NodeConfig;
//! use cordon_node::daemon::RunningNode;
//! let node = RunningNode::start(NodeConfig::load("BE-NCP.toml".as_ref())?).await?;
//! println!("API on {} with token {}", node.api_addr(), node.token());
//! node.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Nothing durable is lost at shutdown: every draft, inbox message, receipt and refusal
//! is committed before it is acknowledged to anyone, and the lanes finish the batch they
//! are committing before the connection closes.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use cordon_common::ids::NodeId;
use tokio::task::JoinHandle;

use crate::api::{self, ApiContext};
use crate::client::Connector;
use crate::config::NodeConfig;
use crate::hub_verifier::HubCertVerifier;
use crate::keys::NodeKeys;
use crate::service::Service;
use crate::state::{ConnState, Shared};
use crate::store::Store;

/// The node could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The configuration.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// The data directory could not be made.
    #[error("data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Certificates, keys, trust.
    #[error(transparent)]
    Keys(#[from] crate::keys::KeyFileError),
    /// The store.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The API token.
    #[error(transparent)]
    Token(#[from] api::TokenError),
    /// The QUIC client.
    #[error(transparent)]
    Client(#[from] crate::client::ClientError),
    /// The API could not listen.
    #[error("cannot listen on {addr} for the local API: {source}")]
    ApiBind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// `api.addr` could not be written.
    #[error("cannot write {path}: {source}")]
    ApiAddrFile {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The console could not start.
    #[error(transparent)]
    Console(#[from] crate::console::ConsoleError),
    /// `console.addr` could not be written.
    #[error("cannot write {path}: {source}")]
    ConsoleAddrFile {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Waiting for a signal failed.
    #[error("cannot wait for signals: {0}")]
    Signals(std::io::Error),
}

/// A running node.
#[derive(Debug)]
pub struct RunningNode {
    shared: Arc<Shared>,
    service: Service,
    api_addr: SocketAddr,
    token: String,
    link: JoinHandle<()>,
    api: JoinHandle<()>,
    crls: JoinHandle<()>,
    console: Option<crate::console::ConsoleHandle>,
}

fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

impl RunningNode {
    /// Load everything and start the link and the API. Returns once the API listens
    /// (its address is also written to `api.addr` in the data directory); the link
    /// connects in the background.
    pub async fn start(config: NodeConfig) -> Result<Self, StartError> {
        let dir = config.data_dir.clone();
        {
            use std::os::unix::fs::DirBuilderExt;
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&dir)
                .map_err(|source| StartError::DataDir {
                    path: dir.display().to_string(),
                    source,
                })?;
        }
        let keys = NodeKeys::load(&config.tls, &config.x25519_key_path())?;
        let store = Store::open(&config.store_path())?;
        let token = api::load_or_create_token(&config.token_path())?;
        let verifier = Arc::new(HubCertVerifier::new(&keys.trust())?);
        let connector = Connector::with_verifier(
            verifier.clone(),
            keys.chain.clone(),
            keys.tls_key.clone_key(),
            &config.limits.transport(),
        )?;
        let listener =
            api::bind(config.api_listen)
                .await
                .map_err(|source| StartError::ApiBind {
                    addr: config.api_listen,
                    source,
                })?;
        let api_addr = listener
            .local_addr()
            .map_err(|source| StartError::ApiBind {
                addr: config.api_listen,
                source,
            })?;
        let addr_path = config.api_addr_path();
        write_atomically(&addr_path, &format!("{api_addr}\n")).map_err(|source| {
            StartError::ApiAddrFile {
                path: addr_path.display().to_string(),
                source,
            }
        })?;
        let max_conns = config.limits.api_max_connections;
        let max_body = config.limits.api_max_body;
        let header_timeout = Duration::from_millis(config.limits.api_header_timeout_ms);
        let body_timeout = Duration::from_millis(config.limits.api_body_timeout_ms);
        tracing::info!(
            node = %keys.identity.node_id,
            fingerprint = %keys.identity.fingerprint,
            hub = %config.hub_addr,
            api = %api_addr,
            "node starting"
        );
        let shared = Arc::new(Shared::new(config, keys, store)?);
        check_own_certificate(&shared);
        warn_overdue_crls(&shared.keys.trust(), 0);
        let service = Service::new(shared.clone());
        let ctx = Arc::new(ApiContext {
            service: service.clone(),
            token: token.clone(),
            max_body,
            header_timeout,
            body_timeout,
        });
        let api = tokio::spawn(api::serve(
            listener,
            ctx,
            max_conns,
            shared.shutdown.subscribe(),
        ));
        let console = match shared.config.console.clone() {
            Some(cfg) => {
                let book = crate::officers::OfficerBook::new(shared.config.officers_path());
                let handle =
                    crate::console::start(cfg, service.clone(), book, shared.shutdown.subscribe())
                        .await?;
                let path = shared.config.console_addr_path();
                write_atomically(&path, &format!("{}\n", handle.addr)).map_err(|source| {
                    StartError::ConsoleAddrFile {
                        path: path.display().to_string(),
                        source,
                    }
                })?;
                Some(handle)
            }
            None => None,
        };
        let link = tokio::spawn(crate::link::run(shared.clone(), connector));
        let crls = tokio::spawn(watch_crls(shared.clone(), verifier));
        Ok(Self {
            shared,
            service,
            api_addr,
            token,
            link,
            api,
            crls,
            console,
        })
    }

    /// Where the officers' console listens, when enabled.
    pub fn console_addr(&self) -> Option<SocketAddr> {
        self.console.as_ref().map(|c| c.addr)
    }

    /// Where the API listens.
    pub fn api_addr(&self) -> SocketAddr {
        self.api_addr
    }

    /// The API's bearer token.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// This node's id.
    pub fn node_id(&self) -> &NodeId {
        &self.shared.keys.identity.node_id
    }

    /// The officers' operations, without HTTP.
    pub fn service(&self) -> &Service {
        &self.service
    }

    /// An API client for this node.
    pub fn api_client(&self) -> crate::api_client::ApiClient {
        crate::api_client::ApiClient::new(self.api_addr, self.token.clone())
    }

    /// Wait until the link is connected (subscribed, lanes open), at most `timeout`.
    pub async fn wait_connected(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if self.shared.status().state == ConnState::Connected {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stop: the API stops accepting, the lanes finish the batch they commit, the
    /// connection closes. Waits for the tasks (at most about 15 s).
    pub async fn shutdown(self) {
        self.shared.shutdown.send_replace(true);
        let Self {
            shared,
            service,
            link,
            api,
            crls,
            console,
            ..
        } = self;
        drop(service);
        let _ = crls.await;
        if tokio::time::timeout(Duration::from_secs(15), link)
            .await
            .is_err()
        {
            tracing::warn!("the hub link did not stop in time");
        }
        if tokio::time::timeout(Duration::from_secs(5), api)
            .await
            .is_err()
        {
            tracing::warn!("the API did not stop in time");
        }
        if let Some(c) = console {
            if tokio::time::timeout(Duration::from_secs(5), c.task)
                .await
                .is_err()
            {
                tracing::warn!("the console did not stop in time");
            }
            let _ = std::fs::remove_file(shared.config.console_addr_path());
        }
        let _ = std::fs::remove_file(shared.config.api_addr_path());
        let node = shared.keys.identity.node_id.clone();
        // The store closes with the last holder of the shared state: a task that was
        // told to stop may still be returning on another thread. Wait for it (briefly),
        // so that the store is closed when `shutdown` returns and can be opened again.
        let mut shared = shared;
        for _ in 0..500 {
            match Arc::try_unwrap(shared) {
                Ok(owned) => {
                    drop(owned);
                    tracing::info!(%node, "node stopped");
                    return;
                }
                Err(still_shared) => shared = still_shared,
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tracing::warn!(%node, "node stopped; a task still holds its store");
    }
}

/// Run a node until SIGTERM or SIGINT, then shut down gracefully.
pub async fn run(config: NodeConfig) -> Result<(), StartError> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).map_err(StartError::Signals)?;
    let mut int = signal(SignalKind::interrupt()).map_err(StartError::Signals)?;
    let node = RunningNode::start(config).await?;
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM: shutting down"),
        _ = int.recv() => tracing::info!("SIGINT: shutting down"),
    }
    node.shutdown().await;
    Ok(())
}

/// How often the CRL files are looked at for a change.
const CRL_CHECK: std::time::Duration = std::time::Duration::from_secs(10);

/// At start: this node's own certificate against its trust store (dates, CRLs). A
/// certificate the hub would refuse is logged as an error and shown in `status`; the
/// daemon still starts, so officers can read what is already in the inbox.
fn check_own_certificate(shared: &Shared) {
    if let Err(e) = shared
        .keys
        .check_own_certificate(crate::state::now_ms() / 1000)
    {
        let reason = match e {
            cordon_common::pki::TrustError::Revoked => "revoked",
            cordon_common::pki::TrustError::Expired
            | cordon_common::pki::TrustError::NotYetValid => "expired",
            _ => "bad-certificate",
        };
        tracing::error!(
            cert = %shared.config.tls.cert.display(),
            reason,
            error = %e,
            "this node's own certificate fails its own check; the hub will refuse it: ask the Secretariat for a new certificate"
        );
        shared.status().certificate_refused = Some(reason.to_owned());
    }
}

/// Warn about each CRL in force past its `nextUpdate` when there are more than `before`
/// of them; returns how many there are.
fn warn_overdue_crls(trust: &cordon_common::pki::TrustStore, before: usize) -> usize {
    let overdue = trust.overdue_crls(crate::state::now_ms() / 1000);
    if overdue.len() > before {
        for c in &overdue {
            tracing::warn!(
                issuer = %c.issuer,
                next_update = c.next_update.unwrap_or_default(),
                "a CRL in force is past its nextUpdate: revocations since then are unknown; install the CA's new CRL"
            );
        }
    }
    overdue.len()
}

/// Put changed CRL files in force without a restart: every [`CRL_CHECK`], if any CRL
/// file's modification time or size changed, reload them all; a file that does not read,
/// parse or verify against the root, or that is older than the CRL in force, is refused
/// (logged) and the CRLs in force stay. The new CRLs apply to the hub's certificate from
/// the next connection, and the live connection re-checks it. A CRL past its
/// `nextUpdate` is warned about.
async fn watch_crls(shared: Arc<Shared>, verifier: Arc<HubCertVerifier>) {
    let files = shared.config.tls.crls.clone();
    if files.is_empty() {
        return;
    }
    let stamp = |files: &[std::path::PathBuf]| -> Vec<Option<(std::time::SystemTime, u64)>> {
        files
            .iter()
            .map(|p| {
                std::fs::metadata(p)
                    .ok()
                    .and_then(|m| Some((m.modified().ok()?, m.len())))
            })
            .collect()
    };
    let mut seen = stamp(&files);
    let mut overdue = warn_overdue_crls(&shared.keys.trust(), usize::MAX);
    // Subscribed inside the task: a shutdown sent before it first ran is already the
    // current value, which `changed()` would never report (the node's shutdown would wait
    // for this task for ever); `wait_for` looks at the current value first.
    let mut shutdown = shared.shutdown.subscribe();
    loop {
        tokio::select! {
            () = tokio::time::sleep(CRL_CHECK) => {}
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
        overdue = warn_overdue_crls(&shared.keys.trust(), overdue);
        let now = stamp(&files);
        if now == seen {
            continue;
        }
        seen = now;
        match shared.keys.reload_trust(&files) {
            Ok(revoked) => {
                tracing::info!(revoked, "CRLs reloaded");
                let trust = shared.keys.trust();
                if let Err(e) = verifier.reload(&trust) {
                    tracing::error!(error = %e, "the new CRLs cannot check the hub's certificate");
                }
                overdue = warn_overdue_crls(&trust, 0);
            }
            Err(e) => tracing::warn!(error = %e, "new CRL refused; the CRLs in force stay"),
        }
    }
}
