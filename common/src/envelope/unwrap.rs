//! Unwrapping one content key: RFC 9180 HPKE, mode base, single-shot open, for the one
//! suite Cordon uses: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305.
//!
//! Senders wrap with the `hpke` crate. A recipient unwraps here for speed: it already
//! knows its public key (the `hpke` crate derives it again on every open, a base-point
//! multiplication) and it uses the faster X25519 of [`super::x25519`]. The schedule is
//! RFC 9180 sections 4, 4.1 and 5.1 with empty PSK and PSK id; it is checked against the
//! RFC's test vector A.2.1 and against the `hpke` crate on random keys.

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305};
use ring::hmac;
use zeroize::Zeroize;

use super::x25519::x25519;
use super::{EnvelopeError, CONTENT_KEY_LEN, WRAPPED_KEY_LEN};

/// `suite_id` of the KEM: "KEM" || I2OSP(0x0020, 2).
const KEM_SUITE: &[u8] = b"KEM\x00\x20";
/// `suite_id` of HPKE: "HPKE" || kem 0x0020 || kdf 0x0001 || aead 0x0003.
const HPKE_SUITE: &[u8] = b"HPKE\x00\x20\x00\x01\x00\x03";
const VERSION: &[u8] = b"HPKE-v1";
const MODE_BASE: u8 = 0;

/// `LabeledExtract(salt, label, ikm)` = HKDF-Extract = HMAC-SHA256(salt, labeled ikm).
/// An empty salt is HMAC's all-zero key, as HKDF says.
fn labeled_extract(suite: &[u8], salt: &[u8], label: &[u8], ikm: &[u8]) -> [u8; 32] {
    let mut ctx = hmac::Context::with_key(&hmac::Key::new(hmac::HMAC_SHA256, salt));
    for part in [VERSION, suite, label, ikm] {
        ctx.update(part);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.sign().as_ref());
    out
}

/// `LabeledExpand(prk, label, info, L)` for `L = out.len() <= 32`: one HKDF-Expand
/// block, `T(1) = HMAC-SHA256(prk, labeled info || 0x01)`.
fn labeled_expand(suite: &[u8], prk: &[u8; 32], label: &[u8], info: &[u8], out: &mut [u8]) {
    debug_assert!(out.len() <= 32);
    let len = u16::try_from(out.len()).unwrap_or(u16::MAX).to_be_bytes();
    let mut ctx = hmac::Context::with_key(&hmac::Key::new(hmac::HMAC_SHA256, prk));
    for part in [&len[..], VERSION, suite, label, info, &[1u8]] {
        ctx.update(part);
    }
    let tag = ctx.sign();
    let n = out.len();
    out.copy_from_slice(&tag.as_ref()[..n]);
}

/// DHKEM(X25519) Decap (RFC 9180 4.1) and the base-mode KeySchedule (5.1, empty psk and
/// psk_id): the AEAD key and base nonce of the context. An all-zero DH output means a
/// low-order `enc`: it is refused, as section 7.1.4 requires.
fn decap_and_schedule(
    secret: &[u8; 32],
    public: &[u8; 32],
    enc: &[u8; 32],
    info: &[u8],
) -> Result<([u8; 32], [u8; 12]), EnvelopeError> {
    let mut dh = x25519(*secret, enc);
    if dh == [0u8; 32] {
        return Err(EnvelopeError::KeyUnwrap);
    }
    let mut kem_context = [0u8; 64];
    kem_context[..32].copy_from_slice(enc);
    kem_context[32..].copy_from_slice(public);
    let mut eae_prk = labeled_extract(KEM_SUITE, b"", b"eae_prk", &dh);
    let mut shared = [0u8; 32];
    labeled_expand(
        KEM_SUITE,
        &eae_prk,
        b"shared_secret",
        &kem_context,
        &mut shared,
    );
    dh.zeroize();
    eae_prk.zeroize();

    let mut context = [0u8; 65];
    context[0] = MODE_BASE;
    context[1..33].copy_from_slice(&labeled_extract(HPKE_SUITE, b"", b"psk_id_hash", b""));
    context[33..].copy_from_slice(&labeled_extract(HPKE_SUITE, b"", b"info_hash", info));
    let mut secret_prk = labeled_extract(HPKE_SUITE, &shared, b"secret", b"");
    shared.zeroize();
    let (mut key, mut nonce) = ([0u8; 32], [0u8; 12]);
    labeled_expand(HPKE_SUITE, &secret_prk, b"key", &context, &mut key);
    labeled_expand(HPKE_SUITE, &secret_prk, b"base_nonce", &context, &mut nonce);
    secret_prk.zeroize();
    Ok((key, nonce))
}

