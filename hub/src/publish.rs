//! The publish path: frame → header → size (a `Deliver` frame can carry it) → sender is
//! the TLS peer → policy → signature → duplicate check → durable group commit → ack.
//! Every refusal is audited with its reason.
//!
//! Three stages, so that checks run in parallel while a sender's messages are stored and
//! acknowledged in the order it sent them: [`check`] (CPU work on the check pool, many
//! at once), [`enqueue`] (in stream order, onto the group committer), [`finish`] (in
//! stream order: wait until durable, wake the readers, audit, build the ack).

use std::sync::Arc;

use cordon_common::envelope::{check_peer, Addressing, EnvelopeError, Header, ParsedEnvelope};
use cordon_common::ids::{ChannelName, MessageId};
use cordon_common::wire::{max_envelope, PublishAck, PublishOutcome};
use tracing::{debug, info, warn};

use crate::audit::AuditEvent;
use crate::policy::PublishRequest;
use crate::state::{now_ms, HubState, Peer};
use crate::store::{CommitOutcome, Lane, MessageMeta, NewMessage, PendingCommit, StoreError};

fn ack(id: MessageId, outcome: PublishOutcome, reason: String) -> PublishAck {
    PublishAck {
        id,
        outcome,
        reason,
    }
}

fn outcome_name(o: PublishOutcome) -> &'static str {
    match o {
        PublishOutcome::Stored => "stored",
        PublishOutcome::Duplicate => "duplicate",
        PublishOutcome::Denied => "denied",
        PublishOutcome::Invalid => "invalid",
        PublishOutcome::Unavailable => "unavailable",
    }
}

/// A publish that passed every check and awaits storing.
#[derive(Debug)]
pub struct Checked {
    header: Header,
    message: NewMessage,
}

/// What answering a queued publish needs once it is durable.
#[derive(Debug)]
pub struct Queued {
    header: Header,
    size: u64,
}

/// A publish on its way to disk, or already refused.
#[derive(Debug)]
pub enum Pending {
    /// Refused before storing: this is the ack.
    Refused(PublishAck),
    /// Queued for the durable commit.
    Committing(Box<Queued>, PendingCommit),
}

/// Stage 2, in stream order: queue a checked publish for the next durable commit.
pub async fn enqueue(state: &HubState, checked: Result<Checked, PublishAck>) -> Pending {
    let Checked { header, message } = match checked {
        Ok(c) => c,
        Err(a) => return Pending::Refused(a),
    };
    if let Some(reason) = crate::publish_gate::refuse_publish(state) {
        return Pending::Refused(ack(header.id, PublishOutcome::Unavailable, reason));
    }
    let size = message.envelope.len() as u64;
    match state.committer.enqueue(message).await {
        Ok(p) => Pending::Committing(Box::new(Queued { header, size }), p),
        Err(e) => Pending::Refused(ack(
            header.id,
            PublishOutcome::Unavailable,
            format!("hub cannot store the message now: {e}"),
        )),
    }
}

/// Stage 3, in stream order: wait until durable, then wake readers, count, audit and
/// answer. Every refusal is counted and audited here, once.
pub async fn finish(state: &HubState, peer: &Peer, pending: Pending) -> PublishAck {
    let result = match pending {
        Pending::Refused(a) => a,
        Pending::Committing(c, p) => stored(state, &c, p.durable().await).await,
    };
    state.metrics.publish(outcome_name(result.outcome));
    if result.outcome != PublishOutcome::Stored {
        info!(id = %result.id, outcome = outcome_name(result.outcome), reason = %result.reason, "publish refused");
        let id = (result.id != MessageId(uuid::Uuid::nil())).then(|| result.id.to_string());
        state
            .audit
            .record(AuditEvent::PublishRefused {
                id,
                sender: peer.node_id().to_string(),
                outcome: outcome_name(result.outcome).to_owned(),
                reason: result.reason.clone(),
            })
            .await;
    }
    result
}

/// Whether `h` is a reply addressed to exactly the original sender of the message it
/// answers, by a node that could read that message.
fn is_reply_to_original_sender(state: &HubState, peer: &Peer, h: &Header) -> bool {
    let (Some(orig_id), Addressing::Direct([to])) = (
        h.in_reply_to,
        h.addressing().unwrap_or(Addressing::Direct(&[])),
    ) else {
        return false;
    };
    let Ok(Some(orig)) = state.store.meta(&orig_id) else {
        return false;
    };
    if to.direct_node().as_ref() != Some(&orig.sender) || orig.operation != h.operation {
        return false;
    }
    let me = peer.node_id().direct_channel();
    orig.to.iter().any(|c| {
        *c == me
            || (c.direct_node().is_none()
                && state.policy().may_read(&peer.subject, c, now_ms()).is_ok())
    })
}

/// Why an envelope of `size` bytes is refused under the hub's `max_frame`: a `Deliver`
/// frame could not carry it, so it could be stored but never delivered.
fn too_large(size: usize, max_frame: usize) -> String {
    format!(
        "envelope too large to deliver: {size} bytes, the hub delivers at most {} \
         (max_frame {max_frame}); send smaller or fewer attachments",
        max_envelope(max_frame)
    )
}

/// What the checks before the signature found.
pub(crate) struct PreChecked<'a> {
    /// The parsed envelope.
    pub(crate) parsed: ParsedEnvelope<'a>,
    /// Whether a message with its id is already stored.
    known: bool,
}

