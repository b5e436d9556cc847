//! The outbox: seal drafts to the directory's verified readers, publish, and settle each
//! message on the hub's acknowledgement.
//!
//! A draft is sealed once; the envelope replaces the draft in the store, so every resend
//! is byte-identical and the hub's `duplicate` tells that an earlier attempt was stored.
//! `stored` and `duplicate` settle a message; `denied` and `invalid` settle it as failed
//! with the hub's reason. A message addressed to named nodes waits while one of them has
//! no key bundle in the directory yet; one that expires before it is sealed fails.
//!
//! A waiting draft does not hold up the messages queued behind it: a pass steps over
//! it and goes on reading the outbox (in order: flash, urgent, routine, oldest first)
//! until it has a full batch to publish, reaches the end, or has read its budget of
//! [`SCAN_PAGES`] pages; the next pass then goes on from there (see [`OutboxScan`]).

use std::collections::BTreeSet;
use std::sync::Arc;

use cordon_common::envelope::{seal, Header, KeyBundle, RecipientKey, SealRng, PROTOCOL_VERSION};
use cordon_common::identity::NodeIdentity;
use cordon_common::ids::{ChannelName, NodeId};
use cordon_common::pki::TrustStore;
use cordon_common::wire::{
    max_envelope, DirectoryRequest, DirectoryResponse, PublishAck, PublishOutcome,
};

use crate::client::{ClientError, HubSession, Publisher};
use crate::keys::NodeKeys;
use crate::readers::ReaderGate;
use crate::state::{blocking, now_ms, Shared};
use crate::store::{OutboxKey, SendState, SentRecord};

/// A reader the message cannot be sealed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreachable {
    /// The reader.
    pub node: NodeId,
    /// Why.
    pub reason: String,
    /// Whether waiting cannot help (untrusted or revoked certificate, forged bundle).
    pub permanent: bool,
}

/// What to do with a draft.
#[derive(Debug, Clone)]
pub enum SealPlan {
    /// Seal to these keys (this node's own key is added when sealing).
    Seal {
        /// The recipients' verified keys.
        keys: Vec<RecipientKey>,
        /// Readers left out, with why.
        left_out: Vec<Unreachable>,
    },
    /// Not yet: an addressee has no usable key.
    Wait(String),
    /// Never: expired, or an addressee can never be reached.
    Fail(String),
}

/// A reader's key, checked: certificate chain and revocation, key bundle signature.
#[derive(Debug, Clone)]
pub struct VerifiedReader {
    /// The key to wrap the content key to.
    pub key: RecipientKey,
    /// The reader's certificate identity.
    pub identity: NodeIdentity,
    /// When its key bundle was made, ms since the epoch.
    pub bundle_created_at: u64,
}

/// The verified X25519 key of `node` from the directory, or why there is none.
pub fn verified_key(
    dir: &DirectoryResponse,
    node: &NodeId,
    trust: &TrustStore,
    now_ms: u64,
) -> Result<VerifiedReader, Unreachable> {
    let unreachable = |reason: String, permanent: bool| Unreachable {
        node: node.clone(),
        reason,
        permanent,
    };
    let entry = dir
        .entries
        .iter()
        .find(|e| e.node_id == *node)
        .ok_or_else(|| unreachable("not in the hub's directory yet".into(), false))?;
    let identity = trust
        .verify_node_cert(&entry.cert, now_ms / 1000)
        .map_err(|e| unreachable(format!("certificate not trusted: {e}"), true))?;
    if identity.node_id != *node {
        return Err(unreachable(
            format!(
                "directory entry holds the certificate of {}",
                identity.node_id
            ),
            true,
        ));
    }
    let bundle = entry
        .bundle
        .as_ref()
        .ok_or_else(|| unreachable("has published no key bundle yet".into(), false))?;
    let verified = KeyBundle::from_bytes(bundle.to_vec())
        .verify(&identity)
        .map_err(|e| unreachable(format!("key bundle refused: {e}"), true))?;
    Ok(VerifiedReader {
        key: RecipientKey {
            node_id: identity.node_id.clone(),
            public: verified.public,
        },
        identity,
        bundle_created_at: verified.created_at,
    })
}

