//! Changing one's mind about a message sent: `cancel` withdraws one the hub has not
//! stored; `resend` sends a stored channel message again, sealed only to the channel's
//! readers it was not sealed to (nodes that joined, or published their key, later).

use cordon_common::ids::MessageId;

use super::{internal, sent_item, SendAccepted, SentItem, Service, ServiceError};
use crate::state::now_ms;
use crate::store::{CancelOutcome, ResendLink, ResendOutcome, SendState, SentRecord};

impl Service {
    /// Withdraw a message this node sent, while the hub has not stored it: a draft, or
    /// a sealed message never published. Refused (`Conflict`) once a publish may have
    /// reached the hub.
    pub async fn cancel(&self, id: MessageId) -> Result<SentItem, ServiceError> {
        let now = now_ms();
        let outcome = self
            .run(move |s| {
                let in_flight = s.in_flight.lock();
                if in_flight.contains(&id) {
                    return Ok(None);
                }
                let o = s.store.cancel(&id, now).map_err(internal)?;
                drop(in_flight);
                let received = matches!(o, CancelOutcome::NotFound)
                    && s.store.inbox_get(&id).map_err(internal)?.is_some();
                Ok(Some((o, received)))
            })
            .await?;
        match outcome {
            None => Err(ServiceError::Conflict(format!(
                "{id} is being published to the hub right now and may be stored there; it \
                 cannot be withdrawn"
            ))),
            Some((CancelOutcome::Cancelled(r), _)) => {
                tracing::info!(id = %id, "message withdrawn");
                Ok(sent_item(&r))
            }
            Some((CancelOutcome::TooLate(r), _)) => Err(ServiceError::Conflict(too_late(&r))),
            Some((CancelOutcome::NotFound, true)) => Err(ServiceError::Conflict(format!(
                "{id} was received, not sent, by this node; only drafts this node sends can \
                 be withdrawn"
            ))),
            Some((CancelOutcome::NotFound, false)) => Err(ServiceError::NotFound(format!(
                "no message {id} sent by this node"
            ))),
        }
    }

    /// Queue a stored channel message again, sealed only to the readers of its channel
    /// it was not sealed to before. The new message has its own id, the same body,
    /// destination, priority, marking and expiry.
    pub async fn resend(&self, id: MessageId) -> Result<SendAccepted, ServiceError> {
        let now = now_ms();
        let original = self
            .run(move |s| {
                if let Some(r) = s.store.sent(&id).map_err(internal)? {
                    return Ok(r);
                }
                if s.store.inbox_get(&id).map_err(internal)?.is_some() {
                    return Err(ServiceError::Conflict(format!(
                        "{id} was received, not sent, by this node; only its sender can resend it"
                    )));
                }
                Err(ServiceError::NotFound(format!(
                    "no message {id} sent by this node"
                )))
            })
            .await?;
        let draft = resend_draft(&original, now).map_err(ServiceError::Conflict)?;
        let accepted = SendAccepted {
            id: draft.id,
            state: SendState::Draft.as_str().to_owned(),
            kind: draft.kind,
            operation: draft.operation.clone(),
            to: draft.to.clone(),
            notes: vec![format!(
                "a resend of {id}: sealed only to readers of {} other than {}",
                draft
                    .to
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                if draft.resend.exclude.is_empty() {
                    "this node".to_owned()
                } else {
                    draft
                        .resend
                        .exclude
                        .iter()
                        .map(|n| n.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            )],
        };
        let outcome = self
            .run(move |s| s.store.put_resend(&id, &draft).map_err(internal))
            .await?;
        match outcome {
            ResendOutcome::Queued => {
                self.shared.outbox_wake.notify_one();
                tracing::info!(id = %accepted.id, of = %id, "resend queued");
                Ok(accepted)
            }
            ResendOutcome::Already(r) => Err(ServiceError::Conflict(format!(
                "{id} was resent already, as {r}; resend {r} to reach readers who joined since"
            ))),
            ResendOutcome::NotFound => Err(ServiceError::NotFound(format!(
                "no message {id} sent by this node"
            ))),
        }
    }
}

/// Why a message cannot be withdrawn any more.
fn too_late(r: &SentRecord) -> String {
    let id = r.id;
    match r.state {
        SendState::Stored => format!("{id} is stored by the hub already; it cannot be withdrawn"),
        SendState::Failed => format!("{id} failed already; nothing will be sent"),
        SendState::Cancelled => format!("{id} was withdrawn already"),
        SendState::Draft | SendState::Sealed => format!(
            "{id} was published to the hub {} time(s) without an answer and may be stored \
             there; it cannot be withdrawn",
            r.attempts
        ),
    }
}

/// The resend of `original` at `now`, or why there can be none.
pub fn resend_draft(original: &SentRecord, now: u64) -> Result<SentRecord, String> {
    let id = original.id;
    if original.kind == cordon_common::msg::MessageKind::Receipt {
        return Err(format!("{id} is a receipt; receipts are not resent"));
    }
    if original.to.iter().any(|c| c.direct_node().is_some()) {
        return Err(format!(
            "{id} is addressed to named nodes, and was sealed to each of them; send a new \
             message to reach others"
        ));
    }
    if original.state != SendState::Stored {
        return Err(format!(
            "{id} is {}; only a message the hub stored can be resent to new readers",
            original.state.as_str()
        ));
    }
    if now >= original.expires_at {
        return Err(format!("{id} has expired; send a new message"));
    }
    let mut exclude = original.resend.exclude.clone();
    exclude.extend(original.sealed_to.iter().cloned());
    exclude.sort();
    exclude.dedup();
    Ok(SentRecord {
        id: MessageId::new_v7(),
        created_at: now,
        state: SendState::Draft,
        reason: None,
        envelope: None,
        sealed_to: vec![],
        not_sealed_to: vec![],
        attempts: 0,
        updated_at: now,
        resend: ResendLink {
            of: Some(id),
            exclude,
            resent_as: None,
        },
        ..original.clone()
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::store::tests::draft;
    use cordon_common::msg::{MessageKind, Priority};

    #[test]
    fn a_stored_channel_message_is_resent_excluding_its_readers() {
        let mut o = draft(MessageKind::Alert, Priority::Flash);
        o.state = SendState::Stored;
        o.sealed_to = vec!["NL-NCP".parse().unwrap(), "BE-NCP".parse().unwrap()];
        o.resend.exclude = vec!["US-NCP".parse().unwrap()];
        let r = resend_draft(&o, 1_500).unwrap();
        assert_ne!(r.id, o.id);
        assert_eq!(
            (r.body.clone(), r.to.clone(), r.priority),
            (o.body.clone(), o.to.clone(), o.priority)
        );
        assert_eq!(r.expires_at, o.expires_at);
        assert_eq!(r.state, SendState::Draft);
        assert_eq!(r.resend.of, Some(o.id));
        let ex: Vec<&str> = r.resend.exclude.iter().map(|n| n.as_str()).collect();
        assert_eq!(ex, ["BE-NCP", "NL-NCP", "US-NCP"]);
    }

    #[test]
    fn what_cannot_be_resent_says_why() {
        let mut o = draft(MessageKind::Alert, Priority::Routine);
        assert!(resend_draft(&o, 1_500).unwrap_err().contains("is draft"));
        o.state = SendState::Stored;
        assert!(resend_draft(&o, 2_000).unwrap_err().contains("expired"));
        o.to = vec!["node/HU-NCP".parse().unwrap()];
        assert!(resend_draft(&o, 1_500).unwrap_err().contains("named nodes"));
    }
}
