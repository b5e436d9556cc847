//! The node's receive budget: a lane holds at most `receive_buffer_bytes` of envelopes
//! between the network and its store. With a budget smaller than any one envelope,
//! every delivery is taken alone and the budget is given back after each commit: a node
//! offline during a backlog still gets all of it, in order, exactly once. A node stopped
//! again and again in the middle of its backlog also ends with all of it, exactly once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use cordon_common::ids::{ChannelName, MessageId, Role};
use cordon_common::msg::{MessageKind, Priority};
use cordon_common::wire::PublishOutcome;
use cordon_node::inbox::InboxQuery;
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
    start_node(&cfg).await.shutdown().await;
    let sent = publish_alerts(&pki, &hub, 40, |_| Priority::Routine).await;
    assert!(sent.iter().all(|(_, size)| *size > 512));
    let ids: Vec<_> = sent.into_iter().map(|(id, _)| id).collect();

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
    // Oldest first (as a follower reads it): arrival order.
    let page = service
        .inbox(InboxQuery::after(0, 100), None)
        .await
        .unwrap();
    let got: Vec<_> = page.items.iter().map(|i| i.id).collect();
    assert_eq!(got, ids, "the whole backlog, in order, once");
    drop(service);
    node.shutdown().await;
}

/// Start the node configured in `cfg` and wait until it is connected.
async fn start_node(cfg: &std::path::Path) -> RunningNode {
    let node = RunningNode::start(NodeConfig::load(cfg).unwrap())
        .await
        .unwrap();
    assert!(node.wait_connected(Duration::from_secs(15)).await);
    node
}

/// BE-NCP publishes `n` alerts to op/cosmo-2/alerts, the `i`th with `priority_of(i)`,
/// sealed to its readers; returns their ids and envelope sizes, in order.
async fn publish_alerts(
    pki: &Pki,
    hub: &TestHub,
    n: usize,
    priority_of: fn(usize) -> Priority,
) -> Vec<(MessageId, usize)> {
    let be = pki.node("BE-NCP", Role::Member).unwrap();
    let mut be = TestClient::connect(pki, &be, hub.addr(), false)
        .await
        .unwrap();
    let to: Vec<ChannelName> = vec!["op/cosmo-2/alerts".parse().unwrap()];
    let recipients = be.recipients(&to).await.unwrap();
    let mut sent = Vec::with_capacity(n);
    for i in 0..n {
        let h = be
            .header(MessageKind::Alert, "cosmo-2", &to, priority_of(i))
            .unwrap();
        let env = be.seal(&h, &alert_body(i).unwrap(), &recipients).unwrap();
        let size = env.len();
        assert_eq!(
            be.publish(env).await.unwrap().outcome,
            PublishOutcome::Stored
        );
        sent.push((h.id, size));
    }
    sent
}

/// How many messages `service`'s inbox holds.
async fn inbox_count(service: &cordon_node::service::Service) -> u64 {
    service.status().await.unwrap().inbox_count
}

#[tokio::test]
async fn a_node_stopped_in_the_middle_of_its_backlog_again_and_again_stores_each_message_once() {
    const MESSAGES: usize = 120;
    const ROUNDS: usize = 10;
    let pki = Pki::new().unwrap();
    // One delivery in flight per lane: each stop lands in the middle of the backlog.
    let hub = TestHub::start(
        &pki,
        &pki.path().join("hub"),
        COSMO_2,
        "delivery_window = 1",
    )
    .await
    .unwrap();
    let nl = pki.node("NL-NCP", Role::Member).unwrap();
    let cfg = write_node_config(&pki, &nl, hub.addr(), &pki.path().join("nodes/NL-NCP")).unwrap();
    start_node(&cfg).await.shutdown().await;
    let sent = publish_alerts(&pki, &hub, MESSAGES, |n| {
        [Priority::Flash, Priority::Urgent, Priority::Routine][n % 3]
    })
    .await;
    let mut ids: Vec<_> = sent.into_iter().map(|(id, _)| id).collect();

    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    for round in 0..ROUNDS {
        let node = start_node(&cfg).await;
        let service = node.service().clone();
        let before = inbox_count(&service).await;
        // Stopped as soon as a few more messages are in (or all of them, near the end):
        // the hub is in the middle of delivering the next ones.
        let target = (before + 5).min(MESSAGES as u64);
        while inbox_count(&service).await < target {
            assert!(
                tokio::time::Instant::now() < deadline,
                "round {round} stuck"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        drop(service);
        node.shutdown().await;
    }
    let node = start_node(&cfg).await;
    let service = node.service().clone();
    while (inbox_count(&service).await as usize) < MESSAGES {
        assert!(
            tokio::time::Instant::now() < deadline,
            "stuck at {} of {MESSAGES}",
            inbox_count(&service).await
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let page = service
        .inbox(
            InboxQuery {
                limit: 1000,
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    let mut got: Vec<_> = page.items.iter().map(|i| i.id).collect();
    got.sort();
    ids.sort();
    assert_eq!(got, ids, "every message, each exactly once");
    drop(service);
    node.shutdown().await;
}
