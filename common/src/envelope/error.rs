//! Why an envelope or a key bundle was refused.

use crate::pki::TrustError;

/// Why an envelope or key bundle was refused or could not be made. Every variant is
/// caused by the peer's bytes unless it says "local".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// The outer or signed structure is not the MessagePack layout of PROTOCOL.md.
    #[error("envelope is malformed: {0}")]
    Malformed(String),
    /// The header does not decode.
    #[error("envelope header is malformed: {0}")]
    MalformedHeader(String),
    /// Unsupported protocol version in the header.
    #[error("envelope version {0} is not supported (this is version 1)")]
    UnsupportedVersion(u8),
    /// The header breaks a rule (addressing, times, sizes).
    #[error("envelope header is invalid: {0}")]
    InvalidHeader(String),
    /// `expires_at` has passed.
    #[error("message expired at {expires_at} (now {now})")]
    Expired {
        /// Expiry, ms since the epoch.
        expires_at: u64,
        /// Now, ms since the epoch.
        now: u64,
    },
    /// The signer certificate's SHA-256 differs from the header's sender fingerprint.
    #[error("signer certificate does not match the header's sender fingerprint")]
    SignerCertMismatch,
    /// The signer certificate names another node than the header's sender.
    #[error("signer certificate belongs to {cert}, header says {header}")]
    SenderMismatch {
        /// Node id in the certificate.
        cert: String,
        /// Node id in the header.
        header: String,
    },
    /// The signer (the TLS peer, at the hub) is not the header's sender.
    #[error("header sender {header} is not the connected node {peer}")]
    SenderNotPeer {
        /// Node id in the header.
        header: String,
        /// Node id of the TLS peer.
        peer: String,
    },
    /// The signer's certificate is not trusted (chain, validity, revocation).
    #[error("signer certificate is not trusted: {0}")]
    UntrustedSigner(TrustError),
    /// The signature does not verify.
    #[error("signature does not verify")]
    BadSignature,
    /// This node is not among the recipients.
    #[error("this node is not a recipient of the message")]
    NotARecipient,
    /// The content key was wrapped to another X25519 key of this node.
    #[error("content key was wrapped to another key (key id {0})")]
    UnknownKeyId(String),
    /// HPKE could not unwrap the content key.
    #[error("content key does not unwrap")]
    KeyUnwrap,
    /// The body does not decrypt under the content key and the header.
    #[error("body does not decrypt")]
    BodyDecrypt,
    /// Key bundle: malformed.
    #[error("key bundle is malformed: {0}")]
    MalformedBundle(String),
    /// Key bundle: not signed by the certificate it names.
    #[error("key bundle signature does not verify against {0}'s certificate")]
    BundleSignature(String),
    /// Key bundle: names another node or certificate than the one given.
    #[error("key bundle is for {bundle}, certificate is {cert}")]
    BundleMismatch {
        /// What the bundle names.
        bundle: String,
        /// What the certificate names.
        cert: String,
    },
    /// Local: sealing failed (no recipients, key or RNG failure, oversized).
    #[error("cannot seal: {0}")]
    Seal(String),
}
