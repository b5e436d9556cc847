//! A compromised or faulty hub cannot slip a forged message past a node: a test hub
//! (real QUIC, real mutual TLS with the hub's certificate) delivers a tampered envelope
//! and a genuine one to a real node daemon. The node shows only the genuine one, records
//! the refusal with its reason, and acknowledges both (or the hub would resend forever).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use cordon_common::envelope::{seal, Header, KeyBundle, RecipientKey, SealRng, PROTOCOL_VERSION};
use cordon_common::identity::NodeIdentity;
use cordon_common::ids::{ChannelName, MessageId, Role};
use cordon_common::msg::{Message, MessageKind, Notice, Priority, Tlp};
use cordon_common::quic::{read_frame, write_frame};
use cordon_common::wire::{
    Deliver, DirectoryResponse, Frame, KeyBundleAck, Pong, Subscribed, DEFAULT_MAX_FRAME,
};
use cordon_node::{NodeConfig, RunningNode};
use cordon_testbed::client::now_ms;
use cordon_testbed::fake_hub::{accept_node, AcceptedNode};
use cordon_testbed::federation::write_node_config;
use cordon_testbed::Pki;
use serde_json::Value;
use tokio::sync::oneshot;

const MAX: usize = DEFAULT_MAX_FRAME;

/// Serve one node: Hello/Welcome, answer control requests, hand its verified key bundle
/// out, and deliver whatever the test sends on `deliveries` on one lane, returning the
/// acknowledged seqs.
async fn fake_hub(
    endpoint: quinn::Endpoint,
    bundle_out: oneshot::Sender<(NodeIdentity, [u8; 32])>,
    deliveries: oneshot::Receiver<Vec<Deliver>>,
) -> Vec<u64> {
    let AcceptedNode {
        conn,
        identity,
        mut ctl_send,
        mut ctl_recv,
    } = accept_node(&endpoint, vec![]).await.unwrap();
    let mut bundle_out = Some(bundle_out);
    let mut deliveries = Some(deliveries);
    let mut lane_task = None;
    loop {
        let reply = match read_frame(&mut ctl_recv, MAX).await {
            Ok(Some(Frame::KeyBundlePublish(b))) => {
                let v = KeyBundle::from_bytes(b.bundle).verify(&identity).unwrap();
                if let Some(tx) = bundle_out.take() {
                    let _ = tx.send((identity.clone(), v.public));
                }
                Frame::KeyBundleAck(KeyBundleAck {
                    accepted: true,
                    reason: String::new(),
                })
            }
            Ok(Some(Frame::Subscribe(_))) => {
                let channels = vec![
                    identity.node_id.direct_channel(),
                    "op/cosmo-2/alerts".parse().unwrap(),
                ];
                if let Some(rx) = deliveries.take() {
                    let conn = conn.clone();
                    lane_task = Some(tokio::spawn(async move {
                        let items = rx.await.unwrap();
                        let (mut send, mut recv) = conn.open_bi().await.unwrap();
                        for d in &items {
                            write_frame(&mut send, &Frame::Deliver(d.clone()), MAX)
                                .await
                                .unwrap();
                        }
                        let mut acked = Vec::new();
                        while acked.len() < items.len() {
                            match read_frame(&mut recv, MAX).await.unwrap() {
                                Some(Frame::DeliverAck(a)) => acked.push(a.seq),
                                other => panic!("expected DeliverAck, got {other:?}"),
                            }
                        }
                        acked
                    }));
                }
                Frame::Subscribed(Subscribed {
                    channels,
                    refused: vec![],
                })
            }
            Ok(Some(Frame::DirectoryRequest(_))) => Frame::DirectoryResponse(DirectoryResponse {
                readers: vec![],
                entries: vec![],
                roster: None,
            }),
            Ok(Some(Frame::Ping(p))) => Frame::Pong(Pong { nonce: p.nonce }),
            _ => break,
        };
        if write_frame(&mut ctl_send, &reply, MAX).await.is_err() {
            break;
        }
        if let Some(t) = &lane_task {
            if t.is_finished() {
                break;
            }
        }
    }
    lane_task.unwrap().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_envelope_is_refused_and_recorded_never_shown() {
    let pki = Pki::new().unwrap();
    // The test hub: the hub's certificate and the real mandatory-client-auth TLS config.
    let endpoint = pki.test_hub_endpoint().unwrap();
    let addr = endpoint.local_addr().unwrap();
    let (bundle_tx, bundle_rx) = oneshot::channel();
    let (deliver_tx, deliver_rx) = oneshot::channel();
    let hub = tokio::spawn(fake_hub(endpoint, bundle_tx, deliver_rx));

    // A real node daemon connects to it.
    let be = pki.node("BE-NCP", Role::Member).unwrap();
    let cfg = write_node_config(&pki, &be, addr, &pki.path().join("nodes/BE-NCP")).unwrap();
    let node = RunningNode::start(NodeConfig::load(&cfg).unwrap())
        .await
        .unwrap();
    let (be_identity, be_public) = tokio::time::timeout(Duration::from_secs(15), bundle_rx)
        .await
        .unwrap()
        .unwrap();

    // A genuine sender, the OCU (the only role that may send notices), seals three
    // notices to BE-NCP.
    let ocu = pki.node("OCU", Role::Ocu).unwrap();
    let ocu_key = ocu.identity_key().unwrap();
    let recipients = [RecipientKey {
        node_id: be_identity.node_id.clone(),
        public: be_public,
    }];
    let channel: ChannelName = "op/cosmo-2/alerts".parse().unwrap();
    let notice: Notice = serde_json::from_value(serde_json::json!({
        "title": "Interdiction phase", "text": "Intensify checks."
    }))
    .unwrap();
    let body = Message::Notice(notice).encode().unwrap();
    let make = |n: u64| {
        let now = now_ms();
        let header = Header {
            version: PROTOCOL_VERSION,
            id: MessageId::new_v7(),
            kind: MessageKind::Notice,
            operation: "cosmo-2".parse().unwrap(),
            to: vec![channel.clone()],
            sender: ocu.identity.node_id.clone(),
            sender_fp: ocu.identity.fingerprint,
            created_at: now,
            expires_at: now + 3_600_000 + n,
            priority: Priority::Flash,
            tlp: Tlp::Amber,
            in_reply_to: None,
        };
        let env = seal(
            &header,
            &body,
            &recipients,
            &ocu_key,
            &ocu.cert_der,
            &mut SealRng::from_os().unwrap(),
        )
        .unwrap();
        (header.id, env)
    };
    let (forged_id, mut forged) = make(1);
    let (bad_sig_id, mut bad_sig) = make(2);
    let last = bad_sig.len() - 1;
    bad_sig[last] ^= 0x01; // the last byte is the signature's
    let (genuine_id, genuine) = make(3);
    // The hub flips one byte of the ciphertext near the end (inside `signed`).
    let at = forged.len() / 2;
    forged[at] ^= 0x01;
    deliver_tx
        .send(vec![
            Deliver {
                channel: channel.clone(),
                seq: 1,
                envelope: forged,
            },
            Deliver {
                channel: channel.clone(),
                seq: 2,
                envelope: bad_sig,
            },
            Deliver {
                channel: channel.clone(),
                seq: 3,
                envelope: genuine,
            },
        ])
        .unwrap();
    let acked = tokio::time::timeout(Duration::from_secs(15), hub)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        acked,
        vec![1, 2, 3],
        "all deliveries acknowledged once durable"
    );

    let api = node.api_client();
    let page: Value = api.get("/v1/inbox").await.unwrap();
    let ids: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec![genuine_id.to_string()],
        "only the genuine message is shown"
    );
    let refusals: Value = api.get("/v1/refusals").await.unwrap();
    let list = refusals.as_array().unwrap();
    assert_eq!(list.len(), 2, "{refusals}");
    let reason_of = |id: MessageId| {
        let r = list
            .iter()
            .find(|r| r["id"] == id.to_string())
            .unwrap_or_else(|| panic!("{id} not recorded: {refusals}"));
        assert_eq!(r["sender"], "OCU");
        r["reason"].as_str().unwrap().to_owned()
    };
    assert!(reason_of(forged_id).starts_with("forged"), "{refusals}");
    assert!(reason_of(bad_sig_id).contains("signature"), "{refusals}");
    node.shutdown().await;
}