/// Open `wrapped` (the HPKE ciphertext of a content key) with the recipient's `secret`
/// and `public` X25519 keys, the sender's encapsulated key `enc`, and `info` and `aad`
/// as the sender used them.
pub(super) fn unwrap_key(
    secret: &[u8; 32],
    public: &[u8; 32],
    enc: &[u8],
    info: &[u8],
    aad: &[u8],
    wrapped: &[u8],
) -> Result<[u8; CONTENT_KEY_LEN], EnvelopeError> {
    let enc: &[u8; 32] = enc.try_into().map_err(|_| EnvelopeError::KeyUnwrap)?;
    if wrapped.len() != WRAPPED_KEY_LEN {
        return Err(EnvelopeError::KeyUnwrap);
    }
    let (mut key, nonce) = decap_and_schedule(secret, public, enc, info)?;

    // The first (and only) message of the context: sequence number 0, nonce = base_nonce.
    let aead = UnboundKey::new(&CHACHA20_POLY1305, &key).map(LessSafeKey::new);
    key.zeroize();
    let aead = aead.map_err(|_| EnvelopeError::KeyUnwrap)?;
    let mut buf = [0u8; WRAPPED_KEY_LEN];
    buf.copy_from_slice(wrapped);
    let opened = aead
        .open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            &mut buf,
        )
        .map_err(|_| EnvelopeError::KeyUnwrap)?;
    let mut content_key = [0u8; CONTENT_KEY_LEN];
    content_key.copy_from_slice(opened);
    buf.zeroize();
    Ok(content_key)
}

