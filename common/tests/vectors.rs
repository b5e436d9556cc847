//! The test vectors of docs/PROTOCOL.md §12 are read from that file and checked against
//! this implementation: the envelope verifies and opens, re-sealing with the same inputs
//! gives the same bytes, the key bundle verifies, and every frame encodes and decodes to
//! exactly the bytes printed.
//!
//! Regenerate (after a deliberate format change): `CORDON_WRITE_VECTORS=1 cargo test -p
//! cordon-common --test vectors`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use cordon_common::envelope::{
    open, seal, verify, Header, HeaderLimits, KemKeyPair, KeyBundle, ParsedEnvelope, RecipientKey,
    SealRng, PROTOCOL_VERSION,
};
use cordon_common::identity::NodeIdentity;
use cordon_common::ids::{Fingerprint, MessageId, Role};
use cordon_common::msg::{self, Message, MessageKind, Priority, Tlp};
use cordon_common::pki::{IdentityKey, TrustStore};
use cordon_common::roster::{
    Roster, RosterChannel, RosterOperation, Selector as RosterSelector, SignedRoster,
};
use cordon_common::wire::*;
use rcgen::{
    CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType, SerialNumber, PKCS_ED25519,
};
use rustls_pki_types::{CertificateDer, PrivatePkcs8KeyDer};

const CREATED_AT: u64 = 1_795_000_000_000; // 2026-11-19T...Z
const ED25519_PKCS8_PREFIX: &str = "302e020100300506032b657004220420";

fn protocol_md() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/PROTOCOL.md")
}

fn seed(label: &str) -> [u8; 32] {
    let d = ring::digest::digest(
        &ring::digest::SHA256,
        format!("cordon test vector {label}").as_bytes(),
    );
    d.as_ref().try_into().unwrap()
}

fn ed25519_pkcs8(label: &str) -> Vec<u8> {
    hex::decode(format!(
        "{ED25519_PKCS8_PREFIX}{}",
        hex::encode(seed(label))
    ))
    .unwrap()
}

/// Deterministic certificates: fixed keys, serials and validity.
fn make_certs() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let validity = (
        rcgen::date_time_ymd(2026, 1, 1),
        rcgen::date_time_ymd(2036, 1, 1),
    );
    let key = |label: &str| {
        KeyPair::from_pkcs8_der_and_sign_algo(
            &PrivatePkcs8KeyDer::from(ed25519_pkcs8(label)),
            &PKCS_ED25519,
        )
        .unwrap()
    };
    let mut root = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "Cordon Test Vector Root");
    dn.push(DnType::OrganizationName, "Test Secretariat");
    root.distinguished_name = dn;
    root.is_ca = IsCa::Ca(rcgen::BasicConstraints::Constrained(0));
    root.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    (root.not_before, root.not_after) = validity;
    root.serial_number = Some(SerialNumber::from(1u64));
    let root_key = key("root");
    let root_cert = root.self_signed(&root_key).unwrap();
    let issuer = Issuer::new(root, root_key);
    let node = |id: &str, role: &str, c: Option<&str>, serial: u64| {
        let mut p = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, id);
        dn.push(DnType::OrganizationName, format!("{id} organisation"));
        dn.push(DnType::OrganizationalUnitName, role);
        if let Some(c) = c {
            dn.push(DnType::CountryName, c);
        }
        p.distinguished_name = dn;
        p.subject_alt_names = vec![SanType::URI(
            format!("cordon://node/{id}").try_into().unwrap(),
        )];
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        (p.not_before, p.not_after) = validity;
        p.serial_number = Some(SerialNumber::from(serial));
        p.signed_by(&key(id), &issuer).unwrap().der().to_vec()
    };
    (
        root_cert.der().to_vec(),
        node("RILO-WE", "rilo", None, 2),
        node("BE-NCP", "member", Some("BE"), 3),
    )
}

