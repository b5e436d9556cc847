//! QUIC transport settings shared by the hub and the nodes.

use std::sync::Arc;
use std::time::Duration;

/// The ALPN protocol id of Cordon version 1.
pub const ALPN: &[u8] = b"cordon/1";

/// The one crypto provider (ring) for TLS.
pub fn crypto_provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// What bounds a connection's resources.
#[derive(Debug, Clone, Copy)]
pub struct TransportLimits {
    /// Bidirectional streams the peer may open at once.
    pub max_bidi_streams: u32,
    /// Flow-control window per stream, bytes.
    pub stream_window: u32,
    /// Flow-control window per connection, bytes.
    pub connection_window: u32,
    /// QUIC idle timeout.
    pub idle_timeout: Duration,
    /// QUIC keep-alive interval.
    pub keep_alive: Duration,
}

impl Default for TransportLimits {
    fn default() -> Self {
        Self {
            max_bidi_streams: 16,
            stream_window: 4 * 1024 * 1024,
            connection_window: 8 * 1024 * 1024,
            idle_timeout: Duration::from_secs(30),
            keep_alive: Duration::from_secs(10),
        }
    }
}

/// The quinn transport configuration for `limits`: no unidirectional streams, bounded
/// windows, keep-alives and an idle timeout.
pub fn transport_config(limits: &TransportLimits) -> quinn::TransportConfig {
    let mut t = quinn::TransportConfig::default();
    t.max_concurrent_bidi_streams(limits.max_bidi_streams.into());
    t.max_concurrent_uni_streams(0u32.into());
    t.stream_receive_window(limits.stream_window.into());
    t.receive_window(limits.connection_window.into());
    t.send_window(u64::from(limits.connection_window));
    t.keep_alive_interval(Some(limits.keep_alive));
    // Invariant: idle timeouts below 2^62 ms are representable.
    if let Ok(idle) = quinn::IdleTimeout::try_from(limits.idle_timeout) {
        t.max_idle_timeout(Some(idle));
    }
    t
}
