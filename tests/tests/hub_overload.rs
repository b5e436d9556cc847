//! Work a peer can make the hub do, bounded: replayed or spoofed QUIC Initials (no
//! certificate needed) cannot fill the connection or handshake slots, and a `Subscribe`
//! naming 200 000 channels costs a bounded number of policy checks and audit records.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use cordon_common::ids::{ChannelName, Role};
use cordon_testbed::client::connect_raw;
use cordon_testbed::initials::{capture_initials, replay};
use cordon_testbed::{metric_value, policy::COSMO_2, Pki, TestHub};

async fn hub(pki: &Pki, limits: &str) -> TestHub {
    TestHub::start(pki, &pki.path().join("hub-run"), COSMO_2, limits)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_subscribe_of_200_000_channels_writes_a_bounded_number_of_audit_records() {
    let pki = Pki::new().unwrap();
    let hub = hub(&pki, "").await;
    let xx = pki.node("XX-NCP", Role::Member).unwrap();
    let mut s = connect_raw(&pki, &xx, hub.addr()).await.unwrap();
    let mut channels: Vec<ChannelName> = (0..100_000)
        .map(|i| format!("op/cosmo-2/c{i}").parse().unwrap())
        .collect();
    // Half of them twice.
    channels.extend(channels[..100_000].to_vec());
    let sub = s.subscribe(channels).await.unwrap();
    assert!(sub.refused.len() <= 256, "{} refusals", sub.refused.len());
    assert_eq!(sub.channels, vec!["node/XX-NCP".parse().unwrap()]);
    // The session's end is audited after its refusals: wait for it, then count.
    s.connection().close(0u32.into(), b"done");
    let events = hub
        .audit_until("disconnected", |e| {
            e["type"] == "disconnected" && e["node"] == "XX-NCP"
        })
        .await;
    let refusals: Vec<_> = events
        .iter()
        .filter(|e| e["type"] == "read-refused")
        .collect();
    assert_eq!(refusals.len(), 1, "one record for the whole request");
    assert_eq!(refusals[0]["channel"], "op/cosmo-2/c0");
    assert_eq!(refusals[0]["also"].as_array().map(Vec::len), Some(16));
    assert_eq!(refusals[0]["more"], 256 - 17);
}

const BUSY: &str = "cordon_handshakes_refused_total{reason=\"address-busy\"}";

fn metric(text: &str, name: &str) -> f64 {
    metric_value(text, name).unwrap_or(0.0)
}

/// Replays `n` captured Initials from 127.0.0.2 (never answering), waits until the
/// metrics say the hub has `taken_in` them, then connects a real node from 127.0.0.1
/// within the handshake timeout.
async fn node_connects_despite_replayed_initials(
    limits: &str,
    n: usize,
    taken_in: impl Fn(&str, usize) -> bool,
) -> TestHub {
    let pki = Pki::new().unwrap();
    let hub = hub(&pki, limits).await;
    let be = pki.node("BE-NCP", Role::Member).unwrap();
    let initials = capture_initials(&pki, &be, n).await.unwrap();
    let _attacker = replay(&initials, "127.0.0.2:0", hub.addr()).await.unwrap();
    // The hub has taken in every replayed Initial (answered or refused it) before the
    // node comes.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !taken_in(&hub.hub.state().metrics.render(), n) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "Initials not taken in"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let nl = pki.node("NL-NCP", Role::Member).unwrap();
    let mut s = connect_raw(&pki, &nl, hub.addr())
        .await
        .expect("a real node connects while replayed handshakes hang");
    s.ping(1).await.unwrap();
    hub
}

#[tokio::test]
async fn replayed_initials_get_a_retry_and_take_no_connection_slot() {
    let retried = |m: &str, n: usize| metric(m, "cordon_retries_total") >= n as f64;
    let hub = node_connects_despite_replayed_initials("max_connections = 4", 8, retried).await;
    let text = hub.hub.state().metrics.render();
    assert_eq!(metric(&text, "cordon_connections"), 1.0, "{text}");
}

#[tokio::test]
async fn without_retry_one_address_cannot_take_every_handshake_slot() {
    // Four handshake slots: without the per-address cap the eight replays would take
    // them all and the node would be refused as `handshakes-busy`.
    let limits =
        "max_handshakes = 4\nmax_handshakes_per_address = 2\nretry_above_handshakes = 1000";
    let refused = |m: &str, n: usize| metric(m, BUSY) >= (n - 2) as f64;
    let hub = node_connects_despite_replayed_initials(limits, 8, refused).await;
    let text = hub.hub.state().metrics.render();
    assert_eq!(metric(&text, BUSY), 6.0, "{text}");
}

#[tokio::test]
async fn refused_handshakes_are_audited_with_the_certificate_and_aggregated() {
    let pki = Pki::new().unwrap();
    let nl = pki.node("NL-NCP", Role::Member).unwrap();
    pki.revoke(&nl).unwrap();
    let hub = hub(&pki, "handshake_audit_window_ms = 500").await;
    for _ in 0..5 {
        assert!(connect_raw(&pki, &nl, hub.addr()).await.is_err());
    }
    let refused = |e: &serde_json::Value| e["type"] == "handshake-refused";
    let total = |events: &[serde_json::Value]| -> u64 {
        events
            .iter()
            .filter(|e| refused(e))
            .filter_map(|e| e["count"].as_u64())
            .sum()
    };
    // The first refusal at once, the four repeats at the window's end, in one record.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let events = loop {
        let events = hub.audit_until("handshake-refused", refused).await;
        if total(&events) == 5 {
            break events;
        }
        assert!(tokio::time::Instant::now() < deadline, "{events:#?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let records: Vec<_> = events.iter().filter(|e| refused(e)).collect();
    assert_eq!(records.len(), 2, "{records:#?}");
    for r in &records {
        assert_eq!(r["code"], "revoked");
        assert_eq!(r["fingerprint"], nl.identity.fingerprint.to_hex());
        assert_eq!(r["serial"], hex::encode(&nl.serial));
        let subject = r["subject"].as_str().unwrap();
        assert!(subject.contains("NL"), "{subject}");
    }
    assert_eq!(records[0]["count"], 1);
}
