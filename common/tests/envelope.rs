//! Envelope: seal, verify and open for real, and every tamper refused.
//!
//! One signature covers the header, the wrapped keys and the ciphertext (DESIGN.md: sign
//! the exact bytes), so any edit by an outsider is `BadSignature`, whichever part it
//! touched. The layer beneath is tested too: the same edit re-signed by the genuine sender
//! is caught by the HPKE binding (`KeyUnwrap`) or the body's AEAD (`BodyDecrypt`). A
//! substituted certificate (`SignerCertMismatch`), a bundle signed by another node
//! (`BundleSignature`) and untrusted signers (`UntrustedSigner(..)`) have their own
//! variants. docs/SECURITY.md says why one signature, not one per part.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use cordon_common::envelope::{
    check_signer, encode_envelope, encode_signed, open, seal, verify, verify_batch,
    verify_from_peer, EnvelopeError, HeaderLimits, KeyBundle, ParsedEnvelope, RecipientKey,
    SealRng, WrappedKey, SIGNATURE_CONTEXT,
};
use cordon_common::identity::KeyAlgorithm;
use cordon_common::ids::Role;
use cordon_common::msg::MessageKind;
use cordon_common::pki::{TrustError, Validity};
use cordon_common::testkit::{now_ms, Kit, KitNode};

const BODY: &[u8] = b"an alert about container CSQU3054383";

fn kit_and_nodes(n: usize, alg: KeyAlgorithm) -> (Kit, Vec<KitNode>) {
    let kit = Kit::new(KeyAlgorithm::Ed25519).unwrap();
    let nodes = (0..n)
        .map(|i| {
            kit.node(&format!("N{i:03}-NCP"), Role::Member, alg)
                .unwrap()
        })
        .collect();
    (kit, nodes)
}

fn seal_from(sender: &KitNode, to: &[&KitNode], body: &[u8]) -> Vec<u8> {
    let header = sender
        .header(
            MessageKind::Alert,
            "cosmo-2",
            &["op/cosmo-2/alerts"],
            now_ms(),
        )
        .unwrap();
    let recips: Vec<RecipientKey> = to.iter().map(|n| n.recipient()).collect();
    seal(
        &header,
        body,
        &recips,
        &sender.key,
        &sender.cert_der,
        &mut SealRng::from_os().unwrap(),
    )
    .unwrap()
}

fn round_trip(n: usize, alg: KeyAlgorithm) {
    let (kit, nodes) = kit_and_nodes(n, alg);
    let trust = kit.trust(&[]).unwrap();
    let refs: Vec<&KitNode> = nodes.iter().collect();
    let bytes = seal_from(&nodes[0], &refs, BODY);
    for node in &nodes {
        let parsed = ParsedEnvelope::parse(&bytes).unwrap();
        let v = verify(parsed, &trust, now_ms(), &HeaderLimits::default()).unwrap();
        assert_eq!(v.signer.node_id, nodes[0].identity.node_id);
        assert_eq!(open(&v, &node.identity.node_id, &node.kem).unwrap(), BODY);
    }
}

#[test]
fn round_trip_1_10_200_recipients_both_key_types() {
    for alg in [KeyAlgorithm::Ed25519, KeyAlgorithm::EcdsaP256] {
        round_trip(1, alg);
        round_trip(10, alg);
    }
    round_trip(200, KeyAlgorithm::Ed25519);
    round_trip(200, KeyAlgorithm::EcdsaP256);
}

struct Setup {
    kit: Kit,
    alice: KitNode,
    bob: KitNode,
    eve: KitNode,
    bytes: Vec<u8>,
}

fn setup() -> Setup {
    let kit = Kit::new(KeyAlgorithm::Ed25519).unwrap();
    let alice = kit
        .node("RILO-WE", Role::Rilo, KeyAlgorithm::Ed25519)
        .unwrap();
    let bob = kit
        .node("BE-NCP", Role::Member, KeyAlgorithm::EcdsaP256)
        .unwrap();
    let eve = kit
        .node("XX-NCP", Role::Member, KeyAlgorithm::Ed25519)
        .unwrap();
    let bytes = seal_from(&alice, &[&alice, &bob], BODY);
    Setup {
        kit,
        alice,
        bob,
        eve,
        bytes,
    }
}

fn verify_bytes(s: &Setup, bytes: &[u8]) -> Result<Vec<u8>, EnvelopeError> {
    let trust = s.kit.trust(&[]).unwrap();
    let parsed = ParsedEnvelope::parse(bytes)?;
    let v = verify(parsed, &trust, now_ms(), &HeaderLimits::default())?;
    open(&v, &s.bob.identity.node_id, &s.bob.kem)
}

