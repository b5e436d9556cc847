//! Trust decisions: does a certificate chain to the federation root, is it valid now,
//! and is it unrevoked? Used by recipients to trust a signer and by the hub for bundles.
//! A CRL is only put in force once its signature verifies under a federation root.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, TrustAnchor, UnixTime};
use webpki::{
    BorrowedCertRevocationList, CertRevocationList, EndEntityCert, ExpirationPolicy, KeyUsage,
    OwnedCertRevocationList, RevocationCheckDepth, RevocationOptionsBuilder, UnknownStatusPolicy,
};

use x509_parser::certificate::X509Certificate;
use x509_parser::oid_registry::{Oid, OID_PKCS1_SHA1WITHRSA, OID_SHA1_WITH_RSA};
use x509_parser::prelude::FromDer;

use super::crl_info::{check_not_older, CrlInfo};
use crate::identity::{public_key_of, IdentityError, NodeIdentity, PublicKey};
use crate::ids::Fingerprint;

/// Why a certificate is not trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
    /// A root certificate could not be used as a trust anchor.
    #[error("root certificate is not usable as a trust anchor: {0}")]
    BadRoot(String),
    /// No root was given.
    #[error("no federation root certificate configured")]
    NoRoot,
    /// A CRL could not be parsed.
    #[error("CRL is malformed: {0}")]
    BadCrl(String),
    /// No federation root carries the CRL's issuer name.
    #[error("CRL is not issued by a federation root (issuer {0})")]
    CrlUnknownIssuer(String),
    /// The CRL's signature does not verify under the federation root of its issuer's name
    /// (another CA made it, or it was altered).
    #[error("CRL signature does not verify under the federation root: {0}")]
    CrlBadSignature(String),
    /// The root named as the CRL's issuer has a key usage without cRLSign.
    #[error("the federation root's key usage does not allow signing CRLs")]
    CrlIssuerNotCrlSigner,
    /// The CRL is older than the one in force for its issuer (lower `crlNumber` or
    /// earlier `thisUpdate`): putting it in force would un-revoke certificates.
    #[error(
        "CRL of {issuer} is older than the one in force ({detail}); the newer one stays in force: install the CA's latest CRL"
    )]
    CrlOlder {
        /// The issuer's name.
        issuer: String,
        /// Which field is older, with both values.
        detail: String,
    },
    /// The certificate does not chain to the federation root.
    #[error("certificate is not issued by the federation CA")]
    UnknownIssuer,
    /// The certificate has expired.
    #[error("certificate has expired")]
    Expired,
    /// The certificate is not valid yet.
    #[error("certificate is not valid yet")]
    NotYetValid,
    /// The certificate is on a CRL.
    #[error("certificate is revoked")]
    Revoked,
    /// No loaded CRL covers the certificate's issuer.
    #[error("no CRL covers this certificate's issuer")]
    RevocationUnknown,
    /// The certificate lacks extended key usage clientAuth.
    #[error("certificate lacks extended key usage clientAuth")]
    WrongUsage,
    /// Another chain problem.
    #[error("certificate chain is invalid: {0}")]
    Invalid(String),
    /// Chains fine, but carries no node identity.
    #[error(transparent)]
    Identity(#[from] IdentityError),
}

impl From<webpki::Error> for TrustError {
    #[allow(deprecated)]
    fn from(e: webpki::Error) -> Self {
        use webpki::Error as E;
        match e {
            E::CertExpired { .. } => Self::Expired,
            E::CertNotValidYet { .. } => Self::NotYetValid,
            E::CertRevoked => Self::Revoked,
            // A certificate whose issuer name matches the root but whose signature does
            // not verify under it was made by another CA (an impostor with the same name).
            E::UnknownIssuer
            | E::InvalidSignatureForPublicKey
            | E::UnsupportedSignatureAlgorithmForPublicKey
            | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => Self::UnknownIssuer,
            E::UnknownRevocationStatus => Self::RevocationUnknown,
            E::RequiredEkuNotFound | E::RequiredEkuNotFoundContext(_) => Self::WrongUsage,
            other => Self::Invalid(other.to_string()),
        }
    }
}

