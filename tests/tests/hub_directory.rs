//! The directory over real QUIC: it names the readers of a channel only to a node that may
//! read or publish on it, and answers a non-participant the same for a channel that exists
//! as for one that does not, so the directory reveals neither who takes part in an
//! operation nor that it exists.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use cordon_common::ids::{ChannelName, NodeId, Role};
use cordon_common::wire::{DirectoryRequest, DirectoryResponse};
use cordon_testbed::client::connect_raw;
use cordon_testbed::{policy::COSMO_2, Pki, TestClient, TestHub};

async fn ask(pki: &Pki, hub: &TestHub, id: &str, role: Role, channel: &str) -> DirectoryResponse {
    let creds = pki.node(id, role).unwrap();
    let mut s = connect_raw(pki, &creds, hub.addr()).await.unwrap();
    s.directory(DirectoryRequest {
        channels: vec![channel.parse().unwrap()],
        nodes: vec![],
    })
    .await
    .unwrap()
}

fn readers(r: &DirectoryResponse) -> Vec<NodeId> {
    r.readers.iter().flat_map(|(_, n)| n.clone()).collect()
}

#[tokio::test]
async fn a_non_participant_learns_nothing_and_a_participant_gets_the_readers() {
    let pki = Pki::new().unwrap();
    let hub = TestHub::start(&pki, &pki.path().join("hub-run"), COSMO_2, "")
        .await
        .unwrap();
    // Two participants are known to the directory (they have connected).
    let mut known = Vec::new();
    for id in ["BE-NCP", "NL-NCP"] {
        let creds = pki.node(id, Role::Member).unwrap();
        known.push(
            TestClient::connect(&pki, &creds, hub.addr(), false)
                .await
                .unwrap(),
        );
    }

    // XX-NCP takes no part in cosmo-2: the channel that exists and one that does not get
    // the same, empty answer, with no directory entries.
    let existing = ask(&pki, &hub, "XX-NCP", Role::Member, "op/cosmo-2/alerts").await;
    let unknown = ask(&pki, &hub, "XX-NCP", Role::Member, "op/nosuch-9/alerts").await;
    assert!(readers(&existing).is_empty(), "{existing:?}");
    assert!(existing.entries.is_empty(), "{existing:?}");
    assert!(readers(&unknown).is_empty() && unknown.entries.is_empty());
    assert_eq!(existing.readers.len(), unknown.readers.len());

    // A participant asking for the same channel gets its readers and their entries.
    let answer = ask(&pki, &hub, "HU-NCP", Role::Member, "op/cosmo-2/alerts").await;
    let got = readers(&answer);
    for id in ["BE-NCP", "NL-NCP", "HU-NCP"] {
        assert!(
            got.iter().any(|n| n.as_str() == id),
            "{id} missing: {got:?}"
        );
    }
    assert!(answer
        .entries
        .iter()
        .any(|e| e.node_id.as_str() == "BE-NCP"));
    let channel: ChannelName = "op/cosmo-2/alerts".parse().unwrap();
    assert_eq!(answer.readers[0].0, channel);
    drop(known);
}