/// Re-assemble an envelope with the signed part's pieces replaced and signed by `signer`.
fn resign(
    s: &Setup,
    signer: &KitNode,
    edit: impl FnOnce(&mut Vec<u8>, &mut Vec<(String, Vec<u8>, Vec<u8>, Vec<u8>)>, &mut Vec<u8>),
) -> Vec<u8> {
    let p = ParsedEnvelope::parse(&s.bytes).unwrap();
    let mut header = p.header_bytes.to_vec();
    let mut recips: Vec<_> = p
        .recipients
        .iter()
        .map(|r| {
            (
                r.node_id.to_owned(),
                r.key_id.to_vec(),
                r.enc.to_vec(),
                r.wrapped.to_vec(),
            )
        })
        .collect();
    let mut body = p.body.to_vec();
    edit(&mut header, &mut recips, &mut body);
    let refs: Vec<WrappedKey<'_>> = recips
        .iter()
        .map(|(n, k, e, w)| WrappedKey {
            node_id: n,
            key_id: k,
            enc: e,
            wrapped: w,
        })
        .collect();
    let signed = encode_signed(&header, &refs, &body).unwrap();
    let sig = signer.key.sign(SIGNATURE_CONTEXT, &signed).unwrap();
    encode_envelope(&signed, &signer.cert_der, &sig).unwrap()
}

fn flip_inside(bytes: &[u8], needle: &[u8]) -> Vec<u8> {
    let pos = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap();
    let mut out = bytes.to_vec();
    out[pos + needle.len() / 2] ^= 0x01;
    out
}

#[test]
fn intact_envelope_opens() {
    let s = setup();
    assert_eq!(verify_bytes(&s, &s.bytes).unwrap(), BODY);
}

#[test]
fn tampered_header_byte_is_refused() {
    let s = setup();
    let p = ParsedEnvelope::parse(&s.bytes).unwrap();
    // Flip a byte inside the message id: still a well-formed header, no longer signed.
    let tampered = flip_inside(&s.bytes, p.header.id.as_bytes());
    assert_eq!(
        verify_bytes(&s, &tampered),
        Err(EnvelopeError::BadSignature)
    );
    // The same edit signed by the sender is caught by the body's associated data.
    let id = *p.header.id.as_bytes();
    let resigned = resign(&s, &s.alice, |h, _, _| *h = flip_inside(h, &id));
    assert_eq!(verify_bytes(&s, &resigned), Err(EnvelopeError::KeyUnwrap));
}

#[test]
fn tampered_wrapped_key_is_refused() {
    let s = setup();
    let p = ParsedEnvelope::parse(&s.bytes).unwrap();
    let bob_entry = p.recipients.iter().find(|r| r.node_id == "BE-NCP").unwrap();
    let tampered = flip_inside(&s.bytes, bob_entry.wrapped);
    assert_eq!(
        verify_bytes(&s, &tampered),
        Err(EnvelopeError::BadSignature)
    );
    let resigned = resign(&s, &s.alice, |_, r, _| {
        let e = r.iter_mut().find(|e| e.0 == "BE-NCP").unwrap();
        e.3[5] ^= 0x80;
    });
    assert_eq!(verify_bytes(&s, &resigned), Err(EnvelopeError::KeyUnwrap));
}

#[test]
fn tampered_ciphertext_is_refused() {
    let s = setup();
    let p = ParsedEnvelope::parse(&s.bytes).unwrap();
    let tampered = flip_inside(&s.bytes, p.body);
    assert_eq!(
        verify_bytes(&s, &tampered),
        Err(EnvelopeError::BadSignature)
    );
    let resigned = resign(&s, &s.alice, |_, _, b| b[3] ^= 0x01);
    assert_eq!(verify_bytes(&s, &resigned), Err(EnvelopeError::BodyDecrypt));
}

#[test]
fn tampered_signature_is_refused() {
    let s = setup();
    let p = ParsedEnvelope::parse(&s.bytes).unwrap();
    let tampered = flip_inside(&s.bytes, p.signature);
    assert_eq!(
        verify_bytes(&s, &tampered),
        Err(EnvelopeError::BadSignature)
    );
}

