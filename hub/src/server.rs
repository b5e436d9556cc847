//! Starting and stopping a hub: load configuration, PKI, policy, store and audit log;
//! bind the QUIC endpoint; run the accept loop, the reload watcher and retention; shut
//! down gracefully.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use cordon_common::pki::IdentityKey;
use cordon_common::quic::{transport_config, TransportLimits};
use cordon_common::wire::ErrorCode;
use tokio::task::JoinHandle;
use tracing::info;

use crate::audit::{AuditEvent, AuditLog};
use crate::check_pool::CheckPool;
use crate::config::HubConfig;
use crate::directory::Directory;
use crate::handshake_tls::HandshakeTls;
use crate::metrics::Metrics;
use crate::policy::Policy;
use crate::reload::{self, load_trust, ReloadReport};
use crate::roster_file::load_roster;
use crate::state::HubState;
use crate::store::{CommitConfig, CommitObserver, GroupCommitter, RedbStore, Store};
use crate::tls::{server_config, NodeCertVerifier};
use crate::{audit_sink, backlog, listener, recheck, retention};

/// The hub could not start. Each variant says what to fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// Certificates, keys or CRLs.
    #[error("PKI: {0}")]
    Pki(String),
    /// The policy file.
    #[error("policy: {0}")]
    Policy(String),
    /// The store.
    #[error("store {path}: {reason}")]
    Store {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The audit log.
    #[error("audit log {path}: {reason} (check it with `cordon-hub audit verify`)")]
    Audit {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// Starting the check threads.
    #[error("cannot start the publish check threads: {0}")]
    Threads(String),
    /// Binding sockets.
    #[error("cannot listen on {addr}: {reason}")]
    Bind {
        /// The address.
        addr: String,
        /// Why.
        reason: String,
    },
}

/// A running hub.
#[derive(Debug)]
pub struct RunningHub {
    /// The QUIC address it listens on.
    pub addr: SocketAddr,
    /// The metrics address, if configured.
    pub metrics_addr: Option<SocketAddr>,
    state: Arc<HubState>,
    endpoint: quinn::Endpoint,
    background: Vec<JoinHandle<()>>,
    audit_task: JoinHandle<()>,
    committer_thread: Option<std::thread::JoinHandle<()>>,
}

impl RunningHub {
    /// Start a hub from its configuration.
    pub async fn start(config: HubConfig) -> Result<Self, StartError> {
        let pki = |e: String| StartError::Pki(e);
        let trust = load_trust(&config, None).map_err(|e| pki(e.to_string()))?;
        let chain =
            cordon_common::pki::read_pem_certs(&config.cert).map_err(|e| pki(e.to_string()))?;
        let (_, key) = IdentityKey::load(&config.key).map_err(|e| pki(e.to_string()))?;
        let verifier = Arc::new(NodeCertVerifier::new(&trust).map_err(|e| pki(e.to_string()))?);
        let tls = server_config(verifier.clone(), chain.clone(), key.clone_key())
            .map_err(|e| pki(e.to_string()))?;
        let policy = Policy::load(&config.policy).map_err(|e| StartError::Policy(e.to_string()))?;
        let roster = load_roster(&config.roster, trust.roots(), &policy, None)
            .map_err(|e| StartError::Policy(e.to_string()))?;

        std::fs::create_dir_all(&config.data_dir).map_err(|e| StartError::Store {
            path: config.data_dir.display().to_string(),
            reason: e.to_string(),
        })?;
        let store_path = config.store_path();
        let store: Arc<dyn Store> = Arc::new(
            RedbStore::open(&store_path, config.limits.store_quota_bytes).map_err(|e| {
                StartError::Store {
                    path: store_path.display().to_string(),
                    reason: e.to_string(),
                }
            })?,
        );
        let (directory, skipped) =
            Directory::load(store.as_ref()).map_err(|e| StartError::Store {
                path: store_path.display().to_string(),
                reason: e.to_string(),
            })?;
        for s in skipped {
            tracing::warn!(entry = %s, "directory entry skipped");
        }
        let audit_path = config.audit_path();
        let mut audit_log = AuditLog::open(&audit_path).map_err(|e| StartError::Audit {
            path: audit_path.display().to_string(),
            reason: e.to_string(),
        })?;
        let shortened = crate::audit_sink::check_recorded_head(
            store.as_ref(),
            &mut audit_log,
            config.accept_shortened_audit_log,
        )
        .map_err(|reason| StartError::Audit {
            path: audit_path.display().to_string(),
            reason,
        })?;
        let torn = audit_log
            .torn_tail_repaired()
            .map(|(p, n)| (p.display().to_string(), n));
        let metrics = Arc::new(Metrics::new());
        let observer: CommitObserver = {
            let m = metrics.clone();
            Arc::new(move |batch, took| {
                m.commit_batch.observe(batch as f64);
                m.commit_seconds.observe(took.as_secs_f64());
            })
        };
        let (committer, committer_thread) = GroupCommitter::start(
            store.clone(),
            CommitConfig {
                max_batch: config.limits.commit_max_batch,
                queue_depth: config.limits.commit_queue_depth,
                lazy_delay: crate::store::LAZY_WRITE_DELAY,
            },
            Some(observer),
        );
        let (audit, audit_task) = audit_sink::start(
            audit_log,
            committer.clone(),
            8192,
            metrics.audit_writable.clone(),
        );

        let limits = &config.limits;
        let mut server = quinn::ServerConfig::with_crypto(Arc::new(
            quinn::crypto::rustls::QuicServerConfig::try_from(tls)
                .map_err(|e| pki(e.to_string()))?,
        ));
        server.transport_config(Arc::new(transport_config(&TransportLimits {
            max_bidi_streams: limits.max_streams,
            stream_window: limits.stream_window,
            connection_window: limits.connection_window,
            idle_timeout: Duration::from_millis(limits.idle_timeout_ms),
            keep_alive: Duration::from_millis(limits.keep_alive_ms),
        })));
        let handshake_tls = HandshakeTls::new(server.clone(), verifier.clone(), chain, key);
        let endpoint_config =
            crate::reset_key::endpoint_config(&config.data_dir).map_err(|e| StartError::Store {
                path: config.data_dir.display().to_string(),
                reason: e.to_string(),
            })?;
        let bind = |e: std::io::Error| StartError::Bind {
            addr: config.listen.to_string(),
            reason: e.to_string(),
        };
        let socket = std::net::UdpSocket::bind(config.listen).map_err(bind)?;
        widen_receive_buffer(&socket);
        let endpoint = quinn::Endpoint::new(
            endpoint_config,
            Some(server),
            socket,
            Arc::new(quinn::TokioRuntime),
        )
        .map_err(bind)?;
        let addr = endpoint.local_addr().map_err(|e| StartError::Bind {
            addr: config.listen.to_string(),
            reason: e.to_string(),
        })?;

        let mut background = Vec::new();
        let mut metrics_addr = None;
        if let Some(m) = config.metrics {
            let (bound, task) = crate::metrics::serve(m, metrics.clone())
                .await
                .map_err(|e| StartError::Bind {
                    addr: m.to_string(),
                    reason: e.to_string(),
                })?;
            metrics_addr = Some(bound);
            background.push(task);
        }
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let checks = CheckPool::start(threads).map_err(|e| StartError::Threads(e.to_string()))?;
        let state = Arc::new(HubState::new(
            config, policy, trust, verifier, store, committer, directory, audit, metrics, checks,
        ));
        info!(version = roster.roster.version, "operation roster in force");
        state.set_roster(roster);
        state
            .audit
            .record(AuditEvent::HubStarted {
                version: env!("CARGO_PKG_VERSION").to_owned(),
            })
            .await;
        if let Some(event) = shortened {
            state.audit.record(event).await;
        }
        if let Some((saved_to, bytes)) = torn {
            state
                .audit
                .record(AuditEvent::TornTailRepaired { saved_to, bytes })
                .await;
        }
        background.push(tokio::spawn(listener::accept_loop(
            state.clone(),
            endpoint.clone(),
            handshake_tls,
        )));
        background.push(tokio::spawn(reload::watch(state.clone())));
        background.push(tokio::spawn(recheck::run(state.clone())));
        background.push(tokio::spawn(retention::run(state.clone())));
        background.push(tokio::spawn(backlog::run(state.clone())));
        info!(%addr, "hub listening");
        Ok(Self {
            addr,
            metrics_addr,
            state,
            endpoint,
            background,
            audit_task,
            committer_thread: Some(committer_thread),
        })
    }

    /// The shared state (for tests and tools).
    pub fn state(&self) -> &Arc<HubState> {
        &self.state
    }

    /// Reload the policy and the CRLs now.
    pub async fn reload(&self) -> ReloadReport {
        reload::reload(&self.state).await
    }

    /// Stop: refuse new connections, close live ones with `shutdown`, let the committer
    /// finish its batch and the audit log sync.
    pub async fn shutdown(mut self) {
        info!("hub shutting down");
        self.endpoint
            .close(ErrorCode::Shutdown.as_u16().into(), b"hub shutting down");
        for t in &self.background {
            t.abort();
        }
        self.state.audit.record(AuditEvent::HubStopped).await;
        let _ = tokio::time::timeout(Duration::from_secs(5), self.endpoint.wait_idle()).await;
        let state = self.state;
        // Dropping the last state reference drops the committer handle and the audit sink.
        drop(state);
        let _ = tokio::time::timeout(Duration::from_secs(10), &mut self.audit_task).await;
        if let Some(t) = self.committer_thread.take() {
            let _ = tokio::task::spawn_blocking(move || t.join()).await;
        }
    }

    /// Run until SIGTERM or SIGINT, then shut down.
    pub async fn run_until_signal(self) {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending::<()>().await } } => {}
        }
        self.shutdown().await;
    }
}

