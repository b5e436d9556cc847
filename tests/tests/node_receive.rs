//! The node's receive budget: a lane holds at most `receive_buffer_bytes` of envelopes
//! between the network and its store. With a budget smaller than any one envelope,
//! every delivery is taken alone and the budget is given back after each commit: a node
//! offline during a backlog still gets all of it, in order, exactly once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use cordon_common::ids::{ChannelName, Role};
use cordon_common::msg::{MessageKind, Priority};
use cordon_common::wire::PublishOutcome;
use cordon_node::store::InboxFilter;
use cordon_node::{NodeConfig, RunningNode};
use cordon_testbed::client::alert_body;
use cordon_testbed::federation::write_node_config;
use cordon_testbed::{policy::COSMO_2, Pki, TestClient, TestHub};

#[tokio::test]
async fn a_budget_smaller_than_one_envelope_still_receives_the_whole_backlog() {
    let pki = Pki::new().unwrap();
    let hub = TestHub::start(&pki, &pki.path().join("hub"), COSMO_2, "")
        .await
        .unwrap();
    let nl = pki.node("NL-NCP", Role::Member).unwrap();
    let cfg = write_node_config(&pki, &nl, hub.addr(), &pki.path().join("nodes/NL-NCP")).unwrap();
    let text = std::fs::read_to_string(&cfg).unwrap();
    // Envelopes here are ~1.3 KiB: each alone is over the budget.
    let limits = "\n[limits]\nreceive_batch = 8\nreceive_buffer_bytes = 512\n";
    std::fs::write(&cfg, text + limits).unwrap();
    let node = RunningNode::start(NodeConfig::load(&cfg).unwrap())
        .await
        .unwrap();
    assert!(node.wait_connected(Duration::from_secs(15)).await);
    node.shutdown().await;

    let be = pki.node("BE-NCP", Role::Member).unwrap();
    let mut be = TestClient::connect(&pki, &be, hub.addr(), false)
        .await
        .unwrap();
    let to: Vec<ChannelName> = vec!["op/cosmo-2/alerts".parse().unwrap()];
    let recipients = be.recipients(&to).await.unwrap();
    let mut ids = Vec::new();
    for n in 0..40 {
        let h = be
            .header(MessageKind::Alert, "cosmo-2", &to, Priority::Routine)
            .unwrap();
        let env = be.seal(&h, &alert_body(n).unwrap(), &recipients).unwrap();
        assert!(env.len() > 512);
        assert_eq!(
            be.publish(env).await.unwrap().outcome,
            PublishOutcome::Stored
        );
        ids.push(h.id);
    }

    let node = RunningNode::start(NodeConfig::load(&cfg).unwrap())
        .await
        .unwrap();
    let service = node.service().clone();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while service.status().await.unwrap().inbox_count < 40 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "stuck at {} of 40",
            service.status().await.unwrap().inbox_count
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let page = service
        .inbox(InboxFilter::default(), 100, None)
        .await
        .unwrap();
    let got: Vec<_> = page.items.iter().map(|i| i.id).collect();
    assert_eq!(got, ids, "the whole backlog, in order, once");
    drop(service);
    node.shutdown().await;
}
