//! The node's local API cannot be held by a slow or idle local client: a client that
//! sends its headers a byte at a time, or nothing at all, is cut off after the header
//! timeout, and the connection slots it held serve the other clients.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::time::Duration;

use cordon_common::ids::Role;
use cordon_node::config::NodeConfig;
use cordon_node::daemon::RunningNode;
use cordon_testbed::federation::write_node_config;
use cordon_testbed::{policy::COSMO_2, Pki, TestHub};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Holds a connection to `addr`: sends the request line and then a header line every
/// 100 ms (`drip`), or nothing (`!drip`), until the server closes. Returns how long that
/// took.
async fn slow_client(addr: SocketAddr, drip: bool) -> Duration {
    let started = tokio::time::Instant::now();
    let mut s = TcpStream::connect(addr).await.unwrap();
    if drip {
        s.write_all(b"GET /v1/status HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
    }
    let mut buf = [0u8; 1024];
    loop {
        if drip && s.write_all(b"X-Slow: 1\r\n").await.is_err() {
            break;
        }
        match tokio::time::timeout(Duration::from_millis(100), s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            // An error answer (408) before the close is fine.
            Ok(Ok(_)) | Err(_) => {}
        }
        assert!(started.elapsed() < Duration::from_secs(10), "never cut off");
    }
    started.elapsed()
}

#[tokio::test]
async fn slow_and_idle_api_clients_are_cut_off_and_others_are_served() {
    let pki = Pki::new().unwrap();
    let hub = TestHub::start(&pki, &pki.path().join("hub-run"), COSMO_2, "")
        .await
        .unwrap();
    let creds = pki.node("BE-NCP", Role::Member).unwrap();
    let dir = pki.path().join("be");
    let path = write_node_config(&pki, &creds, hub.addr(), &dir).unwrap();
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("\n[limits]\napi_max_connections = 2\napi_header_timeout_ms = 500\n");
    std::fs::write(&path, text).unwrap();
    let node = RunningNode::start(NodeConfig::load(&path).unwrap())
        .await
        .unwrap();
    let addr = node.api_addr();

    // Two local clients take both connection slots: one drips headers, one is silent.
    let dripping = tokio::spawn(slow_client(addr, true));
    let silent = tokio::spawn(slow_client(addr, false));
    // A well-behaved client is served once the slots are freed.
    let api = node.api_client().with_timeout(Duration::from_secs(5));
    let status: serde_json::Value = api
        .get("/v1/status")
        .await
        .expect("a client is served while slow ones dawdle");
    assert!(status.is_object(), "{status}");
    for held in [dripping.await.unwrap(), silent.await.unwrap()] {
        assert!(held < Duration::from_secs(3), "held the slot for {held:?}");
    }
    node.shutdown().await;
}