#[test]
fn substituted_signer_certificate_is_refused() {
    let s = setup();
    let p = ParsedEnvelope::parse(&s.bytes).unwrap();
    // Eve's certificate in place of Alice's: the header's fingerprint no longer matches.
    let swapped = encode_envelope(p.signed, &s.eve.cert_der, p.signature).unwrap();
    assert_eq!(
        verify_bytes(&s, &swapped),
        Err(EnvelopeError::SignerCertMismatch)
    );
    // Eve signs a header that claims Alice as sender but carries Eve's fingerprint.
    let eve_fp = s.eve.identity.fingerprint.0;
    let alice_fp = s.alice.identity.fingerprint.0;
    let forged = resign(&s, &s.eve, |h, _, _| {
        let pos = h.windows(32).position(|w| w == alice_fp).unwrap();
        h[pos..pos + 32].copy_from_slice(&eve_fp);
    });
    assert_eq!(
        verify_bytes(&s, &forged),
        Err(EnvelopeError::SenderMismatch {
            cert: "XX-NCP".into(),
            header: "RILO-WE".into()
        })
    );
}

#[test]
fn key_bundle_signed_by_someone_else_is_refused() {
    let s = setup();
    // Bob's bundle verified against Bob: fine.
    assert_eq!(
        s.bob.bundle.verify(&s.bob.identity).unwrap().public,
        *s.bob.kem.public()
    );
    // Eve signs a bundle that names Bob.
    let mut bob_as_eve = s.bob.identity.clone();
    bob_as_eve.public_key = s.eve.identity.public_key.clone();
    let forged = KeyBundle::sign(&bob_as_eve, &s.eve.key, &s.eve.kem, now_ms()).unwrap();
    assert_eq!(
        forged.verify(&s.bob.identity),
        Err(EnvelopeError::BundleSignature("BE-NCP".into()))
    );
    // Eve's own bundle presented as Bob's.
    assert!(matches!(
        s.eve.bundle.verify(&s.bob.identity),
        Err(EnvelopeError::BundleMismatch { .. })
    ));
    // Garbage.
    assert!(matches!(
        KeyBundle::from_bytes(vec![0x93, 0x01]).verify(&s.bob.identity),
        Err(EnvelopeError::MalformedBundle(_))
    ));
}

#[test]
fn non_recipient_cannot_open() {
    let s = setup();
    let trust = s.kit.trust(&[]).unwrap();
    let v = verify(
        ParsedEnvelope::parse(&s.bytes).unwrap(),
        &trust,
        now_ms(),
        &HeaderLimits::default(),
    )
    .unwrap();
    assert_eq!(
        open(&v, &s.eve.identity.node_id, &s.eve.kem),
        Err(EnvelopeError::NotARecipient)
    );
    // Eve pretending to be Bob with her own X25519 key: wrong key id.
    assert!(matches!(
        open(&v, &s.bob.identity.node_id, &s.eve.kem),
        Err(EnvelopeError::UnknownKeyId(_))
    ));
}

#[test]
fn expired_message_is_refused() {
    let s = setup();
    let trust = s.kit.trust(&[]).unwrap();
    let p = ParsedEnvelope::parse(&s.bytes).unwrap();
    let later = p.header.expires_at + 1;
    assert!(matches!(
        verify(p, &trust, later, &HeaderLimits::default()),
        Err(EnvelopeError::Expired { .. })
    ));
}

#[test]
fn expired_revoked_and_foreign_signers_are_refused() {
    let s = setup();
    let yesterday = time::OffsetDateTime::now_utc() - time::Duration::days(1);
    let old = s
        .kit
        .node_with(
            "OLD-NCP",
            Role::Member,
            KeyAlgorithm::Ed25519,
            Validity {
                not_before: yesterday - time::Duration::days(30),
                not_after: yesterday,
            },
        )
        .unwrap();
    let expired = seal_from(&old, &[&s.bob], BODY);
    assert_eq!(
        verify_bytes(&s, &expired),
        Err(EnvelopeError::UntrustedSigner(TrustError::Expired))
    );

    let bytes = seal_from(&s.alice, &[&s.bob], BODY);
    let revoking = s.kit.trust(&[&s.alice]).unwrap();
    let r = verify(
        ParsedEnvelope::parse(&bytes).unwrap(),
        &revoking,
        now_ms(),
        &HeaderLimits::default(),
    );
    assert_eq!(
        r.unwrap_err(),
        EnvelopeError::UntrustedSigner(TrustError::Revoked)
    );

    // Another CA, with another name and with the very same name as ours (an impostor).
    for other in [
        Kit::named("Some Other Root", KeyAlgorithm::EcdsaP256).unwrap(),
        Kit::new(KeyAlgorithm::EcdsaP256).unwrap(),
        Kit::new(KeyAlgorithm::Ed25519).unwrap(),
    ] {
        let stranger = other
            .node("RILO-WE", Role::Rilo, KeyAlgorithm::Ed25519)
            .unwrap();
        let foreign = seal_from(&stranger, &[&s.bob], BODY);
        assert_eq!(
            verify_bytes(&s, &foreign),
            Err(EnvelopeError::UntrustedSigner(TrustError::UnknownIssuer))
        );
    }
}

