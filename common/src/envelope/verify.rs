//! Verification: by a recipient (full chain and revocation) and by the hub (against the
//! authenticated TLS peer).

use super::header::HeaderLimits;
use super::layout::ParsedEnvelope;
use super::{EnvelopeError, SIGNATURE_CONTEXT};
use crate::identity::NodeIdentity;
use crate::ids::Fingerprint;
use crate::pki::TrustStore;

/// An envelope whose header, signer and signature have been checked.
#[derive(Debug, Clone)]
pub struct VerifiedEnvelope<'a> {
    /// The envelope.
    pub envelope: ParsedEnvelope<'a>,
    /// Who signed it, from a certificate that chains to the federation root.
    pub signer: NodeIdentity,
}

/// Recipient-side verification at `now_ms`: header sanity and expiry, the embedded signer
/// certificate matches the header, chains to the root, is valid and not revoked, and the
/// signature holds.
pub fn verify<'a>(
    envelope: ParsedEnvelope<'a>,
    trust: &TrustStore,
    now_ms: u64,
    limits: &HeaderLimits,
) -> Result<VerifiedEnvelope<'a>, EnvelopeError> {
    let h = &envelope.header;
    h.check(now_ms, limits)?;
    if Fingerprint::of_der(envelope.signer_cert) != h.sender_fp {
        return Err(EnvelopeError::SignerCertMismatch);
    }
    let signer = trust
        .verify_node_cert(envelope.signer_cert, now_ms / 1000)
        .map_err(EnvelopeError::UntrustedSigner)?;
    if signer.node_id != h.sender {
        return Err(EnvelopeError::SenderMismatch {
            cert: signer.node_id.to_string(),
            header: h.sender.to_string(),
        });
    }
    if !signer.public_key.verify_with_context(
        SIGNATURE_CONTEXT,
        envelope.signed,
        envelope.signature,
    ) {
        return Err(EnvelopeError::BadSignature);
    }
    Ok(VerifiedEnvelope { envelope, signer })
}

/// Hub-side verification: the header names the authenticated TLS peer (`peer`, whose
/// certificate the handshake already checked, `peer_cert` its DER), the embedded
/// certificate is the peer's, the header is sane at `now_ms`, and the signature holds.
pub fn verify_from_peer(
    envelope: &ParsedEnvelope<'_>,
    peer: &NodeIdentity,
    peer_cert: &[u8],
    now_ms: u64,
    limits: &HeaderLimits,
) -> Result<(), EnvelopeError> {
    let h = &envelope.header;
    if h.sender != peer.node_id {
        return Err(EnvelopeError::SenderNotPeer {
            header: h.sender.to_string(),
            peer: peer.node_id.to_string(),
        });
    }
    if h.sender_fp != peer.fingerprint || envelope.signer_cert != peer_cert {
        return Err(EnvelopeError::SignerCertMismatch);
    }
    h.check(now_ms, limits)?;
    if !peer
        .public_key
        .verify_with_context(SIGNATURE_CONTEXT, envelope.signed, envelope.signature)
    {
        return Err(EnvelopeError::BadSignature);
    }
    Ok(())
}
