//! `Receipt`: delivery, read and acknowledgement receipts.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::strenum::string_enum;
use super::validate::{Checker, Outcome, Path, Validate};
use super::{Limits, Timestamp, ValidationError};

string_enum! {
    /// How far a message has got with its recipient.
    #[derive(PartialOrd, Ord)]
    pub enum ReceiptStatus ("receipt status") {
        /// Stored on the recipient's node.
        Delivered => "delivered",
        /// Opened by an officer.
        Read => "read",
        /// Acknowledged by an officer (for taskings that require it).
        Acknowledged => "acknowledged",
    }
}

/// Most further ids one receipt may carry in [`Receipt::more`].
pub const MAX_RECEIPT_MORE: usize = 1023;

/// A receipt for one message, or for several messages of one sender that reached the
/// same status together (a node that catches up receipts a whole delivery batch at once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// Id of the message this is a receipt for (the header's `in_reply_to`).
    pub message_id: Uuid,
    /// What happened to it.
    pub status: ReceiptStatus,
    /// When.
    pub at: Timestamp,
    /// Further messages, from the same sender and with the same operation, priority and
    /// marking, that reached `status` at the same time. Absent when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub more: Vec<Uuid>,
}

impl Receipt {
    /// Checks every field against the rules and `limits`, returning the first error.
    pub fn validate(&self, limits: &Limits) -> Result<(), ValidationError> {
        Checker::run(limits, self)
    }

    /// Every message id the receipt covers, `message_id` first.
    pub fn message_ids(&self) -> impl Iterator<Item = Uuid> + '_ {
        std::iter::once(self.message_id).chain(self.more.iter().copied())
    }
}

impl Validate for Receipt {
    fn validate_at(&self, c: &Checker<'_>, p: &Path<'_>) -> Outcome {
        c.nested(p, "at", &self.at)?;
        c.rule(p, "more", more_rule(&self.message_id, &self.more))
    }
}

fn more_rule(first: &Uuid, more: &[Uuid]) -> Result<(), super::Rule> {
    if more.len() > MAX_RECEIPT_MORE {
        return Err(super::Rule::TooMany {
            max: MAX_RECEIPT_MORE,
        });
    }
    let mut seen = std::collections::HashSet::with_capacity(more.len() + 1);
    seen.insert(first);
    if more.iter().all(|id| seen.insert(id)) {
        Ok(())
    } else {
        Err(super::Rule::Duplicate)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::msg::{samples, Message, MessageKind, Rule};

    #[test]
    fn sample_is_valid() {
        assert_eq!(samples::receipt().validate(&Limits::default()), Ok(()));
    }

    #[test]
    fn at_out_of_range() {
        let mut receipt = samples::receipt();
        receipt.at = Timestamp::from_millis(Timestamp::MAX.as_millis() + 1);
        let err = receipt.validate(&Limits::default()).unwrap_err();
        assert_eq!(err.field, "at");
        assert_eq!(err.rule, Rule::TimestampOutOfRange);
    }

    #[test]
    fn more_ids_are_bounded_and_distinct() {
        let mut receipt = samples::receipt();
        receipt.more = (1..=MAX_RECEIPT_MORE as u128)
            .map(Uuid::from_u128)
            .collect();
        assert_eq!(receipt.validate(&Limits::default()), Ok(()));
        assert_eq!(receipt.message_ids().count(), MAX_RECEIPT_MORE + 1);
        receipt.more.push(Uuid::from_u128(u128::MAX));
        let err = receipt.validate(&Limits::default()).unwrap_err();
        assert_eq!(err.field, "more");
        assert_eq!(
            err.rule,
            Rule::TooMany {
                max: MAX_RECEIPT_MORE
            }
        );
        receipt.more = vec![Uuid::from_u128(5), receipt.message_id];
        let err = receipt.validate(&Limits::default()).unwrap_err();
        assert_eq!((err.field.as_str(), err.rule), ("more", Rule::Duplicate));
    }

    #[test]
    fn a_single_receipt_encodes_without_more() {
        let one = samples::receipt();
        let bytes = Message::Receipt(one.clone()).encode().unwrap();
        assert!(!bytes.windows(4).any(|w| w == b"more"));
        let mut two = one;
        two.more = vec![Uuid::from_u128(9)];
        let bytes = Message::Receipt(two.clone()).encode().unwrap();
        assert_eq!(
            Message::decode(MessageKind::Receipt, &bytes).unwrap(),
            Message::Receipt(two)
        );
    }

    #[test]
    fn status_strings() {
        let names: Vec<_> = ReceiptStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(names, ["delivered", "read", "acknowledged"]);
        assert_eq!(
            "read".parse::<ReceiptStatus>().unwrap(),
            ReceiptStatus::Read
        );
        assert!("Read".parse::<ReceiptStatus>().is_err());
    }

    #[test]
    fn json_shape() {
        let receipt = samples::receipt();
        let json = serde_json::to_value(&receipt).unwrap();
        assert_eq!(json["status"], "acknowledged");
        assert_eq!(json["at"], "2026-11-30T12:05:00Z");
        assert_eq!(json["message_id"], receipt.message_id.to_string());
    }
}
