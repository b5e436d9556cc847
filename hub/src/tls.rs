//! TLS for the hub: TLS 1.3 only, ALPN `cordon/1`, client certificates mandatory, chained
//! to the federation root, unrevoked, with the node profile. There is no switch to turn
//! client authentication off. CRLs can be swapped at run time.

use std::sync::{Arc, Mutex, RwLock};

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
    /// Set on a verifier made for one connection: where it keeps the certificate it
    /// refused, for the audit record (the session sees only the TLS error).
    refused: Option<Mutex<Option<RefusedCert>>>,
}

/// A client certificate refused at the handshake, as the audit records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedCert {
    /// SHA-256 of the certificate, hex.
    pub fingerprint: String,
    /// Its subject (at most [`MAX_SHOWN`] characters).
    pub subject: String,
    /// Its serial number, hex (at most [`MAX_SHOWN`] characters).
    pub serial: String,
    /// Why it was refused: `revoked`, `expired`, `not-yet-valid`, `unknown-ca`,
    /// `wrong-usage`, `bad-profile` or `bad-certificate`.
    pub code: &'static str,
}

/// The most characters of a refused certificate's subject or serial that are kept.
pub const MAX_SHOWN: usize = 256;

impl RefusedCert {
    fn new(der: &[u8], error: &rustls::Error) -> Self {
        Self::of(der, refusal_code(error))
    }

    /// The certificate `der`, refused for `code`.
    pub fn of(der: &[u8], code: &'static str) -> Self {
        let (subject, serial) = match x509_parser::parse_x509_certificate(der) {
            Ok((_, cert)) => (
                cert.subject().to_string(),
                hex::encode(cert.tbs_certificate.raw_serial()),
            ),
            Err(_) => ("(not a parsable certificate)".to_owned(), String::new()),
        };
        Self {
            fingerprint: cordon_common::ids::Fingerprint::of_der(der).to_hex(),
            subject: subject.chars().take(MAX_SHOWN).collect(),
            serial: serial.chars().take(MAX_SHOWN).collect(),
            code,
        }
    }
}

/// The short reason code of a certificate refusal.
fn refusal_code(error: &rustls::Error) -> &'static str {
    use rustls::CertificateError as C;
    match error {
        rustls::Error::InvalidCertificate(c) => match c {
            C::Revoked => "revoked",
            C::Expired | C::ExpiredContext { .. } => "expired",
            C::NotValidYet | C::NotValidYetContext { .. } => "not-yet-valid",
            C::UnknownIssuer | C::BadSignature => "unknown-ca",
            C::InvalidPurpose | C::InvalidPurposeContext { .. } => "wrong-usage",
            C::Other(o) if o.0.downcast_ref::<ProfileError>().is_some() => "bad-profile",
            _ => "bad-certificate",
        },
        _ => "bad-certificate",
    }
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
            refused: None,
        })
    }

    /// A verifier for one connection: the same decisions (the roots and CRLs in force
    /// now), and it keeps the certificate it refuses for [`NodeCertVerifier::take_refused`].
    pub fn for_connection(&self) -> Self {
        Self {
            inner: RwLock::new(self.current()),
            hints: self.hints.clone(),
            refused: Some(Mutex::new(None)),
        }
    }

    /// The certificate this connection's verifier refused, if it refused one.
    pub fn take_refused(&self) -> Option<RefusedCert> {
        let slot = self.refused.as_ref()?;
        slot.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    /// The decision: chain, validity, usage and CRLs (webpki), then the node profile.
    fn check_client_cert(
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

    fn remember_refusal(&self, der: &[u8], error: &rustls::Error) {
        if let Some(slot) = &self.refused {
            *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(RefusedCert::new(der, error));
        }
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
        self.check_client_cert(end_entity, intermediates, now)
            .inspect_err(|e| self.remember_refusal(end_entity, e))
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
