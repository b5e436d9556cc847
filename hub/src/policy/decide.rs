//! The decisions: may a node read a channel, may it publish a message, and what it may do
//! overall (its grants). Default deny: anything no rule allows is refused, with a reason.

use std::fmt;

use cordon_common::ids::{ChannelName, ChannelTarget, NodeId, OperationName};
use cordon_common::msg::{check_sender_role, MessageKind};
use cordon_common::wire::{DirectGrant, Grant};

use super::model::{kinds_granted, OperationInfo};
use super::subject::Subject;
use super::Policy;

/// Kinds that any participant may send as a reply to the sender of a message it could read.
pub const REPLY_KINDS: [MessageKind; 3] = [
    MessageKind::Receipt,
    MessageKind::Feedback,
    MessageKind::TrackingUpdate,
];

/// A refusal, with a human reason that names the rule (sent to the node and audited).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct Denial {
    /// Why, e.g. `HU-NCP may not publish notice to op/cosmo-2/notices: only role ocu may
    /// send notices`.
    pub reason: String,
}

/// What a node asks to publish, from the message's visible header.
#[derive(Debug, Clone, Copy)]
pub struct PublishRequest<'a> {
    /// The header's operation.
    pub operation: &'a OperationName,
    /// The message kind.
    pub kind: MessageKind,
    /// The header's destinations: one operation channel, or direct channels `node/<ID>`.
    pub to: &'a [ChannelName],
    /// The identities the hub knows (from their certificates) for the nodes named by
    /// direct channels in `to`. An addressee missing here is a participant only if the
    /// policy lists it by node id. Ignored for an operation channel.
    pub addressees: &'a [Subject],
    /// Set by the caller when the message is a reply to exactly the original sender: the
    /// header's `in_reply_to` names a message the publisher could read, and `to` is exactly
    /// the direct channel of that message's sender. Receipts are refused without it.
    pub is_reply_to_original_sender: bool,
}

/// The destinations of a request, for reasons: `op/cosmo-2/alerts`, `node/A, node/B`.
struct Destinations<'a>(&'a [ChannelName]);

impl fmt::Display for Destinations<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 4;
        match self.0 {
            [] => f.write_str("no destination"),
            all => {
                let names: Vec<&str> = all.iter().take(SHOWN).map(ChannelName::as_str).collect();
                f.write_str(&names.join(", "))?;
                if all.len() > SHOWN {
                    write!(f, " and {} more", all.len() - SHOWN)?;
                }
                Ok(())
            }
        }
    }
}

impl Policy {
    /// May `who` read `channel`?
    ///
    /// An operation channel is readable by the participants its `read` selector matches,
    /// also after the operation has closed. A node's own direct channel is always readable;
    /// another node's direct channel never is.
    pub fn may_read(
        &self,
        who: &Subject,
        channel: &ChannelName,
        now_ms: u64,
    ) -> Result<(), Denial> {
        // Reading does not depend on time today (closed operations remain readable); the
        // clock is part of the signature so that every decision is taken at a given moment.
        let _ = now_ms;
        let deny = |why: String| {
            Err(Denial {
                reason: format!("{} may not read {channel}: {why}", who.node_id),
            })
        };
        let (op_name, short) = match channel.target() {
            ChannelTarget::Node(id) if id == who.node_id.as_str() => return Ok(()),
            ChannelTarget::Node(_) => {
                return deny("a direct channel is readable only by its own node".to_owned())
            }
            ChannelTarget::Operation { operation, name } => (operation, name),
        };
        // A non-participant learns nothing about the operation, not even whether it exists.
        let Some(op) = self
            .operations
            .iter()
            .find(|o| o.name.as_str() == op_name && o.is_participant(who))
        else {
            return deny(format!("not a participant of operation {op_name}"));
        };
        let Some(ch) = op.channel(short) else {
            return deny(format!("operation {op_name} has no channel {short}"));
        };
        match &ch.read {
            Some(sel) if sel.matches(who, true) => Ok(()),
            Some(sel) => deny(format!("the channel is read by {sel} only")),
            None => deny("the channel has no read rule".to_owned()),
        }
    }

    /// May `who` publish the message described by `p` at `now_ms`?
    ///
    /// - The publisher must be a participant of the header's operation, and the operation
    ///   must be open, except for receipts.
    /// - `notice` only ever comes from role ocu and `tasking` from ocu or rilo
    ///   ([`check_sender_role`], the rule recipients apply).
    /// - To one operation channel of the header's operation: the kind must be granted to the
    ///   publisher by one of the channel's publish rules. Receipts never go to a channel.
    /// - To direct channels: every addressee must be a participant, and the kind must be
    ///   granted by a direct rule of the operation, unless the message is a reply
    ///   ([`REPLY_KINDS`]) to exactly the original sender, which every participant may send.
    pub fn may_publish(
        &self,
        who: &Subject,
        p: &PublishRequest<'_>,
        now_ms: u64,
    ) -> Result<(), Denial> {
        let deny = |why: String| {
            Err(Denial {
                reason: format!(
                    "{} may not publish {} to {}: {why}",
                    who.node_id,
                    p.kind,
                    Destinations(p.to)
                ),
            })
        };
        // A non-participant learns nothing about the operation, not even whether it exists.
        let Some(op) = self
            .operation(p.operation)
            .filter(|op| op.is_participant(who))
        else {
            return deny(format!("not a participant of operation {}", p.operation));
        };
        if let Err(e) = check_sender_role(p.kind, who.role, || who.node_id.to_string()) {
            return deny(e.to_string());
        }
        if p.kind != MessageKind::Receipt && op.is_closed(now_ms) {
            return deny(format!(
                "operation {} is {}: it is read-only, only receipts may still be sent",
                op.name,
                op.state(now_ms)
            ));
        }
        let direct = p.to.iter().filter(|c| c.direct_node().is_some()).count();
        match (p.to, direct) {
            ([], _) => deny("the message has no destination".to_owned()),
            ([channel], 0) => self.check_channel(op, who, p.kind, channel).or_else(deny),
            (_, 0) => deny("a message goes to exactly one operation channel".to_owned()),
            (to, n) if n == to.len() => self.check_direct(op, who, p).or_else(deny),
            _ => deny(
                "a message goes either to one operation channel or to direct channels, not both"
                    .to_owned(),
            ),
        }
    }

