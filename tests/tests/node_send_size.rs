//! A node refuses to send what its hub could not deliver: an envelope larger than a
//! `Deliver` frame carries under the hub's maximum frame fails at the node with a reason
//! that tells the officer what to do, and the messages behind it are sent as usual.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use cordon_common::ids::Role;
use cordon_common::msg::Attachment;
use cordon_common::wire::max_envelope;
use cordon_node::service::{SendRequest, SentItem};
use cordon_testbed::federation::start_connected_node;
use cordon_testbed::{policy::COSMO_2, Pki, TestClient, TestHub};
use serde_json::json;

/// An alert titled `title` with one attachment of `attachment` bytes.
fn alert(title: &str, attachment: usize) -> SendRequest {
    SendRequest {
        kind: "alert".into(),
        to: vec!["op/cosmo-2/alerts".into()],
        body: json!({
            "title": title,
            "summary": "Reefer containers with an unusual routing through Rotterdam.",
            "action": "inspect",
            "containers": ["CSQU3054383"],
            "grading": {"source": "B", "information": 2},
            "attachments": [Attachment {
                name: "x-ray.jpg".into(),
                media_type: "image/jpeg".into(),
                data: vec![7u8; attachment],
            }],
        }),
        ..Default::default()
    }
}

#[tokio::test]
async fn an_envelope_the_hub_could_not_deliver_fails_at_the_node_and_the_rest_is_sent() {
    const MAX_FRAME: usize = 64 * 1024;
    let pki = Pki::new().unwrap();
    let limits = format!("max_frame = {MAX_FRAME}");
    let hub = TestHub::start(&pki, &pki.path().join("hub"), COSMO_2, &limits)
        .await
        .unwrap();
    let nl = pki.node("NL-NCP", Role::Member).unwrap();
    let mut nl = TestClient::connect(&pki, &nl, hub.addr(), true)
        .await
        .unwrap();
    let be = pki.node("BE-NCP", Role::Member).unwrap();
    let node = start_connected_node(&pki, &be, hub.addr()).await.unwrap();
    let service = node.service().clone();
    // Larger than the hub delivers, though within the attachment limits.
    let large = service
        .send(alert("Too large", max_envelope(MAX_FRAME) + 1024))
        .await
        .unwrap()
        .id;
    let small = service.send(alert("Fits", 1024)).await.unwrap().id;
    let state = |items: &[SentItem], id| {
        items
            .iter()
            .find(|i| i.id == id)
            .map(|i| (i.state.clone(), i.reason.clone().unwrap_or_default()))
            .unwrap()
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let sent = loop {
        let sent = service.sent(10).await.unwrap();
        let settled = ["stored", "failed"];
        if [large, small]
            .iter()
            .all(|id| settled.contains(&state(&sent, *id).0.as_str()))
        {
            break sent;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not settled within 15 s: {sent:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let (s, reason) = state(&sent, large);
    assert_eq!(s, "failed");
    assert!(
        reason.starts_with("too large to send: the sealed message is")
            && reason.ends_with(&format!(
                "the hub delivers at most {}; send it again with smaller or fewer attachments",
                max_envelope(MAX_FRAME)
            )),
        "the node says why and what to do (the hub never saw it): {reason}"
    );
    assert_eq!(state(&sent, small).0, "stored");
    let d = nl
        .next_delivery(Duration::from_secs(10))
        .await
        .unwrap()
        .expect("the small alert is delivered");
    assert_eq!(nl.open(&d.envelope).unwrap().0.id, small);
    drop(service);
    node.shutdown().await;
}
