//! The bare quinn baselines of `cordon-bench` (`cordon_testbed::baseline`), small: what
//! each claims to measure, it does.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use cordon_common::ids::Role;
use cordon_testbed::baseline::{fan_out, handshakes, round_trips, BareClient, BareServer, Echo};
use cordon_testbed::Pki;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_durable_echo_journals_every_request_before_answering() {
    let pki = Pki::new().unwrap();
    let journal = pki.path().join("journal");
    let server = BareServer::start(&pki, &journal).unwrap();
    let client = BareClient::new(&pki, &pki.node("BARE", Role::Rilo).unwrap()).unwrap();
    let plain = round_trips(&client, server.addr, Echo::Plain, 2, 100, 1)
        .await
        .unwrap();
    assert_eq!(plain.len(), 100);
    assert_eq!(
        std::fs::metadata(&journal).unwrap().len(),
        0,
        "plain stores nothing"
    );
    let durable = round_trips(&client, server.addr, Echo::Durable, 3, 100, 1)
        .await
        .unwrap();
    assert_eq!(durable.len(), 100);
    // Every request answered was in the journal: a length and 1 KiB each.
    assert_eq!(std::fs::metadata(&journal).unwrap().len(), 100 * (4 + 1024));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fan_out_reaches_every_subscriber_and_handshakes_run_bounded() {
    let pki = Pki::new().unwrap();
    let server = BareServer::start(&pki, &pki.path().join("journal")).unwrap();
    let creds = pki.node("BARE", Role::Rilo).unwrap();
    let client = BareClient::new(&pki, &creds).unwrap();
    // It waits for the last of the 20 subscribers each time, or fails after 10 s.
    let fan = fan_out(&client, server.addr, 20, 3).await.unwrap();
    assert_eq!(fan.len(), 3);
    let clients: Vec<BareClient> = (0..30)
        .map(|_| BareClient::new(&pki, &creds).unwrap())
        .collect();
    let h = handshakes(&clients, server.addr, 4).await.unwrap();
    assert_eq!(h.each.len(), 30);
    assert!(h.each.iter().all(|d| *d <= h.took));
    assert!(h.rate() > 0.0);
}
