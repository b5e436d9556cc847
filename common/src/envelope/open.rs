//! Opening: unwrap the content key as one recipient and decrypt the body.

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305};
use zeroize::Zeroize;

use super::bundle::KemKeyPair;
use super::seal::wrap_aad;
use super::unwrap::unwrap_key;
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
    let aad = wrap_aad(&env.header, entry.node_id);
    let mut content_key = unwrap_key(
        kem.secret(),
        kem.public(),
        entry.enc,
        HPKE_INFO,
        &aad,
        entry.wrapped,
    )?;
    let aead = UnboundKey::new(&CHACHA20_POLY1305, &content_key).map(LessSafeKey::new);
    content_key.zeroize();
    let aead = aead.map_err(|_| EnvelopeError::KeyUnwrap)?;
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
