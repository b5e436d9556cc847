//! Store and forward over real QUIC: backlogs in order after reconnect, flash overtaking
//! a long backlog, direct messages only to their addressees, replies to the original
//! sender, expired messages skipped, and a stalled node cut off without hurting others.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::time::Duration;

use cordon_common::envelope::RecipientKey;
use cordon_common::ids::{ChannelName, MessageId, Role};
use cordon_common::msg::{MessageKind, Priority};
use cordon_common::quic::{read_frame, write_frame};
use cordon_common::wire::{Deliver, DeliverAck, Frame, PublishOutcome};
use cordon_testbed::{metric_value, policy::COSMO_2, Pki, TestClient, TestHub};

async fn start(limits: &str) -> (Pki, TestHub) {
    let pki = Pki::new().unwrap();
    let hub = TestHub::start(&pki, &pki.path().join("hub-run"), COSMO_2, limits)
        .await
        .unwrap();
    (pki, hub)
}

async fn client(pki: &Pki, hub: &TestHub, id: &str, role: Role, subscribe: bool) -> TestClient {
    let creds = pki.node(id, role).unwrap();
    TestClient::connect(pki, &creds, hub.addr(), subscribe)
        .await
        .unwrap()
}

/// Publish `n` envelopes pipelined on one stream; returns their ids in order.
async fn publish_many(
    c: &mut TestClient,
    n: usize,
    priority: Priority,
    recips: &[RecipientKey],
) -> Vec<cordon_common::ids::MessageId> {
    let to: Vec<ChannelName> = vec!["op/cosmo-2/alerts".parse().unwrap()];
    let mut ids = Vec::with_capacity(n);
    let mut envs = Vec::with_capacity(n);
    for i in 0..n {
        let h = c
            .header(MessageKind::Alert, "cosmo-2", &to, priority)
            .unwrap();
        ids.push(h.id);
        envs.push(c.seal(&h, format!("alert {i}").as_bytes(), recips).unwrap());
    }
    let p = c.publisher().await.unwrap();
    let window = 256;
    let mut acked = 0;
    for (i, env) in envs.into_iter().enumerate() {
        p.send(env).await.unwrap();
        if i + 1 - acked >= window {
            assert_eq!(p.ack().await.unwrap().outcome, PublishOutcome::Stored);
            acked += 1;
        }
    }
    while acked < n {
        assert_eq!(p.ack().await.unwrap().outcome, PublishOutcome::Stored);
        acked += 1;
    }
    ids
}

#[tokio::test]
async fn an_offline_node_gets_its_whole_backlog_in_order() {
    let (pki, hub) = start("").await;
    // NL-NCP connects once (so senders can encrypt to it), then goes offline.
    let nl_creds = pki.node("NL-NCP", Role::Member).unwrap();
    let nl = TestClient::connect(&pki, &nl_creds, hub.addr(), true)
        .await
        .unwrap();
    let mut be = client(&pki, &hub, "BE-NCP", Role::Member, false).await;
    let to: Vec<ChannelName> = vec!["op/cosmo-2/alerts".parse().unwrap()];
    let recips = be.recipients(&to).await.unwrap();
    nl.session.close();
    drop(nl);
    let ids = publish_many(&mut be, 300, Priority::Routine, &recips).await;
    let mut nl = TestClient::connect(&pki, &nl_creds, hub.addr(), true)
        .await
        .unwrap();
    let got = nl.collect(300, Duration::from_secs(20)).await.unwrap();
    let got_ids: Vec<_> = got
        .iter()
        .map(|d| nl.open(&d.envelope).unwrap().0.id)
        .collect();
    assert_eq!(got_ids, ids, "the whole backlog, in publish order");
    let seqs: Vec<u64> = got.iter().map(|d| d.seq).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
    // Acknowledged: after another reconnect nothing is sent again.
    tokio::time::sleep(Duration::from_millis(600)).await;
    nl.session.close();
    drop(nl);
    let mut nl = TestClient::connect(&pki, &nl_creds, hub.addr(), true)
        .await
        .unwrap();
    assert!(nl
        .next_delivery(Duration::from_millis(800))
        .await
        .unwrap()
        .is_none());
}

