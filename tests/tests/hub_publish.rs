//! The publish path over real QUIC: policy refusals, a sender that is not the TLS peer,
//! forged signatures, expired messages and duplicates each get their outcome and reason,
//! are audited, and the hub keeps serving everyone. A closed operation past its retention
//! is purged and the purge audited.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use cordon_common::envelope::{seal, SealRng};
use cordon_common::ids::{ChannelName, MessageId, Role};
use cordon_common::msg::{MessageKind, Priority};
use cordon_common::wire::{max_envelope, PublishOutcome};
use cordon_testbed::{metric_value, policy::COSMO_2, Pki, TestClient, TestHub};
use serde_json::{json, Value};

struct Fed {
    pki: Pki,
    hub: TestHub,
}

async fn fed() -> Fed {
    fed_with_limits("").await
}

/// A federation whose hub has these `[limits]` (TOML).
async fn fed_with_limits(limits: &str) -> Fed {
    let pki = Pki::new().unwrap();
    let hub = TestHub::start(&pki, &pki.path().join("hub-run"), COSMO_2, limits)
        .await
        .unwrap();
    Fed { pki, hub }
}

/// What the policy answers HU-NCP (a member) publishing a notice.
const DENIED_NOTICE: &str =
    "HU-NCP may not publish notice to op/cosmo-2/notices: a notice may only be sent by role \
     ocu, but HU-NCP has role member";

async fn client(f: &Fed, id: &str, role: Role) -> TestClient {
    let creds = f.pki.node(id, role).unwrap();
    TestClient::connect(&f.pki, &creds, f.hub.addr(), true)
        .await
        .unwrap()
}

/// The `event` member of every complete record in the hub's audit log, in order.
fn audit_events(f: &Fed) -> Vec<Value> {
    f.hub.audit_events()
}

/// Waits (at most 5 s) until the audit log holds an event for which `found` holds.
async fn audit_until(f: &Fed, what: &str, found: impl Fn(&Value) -> bool) -> Vec<Value> {
    f.hub.audit_until(what, found).await
}

/// Flip a byte inside the envelope's signature (its last field).
fn forge_signature(env: &mut [u8]) {
    let last = env.len() - 10;
    env[last] ^= 0xff;
}

/// An event of type `ty` about message `id`.
fn is_about(event: &Value, ty: &str, id: &MessageId) -> bool {
    event["type"] == ty && event["id"] == id.to_string()
}

/// The one `publish-refused` record of message `id`, once it is in the audit log.
async fn audited_refusal(f: &Fed, id: &MessageId) -> Value {
    let events = audit_until(f, &format!("publish-refused of {id}"), |e| {
        is_about(e, "publish-refused", id)
    })
    .await;
    let mut refusals: Vec<Value> = events
        .into_iter()
        .filter(|e| is_about(e, "publish-refused", id))
        .collect();
    assert_eq!(refusals.len(), 1, "{id} is refused once: {refusals:#?}");
    refusals.remove(0)
}

/// The audit record of a refused publish, as the hub must write it.
fn refusal(id: &MessageId, sender: &str, outcome: &str, reason: &str) -> Value {
    json!({
        "type": "publish-refused",
        "id": id.to_string(),
        "sender": sender,
        "outcome": outcome,
        "reason": reason,
    })
}

#[tokio::test]
async fn a_participant_publishes_and_a_reader_receives_and_opens() {
    let f = fed().await;
    let mut nl = client(&f, "NL-NCP", Role::Member).await;
    let mut be = client(&f, "BE-NCP", Role::Member).await;
    let (h, ack) = be.send_alert(b"body").await.unwrap();
    assert_eq!(ack.outcome, PublishOutcome::Stored, "{}", ack.reason);
    assert_eq!(ack.id, h.id);
    let d = nl
        .next_delivery(Duration::from_secs(5))
        .await
        .unwrap()
        .expect("NL-NCP receives the alert");
    assert_eq!(d.channel.as_str(), "op/cosmo-2/alerts");
    let (hdr, body) = nl.open(&d.envelope).unwrap();
    assert_eq!(hdr.id, h.id);
    assert_eq!(body, b"body");
    audit_until(&f, "published", |e| is_about(e, "published", &h.id)).await;
}

