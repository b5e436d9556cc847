//! Sealing: encrypt the body to the recipients and sign.

use hpke::aead::ChaCha20Poly1305 as HpkeChaCha;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, OpModeS, Serializable};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305};

use super::bundle::key_id;
use super::header::Header;
use super::layout::{encode_envelope, encode_signed, WrappedKey};
use super::rng::SealRng;
use super::{EnvelopeError, CONTENT_KEY_LEN, HPKE_INFO, SIGNATURE_CONTEXT};
use crate::ids::{Fingerprint, NodeId};
use crate::pki::IdentityKey;

/// A recipient and the X25519 key from its verified key bundle.
#[derive(Debug, Clone)]
pub struct RecipientKey {
    /// The recipient.
    pub node_id: NodeId,
    /// Its X25519 public key.
    pub public: [u8; 32],
}

/// The associated data that binds a wrapped key to its message and recipient.
pub(super) fn wrap_aad(header: &Header, node_id: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(16 + node_id.len());
    aad.extend_from_slice(header.id.as_bytes());
    aad.extend_from_slice(node_id.as_bytes());
    aad
}

/// Seal `body` (the MessagePack-encoded message) under `header` for `recipients`, and
/// sign with `key`, whose certificate is `signer_cert`. Returns the envelope bytes.
pub fn seal(
    header: &Header,
    body: &[u8],
    recipients: &[RecipientKey],
    key: &IdentityKey,
    signer_cert: &[u8],
    rng: &mut SealRng,
) -> Result<Vec<u8>, EnvelopeError> {
    if recipients.is_empty() {
        return Err(EnvelopeError::Seal("no recipients".into()));
    }
    if Fingerprint::of_der(signer_cert) != header.sender_fp {
        return Err(EnvelopeError::Seal(
            "header sender_fp is not the signer certificate's".into(),
        ));
    }
    let header_bytes = header.encode()?;

    let mut content_key = [0u8; CONTENT_KEY_LEN];
    rng.fill(&mut content_key);
    let aead = UnboundKey::new(&CHACHA20_POLY1305, &content_key)
        .map(LessSafeKey::new)
        .map_err(|_| EnvelopeError::Seal("content key".into()))?;
    let mut sealed = body.to_vec();
    // A content key is used for exactly one message, so the all-zero nonce is unique.
    aead.seal_in_place_append_tag(
        Nonce::assume_unique_for_key([0u8; 12]),
        Aad::from(&header_bytes),
        &mut sealed,
    )
    .map_err(|_| EnvelopeError::Seal("body too large".into()))?;

    // (recipient, key id, enc, wrapped key), owned until the signed part is encoded.
    type Owned = (String, [u8; 8], Vec<u8>, Vec<u8>);
    let mut wrapped: Vec<Owned> = Vec::with_capacity(recipients.len());
    for r in recipients {
        let pk = <X25519HkdfSha256 as hpke::Kem>::PublicKey::from_bytes(&r.public)
            .map_err(|_| EnvelopeError::Seal(format!("bad X25519 key for {}", r.node_id)))?;
        let aad = wrap_aad(header, r.node_id.as_str());
        let (enc, ct) =
            hpke::single_shot_seal_with_rng::<HpkeChaCha, HkdfSha256, X25519HkdfSha256>(
                &OpModeS::Base,
                &pk,
                HPKE_INFO,
                &content_key,
                &aad,
                rng,
            )
            .map_err(|e| EnvelopeError::Seal(format!("HPKE to {}: {e}", r.node_id)))?;
        wrapped.push((
            r.node_id.to_string(),
            key_id(&r.public),
            enc.to_bytes().to_vec(),
            ct,
        ));
    }
    let refs: Vec<WrappedKey<'_>> = wrapped
        .iter()
        .map(|(n, id, enc, ct)| WrappedKey {
            node_id: n,
            key_id: id,
            enc,
            wrapped: ct,
        })
        .collect();
    let signed = encode_signed(&header_bytes, &refs, &sealed)?;
    let signature = key
        .sign(SIGNATURE_CONTEXT, &signed)
        .map_err(|e| EnvelopeError::Seal(e.to_string()))?;
    encode_envelope(&signed, signer_cert, &signature)
}
