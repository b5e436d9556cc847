//! PKCS#8 as OpenSSL writes it. ring generates Ed25519 keys as PKCS#8 v2 (RFC 5958:
//! version 1 with the public key in `[1]`), which OpenSSL 3 and Python's `cryptography`
//! refuse; written keys are re-encoded as PKCS#8 v1 (RFC 5208: version 0, no public key),
//! which every tool reads. Reading accepts both.

/// The DER of a PKCS#8 v2 Ed25519 key as ring writes it, up to the seed:
/// `SEQUENCE(81) { INTEGER 1, SEQUENCE { OID 1.3.101.112 }, OCTET STRING { OCTET STRING(32)`.
const V2_PREFIX: [u8; 16] = [
    0x30, 0x51, 0x02, 0x01, 0x01, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];
/// After the 32-byte seed: `[1] IMPLICIT BIT STRING(33)` with 0 unused bits, then the
/// public key.
const V2_PUBLIC_KEY_PREFIX: [u8; 3] = [0x81, 0x21, 0x00];
/// The same key in v1: `SEQUENCE(46) { INTEGER 0, ... }`, then the seed.
const V1_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];
const SEED: usize = 32;

/// `der` as PKCS#8 v1 if it is an Ed25519 PKCS#8 v2 key in ring's layout; `None` for
/// anything else (already v1, or another algorithm, which ring writes as v1).
pub(crate) fn ed25519_v2_to_v1(der: &[u8]) -> Option<Vec<u8>> {
    let seed_end = V2_PREFIX.len() + SEED;
    let well_formed = der.len() == seed_end + V2_PUBLIC_KEY_PREFIX.len() + SEED
        && der.starts_with(&V2_PREFIX)
        && der.get(seed_end..seed_end + V2_PUBLIC_KEY_PREFIX.len()) == Some(&V2_PUBLIC_KEY_PREFIX);
    if !well_formed {
        return None;
    }
    let mut v1 = Vec::with_capacity(V1_PREFIX.len() + SEED);
    v1.extend_from_slice(&V1_PREFIX);
    v1.extend_from_slice(der.get(V2_PREFIX.len()..seed_end)?);
    Some(v1)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use ring::signature::{Ed25519KeyPair, KeyPair};

    use super::*;

    #[test]
    fn a_v2_key_becomes_the_same_key_in_v1() {
        let v2 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
        let v1 = ed25519_v2_to_v1(v2.as_ref()).unwrap();
        assert_eq!(v1.len(), 48);
        assert_eq!(v1[4], 0, "version 0");
        let a = Ed25519KeyPair::from_pkcs8(v2.as_ref()).unwrap();
        let b = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&v1).unwrap();
        assert_eq!(a.public_key().as_ref(), b.public_key().as_ref());
        // Identity keys load from both.
        crate::pki::IdentityKey::from_pkcs8_der(v2.as_ref()).unwrap();
        crate::pki::IdentityKey::from_pkcs8_der(&v1).unwrap();
        // v1 is left alone.
        assert_eq!(ed25519_v2_to_v1(&v1), None);
    }
}