/// Everything but the signature (on a check pool thread): parse, the sender is the TLS
/// peer, header, policy, the embedded certificate is the peer's, and whether the id is
/// already known.
pub(crate) fn pre_check<'a>(
    state: &HubState,
    peer: &Peer,
    envelope: &'a [u8],
    now: u64,
) -> Result<PreChecked<'a>, PublishAck> {
    let zero = MessageId(uuid::Uuid::nil());
    let parsed = ParsedEnvelope::parse(envelope)
        .map_err(|e| ack(zero, PublishOutcome::Invalid, e.to_string()))?;
    let h = &parsed.header;
    let invalid = |r: String| ack(h.id, PublishOutcome::Invalid, r);
    let max_frame = state.config.limits.max_frame;
    if envelope.len() > max_envelope(max_frame) {
        return Err(invalid(too_large(envelope.len(), max_frame)));
    }
    if h.sender != *peer.node_id() {
        return Err(invalid(format!(
            "header sender {} is not the connected node {}",
            h.sender,
            peer.node_id()
        )));
    }
    h.check(now, &state.header_limits)
        .map_err(|e| invalid(e.to_string()))?;
    let reply = h.in_reply_to.is_some() && is_reply_to_original_sender(state, peer, h);
    let addressees: Vec<crate::policy::Subject> =
        h.to.iter()
            .filter_map(|c| c.direct_node())
            .filter_map(|n| state.directory.subject(&n))
            .collect();
    let req = PublishRequest {
        operation: &h.operation,
        kind: h.kind,
        to: &h.to,
        addressees: &addressees,
        is_reply_to_original_sender: reply,
    };
    state
        .policy()
        .may_publish(&peer.subject, &req, now)
        .map_err(|d| ack(h.id, PublishOutcome::Denied, d.reason))?;
    check_peer(
        &parsed,
        &peer.identity,
        &peer.cert_der,
        now,
        &state.header_limits,
    )
    .map_err(|e| invalid(e.to_string()))?;
    let known = state
        .store
        .contains(&h.id)
        .map_err(|e| invalid(format!("hub storage error: {e}")))?;
    Ok(PreChecked { parsed, known })
}

/// The verdict on a pre-checked publish once its signature is checked: a bad signature
/// is refused before a known id is called a duplicate.
pub(crate) fn verdict(pre: PreChecked<'_>, signature_holds: bool) -> Result<Header, PublishAck> {
    let h = pre.parsed.header;
    if !signature_holds {
        return Err(ack(
            h.id,
            PublishOutcome::Invalid,
            EnvelopeError::BadSignature.to_string(),
        ));
    }
    if pre.known {
        return Err(ack(h.id, PublishOutcome::Duplicate, String::new()));
    }
    Ok(h)
}

/// Stage 1, concurrently: parse, check sender, header, policy and signature, and drop a
/// known id, on the check pool ([`crate::check_pool`]), which verifies the signatures of
/// publishes that arrive together in one batch.
pub async fn check(
    state: Arc<HubState>,
    peer: Arc<Peer>,
    envelope: Vec<u8>,
) -> Result<Checked, PublishAck> {
    let zero = MessageId(uuid::Uuid::nil());
    let size = envelope.len();
    let checked = state.checks.check(state.clone(), peer, envelope).await;
    // The publish span (session.rs) learns the message id as soon as it is known.
    if let Some(result) = &checked {
        let id = match result {
            Ok((h, _)) => h.id,
            Err(a) => a.id,
        };
        if id != zero {
            tracing::Span::current().record("id", tracing::field::display(id));
        }
    }
    let (h, envelope) = match checked {
        Some(Ok(v)) => v,
        Some(Err(a)) => return Err(a),
        None => {
            return Err(ack(
                zero,
                PublishOutcome::Invalid,
                "hub internal error: the check pool has stopped".into(),
            ))
        }
    };
    let deliver_on: Vec<ChannelName> = h.to.clone();
    let meta = MessageMeta {
        id: h.id,
        kind: h.kind,
        operation: h.operation.clone(),
        sender: h.sender.clone(),
        to: h.to.clone(),
        priority: h.priority,
        created_at: h.created_at,
        expires_at: h.expires_at,
        in_reply_to: h.in_reply_to,
        size: u32::try_from(size).unwrap_or(u32::MAX),
    };
    Ok(Checked {
        header: h,
        message: NewMessage {
            meta,
            envelope,
            deliver_on,
        },
    })
}

async fn stored(
    state: &HubState,
    c: &Queued,
    outcome: Result<CommitOutcome, StoreError>,
) -> PublishAck {
    let h = &c.header;
    let lane = Lane::from(h.priority);
    match outcome {
        Ok(CommitOutcome::Stored { entries }) => {
            for (channel, lane, _seq) in &entries {
                state.sessions.wake(channel, *lane);
            }
            debug!(id = %h.id, ?lane, "stored");
            state
                .audit
                .record(AuditEvent::Published {
                    id: h.id.to_string(),
                    kind: h.kind.as_str().to_owned(),
                    to: h.to.iter().map(ToString::to_string).collect(),
                    sender: h.sender.to_string(),
                    size: c.size,
                })
                .await;
            ack(h.id, PublishOutcome::Stored, String::new())
        }
        Ok(CommitOutcome::Duplicate) => ack(h.id, PublishOutcome::Duplicate, String::new()),
        Err(e) => {
            warn!(id = %h.id, error = %e, "store refused a message");
            ack(
                h.id,
                PublishOutcome::Unavailable,
                format!("hub cannot store the message now: {e}"),
            )
        }
    }
}