#[tokio::test]
async fn non_participant_may_neither_read_nor_publish() {
    let f = fed().await;
    let creds = f.pki.node("XX-NCP", Role::Member).unwrap();
    let mut xx = TestClient::connect(&f.pki, &creds, f.hub.addr(), false)
        .await
        .unwrap();
    assert!(
        xx.session.welcome().grants.is_empty(),
        "XX-NCP is granted nothing"
    );
    let sub = xx
        .subscribe(vec!["op/cosmo-2/alerts".parse().unwrap()])
        .await
        .unwrap();
    assert_eq!(sub.refused.len(), 1, "{sub:?}");
    assert_eq!(sub.channels, vec!["node/XX-NCP".parse().unwrap()]);
    let (h, ack) = xx
        .send(
            MessageKind::Alert,
            "cosmo-2",
            &["op/cosmo-2/alerts"],
            Priority::Routine,
            b"x",
        )
        .await
        .unwrap();
    assert_eq!(ack.outcome, PublishOutcome::Denied);
    assert!(ack.reason.contains("XX-NCP"), "{}", ack.reason);
    audit_until(&f, "read-refused", |e| {
        e["type"] == "read-refused" && e["node"] == "XX-NCP"
    })
    .await;
    assert_eq!(
        audited_refusal(&f, &h.id).await,
        refusal(&h.id, "XX-NCP", "denied", &ack.reason)
    );
}

#[tokio::test]
async fn only_the_ocu_sends_notices() {
    let f = fed().await;
    let mut hu = client(&f, "HU-NCP", Role::Member).await;
    let (refused, ack) = hu
        .send(
            MessageKind::Notice,
            "cosmo-2",
            &["op/cosmo-2/notices"],
            Priority::Flash,
            b"n",
        )
        .await
        .unwrap();
    assert_eq!(ack.outcome, PublishOutcome::Denied);
    assert!(ack.reason.contains("ocu"), "{}", ack.reason);
    assert_eq!(
        audited_refusal(&f, &refused.id).await,
        refusal(&refused.id, "HU-NCP", "denied", DENIED_NOTICE)
    );
    assert_eq!(ack.reason, DENIED_NOTICE);
    let mut ocu = client(&f, "OCU", Role::Ocu).await;
    let (stored, ack) = ocu
        .send(
            MessageKind::Notice,
            "cosmo-2",
            &["op/cosmo-2/notices"],
            Priority::Flash,
            b"n",
        )
        .await
        .unwrap();
    assert_eq!(ack.outcome, PublishOutcome::Stored, "{}", ack.reason);
    let got = hu
        .next_delivery(Duration::from_secs(5))
        .await
        .unwrap()
        .expect("HU-NCP reads notices");
    assert_eq!(got.channel.as_str(), "op/cosmo-2/notices");
    // The OCU's notice is audited as published, and never as refused.
    let events = audit_until(&f, "published notice", |e| {
        is_about(e, "published", &stored.id)
    })
    .await;
    assert!(
        !events
            .iter()
            .any(|e| is_about(e, "publish-refused", &stored.id)),
        "{events:#?}"
    );
}

#[tokio::test]
async fn a_header_naming_another_sender_is_invalid() {
    let f = fed().await;
    let mut be = client(&f, "BE-NCP", Role::Member).await;
    let nl = f.pki.node("NL-NCP", Role::Member).unwrap();
    let to = vec!["op/cosmo-2/alerts".parse().unwrap()];
    let mut h = be
        .header(MessageKind::Alert, "cosmo-2", &to, Priority::Routine)
        .unwrap();
    // BE-NCP claims to be NL-NCP (its own fingerprint stays, so sealing works).
    h.sender = nl.identity.node_id.clone();
    let recips = be.recipients(&to).await.unwrap();
    let env = be.seal(&h, b"x", &recips).unwrap();
    let ack = be.publish(env).await.unwrap();
    assert_eq!(ack.outcome, PublishOutcome::Invalid);
    let reason = "header sender NL-NCP is not the connected node BE-NCP";
    assert_eq!(ack.reason, reason);
    assert_eq!(
        audited_refusal(&f, &h.id).await,
        refusal(&h.id, "BE-NCP", "invalid", reason)
    );
}

