//! The node's configuration file (TOML), validated into typed config at start.
//!
//! ```toml
//! [node]
//! data_dir = "../../run/BE-NCP"      # node.redb, x25519.key, api.token, api.addr
//!
//! [hub]
//! addr = "127.0.0.1:4433"            # host:port (a DNS name is resolved at each connect)
//! server_name = "localhost"          # the name the hub's certificate carries
//!
//! [tls]
//! cert = "../pki/nodes/BE-NCP.crt"   # this node's certificate (chain), PEM
//! key = "../pki/nodes/BE-NCP.key"    # its PKCS#8 key, PEM
//! root = "../pki/ca/ca.crt"          # the federation root(s), PEM
//! crls = ["../pki/ca/crl.pem"]       # CRLs applied to signers of received messages
//!
//! [api]
//! listen = "127.0.0.1:7604"          # loopback only; port 0 picks a free port
//!
//! [limits]                           # optional; every field has a safe default
//! ```
//!
//! Paths are relative to the directory of the configuration file. Every error names the
//! file and the field.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// The configuration could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML for this schema (the message has line and column).
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: String,
        /// The parser's words.
        message: String,
    },
    /// A value is out of range or inconsistent.
    #[error("{path}: {field}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// The field, e.g. `api.listen`.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    node: RawNode,
    hub: RawHub,
    tls: RawTls,
    api: RawApi,
    #[serde(default)]
    limits: Limits,
    #[serde(default)]
    console: Option<RawConsole>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConsole {
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(default = "default_console_listen")]
    listen: SocketAddr,
    #[serde(default)]
    tls_cert: Option<PathBuf>,
    #[serde(default)]
    tls_key: Option<PathBuf>,
    #[serde(default)]
    hosts: Vec<String>,
    #[serde(default = "default_idle_minutes")]
    idle_minutes: u64,
    #[serde(default = "default_console_connections")]
    max_connections: usize,
}

fn yes() -> bool {
    true
}
fn default_console_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8480))
}
fn default_idle_minutes() -> u64 {
    30
}
fn default_console_connections() -> usize {
    512
}

