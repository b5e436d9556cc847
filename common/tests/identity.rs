//! Identity from certificates: every field the profile needs, each missing or malformed
//! field its own error; chain checks with clientAuth.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use cordon_common::identity::{IdentityError, KeyAlgorithm, NodeIdentity};
use cordon_common::ids::Role;
use cordon_common::pki::{Ca, HubCertRequest, TrustError, Validity};
use cordon_common::testkit::{now_ms, Kit};
use rcgen::{
    CertificateParams, DnType, ExtendedKeyUsagePurpose, Issuer, KeyPair, SanType,
    PKCS_ECDSA_P256_SHA256, PKCS_ECDSA_P384_SHA384, PKCS_ED25519,
};

struct Profile {
    uris: Vec<&'static str>,
    ou: Vec<&'static str>,
    o: Option<&'static str>,
    c: Option<&'static str>,
    alg: &'static rcgen::SignatureAlgorithm,
    eku: Vec<ExtendedKeyUsagePurpose>,
}

fn good() -> Profile {
    Profile {
        uris: vec!["cordon://node/BE-NCP"],
        ou: vec!["member"],
        o: Some("Belgian Customs"),
        c: Some("BE"),
        alg: &PKCS_ED25519,
        eku: vec![ExtendedKeyUsagePurpose::ClientAuth],
    }
}

fn make(p: Profile) -> Vec<u8> {
    make_chain(p).1
}

/// A root (DER) and a certificate with profile `p` issued by it (DER).
fn make_chain(p: Profile) -> (Vec<u8>, Vec<u8>) {
    let ca_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let mut ca_params = CertificateParams::default();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let root = ca_params
        .clone()
        .self_signed(&ca_key)
        .unwrap()
        .der()
        .to_vec();
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate_for(p.alg).unwrap();
    let mut params = CertificateParams::default();
    params.subject_alt_names = p
        .uris
        .iter()
        .map(|u| SanType::URI(u.to_string().try_into().unwrap()))
        .collect();
    params.distinguished_name = rcgen::DistinguishedName::new();
    for ou in p.ou {
        params
            .distinguished_name
            .push(DnType::OrganizationalUnitName, ou);
    }
    if let Some(o) = p.o {
        params.distinguished_name.push(DnType::OrganizationName, o);
    }
    if let Some(c) = p.c {
        params.distinguished_name.push(DnType::CountryName, c);
    }
    params.extended_key_usages = p.eku;
    (
        root,
        params.signed_by(&key, &issuer).unwrap().der().to_vec(),
    )
}

#[test]
fn a_profile_certificate_yields_its_identity() {
    let id = NodeIdentity::from_der(&make(good())).unwrap();
    assert_eq!(id.node_id.as_str(), "BE-NCP");
    assert_eq!(id.role, Role::Member);
    assert_eq!(id.organisation, "Belgian Customs");
    assert_eq!(id.country.as_deref(), Some("BE"));
    assert_eq!(id.public_key.algorithm, KeyAlgorithm::Ed25519);
    let p256 = NodeIdentity::from_der(&make(Profile {
        alg: &PKCS_ECDSA_P256_SHA256,
        c: None,
        ..good()
    }))
    .unwrap();
    assert_eq!(p256.public_key.algorithm, KeyAlgorithm::EcdsaP256);
    assert_eq!(p256.country, None);
}

