//! A compromised hub cannot choose who reads a message: a test hub (real QUIC, real
//! mutual TLS with the hub's certificate) answers a real node daemon's directory
//! requests with readers of its choosing, and the test reads the envelopes the node
//! publishes. The node seals only to readers named by the operation roster signed by
//! the federation root, whatever roster the hub serves afterwards (a forged or an older
//! one), and never to a key bundle older than one it has seen.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cordon_common::envelope::{KemKeyPair, KeyBundle, ParsedEnvelope};
use cordon_common::ids::Role;
use cordon_common::msg::MessageKind;
use cordon_common::quic::{read_frame, write_frame};
use cordon_common::wire::{
    DirectoryEntry, DirectoryResponse, Frame, Grant, KeyBundleAck, Pong, PublishAck,
    PublishOutcome, Subscribed, DEFAULT_MAX_FRAME,
};
use cordon_hub::policy::Policy;
use cordon_node::{NodeConfig, RunningNode};
use cordon_testbed::client::now_ms;
use cordon_testbed::fake_hub::{accept_node, AcceptedNode};
use cordon_testbed::faults::ledger::post_alert;
use cordon_testbed::federation::write_node_config;
use cordon_testbed::policy::COSMO_2;
use cordon_testbed::{NodeCreds, Pki};
use serde_json::Value;
use tokio::sync::mpsc;

const MAX: usize = DEFAULT_MAX_FRAME;

/// What the malicious hub answers to every directory request.
type Answer = Arc<Mutex<DirectoryResponse>>;

/// Serve one node: Welcome with a grant to publish alerts, answer control requests from
/// `answer`, and pass every published envelope to `published` (acknowledged `stored`).
async fn malicious_hub(
    endpoint: quinn::Endpoint,
    answer: Answer,
    published: mpsc::Sender<Vec<u8>>,
) {
    let grants = vec![Grant {
        channel: "op/cosmo-2/alerts".parse().unwrap(),
        read: true,
        publish: vec![MessageKind::Alert],
    }];
    let AcceptedNode {
        conn,
        identity,
        mut ctl_send,
        mut ctl_recv,
    } = accept_node(&endpoint, grants).await.unwrap();
    let publishers = {
        let conn = conn.clone();
        tokio::spawn(async move {
            while let Ok((mut send, mut recv)) = conn.accept_bi().await {
                let published = published.clone();
                tokio::spawn(async move {
                    while let Ok(Some(Frame::Publish(p))) = read_frame(&mut recv, MAX).await {
                        let id = ParsedEnvelope::parse(&p.envelope).unwrap().header.id;
                        published.send(p.envelope).await.unwrap();
                        let ack = PublishAck {
                            id,
                            outcome: PublishOutcome::Stored,
                            reason: String::new(),
                        };
                        if write_frame(&mut send, &Frame::PublishAck(ack), MAX)
                            .await
                            .is_err()
                        {
                            return;
                        }
                    }
                });
            }
        })
    };
    loop {
        let reply = match read_frame(&mut ctl_recv, MAX).await {
            Ok(Some(Frame::KeyBundlePublish(_))) => Frame::KeyBundleAck(KeyBundleAck {
                accepted: true,
                reason: String::new(),
            }),
            Ok(Some(Frame::Subscribe(_))) => Frame::Subscribed(Subscribed {
                channels: vec![identity.node_id.direct_channel()],
                refused: vec![],
            }),
            Ok(Some(Frame::DirectoryRequest(_))) => {
                Frame::DirectoryResponse(answer.lock().unwrap().clone())
            }
            Ok(Some(Frame::Ping(p))) => Frame::Pong(Pong { nonce: p.nonce }),
            _ => break,
        };
        if write_frame(&mut ctl_send, &reply, MAX).await.is_err() {
            break;
        }
    }
    publishers.abort();
}

fn entry(creds: &NodeCreds, bundle: &KeyBundle) -> DirectoryEntry {
    DirectoryEntry {
        node_id: creds.identity.node_id.clone(),
        cert: creds.cert_der.clone(),
        bundle: Some(serde_bytes::ByteBuf::from(bundle.as_bytes().to_vec())),
    }
}

fn bundle(creds: &NodeCreds, created_at: u64) -> KeyBundle {
    let kem = KemKeyPair::generate().unwrap();
    KeyBundle::sign(
        &creds.identity,
        &creds.identity_key().unwrap(),
        &kem,
        created_at,
    )
    .unwrap()
}

