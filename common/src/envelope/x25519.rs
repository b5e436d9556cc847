//! X25519 (RFC 7748) for the recipient's side of a key unwrap.
//!
//! The Montgomery ladder runs on one lane of serial field arithmetic. The same product
//! on the Edwards form uses curve25519-dalek's AVX2 backend where the CPU has one: about
//! 1.4x faster on the development machine (`docs/PERFORMANCE.md`), which matters when a
//! node opens 100,000 messages in a row. A u-coordinate with no Edwards point (one on the
//! quadratic twist, or u = -1) takes the ladder. Both give the RFC 7748 result; the
//! branch depends only on the public input.

use curve25519_dalek::montgomery::MontgomeryPoint;

/// `X25519(scalar, u)`: the scalar is clamped as RFC 7748 says.
pub(super) fn x25519(scalar: [u8; 32], u: &[u8; 32]) -> [u8; 32] {
    let point = MontgomeryPoint(*u);
    match point.to_edwards(0) {
        Some(edwards) => edwards.mul_clamped(scalar).to_montgomery().0,
        None => point.mul_clamped(scalar).0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ladder(scalar: [u8; 32], u: &[u8; 32]) -> [u8; 32] {
        MontgomeryPoint(*u).mul_clamped(scalar).0
    }

    fn unhex(s: &str) -> [u8; 32] {
        let mut out = [0u8; 32];
        let v = hex::decode(s).unwrap_or_default();
        out.copy_from_slice(&v);
        out
    }

    /// Deterministic bytes, different for each `n`.
    fn bytes(n: u32, tag: &[u8]) -> [u8; 32] {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        ctx.update(tag);
        ctx.update(&n.to_be_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(ctx.finish().as_ref());
        out
    }

    #[test]
    fn rfc7748_section_5_2_vectors() {
        let cases = [
            (
                "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
                "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
                "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552",
            ),
            (
                "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
                "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
                "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957",
            ),
        ];
        for (k, u, out) in cases {
            assert_eq!(x25519(unhex(k), &unhex(u)), unhex(out));
        }
    }

    #[test]
    fn rfc7748_diffie_hellman_vector() {
        let alice_sk = unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        let bob_pk = unhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
        let shared = unhex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
        assert_eq!(x25519(alice_sk, &bob_pk), shared);
    }

    #[test]
    fn agrees_with_the_ladder_on_curve_twist_and_edge_points() {
        let mut edwards_paths = 0;
        for n in 0..400 {
            let scalar = bytes(n, b"scalar");
            let u = bytes(n, b"u");
            if MontgomeryPoint(u).to_edwards(0).is_some() {
                edwards_paths += 1;
            }
            assert_eq!(x25519(scalar, &u), ladder(scalar, &u), "random u #{n}");
        }
        // About half of all u-coordinates are on the curve, half on the twist: both
        // paths ran.
        assert!(
            (100..300).contains(&edwards_paths),
            "{edwards_paths} of 400"
        );

        // 0, 1, -1 (p - 1), p (non-canonical 0), p + 1, the high bit set, and the
        // order-8 points of RFC 7748's low-order list.
        let edge = [
            "0000000000000000000000000000000000000000000000000000000000000000",
            "0100000000000000000000000000000000000000000000000000000000000000",
            "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "0900000000000000000000000000000000000000000000000000000000000080",
            "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
            "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
        ];
        for (i, u) in edge.iter().enumerate() {
            let scalar = bytes(i as u32, b"edge");
            assert_eq!(x25519(scalar, &unhex(u)), ladder(scalar, &unhex(u)), "{u}");
        }
    }
}
