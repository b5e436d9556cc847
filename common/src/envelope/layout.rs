//! Parsing and assembling the envelope's byte layout. Borrowing, never re-encoding
//! what is signed.

use serde::Serialize;

use crate::mp::Reader;

use super::header::Header;
use super::{EnvelopeError, KEY_ID_LEN, WRAPPED_KEY_LEN};

/// One recipient's wrapped content key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WrappedKey<'a> {
    /// The recipient.
    pub node_id: &'a str,
    /// First 8 bytes of SHA-256 of the X25519 key it was wrapped to.
    #[serde(with = "serde_bytes")]
    pub key_id: &'a [u8],
    /// HPKE encapsulated key (X25519 public key, 32 bytes).
    #[serde(with = "serde_bytes")]
    pub enc: &'a [u8],
    /// HPKE ciphertext of the content key (48 bytes).
    #[serde(with = "serde_bytes")]
    pub wrapped: &'a [u8],
}

#[derive(Serialize)]
struct SignedRef<'a>(
    #[serde(with = "serde_bytes")] &'a [u8],
    Vec<WrappedKey<'a>>,
    #[serde(with = "serde_bytes")] &'a [u8],
);

/// An envelope split into its parts, borrowing from the received bytes. Nothing is
/// verified yet.
#[derive(Debug, Clone)]
pub struct ParsedEnvelope<'a> {
    /// The exact bytes that were signed.
    pub signed: &'a [u8],
    /// The exact header bytes (the body's associated data).
    pub header_bytes: &'a [u8],
    /// The decoded header.
    pub header: Header,
    /// The wrapped content keys.
    pub recipients: Vec<WrappedKey<'a>>,
    /// The sealed body (ciphertext and tag).
    pub body: &'a [u8],
    /// The signer's certificate, DER.
    pub signer_cert: &'a [u8],
    /// The signature over the context string and `signed`.
    pub signature: &'a [u8],
}

impl<'a> ParsedEnvelope<'a> {
    /// Split an envelope into its parts and decode the header.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, EnvelopeError> {
        let (signed, header_bytes, recipients, body, signer_cert, signature) =
            split(bytes).map_err(EnvelopeError::Malformed)?;
        let header = Header::decode(header_bytes)?;
        Ok(Self {
            signed,
            header_bytes,
            header,
            recipients,
            body,
            signer_cert,
            signature,
        })
    }
}

type Parts<'a> = (
    &'a [u8],
    &'a [u8],
    Vec<WrappedKey<'a>>,
    &'a [u8],
    &'a [u8],
    &'a [u8],
);

fn split(bytes: &[u8]) -> Result<Parts<'_>, String> {
    {
        let mut outer = Reader::new(bytes);
        if outer.array_len()? != 3 {
            return Err("envelope is not an array of 3".into());
        }
        let (signed, signer_cert, signature) = (outer.bin()?, outer.bin()?, outer.bin()?);
        outer.end()?;
        let mut rd = Reader::new(signed);
        if rd.array_len()? != 3 {
            return Err("signed part is not an array of 3".into());
        }
        let header_bytes = rd.bin()?;
        let n = rd.array_len()?;
        let mut recipients = Vec::with_capacity(n.min(1024));
        for _ in 0..n {
            if rd.array_len()? != 4 {
                return Err("recipient is not an array of 4".into());
            }
            let r = WrappedKey {
                node_id: rd.str()?,
                key_id: rd.bin()?,
                enc: rd.bin()?,
                wrapped: rd.bin()?,
            };
            if r.key_id.len() != KEY_ID_LEN
                || r.enc.len() != 32
                || r.wrapped.len() != WRAPPED_KEY_LEN
            {
                return Err(format!(
                    "recipient {:?}: key id, enc or wrapped key has the wrong length",
                    r.node_id
                ));
            }
            recipients.push(r);
        }
        let body = rd.bin()?;
        rd.end()?;
        Ok((
            signed,
            header_bytes,
            recipients,
            body,
            signer_cert,
            signature,
        ))
    }
}

/// Encode the signed part from its pieces.
pub fn encode_signed(
    header_bytes: &[u8],
    recipients: &[WrappedKey<'_>],
    body: &[u8],
) -> Result<Vec<u8>, EnvelopeError> {
    rmp_serde::to_vec(&SignedRef(header_bytes, recipients.to_vec(), body))
        .map_err(|e| EnvelopeError::Seal(e.to_string()))
}

/// Encode the envelope from the signed part, the signer's certificate and the signature.
pub fn encode_envelope(
    signed: &[u8],
    signer_cert: &[u8],
    signature: &[u8],
) -> Result<Vec<u8>, EnvelopeError> {
    #[derive(Serialize)]
    struct Outer<'a>(
        #[serde(with = "serde_bytes")] &'a [u8],
        #[serde(with = "serde_bytes")] &'a [u8],
        #[serde(with = "serde_bytes")] &'a [u8],
    );
    rmp_serde::to_vec(&Outer(signed, signer_cert, signature))
        .map_err(|e| EnvelopeError::Seal(e.to_string()))
}
