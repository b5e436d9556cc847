//! Opening: unwrap the content key as one recipient and decrypt the body.

use hpke::aead::ChaCha20Poly1305 as HpkeChaCha;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, OpModeR};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305};

use super::bundle::KemKeyPair;
use super::seal::wrap_aad;
use super::verify::VerifiedEnvelope;
use super::{EnvelopeError, HPKE_INFO};
use crate::ids::NodeId;

/// Decrypt a verified envelope's body as recipient `me` holding `kem`. Returns the
/// plaintext body (MessagePack of the message named by the header's kind).
pub fn open(
    verified: &VerifiedEnvelope<'_>,
    me: &NodeId,
    kem: &KemKeyPair,
) -> Result<Vec<u8>, EnvelopeError> {
    let env = &verified.envelope;
    let entry = env
        .recipients
        .iter()
        .find(|r| r.node_id == me.as_str())
        .ok_or(EnvelopeError::NotARecipient)?;
    if entry.key_id != kem.key_id() {
        return Err(EnvelopeError::UnknownKeyId(hex::encode(entry.key_id)));
    }
    let enc = <X25519HkdfSha256 as hpke::Kem>::EncappedKey::from_bytes(entry.enc)
        .map_err(|_| EnvelopeError::KeyUnwrap)?;
    let aad = wrap_aad(&env.header, entry.node_id);
    let content_key = hpke::single_shot_open::<HpkeChaCha, HkdfSha256, X25519HkdfSha256>(
        &OpModeR::Base,
        kem.secret(),
        &enc,
        HPKE_INFO,
        entry.wrapped,
        &aad,
    )
    .map_err(|_| EnvelopeError::KeyUnwrap)?;
    let aead = UnboundKey::new(&CHACHA20_POLY1305, &content_key)
        .map(LessSafeKey::new)
        .map_err(|_| EnvelopeError::KeyUnwrap)?;
    let mut buf = env.body.to_vec();
    let plain = aead
        .open_in_place(
            Nonce::assume_unique_for_key([0u8; 12]),
            Aad::from(env.header_bytes),
            &mut buf,
        )
        .map_err(|_| EnvelopeError::BodyDecrypt)?;
    let n = plain.len();
    buf.truncate(n);
    Ok(buf)
}
