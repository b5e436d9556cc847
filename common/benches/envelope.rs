//! Envelope and codec benchmarks. Run: `cargo bench -p cordon-common --bench envelope`.
//! Method and figures: docs/PERFORMANCE.md.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;

use cordon_common::envelope::{
    open, seal, verify, verify_from_peer, HeaderLimits, ParsedEnvelope, RecipientKey, SealRng,
    SIGNATURE_CONTEXT,
};
use cordon_common::identity::KeyAlgorithm;
use cordon_common::ids::Role;
use cordon_common::msg::MessageKind;
use cordon_common::testkit::{now_ms, Kit, KitNode};
use cordon_common::wire::{decode_payload, encode_frame, Deliver, Frame, DEFAULT_MAX_FRAME};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

const BODY: [u8; 1024] = [0x5a; 1024];

fn fixture(n: usize, alg: KeyAlgorithm) -> (Kit, Vec<KitNode>) {
    let kit = Kit::new(KeyAlgorithm::Ed25519).unwrap();
    let nodes = (0..n)
        .map(|i| kit.node(&format!("N{i:03}"), Role::Member, alg).unwrap())
        .collect();
    (kit, nodes)
}

fn sealed(nodes: &[KitNode]) -> Vec<u8> {
    let sender = &nodes[0];
    let header = sender
        .header(
            MessageKind::Alert,
            "cosmo-2",
            &["op/cosmo-2/alerts"],
            now_ms(),
        )
        .unwrap();
    let recips: Vec<RecipientKey> = nodes.iter().map(KitNode::recipient).collect();
    seal(
        &header,
        &BODY,
        &recips,
        &sender.key,
        &sender.cert_der,
        &mut SealRng::from_os().unwrap(),
    )
    .unwrap()
}

fn envelope(c: &mut Criterion) {
    for alg in [KeyAlgorithm::Ed25519, KeyAlgorithm::EcdsaP256] {
        let (kit, nodes) = fixture(200, alg);
        let trust = kit.trust(&[]).unwrap();
        let limits = HeaderLimits::default();
        let name = format!("{alg:?}");
        let mut g = c.benchmark_group(format!("envelope-1KiB-{name}"));
        for n in [1usize, 10, 200] {
            let recips: Vec<RecipientKey> = nodes[..n].iter().map(KitNode::recipient).collect();
            let sender = &nodes[0];
            g.bench_with_input(BenchmarkId::new("seal+sign", n), &n, |b, _| {
                let header = sender
                    .header(
                        MessageKind::Alert,
                        "cosmo-2",
                        &["op/cosmo-2/alerts"],
                        now_ms(),
                    )
                    .unwrap();
                b.iter(|| {
                    let mut rng = SealRng::from_os().unwrap();
                    black_box(
                        seal(
                            &header,
                            &BODY,
                            &recips,
                            &sender.key,
                            &sender.cert_der,
                            &mut rng,
                        )
                        .unwrap(),
                    )
                })
            });
            let bytes = sealed(&nodes[..n]);
            g.bench_with_input(BenchmarkId::new("verify+open", n), &n, |b, _| {
                b.iter(|| {
                    let p = ParsedEnvelope::parse(&bytes).unwrap();
                    let v = verify(p, &trust, now_ms(), &limits).unwrap();
                    black_box(open(&v, &nodes[0].identity.node_id, &nodes[0].kem).unwrap())
                })
            });
        }
        let bytes = sealed(&nodes[..1]);
        let peer = &nodes[0];
        g.bench_function("hub-verify", |b| {
            b.iter(|| {
                let p = ParsedEnvelope::parse(black_box(&bytes)).unwrap();
                verify_from_peer(&p, &peer.identity, &peer.cert_der, now_ms(), &limits).unwrap();
            })
        });
        // The floor: ring verifying the same signature over the same bytes, nothing else.
        let p = ParsedEnvelope::parse(&bytes).unwrap();
        let mut input = SIGNATURE_CONTEXT.to_vec();
        input.extend_from_slice(p.signed);
        let sig = p.signature.to_vec();
        let ring_alg: &dyn ring::signature::VerificationAlgorithm = match alg {
            KeyAlgorithm::Ed25519 => &ring::signature::ED25519,
            KeyAlgorithm::EcdsaP256 => &ring::signature::ECDSA_P256_SHA256_ASN1,
        };
        let pk = ring::signature::UnparsedPublicKey::new(
            ring_alg,
            peer.identity.public_key.bytes.clone(),
        );
        g.bench_function("ring-bare-verify", |b| {
            b.iter(|| pk.verify(black_box(&input), &sig).unwrap())
        });
        g.finish();
    }
}

fn codec(c: &mut Criterion) {
    let f = Frame::Deliver(Deliver {
        channel: "op/cosmo-2/alerts".parse().unwrap(),
        seq: 123_456,
        envelope: vec![7; 1600],
    });
    let mut g = c.benchmark_group("frame-1.6KiB");
    g.throughput(Throughput::Elements(1));
    let mut buf = Vec::with_capacity(2048);
    g.bench_function("encode", |b| {
        b.iter(|| {
            buf.clear();
            encode_frame(black_box(&f), DEFAULT_MAX_FRAME, &mut buf).unwrap();
        })
    });
    let mut bytes = Vec::new();
    encode_frame(&f, DEFAULT_MAX_FRAME, &mut bytes).unwrap();
    g.bench_function("decode", |b| {
        b.iter(|| black_box(decode_payload(&bytes[4..]).unwrap()))
    });
    g.finish();
}

criterion_group!(benches, envelope, codec);
criterion_main!(benches);