    /// To one operation channel: the reason for refusing, if any.
    fn check_channel(
        &self,
        op: &OperationInfo,
        who: &Subject,
        kind: MessageKind,
        channel: &ChannelName,
    ) -> Result<(), String> {
        let ChannelTarget::Operation { operation, name } = channel.target() else {
            return Err("not an operation channel".to_owned());
        };
        if operation != op.name.as_str() {
            return Err(format!(
                "the channel does not belong to operation {}, named in the message header",
                op.name
            ));
        }
        let Some(ch) = op.channel(name) else {
            return Err(format!("operation {} has no channel {name}", op.name));
        };
        if kind == MessageKind::Receipt {
            return Err(
                "a receipt goes only to the direct channel of the sender of the message it answers"
                    .to_owned(),
            );
        }
        if kinds_granted(&ch.publish, who, true).contains(&kind) {
            Ok(())
        } else {
            Err(format!(
                "no publish rule of the channel grants {kind} to {who}"
            ))
        }
    }

    /// To direct channels: the reason for refusing, if any.
    fn check_direct(
        &self,
        op: &OperationInfo,
        who: &Subject,
        p: &PublishRequest<'_>,
    ) -> Result<(), String> {
        for id in p.to.iter().filter_map(ChannelName::direct_node) {
            let known = p.addressees.iter().find(|s| s.node_id == id);
            if !op.is_participant_node(&id, known) {
                return Err(match known {
                    Some(_) => format!("{id} is not a participant of operation {}", op.name),
                    None => format!(
                        "{id} is unknown to the hub and not listed by id among the participants \
                         of operation {}",
                        op.name
                    ),
                });
            }
        }
        if p.is_reply_to_original_sender && p.to.len() == 1 && REPLY_KINDS.contains(&p.kind) {
            return Ok(());
        }
        if p.kind == MessageKind::Receipt {
            return Err("a receipt goes only to the sender of the message it answers".to_owned());
        }
        if kinds_granted(&op.direct, who, true).contains(&p.kind) {
            Ok(())
        } else {
            Err(format!(
                "no direct rule of operation {} grants {} to {who}",
                op.name, p.kind
            ))
        }
    }

    /// Everything `who` may do at `now_ms`, for the `Welcome` frame: one [`Grant`] per
    /// operation channel where it may read or publish something, and one [`DirectGrant`]
    /// per operation where it may address kinds to named participants. Its own direct
    /// channel is not listed: it is always readable. Replies are not listed: every
    /// participant may send them.
    pub fn grants_for(&self, who: &Subject, now_ms: u64) -> (Vec<Grant>, Vec<DirectGrant>) {
        let mut grants = Vec::new();
        let mut direct = Vec::new();
        for op in self.operations.iter().filter(|o| o.is_participant(who)) {
            let open = !op.is_closed(now_ms);
            for ch in &op.channels {
                let read = ch.read.as_ref().is_some_and(|s| s.matches(who, true));
                let publish = if open {
                    kinds_granted(&ch.publish, who, true)
                } else {
                    Vec::new()
                };
                if read || !publish.is_empty() {
                    grants.push(Grant {
                        channel: ch.name.clone(),
                        read,
                        publish,
                    });
                }
            }
            let kinds = if open {
                kinds_granted(&op.direct, who, true)
            } else {
                Vec::new()
            };
            if !kinds.is_empty() {
                direct.push(DirectGrant {
                    operation: op.name.clone(),
                    kinds,
                });
            }
        }
        (grants, direct)
    }

    /// May `who` learn who reads `channel` (the directory)? Only where it may read the
    /// channel or publish some kind to it, so that a non-participant learns nothing about
    /// an operation, not even that it exists: an unknown channel and a forbidden one get
    /// the same answer. A direct channel names its only reader, so it is always answered.
    pub fn may_see_readers(&self, who: &Subject, channel: &ChannelName, now_ms: u64) -> bool {
        let ChannelTarget::Operation { operation, name } = channel.target() else {
            return true;
        };
        if self.may_read(who, channel, now_ms).is_ok() {
            return true;
        }
        self.operations
            .iter()
            .filter(|o| o.name.as_str() == operation && o.is_participant(who))
            .filter(|o| !o.is_closed(now_ms))
            .filter_map(|o| o.channel(name))
            .any(|ch| !kinds_granted(&ch.publish, who, true).is_empty())
    }

    /// The ids of the `candidates` that may read `channel` at `now_ms`, in the order given.
    pub fn readers<'a>(
        &self,
        channel: &ChannelName,
        candidates: impl Iterator<Item = &'a Subject>,
        now_ms: u64,
    ) -> Vec<NodeId> {
        candidates
            .filter(|s| self.may_read(s, channel, now_ms).is_ok())
            .map(|s| s.node_id.clone())
            .collect()
    }
}
