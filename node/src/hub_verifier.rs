//! The node's check of the hub's certificate: chain to the federation root, validity,
//! serverAuth and name (webpki), and the CRLs this node loads for recipients' checks.
//! A CRL reload applies to the next connection ([`HubCertVerifier::reload`]) and is
//! announced, so that a live connection can re-check the hub's certificate
//! ([`HubCertVerifier::check_live`]) and close if it is now revoked.

use std::sync::{Arc, RwLock};

use cordon_common::pki::TrustStore;
use cordon_common::quic::crypto_provider;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio::sync::watch;

use crate::client::ClientError;

/// A server verifier whose CRLs can be replaced while the node runs.
#[derive(Debug)]
pub struct HubCertVerifier {
    inner: RwLock<Arc<WebPkiServerVerifier>>,
    reloads: watch::Sender<u64>,
}

fn webpki(trust: &TrustStore) -> Result<Arc<WebPkiServerVerifier>, ClientError> {
    let cfg = |e: String| ClientError::Config(e);
    let mut roots = RootCertStore::empty();
    for r in trust.roots() {
        roots.add(r.clone()).map_err(|e| cfg(e.to_string()))?;
    }
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), crypto_provider())
        .with_crls(trust.crls().iter().cloned())
        .only_check_end_entity_revocation()
        .build()
        .map_err(|e| cfg(e.to_string()))
}

impl HubCertVerifier {
    /// A verifier for the roots and CRLs of `trust`.
    pub fn new(trust: &TrustStore) -> Result<Self, ClientError> {
        Ok(Self {
            inner: RwLock::new(webpki(trust)?),
            reloads: watch::Sender::new(0),
        })
    }

    /// Put the roots and CRLs of `trust` in force for every connection from now on, and
    /// tell the live one ([`HubCertVerifier::reloaded`]).
    pub fn reload(&self, trust: &TrustStore) -> Result<(), ClientError> {
        let fresh = webpki(trust)?;
        *self
            .inner
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = fresh;
        self.reloads.send_modify(|n| *n = n.wrapping_add(1));
        Ok(())
    }

    /// Changes when the CRLs are reloaded.
    pub fn reloaded(&self) -> watch::Receiver<u64> {
        self.reloads.subscribe()
    }

    fn current(&self) -> Arc<WebPkiServerVerifier> {
        self.inner
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Check the certificate of a live connection's hub again, against the CRLs in
    /// force now.
    pub fn check_live(
        &self,
        conn: &quinn::Connection,
        server_name: &str,
    ) -> Result<(), rustls::Error> {
        let chain = conn
            .peer_identity()
            .and_then(|any| any.downcast::<Vec<CertificateDer<'static>>>().ok())
            .ok_or(rustls::Error::NoCertificatesPresented)?;
        let (leaf, intermediates) = chain
            .split_first()
            .ok_or(rustls::Error::NoCertificatesPresented)?;
        let name = ServerName::try_from(server_name.to_owned())
            .map_err(|e| rustls::Error::General(e.to_string()))?;
        self.current()
            .verify_server_cert(leaf, intermediates, &name, &[], UnixTime::now())
            .map(|_| ())
    }
}

impl ServerCertVerifier for HubCertVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.current().verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )
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
