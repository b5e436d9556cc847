//! A node's identity key: signs envelopes, key bundles and receipts.

use std::path::Path;

use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, Ed25519KeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::PrivateKeyDer;

use crate::identity::{KeyAlgorithm, PublicKey};

/// The identity key could not be loaded or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The key file could not be read.
    #[error("cannot read key file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Not a PEM "PRIVATE KEY" (PKCS#8) block.
    #[error(
        "key is not a PEM PKCS#8 PRIVATE KEY ({0}); convert with `openssl pkcs8 -topk8 -nocrypt`"
    )]
    NotPkcs8(String),
    /// PKCS#8, but neither Ed25519 nor ECDSA P-256.
    #[error("key is neither Ed25519 nor ECDSA P-256")]
    Unsupported,
    /// Signing failed (should not happen with a valid key).
    #[error("signing failed")]
    Sign,
}

/// An Ed25519 or ECDSA P-256 private key.
pub enum IdentityKey {
    /// Ed25519.
    Ed25519(Ed25519KeyPair),
    /// ECDSA P-256 with SHA-256, ASN.1 DER signatures.
    EcdsaP256(EcdsaKeyPair),
}

impl std::fmt::Debug for IdentityKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        write!(f, "IdentityKey({:?})", self.algorithm())
    }
}

impl IdentityKey {
    /// From PKCS#8 DER (v1 or v2 for Ed25519, as OpenSSL and rcgen write them).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        if let Ok(k) = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der) {
            return Ok(Self::Ed25519(k));
        }
        let rng = SystemRandom::new();
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, der, &rng)
            .map(Self::EcdsaP256)
            .map_err(|_| KeyError::Unsupported)
    }

    /// From a PEM `PRIVATE KEY` block.
    pub fn from_pem(pem: &[u8]) -> Result<Self, KeyError> {
        let der =
            PrivateKeyDer::from_pem_slice(pem).map_err(|e| KeyError::NotPkcs8(e.to_string()))?;
        match der {
            PrivateKeyDer::Pkcs8(p) => Self::from_pkcs8_der(p.secret_pkcs8_der()),
            _ => Err(KeyError::NotPkcs8("SEC1 or PKCS#1 key".into())),
        }
    }

    /// Load a PEM key file; returns the signing key and the DER form for TLS.
    pub fn load(path: &Path) -> Result<(Self, PrivateKeyDer<'static>), KeyError> {
        let pem = std::fs::read(path).map_err(|source| KeyError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let key = Self::from_pem(&pem)?;
        let der =
            PrivateKeyDer::from_pem_slice(&pem).map_err(|e| KeyError::NotPkcs8(e.to_string()))?;
        Ok((key, der))
    }

    /// The key's algorithm.
    pub fn algorithm(&self) -> KeyAlgorithm {
        match self {
            Self::Ed25519(_) => KeyAlgorithm::Ed25519,
            Self::EcdsaP256(_) => KeyAlgorithm::EcdsaP256,
        }
    }

    /// The public half, in the form certificates carry.
    pub fn public_key(&self) -> PublicKey {
        let bytes = match self {
            Self::Ed25519(k) => k.public_key().as_ref().to_vec(),
            Self::EcdsaP256(k) => k.public_key().as_ref().to_vec(),
        };
        PublicKey {
            algorithm: self.algorithm(),
            bytes,
        }
    }

    /// Sign `context || message`. The context separates the uses of one key.
    pub fn sign(&self, context: &[u8], message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let mut input = Vec::with_capacity(context.len() + message.len());
        input.extend_from_slice(context);
        input.extend_from_slice(message);
        match self {
            Self::Ed25519(k) => Ok(k.sign(&input).as_ref().to_vec()),
            Self::EcdsaP256(k) => k
                .sign(&SystemRandom::new(), &input)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| KeyError::Sign),
        }
    }
}

impl PublicKey {
    /// Verify a signature made by [`IdentityKey::sign`] with the same context.
    pub fn verify_with_context(&self, context: &[u8], message: &[u8], signature: &[u8]) -> bool {
        let mut input = Vec::with_capacity(context.len() + message.len());
        input.extend_from_slice(context);
        input.extend_from_slice(message);
        self.verify(&input, signature)
    }
}