/// NL-NCP connects once (so senders can encrypt to it) and goes offline; BE-NCP
/// publishes `n` routine alerts, then the OCU a flash notice. Returns NL-NCP's
/// credentials and the notice's id.
async fn offline_backlog_and_flash_notice(
    pki: &Pki,
    hub: &TestHub,
    n: usize,
) -> (cordon_testbed::NodeCreds, cordon_common::ids::MessageId) {
    let nl_creds = pki.node("NL-NCP", Role::Member).unwrap();
    let nl = TestClient::connect(pki, &nl_creds, hub.addr(), true)
        .await
        .unwrap();
    let mut be = client(pki, hub, "BE-NCP", Role::Member, false).await;
    let mut ocu = client(pki, hub, "OCU", Role::Ocu, false).await;
    let to: Vec<ChannelName> = vec!["op/cosmo-2/alerts".parse().unwrap()];
    // Seal only to NL-NCP (and BE-NCP): the hub does not look inside.
    let recips: Vec<RecipientKey> = be
        .recipients(&to)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.node_id.as_str() != "OCU")
        .collect();
    nl.session.close();
    drop(nl);
    publish_many(&mut be, n, Priority::Routine, &recips).await;
    let (notice, ack) = ocu
        .send(
            MessageKind::Notice,
            "cosmo-2",
            &["op/cosmo-2/notices"],
            Priority::Flash,
            b"phase: interdiction",
        )
        .await
        .unwrap();
    assert_eq!(ack.outcome, PublishOutcome::Stored);
    (nl_creds, notice.id)
}

#[tokio::test]
async fn a_flash_notice_comes_before_a_10000_message_backlog() {
    let (pki, hub) = start("").await;
    let (nl_creds, notice) = offline_backlog_and_flash_notice(&pki, &hub, 10_000).await;
    let mut nl = TestClient::connect(&pki, &nl_creds, hub.addr(), true)
        .await
        .unwrap();
    let mut position = None;
    let mut n = 0;
    while let Some(d) = nl.next_delivery(Duration::from_secs(30)).await.unwrap() {
        if d.channel.as_str() == "op/cosmo-2/notices" {
            assert_eq!(nl.open(&d.envelope).unwrap().0.id, notice);
            position = Some(n);
            break;
        }
        n += 1;
    }
    let position = position.expect("the flash notice arrives");
    // The other lanes of a new session wait until the flash backlog is acknowledged
    // (this client acknowledges on receipt), so the notice comes before all of it.
    assert_eq!(
        position, 0,
        "flash arrived after {position} routine deliveries"
    );
}

/// Reconnect NL-NCP without acknowledging anything: the first lane the hub opens must
/// be the flash lane, with the notice. Returns the connection and that lane.
async fn first_lane_is_flash(
    pki: &Pki,
    hub: &TestHub,
    nl_creds: &cordon_testbed::NodeCreds,
) -> (TestClient, quinn::SendStream, Deliver) {
    let mut nl = TestClient::connect(pki, nl_creds, hub.addr(), false)
        .await
        .unwrap();
    nl.session.subscribe(vec![]).await.unwrap();
    let conn = nl.session.connection().clone();
    let (send, mut recv) = tokio::time::timeout(Duration::from_secs(10), conn.accept_bi())
        .await
        .expect("a lane opens")
        .unwrap();
    let Some(Frame::Deliver(d)) = read_frame(&mut recv, nl.session.max_frame()).await.unwrap()
    else {
        panic!("the first lane starts with a delivery");
    };
    assert_eq!(
        d.channel.as_str(),
        "op/cosmo-2/notices",
        "the first lane is flash"
    );
    (nl, send, d)
}

/// The next lane the hub opens, and its first delivery's channel.
async fn next_lane_channel(nl: &TestClient, wait: Duration) -> Option<String> {
    let conn = nl.session.connection().clone();
    let (_send, mut recv) = tokio::time::timeout(wait, conn.accept_bi())
        .await
        .ok()?
        .ok()?;
    match read_frame(&mut recv, nl.session.max_frame()).await {
        Ok(Some(Frame::Deliver(d))) => Some(d.channel.to_string()),
        _ => None,
    }
}

/// The routine lane opens (within 10 s) with an alert.
async fn routine_lane_opens(nl: &TestClient) {
    assert_eq!(
        next_lane_channel(nl, Duration::from_secs(10))
            .await
            .as_deref(),
        Some("op/cosmo-2/alerts")
    );
}