#[test]
fn each_missing_or_malformed_field_has_its_own_error() {
    let cases: Vec<(Profile, IdentityError)> = vec![
        (
            Profile {
                uris: vec![],
                ..good()
            },
            IdentityError::MissingNodeUri,
        ),
        (
            Profile {
                uris: vec!["https://example.org/x"],
                ..good()
            },
            IdentityError::MissingNodeUri,
        ),
        (
            Profile {
                uris: vec!["cordon://node/BE-NCP", "cordon://node/NL-NCP"],
                ..good()
            },
            IdentityError::MultipleNodeUris,
        ),
        (
            Profile {
                uris: vec!["cordon://node/be ncp"],
                ..good()
            },
            IdentityError::BadNodeId("be ncp".into()),
        ),
        (
            Profile {
                ou: vec![],
                ..good()
            },
            IdentityError::MissingRole,
        ),
        (
            Profile {
                ou: vec!["admin"],
                ..good()
            },
            IdentityError::BadRole("admin".into()),
        ),
        (
            Profile { o: None, ..good() },
            IdentityError::MissingOrganisation,
        ),
        (
            Profile {
                c: Some("Belgium"),
                ..good()
            },
            IdentityError::BadCountry("Belgium".into()),
        ),
        (
            Profile {
                eku: vec![],
                ..good()
            },
            IdentityError::NoClientAuth { eku_present: false },
        ),
        (
            Profile {
                eku: vec![ExtendedKeyUsagePurpose::ServerAuth],
                ..good()
            },
            IdentityError::NoClientAuth { eku_present: true },
        ),
    ];
    for (profile, want) in cases {
        assert_eq!(
            NodeIdentity::from_der(&make(profile)),
            Err(want.clone()),
            "{want}"
        );
    }
    let p384 = NodeIdentity::from_der(&make(Profile {
        alg: &PKCS_ECDSA_P384_SHA384,
        ..good()
    }));
    assert!(
        matches!(p384, Err(IdentityError::UnsupportedKey(_))),
        "{p384:?}"
    );
    assert!(matches!(
        NodeIdentity::from_der(b"not a certificate"),
        Err(IdentityError::Malformed(_))
    ));
}

#[test]
fn trust_store_requires_client_auth_and_the_profile() {
    let kit = Kit::new(KeyAlgorithm::EcdsaP256).unwrap();
    let trust = kit.trust(&[]).unwrap();
    let node = kit
        .node("NL-NCP", Role::Member, KeyAlgorithm::EcdsaP256)
        .unwrap();
    let id = trust
        .verify_node_cert(&node.cert_der, now_ms() / 1000)
        .unwrap();
    assert_eq!(id.node_id.as_str(), "NL-NCP");
    assert_eq!(id.country.as_deref(), Some("NL"));
    // A hub certificate (serverAuth only) is not a node.
    let hub = kit
        .ca
        .issue_hub(&HubCertRequest {
            dns_names: vec!["hub.cordon.test".into()],
            ips: vec![],
            organisation: "Secretariat".into(),
            algorithm: KeyAlgorithm::Ed25519,
            validity: Validity::days_from_now(30),
        })
        .unwrap();
    assert_eq!(
        trust.verify_node_cert(&hub.cert_der, now_ms() / 1000),
        Err(TrustError::WrongUsage)
    );
    // Not valid yet.
    assert_eq!(
        trust.verify_node_cert(&node.cert_der, 1_000_000_000),
        Err(TrustError::NotYetValid)
    );
}

/// webpki's `KeyUsage::client_auth()` accepts a certificate with no extended key usage
/// extension at all; a recipient checking an envelope's signer must not.
#[test]
fn trust_store_refuses_a_signer_without_extended_key_usage() {
    let (root, with) = make_chain(good());
    let trust = cordon_common::pki::TrustStore::new(vec![root.into()], vec![]).unwrap();
    let now = now_ms() / 1000;
    assert_eq!(
        trust.verify_node_cert(&with, now).unwrap().node_id.as_str(),
        "BE-NCP"
    );
    let (root, without) = make_chain(Profile {
        eku: vec![],
        ..good()
    });
    let trust = cordon_common::pki::TrustStore::new(vec![root.into()], vec![]).unwrap();
    assert_eq!(
        trust.verify_node_cert(&without, now),
        Err(TrustError::Identity(IdentityError::NoClientAuth {
            eku_present: false
        }))
    );
}

#[test]
fn ca_reloads_from_pem_and_issues_under_the_same_root() {
    let (ca, key_pem) = Ca::init(
        "Root",
        "Secretariat",
        KeyAlgorithm::Ed25519,
        Validity::days_from_now(10),
    )
    .unwrap();
    let again = Ca::from_pem(ca.cert_pem(), &key_pem).unwrap();
    assert_eq!(again.cert_der(), ca.cert_der());
    let kit = Kit { ca: again };
    let node = kit
        .node("HU-NCP", Role::Member, KeyAlgorithm::Ed25519)
        .unwrap();
    let trust = cordon_common::pki::TrustStore::new(vec![ca.cert_der().clone()], vec![]).unwrap();
    assert!(trust
        .verify_node_cert(&node.cert_der, now_ms() / 1000)
        .is_ok());
}
