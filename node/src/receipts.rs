//! Receipts: the ones this node sends (`delivered` on storing a message, `read` when an
//! officer shows it, `acknowledged` when an officer acks it), and the report of the ones
//! it received for a message it sent: who has received, read and acknowledged it, and
//! who has not, among the nodes the message was sealed to.
//!
//! A receipt is an envelope of kind `receipt` addressed to exactly the original sender's
//! direct channel `node/<ID>`, with `in_reply_to` set, encrypted to the original sender
//! only (PROTOCOL.md §8.3).

use cordon_common::ids::{ChannelName, MessageId, NodeId, OperationName};
use cordon_common::msg::{
    Message, MessageKind, Priority, Receipt, ReceiptStatus, Timestamp, Tlp, MAX_RECEIPT_MORE,
};
use serde::{Deserialize, Serialize};

use crate::store::{ReceiptRecord, ResendLink, SendState, SentRecord};

/// The message a receipt answers.
#[derive(Debug, Clone, Copy)]
pub struct Original<'a> {
    /// Its id.
    pub id: MessageId,
    /// Its sender.
    pub sender: &'a NodeId,
    /// Its operation.
    pub operation: &'a OperationName,
    /// Its priority (the receipt travels at the same priority).
    pub priority: Priority,
    /// Its marking (the receipt carries the same).
    pub tlp: Tlp,
}

/// A receipt draft for the outbox: `status` for `original`, made at `now_ms`, living
/// `lifetime_ms`.
pub fn draft(
    original: Original<'_>,
    status: ReceiptStatus,
    now_ms: u64,
    lifetime_ms: u64,
) -> Result<SentRecord, cordon_common::msg::EncodeError> {
    let body = Message::Receipt(Receipt {
        message_id: original.id.0,
        status,
        at: Timestamp::from_millis(now_ms),
        more: vec![],
    })
    .encode()?;
    Ok(SentRecord {
        id: MessageId::new_v7(),
        kind: MessageKind::Receipt,
        operation: original.operation.clone(),
        to: vec![original.sender.direct_channel()],
        priority: original.priority,
        tlp: original.tlp,
        created_at: now_ms,
        expires_at: now_ms.saturating_add(lifetime_ms),
        in_reply_to: Some(original.id),
        body,
        state: SendState::Draft,
        reason: None,
        envelope: None,
        sealed_to: vec![],
        not_sealed_to: vec![],
        attempts: 0,
        updated_at: now_ms,
        resend: ResendLink::default(),
    })
}

/// Merge receipt drafts that can travel as one: same destination, operation, priority,
/// marking and status. Each group becomes one receipt whose `message_id` is the first
/// draft's message and whose `more` lists the others (at most
/// [`MAX_RECEIPT_MORE`] each; a larger group is split). A catching-up node thus sends
/// one `delivered` receipt per batch and sender, not one per message, which saves an
/// HPKE wrap, a signature and a hub round trip per message. Order is kept; a draft that
/// is not a decodable receipt passes through unchanged.
pub fn coalesce(drafts: Vec<SentRecord>) -> Vec<SentRecord> {
    type Key = (
        Vec<ChannelName>,
        OperationName,
        Priority,
        Tlp,
        ReceiptStatus,
    );
    let mut groups: Vec<(Key, Vec<(SentRecord, Receipt)>)> = Vec::new();
    let mut out = Vec::new();
    for d in drafts {
        let receipt = match Message::decode(MessageKind::Receipt, &d.body) {
            Ok(Message::Receipt(r)) if d.kind == MessageKind::Receipt && r.more.is_empty() => r,
            _ => {
                out.push(d);
                continue;
            }
        };
        let key: Key = (
            d.to.clone(),
            d.operation.clone(),
            d.priority,
            d.tlp,
            receipt.status,
        );
        match groups
            .iter_mut()
            .find(|(k, g)| *k == key && g.len() <= MAX_RECEIPT_MORE)
        {
            Some((_, g)) => g.push((d, receipt)),
            None => groups.push((key, vec![(d, receipt)])),
        }
    }
    for (_, group) in groups {
        let Some((first, receipt)) = group.first() else {
            continue;
        };
        if group.len() == 1 {
            out.push(first.clone());
            continue;
        }
        let merged = Receipt {
            more: group.iter().skip(1).map(|(_, r)| r.message_id).collect(),
            ..receipt.clone()
        };
        match Message::Receipt(merged).encode() {
            Ok(body) => out.push(SentRecord {
                body,
                ..first.clone()
            }),
            // Bounded ids encode; should that ever fail, each draft goes out alone.
            Err(e) => {
                tracing::warn!(error = %e, "could not merge receipts; sending them one by one");
                out.extend(group.into_iter().map(|(d, _)| d));
            }
        }
    }
    out
}

