//! The envelope, header, key bundle and signed roster parsers never panic on any input.
#![no_main]

use std::sync::OnceLock;

use cordon_common::envelope::{Header, HeaderLimits, KeyBundle, ParsedEnvelope};
use cordon_common::identity::{KeyAlgorithm, NodeIdentity};
use cordon_common::ids::Role;
use cordon_common::roster::SignedRoster;
use cordon_common::testkit::Kit;
use libfuzzer_sys::fuzz_target;

fn identity() -> &'static Option<NodeIdentity> {
    static ID: OnceLock<Option<NodeIdentity>> = OnceLock::new();
    ID.get_or_init(|| {
        let kit = Kit::new(KeyAlgorithm::Ed25519).ok()?;
        Some(
            kit.node("BE-NCP", Role::Member, KeyAlgorithm::Ed25519)
                .ok()?
                .identity,
        )
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = ParsedEnvelope::parse(data) {
        let _ = p.header.addressing();
        let _ = p
            .header
            .check(p.header.created_at, &HeaderLimits::default());
    }
    let _ = Header::decode(data);
    if let Some(id) = identity() {
        let _ = KeyBundle::from_bytes(data.to_vec()).verify(id);
    }
    let _ = NodeIdentity::from_der(data);
    let _ = SignedRoster::from_bytes(data.to_vec()).verify(&[]);
});
