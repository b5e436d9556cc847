//! Changing one's mind about an outgoing message: withdrawing a draft the hub has not
//! stored (`cancel`), and queueing a resend of a stored message to the readers it was not
//! sealed to (`resend --to-new-readers`).

use cordon_common::ids::MessageId;
use redb::ReadableTable;

use super::{dberr, decode, encode, SendState, SentRecord, Store, StoreError, OUTBOX, SENT};

/// What [`Store::cancel`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelOutcome {
    /// Withdrawn: out of the outbox, marked `cancelled`; the record as it is now.
    Cancelled(Box<SentRecord>),
    /// Not withdrawn: it may already be at the hub, or is settled; the record.
    TooLate(Box<SentRecord>),
    /// No message this node sent has this id.
    NotFound,
}

/// What [`Store::put_resend`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResendOutcome {
    /// The resend is queued.
    Queued,
    /// The original was resent already, as this message.
    Already(MessageId),
    /// No message this node sent has this id.
    NotFound,
}

/// Whether a message in `state` after `attempts` publishes can be withdrawn: only if
/// no publish of it may have reached the hub.
pub fn withdrawable(state: SendState, attempts: u32) -> bool {
    match state {
        SendState::Draft => true,
        SendState::Sealed => attempts == 0,
        SendState::Stored | SendState::Failed | SendState::Cancelled => false,
    }
}

/// Record `id` of the `sent` table, in a write transaction.
fn sent_record(
    sent: &redb::Table<'_, super::Id, &[u8]>,
    id: &MessageId,
) -> Result<Option<SentRecord>, StoreError> {
    match sent.get(*id.as_bytes()).map_err(dberr)? {
        Some(v) => Ok(Some(decode("sent", v.value())?)),
        None => Ok(None),
    }
}

impl Store {
    /// Withdraw outgoing message `id` if it was never published; one transaction. The
    /// caller makes sure that no publish of it is under way (see `in_flight`).
    pub fn cancel(&self, id: &MessageId, now: u64) -> Result<CancelOutcome, StoreError> {
        let tx = self.db.begin_write().map_err(dberr)?;
        let outcome = {
            let mut sent = tx.open_table(SENT).map_err(dberr)?;
            let mut outbox = tx.open_table(OUTBOX).map_err(dberr)?;
            match sent_record(&sent, id)? {
                None => CancelOutcome::NotFound,
                Some(r) if !withdrawable(r.state, r.attempts) => {
                    CancelOutcome::TooLate(Box::new(r))
                }
                Some(mut r) => {
                    outbox.remove((r.rank(), *id.as_bytes())).map_err(dberr)?;
                    r.state = SendState::Cancelled;
                    r.envelope = None;
                    r.reason = Some("withdrawn by an officer before it was sent".into());
                    r.updated_at = now;
                    sent.insert(*id.as_bytes(), encode(&r)?.as_slice())
                        .map_err(dberr)?;
                    CancelOutcome::Cancelled(Box::new(r))
                }
            }
        };
        tx.commit().map_err(dberr)?;
        Ok(outcome)
    }

    /// Queue `draft`, a resend of `original`, and note it on the original; one
    /// transaction, so that a message is resent once.
    pub fn put_resend(
        &self,
        original: &MessageId,
        draft: &SentRecord,
    ) -> Result<ResendOutcome, StoreError> {
        let tx = self.db.begin_write().map_err(dberr)?;
        let outcome = {
            let mut sent = tx.open_table(SENT).map_err(dberr)?;
            let mut outbox = tx.open_table(OUTBOX).map_err(dberr)?;
            match sent_record(&sent, original)? {
                None => ResendOutcome::NotFound,
                Some(SentRecord {
                    resend:
                        super::ResendLink {
                            resent_as: Some(r), ..
                        },
                    ..
                }) => ResendOutcome::Already(r),
                Some(mut o) => {
                    o.resend.resent_as = Some(draft.id);
                    sent.insert(*original.as_bytes(), encode(&o)?.as_slice())
                        .map_err(dberr)?;
                    let id = *draft.id.as_bytes();
                    if sent.get(id).map_err(dberr)?.is_some() {
                        return Err(StoreError::Exists(draft.id));
                    }
                    sent.insert(id, encode(draft)?.as_slice()).map_err(dberr)?;
                    outbox
                        .insert((draft.rank(), id), draft.created_at)
                        .map_err(dberr)?;
                    ResendOutcome::Queued
                }
            }
        };
        tx.commit().map_err(dberr)?;
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::store::tests::draft;
    use cordon_common::msg::{MessageKind, Priority};

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("n.redb")).unwrap();
        (dir, s)
    }

    #[test]
    fn a_draft_is_withdrawn_and_stays_withdrawn() {
        let (_d, s) = store();
        let d = draft(MessageKind::Alert, Priority::Routine);
        s.put_drafts(std::slice::from_ref(&d)).unwrap();
        match s.cancel(&d.id, 5_000).unwrap() {
            CancelOutcome::Cancelled(r) => assert_eq!(r.state, SendState::Cancelled),
            other => panic!("{other:?}"),
        }
        assert_eq!(s.outbox_depth().unwrap(), 0);
        // A pass that read it before sealing writes back its copy: ignored.
        let mut sealed = d.clone();
        sealed.state = SendState::Sealed;
        s.update_sent(&[sealed]).unwrap();
        assert_eq!(s.sent(&d.id).unwrap().unwrap().state, SendState::Cancelled);
        assert!(matches!(
            s.cancel(&d.id, 6_000).unwrap(),
            CancelOutcome::TooLate(_)
        ));
        assert_eq!(
            s.cancel(&MessageId::new_v7(), 6_000).unwrap(),
            CancelOutcome::NotFound
        );
    }

    #[test]
    fn a_message_published_once_or_stored_is_not_withdrawn() {
        assert!(withdrawable(SendState::Draft, 0));
        assert!(withdrawable(SendState::Sealed, 0));
        assert!(!withdrawable(SendState::Sealed, 1));
        assert!(!withdrawable(SendState::Stored, 1));
        let (_d, s) = store();
        let mut d = draft(MessageKind::Alert, Priority::Routine);
        s.put_drafts(std::slice::from_ref(&d)).unwrap();
        d.state = SendState::Sealed;
        d.attempts = 1;
        s.update_sent(&[d.clone()]).unwrap();
        assert!(matches!(
            s.cancel(&d.id, 5_000).unwrap(),
            CancelOutcome::TooLate(_)
        ));
        assert_eq!(s.outbox_depth().unwrap(), 1);
    }

    #[test]
    fn a_message_is_resent_once() {
        let (_d, s) = store();
        let o = draft(MessageKind::Alert, Priority::Routine);
        s.put_drafts(std::slice::from_ref(&o)).unwrap();
        let r1 = draft(MessageKind::Alert, Priority::Routine);
        let r2 = draft(MessageKind::Alert, Priority::Routine);
        assert_eq!(s.put_resend(&o.id, &r1).unwrap(), ResendOutcome::Queued);
        assert_eq!(
            s.put_resend(&o.id, &r2).unwrap(),
            ResendOutcome::Already(r1.id)
        );
        assert!(s.sent(&r2.id).unwrap().is_none());
        assert_eq!(s.outbox_depth().unwrap(), 2);
        assert_eq!(
            s.put_resend(&MessageId::new_v7(), &r2).unwrap(),
            ResendOutcome::NotFound
        );
    }
}