fn sample_header(sender: &NodeIdentity) -> Header {
    Header {
        version: PROTOCOL_VERSION,
        id: MessageId(uuid::Uuid::from_u128(
            0x019a_9f3c_1e00_7000_8000_0000_0000_0001,
        )),
        kind: MessageKind::Alert,
        operation: "cosmo-2".parse().unwrap(),
        to: vec!["op/cosmo-2/alerts".parse().unwrap()],
        sender: sender.node_id.clone(),
        sender_fp: sender.fingerprint,
        created_at: CREATED_AT,
        expires_at: CREATED_AT + 7 * 24 * 3600 * 1000,
        priority: Priority::Urgent,
        tlp: Tlp::AmberStrict,
        in_reply_to: None,
    }
}

fn sample_body() -> Vec<u8> {
    let json = r#"{
        "title": "Dual-use valves, suspect consignee",
        "summary": "Container declared as pump parts; consignee linked to diversion network.",
        "action": "inspect",
        "containers": ["CSQU3054383"],
        "route": ["CNSHA", "BEANR"],
        "grading": {"source": "B", "information": 2}
    }"#;
    let alert: msg::Alert = serde_json::from_str(json).unwrap();
    let m = Message::from(alert);
    m.validate(&msg::Limits::default()).unwrap();
    m.encode().unwrap()
}

fn sample_frames(fp: Fingerprint) -> Vec<(&'static str, Frame)> {
    let ch = |s: &str| s.parse().unwrap();
    let id = MessageId(uuid::Uuid::from_u128(
        0x019a_9f3c_1e00_7000_8000_0000_0000_0001,
    ));
    vec![
        (
            "frame-hello",
            Frame::Hello(Hello {
                agent: "cordon-node/0.1.0".into(),
                max_frame: 17_825_792,
            }),
        ),
        (
            "frame-welcome",
            Frame::Welcome(Welcome {
                node_id: "BE-NCP".parse().unwrap(),
                role: Role::Member,
                organisation: "BE-NCP organisation".into(),
                country: Some("BE".into()),
                fingerprint: fp,
                grants: vec![Grant {
                    channel: ch("op/cosmo-2/alerts"),
                    read: true,
                    publish: vec![MessageKind::Alert, MessageKind::Feedback],
                }],
                direct: vec![DirectGrant {
                    operation: "cosmo-2".parse().unwrap(),
                    kinds: vec![MessageKind::TrackingUpdate],
                }],
                hub_time: CREATED_AT,
                max_frame: 17_825_792,
            }),
        ),
        (
            "frame-subscribe",
            Frame::Subscribe(Subscribe { channels: vec![] }),
        ),
        (
            "frame-subscribed",
            Frame::Subscribed(Subscribed {
                channels: vec![ch("op/cosmo-2/alerts"), ch("node/BE-NCP")],
                refused: vec![(ch("op/cosmo-2/notices"), "not a reader".into())],
            }),
        ),
        (
            "frame-publish",
            Frame::Publish(Publish {
                envelope: vec![0x93, 0xc4, 0x00, 0xc4, 0x00, 0xc4, 0x00],
            }),
        ),
        (
            "frame-publish-ack",
            Frame::PublishAck(PublishAck {
                id,
                outcome: PublishOutcome::Denied,
                reason: "only role ocu may send notices".into(),
            }),
        ),
        (
            "frame-deliver",
            Frame::Deliver(Deliver {
                channel: ch("op/cosmo-2/alerts"),
                seq: 42,
                envelope: vec![0xab; 4],
            }),
        ),
        (
            "frame-deliver-ack",
            Frame::DeliverAck(DeliverAck {
                channel: ch("op/cosmo-2/alerts"),
                seq: 42,
            }),
        ),
        (
            "frame-directory-request",
            Frame::DirectoryRequest(DirectoryRequest {
                channels: vec![ch("op/cosmo-2/alerts")],
                nodes: vec!["OCU".parse().unwrap()],
            }),
        ),
        (
            "frame-directory-response",
            Frame::DirectoryResponse(DirectoryResponse {
                readers: vec![(ch("op/cosmo-2/alerts"), vec!["BE-NCP".parse().unwrap()])],
                entries: vec![DirectoryEntry {
                    node_id: "BE-NCP".parse().unwrap(),
                    cert: vec![0x30, 0x00],
                    bundle: Some(serde_bytes::ByteBuf::from(vec![
                        0x92, 0xc4, 0x00, 0xc4, 0x00,
                    ])),
                }],
                roster: None,
            }),
        ),
        (
            "frame-key-bundle-publish",
            Frame::KeyBundlePublish(KeyBundlePublish {
                bundle: vec![0x92, 0xc4, 0x00, 0xc4, 0x00],
            }),
        ),
        (
            "frame-key-bundle-ack",
            Frame::KeyBundleAck(KeyBundleAck {
                accepted: true,
                reason: String::new(),
            }),
        ),
        ("frame-ping", Frame::Ping(Ping { nonce: 7 })),
        ("frame-pong", Frame::Pong(Pong { nonce: 7 })),
        (
            "frame-error",
            Frame::Error(ErrorFrame {
                code: ErrorCode::Timeout.as_u16(),
                message: "no Hello within 10 s".into(),
            }),
        ),
    ]
}