#[tokio::test]
async fn the_routine_backlog_waits_until_the_flash_backlog_is_acknowledged() {
    let (pki, hub) = start("").await;
    let (nl_creds, _) = offline_backlog_and_flash_notice(&pki, &hub, 50).await;
    let (nl, mut flash_lane, notice) = first_lane_is_flash(&pki, &hub, &nl_creds).await;
    assert_eq!(
        next_lane_channel(&nl, Duration::from_millis(400)).await,
        None,
        "the routine lane opened before the flash notice was acknowledged"
    );
    let ack = Frame::DeliverAck(DeliverAck {
        channel: notice.channel.clone(),
        seq: notice.seq,
    });
    write_frame(&mut flash_lane, &ack, nl.session.max_frame())
        .await
        .unwrap();
    routine_lane_opens(&nl).await;
}

#[tokio::test]
async fn an_unacknowledged_flash_backlog_holds_the_others_back_only_briefly() {
    let (pki, hub) = start("").await;
    let (nl_creds, _) = offline_backlog_and_flash_notice(&pki, &hub, 50).await;
    let (nl, _flash_lane, _) = first_lane_is_flash(&pki, &hub, &nl_creds).await;
    // Never acknowledged: the routine lane starts anyway after the head start (1 s).
    routine_lane_opens(&nl).await;
}

#[tokio::test]
async fn direct_messages_reach_only_their_addressees_and_replies_go_back() {
    let (pki, hub) = start("").await;
    let mut hu = client(&pki, &hub, "HU-NCP", Role::Member, true).await;
    let mut nl = client(&pki, &hub, "NL-NCP", Role::Member, true).await;
    let mut ocu = client(&pki, &hub, "OCU", Role::Ocu, true).await;
    let (task, ack) = ocu
        .send(
            MessageKind::Tasking,
            "cosmo-2",
            &["node/HU-NCP"],
            Priority::Urgent,
            b"check CSQU3054383",
        )
        .await
        .unwrap();
    assert_eq!(ack.outcome, PublishOutcome::Stored, "{}", ack.reason);
    let d = hu
        .next_delivery(Duration::from_secs(5))
        .await
        .unwrap()
        .expect("HU-NCP gets its tasking");
    assert_eq!(d.channel.as_str(), "node/HU-NCP");
    assert!(
        nl.next_delivery(Duration::from_millis(500))
            .await
            .unwrap()
            .is_none(),
        "NL-NCP gets nothing"
    );
    // A member may not task.
    let (_, ack) = nl
        .send(
            MessageKind::Tasking,
            "cosmo-2",
            &["node/HU-NCP"],
            Priority::Routine,
            b"x",
        )
        .await
        .unwrap();
    assert_eq!(ack.outcome, PublishOutcome::Denied);
    // HU-NCP's receipt goes back to the OCU.
    let to: Vec<ChannelName> = vec!["node/OCU".parse().unwrap()];
    let mut h = hu
        .header(MessageKind::Receipt, "cosmo-2", &to, Priority::Routine)
        .unwrap();
    h.in_reply_to = Some(task.id);
    let recips = hu.recipients(&to).await.unwrap();
    let env = hu.seal(&h, b"receipt", &recips).unwrap();
    assert_eq!(
        hu.publish(env).await.unwrap().outcome,
        PublishOutcome::Stored
    );
    let r = ocu
        .next_delivery(Duration::from_secs(5))
        .await
        .unwrap()
        .expect("the OCU gets the receipt");
    assert_eq!(ocu.open(&r.envelope).unwrap().0.in_reply_to, Some(task.id));
    // NL-NCP cannot send a "receipt" for a message it never received.
    let mut h = nl
        .header(MessageKind::Receipt, "cosmo-2", &to, Priority::Routine)
        .unwrap();
    h.in_reply_to = Some(task.id);
    let recips = nl.recipients(&to).await.unwrap();
    let env = nl.seal(&h, b"receipt", &recips).unwrap();
    assert_eq!(
        nl.publish(env).await.unwrap().outcome,
        PublishOutcome::Denied
    );
}

