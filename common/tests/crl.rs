//! CRLs are checked against the federation root before they are put in force: signed by
//! the root of their issuer's name, or refused with their own error; the count is of
//! revoked certificates.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use cordon_common::identity::KeyAlgorithm;
use cordon_common::ids::Role;
use cordon_common::pki::{check_crl, TrustError, TrustStore};
use cordon_common::testkit::{now_ms, Kit, KitNode};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateRevocationListDer;

fn crl_of(kit: &Kit, revoked: &[&KitNode]) -> CertificateRevocationListDer<'static> {
    let pem = kit.crl_pem(revoked, 1).unwrap();
    CertificateRevocationListDer::from_pem_slice(pem.as_bytes()).unwrap()
}

#[test]
fn the_roots_own_crl_is_accepted_and_counts_revoked_certificates() {
    let kit = Kit::new(KeyAlgorithm::Ed25519).unwrap();
    let nl = kit
        .node("NL-NCP", Role::Member, KeyAlgorithm::Ed25519)
        .unwrap();
    let hu = kit
        .node("HU-NCP", Role::Member, KeyAlgorithm::Ed25519)
        .unwrap();
    let roots = vec![kit.ca.cert_der().clone()];
    let crl = crl_of(&kit, &[&nl, &hu]);
    assert_eq!(check_crl(&roots, &crl), Ok(2));
    let empty = crl_of(&kit, &[]);
    assert_eq!(check_crl(&roots, &empty), Ok(0));
    let trust = TrustStore::new(roots, vec![crl, empty]).unwrap();
    assert_eq!(trust.revoked_count(), 2, "certificates, not CRL files");
    assert_eq!(
        trust.verify_node_cert(&nl.cert_der, now_ms() / 1000),
        Err(TrustError::Revoked)
    );
}

#[test]
fn a_crl_from_another_ca_with_the_same_name_is_refused_for_its_signature() {
    let ours = Kit::new(KeyAlgorithm::Ed25519).unwrap();
    let impostor = Kit::new(KeyAlgorithm::Ed25519).unwrap();
    let roots = vec![ours.ca.cert_der().clone()];
    let forged = crl_of(&impostor, &[]);
    assert!(
        matches!(
            check_crl(&roots, &forged),
            Err(TrustError::CrlBadSignature(_))
        ),
        "{:?}",
        check_crl(&roots, &forged)
    );
    assert!(matches!(
        TrustStore::new(roots, vec![forged]),
        Err(TrustError::CrlBadSignature(_))
    ));
}

#[test]
fn a_crl_from_a_ca_that_is_not_a_root_is_refused_for_its_issuer() {
    let ours = Kit::new(KeyAlgorithm::EcdsaP256).unwrap();
    let other = Kit::named("Some Other Root", KeyAlgorithm::EcdsaP256).unwrap();
    let roots = vec![ours.ca.cert_der().clone()];
    let crl = crl_of(&other, &[]);
    assert!(
        matches!(check_crl(&roots, &crl), Err(TrustError::CrlUnknownIssuer(ref i)) if i.contains("Some Other Root")),
        "{:?}",
        check_crl(&roots, &crl)
    );
    // Both roots trusted (a CA migration): each CRL verifies under its own root.
    let both = vec![ours.ca.cert_der().clone(), other.ca.cert_der().clone()];
    assert_eq!(check_crl(&both, &crl), Ok(0));
    assert_eq!(check_crl(&both, &crl_of(&ours, &[])), Ok(0));
}

#[test]
fn an_altered_or_malformed_crl_is_refused() {
    let kit = Kit::new(KeyAlgorithm::Ed25519).unwrap();
    let roots = vec![kit.ca.cert_der().clone()];
    let mut crl = crl_of(&kit, &[]).to_vec();
    let last = crl.len() - 1;
    crl[last] ^= 0x01; // the signature's last byte
    assert!(matches!(
        check_crl(&roots, &crl),
        Err(TrustError::CrlBadSignature(_))
    ));
    assert!(matches!(
        check_crl(&roots, b"not a CRL"),
        Err(TrustError::BadCrl(_))
    ));
}