/// Operation cosmo-2: participants the roles ocu and rilo and the country BE; every
/// participant reads `alerts`; only role ocu reads `notices`.
fn sample_roster() -> Roster {
    let op: cordon_common::ids::OperationName = "cosmo-2".parse().unwrap();
    let channel = |c: &str, read: RosterSelector| RosterChannel {
        channel: cordon_common::ids::ChannelName::operation(&op, c).unwrap(),
        read,
    };
    Roster {
        version: 7,
        issued_at: CREATED_AT,
        operations: vec![RosterOperation {
            name: op.clone(),
            participants: RosterSelector {
                roles: vec![Role::Ocu, Role::Rilo],
                countries: vec!["BE".into()],
                ..RosterSelector::default()
            },
            channels: vec![
                channel(
                    "alerts",
                    RosterSelector {
                        participants: true,
                        ..RosterSelector::default()
                    },
                ),
                channel(
                    "notices",
                    RosterSelector {
                        roles: vec![Role::Ocu],
                        ..RosterSelector::default()
                    },
                ),
            ],
        }],
    }
}

struct Computed {
    vectors: Vec<(&'static str, &'static str, Vec<u8>)>,
}

fn compute() -> Computed {
    let (root, sender_cert, recipient_cert) = make_certs();
    let sender = NodeIdentity::from_der(&sender_cert).unwrap();
    let recipient = NodeIdentity::from_der(&recipient_cert).unwrap();
    let sender_key = IdentityKey::from_pkcs8_der(&ed25519_pkcs8("RILO-WE")).unwrap();
    let recipient_key = IdentityKey::from_pkcs8_der(&ed25519_pkcs8("BE-NCP")).unwrap();
    let sender_kem = KemKeyPair::derive(&seed("RILO-WE x25519"));
    let recipient_kem = KemKeyPair::derive(&seed("BE-NCP x25519"));
    let header = sample_header(&sender);
    let body = sample_body();
    let recips = [
        RecipientKey {
            node_id: sender.node_id.clone(),
            public: *sender_kem.public(),
        },
        RecipientKey {
            node_id: recipient.node_id.clone(),
            public: *recipient_kem.public(),
        },
    ];
    let envelope = seal(
        &header,
        &body,
        &recips,
        &sender_key,
        &sender_cert,
        &mut SealRng::from_seed(seed("seal")),
    )
    .unwrap();
    let parsed = ParsedEnvelope::parse(&envelope).unwrap();
    let bundle = KeyBundle::sign(&recipient, &recipient_key, &recipient_kem, CREATED_AT).unwrap();
    let mut vectors: Vec<(&str, &str, Vec<u8>)> = vec![
        (
            "root-cert",
            "federation root certificate, DER (Ed25519)",
            root,
        ),
        (
            "sender-key",
            "RILO-WE identity key, PKCS#8 DER (Ed25519)",
            ed25519_pkcs8("RILO-WE"),
        ),
        ("sender-cert", "RILO-WE certificate, DER", sender_cert),
        (
            "sender-x25519-secret",
            "RILO-WE X25519 secret key",
            sender_kem.secret_bytes().to_vec(),
        ),
        (
            "recipient-key",
            "BE-NCP identity key, PKCS#8 DER (Ed25519)",
            ed25519_pkcs8("BE-NCP"),
        ),
        ("recipient-cert", "BE-NCP certificate, DER", recipient_cert),
        (
            "recipient-x25519-secret",
            "BE-NCP X25519 secret key",
            recipient_kem.secret_bytes().to_vec(),
        ),
        (
            "recipient-x25519-public",
            "BE-NCP X25519 public key",
            recipient_kem.public().to_vec(),
        ),
        (
            "recipient-key-bundle",
            "BE-NCP key bundle, created_at = 1795000000000",
            bundle.as_bytes().to_vec(),
        ),
        (
            "seal-seed",
            "seed of the sealing randomness (content key, then one ephemeral key per recipient)",
            seed("seal").to_vec(),
        ),
        (
            "header",
            "header of the sample alert (urgent, AMBER+STRICT, to op/cosmo-2/alerts)",
            parsed.header_bytes.to_vec(),
        ),
        (
            "body-plaintext",
            "the alert body (MessagePack map, §11)",
            body,
        ),
        ("signed", "the signed part", parsed.signed.to_vec()),
        (
            "signature",
            "Ed25519 signature over \"cordon/1 envelope\\0\" || signed",
            parsed.signature.to_vec(),
        ),
        (
            "envelope",
            "the whole envelope, recipients RILO-WE then BE-NCP",
            envelope.clone(),
        ),
        (
            "roster",
            "signed operation roster (§8.5.1), version 7, signed with the root key",
            sample_roster()
                .sign(&IdentityKey::from_pkcs8_der(&ed25519_pkcs8("root")).unwrap())
                .unwrap()
                .as_bytes()
                .to_vec(),
        ),
    ];
    for (name, f) in sample_frames(recipient.fingerprint) {
        let mut b = Vec::new();
        encode_frame(&f, DEFAULT_MAX_FRAME, &mut b).unwrap();
        vectors.push((name, f.name(), b));
    }
    Computed { vectors }
}