/// The federation roots and the CRLs in force.
#[derive(Debug)]
pub struct TrustStore {
    roots: Vec<CertificateDer<'static>>,
    anchors: Vec<TrustAnchor<'static>>,
    crl_ders: Vec<CertificateRevocationListDer<'static>>,
    crls: Vec<CertRevocationList<'static>>,
    crl_infos: Vec<CrlInfo>,
    revoked_count: usize,
    verified: Mutex<HashMap<Fingerprint, Verified>>,
}

/// Most node certificates remembered as verified (about 200 in a federation); when
/// full, the memory is cleared and refills on use.
const VERIFIED_CAPACITY: usize = 4096;

/// A node certificate that passed [`TrustStore::verify_node_cert`], with its validity.
#[derive(Debug)]
struct Verified {
    identity: NodeIdentity,
    not_before: u64,
    not_after: u64,
}

/// A certificate's validity period (notBefore, notAfter), Unix seconds (`None` if it
/// does not parse).
pub fn validity_secs(cert: &[u8]) -> Option<(u64, u64)> {
    let (_, c) = x509_parser::parse_x509_certificate(cert).ok()?;
    let v = c.validity();
    Some((
        u64::try_from(v.not_before.timestamp()).ok()?,
        u64::try_from(v.not_after.timestamp()).ok()?,
    ))
}