#[cfg(test)]
mod tests {
    use hpke::aead::ChaCha20Poly1305 as HpkeChaCha;
    use hpke::kdf::HkdfSha256;
    use hpke::kem::X25519HkdfSha256;
    use hpke::{Deserializable, Kem, OpModeS, Serializable};

    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap_or_default()
    }

    fn arr(s: &str) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(&unhex(s));
        out
    }

    /// RFC 9180 A.2.1: the key and nonce of the base setup, and its first encryption.
    #[test]
    fn rfc9180_a_2_1_key_schedule() {
        let sk_r = arr("8057991eef8f1f1af18f4a9491d16a1ce333f695d4db8e38da75975c4478e0fb");
        let pk_r = arr("4310ee97d88cc1f088a5576c77ab0cf5c3ac797f3d95139c6c84b5429c59662a");
        let enc = arr("1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a");
        let info = unhex("4f6465206f6e2061204772656369616e2055726e");
        // The RFC's first encryption (sequence number 0): a 29-byte plaintext, so it
        // goes through the AEAD by hand here rather than through `unwrap_key`, which
        // takes only 32-byte content keys.
        let pt = unhex("4265617574792069732074727574682c20747275746820626561757479");
        let aad = unhex("436f756e742d30");
        let ct = unhex(concat!(
            "1c5250d8034ec2b784ba2cfd69dbdb8af406cfe3ff938e131f0def8c8b60b4db",
            "21993c62ce81883d2dd1b51a28"
        ));

        let (key, nonce) = decap_and_schedule(&sk_r, &pk_r, &enc, &info).unwrap();
        assert_eq!(
            hex::encode(key),
            "ad2744de8e17f4ebba575b3f5f5a8fa1f69c2a07f6e7500bc60ca6e3e3ec1c91"
        );
        assert_eq!(hex::encode(nonce), "5c4d98150661b848853b547f");

        let aead = LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, &key).unwrap());
        let mut buf = ct.clone();
        let opened = aead
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(&aad),
                &mut buf,
            )
            .unwrap();
        assert_eq!(opened, &pt[..]);
    }

    fn hpke_wrap(public: &[u8; 32], info: &[u8], aad: &[u8], key: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let pk = <X25519HkdfSha256 as Kem>::PublicKey::from_bytes(public).unwrap();
        let mut rng = crate::envelope::SealRng::from_os().unwrap();
        let (enc, ct) =
            hpke::single_shot_seal_with_rng::<HpkeChaCha, HkdfSha256, X25519HkdfSha256>(
                &OpModeS::Base,
                &pk,
                info,
                key,
                aad,
                &mut rng,
            )
            .unwrap();
        (enc.to_bytes().to_vec(), ct)
    }

    fn keypair(n: u8) -> ([u8; 32], [u8; 32]) {
        let (sk, pk) = X25519HkdfSha256::derive_keypair(&[n; 32]);
        let (mut s, mut p) = ([0u8; 32], [0u8; 32]);
        s.copy_from_slice(&sk.to_bytes());
        p.copy_from_slice(&pk.to_bytes());
        (s, p)
    }

    #[test]
    fn opens_what_the_hpke_crate_wraps() {
        for n in 0..50u8 {
            let (secret, public) = keypair(n);
            let content_key = [n ^ 0x5a; 32];
            let aad = [b"message-id", &[n][..]].concat();
            let (enc, wrapped) = hpke_wrap(&public, b"cordon/1 content-key", &aad, &content_key);
            let got = unwrap_key(
                &secret,
                &public,
                &enc,
                b"cordon/1 content-key",
                &aad,
                &wrapped,
            );
            assert_eq!(got.ok(), Some(content_key), "key pair #{n}");
        }
    }

    #[test]
    fn refuses_a_wrong_key_info_aad_enc_or_ciphertext() {
        let (secret, public) = keypair(1);
        let (other_secret, other_public) = keypair(2);
        let (enc, wrapped) = hpke_wrap(&public, b"info", b"aad", &[7u8; 32]);
        assert!(unwrap_key(&secret, &public, &enc, b"info", b"aad", &wrapped).is_ok());

        let mut bad_enc = enc.clone();
        bad_enc[3] ^= 1;
        let mut bad_ct = wrapped.clone();
        bad_ct[40] ^= 1;
        // (what is wrong, secret, public, enc, info, aad, wrapped)
        type Case<'a> = (
            &'a str,
            &'a [u8; 32],
            &'a [u8; 32],
            &'a [u8],
            &'a [u8],
            &'a [u8],
            &'a [u8],
        );
        let cases: [Case<'_>; 9] = [
            (
                "another key pair",
                &other_secret,
                &other_public,
                &enc,
                b"info",
                b"aad",
                &wrapped,
            ),
            // The right secret with the wrong public key changes the KEM context.
            (
                "wrong public key",
                &secret,
                &other_public,
                &enc,
                b"info",
                b"aad",
                &wrapped,
            ),
            (
                "wrong info",
                &secret,
                &public,
                &enc,
                b"other",
                b"aad",
                &wrapped,
            ),
            (
                "wrong aad",
                &secret,
                &public,
                &enc,
                b"info",
                b"other",
                &wrapped,
            ),
            (
                "altered enc",
                &secret,
                &public,
                &bad_enc,
                b"info",
                b"aad",
                &wrapped,
            ),
            (
                "short enc",
                &secret,
                &public,
                &enc[..31],
                b"info",
                b"aad",
                &wrapped,
            ),
            (
                "altered ciphertext",
                &secret,
                &public,
                &enc,
                b"info",
                b"aad",
                &bad_ct,
            ),
            (
                "short ciphertext",
                &secret,
                &public,
                &enc,
                b"info",
                b"aad",
                &wrapped[..47],
            ),
            // A low-order enc gives an all-zero DH output.
            (
                "low-order enc",
                &secret,
                &public,
                &[0u8; 32],
                b"info",
                b"aad",
                &wrapped,
            ),
        ];
        for (what, secret, public, enc, info, aad, wrapped) in cases {
            let got = unwrap_key(secret, public, enc, info, aad, wrapped);
            assert!(
                matches!(got, Err(EnvelopeError::KeyUnwrap)),
                "{what}: {got:?}"
            );
        }
    }
}
