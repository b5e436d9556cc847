//! Receiving one delivery: verify as a recipient (signer chain to the federation root,
//! CRLs, signature, header, expiry), open with this node's X25519 key, decode and
//! validate the body. The result is a [`Received`] for the store: an inbox message with
//! its `delivered` receipt, a receipt for a message this node sent, or a refusal with
//! its reason. Pure and synchronous: the caller commits a batch of them in one
//! transaction and only then acknowledges the deliveries.

use cordon_common::envelope::{
    check_signer, open, verify_batch, EnvelopeError, HeaderLimits, KemKeyPair, ParsedEnvelope,
    SignerChecked, VerifiedEnvelope,
};
use cordon_common::identity::NodeIdentity;
use cordon_common::ids::{ChannelName, MessageId};
use cordon_common::msg::{self, Limits, Message, MessageKind, ReceiptStatus};
use cordon_common::pki::{TrustError, TrustStore};
use cordon_common::wire::Deliver;

use crate::receipts::{self, Original};
use crate::store::{InboxRecord, Received, RefusalRecord};

/// What a recipient needs to accept deliveries.
#[derive(Debug)]
pub struct Receiver<'a> {
    /// This node.
    pub me: &'a NodeIdentity,
    /// Its X25519 key.
    pub kem: &'a KemKeyPair,
    /// Federation roots and CRLs.
    pub trust: &'a TrustStore,
    /// Header rules.
    pub header_limits: HeaderLimits,
    /// Body rules.
    pub body_limits: Limits,
    /// Lifetime of the receipts sent, ms.
    pub receipt_lifetime_ms: u64,
}

/// Why an envelope was refused: a short class and the detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `malformed`, `misrouted`, `expired`, `forged`, `revoked-signer`,
    /// `untrusted-signer`, `forbidden-sender`, `not-a-recipient`, `undecryptable`,
    /// `invalid-body`.
    pub class: &'static str,
    /// The detail.
    pub detail: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.class, self.detail)
    }
}

fn classify(e: &EnvelopeError) -> &'static str {
    match e {
        EnvelopeError::Malformed(_)
        | EnvelopeError::MalformedHeader(_)
        | EnvelopeError::UnsupportedVersion(_)
        | EnvelopeError::InvalidHeader(_) => "malformed",
        EnvelopeError::Expired { .. } => "expired",
        EnvelopeError::SignerCertMismatch
        | EnvelopeError::SenderMismatch { .. }
        | EnvelopeError::SenderNotPeer { .. }
        | EnvelopeError::BadSignature => "forged",
        EnvelopeError::UntrustedSigner(TrustError::Revoked) => "revoked-signer",
        EnvelopeError::UntrustedSigner(_) => "untrusted-signer",
        EnvelopeError::NotARecipient | EnvelopeError::UnknownKeyId(_) => "not-a-recipient",
        _ => "undecryptable",
    }
}

/// Refuse `kind` signed by `signer` unless its role may send it. The rule is
/// `cordon_common::msg::allowed_sender_roles`, which the hub's policy loader applies too;
/// a recipient checks it again so that a compromised hub together with any participant's
/// key cannot task nodes or speak for the OCU.
fn check_sender_role(kind: MessageKind, signer: &NodeIdentity) -> Result<(), Refusal> {
    msg::check_sender_role(kind, signer.role, || {
        format!("its signer {}", signer.node_id)
    })
    .map_err(|e| Refusal {
        class: "forbidden-sender",
        detail: e.to_string(),
    })
}

fn refuse(e: &EnvelopeError) -> Refusal {
    Refusal {
        class: classify(e),
        detail: e.to_string(),
    }
}

/// What a delivery turned out to be, before it is stored.
#[derive(Debug)]
pub enum Accepted {
    /// A message for the inbox, with the delivered receipt to queue.
    Message(Box<InboxRecord>, Option<Box<crate::store::SentRecord>>),
    /// A receipt for one or more of this node's messages.
    Receipt {
        /// The messages it is for (`message_id` first, then `more`).
        message_ids: Vec<MessageId>,
        /// What it says.
        status: ReceiptStatus,
        /// When, ms.
        at: u64,
    },
    /// This node's own message, echoed on a channel it reads.
    Own,
}

