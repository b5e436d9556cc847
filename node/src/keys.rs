//! This node's key material: the TLS identity (certificate chain and identity key), the
//! federation trust (root and CRLs), and the static X25519 key in `x25519.key` (mode
//! 0600, created on first start).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use cordon_common::envelope::{KemKeyPair, KeyBundle};
use cordon_common::identity::NodeIdentity;
use cordon_common::pki::{
    read_pem_certs, read_pem_crls, write_secret_file, IdentityKey, TrustStore,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::config::TlsFiles;

/// Key material could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyFileError {
    /// A PEM file (certificate, root, CRL).
    #[error(transparent)]
    Pem(#[from] cordon_common::pki::PemError),
    /// The identity key.
    #[error(transparent)]
    Key(#[from] cordon_common::pki::KeyError),
    /// The certificate does not carry a Cordon node identity.
    #[error("{path}: not a Cordon node certificate: {source}")]
    Identity {
        /// The file.
        path: String,
        /// Why.
        source: cordon_common::identity::IdentityError,
    },
    /// The certificate's key is not the configured key.
    #[error("{cert} and {key} do not belong together (different public keys)")]
    KeyMismatch {
        /// The certificate file.
        cert: String,
        /// The key file.
        key: String,
    },
    /// The root or CRLs cannot be used.
    #[error("federation trust: {0}")]
    Trust(#[from] cordon_common::pki::TrustError),
    /// The X25519 key file.
    #[error("{path}: {message}")]
    X25519 {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// Everything this node signs, decrypts and trusts with.
pub struct NodeKeys {
    /// This node's identity, read from its certificate.
    pub identity: NodeIdentity,
    /// The identity key (signs envelopes and the key bundle).
    pub key: IdentityKey,
    /// The certificate chain for TLS, leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    /// The TLS private key.
    pub tls_key: PrivateKeyDer<'static>,
    /// The federation roots.
    pub roots: Vec<CertificateDer<'static>>,
    /// Roots and CRLs, for verifying signers and directory entries; replaced whole when
    /// the CRL files change ([`NodeKeys::reload_trust`]).
    pub(crate) trust: RwLock<Arc<TrustStore>>,
    /// The static X25519 key.
    pub kem: KemKeyPair,
}

impl std::fmt::Debug for NodeKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeKeys")
            .field("node_id", &self.identity.node_id)
            .field("fingerprint", &self.identity.fingerprint)
            .field("kem", &self.kem)
            .finish_non_exhaustive()
    }
}

impl NodeKeys {
    /// Load the TLS files and the X25519 key (creating it, 0600, if absent).
    pub fn load(tls: &TlsFiles, x25519_path: &Path) -> Result<Self, KeyFileError> {
        let chain = read_pem_certs(&tls.cert)?;
        let leaf = chain.first().ok_or_else(|| {
            KeyFileError::Pem(cordon_common::pki::PemError::Empty {
                path: tls.cert.display().to_string(),
                what: "CERTIFICATE",
            })
        })?;
        let identity = NodeIdentity::from_der(leaf).map_err(|source| KeyFileError::Identity {
            path: tls.cert.display().to_string(),
            source,
        })?;
        let (key, tls_key) = IdentityKey::load(&tls.key)?;
        if key.public_key() != identity.public_key {
            return Err(KeyFileError::KeyMismatch {
                cert: tls.cert.display().to_string(),
                key: tls.key.display().to_string(),
            });
        }
        let roots = read_pem_certs(&tls.root)?;
        let mut crls = Vec::new();
        for p in &tls.crls {
            crls.extend(read_pem_crls(p)?);
        }
        let trust = TrustStore::new(roots.clone(), crls)?;
        let kem = load_or_create_x25519(x25519_path)?;
        Ok(Self {
            identity,
            key,
            chain,
            tls_key,
            roots,
            trust: RwLock::new(Arc::new(trust)),
            kem,
        })
    }

    /// The trust store in force (roots and the CRLs last loaded).
    pub fn trust(&self) -> Arc<TrustStore> {
        self.trust
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Read the CRL files again and put them in force with the same roots. A file that
    /// does not read, parse or verify against the roots, or a CRL older than the one in
    /// force for its issuer, is refused with its error, and the CRLs in force stay. Returns how many certificates are revoked now.
    pub fn reload_trust(&self, crl_files: &[PathBuf]) -> Result<usize, KeyFileError> {
        let mut crls = Vec::new();
        for p in crl_files {
            crls.extend(read_pem_crls(p)?);
        }
        let trust = TrustStore::new(self.roots.clone(), crls)?;
        self.trust().check_successor(&trust)?;
        let revoked = trust.revoked_count();
        *self
            .trust
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(trust);
        Ok(revoked)
    }

    /// Check this node's own certificate against its trust store at `now_unix_secs`
    /// (dates, CRLs): the hub would refuse it for the same reason.
    pub fn check_own_certificate(
        &self,
        now_unix_secs: u64,
    ) -> Result<(), cordon_common::pki::TrustError> {
        let leaf = self.chain.first().map(|c| c.to_vec()).unwrap_or_default();
        self.trust()
            .verify_node_cert(&leaf, now_unix_secs)
            .map(|_| ())
    }

    /// A freshly signed key bundle for the X25519 key.
    pub fn bundle(&self, now_ms: u64) -> Result<KeyBundle, cordon_common::envelope::EnvelopeError> {
        KeyBundle::sign(&self.identity, &self.key, &self.kem, now_ms)
    }
}

/// Read the 32-byte X25519 secret, or create one (mode 0600) if the file is absent.
/// A file readable by others is tightened to 0600.
pub fn load_or_create_x25519(path: &Path) -> Result<KemKeyPair, KeyFileError> {
    let err = |message: String| KeyFileError::X25519 {
        path: path.display().to_string(),
        message,
    };
    match std::fs::read(path) {
        Ok(bytes) => {
            let meta = std::fs::metadata(path).map_err(|e| err(e.to_string()))?;
            if meta.permissions().mode() & 0o077 != 0 {
                tracing::warn!(path = %path.display(), "X25519 key file was readable by others; setting mode 0600");
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                    .map_err(|e| err(e.to_string()))?;
            }
            if bytes.len() != 32 {
                return Err(err(format!(
                    "must hold exactly 32 bytes, holds {}",
                    bytes.len()
                )));
            }
            KemKeyPair::from_secret_bytes(&bytes).map_err(|e| err(e.to_string()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let kem = KemKeyPair::generate().map_err(|e| err(e.to_string()))?;
            write_secret_file(path, &kem.secret_bytes()).map_err(|e| err(e.to_string()))?;
            tracing::info!(path = %path.display(), "created a new X25519 key");
            Ok(kem)
        }
        Err(e) => Err(err(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    use cordon_common::identity::KeyAlgorithm;
    use cordon_common::ids::Role;
    use cordon_common::pki::TrustError;
    use cordon_common::testkit::{now_ms, Kit, KitNode};

    /// `me`'s TLS files from `kit` in `dir`, with `crl` as the CRL file, and the keys
    /// loaded from them.
    fn load_keys(dir: &Path, kit: &Kit, me: &KitNode, crl: &str) -> (NodeKeys, TlsFiles) {
        let write = |name: &str, text: &str| {
            let p = dir.join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let tls = TlsFiles {
            cert: write("node.crt", &me.cert_pem),
            key: write("node.key", &me.key_pem),
            root: write("root.crt", kit.ca.cert_pem()),
            crls: vec![write("crl.pem", crl)],
        };
        let keys = NodeKeys::load(&tls, &dir.join("x25519.key")).unwrap();
        (keys, tls)
    }

    #[test]
    fn a_new_crl_is_put_in_force_and_a_bad_one_refused() {
        let dir = tempfile::tempdir().unwrap();
        let kit = Kit::new(KeyAlgorithm::Ed25519).unwrap();
        let me = kit
            .node("BE-NCP", Role::Member, KeyAlgorithm::Ed25519)
            .unwrap();
        let signer = kit.node("OCU", Role::Ocu, KeyAlgorithm::Ed25519).unwrap();
        let (keys, tls) = load_keys(dir.path(), &kit, &me, &kit.crl_pem(&[], 1).unwrap());
        let write = |text: &str| std::fs::write(&tls.crls[0], text).unwrap();
        let now = now_ms() / 1000;
        keys.trust()
            .verify_node_cert(&signer.cert_der, now)
            .unwrap();

        // The Secretariat revokes the OCU's certificate; the node reloads its CRL file.
        write(&kit.crl_pem(&[&signer], 2).unwrap());
        assert_eq!(keys.reload_trust(&tls.crls).unwrap(), 1);
        assert_eq!(
            keys.trust().verify_node_cert(&signer.cert_der, now),
            Err(TrustError::Revoked)
        );

        // A CRL from another CA is refused; the one in force stays.
        let rogue = Kit::new(KeyAlgorithm::Ed25519).unwrap();
        write(&rogue.crl_pem(&[], 3).unwrap());
        assert!(keys.reload_trust(&tls.crls).is_err());
        assert_eq!(
            keys.trust().verify_node_cert(&signer.cert_der, now),
            Err(TrustError::Revoked)
        );
        keys.trust().verify_node_cert(&me.cert_der, now).unwrap();
    }

    #[test]
    fn own_certificate_is_checked_and_an_older_crl_refused() {
        let dir = tempfile::tempdir().unwrap();
        let kit = Kit::new(KeyAlgorithm::Ed25519).unwrap();
        let me = kit
            .node("BE-NCP", Role::Member, KeyAlgorithm::Ed25519)
            .unwrap();
        let (keys, tls) = load_keys(dir.path(), &kit, &me, &kit.crl_pem(&[&me], 2).unwrap());
        let now = now_ms() / 1000;
        assert_eq!(keys.check_own_certificate(now), Err(TrustError::Revoked));
        // An older CRL (number 1, not listing this node) does not un-revoke it.
        std::fs::write(&tls.crls[0], kit.crl_pem(&[], 1).unwrap()).unwrap();
        assert!(matches!(
            keys.reload_trust(&tls.crls),
            Err(KeyFileError::Trust(TrustError::CrlOlder { .. }))
        ));
        assert_eq!(keys.check_own_certificate(now), Err(TrustError::Revoked));
        // Two years on (the kit issues for a year): expired.
        let later = now + 2 * 365 * 24 * 3600;
        assert_eq!(keys.check_own_certificate(later), Err(TrustError::Expired));
    }

    #[test]
    fn x25519_key_is_created_0600_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x25519.key");
        let a = load_or_create_x25519(&p).unwrap();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let b = load_or_create_x25519(&p).unwrap();
        assert_eq!(a.public(), b.public());
        std::fs::write(&p, b"short").unwrap();
        assert!(matches!(
            load_or_create_x25519(&p),
            Err(KeyFileError::X25519 { .. })
        ));
    }
}