/// Receive buffer asked for the hub's UDP socket. After a restart every node reconnects
/// within a few hundred milliseconds, and each first packet (a QUIC Initial) is padded to
/// 1 200 bytes or more: Linux's default of 208 KiB holds about 170 of them, and a node
/// whose Initial is dropped waits for QUIC's probe timeout (1 s, then 2, 4, ...) before it
/// tries again. 4 MiB holds a storm of 1 000 nodes with room for their retransmissions
/// (docs/PERFORMANCE.md, the reconnect storm).
pub const RECEIVE_BUFFER_BYTES: usize = 4 << 20;

/// Ask for [`RECEIVE_BUFFER_BYTES`] on `socket`; the kernel caps it at
/// `net.core.rmem_max`, which is said in a warning if it is lower.
pub fn widen_receive_buffer(socket: &std::net::UdpSocket) {
    use rustix::net::sockopt::{set_socket_recv_buffer_size, socket_recv_buffer_size};
    if let Err(e) = set_socket_recv_buffer_size(socket, RECEIVE_BUFFER_BYTES) {
        tracing::warn!(error = %e, "cannot set the UDP receive buffer");
        return;
    }
    // Linux reports twice what it grants (the doubling covers its bookkeeping).
    match socket_recv_buffer_size(socket) {
        Ok(got) if got / 2 < RECEIVE_BUFFER_BYTES => tracing::warn!(
            granted = got / 2,
            asked = RECEIVE_BUFFER_BYTES,
            "the UDP receive buffer is smaller than asked (net.core.rmem_max): a reconnect \
             storm may lose first packets and nodes then wait for QUIC's probe timeout; raise \
             it with `sysctl -w net.core.rmem_max={}`",
            RECEIVE_BUFFER_BYTES
        ),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "cannot read the UDP receive buffer size"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hub_socket_gets_the_receive_buffer_the_kernel_allows() {
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let before = rustix::net::sockopt::socket_recv_buffer_size(&socket).unwrap();
        widen_receive_buffer(&socket);
        let after = rustix::net::sockopt::socket_recv_buffer_size(&socket).unwrap();
        let Some(max) = std::fs::read_to_string("/proc/sys/net/core/rmem_max")
            .ok()
            .and_then(|t| t.trim().parse::<usize>().ok())
        else {
            return;
        };
        // Linux reports twice what it grants, and grants at most rmem_max.
        assert_eq!(after / 2, RECEIVE_BUFFER_BYTES.min(max), "was {before}");
    }
}