/// Send an alert through the node's API and return whom the published envelope was
/// sealed to (node ids), and the sender's record of who was left out and why.
async fn send_and_capture(
    node: &RunningNode,
    published: &mut mpsc::Receiver<Vec<u8>>,
) -> (BTreeSet<String>, Vec<(String, String)>) {
    let api = node.api_client();
    let id = post_alert(&api, "BE-NCP", 1).await.unwrap();
    let env = tokio::time::timeout(Duration::from_secs(20), published.recv())
        .await
        .expect("the node publishes the alert")
        .unwrap();
    let parsed = ParsedEnvelope::parse(&env).unwrap();
    assert_eq!(parsed.header.id.to_string(), id);
    let sealed_to = parsed
        .recipients
        .iter()
        .map(|r| r.node_id.to_string())
        .collect();
    let receipts: Value = api
        .get(&format!("/v1/messages/{id}/receipts"))
        .await
        .unwrap();
    let left_out = receipts["not_sealed_to"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p[0].as_str().unwrap().to_owned(),
                p[1].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    (sealed_to, left_out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_cannot_add_a_reader_or_bring_back_a_replaced_key() {
    let pki = Pki::new().unwrap();
    let endpoint = pki.test_hub_endpoint().unwrap();
    let addr = endpoint.local_addr().unwrap();

    // NL-NCP takes part in cosmo-2; XX-NCP is a genuine federation member that does not.
    let nl = pki.node("NL-NCP", Role::Member).unwrap();
    let xx = pki.node("XX-NCP", Role::Member).unwrap();
    let now = now_ms();
    let nl_bundle = bundle(&nl, now);
    let xx_bundle = bundle(&xx, now);
    let channel = "op/cosmo-2/alerts".parse().unwrap();
    let policy = Policy::parse(COSMO_2, "policy.toml").unwrap();
    let genuine = pki.ca.ca().sign_roster(&policy.roster(5, now)).unwrap();
    let answer: Answer = Arc::new(Mutex::new(DirectoryResponse {
        readers: vec![(
            channel,
            vec![nl.identity.node_id.clone(), xx.identity.node_id.clone()],
        )],
        entries: vec![entry(&nl, &nl_bundle), entry(&xx, &xx_bundle)],
        roster: Some(serde_bytes::ByteBuf::from(genuine.as_bytes().to_vec())),
    }));
    let (pub_tx, mut published) = mpsc::channel(16);
    let hub = tokio::spawn(malicious_hub(endpoint, answer.clone(), pub_tx));

    let be = pki.node("BE-NCP", Role::Member).unwrap();
    let cfg = write_node_config(&pki, &be, addr, &pki.path().join("nodes/BE-NCP")).unwrap();
    let node = RunningNode::start(NodeConfig::load(&cfg).unwrap())
        .await
        .unwrap();

    // 1. The hub names XX-NCP as a reader; the root-signed roster does not.
    let (sealed_to, left_out) = send_and_capture(&node, &mut published).await;
    assert_eq!(
        sealed_to,
        BTreeSet::from(["BE-NCP".into(), "NL-NCP".into()])
    );
    assert_eq!(left_out.len(), 1, "{left_out:?}");
    assert_eq!(left_out[0].0, "XX-NCP");
    assert!(left_out[0].1.contains("operation roster"), "{left_out:?}");

    // 2. The hub serves a roster that names XX-NCP, signed with the hub's own key, then
    //    an older root-signed one that names it (a policy of the past).
    let wider = Policy::parse(
        &COSMO_2.replace(
            r#"countries = ["BE", "HU", "NL", "US"]"#,
            r#"countries = ["BE", "HU", "NL", "US", "XX"]"#,
        ),
        "policy.toml",
    )
    .unwrap();
    let hub_key = cordon_common::pki::IdentityKey::load(&pki.hub_key)
        .unwrap()
        .0;
    let forged = wider.roster(6, now).sign(&hub_key).unwrap();
    let older = pki.ca.ca().sign_roster(&wider.roster(4, now)).unwrap();
    for served in [forged, older] {
        answer.lock().unwrap().roster =
            Some(serde_bytes::ByteBuf::from(served.as_bytes().to_vec()));
        let (sealed_to, _) = send_and_capture(&node, &mut published).await;
        assert!(!sealed_to.contains("XX-NCP"), "sealed to {sealed_to:?}");
        assert!(sealed_to.contains("NL-NCP"));
    }

    // 3. NL-NCP rotated its key (the node saw the new bundle); the hub serves the old one.
    let newer = bundle(&nl, now + 1_000);
    answer.lock().unwrap().entries[0] = entry(&nl, &newer);
    let (sealed_to, _) = send_and_capture(&node, &mut published).await;
    assert!(sealed_to.contains("NL-NCP"));
    answer.lock().unwrap().entries[0] = entry(&nl, &nl_bundle);
    let (sealed_to, left_out) = send_and_capture(&node, &mut published).await;
    assert!(
        !sealed_to.contains("NL-NCP"),
        "sealed to a replaced key: {sealed_to:?}"
    );
    assert!(
        left_out
            .iter()
            .any(|(n, why)| n == "NL-NCP" && why.contains("older than one seen")),
        "{left_out:?}"
    );

    node.shutdown().await;
    hub.abort();
}
