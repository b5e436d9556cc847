//! The hub's configuration file (TOML), validated into typed config at start.
//!
//! Every resource limit is a field with a safe default; paths are relative to the
//! directory of the configuration file. A commented example: `certs-example/hub.toml`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// The configuration could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read (the reason is the error's source, printed once
    /// after this by `{:#}`).
    #[error("cannot read {path}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML for this schema.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: String,
        /// The parser's words, with line and column.
        message: String,
    },
    /// A value is out of range.
    #[error("{path}: {field}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// The field.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    hub: RawHub,
    tls: RawTls,
    policy: RawPolicy,
    #[serde(default)]
    metrics: Option<RawMetrics>,
    #[serde(default)]
    limits: Limits,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHub {
    listen: SocketAddr,
    data_dir: PathBuf,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTls {
    cert: PathBuf,
    key: PathBuf,
    root: PathBuf,
    #[serde(default)]
    crls: Vec<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    file: PathBuf,
    #[serde(default)]
    roster: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMetrics {
    listen: SocketAddr,
}

/// Resource limits. Each has a safe default; memory figures are upper bounds per node.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Most simultaneous connections whose handshake has completed; more are closed
    /// with `overloaded`. Handshakes in progress do not count. Default 20 000.
    pub max_connections: usize,
    /// Most handshakes in progress at once; more are refused. Each holds TLS state for
    /// at most `handshake_timeout_ms` (a few KiB). Default 128.
    pub max_handshakes: usize,
    /// Most handshakes in progress from one IP address; more are refused. Default 8.
    pub max_handshakes_per_address: usize,
    /// Address validation: a connection attempt from an address not yet validated is
    /// answered with a QUIC Retry (one round trip more, no state kept at the hub) while
    /// at least this many handshakes are in progress. Default 0: always, so a spoofed
    /// source address never takes a handshake slot.
    pub retry_above_handshakes: usize,
    /// Refused handshakes are audited once per window per (reason, certificate,
    /// address); repeats are recorded at the window's end with their count, ms.
    /// Default 10 000.
    pub handshake_audit_window_ms: u64,
    /// Largest frame accepted, bytes. Default 17 MiB (16 MiB of attachments + overhead).
    pub max_frame: usize,
    /// Time allowed for the TLS handshake, ms. Default 10 000.
    pub handshake_timeout_ms: u64,
    /// Time allowed between the handshake and `Hello`, ms. Default 10 000.
    pub first_frame_timeout_ms: u64,
    /// QUIC idle timeout, ms. Default 30 000.
    pub idle_timeout_ms: u64,
    /// QUIC keep-alive interval, ms. Default 10 000.
    pub keep_alive_ms: u64,
    /// Bidirectional streams a node may have open at once. Default 16.
    pub max_streams: u32,
    /// Flow-control window per stream, bytes: what a node can have in flight on one
    /// stream. Default 4 MiB; memory is only used while data is in flight.
    pub stream_window: u32,
    /// Flow-control window per connection, bytes. Default 8 MiB.
    pub connection_window: u32,
    /// Unacknowledged deliveries per lane before the hub pauses a node. Default 4096:
    /// four of a node's receive batches (1024), so the hub keeps sending while the node
    /// verifies one batch and commits the one before (a window equal to the batch halves
    /// catch-up speed; docs/PERFORMANCE.md). Bytes in flight stay bounded by
    /// `connection_window`.
    pub delivery_window: usize,
    /// How long a paused node may go without acknowledging before it is disconnected,
    /// ms. Default 60 000.
    pub stall_timeout_ms: u64,
    /// Publishes in flight (being verified or stored) per publish stream. Default 64.
    pub publish_inflight: usize,
    /// Most messages in one durable transaction. Default 512.
    pub commit_max_batch: usize,
    /// Messages waiting for the committer before publishers wait. Default 4096.
    pub commit_queue_depth: usize,
    /// Largest store (`hub.redb` and the envelope segments), bytes; publishes are refused
    /// beyond it. 0: no limit. Default 64 GiB.
    pub store_quota_bytes: u64,
    /// Space kept free on the data directory's file system, bytes: publishes are refused
    /// while less is available (so the store, the audit log and the system keep room).
    /// 0: no check. Default 1 GiB.
    pub min_free_disk_bytes: u64,
    /// How often closed operations are checked for messages past retention, s. Default 3600.
    pub retention_check_s: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 20_000,
            max_handshakes: 128,
            max_handshakes_per_address: 8,
            retry_above_handshakes: 0,
            handshake_audit_window_ms: 10_000,
            max_frame: cordon_common::wire::DEFAULT_MAX_FRAME,
            handshake_timeout_ms: 10_000,
            first_frame_timeout_ms: 10_000,
            idle_timeout_ms: 30_000,
            keep_alive_ms: 10_000,
            max_streams: 16,
            stream_window: 4 * 1024 * 1024,
            connection_window: 8 * 1024 * 1024,
            delivery_window: 4096,
            stall_timeout_ms: 60_000,
            publish_inflight: 64,
            commit_max_batch: 512,
            commit_queue_depth: 4096,
            store_quota_bytes: 64 * 1024 * 1024 * 1024,
            min_free_disk_bytes: 1024 * 1024 * 1024,
            retention_check_s: 3600,
        }
    }
}