fn hex_block(bytes: &[u8]) -> String {
    hex::encode(bytes)
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

const SECTION: &str = "## 12. Test vectors";

fn render(c: &Computed) -> String {
    let mut s = String::from(SECTION);
    s.push_str("\n\nThe inputs are fixed; the outputs were produced by the reference implementation and are\n\
checked against it by `cargo test -p cordon-common --test vectors`, which reads them from this\n\
section. Keys here are published: never use them for anything else. Hex, 32 bytes a line.\n\n\
Certificates are valid from 2026-01-01 to 2036-01-01; verify at `created_at` + 1 s\n\
(1795000001000 ms). The X25519 secrets are RFC 9180 `DeriveKeyPair` outputs. The sealing\n\
randomness is a ChaCha20 keystream: for the i-th 256-byte block (i = 0, 1, ...), the\n\
ChaCha20-Poly1305 encryption (RFC 8439) of 256 zero bytes under key `seal-seed` and nonce\n\
`00000000 || i as u64 big-endian`, tag discarded. The first 32 bytes are the content key;\n\
then, per recipient in order, 32 bytes of `ikm` for the HPKE ephemeral key\n\
(`DeriveKeyPair(ikm)`). Re-sealing with these inputs reproduces `envelope` exactly.\n\n\
### 12.1 Inputs, in prose\n\n\
- Every secret is `seed(label)` = SHA-256(ASCII `\"cordon test vector \"` || label): the\n  \
identity keys are the Ed25519 seeds `seed(\"root\")`, `seed(\"RILO-WE\")` and `seed(\"BE-NCP\")`\n  \
(PKCS#8 v1: `302e020100300506032b657004220420` || seed); the X25519 secrets are\n  \
`DeriveKeyPair(seed(\"RILO-WE x25519\"))` and `DeriveKeyPair(seed(\"BE-NCP x25519\"))`;\n  \
`seal-seed` is `seed(\"seal\")`.\n\
- Root: CN `Cordon Test Vector Root`, O `Test Secretariat`, serial 1, CA with path length\n  \
0, key usages keyCertSign and cRLSign, self-signed. Nodes: CN = node id, O = `<id>\n  \
organisation`, OU = role, C where given, SAN URI `cordon://node/<id>`, key usage\n  \
digitalSignature, EKU clientAuth, signed by the root: RILO-WE (role `rilo`, no country,\n  \
serial 2) and BE-NCP (role `member`, C `BE`, serial 3). All valid 2026-01-01T00:00:00Z to\n  \
2036-01-01T00:00:00Z.\n\
- `recipient-key-bundle`: BE-NCP's bundle (§10) for its certificate and X25519 key,\n  \
`created_at` = 1795000000000.\n\
- `header`: version 1, id `019a9f3c-1e00-7000-8000-000000000001`, kind `alert`, operation\n  \
`cosmo-2`, to [`op/cosmo-2/alerts`], sender `RILO-WE`, `sender_fp` = SHA-256 of\n  \
`sender-cert`, `created_at` 1795000000000, `expires_at` 1795604800000 (7 days later),\n  \
priority `urgent`, TLP `AMBER+STRICT`, no `in_reply_to`.\n\
- `body-plaintext`: the alert (§11.5) with title `Dual-use valves, suspect consignee`,\n  \
summary `Container declared as pump parts; consignee linked to diversion network.`,\n  \
action `inspect`, containers [`CSQU3054383`], route [`CNSHA`, `BEANR`], grading source\n  \
`B`, information 2; every other field absent.\n\
- `envelope`: `seal` of that header and body by RILO-WE (its key and certificate) to the\n  \
recipients RILO-WE then BE-NCP, in that order.\n\
- `roster`: version 7, issued_at 1795000000000, one operation `cosmo-2` with participants\n  \
[nodes [], roles [ocu, rilo], countries [BE], participants false] and the channels\n  \
`op/cosmo-2/alerts` read by [[], [], [], true] and `op/cosmo-2/notices` read by [[], [ocu],\n  \
[], false]; signed with the root's key (`seed(\"root\")`, Ed25519).\n\
- Frames (each §5 with version 1; the message id is the header's; `fp` is SHA-256 of\n  \
`recipient-cert`): Hello (agent `cordon-node/0.1.0`, max_frame 17825792); Welcome (node\n  \
BE-NCP, role member, organisation `BE-NCP organisation`, country BE, fingerprint `fp`,\n  \
grants [[`op/cosmo-2/alerts`, true, [alert, feedback]]], direct [[`cosmo-2`,\n  \
[tracking-update]]], hub_time 1795000000000, max_frame 17825792); Subscribe (no channels);\n  \
Subscribed (channels [`op/cosmo-2/alerts`, `node/BE-NCP`], refused\n  \
[[`op/cosmo-2/notices`, `not a reader`]]); Publish (envelope `93c400c400c400`);\n  \
PublishAck (id, outcome `denied`, reason `only role ocu may send notices`); Deliver\n  \
(channel `op/cosmo-2/alerts`, seq 42, envelope `abababab`); DeliverAck (same channel, seq\n  \
42); DirectoryRequest (channels [`op/cosmo-2/alerts`], nodes [`OCU`]); DirectoryResponse\n  \
(readers [[`op/cosmo-2/alerts`, [`BE-NCP`]]], entries [[`BE-NCP`, cert `3000`, bundle\n  \
`92c400c400`]]); KeyBundlePublish (bundle `92c400c400`); KeyBundleAck (accepted true,\n  \
reason empty); Ping and Pong (nonce 7); Error (code 7 `timeout`, message `no Hello within\n  \
10 s`).\n");
    for (name, what, bytes) in &c.vectors {
        s.push_str(&format!(
            "\n`{name}`: {what} ({} bytes)\n<!-- vector {name} -->\n```hex\n{}\n```\n",
            bytes.len(),
            hex_block(bytes)
        ));
    }
    s
}

fn parse_vectors(md: &str) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut rest = md;
    while let Some(i) = rest.find("<!-- vector ") {
        rest = &rest[i + 12..];
        let end = rest.find(" -->").unwrap();
        let name = rest[..end].to_owned();
        let start = rest.find("```hex\n").unwrap() + 7;
        let stop = start + rest[start..].find("```").unwrap();
        let hex: String = rest[start..stop].split_whitespace().collect();
        out.insert(name, hex::decode(hex).unwrap());
        rest = &rest[stop..];
    }
    out
}