/// The officers' web console (`[console]` in node.toml).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleConfig {
    /// Where it listens; loopback unless TLS is configured.
    pub listen: SocketAddr,
    /// Its TLS certificate chain and key (PEM), both or neither.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Host names (with or without port) accepted in the `Host` header besides the
    /// listening address, `localhost` and the loopback addresses.
    pub hosts: Vec<String>,
    /// An officer's session ends after this long without a request.
    pub idle_minutes: u64,
    /// Open HTTP connections at most (each live page holds one).
    pub max_connections: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNode {
    data_dir: PathBuf,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHub {
    addr: String,
    server_name: String,
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
struct RawApi {
    listen: SocketAddr,
}

/// Resource limits and timings. Each has a safe default.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Envelopes published before their acks are awaited. Default 64 (PROTOCOL.md §8.2).
    pub publish_inflight: usize,
    /// Deliveries of one lane verified, opened and committed in one transaction. Default
    /// 1024; the hub's `delivery_window` should be about four times this, so it keeps
    /// sending while one batch is verified and the one before is committed.
    pub receive_batch: usize,
    /// Bytes of envelopes one lane holds between the network and the store (read, being
    /// verified, being committed) before it stops reading; QUIC flow control then holds
    /// the hub back. Default 64 MiB; an envelope larger than this is taken alone.
    pub receive_buffer_bytes: usize,
    /// First reconnect delay, ms. Default 500.
    pub reconnect_initial_ms: u64,
    /// Longest reconnect delay, ms (before jitter). Default 30 000.
    pub reconnect_max_ms: u64,
    /// Time allowed to connect and get `Welcome`, ms. Default 10 000.
    pub connect_timeout_ms: u64,
    /// Application ping on the control stream, ms. Default 15 000.
    pub ping_interval_ms: u64,
    /// How often the outbox is retried while connected, even without news, ms. Default
    /// 30 000 (drafts waiting for an addressee's key).
    pub outbox_retry_ms: u64,
    /// Lifetime of a message when the officer gives none, hours. Default 720 (30 days).
    pub default_lifetime_hours: u64,
    /// Lifetime of receipts, hours. Default 720 (30 days).
    pub receipt_lifetime_hours: u64,
    /// QUIC idle timeout, ms. Default 30 000. Must be greater than 0.
    pub idle_timeout_ms: u64,
    /// QUIC keep-alive, ms. Default 10 000. Must be greater than 0 and less than
    /// `idle_timeout_ms`.
    pub keep_alive_ms: u64,
    /// Largest API request body, bytes. Default 48 MiB (16 MiB of attachments written as
    /// JSON).
    pub api_max_body: usize,
    /// Simultaneous API connections; more wait. Default 64.
    pub api_max_connections: usize,
    /// Time an API client has to send a request's headers, ms; it also ends a kept-alive
    /// connection that sends no next request within it. A client that dawdles is cut
    /// off, so a local process cannot hold every connection slot. Default 10 000.
    pub api_header_timeout_ms: u64,
    /// Time an API client has to send a request's body, ms. Default 60 000.
    pub api_body_timeout_ms: u64,
    /// Longest wait of a long-polling `GET /v1/inbox?wait=`, seconds. Default 60.
    pub api_max_wait_secs: u64,
    /// Most items in one list answer. Default 1000.
    pub api_max_list: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            publish_inflight: 64,
            receive_batch: 1024,
            receive_buffer_bytes: 64 * 1024 * 1024,
            reconnect_initial_ms: 500,
            reconnect_max_ms: 30_000,
            connect_timeout_ms: 10_000,
            ping_interval_ms: 15_000,
            outbox_retry_ms: 30_000,
            default_lifetime_hours: 720,
            receipt_lifetime_hours: 720,
            idle_timeout_ms: 30_000,
            keep_alive_ms: 10_000,
            api_max_body: 48 * 1024 * 1024,
            api_max_connections: 64,
            api_header_timeout_ms: 10_000,
            api_body_timeout_ms: 60_000,
            api_max_wait_secs: 60,
            api_max_list: 1000,
        }
    }
}

impl Limits {
    /// The QUIC transport limits for the hub connection.
    pub fn transport(&self) -> cordon_common::quic::TransportLimits {
        cordon_common::quic::TransportLimits {
            idle_timeout: Duration::from_millis(self.idle_timeout_ms),
            keep_alive: Duration::from_millis(self.keep_alive_ms),
            ..Default::default()
        }
    }
}

/// Where this node's TLS identity and the federation trust come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// This node's certificate (and chain), PEM.
    pub cert: PathBuf,
    /// Its private key, PKCS#8 PEM.
    pub key: PathBuf,
    /// The federation root certificate(s), PEM.
    pub root: PathBuf,
    /// CRLs, PEM.
    pub crls: Vec<PathBuf>,
}

/// The validated configuration of a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeConfig {
    /// The file it was read from (empty when built in code).
    pub source: PathBuf,
    /// Directory for `node.redb`, `x25519.key`, `api.token` and `api.addr`.
    pub data_dir: PathBuf,
    /// The hub's `host:port`.
    pub hub_addr: String,
    /// The name in the hub's certificate.
    pub hub_server_name: String,
    /// TLS files.
    pub tls: TlsFiles,
    /// Where the local API listens (loopback only).
    pub api_listen: SocketAddr,
    /// Limits.
    pub limits: Limits,
    /// The officers' web console, when enabled.
    pub console: Option<ConsoleConfig>,
}

/// The name of the store file in the data directory.
pub const STORE_FILE: &str = "node.redb";
/// The name of the X25519 secret key file in the data directory.
pub const X25519_KEY_FILE: &str = "x25519.key";
/// The name of the API token file in the data directory.
pub const TOKEN_FILE: &str = "api.token";
/// The name of the file holding the API's bound address in the data directory.
pub const API_ADDR_FILE: &str = "api.addr";
/// The name of the file holding the console's bound address in the data directory.
pub const CONSOLE_ADDR_FILE: &str = "console.addr";
/// The name of the officers file in the data directory.
pub const OFFICERS_FILE: &str = "officers.json";