impl Limits {
    /// Handshake timeout.
    pub fn handshake_timeout(&self) -> Duration {
        Duration::from_millis(self.handshake_timeout_ms)
    }
    /// First-frame timeout.
    pub fn first_frame_timeout(&self) -> Duration {
        Duration::from_millis(self.first_frame_timeout_ms)
    }
    /// The handshake audit window.
    pub fn handshake_audit_window(&self) -> Duration {
        Duration::from_millis(self.handshake_audit_window_ms)
    }
    /// Stall timeout.
    pub fn stall_timeout(&self) -> Duration {
        Duration::from_millis(self.stall_timeout_ms)
    }
}

/// The validated hub configuration.
#[derive(Debug, Clone)]
pub struct HubConfig {
    /// Where the configuration was read from.
    pub source: PathBuf,
    /// UDP address to listen on.
    pub listen: SocketAddr,
    /// Directory of the store (`hub.redb`) and the audit log (`audit.log`).
    pub data_dir: PathBuf,
    /// The hub's certificate chain (PEM).
    pub cert: PathBuf,
    /// The hub's private key (PEM, PKCS#8).
    pub key: PathBuf,
    /// The federation root (PEM).
    pub root: PathBuf,
    /// CRL files (PEM).
    pub crls: Vec<PathBuf>,
    /// The policy file.
    pub policy: PathBuf,
    /// The operation roster matching the policy, signed by the federation root
    /// (`cordon-hub ca roster`).
    pub roster: PathBuf,
    /// Prometheus metrics address (plain HTTP, keep it on a local interface).
    pub metrics: Option<SocketAddr>,
    /// Resource limits.
    pub limits: Limits,
    /// Start even if the audit log no longer holds the head recorded in the store, and
    /// audit that (`cordon-hub run --accept-shortened-audit-log`; never read from the
    /// file, so that it is a one-off decision).
    pub accept_shortened_audit_log: bool,
}

impl HubConfig {
    /// The store file.
    pub fn store_path(&self) -> PathBuf {
        self.data_dir.join("hub.redb")
    }
    /// The audit log.
    pub fn audit_path(&self) -> PathBuf {
        self.data_dir.join("audit.log")
    }