#[tokio::test]
async fn a_header_with_another_certificates_fingerprint_is_invalid_and_nothing_is_delivered() {
    let f = fed().await;
    let mut nl = client(&f, "NL-NCP", Role::Member).await;
    let mut be = client(&f, "BE-NCP", Role::Member).await;
    let to = vec!["op/cosmo-2/alerts".parse().unwrap()];
    let mut h = be
        .header(MessageKind::Alert, "cosmo-2", &to, Priority::Routine)
        .unwrap();
    // BE-NCP names itself, but with NL-NCP's certificate fingerprint, and embeds NL-NCP's
    // certificate so that the envelope is consistent in itself; BE-NCP's key signs it.
    h.sender_fp = nl.identity.fingerprint;
    assert_ne!(h.sender_fp, be.identity.fingerprint);
    let recips = be.recipients(&to).await.unwrap();
    let env = seal(
        &h,
        b"x",
        &recips,
        &be.key,
        &nl.cert_der,
        &mut SealRng::from_os().unwrap(),
    )
    .unwrap();
    let ack = be.publish(env).await.unwrap();
    assert_eq!(ack.outcome, PublishOutcome::Invalid, "{}", ack.reason);
    assert_eq!(ack.id, h.id);
    let reason = "signer certificate does not match the header's sender fingerprint";
    assert_eq!(ack.reason, reason);
    assert!(nl
        .next_delivery(Duration::from_millis(500))
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        audited_refusal(&f, &h.id).await,
        refusal(&h.id, "BE-NCP", "invalid", reason)
    );
    let events = audit_events(&f);
    assert!(
        !events.iter().any(|e| is_about(e, "published", &h.id)),
        "{events:#?}"
    );
}

#[tokio::test]
async fn a_forged_signature_is_invalid_and_nothing_is_delivered() {
    let f = fed().await;
    let mut nl = client(&f, "NL-NCP", Role::Member).await;
    let mut be = client(&f, "BE-NCP", Role::Member).await;
    let to = vec!["op/cosmo-2/alerts".parse().unwrap()];
    let h = be
        .header(MessageKind::Alert, "cosmo-2", &to, Priority::Routine)
        .unwrap();
    let recips = be.recipients(&to).await.unwrap();
    let mut env = be.seal(&h, b"genuine", &recips).unwrap();
    forge_signature(&mut env);
    let ack = be.publish(env).await.unwrap();
    assert_eq!(ack.outcome, PublishOutcome::Invalid);
    assert!(ack.reason.contains("signature"), "{}", ack.reason);
    assert!(nl
        .next_delivery(Duration::from_millis(500))
        .await
        .unwrap()
        .is_none());
    let reason = "signature does not verify";
    assert_eq!(ack.reason, reason);
    assert_eq!(
        audited_refusal(&f, &h.id).await,
        refusal(&h.id, "BE-NCP", "invalid", reason)
    );
    let events = audit_events(&f);
    assert!(
        !events.iter().any(|e| is_about(e, "published", &h.id)),
        "{events:#?}"
    );
}

#[tokio::test]
async fn an_expired_message_is_invalid() {
    let f = fed().await;
    let mut be = client(&f, "BE-NCP", Role::Member).await;
    let to = vec!["op/cosmo-2/alerts".parse().unwrap()];
    let mut h = be
        .header(MessageKind::Alert, "cosmo-2", &to, Priority::Routine)
        .unwrap();
    h.created_at -= 10_000;
    h.expires_at = h.created_at + 1;
    let recips = be.recipients(&to).await.unwrap();
    let env = be.seal(&h, b"x", &recips).unwrap();
    let ack = be.publish(env).await.unwrap();
    assert_eq!(ack.outcome, PublishOutcome::Invalid);
    assert!(ack.reason.contains("expired"), "{}", ack.reason);
}

