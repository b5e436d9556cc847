//! Static X25519 keys and the key bundle that publishes one, signed by the node's
//! identity key.
//!
//! ```text
//! KeyBundle = [ signed: bin, signature: bin ]
//! signed    = [ node_id: str, cert_fp: bin(32), x25519_public: bin(32), created_at: uint ]
//! signature = Sign(identity key, BUNDLE_CONTEXT || signed)
//! ```

use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem as KemTrait, Serializable};
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use super::rng::SealRng;
use super::{EnvelopeError, KEY_ID_LEN};
use crate::identity::NodeIdentity;
use crate::ids::{Fingerprint, NodeId};
use crate::pki::IdentityKey;

/// Prefix of the key bundle signature input.
pub const BUNDLE_CONTEXT: &[u8] = b"cordon/1 key-bundle\0";

type Kem = X25519HkdfSha256;

/// A node's static X25519 key pair for receiving content keys. The secret is wiped
/// from memory when the pair is dropped.
pub struct KemKeyPair {
    secret: [u8; 32],
    public: [u8; 32],
}

impl Drop for KemKeyPair {
    fn drop(&mut self) {
        self.secret.zeroize();
    }
}

impl std::fmt::Debug for KemKeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KemKeyPair(public {})", hex::encode(self.public))
    }
}

impl KemKeyPair {
    /// A fresh key pair from the operating system's randomness.
    pub fn generate() -> Result<Self, EnvelopeError> {
        let mut ikm = [0u8; 32];
        SealRng::from_os()?.fill(&mut ikm);
        Ok(Self::derive(&ikm))
    }

    /// Derive deterministically (RFC 9180 DeriveKeyPair) from input keying material.
    pub fn derive(ikm: &[u8; 32]) -> Self {
        let (secret, public) = Kem::derive_keypair(ikm);
        Self::from_parts(&secret, &public)
    }

    fn from_parts(
        secret: &<Kem as KemTrait>::PrivateKey,
        public: &<Kem as KemTrait>::PublicKey,
    ) -> Self {
        let (mut s, mut p) = ([0u8; 32], [0u8; 32]);
        s.copy_from_slice(&secret.to_bytes());
        p.copy_from_slice(&public.to_bytes());
        Self {
            secret: s,
            public: p,
        }
    }

    /// From the 32 secret bytes as stored by [`Self::secret_bytes`].
    pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self, EnvelopeError> {
        let secret = <Kem as KemTrait>::PrivateKey::from_bytes(bytes)
            .map_err(|_| EnvelopeError::Seal("X25519 secret key must be 32 bytes".into()))?;
        let public = <Kem as KemTrait>::sk_to_pk(&secret);
        Ok(Self::from_parts(&secret, &public))
    }

    /// The secret, for storage in a 0600 file. Never log it.
    pub fn secret_bytes(&self) -> [u8; 32] {
        self.secret
    }

    /// The public key.
    pub fn public(&self) -> &[u8; 32] {
        &self.public
    }

    /// The key id of the public key.
    pub fn key_id(&self) -> [u8; KEY_ID_LEN] {
        key_id(&self.public)
    }

    pub(super) fn secret(&self) -> &[u8; 32] {
        &self.secret
    }
}

/// The key id of an X25519 public key: the first 8 bytes of its SHA-256.
pub fn key_id(public: &[u8; 32]) -> [u8; KEY_ID_LEN] {
    let d = ring::digest::digest(&ring::digest::SHA256, public);
    let mut id = [0u8; KEY_ID_LEN];
    id.copy_from_slice(&d.as_ref()[..KEY_ID_LEN]);
    id
}

#[derive(Serialize)]
struct BundleRef<'a>(
    &'a str,
    #[serde(with = "serde_bytes")] &'a [u8],
    #[serde(with = "serde_bytes")] &'a [u8],
    u64,
);

#[derive(Deserialize)]
struct BundleBodyOwned(String, serde_bytes::ByteBuf, serde_bytes::ByteBuf, u64);

struct BundleBody(String, Vec<u8>, Vec<u8>, u64);

#[derive(Serialize)]
struct BundleOuter<'a>(
    #[serde(with = "serde_bytes")] &'a [u8],
    #[serde(with = "serde_bytes")] &'a [u8],
);

/// A signed key bundle, as published and served by the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyBundle {
    bytes: Vec<u8>,
}

/// A key bundle whose signature was checked against its node's certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedBundle {
    /// The node.
    pub node_id: NodeId,
    /// Its certificate's fingerprint.
    pub cert_fp: Fingerprint,
    /// The X25519 public key to wrap content keys to.
    pub public: [u8; 32],
    /// When the bundle was made, ms since the epoch.
    pub created_at: u64,
}

impl KeyBundle {
    /// Make and sign a bundle for `kem`'s public key.
    pub fn sign(
        identity: &NodeIdentity,
        key: &IdentityKey,
        kem: &KemKeyPair,
        created_at: u64,
    ) -> Result<Self, EnvelopeError> {
        let seal = |e: String| EnvelopeError::Seal(e);
        let body = rmp_serde::to_vec(&BundleRef(
            identity.node_id.as_str(),
            &identity.fingerprint.0,
            kem.public(),
            created_at,
        ))
        .map_err(|e| seal(e.to_string()))?;
        let sig = key
            .sign(BUNDLE_CONTEXT, &body)
            .map_err(|e| seal(e.to_string()))?;
        let bytes =
            rmp_serde::to_vec(&BundleOuter(&body, &sig)).map_err(|e| seal(e.to_string()))?;
        Ok(Self { bytes })
    }

    /// Wrap received bytes (not yet verified).
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self { bytes }
    }

    /// The encoded bundle.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Check the bundle against the certificate identity of the node it claims to be for
    /// (whose chain the caller has verified).
    pub fn verify(&self, cert: &NodeIdentity) -> Result<VerifiedBundle, EnvelopeError> {
        let (body, sig) =
            crate::mp::signed_pair(&self.bytes).map_err(EnvelopeError::MalformedBundle)?;
        let BundleBody(node_id, fp, public, created_at) =
            crate::mp::from_slice_exact::<BundleBodyOwned>(body)
                .map(|b| BundleBody(b.0, b.1.into_vec(), b.2.into_vec(), b.3))
                .map_err(EnvelopeError::MalformedBundle)?;
        let fp: [u8; 32] = fp
            .try_into()
            .map_err(|_| EnvelopeError::MalformedBundle("cert_fp is not 32 bytes".into()))?;
        let public: [u8; 32] = public
            .try_into()
            .map_err(|_| EnvelopeError::MalformedBundle("x25519 key is not 32 bytes".into()))?;
        if node_id.as_str() != cert.node_id.as_str() || fp != cert.fingerprint.0 {
            return Err(EnvelopeError::BundleMismatch {
                bundle: format!("{node_id} {}", hex::encode(fp)),
                cert: format!("{} {}", cert.node_id, cert.fingerprint),
            });
        }
        if !cert
            .public_key
            .verify_with_context(BUNDLE_CONTEXT, body, sig)
        {
            return Err(EnvelopeError::BundleSignature(cert.node_id.to_string()));
        }
        Ok(VerifiedBundle {
            node_id: cert.node_id.clone(),
            cert_fp: cert.fingerprint,
            public,
            created_at,
        })
    }
}