/// One recipient's progress with a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientProgress {
    /// The recipient.
    pub node: NodeId,
    /// Stored on its node.
    pub delivered_at: Option<Timestamp>,
    /// Shown to an officer.
    pub read_at: Option<Timestamp>,
    /// Acknowledged by an officer.
    pub acknowledged_at: Option<Timestamp>,
}

/// Who has received, read and acknowledged a message this node sent, and who has not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptReport {
    /// The message.
    pub id: MessageId,
    /// Its kind.
    pub kind: MessageKind,
    /// Its destinations.
    pub to: Vec<ChannelName>,
    /// Where it stands at the hub (`draft`, `sealed`, `stored`, `failed`).
    pub state: String,
    /// Every node it was sealed to, with its receipts so far, in node order.
    pub recipients: Vec<RecipientProgress>,
    /// Sealed to, but no `delivered` receipt yet.
    pub not_delivered: Vec<NodeId>,
    /// Sealed to, but no `read` receipt yet.
    pub not_read: Vec<NodeId>,
    /// Sealed to, but no `acknowledged` receipt yet.
    pub not_acknowledged: Vec<NodeId>,
    /// Readers it could not be sealed to, with why.
    pub not_sealed_to: Vec<(NodeId, String)>,
}

fn ts(ms: Option<u64>) -> Option<Timestamp> {
    ms.map(Timestamp::from_millis)
}

