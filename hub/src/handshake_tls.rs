//! The QUIC server configuration of one connection: the hub's, with a verifier of its own
//! ([`NodeCertVerifier::for_connection`]) that keeps the certificate it refuses, so that
//! the audit record of a refused handshake can name it.

use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::tls::{server_config, NodeCertVerifier, TlsError};

/// What a connection's server configuration is made from.
#[derive(Debug)]
pub struct HandshakeTls {
    base: quinn::ServerConfig,
    verifier: Arc<NodeCertVerifier>,
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl HandshakeTls {
    /// From the endpoint's configuration (transport, address validation) and the hub's
    /// verifier, certificate chain and key.
    pub fn new(
        base: quinn::ServerConfig,
        verifier: Arc<NodeCertVerifier>,
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Self {
        Self {
            base,
            verifier,
            chain,
            key,
        }
    }

    /// A configuration for one connection, and its verifier (ask it what it refused).
    pub fn for_connection(
        &self,
    ) -> Result<(Arc<quinn::ServerConfig>, Arc<NodeCertVerifier>), TlsError> {
        let verifier = Arc::new(self.verifier.for_connection());
        let tls = server_config(verifier.clone(), self.chain.clone(), self.key.clone_key())?;
        let crypto = quinn::crypto::rustls::QuicServerConfig::try_from(tls)
            .map_err(|e| TlsError::Certificate(e.to_string()))?;
        let mut cfg = self.base.clone();
        cfg.crypto = Arc::new(crypto);
        Ok((Arc::new(cfg), verifier))
    }
}