impl NodeConfig {
    /// Read and validate a configuration file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let base = path.parent().unwrap_or_else(|| Path::new("."));
        Self::parse(&text, base, path)
    }

    /// Parse configuration text; relative paths are taken from `base`, errors name
    /// `source`.
    pub fn parse(text: &str, base: &Path, source: &Path) -> Result<Self, ConfigError> {
        let shown = source.display().to_string();
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: shown.clone(),
            message: e.to_string().trim_end().to_owned(),
        })?;
        let invalid = |field: &'static str, message: String| ConfigError::Invalid {
            path: shown.clone(),
            field,
            message,
        };
        let rel = |p: &Path| {
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                base.join(p)
            }
        };
        if raw.node.data_dir.as_os_str().is_empty() {
            return Err(invalid("node.data_dir", "must not be empty".into()));
        }
        check_host_port(&raw.hub.addr).map_err(|m| invalid("hub.addr", m))?;
        if raw.hub.server_name.trim().is_empty() {
            return Err(invalid("hub.server_name", "must not be empty".into()));
        }
        if !raw.api.listen.ip().is_loopback() {
            return Err(invalid(
                "api.listen",
                format!(
                    "{} is not a loopback address; the local API must listen on 127.0.0.1 or ::1",
                    raw.api.listen
                ),
            ));
        }
        let l = &raw.limits;
        let positive: [(&'static str, u64); 15] = [
            ("limits.publish_inflight", l.publish_inflight as u64),
            ("limits.receive_batch", l.receive_batch as u64),
            ("limits.receive_buffer_bytes", l.receive_buffer_bytes as u64),
            ("limits.reconnect_initial_ms", l.reconnect_initial_ms),
            ("limits.connect_timeout_ms", l.connect_timeout_ms),
            ("limits.ping_interval_ms", l.ping_interval_ms),
            ("limits.outbox_retry_ms", l.outbox_retry_ms),
            ("limits.default_lifetime_hours", l.default_lifetime_hours),
            ("limits.receipt_lifetime_hours", l.receipt_lifetime_hours),
            ("limits.api_max_connections", l.api_max_connections as u64),
            ("limits.api_header_timeout_ms", l.api_header_timeout_ms),
            ("limits.api_body_timeout_ms", l.api_body_timeout_ms),
            ("limits.api_max_list", l.api_max_list as u64),
            ("limits.idle_timeout_ms", l.idle_timeout_ms),
            ("limits.keep_alive_ms", l.keep_alive_ms),
        ];
        for (field, v) in positive {
            if v == 0 {
                return Err(invalid(field, "must be greater than 0".into()));
            }
        }
        if l.reconnect_max_ms < l.reconnect_initial_ms {
            return Err(invalid(
                "limits.reconnect_max_ms",
                "must be at least limits.reconnect_initial_ms".into(),
            ));
        }
        if l.keep_alive_ms >= l.idle_timeout_ms {
            return Err(invalid(
                "limits.keep_alive_ms",
                format!(
                    "{} must be less than limits.idle_timeout_ms ({}), or an idle but healthy \
                     connection times out between two keep-alives",
                    l.keep_alive_ms, l.idle_timeout_ms
                ),
            ));
        }
        if l.publish_inflight > 1024 {
            return Err(invalid("limits.publish_inflight", "at most 1024".into()));
        }
        if l.receive_batch > 4096 {
            return Err(invalid("limits.receive_batch", "at most 4096".into()));
        }
        if l.receive_buffer_bytes > 1 << 30 {
            return Err(invalid(
                "limits.receive_buffer_bytes",
                "at most 1 GiB".into(),
            ));
        }
        let max_hours = 400 * 24;
        for (field, v) in [
            ("limits.default_lifetime_hours", l.default_lifetime_hours),
            ("limits.receipt_lifetime_hours", l.receipt_lifetime_hours),
        ] {
            if v > max_hours {
                return Err(invalid(
                    field,
                    format!("at most {max_hours} (400 days, the protocol's longest lifetime)"),
                ));
            }
        }
        if l.api_max_body < 1024 {
            return Err(invalid("limits.api_max_body", "at least 1024 bytes".into()));
        }
        let console = match raw.console {
            Some(c) if c.enabled => Some(console_config(c, &rel, &invalid)?),
            _ => None,
        };
        Ok(Self {
            source: source.to_path_buf(),
            data_dir: rel(&raw.node.data_dir),
            hub_addr: raw.hub.addr,
            hub_server_name: raw.hub.server_name,
            tls: TlsFiles {
                cert: rel(&raw.tls.cert),
                key: rel(&raw.tls.key),
                root: rel(&raw.tls.root),
                crls: raw.tls.crls.iter().map(|p| rel(p)).collect(),
            },
            api_listen: raw.api.listen,
            limits: raw.limits,
            console,
        })
    }

    /// The store file.
    pub fn store_path(&self) -> PathBuf {
        self.data_dir.join(STORE_FILE)
    }

    /// The API token file.
    pub fn token_path(&self) -> PathBuf {
        self.data_dir.join(TOKEN_FILE)
    }

    /// The file with the API's bound address.
    pub fn api_addr_path(&self) -> PathBuf {
        self.data_dir.join(API_ADDR_FILE)
    }

    /// The file with the console's bound address.
    pub fn console_addr_path(&self) -> PathBuf {
        self.data_dir.join(CONSOLE_ADDR_FILE)
    }

    /// The officers file.
    pub fn officers_path(&self) -> PathBuf {
        self.data_dir.join(OFFICERS_FILE)
    }

    /// The X25519 secret key file.
    pub fn x25519_key_path(&self) -> PathBuf {
        self.data_dir.join(X25519_KEY_FILE)
    }
}

