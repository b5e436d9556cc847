//! The end-to-end signed and encrypted envelope.
//!
//! ```text
//! Envelope  = [ signed: bin, signer_cert: bin, signature: bin ]        (MessagePack)
//! signed    = [ header: bin, recipients: [Recipient...], body: bin ]
//! Recipient = [ node_id: str, key_id: bin(8), enc: bin(32), wrapped_key: bin(48) ]
//! signature = Sign(identity key, SIGNATURE_CONTEXT || signed)
//! body      = ChaCha20-Poly1305(content key, nonce 0, aad = header bytes, plaintext)
//! ```
//!
//! The hub reads the header, checks the signature against the TLS peer and never sees the
//! body. Every recipient verifies again against the federation root and the CRLs. Exact
//! layout and test vectors: `docs/PROTOCOL.md`.

mod bundle;
mod error;
mod header;
mod layout;
mod open;
mod rng;
mod seal;
mod unwrap;
mod verify;
mod x25519;

pub use bundle::{KemKeyPair, KeyBundle, VerifiedBundle, BUNDLE_CONTEXT};
pub use error::EnvelopeError;
pub use header::{Addressing, Header, HeaderLimits, PROTOCOL_VERSION};
pub use layout::{encode_envelope, encode_signed, ParsedEnvelope, WrappedKey};
pub use open::open;
pub use rng::SealRng;
pub use seal::{seal, RecipientKey};
pub use verify::{
    check_peer, check_signer, verify, verify_batch, verify_from_peer, verify_signatures,
    SignatureCheck, SignerChecked, VerifiedEnvelope,
};

/// Prefix of the envelope signature input.
pub const SIGNATURE_CONTEXT: &[u8] = b"cordon/1 envelope\0";
/// HPKE `info` for wrapping a content key.
pub const HPKE_INFO: &[u8] = b"cordon/1 content-key";
/// Length of a content key (ChaCha20-Poly1305).
pub const CONTENT_KEY_LEN: usize = 32;
/// Length of an HPKE-wrapped content key (key + Poly1305 tag).
pub const WRAPPED_KEY_LEN: usize = CONTENT_KEY_LEN + 16;
/// Length of a key id: the first bytes of SHA-256 of the recipient's X25519 public key.
pub const KEY_ID_LEN: usize = 8;