/// Build the report for `sent` from the receipts received. Receipts from nodes the
/// message was not sealed to are left out (they could not have read it).
pub fn report(sent: &SentRecord, received: &[(NodeId, ReceiptRecord)]) -> ReceiptReport {
    let mut sealed = sent.sealed_to.clone();
    sealed.sort();
    sealed.dedup();
    let mut recipients = Vec::with_capacity(sealed.len());
    let (mut not_delivered, mut not_read, mut not_acknowledged) = (vec![], vec![], vec![]);
    for node in sealed {
        let r = received
            .iter()
            .find(|(n, _)| *n == node)
            .map(|(_, r)| r.clone())
            .unwrap_or_default();
        // A read or acknowledged node has evidently received the message.
        let delivered = r.delivered_at.or(r.read_at).or(r.acked_at);
        let read = r.read_at.or(r.acked_at);
        if delivered.is_none() {
            not_delivered.push(node.clone());
        }
        if read.is_none() {
            not_read.push(node.clone());
        }
        if r.acked_at.is_none() {
            not_acknowledged.push(node.clone());
        }
        recipients.push(RecipientProgress {
            node,
            delivered_at: ts(delivered),
            read_at: ts(read),
            acknowledged_at: ts(r.acked_at),
        });
    }
    ReceiptReport {
        id: sent.id,
        kind: sent.kind,
        to: sent.to.clone(),
        state: sent.state.as_str().to_owned(),
        recipients,
        not_delivered,
        not_read,
        not_acknowledged,
        not_sealed_to: sent.not_sealed_to.clone(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::store::tests::draft as sent_draft;

    #[test]
    fn receipt_draft_goes_to_the_sender_only_with_in_reply_to() {
        let sender: NodeId = "OCU".parse().unwrap();
        let op: OperationName = "cosmo-2".parse().unwrap();
        let id = MessageId::new_v7();
        let d = draft(
            Original {
                id,
                sender: &sender,
                operation: &op,
                priority: Priority::Flash,
                tlp: Tlp::Green,
            },
            ReceiptStatus::Read,
            1_000,
            60_000,
        )
        .unwrap();
        assert_eq!(d.kind, MessageKind::Receipt);
        assert_eq!(d.to, vec!["node/OCU".parse::<ChannelName>().unwrap()]);
        assert_eq!(d.in_reply_to, Some(id));
        assert_eq!((d.created_at, d.expires_at), (1_000, 61_000));
        assert_eq!(d.priority, Priority::Flash);
        match Message::decode(MessageKind::Receipt, &d.body).unwrap() {
            Message::Receipt(r) => {
                assert_eq!(r.message_id, id.0);
                assert_eq!(r.status, ReceiptStatus::Read);
            }
            other => panic!("{other:?}"),
        }
    }

    fn delivered(sender: &str, priority: Priority) -> SentRecord {
        let sender: NodeId = sender.parse().unwrap();
        let op: OperationName = "cosmo-2".parse().unwrap();
        draft(
            Original {
                id: MessageId::new_v7(),
                sender: &sender,
                operation: &op,
                priority,
                tlp: Tlp::Amber,
            },
            ReceiptStatus::Delivered,
            1_000,
            60_000,
        )
        .unwrap()
    }

    fn ids_of(d: &SentRecord) -> Vec<MessageId> {
        match Message::decode(MessageKind::Receipt, &d.body).unwrap() {
            Message::Receipt(r) => r.message_ids().map(MessageId).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn coalesce_merges_per_sender_and_priority_and_keeps_every_id() {
        let drafts = vec![
            delivered("BE-NCP", Priority::Routine),
            delivered("OCU", Priority::Flash),
            delivered("BE-NCP", Priority::Routine),
            delivered("BE-NCP", Priority::Flash),
            delivered("BE-NCP", Priority::Routine),
        ];
        let originals: Vec<MessageId> = drafts.iter().filter_map(|d| d.in_reply_to).collect();
        let out = coalesce(drafts);
        assert_eq!(out.len(), 3, "BE routine x3, OCU flash, BE flash");
        let be_routine = &out[0];
        assert_eq!(
            ids_of(be_routine),
            vec![originals[0], originals[2], originals[4]]
        );
        assert_eq!(be_routine.in_reply_to, Some(originals[0]));
        assert_eq!(
            be_routine.to,
            vec!["node/BE-NCP".parse::<ChannelName>().unwrap()]
        );
        assert_eq!(ids_of(&out[1]), vec![originals[1]]);
        assert_eq!(ids_of(&out[2]), vec![originals[3]]);
        // A single receipt is left byte for byte as it was drafted.
        let one = delivered("HU-NCP", Priority::Urgent);
        assert_eq!(coalesce(vec![one.clone()]), vec![one]);
    }

    #[test]
    fn coalesce_splits_groups_at_the_receipt_limit() {
        let drafts: Vec<SentRecord> = (0..MAX_RECEIPT_MORE + 2)
            .map(|_| delivered("BE-NCP", Priority::Routine))
            .collect();
        let out = coalesce(drafts);
        assert_eq!(out.len(), 2);
        assert_eq!(ids_of(&out[0]).len(), MAX_RECEIPT_MORE + 1);
        assert_eq!(ids_of(&out[1]).len(), 1);
        for d in &out {
            match Message::decode(MessageKind::Receipt, &d.body).unwrap() {
                Message::Receipt(r) => {
                    assert_eq!(r.validate(&cordon_common::msg::Limits::default()), Ok(()))
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn report_lists_who_has_not() {
        let mut sent = sent_draft(MessageKind::Notice, Priority::Flash);
        let n = |s: &str| s.parse::<NodeId>().unwrap();
        sent.sealed_to = vec![n("HU-NCP"), n("BE-NCP"), n("NL-NCP")];
        let received = vec![
            (
                n("BE-NCP"),
                ReceiptRecord {
                    delivered_at: Some(1),
                    read_at: Some(2),
                    acked_at: None,
                },
            ),
            (
                n("NL-NCP"),
                ReceiptRecord {
                    delivered_at: None,
                    read_at: None,
                    acked_at: Some(3),
                },
            ),
            // Not a recipient: ignored.
            (
                n("XX-NCP"),
                ReceiptRecord {
                    delivered_at: Some(1),
                    ..Default::default()
                },
            ),
        ];
        let r = report(&sent, &received);
        let nodes: Vec<_> = r.recipients.iter().map(|p| p.node.as_str()).collect();
        assert_eq!(nodes, ["BE-NCP", "HU-NCP", "NL-NCP"]);
        assert_eq!(r.not_delivered, vec![n("HU-NCP")]);
        assert_eq!(r.not_read, vec![n("HU-NCP")]);
        assert_eq!(r.not_acknowledged, vec![n("BE-NCP"), n("HU-NCP")]);
        assert_eq!(
            r.recipients[2].delivered_at,
            Some(Timestamp::from_millis(3))
        );
    }
}