#[tokio::test]
async fn a_duplicate_id_is_acknowledged_as_duplicate_and_delivered_once() {
    let f = fed().await;
    let mut nl = client(&f, "NL-NCP", Role::Member).await;
    let mut be = client(&f, "BE-NCP", Role::Member).await;
    let to = vec!["op/cosmo-2/alerts".parse().unwrap()];
    let h = be
        .header(MessageKind::Alert, "cosmo-2", &to, Priority::Routine)
        .unwrap();
    let recips = be.recipients(&to).await.unwrap();
    let env = be.seal(&h, b"once", &recips).unwrap();
    assert_eq!(
        be.publish(env.clone()).await.unwrap().outcome,
        PublishOutcome::Stored
    );
    let ack = be.publish(env).await.unwrap();
    assert_eq!(ack.outcome, PublishOutcome::Duplicate);
    let got = nl.collect(2, Duration::from_secs(2)).await.unwrap();
    assert_eq!(got.len(), 1);
    // Audited once as published, then once as a duplicate (whose reason is empty: see
    // PROTOCOL.md, PublishAck).
    assert_eq!(ack.reason, "");
    assert_eq!(
        audited_refusal(&f, &h.id).await,
        refusal(&h.id, "BE-NCP", "duplicate", "")
    );
    let events = audit_events(&f);
    let published: Vec<&Value> = events
        .iter()
        .filter(|e| is_about(e, "published", &h.id))
        .collect();
    assert_eq!(published.len(), 1, "{events:#?}");
}

#[tokio::test]
async fn garbage_and_oversized_frames_cut_off_only_the_sender() {
    let f = fed().await;
    let mut nl = client(&f, "NL-NCP", Role::Member).await;
    let mut be = client(&f, "BE-NCP", Role::Member).await;
    let mut us = client(&f, "US-NCP", Role::Member).await;
    let creds = f.pki.node("HU-NCP", Role::Member).unwrap();
    let mut hu = TestClient::connect(&f.pki, &creds, f.hub.addr(), true)
        .await
        .unwrap();
    // HU-NCP sends garbage on a publish stream.
    hu.publisher()
        .await
        .unwrap()
        .raw_send()
        .write_all(&[0, 0, 0, 5, 1, 0x05, 0xc1, 0xc1, 0xc1])
        .await
        .unwrap();
    let closed = tokio::time::timeout(Duration::from_secs(5), hu.session.connection().closed())
        .await
        .unwrap();
    assert!(
        matches!(closed, quinn::ConnectionError::ApplicationClosed(_)),
        "{closed}"
    );
    // RILO-WE announces a frame far above the maximum.
    let creds = f.pki.node("RILO-WE", Role::Rilo).unwrap();
    let mut rilo = TestClient::connect(&f.pki, &creds, f.hub.addr(), true)
        .await
        .unwrap();
    rilo.publisher()
        .await
        .unwrap()
        .raw_send()
        .write_all(&(1u32 << 30).to_be_bytes())
        .await
        .unwrap();
    let closed = tokio::time::timeout(Duration::from_secs(5), rilo.session.connection().closed())
        .await
        .unwrap();
    match closed {
        quinn::ConnectionError::ApplicationClosed(c) => {
            assert_eq!(
                u64::from(c.error_code),
                u64::from(cordon_common::wire::ErrorCode::FrameTooLarge.as_u16())
            )
        }
        other => panic!("{other}"),
    }
    // The others keep publishing and receiving.
    let (_, ack) = be
        .send(
            MessageKind::Alert,
            "cosmo-2",
            &["op/cosmo-2/alerts"],
            Priority::Routine,
            b"a",
        )
        .await
        .unwrap();
    assert_eq!(ack.outcome, PublishOutcome::Stored);
    let (_, ack) = us
        .send(
            MessageKind::Alert,
            "cosmo-2",
            &["op/cosmo-2/alerts"],
            Priority::Routine,
            b"b",
        )
        .await
        .unwrap();
    assert_eq!(ack.outcome, PublishOutcome::Stored);
    assert_eq!(
        nl.collect(2, Duration::from_secs(5)).await.unwrap().len(),
        2
    );
}

