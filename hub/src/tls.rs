//! TLS for the hub: TLS 1.3 only, ALPN `cordon/1`, client certificates mandatory, chained
//! to the federation root, unrevoked, with the node profile. There is no switch to turn
//! client authentication off. CRLs can be swapped at run time.

use std::sync::{Arc, RwLock};

use cordon_common::identity::{IdentityError, NodeIdentity};
use cordon_common::pki::TrustStore;
use cordon_common::quic::{crypto_provider as provider, ALPN};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::WebPkiClientVerifier;
use rustls::{DigitallySignedStruct, DistinguishedName, RootCertStore, SignatureScheme};

/// TLS could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A root or CRL was refused by rustls.
    #[error("client verifier: {0}")]
    Verifier(String),
    /// The hub's certificate or key was refused.
    #[error("hub certificate or key: {0}")]
    Certificate(String),
}

/// The profile check that follows the chain check: the certificate must carry a node
/// identity (SAN URI, role, organisation).
#[derive(Debug, thiserror::Error)]
#[error("client certificate lacks the Cordon node profile: {0}")]
struct ProfileError(IdentityError);

/// A client verifier that checks chain, validity, clientAuth and CRLs (webpki), then the
/// Cordon node profile, which also requires an extended key usage extension naming
/// clientAuth (webpki accepts a certificate without one); its CRLs can be replaced while
/// the hub runs.
#[derive(Debug)]
pub struct NodeCertVerifier {
    inner: RwLock<Arc<dyn ClientCertVerifier>>,
    hints: Vec<DistinguishedName>,
}

fn webpki_verifier(trust: &TrustStore) -> Result<Arc<dyn ClientCertVerifier>, TlsError> {
    let mut roots = RootCertStore::empty();
    for r in trust.roots() {
        roots
            .add(r.clone())
            .map_err(|e| TlsError::Verifier(e.to_string()))?;
    }
    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
        .with_crls(trust.crls().iter().cloned())
        .only_check_end_entity_revocation()
        .build()
        .map_err(|e| TlsError::Verifier(e.to_string()))
}

impl NodeCertVerifier {
    /// A verifier for the roots and CRLs of `trust`.
    pub fn new(trust: &TrustStore) -> Result<Self, TlsError> {
        let inner = webpki_verifier(trust)?;
        let hints = inner.root_hint_subjects().to_vec();
        Ok(Self {
            inner: RwLock::new(inner),
            hints,
        })
    }

    /// Replace the roots and CRLs for every handshake from now on.
    pub fn reload(&self, trust: &TrustStore) -> Result<(), TlsError> {
        let fresh = webpki_verifier(trust)?;
        match self.inner.write() {
            Ok(mut g) => *g = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
        Ok(())
    }

    fn current(&self) -> Arc<dyn ClientCertVerifier> {
        match self.inner.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

impl ClientCertVerifier for NodeCertVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.hints
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        let ok = self
            .current()
            .verify_client_cert(end_entity, intermediates, now)?;
        NodeIdentity::from_der(end_entity).map_err(|e| {
            rustls::Error::InvalidCertificate(match e {
                // webpki lets a certificate without an extended key usage extension
                // through; the profile does not. Same error (and alert) as webpki's own
                // clientAuth refusal, so it is counted as `wrong-usage`.
                IdentityError::NoClientAuth { .. } => rustls::CertificateError::InvalidPurpose,
                other => rustls::CertificateError::Other(rustls::OtherError(Arc::new(
                    ProfileError(other),
                ))),
            })
        })?;
        Ok(ok)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.current().verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.current().verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.current().supported_verify_schemes()
    }
}

/// The rustls server configuration: TLS 1.3 only, ALPN `cordon/1`, mandatory client
/// certificates through `verifier`, no early data (0-RTT off), no session resumption.
pub fn server_config(
    verifier: Arc<NodeCertVerifier>,
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<rustls::ServerConfig, TlsError> {
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| TlsError::Certificate(e.to_string()))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(|e| TlsError::Certificate(e.to_string()))?;
    cfg.alpn_protocols = vec![ALPN.to_vec()];
    cfg.max_early_data_size = 0;
    // No session resumption: a resumed TLS 1.3 session skips the client certificate
    // check, so a node revoked (or expired) since its first handshake would get back in
    // with its cached session. Nothing is stored and no ticket is sent, so every
    // connection is a full handshake through `verifier` with the CRLs in force. (The
    // builder's ticketer already issues no stateless tickets; it is left as is.)
    cfg.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
    cfg.send_tls13_tickets = 0;
    Ok(cfg)
}
