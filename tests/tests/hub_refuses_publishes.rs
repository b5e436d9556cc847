//! When the hub must not take publishes it refuses them, with a reason that says why and
//! what happens next: its audit log cannot be written (a real write failure: the log is
//! `/dev/full`), or the disk of its data directory is nearly full.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use cordon_common::ids::Role;
use cordon_common::wire::{PublishAck, PublishOutcome};
use cordon_testbed::{metric_value, policy::COSMO_2, Pki, TestClient, TestHub};

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
    assert_eq!(refused.outcome, PublishOutcome::Denied);
    assert!(refused.reason.contains("audit log"), "{}", refused.reason);
    let text = hub.hub.state().metrics.render();
    assert_eq!(metric_value(&text, "cordon_audit_writable"), Some(0.0));
    // It stays refused.
    assert_eq!(alert(&mut be).await.outcome, PublishOutcome::Denied);
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
    assert_eq!(ack.outcome, PublishOutcome::Denied);
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