/// Decide how to seal `rec` with the directory's answer `dir`, as node `me`, at `now`.
/// Every reader must pass `gate` too: a channel's readers must be named by the signed
/// roster, and no reader's key bundle may be older than one seen before.
pub fn plan(
    rec: &SentRecord,
    dir: &DirectoryResponse,
    trust: &TrustStore,
    gate: &ReaderGate,
    me: &NodeId,
    now: u64,
) -> SealPlan {
    if now >= rec.expires_at {
        return SealPlan::Fail("expired before it could be sealed and sent".into());
    }
    let direct = rec.to.iter().all(|c| c.direct_node().is_some());
    if !direct && gate.roster().is_none() {
        return SealPlan::Wait(
            "waiting for an operation roster signed by the federation root: the hub has \
             served none, so the channel's readers cannot be checked"
                .into(),
        );
    }
    // Each candidate with the channel that named it (`None`: addressed by name).
    let mut candidates: Vec<(NodeId, Option<&ChannelName>)> = Vec::new();
    for c in &rec.to {
        match c.direct_node() {
            Some(n) => candidates.push((n, None)),
            None => {
                let readers = dir.readers.iter().find(|(ch, _)| ch == c).map(|(_, r)| r);
                candidates.extend(readers.into_iter().flatten().map(|n| (n.clone(), Some(c))));
            }
        }
    }
    // Addressed by name wins over named by the hub.
    candidates.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.is_some().cmp(&b.1.is_some())));
    candidates.dedup_by(|a, b| a.0 == b.0);
    candidates.retain(|(n, _)| n != me);
    // A resend goes only to the readers the message was not sealed to before.
    let resend = rec.resend.of.is_some();
    if resend {
        candidates.retain(|(n, _)| !rec.resend.exclude.contains(n));
        if candidates.is_empty() {
            return SealPlan::Fail(
                "nothing to resend: every reader of the channel had it already".into(),
            );
        }
    }
    let mut keys = Vec::new();
    let mut left_out = Vec::new();
    for (n, named_by) in &candidates {
        let checked = verified_key(dir, n, trust, now).and_then(|r| {
            let refuse = |reason: String, permanent: bool| Unreachable {
                node: n.clone(),
                reason,
                permanent,
            };
            if let Some(channel) = named_by {
                gate.check_channel_reader(channel, &r.identity)
                    .map_err(|why| refuse(why, true))?;
            }
            gate.check_bundle(n, r.bundle_created_at)
                .map_err(|why| refuse(why, false))?;
            Ok(r.key)
        });
        match checked {
            Ok(k) => keys.push(k),
            Err(u) => left_out.push(u),
        }
    }
    if direct && !left_out.is_empty() {
        let why = reasons(&left_out);
        if left_out.iter().any(|u| u.permanent) {
            return SealPlan::Fail(format!("cannot encrypt to an addressee: {why}"));
        }
        return SealPlan::Wait(format!("waiting for an addressee's key: {why}"));
    }
    if resend && keys.is_empty() {
        let why = reasons(&left_out);
        if left_out.iter().all(|u| u.permanent) {
            return SealPlan::Fail(format!("no new reader can be encrypted to: {why}"));
        }
        return SealPlan::Wait(format!("waiting for a new reader's key: {why}"));
    }
    SealPlan::Seal { keys, left_out }
}