impl Receiver<'_> {
    /// Process one delivery at `now_ms` into what the store should record.
    pub fn process(
        &self,
        channel: &ChannelName,
        hub_seq: u64,
        envelope: &[u8],
        now_ms: u64,
    ) -> Received {
        let accepted = self.accept(channel, envelope, now_ms);
        self.record(channel, hub_seq, envelope, now_ms, accepted)
    }

    /// Process many deliveries at `now_ms`, in order: each as [`Self::process`] would,
    /// with their signatures checked together ([`verify_batch`]).
    pub fn process_many(&self, deliveries: &[Deliver], now_ms: u64) -> Vec<Received> {
        // The refusal of each delivery that failed before its signature; the others go
        // into the batch, in order.
        let mut refused: Vec<Option<Refusal>> = Vec::with_capacity(deliveries.len());
        let mut signed: Vec<SignerChecked<'_>> = Vec::with_capacity(deliveries.len());
        for d in deliveries {
            match self.check(&d.channel, &d.envelope, now_ms) {
                Ok(c) => {
                    signed.push(c);
                    refused.push(None);
                }
                Err(r) => refused.push(Some(r)),
            }
        }
        let mut verified = verify_batch(signed).into_iter();
        deliveries
            .iter()
            .zip(refused)
            .map(|(d, refusal)| {
                let accepted = match refusal {
                    Some(r) => Err(r),
                    None => match verified.next() {
                        Some(v) => v
                            .map_err(|e| refuse(&e))
                            .and_then(|v| self.open_verified(&d.channel, v, now_ms)),
                        None => Err(refuse(&EnvelopeError::BadSignature)),
                    },
                };
                self.record(&d.channel, d.seq, &d.envelope, now_ms, accepted)
            })
            .collect()
    }

    /// What the store records for one delivery, given what became of it.
    fn record(
        &self,
        channel: &ChannelName,
        hub_seq: u64,
        envelope: &[u8],
        now_ms: u64,
        accepted: Result<(NodeIdentity, Accepted), Refusal>,
    ) -> Received {
        match accepted {
            Ok((
                signer,
                Accepted::Receipt {
                    message_ids,
                    status,
                    at,
                },
            )) => Received::Receipt {
                message_ids,
                from: signer.node_id,
                status,
                at,
            },
            Ok((_, Accepted::Message(record, receipt))) => Received::Message { record, receipt },
            Ok((_, Accepted::Own)) => Received::Ignored,
            Err(refusal) => {
                let header = ParsedEnvelope::parse(envelope).ok().map(|p| p.header);
                tracing::warn!(%channel, hub_seq, reason = %refusal, "envelope refused");
                Received::Refused(RefusalRecord {
                    seq: 0,
                    at: now_ms,
                    channel: channel.clone(),
                    hub_seq,
                    id: header.as_ref().map(|h| h.id),
                    sender: header.as_ref().map(|h| h.sender.clone()),
                    kind: header.as_ref().map(|h| h.kind),
                    reason: refusal.to_string(),
                    size: envelope.len() as u64,
                })
            }
        }
    }

    /// Verify, open, decode and validate; the signer and what the envelope is, or why it
    /// is refused.
    fn accept(
        &self,
        channel: &ChannelName,
        envelope: &[u8],
        now_ms: u64,
    ) -> Result<(NodeIdentity, Accepted), Refusal> {
        let checked = self.check(channel, envelope, now_ms)?;
        let verified = verify_batch(vec![checked])
            .pop()
            .ok_or_else(|| refuse(&EnvelopeError::BadSignature))?
            .map_err(|e| refuse(&e))?;
        self.open_verified(channel, verified, now_ms)
    }

    /// Parse, check the channel, the header and the signer: everything before the
    /// signature.
    fn check<'e>(
        &self,
        channel: &ChannelName,
        envelope: &'e [u8],
        now_ms: u64,
    ) -> Result<SignerChecked<'e>, Refusal> {
        let parsed = ParsedEnvelope::parse(envelope).map_err(|e| refuse(&e))?;
        if !parsed.header.to.contains(channel) {
            return Err(Refusal {
                class: "misrouted",
                detail: format!(
                    "delivered on {channel}, but addressed to {}",
                    parsed
                        .header
                        .to
                        .iter()
                        .map(ChannelName::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
        check_signer(parsed, self.trust, now_ms, &self.header_limits).map_err(|e| refuse(&e))
    }

    /// Everything after the signature: the sender's role, open, decode and validate.
    fn open_verified(
        &self,
        channel: &ChannelName,
        verified: VerifiedEnvelope<'_>,
        now_ms: u64,
    ) -> Result<(NodeIdentity, Accepted), Refusal> {
        let signer = verified.signer.clone();
        let h = verified.envelope.header.clone();
        // The role comes from the signer's verified certificate, the kind from the signed
        // header: neither can be changed by the hub.
        check_sender_role(h.kind, &signer)?;
        if h.sender == self.me.node_id {
            return Ok((signer, Accepted::Own));
        }
        let plain = open(&verified, &self.me.node_id, self.kem).map_err(|e| refuse(&e))?;
        let message = Message::decode(h.kind, &plain).map_err(|e| Refusal {
            class: "invalid-body",
            detail: e.to_string(),
        })?;
        message.validate(&self.body_limits).map_err(|e| Refusal {
            class: "invalid-body",
            detail: e.to_string(),
        })?;
        if let Message::Receipt(r) = &message {
            if h.in_reply_to != Some(MessageId(r.message_id)) {
                return Err(Refusal {
                    class: "invalid-body",
                    detail: "receipt's message_id differs from the header's in_reply_to".into(),
                });
            }
            if h.to != [self.me.node_id.direct_channel()] {
                return Err(Refusal {
                    class: "misrouted",
                    detail: "a receipt must be addressed to this node's direct channel only".into(),
                });
            }
            let at = r.at.as_millis();
            return Ok((
                signer,
                Accepted::Receipt {
                    message_ids: r.message_ids().map(MessageId).collect(),
                    status: r.status,
                    at,
                },
            ));
        }
        let receipt = receipts::draft(
            Original {
                id: h.id,
                sender: &h.sender,
                operation: &h.operation,
                priority: h.priority,
                tlp: h.tlp,
            },
            ReceiptStatus::Delivered,
            now_ms,
            self.receipt_lifetime_ms,
        )
        .map_err(|e| Refusal {
            class: "invalid-body",
            detail: format!("cannot make the delivered receipt: {e}"),
        })?;
        let mut record = InboxRecord {
            seq: 0,
            id: h.id,
            kind: h.kind,
            operation: h.operation.clone(),
            channel: channel.clone(),
            to: h.to.clone(),
            sender: h.sender.clone(),
            sender_role: signer.role,
            sender_organisation: String::new(),
            sender_country: None,
            sender_fingerprint: signer.fingerprint,
            created_at: h.created_at,
            expires_at: h.expires_at,
            priority: h.priority,
            tlp: h.tlp,
            in_reply_to: h.in_reply_to,
            received_at: now_ms,
            body: plain,
            read_at: None,
            acked_at: None,
        };
        record.set_sender(&signer);
        debug_assert!(record.kind != MessageKind::Receipt);
        Ok((
            signer,
            Accepted::Message(Box::new(record), Some(Box::new(receipt))),
        ))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use cordon_common::envelope::{seal, Header, RecipientKey, SealRng};
    use cordon_common::identity::KeyAlgorithm;
    use cordon_common::ids::Role;
    use cordon_common::msg::{Notice, Receipt, Tasking, Timestamp};
    use cordon_common::pki::Validity;
    use cordon_common::testkit::{now_ms, Kit, KitNode};

    pub(crate) fn notice_body() -> Vec<u8> {
        Message::Notice(Notice {
            drafted_by: None,
            title: "Interdiction phase starts".into(),
            text: "From Monday.".into(),
            phase: None,
            attachments: vec![],
        })
        .encode()
        .unwrap()
    }

    pub(crate) fn sealed(from: &KitNode, header: &Header, body: &[u8], to: &[&KitNode]) -> Vec<u8> {
        let rcpts: Vec<RecipientKey> = to.iter().map(|n| n.recipient()).collect();
        seal(
            header,
            body,
            &rcpts,
            &from.key,
            &from.cert_der,
            &mut SealRng::from_os().unwrap(),
        )
        .unwrap()
    }

    fn tasking_body() -> Vec<u8> {
        Message::Tasking(Tasking {
            drafted_by: None,
            title: "Check the reefers".into(),
            instructions: "Inspect CSQU3054383 on arrival.".into(),
            due_by: None,
            ack_required: true,
            attachments: vec![],
        })
        .encode()
        .unwrap()
    }

    struct World {
        kit: Kit,
        ocu: KitNode,
        be: KitNode,
        hu: KitNode,
    }

    fn world() -> World {
        let kit = Kit::new(KeyAlgorithm::Ed25519).unwrap();
        let ocu = kit.node("OCU", Role::Ocu, KeyAlgorithm::Ed25519).unwrap();
        let be = kit
            .node("BE-NCP", Role::Member, KeyAlgorithm::EcdsaP256)
            .unwrap();
        let hu = kit
            .node("HU-NCP", Role::Member, KeyAlgorithm::Ed25519)
            .unwrap();
        World { kit, ocu, be, hu }
    }

    fn receiver<'a>(me: &'a KitNode, trust: &'a TrustStore) -> Receiver<'a> {
        Receiver {
            me: &me.identity,
            kem: &me.kem,
            trust,
            header_limits: HeaderLimits::default(),
            body_limits: Limits::default(),
            receipt_lifetime_ms: 3_600_000,
        }
    }

    const NOTICES: &str = "op/cosmo-2/notices";

    fn chan(s: &str) -> ChannelName {
        s.parse().unwrap()
    }

    fn class(r: Received) -> String {
        match r {
            Received::Refused(r) => r.reason,
            other => panic!("not refused: {other:?}"),
        }
    }

    #[test]
    fn a_good_notice_is_accepted_with_a_delivered_receipt() {
        let w = world();
        let trust = w.kit.trust(&[]).unwrap();
        let now = now_ms();
        let h = w
            .ocu
            .header(MessageKind::Notice, "cosmo-2", &[NOTICES], now)
            .unwrap();
        let env = sealed(&w.ocu, &h, &notice_body(), &[&w.be, &w.ocu]);
        match receiver(&w.be, &trust).process(&chan(NOTICES), 1, &env, now) {
            Received::Message { record, receipt } => {
                assert_eq!(record.id, h.id);
                assert_eq!(record.sender.as_str(), "OCU");
                assert_eq!(record.sender_role, Role::Ocu);
                assert_eq!(record.sender_organisation, "OCU organisation");
                assert_eq!(record.body, notice_body());
                let receipt = receipt.unwrap();
                assert_eq!(receipt.to, vec![chan("node/OCU")]);
                assert_eq!(receipt.in_reply_to, Some(h.id));
            }
            other => panic!("{other:?}"),
        }
    }

    /// Many deliveries at once: signatures checked together, each verdict the one
    /// `process` gives alone, in order, a forged one refused without taking the others.
    #[test]
    fn a_batch_of_deliveries_gets_the_verdicts_of_one_by_one() {
        let w = world();
        let trust = w.kit.trust(&[]).unwrap();
        let now = now_ms();
        let notice = |from: &KitNode| {
            let h = from
                .header(MessageKind::Notice, "cosmo-2", &[NOTICES], now)
                .unwrap();
            (h.id, sealed(from, &h, &notice_body(), &[&w.be]))
        };
        let (id1, good1) = notice(&w.ocu);
        let (_, mut forged) = notice(&w.ocu);
        let n = forged.len();
        forged[n - 3] ^= 0x55;
        let (id3, good3) = notice(&w.ocu);
        let (_, misrouted) = notice(&w.ocu);
        let (_, from_member) = notice(&w.hu);
        let deliver = |channel: &str, seq: u64, envelope: &Vec<u8>| Deliver {
            channel: chan(channel),
            seq,
            envelope: envelope.clone(),
        };
        let batch = vec![
            deliver(NOTICES, 1, &good1),
            deliver(NOTICES, 2, &forged),
            deliver(NOTICES, 3, &good3),
            deliver("op/cosmo-2/alerts", 4, &misrouted),
            deliver(NOTICES, 5, &from_member),
        ];
        let r = receiver(&w.be, &trust);
        let out = r.process_many(&batch, now);
        assert_eq!(out.len(), 5);
        let summary: Vec<String> = out
            .into_iter()
            .map(|x| match x {
                Received::Message { record, .. } => format!("message {}", record.id),
                Received::Refused(rec) => {
                    format!(
                        "refused {} {}",
                        rec.hub_seq,
                        rec.reason.split(':').next().unwrap_or("")
                    )
                }
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                format!("message {id1}"),
                "refused 2 forged".to_owned(),
                format!("message {id3}"),
                "refused 4 misrouted".to_owned(),
                "refused 5 forbidden-sender".to_owned(),
            ]
        );
        // The same verdicts one by one.
        for (d, accepted) in batch.iter().zip([true, false, true, false, false]) {
            let alone = r.process(&d.channel, d.seq, &d.envelope, now);
            assert_eq!(
                matches!(alone, Received::Message { .. }),
                accepted,
                "{alone:?}"
            );
        }
    }

    #[test]
    fn forged_signature_is_refused_and_recorded() {
        let w = world();
        let trust = w.kit.trust(&[]).unwrap();
        let now = now_ms();
        let h = w
            .ocu
            .header(MessageKind::Notice, "cosmo-2", &[NOTICES], now)
            .unwrap();
        let mut env = sealed(&w.ocu, &h, &notice_body(), &[&w.be]);
        // Flip a byte of the signature (the last bytes of the envelope).
        let n = env.len();
        env[n - 3] ^= 0x55;
        let r = receiver(&w.be, &trust).process(&chan(NOTICES), 9, &env, now);
        match r {
            Received::Refused(rec) => {
                assert!(rec.reason.starts_with("forged: "), "{}", rec.reason);
                assert_eq!(rec.id, Some(h.id));
                assert_eq!(rec.hub_seq, 9);
                assert_eq!(rec.sender.unwrap().as_str(), "OCU");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn another_node_claiming_to_be_the_sender_is_forged() {
        let w = world();
        let trust = w.kit.trust(&[]).unwrap();
        let now = now_ms();
        // HU signs a header that says it comes from the OCU.
        let mut h = w
            .ocu
            .header(MessageKind::Notice, "cosmo-2", &[NOTICES], now)
            .unwrap();
        h.sender_fp = w.hu.identity.fingerprint;
        let env = sealed(&w.hu, &h, &notice_body(), &[&w.be]);
        let reason = class(receiver(&w.be, &trust).process(&chan(NOTICES), 1, &env, now));
        assert!(
            reason.starts_with("forged: signer certificate belongs to HU-NCP"),
            "{reason}"
        );
    }

    #[test]
    fn expired_message_is_refused() {
        let w = world();
        let trust = w.kit.trust(&[]).unwrap();
        let now = now_ms();
        let mut h = w
            .ocu
            .header(MessageKind::Notice, "cosmo-2", &[NOTICES], now - 10_000)
            .unwrap();
        h.expires_at = now - 1;
        let env = sealed(&w.ocu, &h, &notice_body(), &[&w.be]);
        let reason = class(receiver(&w.be, &trust).process(&chan(NOTICES), 1, &env, now));
        assert!(reason.starts_with("expired: "), "{reason}");
    }

    #[test]
    fn revoked_signer_is_refused() {
        let w = world();
        let trust = w.kit.trust(&[&w.ocu]).unwrap();
        let now = now_ms();
        let h = w
            .ocu
            .header(MessageKind::Notice, "cosmo-2", &[NOTICES], now)
            .unwrap();
        let env = sealed(&w.ocu, &h, &notice_body(), &[&w.be]);
        let reason = class(receiver(&w.be, &trust).process(&chan(NOTICES), 1, &env, now));
        assert_eq!(
            reason,
            "revoked-signer: signer certificate is not trusted: certificate is revoked"
        );
    }

    #[test]
    fn expired_signer_certificate_and_foreign_ca_are_untrusted() {
        let w = world();
        let trust = w.kit.trust(&[]).unwrap();
        let now = now_ms();
        let old = w
            .kit
            .node_with(
                "RILO-WE",
                Role::Rilo,
                KeyAlgorithm::Ed25519,
                Validity {
                    not_before: time::OffsetDateTime::now_utc() - time::Duration::days(30),
                    not_after: time::OffsetDateTime::now_utc() - time::Duration::days(1),
                },
            )
            .unwrap();
        let h = old
            .header(MessageKind::Notice, "cosmo-2", &[NOTICES], now)
            .unwrap();
        let env = sealed(&old, &h, &notice_body(), &[&w.be]);
        let reason = class(receiver(&w.be, &trust).process(&chan(NOTICES), 1, &env, now));
        assert!(reason.contains("certificate has expired"), "{reason}");

        let rogue_kit = Kit::named("Cordon Test Root", KeyAlgorithm::Ed25519).unwrap();
        let rogue = rogue_kit
            .node("OCU", Role::Ocu, KeyAlgorithm::Ed25519)
            .unwrap();
        let h = rogue
            .header(MessageKind::Notice, "cosmo-2", &[NOTICES], now)
            .unwrap();
        let env = sealed(&rogue, &h, &notice_body(), &[&w.be]);
        let reason = class(receiver(&w.be, &trust).process(&chan(NOTICES), 1, &env, now));
        assert!(reason.starts_with("untrusted-signer: "), "{reason}");
    }

    #[test]
    fn not_a_recipient_is_refused() {
        let w = world();
        let trust = w.kit.trust(&[]).unwrap();
        let now = now_ms();
        let h = w
            .ocu
            .header(MessageKind::Notice, "cosmo-2", &[NOTICES], now)
            .unwrap();
        let env = sealed(&w.ocu, &h, &notice_body(), &[&w.hu]);
        let reason = class(receiver(&w.be, &trust).process(&chan(NOTICES), 1, &env, now));
        assert!(reason.starts_with("not-a-recipient: "), "{reason}");
    }

    #[test]
    fn delivery_on_a_channel_not_in_the_header_is_misrouted() {
        let w = world();
        let trust = w.kit.trust(&[]).unwrap();
        let now = now_ms();
        let h = w
            .ocu
            .header(MessageKind::Notice, "cosmo-2", &[NOTICES], now)
            .unwrap();
        let env = sealed(&w.ocu, &h, &notice_body(), &[&w.be]);
        let reason =
            class(receiver(&w.be, &trust).process(&chan("op/cosmo-2/alerts"), 1, &env, now));
        assert!(reason.starts_with("misrouted: "), "{reason}");
    }

    #[test]
    fn garbage_and_invalid_bodies_are_refused() {
        let w = world();
        let trust = w.kit.trust(&[]).unwrap();
        let now = now_ms();
        let reason = class(receiver(&w.be, &trust).process(&chan(NOTICES), 1, b"\x93\xc4", now));
        assert!(reason.starts_with("malformed: "), "{reason}");
        let h = w
            .ocu
            .header(MessageKind::Notice, "cosmo-2", &[NOTICES], now)
            .unwrap();
        let blank = Message::Notice(Notice {
            drafted_by: None,
            title: " ".into(),
            text: "x".into(),
            phase: None,
            attachments: vec![],
        })
        .encode()
        .unwrap();
        let env = sealed(&w.ocu, &h, &blank, &[&w.be]);
        let reason = class(receiver(&w.be, &trust).process(&chan(NOTICES), 1, &env, now));
        assert_eq!(reason, "invalid-body: title: must not be empty");
    }

    #[test]
    fn receipts_and_own_messages() {
        let w = world();
        let trust = w.kit.trust(&[]).unwrap();
        let now = now_ms();
        let original = MessageId::new_v7();
        let also = MessageId::new_v7();
        let mut h =
            w.be.header(MessageKind::Receipt, "cosmo-2", &["node/OCU"], now)
                .unwrap();
        h.in_reply_to = Some(original);
        let body = Message::Receipt(Receipt {
            message_id: original.0,
            status: ReceiptStatus::Read,
            at: Timestamp::from_millis(now),
            more: vec![also.0],
        })
        .encode()
        .unwrap();
        let env = sealed(&w.be, &h, &body, &[&w.ocu]);
        match receiver(&w.ocu, &trust).process(&chan("node/OCU"), 1, &env, now) {
            Received::Receipt {
                message_ids,
                from,
                status,
                ..
            } => {
                assert_eq!(message_ids, vec![original, also]);
                assert_eq!(from.as_str(), "BE-NCP");
                assert_eq!(status, ReceiptStatus::Read);
            }
            other => panic!("{other:?}"),
        }
        // The OCU's own notice echoed back on the channel is not an inbox message.
        let h = w
            .ocu
            .header(MessageKind::Notice, "cosmo-2", &[NOTICES], now)
            .unwrap();
        let env = sealed(&w.ocu, &h, &notice_body(), &[&w.be, &w.ocu]);
        assert!(matches!(
            receiver(&w.ocu, &trust).process(&chan(NOTICES), 2, &env, now),
            Received::Ignored
        ));
    }

    #[test]
    fn a_notice_from_a_node_other_than_the_ocu_is_refused() {
        let w = world();
        let rilo = w
            .kit
            .node("RILO-WE", Role::Rilo, KeyAlgorithm::Ed25519)
            .unwrap();
        let trust = w.kit.trust(&[]).unwrap();
        let now = now_ms();
        for (from, role) in [(&w.hu, "member"), (&rilo, "rilo")] {
            let h = from
                .header(MessageKind::Notice, "cosmo-2", &[NOTICES], now)
                .unwrap();
            let env = sealed(from, &h, &notice_body(), &[&w.be]);
            let refused = receiver(&w.be, &trust).process(&chan(NOTICES), 4, &env, now);
            match refused {
                Received::Refused(rec) => {
                    assert_eq!(
                        rec.reason,
                        format!(
                            "forbidden-sender: a notice may only be sent by role ocu, \
                             but its signer {} has role {role}",
                            from.identity.node_id
                        )
                    );
                    assert_eq!(rec.id, Some(h.id));
                    assert_eq!(rec.sender.as_ref(), Some(&from.identity.node_id));
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn tasking_is_accepted_from_the_ocu_and_a_rilo_and_refused_from_a_member() {
        let w = world();
        let rilo = w
            .kit
            .node("RILO-WE", Role::Rilo, KeyAlgorithm::Ed25519)
            .unwrap();
        let trust = w.kit.trust(&[]).unwrap();
        let now = now_ms();
        let to = "node/BE-NCP";
        for from in [&w.ocu, &rilo] {
            let h = from
                .header(MessageKind::Tasking, "cosmo-2", &[to], now)
                .unwrap();
            let env = sealed(from, &h, &tasking_body(), &[&w.be]);
            match receiver(&w.be, &trust).accept(&chan(to), &env, now) {
                Ok((signer, Accepted::Message(record, _))) => {
                    assert_eq!(signer.node_id, from.identity.node_id);
                    assert_eq!(record.kind, MessageKind::Tasking);
                }
                other => panic!("{other:?}"),
            }
        }
        let h =
            w.hu.header(MessageKind::Tasking, "cosmo-2", &[to], now)
                .unwrap();
        let env = sealed(&w.hu, &h, &tasking_body(), &[&w.be]);
        let refusal = receiver(&w.be, &trust)
            .accept(&chan(to), &env, now)
            .unwrap_err();
        assert_eq!(
            refusal,
            Refusal {
                class: "forbidden-sender",
                detail: "a tasking may only be sent by role ocu or rilo, \
                         but its signer HU-NCP has role member"
                    .into(),
            }
        );
    }
}