    /// Read and validate a configuration file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let p = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: p.clone(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parse configuration text as if read from `path`.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let p = path.display().to_string();
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: p.clone(),
            message: e.to_string(),
        })?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let rel = |q: PathBuf| if q.is_absolute() { q } else { base.join(q) };
        let invalid = |field, message: String| ConfigError::Invalid {
            path: p.clone(),
            field,
            message,
        };
        let l = &raw.limits;
        if l.max_frame < 64 * 1024 || l.max_frame > cordon_common::wire::LIMIT_MAX_FRAME {
            return Err(invalid(
                "limits.max_frame",
                "must be between 64 KiB and 64 MiB".into(),
            ));
        }
        if l.max_connections == 0 || l.max_streams < 2 || l.delivery_window == 0 {
            return Err(invalid(
                "limits",
                "max_connections, delivery_window must be > 0 and max_streams >= 2".into(),
            ));
        }
        if l.max_handshakes == 0 || l.max_handshakes_per_address == 0 {
            return Err(invalid(
                "limits",
                "max_handshakes and max_handshakes_per_address must be > 0".into(),
            ));
        }
        if l.handshake_audit_window_ms == 0 {
            return Err(invalid(
                "limits.handshake_audit_window_ms",
                "must be > 0".into(),
            ));
        }
        if l.commit_max_batch == 0 || l.commit_queue_depth == 0 || l.publish_inflight == 0 {
            return Err(invalid(
                "limits",
                "commit and publish limits must be > 0".into(),
            ));
        }
        if l.idle_timeout_ms <= l.keep_alive_ms {
            return Err(invalid(
                "limits.idle_timeout_ms",
                "must exceed keep_alive_ms".into(),
            ));
        }
        let Some(roster) = raw.policy.roster else {
            return Err(invalid(
                "policy.roster",
                "missing: nodes seal channel messages only to the readers of a roster signed \
                 by the federation root; make one with `cordon-hub ca roster --dir CA_DIR \
                 --policy POLICY_FILE --out roster.signed` and name it here"
                    .into(),
            ));
        };
        Ok(Self {
            source: path.to_path_buf(),
            listen: raw.hub.listen,
            data_dir: rel(raw.hub.data_dir),
            cert: rel(raw.tls.cert),
            key: rel(raw.tls.key),
            root: rel(raw.tls.root),
            crls: raw.tls.crls.into_iter().map(rel).collect(),
            policy: rel(raw.policy.file),
            roster: rel(roster),
            metrics: raw.metrics.map(|m| m.listen),
            limits: raw.limits,
            accept_shortened_audit_log: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[hub]
listen = "127.0.0.1:4433"
data_dir = "data"
[tls]
cert = "pki/hub.crt"
key = "pki/hub.key"
root = "/etc/cordon/ca.crt"
crls = ["pki/crl.pem"]
[policy]
file = "policy.toml"
roster = "roster.signed"
[limits]
delivery_window = 64
"#;

    #[test]
    fn paths_are_relative_to_the_file_and_limits_default() {
        let c = HubConfig::parse(GOOD, Path::new("/srv/cordon/hub.toml")).unwrap();
        assert_eq!(c.cert, PathBuf::from("/srv/cordon/pki/hub.crt"));
        assert_eq!(c.root, PathBuf::from("/etc/cordon/ca.crt"));
        assert_eq!(c.store_path(), PathBuf::from("/srv/cordon/data/hub.redb"));
        assert_eq!(c.limits.delivery_window, 64);
        assert_eq!(c.limits.max_streams, 16);
        assert!(c.limits.store_quota_bytes > 0 && c.limits.min_free_disk_bytes > 0);
        assert!(c.metrics.is_none());
    }

    #[test]
    fn unknown_fields_and_bad_limits_are_refused_with_the_field() {
        let e = HubConfig::parse(
            &GOOD.replace("delivery_window", "delivery_windw"),
            Path::new("h.toml"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("delivery_windw"), "{e}");
        let e =
            HubConfig::parse(&format!("{GOOD}max_frame = 10\n"), Path::new("h.toml")).unwrap_err();
        assert!(e.to_string().contains("limits.max_frame"), "{e}");
    }
}