fn console_config(
    c: RawConsole,
    rel: &dyn Fn(&Path) -> PathBuf,
    invalid: &dyn Fn(&'static str, String) -> ConfigError,
) -> Result<ConsoleConfig, ConfigError> {
    let tls = match (c.tls_cert, c.tls_key) {
        (Some(cert), Some(key)) => Some((rel(&cert), rel(&key))),
        (None, None) => None,
        _ => {
            return Err(invalid(
                "console.tls_cert",
                "set both console.tls_cert and console.tls_key, or neither".into(),
            ))
        }
    };
    if tls.is_none() && !c.listen.ip().is_loopback() {
        return Err(invalid(
            "console.listen",
            format!(
                "{} is not a loopback address and the console has no TLS: plain HTTP is only \
                 served on 127.0.0.1 or ::1; set console.tls_cert and console.tls_key to serve \
                 the LAN",
                c.listen
            ),
        ));
    }
    if c.idle_minutes == 0 || c.idle_minutes > 24 * 60 {
        return Err(invalid("console.idle_minutes", "between 1 and 1440".into()));
    }
    if c.max_connections == 0 || c.max_connections > 10_000 {
        return Err(invalid(
            "console.max_connections",
            "between 1 and 10000".into(),
        ));
    }
    Ok(ConsoleConfig {
        listen: c.listen,
        tls,
        hosts: c.hosts,
        idle_minutes: c.idle_minutes,
        max_connections: c.max_connections,
    })
}

fn check_host_port(s: &str) -> Result<(), String> {
    if s.parse::<SocketAddr>().is_ok() {
        return Ok(());
    }
    match s.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => Ok(()),
        _ => Err(format!(
            "{s:?} is not host:port, e.g. \"127.0.0.1:4433\" or \"hub.example.org:4433\""
        )),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const GOOD: &str = r#"
[node]
data_dir = "../run/BE-NCP"
[hub]
addr = "127.0.0.1:4433"
server_name = "localhost"
[tls]
cert = "pki/BE-NCP.crt"
key = "/abs/BE-NCP.key"
root = "pki/ca.crt"
crls = ["pki/crl.pem"]
[api]
listen = "127.0.0.1:0"
"#;

    fn parse(text: &str) -> Result<NodeConfig, ConfigError> {
        NodeConfig::parse(
            text,
            Path::new("/etc/cordon"),
            Path::new("/etc/cordon/node.toml"),
        )
    }

    #[test]
    fn paths_relative_to_the_file_and_defaults() {
        let c = parse(GOOD).unwrap();
        assert_eq!(c.data_dir, Path::new("/etc/cordon/../run/BE-NCP"));
        assert_eq!(c.tls.key, Path::new("/abs/BE-NCP.key"));
        assert_eq!(c.tls.crls, vec![PathBuf::from("/etc/cordon/pki/crl.pem")]);
        assert_eq!(c.limits, Limits::default());
        assert_eq!(
            c.store_path(),
            Path::new("/etc/cordon/../run/BE-NCP/node.redb")
        );
    }

    #[test]
    fn example_configs_load() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../certs-example/nodes");
        for id in ["BE-NCP", "OCU", "RILO-WE"] {
            let c = NodeConfig::load(&dir.join(format!("{id}.toml"))).unwrap();
            assert!(c.api_listen.ip().is_loopback());
            assert_eq!(c.hub_server_name, "localhost");
        }
    }

    #[test]
    fn errors_name_file_and_field() {
        let e = parse(&GOOD.replace("127.0.0.1:0", "0.0.0.0:7000")).unwrap_err();
        let s = e.to_string();
        assert!(s.starts_with("/etc/cordon/node.toml: api.listen: "), "{s}");
        let e = parse(&GOOD.replace("127.0.0.1:4433", "hub-without-port")).unwrap_err();
        assert!(
            matches!(
                e,
                ConfigError::Invalid {
                    field: "hub.addr",
                    ..
                }
            ),
            "{e}"
        );
        let e = parse(&format!("{GOOD}\n[limits]\npublish_inflight = 0\n")).unwrap_err();
        assert!(
            matches!(
                e,
                ConfigError::Invalid {
                    field: "limits.publish_inflight",
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn keep_alive_and_idle_timeout_are_checked() {
        let limits = |body: &str| parse(&format!("{GOOD}\n[limits]\n{body}\n"));
        let field_of = |r: Result<NodeConfig, ConfigError>| match r {
            Err(ConfigError::Invalid { field, .. }) => field,
            other => panic!("expected an invalid field, got {other:?}"),
        };
        assert_eq!(
            field_of(limits("idle_timeout_ms = 0")),
            "limits.idle_timeout_ms"
        );
        assert_eq!(
            field_of(limits("keep_alive_ms = 0")),
            "limits.keep_alive_ms"
        );
        // Equal, and greater: the connection would time out before the next keep-alive.
        assert_eq!(
            field_of(limits("keep_alive_ms = 30000")),
            "limits.keep_alive_ms"
        );
        let e = limits("idle_timeout_ms = 5000\nkeep_alive_ms = 8000").unwrap_err();
        assert_eq!(
            e.to_string(),
            "/etc/cordon/node.toml: limits.keep_alive_ms: 8000 must be less than \
             limits.idle_timeout_ms (5000), or an idle but healthy connection times out \
             between two keep-alives"
        );
        let ok = limits("idle_timeout_ms = 5000\nkeep_alive_ms = 4999").unwrap();
        assert_eq!(
            (ok.limits.idle_timeout_ms, ok.limits.keep_alive_ms),
            (5000, 4999)
        );
    }

    #[test]
    fn unknown_keys_are_refused_with_position() {
        let e = parse(&GOOD.replace("server_name", "servername")).unwrap_err();
        let s = e.to_string();
        assert!(matches!(e, ConfigError::Parse { .. }));
        assert!(s.contains("servername") && s.contains("line"), "{s}");
        let e = parse(&format!("{GOOD}\n[limits]\npublish_in_flight = 3\n")).unwrap_err();
        assert!(e.to_string().contains("publish_in_flight"), "{e}");
    }

    #[test]
    fn partial_limits_keep_defaults() {
        let c = parse(&format!("{GOOD}\n[limits]\nreceive_batch = 32\n")).unwrap();
        assert_eq!(c.limits.receive_batch, 32);
        assert_eq!(c.limits.publish_inflight, 64);
    }
}