/// An envelope that fits a `Publish` frame but not a `Deliver` frame (which also carries
/// the channel and `seq`) could be stored and never delivered: the hub refuses it as
/// invalid, saying why, and audits the refusal. A slightly smaller one is stored and
/// delivered.
#[tokio::test]
async fn an_envelope_too_large_for_a_deliver_frame_is_refused_at_publish() {
    const MAX_FRAME: usize = 64 * 1024;
    let f = fed_with_limits(&format!("max_frame = {MAX_FRAME}")).await;
    let mut nl = client(&f, "NL-NCP", Role::Member).await;
    let mut be = client(&f, "BE-NCP", Role::Member).await;
    let to: Vec<ChannelName> = vec!["op/cosmo-2/alerts".parse().unwrap()];
    let recips = be.recipients(&to).await.unwrap();
    let cap = max_envelope(MAX_FRAME);
    let header = || {
        be.header(MessageKind::Alert, "cosmo-2", &to, Priority::Routine)
            .unwrap()
    };
    let (large_h, fits_h) = (header(), header());
    let large = be.seal_to_size(&large_h, &recips, cap + 16).unwrap();
    let fits = be.seal_to_size(&fits_h, &recips, cap - 16).unwrap();
    assert!(
        large.len() > cap && large.len() + 16 < MAX_FRAME,
        "{}",
        large.len()
    );
    assert!(fits.len() <= cap, "{}", fits.len());
    let ack = be.publish(large.clone()).await.unwrap();
    assert_eq!(ack.outcome, PublishOutcome::Invalid, "{}", ack.reason);
    assert_eq!(ack.id, large_h.id);
    let expected = format!(
        "envelope too large to deliver: {} bytes, the hub delivers at most {cap} \
         (max_frame {MAX_FRAME}); send smaller or fewer attachments",
        large.len()
    );
    assert_eq!(ack.reason, expected);
    assert_eq!(
        audited_refusal(&f, &large_h.id).await,
        refusal(&large_h.id, "BE-NCP", "invalid", &expected)
    );
    let ack = be.publish(fits).await.unwrap();
    assert_eq!(ack.outcome, PublishOutcome::Stored, "{}", ack.reason);
    let d = nl
        .next_delivery(Duration::from_secs(5))
        .await
        .unwrap()
        .expect("NL-NCP receives the envelope that fits");
    assert_eq!(nl.open(&d.envelope).unwrap().0.id, fits_h.id);
}