#[test]
fn protocol_md_vectors_match_the_implementation() {
    let computed = compute();
    let path = protocol_md();
    let md = std::fs::read_to_string(&path).unwrap();
    if std::env::var_os("CORDON_WRITE_VECTORS").is_some() {
        let head = md.split(SECTION).next().unwrap();
        std::fs::write(&path, format!("{head}{}", render(&computed))).unwrap();
        return;
    }
    let doc = parse_vectors(&md);
    assert_eq!(
        doc.len(),
        computed.vectors.len(),
        "PROTOCOL.md §12 lists a different set of vectors"
    );
    for (name, _, bytes) in &computed.vectors {
        assert_eq!(
            doc.get(*name),
            Some(bytes),
            "vector {name} in PROTOCOL.md differs from the implementation"
        );
    }
}

#[test]
fn the_documented_envelope_verifies_and_opens() {
    let md = std::fs::read_to_string(protocol_md()).unwrap();
    let v = parse_vectors(&md);
    let trust =
        TrustStore::new(vec![CertificateDer::from(v["root-cert"].clone())], vec![]).unwrap();
    let parsed = ParsedEnvelope::parse(&v["envelope"]).unwrap();
    assert_eq!(parsed.header_bytes, &v["header"][..]);
    assert_eq!(parsed.signature, &v["signature"][..]);
    let verified = verify(parsed, &trust, CREATED_AT + 1000, &HeaderLimits::default()).unwrap();
    assert_eq!(verified.signer.node_id.as_str(), "RILO-WE");
    let kem = KemKeyPair::from_secret_bytes(&v["recipient-x25519-secret"]).unwrap();
    let plain = open(&verified, &"BE-NCP".parse().unwrap(), &kem).unwrap();
    assert_eq!(plain, v["body-plaintext"]);
    let msg = Message::decode(MessageKind::Alert, &plain).unwrap();
    msg.validate(&msg::Limits::default()).unwrap();
    // The key bundle verifies against the documented certificate and key.
    let recipient = NodeIdentity::from_der(&v["recipient-cert"]).unwrap();
    let b = KeyBundle::from_bytes(v["recipient-key-bundle"].clone())
        .verify(&recipient)
        .unwrap();
    assert_eq!(b.public.to_vec(), v["recipient-x25519-public"]);
    // The roster verifies under the documented root and names its readers.
    let roster = SignedRoster::from_bytes(v["roster"].clone())
        .verify(&[CertificateDer::from(v["root-cert"].clone())])
        .unwrap();
    assert_eq!(roster, sample_roster());
    let sender = NodeIdentity::from_der(&v["sender-cert"]).unwrap();
    let alerts = "op/cosmo-2/alerts".parse().unwrap();
    let notices = "op/cosmo-2/notices".parse().unwrap();
    assert!(roster.may_read(&alerts, &recipient) && roster.may_read(&alerts, &sender));
    assert!(!roster.may_read(&notices, &recipient));
    // Every documented frame decodes and re-encodes to the same bytes.
    for (name, bytes) in v.iter().filter(|(k, _)| k.starts_with("frame-")) {
        let f = decode_payload(&bytes[4..]).unwrap();
        let mut again = Vec::new();
        encode_frame(&f, DEFAULT_MAX_FRAME, &mut again).unwrap();
        assert_eq!(&again, bytes, "{name}");
    }
}