#[tokio::test]
async fn expired_messages_are_not_delivered() {
    let (pki, hub) = start("").await;
    let nl_creds = pki.node("NL-NCP", Role::Member).unwrap();
    let nl = TestClient::connect(&pki, &nl_creds, hub.addr(), true)
        .await
        .unwrap();
    let mut be = client(&pki, &hub, "BE-NCP", Role::Member, false).await;
    let to: Vec<ChannelName> = vec!["op/cosmo-2/alerts".parse().unwrap()];
    let recips = be.recipients(&to).await.unwrap();
    nl.session.close();
    drop(nl);
    let mut short = be
        .header(MessageKind::Alert, "cosmo-2", &to, Priority::Routine)
        .unwrap();
    short.expires_at = short.created_at + 1500;
    let env = be.seal(&short, b"short-lived", &recips).unwrap();
    assert_eq!(
        be.publish(env).await.unwrap().outcome,
        PublishOutcome::Stored
    );
    let (long, _) = be
        .send(
            MessageKind::Alert,
            "cosmo-2",
            &["op/cosmo-2/alerts"],
            Priority::Routine,
            b"long",
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let mut nl = TestClient::connect(&pki, &nl_creds, hub.addr(), true)
        .await
        .unwrap();
    let got = nl.collect(2, Duration::from_secs(3)).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(nl.open(&got[0].envelope).unwrap().0.id, long.id);
}

/// NL-NCP connects once (so senders can encrypt to it) and goes offline; BE-NCP stays
/// connected. Returns NL-NCP's credentials, BE-NCP and its recipients on
/// `op/cosmo-2/alerts` (NL-NCP among them).
async fn offline_reader_and_sender(
    pki: &Pki,
    hub: &TestHub,
) -> (cordon_testbed::NodeCreds, TestClient, Vec<RecipientKey>) {
    let nl_creds = pki.node("NL-NCP", Role::Member).unwrap();
    TestClient::connect(pki, &nl_creds, hub.addr(), false)
        .await
        .unwrap()
        .session
        .close();
    let mut be = client(pki, hub, "BE-NCP", Role::Member, false).await;
    let to: Vec<ChannelName> = vec!["op/cosmo-2/alerts".parse().unwrap()];
    let recips = be.recipients(&to).await.unwrap();
    assert!(recips.iter().any(|r| r.node_id.as_str() == "NL-NCP"));
    (nl_creds, be, recips)
}

/// An envelope stored under a larger `max_frame` than the hub has after a restart fits
/// no `Deliver` frame: the hub skips it for the reader, audits it as `undeliverable` with
/// the way out, and goes on delivering what follows in the same session rather than
/// ending the lane at every attempt.
#[tokio::test]
async fn an_envelope_stored_under_a_larger_max_frame_is_skipped_loudly() {
    const MAX_FRAME: usize = 64 * 1024;
    let (pki, hub) = start("").await;
    let (nl_creds, mut be, recips) = offline_reader_and_sender(&pki, &hub).await;
    let to: Vec<ChannelName> = vec!["op/cosmo-2/alerts".parse().unwrap()];
    let header = || {
        be.header(MessageKind::Alert, "cosmo-2", &to, Priority::Routine)
            .unwrap()
    };
    let (large_h, small_h) = (header(), header());
    let large = be.seal_to_size(&large_h, &recips, 2 * MAX_FRAME).unwrap();
    let small = be.seal(&small_h, b"small", &recips).unwrap();
    for env in [large, small] {
        assert_eq!(
            be.publish(env).await.unwrap().outcome,
            PublishOutcome::Stored
        );
    }
    drop(be);
    // The same data, a smaller max_frame.
    hub.hub.shutdown().await;
    let limits = format!("max_frame = {MAX_FRAME}");
    let hub = TestHub::start(&pki, &pki.path().join("hub-run"), COSMO_2, &limits)
        .await
        .unwrap();
    let mut nl = TestClient::connect(&pki, &nl_creds, hub.addr(), true)
        .await
        .unwrap();
    let d = nl
        .next_delivery(Duration::from_secs(10))
        .await
        .unwrap()
        .expect("the message after the undeliverable one arrives");
    assert_eq!(nl.open(&d.envelope).unwrap().0.id, small_h.id);
    let path = hub.hub.state().config.audit_path();
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    loop {
        let audit = std::fs::read_to_string(&path).unwrap();
        let skipped = audit.lines().find(|l| l.contains("\"undeliverable\""));
        if let Some(record) = skipped {
            assert!(record.contains(&large_h.id.to_string()), "{record}");
            assert!(record.contains("\"node\":\"NL-NCP\""), "{record}");
            assert!(record.contains("raise limits.max_frame"), "{record}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no undeliverable record: {audit}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Publish its key bundle and subscribe, but never accept a lane: it neither reads nor
/// acknowledges a delivery.
async fn subscribe_and_stop_reading(
    stalled: &mut cordon_node::client::HubSession,
    stalled_creds: &cordon_testbed::NodeCreds,
) {
    let kem = cordon_common::envelope::KemKeyPair::generate().unwrap();
    let key = stalled_creds.identity_key().unwrap();
    let b = cordon_common::envelope::KeyBundle::sign(
        &stalled_creds.identity,
        &key,
        &kem,
        cordon_testbed::client::now_ms(),
    )
    .unwrap();
    assert!(
        stalled
            .publish_bundle(b.as_bytes().to_vec())
            .await
            .unwrap()
            .accepted
    );
    // Subscribed, but it never accepts a lane nor acknowledges a delivery.
    stalled.subscribe(vec![]).await.unwrap();
}

#[tokio::test]
async fn a_stalled_node_is_disconnected_and_the_others_are_served() {
    let (pki, hub) = start("delivery_window = 8\nstall_timeout_ms = 1500").await;
    let stalled_creds = pki.node("NL-NCP", Role::Member).unwrap();
    // NL-NCP subscribes but never acknowledges.
    let mut stalled = cordon_testbed::client::connect_raw(&pki, &stalled_creds, hub.addr())
        .await
        .unwrap();
    subscribe_and_stop_reading(&mut stalled, &stalled_creds).await;
    let mut hu = client(&pki, &hub, "HU-NCP", Role::Member, true).await;
    let mut be = client(&pki, &hub, "BE-NCP", Role::Member, false).await;
    let to: Vec<ChannelName> = vec!["op/cosmo-2/alerts".parse().unwrap()];
    let recips = be.recipients(&to).await.unwrap();
    publish_many(&mut be, 40, Priority::Routine, &recips).await;
    // The hub reports what NL-NCP has not acknowledged. The gauge follows the lane's
    // reads, which may lag the publish acks on a busy machine: poll it, well within the
    // stall timeout (the clock starts only once the window of 8 is full).
    let deadline = std::time::Instant::now() + Duration::from_millis(1000);
    let metrics = loop {
        let metrics = hub.hub.state().metrics.render();
        let backlog = metric_value(&metrics, "cordon_backlog{node=\"NL-NCP\"}");
        if backlog.unwrap_or(0.0) > 0.0 || std::time::Instant::now() > deadline {
            break metrics;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert!(
        metric_value(&metrics, "cordon_backlog{node=\"NL-NCP\"}").unwrap_or(0.0) > 0.0,
        "backlog gauge for the stalled node: {metrics}"
    );
    cut_off_for_stalling(stalled.connection(), "stalled node cut off").await;
    assert_eq!(
        hu.collect(40, Duration::from_secs(10)).await.unwrap().len(),
        40
    );
    // HU-NCP has acknowledged everything: its gauge follows the acknowledgements.
    let gauge = |node: &str| {
        let text = hub.hub.state().metrics.render();
        metric_value(&text, &format!("cordon_backlog{{node=\"{node}\"}}"))
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    while gauge("HU-NCP") != Some(0.0) && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(gauge("HU-NCP"), Some(0.0), "a caught-up node's backlog");
    // NL-NCP, now offline, still has all 40 to pick up: the hub counts it from the store
    // (once its side of the connection has ended too).
    let nl: cordon_common::ids::NodeId = "NL-NCP".parse().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    let offline = loop {
        let offline = cordon_hub::backlog::refresh_now(hub.hub.state()).await;
        if offline.iter().any(|(n, _)| *n == nl) || std::time::Instant::now() > deadline {
            break offline;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(offline.contains(&(nl, 40)), "offline backlogs: {offline:?}");
    assert!(
        offline.iter().all(|(n, _)| n.as_str() != "HU-NCP"),
        "a subscribed node is left to its lanes"
    );
    assert_eq!(gauge("NL-NCP"), Some(40.0));
    // BE-NCP is connected but never subscribed: it has no lanes, so it is counted from the
    // store as well (its own 40 alerts, on a channel it may read).
    let be_id: cordon_common::ids::NodeId = "BE-NCP".parse().unwrap();
    assert!(
        offline.contains(&(be_id, 40)),
        "offline backlogs: {offline:?}"
    );
    assert_eq!(gauge("BE-NCP"), Some(40.0));
    drop(be);
}

/// A node that stops reading once QUIC flow control is full blocks the hub's write before
/// its delivery window fills (large envelopes, small receive windows); its keep-alives
/// hold the connection. A write blocked for the stall timeout is a stall: the node is
/// disconnected, and the others are still served.
#[tokio::test]
async fn a_node_that_stops_reading_is_disconnected_before_its_window_fills() {
    const BODY: usize = 200 * 1024;
    const N: usize = 12;
    let (pki, hub) = start("delivery_window = 64\nstall_timeout_ms = 1500").await;
    let stalled_creds = pki.node("NL-NCP", Role::Member).unwrap();
    // Its flow control lets about two 200 KiB envelopes through; the window is 64.
    let limits = cordon_common::quic::TransportLimits {
        stream_window: 256 * 1024,
        connection_window: 512 * 1024,
        ..Default::default()
    };
    let (stalled, mut hu, mut be, recips) =
        unread_nl_and_two_readers(&pki, &hub, &stalled_creds, &limits).await;
    let to: Vec<ChannelName> = vec!["op/cosmo-2/alerts".parse().unwrap()];
    for i in 0..N {
        let h = be
            .header(MessageKind::Alert, "cosmo-2", &to, Priority::Routine)
            .unwrap();
        let env = be.seal(&h, &vec![i as u8; BODY], &recips).unwrap();
        let ack = be.publish(env).await.unwrap();
        assert_eq!(ack.outcome, PublishOutcome::Stored, "{}", ack.reason);
    }
    assert!(
        N * BODY > 2 * limits.connection_window as usize && N < 64,
        "more bytes than flow control lets through, fewer deliveries than the window"
    );
    cut_off_for_stalling(
        stalled.connection(),
        "a node that stopped reading is cut off (stall timeout 1.5 s)",
    )
    .await;
    // HU-NCP, reading, gets every message.
    let got = hu.collect(N, Duration::from_secs(20)).await.unwrap();
    assert_eq!(got.len(), N);
    assert!(got
        .iter()
        .all(|d| hu.open(&d.envelope).unwrap().1.len() == BODY));
    // The disconnect is audited with its reason.
    assert_disconnect_audited(&hub, "stopped reading").await;
}

/// A node that grants the hub no bidirectional stream (QUIC stream credit 0) cannot be
/// given a delivery lane: after the stall timeout it is disconnected like a stalled node,
/// with its own reason in the audit log, and the others are still served.
#[tokio::test]
async fn a_node_that_allows_no_delivery_stream_is_disconnected_after_the_stall_timeout() {
    let (pki, hub) = start("stall_timeout_ms = 1500").await;
    let creds = pki.node("NL-NCP", Role::Member).unwrap();
    let limits = cordon_common::quic::TransportLimits {
        max_bidi_streams: 0,
        ..Default::default()
    };
    let (closed, mut hu, mut be, recips) =
        unread_nl_and_two_readers(&pki, &hub, &creds, &limits).await;
    publish_many(&mut be, 3, Priority::Routine, &recips).await;
    cut_off_for_stalling(closed.connection(), "a node allowing no stream is cut off").await;
    assert_eq!(
        hu.collect(3, Duration::from_secs(10)).await.unwrap().len(),
        3
    );
    assert_disconnect_audited(&hub, "allowed no stream").await;
}

/// The audit log gets a `disconnected` record whose reason says `why`, within 3 s (it is
/// written in batches).
async fn assert_disconnect_audited(hub: &TestHub, why: &str) {
    let path = hub.hub.state().config.audit_path();
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    loop {
        let audit = std::fs::read_to_string(&path).unwrap();
        if audit
            .lines()
            .any(|l| l.contains("\"disconnected\"") && l.contains(why))
        {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no disconnect audited for {why:?}: {audit}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// NL-NCP connected with the QUIC `limits` given, subscribed but never reading; HU-NCP
/// subscribed and reading; BE-NCP to publish on `op/cosmo-2/alerts`, with its recipients
/// there (NL-NCP among them).
async fn unread_nl_and_two_readers(
    pki: &Pki,
    hub: &TestHub,
    nl_creds: &cordon_testbed::NodeCreds,
    limits: &cordon_common::quic::TransportLimits,
) -> (
    cordon_node::client::HubSession,
    TestClient,
    TestClient,
    Vec<RecipientKey>,
) {
    let mut nl = connect_with_limits(pki, hub, nl_creds, limits).await;
    subscribe_and_stop_reading(&mut nl, nl_creds).await;
    let hu = client(pki, hub, "HU-NCP", Role::Member, true).await;
    let mut be = client(pki, hub, "BE-NCP", Role::Member, false).await;
    let to: Vec<ChannelName> = vec!["op/cosmo-2/alerts".parse().unwrap()];
    let recips = be.recipients(&to).await.unwrap();
    assert!(recips.iter().any(|r| r.node_id.as_str() == "NL-NCP"));
    (nl, hu, be, recips)
}

/// A session of `creds` over a QUIC connection with the transport `limits` given.
async fn connect_with_limits(
    pki: &Pki,
    hub: &TestHub,
    creds: &cordon_testbed::NodeCreds,
    limits: &cordon_common::quic::TransportLimits,
) -> cordon_node::client::HubSession {
    let (chain, key) = creds.tls().unwrap();
    let connector =
        cordon_node::client::Connector::new(&pki.roots().unwrap(), chain, key, limits).unwrap();
    connector
        .connect(&cordon_node::client::HubTarget {
            addr: hub.addr(),
            server_name: "localhost".into(),
        })
        .await
        .unwrap()
}

/// The hub closes `conn` within 10 s with the `timeout` error code (a stalled node).
async fn cut_off_for_stalling(conn: &quinn::Connection, what: &str) {
    let closed = tokio::time::timeout(Duration::from_secs(10), conn.closed())
        .await
        .expect(what);
    match closed {
        quinn::ConnectionError::ApplicationClosed(c) => {
            assert_eq!(
                u64::from(c.error_code),
                u64::from(cordon_common::wire::ErrorCode::Timeout.as_u16())
            )
        }
        other => panic!("{other}"),
    }
}

/// The id of a delivered envelope, from its visible header.
fn delivered_id(d: &Deliver) -> MessageId {
    cordon_common::envelope::ParsedEnvelope::parse(&d.envelope)
        .unwrap()
        .header
        .id
}

/// How a test ends a reader's session in the middle of a delivery burst.
#[derive(Debug, Clone, Copy)]
enum SessionEnd {
    /// The reader closes its connection.
    Close,
    /// A newer connection of the same node replaces it (the hub closes the older one).
    Replace,
    /// A newer connection of the same node replaces it and stops reading: the hub's
    /// writes block on flow control until the stall timeout, then the hub cuts it off.
    Stall,
}

/// NL-NCP reading a burst of alerts from BE-NCP, its sessions ended one after another.
struct Rounds<'a> {
    pki: &'a Pki,
    hub: &'a TestHub,
    nl_creds: cordon_testbed::NodeCreds,
    be: TestClient,
    recips: Vec<RecipientKey>,
    /// Every message stored for NL-NCP, in publish order.
    stored: Vec<MessageId>,
    /// Every message NL-NCP received (and acknowledged).
    seen: HashSet<MessageId>,
    /// Flash alerts published so far.
    flashes: u64,
}

impl Rounds<'_> {
    /// Deliveries the reader holds before it stops reading for the test.
    const PACE: usize = 10;

    /// A new session of NL-NCP, reading at the test's pace.
    async fn reader(&self) -> TestClient {
        let mut r = TestClient::connect(self.pki, &self.nl_creds, self.hub.addr(), false)
            .await
            .unwrap();
        r.subscribe_paced(vec![], Self::PACE).await.unwrap();
        r
    }

    /// Take `n` deliveries from `reader` (fewer if none comes for 10 s).
    async fn take(&mut self, reader: &mut TestClient, n: usize) {
        let got = reader.collect(n, Duration::from_secs(10)).await.unwrap();
        self.seen.extend(got.iter().map(delivered_id));
    }

    /// BE-NCP publishes [`Self::PACE`] more routine alerts: the burst goes on.
    async fn burst(&mut self) {
        let ids = publish_many(&mut self.be, Self::PACE, Priority::Routine, &self.recips).await;
        self.stored.extend(ids);
    }

    /// BE-NCP publishes one flash alert.
    async fn flash_alert(&mut self) {
        let ids = publish_many(&mut self.be, 1, Priority::Flash, &self.recips).await;
        self.stored.extend(ids);
        self.flashes += 1;
    }

    /// Wait (at most 10 s, taking deliveries meanwhile) until the hub has durably
    /// recorded that NL-NCP acknowledged every flash alert published so far.
    async fn flash_acknowledged(&mut self, reader: &mut TestClient) {
        use cordon_hub::store::Lane;
        let nl: cordon_common::ids::NodeId = "NL-NCP".parse().unwrap();
        let alerts: ChannelName = "op/cosmo-2/alerts".parse().unwrap();
        let store = self.hub.hub.state().store.clone();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while store.cursor(&nl, &alerts, Lane::Flash).unwrap() < self.flashes {
            assert!(
                std::time::Instant::now() < deadline,
                "the hub did not record NL-NCP's flash acknowledgements"
            );
            let got = reader.collect(usize::MAX, Duration::from_millis(20)).await;
            self.seen.extend(got.unwrap().iter().map(delivered_id));
        }
    }

    /// A flash alert is published and `reader`'s session ends as `how` says; returns the
    /// reader of the next round, after taking what the old session received (and
    /// acknowledged) until it ended.
    async fn end(&mut self, how: SessionEnd, mut reader: TestClient) -> TestClient {
        let next = match how {
            SessionEnd::Close => {
                self.flash_alert().await;
                reader.session.close();
                None
            }
            // The hub closes the older session when the newer one says Hello.
            SessionEnd::Replace => {
                self.flash_alert().await;
                Some(self.reader().await)
            }
            SessionEnd::Stall => {
                // The flash lane's next write is the new alert, with nothing else
                // outstanding, and it blocks: flow control lets less than an envelope
                // through.
                self.flash_acknowledged(&mut reader).await;
                let limits = cordon_common::quic::TransportLimits {
                    stream_window: 256,
                    connection_window: 16 * 1024,
                    ..Default::default()
                };
                let mut stalled =
                    connect_with_limits(self.pki, self.hub, &self.nl_creds, &limits).await;
                subscribe_and_stop_reading(&mut stalled, &self.nl_creds).await;
                self.flash_alert().await;
                cut_off_for_stalling(stalled.connection(), "a reader that stopped reading").await;
                None
            }
        };
        // The old session's deliveries end when its connection does.
        self.take(&mut reader, usize::MAX).await;
        match next {
            Some(n) => n,
            None => self.reader().await,
        }
    }
}

/// A reader whose session ends in the middle of a delivery burst, twenty times over
/// (closed by the reader, replaced by its own newer connection as after a reconnect, or
/// cut off for stalling), while flash alerts keep coming, still gets every stored
/// message: the hub's cursor never passes a message whose `DeliverAck` it did not
/// receive. A delivery window of one makes every `Deliver` the only one outstanding in
/// its lane, as a sporadic flash alert is: the case where a write that failed as the
/// session ended used to be flushed as acknowledged.
#[tokio::test]
async fn sessions_ended_in_the_middle_of_a_burst_lose_no_stored_message() {
    const ROUNDS: usize = 20;
    let (pki, hub) = start("delivery_window = 1\nstall_timeout_ms = 500").await;
    let (nl_creds, mut be, recips) = offline_reader_and_sender(&pki, &hub).await;
    let mut stored = publish_many(&mut be, 40, Priority::Urgent, &recips).await;
    stored.extend(publish_many(&mut be, 60, Priority::Routine, &recips).await);
    let mut rounds = Rounds {
        pki: &pki,
        hub: &hub,
        nl_creds,
        be,
        recips,
        stored,
        seen: HashSet::new(),
        flashes: 0,
    };
    let started = std::time::Instant::now();
    let mut reader = rounds.reader().await;
    let ends = [
        SessionEnd::Close,
        SessionEnd::Replace,
        SessionEnd::Stall,
        SessionEnd::Close,
        SessionEnd::Replace,
    ];
    for how in ends.iter().cycle().take(ROUNDS) {
        rounds.burst().await;
        rounds.take(&mut reader, Rounds::PACE).await;
        reader = rounds.end(*how, reader).await;
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let unseen = |r: &Rounds<'_>| -> Vec<MessageId> {
        r.stored
            .iter()
            .filter(|id| !r.seen.contains(id))
            .copied()
            .collect()
    };
    while !unseen(&rounds).is_empty() && std::time::Instant::now() < deadline {
        rounds.take(&mut reader, 1).await;
    }
    let missing = unseen(&rounds);
    assert!(
        missing.is_empty(),
        "{} of {} stored messages never reached the reader (rounds took {:?}): {missing:?}",
        missing.len(),
        rounds.stored.len(),
        started.elapsed()
    );
}