/// `NODE: reason; NODE: reason`.
fn reasons(left_out: &[Unreachable]) -> String {
    left_out
        .iter()
        .map(|u| format!("{}: {}", u.node, u.reason))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The visible header for an outgoing record.
pub fn header_for(rec: &SentRecord, keys: &NodeKeys) -> Header {
    Header {
        version: PROTOCOL_VERSION,
        id: rec.id,
        kind: rec.kind,
        operation: rec.operation.clone(),
        to: rec.to.clone(),
        sender: keys.identity.node_id.clone(),
        sender_fp: keys.identity.fingerprint,
        created_at: rec.created_at,
        expires_at: rec.expires_at,
        priority: rec.priority,
        tlp: rec.tlp,
        in_reply_to: rec.in_reply_to,
    }
}

/// Apply `plan` to `rec`: seal it (receipts to the addressee only; other messages also
/// to this node, so that it can read its own), or record why it waits or failed.
pub fn apply_plan(rec: &mut SentRecord, plan: SealPlan, keys: &NodeKeys, now: u64) {
    rec.updated_at = now;
    match plan {
        SealPlan::Wait(why) => rec.reason = Some(why),
        SealPlan::Fail(why) => {
            rec.state = SendState::Failed;
            rec.reason = Some(why);
        }
        SealPlan::Seal {
            keys: mut recipients,
            left_out,
        } => {
            let me = &keys.identity.node_id;
            let is_receipt = rec.kind == cordon_common::msg::MessageKind::Receipt;
            if !is_receipt && !recipients.iter().any(|r| r.node_id == *me) {
                recipients.push(RecipientKey {
                    node_id: me.clone(),
                    public: *keys.kem.public(),
                });
            }
            let header = header_for(rec, keys);
            let sealed = SealRng::from_os().and_then(|mut rng| {
                seal(
                    &header,
                    &rec.body,
                    &recipients,
                    &keys.key,
                    &keys.chain[0],
                    &mut rng,
                )
            });
            match sealed {
                Ok(env) => {
                    rec.envelope = Some(env);
                    rec.state = SendState::Sealed;
                    rec.sealed_to = recipients
                        .iter()
                        .map(|r| r.node_id.clone())
                        .filter(|n| n != me)
                        .collect();
                    rec.not_sealed_to = left_out.into_iter().map(|u| (u.node, u.reason)).collect();
                    rec.reason = None;
                }
                Err(e) => {
                    rec.state = SendState::Failed;
                    rec.reason = Some(format!("cannot seal: {e}"));
                }
            }
        }
    }
}

/// Fail a sealed `rec` whose envelope is larger than `max_envelope` bytes, what a
/// `Deliver` frame can carry under the hub's maximum frame
/// ([`cordon_common::wire::max_envelope`]): the hub would refuse it, or the `Publish` frame
/// would not even fit, so it is not sent, and the officer is told what to do.
pub fn refuse_oversized(rec: &mut SentRecord, max_envelope: usize) {
    let Some(size) = rec.envelope.as_ref().map(Vec::len) else {
        return;
    };
    if rec.state != SendState::Sealed || size <= max_envelope {
        return;
    }
    rec.state = SendState::Failed;
    rec.envelope = None;
    rec.reason = Some(format!(
        "too large to send: the sealed message is {size} bytes and the hub delivers at \
         most {max_envelope}; send it again with smaller or fewer attachments"
    ));
}

/// Settle `rec` with the hub's acknowledgement.
pub fn apply_ack(rec: &mut SentRecord, ack: &PublishAck, now: u64) {
    rec.updated_at = now;
    match ack.outcome {
        PublishOutcome::Stored | PublishOutcome::Duplicate => {
            rec.state = SendState::Stored;
            rec.reason = None;
        }
        PublishOutcome::Denied => {
            rec.state = SendState::Failed;
            rec.reason = Some(format!("denied by the hub: {}", ack.reason));
        }
        PublishOutcome::Invalid => {
            rec.state = SendState::Failed;
            rec.reason = Some(format!("refused by the hub as invalid: {}", ack.reason));
        }
        // Nothing was stored: keep the sealed envelope and publish it again later.
        PublishOutcome::Unavailable => {
            rec.reason = Some(format!(
                "the hub cannot store it now ({}); it stays in the outbox and is sent again",
                ack.reason
            ));
        }
    }
}

/// The directory answers gathered during one pass: each channel is asked for once.
#[derive(Debug)]
struct Directory {
    asked: BTreeSet<ChannelName>,
    answer: DirectoryResponse,
}

impl Directory {
    fn new() -> Self {
        Self {
            asked: BTreeSet::new(),
            answer: DirectoryResponse {
                readers: vec![],
                entries: vec![],
                roster: None,
            },
        }
    }

    /// Ask the hub about every destination of `drafts` not asked about yet (at most 64
    /// channels per request, as the hub reads).
    async fn cover(
        &mut self,
        session: &mut HubSession,
        drafts: &[&SentRecord],
    ) -> Result<(), ClientError> {
        let mut channels: Vec<ChannelName> = drafts
            .iter()
            .flat_map(|r| r.to.iter())
            .filter(|c| !self.asked.contains(*c))
            .cloned()
            .collect();
        channels.sort();
        channels.dedup();
        for chunk in channels.chunks(64) {
            let r = session
                .directory(DirectoryRequest {
                    channels: chunk.to_vec(),
                    nodes: vec![],
                })
                .await?;
            self.asked.extend(chunk.iter().cloned());
            self.answer.readers.extend(r.readers);
            if r.roster.is_some() {
                self.answer.roster = r.roster;
            }
            for e in r.entries {
                if !self.answer.entries.iter().any(|k| k.node_id == e.node_id) {
                    self.answer.entries.push(e);
                }
            }
        }
        Ok(())
    }
}

/// Why an outbox pass stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutboxError {
    /// The hub connection failed; the outbox is retried on the next session.
    #[error(transparent)]
    Link(#[from] ClientError),
    /// The store failed.
    #[error("outbox store: {0}")]
    Store(String),
}

/// How many pages of `limits.publish_inflight` entries one pass reads at most, looking
/// for messages it can send behind drafts that must wait.
pub const SCAN_PAGES: usize = 16;

/// Where the next pass starts reading the outbox. A pass starts at the front (so that
/// flash goes before urgent before routine), except after a pass that read its
/// [`SCAN_PAGES`] without reaching the end of the outbox or filling a batch: the next
/// one goes on from where that one stopped, so that any number of waiting drafts is
/// crossed in bounded steps.
///
/// It also keeps whether the last pass that sent anything had a message answered
/// `unavailable` ([`OutboxScan::hub_unavailable`]), so that the link asks again soon
/// rather than at its `outbox_retry_ms` tick.
#[derive(Debug, Default, Clone)]
pub struct OutboxScan {
    after: Option<OutboxKey>,
    unavailable: bool,
}

impl OutboxScan {
    /// Whether the hub answered `unavailable` (it cannot store now) in the last pass
    /// that sent messages.
    pub fn hub_unavailable(&self) -> bool {
        self.unavailable
    }
}

/// Seal the drafts of `page` that can be sealed; record why others wait or failed.
async fn seal_drafts(
    shared: &Arc<Shared>,
    session: &mut HubSession,
    page: Vec<SentRecord>,
    dir: &mut Directory,
) -> Result<Vec<SentRecord>, OutboxError> {
    let drafts: Vec<&SentRecord> = page
        .iter()
        .filter(|r| r.state == SendState::Draft)
        .collect();
    if drafts.is_empty() {
        return Ok(page);
    }
    dir.cover(session, &drafts).await?;
    let answer = std::mem::replace(&mut dir.answer, Directory::new().answer);
    let cap = max_envelope(session.max_frame());
    let (answer, page) = blocking(shared, move |s| {
        let now = now_ms();
        let trust = s.keys.trust();
        let gate = crate::readers::load(&s.store, &answer, &trust, now)?;
        let mut changed = Vec::new();
        let mut out = Vec::with_capacity(page.len());
        for mut rec in page {
            if rec.state == SendState::Draft {
                let p = plan(&rec, &answer, &trust, &gate, &s.keys.identity.node_id, now);
                let before = (rec.state, rec.reason.clone());
                apply_plan(&mut rec, p, &s.keys, now);
                refuse_oversized(&mut rec, cap);
                if (rec.state, rec.reason.clone()) != before {
                    changed.push(rec.clone());
                }
                if rec.state == SendState::Failed {
                    tracing::warn!(id = %rec.id, reason = rec.reason.as_deref().unwrap_or(""), "message failed");
                }
            }
            out.push(rec);
        }
        s.store.update_sent(&changed).map(|()| (answer, out))
    })
    .await
    .map_err(OutboxError::Store)?
    .map_err(|e| OutboxError::Store(e.to_string()))?;
    dir.answer = answer;
    Ok(page)
}

/// One pass: read the outbox in order, page by page; seal the drafts that can be
/// sealed and step over those that must wait (an addressee without a key bundle); stop
/// with `limits.publish_inflight` sealed envelopes, at the end of the outbox, or after
/// [`SCAN_PAGES`] pages; publish those envelopes (pipelined, in outbox order) and
/// settle them on their acks. Returns whether more work may be waiting.
pub async fn pass(
    shared: &Arc<Shared>,
    session: &mut HubSession,
    publisher: &mut Option<Publisher>,
    scan: &mut OutboxScan,
) -> Result<bool, OutboxError> {
    let limit = shared.config.limits.publish_inflight;
    let budget = limit.saturating_mul(SCAN_PAGES);
    let mut dir = Directory::new();
    let mut batch: Vec<SentRecord> = Vec::with_capacity(limit);
    let mut after = scan.after.take();
    let mut read = 0usize;
    let at_end = loop {
        let page = blocking(shared, move |s| s.store.outbox_after(after, limit))
            .await
            .map_err(OutboxError::Store)?
            .map_err(|e| OutboxError::Store(e.to_string()))?;
        let last_page = page.len() < limit;
        read += page.len();
        for rec in seal_drafts(shared, session, page, &mut dir).await? {
            if batch.len() == limit {
                // Sealed already; sent by the next pass.
                break;
            }
            after = Some(rec.outbox_key());
            if rec.state == SendState::Sealed {
                batch.push(rec);
            }
        }
        if batch.len() == limit {
            // A full batch: the next pass starts at the front again.
            break false;
        }
        if last_page {
            break true;
        }
        if read >= budget {
            tracing::debug!(
                read,
                "outbox pass read its budget; the next goes on from here"
            );
            scan.after = after;
            break false;
        }
    };
    if batch.is_empty() {
        // Only waiting drafts up to the end: retry on the next tick, not at once. (Short
        // of the end, go on from where this pass stopped.)
        scan.unavailable = false;
        return Ok(!at_end);
    }
    // Withdrawn since read: not published. What is left cannot be withdrawn until
    // `_claim` is dropped, settled or not.
    let (_claim, mut batch) = crate::in_flight::claim(shared, batch)
        .await
        .map_err(OutboxError::Store)?;
    if batch.is_empty() {
        return Ok(!at_end);
    }
    if publisher.is_none() {
        *publisher = Some(session.publisher().await?);
    }
    let Some(p) = publisher.as_mut() else {
        return Ok(false);
    };
    for rec in &mut batch {
        rec.attempts = rec.attempts.saturating_add(1);
        if let Some(env) = &rec.envelope {
            p.send(env.clone()).await?;
        }
    }
    let mut settled = Vec::with_capacity(batch.len());
    let mut unavailable = false;
    for rec in &mut batch {
        if rec.envelope.is_none() {
            continue;
        }
        let ack = p.ack().await?;
        if ack.id != rec.id {
            return Err(ClientError::Protocol(format!(
                "publish ack for {} while {} was expected",
                ack.id, rec.id
            ))
            .into());
        }
        apply_ack(rec, &ack, now_ms());
        if ack.outcome == PublishOutcome::Unavailable {
            unavailable = true;
            tracing::warn!(id = %rec.id, reason = %ack.reason, "the hub cannot store a message now; it is sent again later");
        } else if rec.state == SendState::Failed {
            tracing::warn!(id = %rec.id, kind = %rec.kind, reason = rec.reason.as_deref().unwrap_or(""), "hub refused a message");
        } else {
            tracing::debug!(id = %rec.id, kind = %rec.kind, "hub stored a message");
        }
        settled.push(rec.clone());
    }
    blocking(shared, move |s| s.store.update_sent(&settled))
        .await
        .map_err(OutboxError::Store)?
        .map_err(|e| OutboxError::Store(e.to_string()))?;
    shared.synced();
    // A hub that cannot store now is asked again after a pause (the link's backoff),
    // not at once.
    scan.unavailable = unavailable;
    Ok(!at_end && !unavailable)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use cordon_common::envelope::{open, verify, HeaderLimits, ParsedEnvelope};
    use cordon_common::identity::KeyAlgorithm;
    use cordon_common::ids::{MessageId, OperationName, Role};
    use cordon_common::msg::{MessageKind, Priority};
    use cordon_common::roster::{
        Roster, RosterChannel, RosterOperation, Selector as RosterSelector, SignedRoster,
    };
    use cordon_common::testkit::{now_ms as kit_now, Kit, KitNode};
    use cordon_common::wire::DirectoryEntry;

    use crate::store::tests::draft;

    fn entry(n: &KitNode, with_bundle: bool) -> DirectoryEntry {
        DirectoryEntry {
            node_id: n.identity.node_id.clone(),
            cert: n.cert_der.clone(),
            bundle: with_bundle.then(|| serde_bytes::ByteBuf::from(n.bundle.as_bytes().to_vec())),
        }
    }

    fn node_keys(kit: &Kit, n: KitNode) -> NodeKeys {
        let chain = vec![rustls::pki_types::CertificateDer::from(n.cert_der.clone())];
        let tls_key =
            rustls::pki_types::PrivateKeyDer::from_pem_slice(n.key_pem.as_bytes()).unwrap();
        NodeKeys {
            identity: n.identity,
            key: n.key,
            chain,
            tls_key,
            roots: vec![kit.ca.cert_der().clone()],
            trust: std::sync::RwLock::new(std::sync::Arc::new(kit.trust(&[]).unwrap())),
            kem: n.kem,
        }
    }

    use rustls::pki_types::pem::PemObject;

    /// Operation cosmo-2 with the participants OCU, BE-NCP, HU-NCP and NL-NCP (not
    /// XX-NCP), every participant reading its channels.
    fn cosmo_roster(version: u64) -> Roster {
        let op: OperationName = "cosmo-2".parse().unwrap();
        let everyone = RosterSelector {
            participants: true,
            ..RosterSelector::default()
        };
        Roster {
            version,
            issued_at: 1,
            operations: vec![RosterOperation {
                name: op.clone(),
                participants: RosterSelector {
                    nodes: ["OCU", "BE-NCP", "HU-NCP", "NL-NCP"]
                        .iter()
                        .map(|n| n.parse().unwrap())
                        .collect(),
                    ..RosterSelector::default()
                },
                channels: ["alerts", "notices"]
                    .iter()
                    .map(|c| RosterChannel {
                        channel: ChannelName::operation(&op, c).unwrap(),
                        read: everyone.clone(),
                    })
                    .collect(),
            }],
        }
    }

    fn cosmo_gate() -> ReaderGate {
        ReaderGate::new(Some(cosmo_roster(1)), Default::default())
    }

    fn member(kit: &Kit, id: &str) -> KitNode {
        kit.node(id, Role::Member, KeyAlgorithm::Ed25519).unwrap()
    }

    /// `n`'s bundle for a fresh X25519 key, made at `created_at`.
    fn other_bundle(n: &KitNode, created_at: u64) -> KeyBundle {
        let kem = cordon_common::envelope::KemKeyPair::generate().unwrap();
        KeyBundle::sign(&n.identity, &n.key, &kem, created_at).unwrap()
    }

    fn alert_to(channel: &str, now: u64) -> SentRecord {
        let mut rec = draft(MessageKind::Alert, Priority::Urgent);
        rec.to = vec![channel.parse().unwrap()];
        rec.created_at = now;
        rec.expires_at = now + 60_000;
        rec
    }

    #[test]
    fn a_reader_the_signed_roster_does_not_name_is_never_sealed_to() {
        // A compromised hub names a non-participant (a genuine federation member) as a
        // reader of the channel, with its genuine certificate and key bundle.
        let kit = Kit::new(KeyAlgorithm::Ed25519).unwrap();
        let be = member(&kit, "BE-NCP");
        let nl = member(&kit, "NL-NCP");
        let xx = member(&kit, "XX-NCP");
        let trust = kit.trust(&[]).unwrap();
        let now = kit_now();
        let rec = alert_to("op/cosmo-2/alerts", now);
        let dir = DirectoryResponse {
            readers: vec![(
                rec.to[0].clone(),
                vec![nl.identity.node_id.clone(), xx.identity.node_id.clone()],
            )],
            entries: vec![entry(&nl, true), entry(&xx, true)],
            roster: None,
        };
        match plan(&rec, &dir, &trust, &cosmo_gate(), &be.identity.node_id, now) {
            SealPlan::Seal { keys, left_out } => {
                let to: Vec<_> = keys.iter().map(|k| k.node_id.as_str()).collect();
                assert_eq!(to, ["NL-NCP"]);
                assert_eq!(left_out.len(), 1);
                assert_eq!(left_out[0].node.as_str(), "XX-NCP");
                assert!(
                    left_out[0].reason.contains("operation roster"),
                    "{left_out:?}"
                );
                assert!(left_out[0].permanent);
            }
            other => panic!("{other:?}"),
        }
        // Without a roster, a channel message waits: no reader can be checked.
        match plan(
            &rec,
            &dir,
            &trust,
            &ReaderGate::default(),
            &be.identity.node_id,
            now,
        ) {
            SealPlan::Wait(why) => assert!(why.contains("roster"), "{why}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_key_bundle_older_than_one_seen_is_not_sealed_to() {
        // The hub serves NL-NCP's old bundle after NL-NCP rotated its X25519 key.
        let kit = Kit::new(KeyAlgorithm::Ed25519).unwrap();
        let be = member(&kit, "BE-NCP");
        let nl = member(&kit, "NL-NCP");
        let trust = kit.trust(&[]).unwrap();
        let now = kit_now();
        let rec = alert_to("op/cosmo-2/alerts", now);
        let old = other_bundle(&nl, now - 10_000);
        let mut e = entry(&nl, true);
        e.bundle = Some(serde_bytes::ByteBuf::from(old.as_bytes().to_vec()));
        let dir = DirectoryResponse {
            readers: vec![(rec.to[0].clone(), vec![nl.identity.node_id.clone()])],
            entries: vec![e],
            roster: None,
        };
        let seen = [(nl.identity.node_id.clone(), now - 5_000)]
            .into_iter()
            .collect();
        let gate = ReaderGate::new(Some(cosmo_roster(1)), seen);
        match plan(&rec, &dir, &trust, &gate, &be.identity.node_id, now) {
            SealPlan::Seal { keys, left_out } => {
                assert!(keys.is_empty(), "sealed to a replaced key");
                assert!(
                    left_out[0].reason.contains("older than one seen"),
                    "{left_out:?}"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_store_pins_the_newest_roster_and_bundle_times() {
        let kit = Kit::new(KeyAlgorithm::Ed25519).unwrap();
        let nl = member(&kit, "NL-NCP");
        let trust = kit.trust(&[]).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open(&dir.path().join("node.redb")).unwrap();
        let now = kit_now();
        let answer = |roster: Option<&SignedRoster>, bundle: &KeyBundle| {
            let mut e = entry(&nl, true);
            e.bundle = Some(serde_bytes::ByteBuf::from(bundle.as_bytes().to_vec()));
            DirectoryResponse {
                readers: vec![],
                entries: vec![e],
                roster: roster.map(|r| serde_bytes::ByteBuf::from(r.as_bytes().to_vec())),
            }
        };
        let v2 = kit.ca.sign_roster(&cosmo_roster(2)).unwrap();
        let g = crate::readers::load(&store, &answer(Some(&v2), &nl.bundle), &trust, now).unwrap();
        assert_eq!(g.roster().unwrap().version, 2);

        // Later the hub serves an older roster (v1, naming XX-NCP too), one signed by
        // another key, and NL-NCP's bundle from before: v2 and the newer bundle time stay.
        let mut wider = cosmo_roster(1);
        wider.operations[0]
            .participants
            .nodes
            .push("XX-NCP".parse().unwrap());
        let v1 = kit.ca.sign_roster(&wider).unwrap();
        let other = Kit::new(KeyAlgorithm::Ed25519).unwrap();
        let forged = other.ca.sign_roster(&cosmo_roster(9)).unwrap();
        let old = other_bundle(&nl, 1);
        for served in [Some(&v1), Some(&forged), None] {
            let g = crate::readers::load(&store, &answer(served, &old), &trust, now).unwrap();
            assert_eq!(g.roster().unwrap().version, 2);
            assert!(g.check_bundle(&nl.identity.node_id, 1).is_err());
        }
    }

    #[test]
    fn channel_message_is_sealed_to_verified_readers_and_self() {
        let kit = Kit::new(KeyAlgorithm::Ed25519).unwrap();
        let ocu = kit.node("OCU", Role::Ocu, KeyAlgorithm::Ed25519).unwrap();
        let be = member(&kit, "BE-NCP");
        let hu = member(&kit, "HU-NCP");
        let nl = member(&kit, "NL-NCP");
        let trust = kit.trust(&[&nl]).unwrap();
        let now = kit_now();
        let mut rec = draft(MessageKind::Notice, Priority::Flash);
        rec.to = vec!["op/cosmo-2/notices".parse().unwrap()];
        rec.created_at = now;
        rec.expires_at = now + 60_000;
        rec.body = crate::receive::tests::notice_body();
        let dir = DirectoryResponse {
            readers: vec![(
                rec.to[0].clone(),
                vec![
                    ocu.identity.node_id.clone(),
                    be.identity.node_id.clone(),
                    hu.identity.node_id.clone(),
                    nl.identity.node_id.clone(),
                ],
            )],
            entries: vec![
                entry(&ocu, true),
                entry(&be, true),
                entry(&hu, false),
                entry(&nl, true),
            ],
            roster: None,
        };
        let p = plan(
            &rec,
            &dir,
            &trust,
            &cosmo_gate(),
            &ocu.identity.node_id,
            now,
        );
        let keys = node_keys(&kit, ocu);
        apply_plan(&mut rec, p, &keys, now);
        assert_eq!(rec.state, SendState::Sealed);
        assert_eq!(rec.sealed_to, vec![be.identity.node_id.clone()]);
        let left: Vec<_> = rec.not_sealed_to.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(left, ["HU-NCP", "NL-NCP"]);
        assert!(
            rec.not_sealed_to[1].1.contains("revoked"),
            "{:?}",
            rec.not_sealed_to
        );
        // BE can open it; the sender can open its own.
        let env = rec.envelope.clone().unwrap();
        let parsed = ParsedEnvelope::parse(&env).unwrap();
        let v = verify(parsed, &trust, now, &HeaderLimits::default()).unwrap();
        assert_eq!(open(&v, &be.identity.node_id, &be.kem).unwrap(), rec.body);
        assert_eq!(
            open(&v, &keys.identity.node_id, &keys.kem).unwrap(),
            rec.body
        );
    }

    #[test]
    fn an_envelope_above_the_cap_fails_with_the_way_out_and_is_not_sent() {
        let mut rec = draft(MessageKind::Alert, Priority::Routine);
        rec.state = SendState::Sealed;
        rec.envelope = Some(vec![0; 1001]);
        let mut fits = rec.clone();
        refuse_oversized(&mut fits, 1001);
        assert_eq!(fits.state, SendState::Sealed);
        refuse_oversized(&mut rec, 1000);
        assert_eq!(rec.state, SendState::Failed);
        assert_eq!(rec.envelope, None, "nothing left to publish");
        assert_eq!(
            rec.reason.as_deref(),
            Some(
                "too large to send: the sealed message is 1001 bytes and the hub delivers \
                 at most 1000; send it again with smaller or fewer attachments"
            )
        );
    }

    #[test]
    fn direct_message_waits_for_a_missing_key_and_fails_when_expired() {
        let kit = Kit::new(KeyAlgorithm::Ed25519).unwrap();
        let ocu = kit.node("OCU", Role::Ocu, KeyAlgorithm::Ed25519).unwrap();
        let hu = member(&kit, "HU-NCP");
        let trust = kit.trust(&[]).unwrap();
        let now = kit_now();
        let mut rec = draft(MessageKind::Tasking, Priority::Urgent);
        rec.to = vec!["node/HU-NCP".parse().unwrap()];
        rec.expires_at = now + 1000;
        let empty = DirectoryResponse {
            readers: vec![(rec.to[0].clone(), vec![hu.identity.node_id.clone()])],
            entries: vec![],
            roster: None,
        };
        // A direct message needs no roster: the sender names its addressee.
        let gate = ReaderGate::default();
        match plan(&rec, &empty, &trust, &gate, &ocu.identity.node_id, now) {
            SealPlan::Wait(why) => {
                assert!(why.contains("HU-NCP: not in the hub's directory"), "{why}")
            }
            other => panic!("{other:?}"),
        }
        let with = DirectoryResponse {
            entries: vec![entry(&hu, true)],
            ..empty.clone()
        };
        assert!(matches!(
            plan(&rec, &with, &trust, &gate, &ocu.identity.node_id, now),
            SealPlan::Seal { ref keys, .. } if keys.len() == 1
        ));
        assert!(matches!(
            plan(
                &rec,
                &with,
                &trust,
                &gate,
                &ocu.identity.node_id,
                now + 1000
            ),
            SealPlan::Fail(_)
        ));
        let keys = node_keys(&kit, ocu);
        apply_plan(&mut rec, SealPlan::Fail("expired".into()), &keys, now);
        assert_eq!(rec.state, SendState::Failed);
        assert!(rec.envelope.is_none());
    }

    #[test]
    fn bundle_of_another_node_is_refused() {
        let kit = Kit::new(KeyAlgorithm::Ed25519).unwrap();
        let hu = member(&kit, "HU-NCP");
        let be = member(&kit, "BE-NCP");
        let trust = kit.trust(&[]).unwrap();
        let mut e = entry(&hu, true);
        e.bundle = Some(serde_bytes::ByteBuf::from(be.bundle.as_bytes().to_vec()));
        let dir = DirectoryResponse {
            readers: vec![],
            entries: vec![e],
            roster: None,
        };
        let err = verified_key(&dir, &hu.identity.node_id, &trust, kit_now()).unwrap_err();
        assert!(err.permanent);
        assert!(
            err.reason.starts_with("key bundle refused"),
            "{}",
            err.reason
        );
    }

    #[test]
    fn acks_settle_messages() {
        let mut rec = draft(MessageKind::Alert, Priority::Routine);
        rec.state = SendState::Sealed;
        let ack = |outcome, reason: &str| PublishAck {
            id: rec.id,
            outcome,
            reason: reason.into(),
        };
        let mut a = rec.clone();
        apply_ack(&mut a, &ack(PublishOutcome::Duplicate, ""), 5);
        assert_eq!(a.state, SendState::Stored);
        let mut b = rec.clone();
        apply_ack(
            &mut b,
            &ack(
                PublishOutcome::Denied,
                "XX-NCP is not a participant of cosmo-2",
            ),
            5,
        );
        assert_eq!(b.state, SendState::Failed);
        assert_eq!(
            b.reason.as_deref(),
            Some("denied by the hub: XX-NCP is not a participant of cosmo-2")
        );
        // The hub could not store it now: it stays sealed, in the outbox, to be sent again.
        let mut u = rec.clone();
        apply_ack(
            &mut u,
            &ack(PublishOutcome::Unavailable, "the hub's disk is nearly full"),
            5,
        );
        assert_eq!(u.state, SendState::Sealed);
        assert!(!u.state.is_settled());
        assert!(u.reason.unwrap().contains("sent again"));
        let mut c = rec.clone();
        apply_ack(&mut c, &ack(PublishOutcome::Invalid, "expired"), 5);
        assert!(c
            .reason
            .unwrap()
            .starts_with("refused by the hub as invalid"));
        let _ = MessageId::new_v7();
    }
}