#[tokio::test]
async fn forged_signatures_in_a_pipelined_burst_are_refused_alone() {
    // 64 publishes in flight on one stream reach the check threads together, whose
    // batch equation fails when one signature in it is forged: each is then checked
    // alone, so only the forged ones are refused.
    let f = fed().await;
    let mut nl = client(&f, "NL-NCP", Role::Member).await;
    let mut be = client(&f, "BE-NCP", Role::Member).await;
    let to = vec!["op/cosmo-2/alerts".parse().unwrap()];
    let recips = be.recipients(&to).await.unwrap();
    let n = 300;
    let forged = |i: usize| i % 7 == 3;
    let mut envs = Vec::with_capacity(n);
    for i in 0..n {
        let h = be
            .header(MessageKind::Alert, "cosmo-2", &to, Priority::Routine)
            .unwrap();
        let mut env = be
            .seal(&h, format!("alert {i}").as_bytes(), &recips)
            .unwrap();
        if forged(i) {
            forge_signature(&mut env);
        }
        envs.push(env);
    }
    let p = be.publisher().await.unwrap();
    let mut outcomes = Vec::with_capacity(n);
    for (i, env) in envs.into_iter().enumerate() {
        p.send(env).await.unwrap();
        if i + 1 - outcomes.len() >= 64 {
            outcomes.push(p.ack().await.unwrap());
        }
    }
    while outcomes.len() < n {
        outcomes.push(p.ack().await.unwrap());
    }
    for (i, ack) in outcomes.iter().enumerate() {
        if forged(i) {
            assert_eq!(ack.outcome, PublishOutcome::Invalid, "#{i}");
            assert_eq!(ack.reason, "signature does not verify", "#{i}");
        } else {
            assert_eq!(ack.outcome, PublishOutcome::Stored, "#{i}: {}", ack.reason);
        }
    }
    // Some publishes were in fact checked together.
    let metrics = f.hub.hub.state().metrics.render();
    let sample = |name: &str| metric_value(&metrics, name).unwrap_or(0.0);
    let (batches, checked) = (
        sample("cordon_check_batch_size_count"),
        sample("cordon_check_batch_size_sum"),
    );
    assert!(
        checked > batches,
        "{checked} publishes in {batches} batches: none together"
    );
    let good = (0..n).filter(|&i| !forged(i)).count();
    let got = nl.collect(good, Duration::from_secs(20)).await.unwrap();
    assert_eq!(got.len(), good);
    assert!(nl
        .next_delivery(Duration::from_millis(500))
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn a_closed_operation_past_retention_is_purged_audited_and_its_ids_stay_known() {
    let f = fed().await;
    let mut be = client(&f, "BE-NCP", Role::Member).await;
    let to = vec!["op/cosmo-2/alerts".parse().unwrap()];
    let recips = be.recipients(&to).await.unwrap();
    let mut ids = Vec::new();
    for i in 0..3 {
        let h = be
            .header(MessageKind::Alert, "cosmo-2", &to, Priority::Routine)
            .unwrap();
        let env = be
            .seal(&h, format!("alert {i}").as_bytes(), &recips)
            .unwrap();
        assert_eq!(
            be.publish(env).await.unwrap().outcome,
            PublishOutcome::Stored
        );
        ids.push(h.id);
    }
    // Nothing is due while the operation runs.
    let done = cordon_hub::retention::purge_now(f.hub.hub.state()).await;
    assert!(done.is_empty(), "{done:?}");

    // The operation ended yesterday, with no retention: everything before now goes.
    let closed = COSMO_2
        .replace(
            "ends = \"2099-12-31T23:59:59Z\"",
            "ends = \"2000-01-01T00:00:00Z\"",
        )
        .replace("retention_days = 365", "retention_days = 0");
    std::fs::write(&f.hub.policy_path, closed).unwrap();
    let report = f.hub.hub.reload().await;
    assert!(report.policy_reloaded, "{report:?}");
    let done = cordon_hub::retention::purge_now(f.hub.hub.state()).await;
    assert_eq!(done, vec![("cosmo-2".to_owned(), 3)]);
    audit_until(&f, "purged", |e| {
        *e == json!({"type": "purged", "operation": "cosmo-2", "messages": 3})
    })
    .await;

    // A reader connecting now gets none of them; a replay is still a duplicate.
    let mut nl = client(&f, "NL-NCP", Role::Member).await;
    assert!(nl
        .next_delivery(Duration::from_millis(800))
        .await
        .unwrap()
        .is_none());
    // The envelopes are gone; their ids stay known, so a replay stays a duplicate.
    let store = &f.hub.hub.state().store;
    for id in &ids {
        assert_eq!(store.envelope(id).unwrap(), None);
        assert!(store.contains(id).unwrap());
    }
}

/// Newest key bundle wins at the hub: a node's (or a thief's replay of its) older bundle
/// cannot replace the one the directory serves.
#[tokio::test]
async fn an_older_key_bundle_is_refused_and_the_directory_keeps_the_newest() {
    use cordon_common::envelope::{KemKeyPair, KeyBundle};
    use cordon_common::wire::DirectoryRequest;
    let f = fed().await;
    let creds = f.pki.node("NL-NCP", Role::Member).unwrap();
    let mut nl = TestClient::connect(&f.pki, &creds, f.hub.addr(), false)
        .await
        .unwrap();
    let key = creds.identity_key().unwrap();
    let now = cordon_testbed::client::now_ms();
    let newer = KeyBundle::sign(
        &creds.identity,
        &key,
        &KemKeyPair::generate().unwrap(),
        now + 60_000,
    )
    .unwrap();
    let older = KeyBundle::sign(
        &creds.identity,
        &key,
        &KemKeyPair::generate().unwrap(),
        now - 60_000,
    )
    .unwrap();
    let ack = nl
        .session
        .publish_bundle(newer.as_bytes().to_vec())
        .await
        .unwrap();
    assert!(ack.accepted, "{}", ack.reason);
    let ack = nl
        .session
        .publish_bundle(older.as_bytes().to_vec())
        .await
        .unwrap();
    assert!(!ack.accepted);
    assert!(ack.reason.contains("not newer"), "{}", ack.reason);
    // The same bundle again is fine (a reconnect republishes it).
    let ack = nl
        .session
        .publish_bundle(newer.as_bytes().to_vec())
        .await
        .unwrap();
    assert!(ack.accepted, "{}", ack.reason);
    let mut be = client(&f, "BE-NCP", Role::Member).await;
    let dir = be
        .session
        .directory(DirectoryRequest {
            channels: vec![],
            nodes: vec![creds.identity.node_id.clone()],
        })
        .await
        .unwrap();
    let served = dir.entries[0].bundle.as_ref().unwrap();
    assert_eq!(served.as_ref(), newer.as_bytes());
}
