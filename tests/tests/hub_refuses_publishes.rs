//! When the hub must not take publishes it refuses them, with a reason that says why and
//! what happens next: its audit log cannot be written (a real write failure: the log is
//! `/dev/full`), or the disk of its data directory is nearly full. Such a refusal is
//! `unavailable`, not `denied`: the node keeps the message and sends it again, and it is
//! stored once the hub can store again.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use cordon_common::ids::Role;
use cordon_common::wire::{PublishAck, PublishOutcome};
use cordon_testbed::faults::ledger::post_alert;
use cordon_testbed::federation::start_connected_node;
use cordon_testbed::{metric_value, policy::COSMO_2, Pki, TestClient, TestHub};
use serde_json::Value;

async fn alert(be: &mut TestClient) -> PublishAck {
    be.send_alert(b"body").await.unwrap().1
}

#[tokio::test]
async fn an_unwritable_audit_log_stops_publishes_with_the_reason() {
    let pki = Pki::new().unwrap();
    let dir = pki.path().join("hub-run");
    // Every write to the log fails with "no space left on device".
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::os::unix::fs::symlink("/dev/full", dir.join("data/audit.log")).unwrap();
    let hub = TestHub::start(&pki, &dir, COSMO_2, "").await.unwrap();
    let creds = pki.node("BE-NCP", Role::Member).unwrap();
    let mut be = TestClient::connect(&pki, &creds, hub.addr(), false)
        .await
        .unwrap();
    // The writer fails at its first sync (within 100 ms of the hub's start record).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let refused = loop {
        let ack = alert(&mut be).await;
        if ack.outcome != PublishOutcome::Stored {
            break ack;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "publishes still stored without an audit trail"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(refused.outcome, PublishOutcome::Unavailable);
    assert!(refused.reason.contains("audit log"), "{}", refused.reason);
    let text = hub.hub.state().metrics.render();
    assert_eq!(metric_value(&text, "cordon_audit_writable"), Some(0.0));
    // It stays refused.
    assert_eq!(alert(&mut be).await.outcome, PublishOutcome::Unavailable);
}

#[tokio::test]
async fn a_nearly_full_disk_refuses_publishes_with_the_reason() {
    let pki = Pki::new().unwrap();
    // No file system has this much available.
    let limits = format!("min_free_disk_bytes = {}", u64::MAX);
    let hub = TestHub::start(&pki, &pki.path().join("hub-run"), COSMO_2, &limits)
        .await
        .unwrap();
    let creds = pki.node("BE-NCP", Role::Member).unwrap();
    let mut be = TestClient::connect(&pki, &creds, hub.addr(), false)
        .await
        .unwrap();
    let ack = alert(&mut be).await;
    assert_eq!(ack.outcome, PublishOutcome::Unavailable);
    assert!(ack.reason.contains("disk is nearly full"), "{}", ack.reason);
    assert!(ack.reason.contains("min_free_disk_bytes"), "{}", ack.reason);
    hub.audit_until("publish-refused", |e| {
        e["type"] == "publish-refused"
            && e["reason"]
                .as_str()
                .is_some_and(|r| r.contains("disk is nearly full"))
    })
    .await;
}

/// An officer's message sent while the hub's disk is nearly full is not lost nor failed:
/// the node keeps it (saying why) and sends it again; once the hub can store again (here:
/// restarted with the space it needs), it is stored and delivered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_refused_as_unavailable_stays_queued_and_is_stored_later() {
    let pki = Pki::new().unwrap();
    let dir = pki.path().join("hub-run");
    let full = format!("min_free_disk_bytes = {}", u64::MAX);
    let hub = TestHub::start(&pki, &dir, COSMO_2, &full).await.unwrap();
    let addr = hub.addr();
    let be = pki.node("BE-NCP", Role::Member).unwrap();
    let node = start_connected_node(&pki, &be, addr).await.unwrap();
    let api = node.api_client();
    let id = post_alert(&api, "BE-NCP", 1).await.unwrap();
    let state = |v: &Value| v["state"].as_str().unwrap_or("").to_owned();
    // The hub answers `unavailable`: the message stays queued, with the reason.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let v: Value = api.get(&format!("/v1/messages/{id}")).await.unwrap();
        let reason = v["reason"].as_str().unwrap_or("");
        if reason.contains("disk is nearly full") {
            assert_ne!(state(&v), "failed", "{v}");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no refusal seen: {v}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The operator frees space (the hub restarts without the impossible limit).
    let config = hub.config_path.clone();
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, text.replace(&full, "")).unwrap();
    let hub = hub.restart().await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let v: Value = api.get(&format!("/v1/messages/{id}")).await.unwrap();
        if state(&v) == "stored" {
            break;
        }
        assert_ne!(state(&v), "failed", "{v}");
        assert!(tokio::time::Instant::now() < deadline, "never stored: {v}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    node.shutdown().await;
    hub.hub.shutdown().await;
}

/// A message the hub refused as `unavailable` because its disk was full goes out again
/// within seconds of the space coming back, by itself: the node tries again after 1 s,
/// doubling, rather than at its 30 s outbox tick, and the hub takes publishes again
/// without a restart. The hub's data directory is a small tmpfs mounted by the test
/// (root only; skipped with a message elsewhere).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_refused_while_the_disk_is_full_is_stored_within_seconds_once_freed() {
    let pki = Pki::new().unwrap();
    let dir = pki.path().join("hub-run");
    let disk = match cordon_testbed::faults::disk::Tmpfs::mount(&dir.join("data"), "8m") {
        Ok(d) => d,
        Err(why) => {
            eprintln!("SKIPPED: {why}");
            return;
        }
    };
    let hub = TestHub::start(&pki, &dir, COSMO_2, "min_free_disk_bytes = 1048576")
        .await
        .unwrap();
    let be = pki.node("BE-NCP", Role::Member).unwrap();
    let node = start_connected_node(&pki, &be, hub.addr()).await.unwrap();
    let api = node.api_client();
    let message = |id: String| {
        let api = api.clone();
        async move {
            let v: Value = api.get(&format!("/v1/messages/{id}")).await.unwrap();
            v
        }
    };
    disk.fill().unwrap();
    let id = post_alert(&api, "BE-NCP", 1).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let v = message(id.clone()).await;
        if v["reason"]
            .as_str()
            .is_some_and(|r| r.contains("sent again"))
        {
            assert_eq!(v["state"], "sealed", "{v}");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "not refused: {v}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    disk.free().unwrap();
    let freed = tokio::time::Instant::now();
    loop {
        let v = message(id.clone()).await;
        if v["state"] == "stored" {
            break;
        }
        assert!(
            freed.elapsed() < Duration::from_secs(10),
            "not stored within 10 s of freeing the disk: {v}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    node.shutdown().await;
    hub.hub.shutdown().await;
    drop(disk);
}