#[test]
fn hub_side_verification_binds_sender_to_tls_peer() {
    let s = setup();
    let p = ParsedEnvelope::parse(&s.bytes).unwrap();
    let limits = HeaderLimits::default();
    verify_from_peer(&p, &s.alice.identity, &s.alice.cert_der, now_ms(), &limits).unwrap();
    assert_eq!(
        verify_from_peer(&p, &s.eve.identity, &s.eve.cert_der, now_ms(), &limits),
        Err(EnvelopeError::SenderNotPeer {
            header: "RILO-WE".into(),
            peer: "XX-NCP".into()
        })
    );
    let tampered = flip_inside(&s.bytes, p.body);
    let tp = ParsedEnvelope::parse(&tampered).unwrap();
    assert_eq!(
        verify_from_peer(&tp, &s.alice.identity, &s.alice.cert_der, now_ms(), &limits),
        Err(EnvelopeError::BadSignature)
    );
}

#[test]
fn garbage_and_truncations_are_malformed_not_panics() {
    let s = setup();
    for cut in [0, 1, 5, s.bytes.len() / 2, s.bytes.len() - 1] {
        assert!(
            ParsedEnvelope::parse(&s.bytes[..cut]).is_err(),
            "cut at {cut}"
        );
    }
    let mut trailing = s.bytes.clone();
    trailing.push(0);
    assert!(matches!(
        ParsedEnvelope::parse(&trailing),
        Err(EnvelopeError::Malformed(_))
    ));
}

/// Batch verification: Ed25519 and ECDSA signers mixed, one forged signature in the
/// batch. Each verdict is the one `verify` gives alone, in order.
#[test]
fn a_batch_refuses_exactly_the_forged_signatures_and_keeps_order() {
    let kit = Kit::new(KeyAlgorithm::Ed25519).unwrap();
    let ed = kit
        .node("ED-NCP", Role::Member, KeyAlgorithm::Ed25519)
        .unwrap();
    let ed2 = kit
        .node("ED2-NCP", Role::Member, KeyAlgorithm::Ed25519)
        .unwrap();
    let ec = kit
        .node("EC-NCP", Role::Member, KeyAlgorithm::EcdsaP256)
        .unwrap();
    let trust = kit.trust(&[]).unwrap();
    let limits = HeaderLimits::default();
    let now = now_ms();
    let forge = |mut env: Vec<u8>| {
        let n = env.len();
        env[n - 3] ^= 0x55;
        env
    };
    let envs = [
        seal_from(&ed, &[&ec], BODY),
        forge(seal_from(&ed, &[&ec], BODY)),
        seal_from(&ec, &[&ed], BODY),
        seal_from(&ed2, &[&ec], BODY),
        forge(seal_from(&ec, &[&ed], BODY)),
        seal_from(&ed, &[&ec], BODY),
    ];
    let expected = [true, false, true, true, false, true];
    for (env, ok) in envs.iter().zip(expected) {
        let alone = verify(ParsedEnvelope::parse(env).unwrap(), &trust, now, &limits);
        assert_eq!(alone.is_ok(), ok, "alone");
    }
    let checked = envs
        .iter()
        .map(|e| check_signer(ParsedEnvelope::parse(e).unwrap(), &trust, now, &limits).unwrap())
        .collect();
    let verdicts = verify_batch(checked);
    assert_eq!(verdicts.len(), envs.len());
    for (i, (v, ok)) in verdicts.iter().zip(expected).enumerate() {
        match v {
            Ok(v) => {
                assert!(ok, "envelope {i} accepted");
                assert_eq!(
                    v.envelope.signature,
                    ParsedEnvelope::parse(&envs[i]).unwrap().signature
                );
            }
            Err(e) => {
                assert!(!ok, "envelope {i} refused: {e}");
                assert!(matches!(e, EnvelopeError::BadSignature), "{e}");
            }
        }
    }
    // A batch of good Ed25519 signatures alone passes in one equation.
    let good: Vec<_> = [0, 3, 5]
        .iter()
        .map(|&i| {
            check_signer(
                ParsedEnvelope::parse(&envs[i]).unwrap(),
                &trust,
                now,
                &limits,
            )
            .unwrap()
        })
        .collect();
    assert!(verify_batch(good).iter().all(Result::is_ok));
}