/// Signature algorithms refused on a CRL even though the parser can verify them (SHA-1;
/// webpki refuses them at the handshake, so such a CRL would refuse every node).
const REFUSED_CRL_SIGNATURES: [Oid<'static>; 2] = [OID_PKCS1_SHA1WITHRSA, OID_SHA1_WITH_RSA];

/// Check one CRL against the federation `roots` before it is put in force: it parses,
/// its issuer name is one of the roots' subjects, that root's key usage (if any) allows
/// signing CRLs, and its signature verifies under that root's key. These are the checks
/// webpki makes at each handshake, made up front: at the handshake a CRL that fails them
/// refuses every node of its issuer, instead of being refused itself. Returns how many
/// certificates the CRL revokes.
pub fn check_crl(roots: &[CertificateDer<'_>], crl: &[u8]) -> Result<usize, TrustError> {
    BorrowedCertRevocationList::from_der(crl).map_err(|e| TrustError::BadCrl(e.to_string()))?;
    let (rest, parsed) = x509_parser::revocation_list::CertificateRevocationList::from_der(crl)
        .map_err(|e| TrustError::BadCrl(e.to_string()))?;
    if !rest.is_empty() {
        return Err(TrustError::BadCrl("trailing bytes after the CRL".into()));
    }
    let sig_oid = parsed.signature_algorithm.algorithm.clone();
    if REFUSED_CRL_SIGNATURES.contains(&sig_oid) {
        return Err(TrustError::CrlBadSignature(format!(
            "signature algorithm {sig_oid} (SHA-1) is not accepted"
        )));
    }
    let issuer = parsed.issuer().as_raw();
    let mut named = false;
    let mut last_err = None;
    for root in roots {
        let Ok((_, root)) = X509Certificate::from_der(root) else {
            continue;
        };
        if root.subject().as_raw() != issuer {
            continue;
        }
        named = true;
        if let Ok(Some(ku)) = root.key_usage() {
            if !ku.value.crl_sign() {
                last_err = Some(TrustError::CrlIssuerNotCrlSigner);
                continue;
            }
        }
        match parsed.verify_signature(root.public_key()) {
            Ok(()) => return Ok(parsed.iter_revoked_certificates().count()),
            Err(e) => last_err = Some(TrustError::CrlBadSignature(e.to_string())),
        }
    }
    if !named {
        return Err(TrustError::CrlUnknownIssuer(parsed.issuer().to_string()));
    }
    Err(last_err.unwrap_or_else(|| TrustError::CrlBadSignature("no usable root".into())))
}

impl TrustStore {
    /// Build from root certificates and CRLs (DER). Each CRL must be signed by a root
    /// ([`check_crl`]); one that is not is refused, so that it never replaces CRLs in force.
    pub fn new(
        roots: Vec<CertificateDer<'static>>,
        crl_ders: Vec<CertificateRevocationListDer<'static>>,
    ) -> Result<Self, TrustError> {
        if roots.is_empty() {
            return Err(TrustError::NoRoot);
        }
        let anchors = roots
            .iter()
            .map(|r| {
                webpki::anchor_from_trusted_cert(r)
                    .map(|a| a.to_owned())
                    .map_err(|e| TrustError::BadRoot(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut revoked_count = 0;
        let mut crl_infos = Vec::with_capacity(crl_ders.len());
        for d in &crl_ders {
            revoked_count += check_crl(&roots, d)?;
            crl_infos.push(CrlInfo::read(d)?);
        }
        let crls = crl_ders
            .iter()
            .map(|d| {
                BorrowedCertRevocationList::from_der(d)
                    .and_then(|c| c.to_owned())
                    .map(|c: OwnedCertRevocationList| CertRevocationList::from(c))
                    .map_err(|e| TrustError::BadCrl(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            roots,
            anchors,
            crl_ders,
            crls,
            crl_infos,
            revoked_count,
            verified: Mutex::new(HashMap::new()),
        })
    }

    /// Refuse `fresh` as this store's successor if one of its CRLs is older than a CRL
    /// in force here of the same issuer (lower `crlNumber` or earlier `thisUpdate`).
    pub fn check_successor(&self, fresh: &TrustStore) -> Result<(), TrustError> {
        check_not_older(&fresh.crl_infos, &self.crl_infos)
    }

    /// The issuer, number and dates of each CRL in force.
    pub fn crl_infos(&self) -> &[CrlInfo] {
        &self.crl_infos
    }

    /// The CRLs in force whose `nextUpdate` has passed at `now_unix_secs`.
    pub fn overdue_crls(&self, now_unix_secs: u64) -> Vec<&CrlInfo> {
        self.crl_infos
            .iter()
            .filter(|c| c.overdue(now_unix_secs))
            .collect()
    }

    /// The root certificates.
    pub fn roots(&self) -> &[CertificateDer<'static>] {
        &self.roots
    }

    /// The CRLs in force.
    pub fn crls(&self) -> &[CertificateRevocationListDer<'static>] {
        &self.crl_ders
    }

    /// How many certificates the CRLs in force revoke (entries summed over the CRLs).
    pub fn revoked_count(&self) -> usize {
        self.revoked_count
    }

    /// Check that `cert` is a node certificate issued by the federation CA, valid at
    /// `now_unix_secs`, not revoked, with clientAuth, and read its identity.
    ///
    /// A certificate that passed is remembered by its SHA-256 for as long as this store
    /// lives (its roots and CRLs never change; a new CRL makes a new store) and answered
    /// from memory while `now` is inside its validity period: a recipient verifies each
    /// signer's chain once, not once per message.
    pub fn verify_node_cert(
        &self,
        cert: &[u8],
        now_unix_secs: u64,
    ) -> Result<NodeIdentity, TrustError> {
        let fp = Fingerprint::of_der(cert);
        if let Some(v) = self.remembered().get(&fp) {
            if (v.not_before..=v.not_after).contains(&now_unix_secs) {
                return Ok(v.identity.clone());
            }
        }
        let identity = self.verify_node_cert_uncached(cert, now_unix_secs)?;
        if let Some((not_before, not_after)) = validity_secs(cert) {
            let mut memory = self.remembered();
            if memory.len() >= VERIFIED_CAPACITY {
                memory.clear();
            }
            memory.insert(
                fp,
                Verified {
                    identity: identity.clone(),
                    not_before,
                    not_after,
                },
            );
        }
        Ok(identity)
    }

    fn remembered(&self) -> std::sync::MutexGuard<'_, HashMap<Fingerprint, Verified>> {
        // A panic while holding the lock leaves a consistent map (inserts are whole).
        self.verified
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn verify_node_cert_uncached(
        &self,
        cert: &[u8],
        now_unix_secs: u64,
    ) -> Result<NodeIdentity, TrustError> {
        self.verify_chain(cert, now_unix_secs, KeyUsage::client_auth())?;
        Ok(NodeIdentity::from_der(cert)?)
    }

    /// Check that `cert` is a hub certificate (serverAuth) issued by the federation CA,
    /// valid at `at_unix_secs` and not revoked, and return its key: what signs the hub's
    /// audit checkpoints.
    pub fn verify_hub_cert(&self, cert: &[u8], at_unix_secs: u64) -> Result<PublicKey, TrustError> {
        self.verify_chain(cert, at_unix_secs, KeyUsage::server_auth())?;
        let (_, parsed) = X509Certificate::from_der(cert)
            .map_err(|e| TrustError::from(IdentityError::Malformed(e.to_string())))?;
        Ok(public_key_of(&parsed)?)
    }

    /// Chain to a root, validity at `now_unix_secs`, `usage`, and the CRLs in force.
    fn verify_chain(
        &self,
        cert: &[u8],
        now_unix_secs: u64,
        usage: KeyUsage,
    ) -> Result<(), TrustError> {
        let der = CertificateDer::from(cert);
        let ee = EndEntityCert::try_from(&der).map_err(TrustError::from)?;
        let crl_refs: Vec<&CertRevocationList<'_>> = self.crls.iter().collect();
        let revocation = if crl_refs.is_empty() {
            None
        } else {
            RevocationOptionsBuilder::new(&crl_refs).ok().map(|b| {
                b.with_depth(RevocationCheckDepth::EndEntity)
                    .with_status_policy(UnknownStatusPolicy::Deny)
                    .with_expiration_policy(ExpirationPolicy::Ignore)
                    .build()
            })
        };
        ee.verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &self.anchors,
            &[],
            UnixTime::since_unix_epoch(Duration::from_secs(now_unix_secs)),
            usage,
            revocation,
            None,
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use crate::identity::KeyAlgorithm;
    use crate::ids::Role;
    use crate::pki::TrustError;
    use crate::testkit::{now_ms, Kit};

    #[test]
    fn a_remembered_certificate_is_still_refused_outside_its_validity() {
        let kit = Kit::new(KeyAlgorithm::Ed25519).unwrap();
        let be = kit
            .node("BE-NCP", Role::Member, KeyAlgorithm::Ed25519)
            .unwrap();
        let trust = kit.trust(&[]).unwrap();
        let now = now_ms() / 1000;
        let first = trust.verify_node_cert(&be.cert_der, now).unwrap();
        let again = trust.verify_node_cert(&be.cert_der, now + 1).unwrap();
        assert_eq!(first.fingerprint, again.fingerprint);
        assert_eq!(trust.remembered().len(), 1);
        // Two years on (the kit issues for a year): expired, remembered or not.
        let later = now + 2 * 365 * 24 * 3600;
        assert!(matches!(
            trust.verify_node_cert(&be.cert_der, later),
            Err(TrustError::Expired)
        ));
        // Before it was issued: not valid yet.
        assert!(trust.verify_node_cert(&be.cert_der, 1_000).is_err());
    }

    #[test]
    fn refusals_are_not_remembered_and_a_new_crl_means_a_new_store() {
        let kit = Kit::new(KeyAlgorithm::Ed25519).unwrap();
        let be = kit
            .node("BE-NCP", Role::Member, KeyAlgorithm::Ed25519)
            .unwrap();
        let now = now_ms() / 1000;
        let before = kit.trust(&[]).unwrap();
        before.verify_node_cert(&be.cert_der, now).unwrap();
        let after = kit.trust(&[&be]).unwrap();
        for _ in 0..2 {
            assert_eq!(
                after.verify_node_cert(&be.cert_der, now).unwrap_err(),
                TrustError::Revoked
            );
        }
        assert_eq!(after.remembered().len(), 0);
    }
}
