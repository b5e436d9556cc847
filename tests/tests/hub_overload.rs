//! Work a peer can make the hub do, bounded: a `Subscribe` naming 200 000 channels costs
//! a bounded number of policy checks and audit records.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use cordon_common::ids::{ChannelName, Role};
use cordon_testbed::client::connect_raw;
use cordon_testbed::{policy::COSMO_2, Pki, TestHub};

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
