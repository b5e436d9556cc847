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

/// A receipt for one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// Id of the message this is a receipt for.
    pub message_id: Uuid,
    /// What happened to it.
    pub status: ReceiptStatus,
    /// When.
    pub at: Timestamp,
}

impl Receipt {
    /// Checks every field against the rules and `limits`, returning the first error.
    pub fn validate(&self, limits: &Limits) -> Result<(), ValidationError> {
        Checker::run(limits, self)
    }
}

impl Validate for Receipt {
    fn validate_at(&self, c: &Checker<'_>, p: &Path<'_>) -> Outcome {
        c.nested(p, "at", &self.at)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::msg::{samples, Rule};

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
