//! Cordon message bodies: the eight kinds of message, their fields, validation and
//! MessagePack encoding.
//!
//! A body is encoded as a MessagePack map with snake_case field names (enums as their
//! kebab-case strings, timestamps as milliseconds, ids as 16-byte binaries). The kind is
//! not part of the body: it travels beside it, and [`Message::decode`] is told which kind
//! to expect. The same types read officer-written JSON or TOML, where timestamps and ids
//! are strings.

mod alert;
mod attachment;
mod codes;
mod error;
mod feedback;
mod fields;
mod grading;
mod limits;
mod marking;
mod notice;
mod receipt;
mod seizure;
mod senders;
mod strenum;
mod tasking;
mod time;
mod tracking;
mod validate;

#[cfg(test)]
mod samples;

use std::io::Cursor;

use serde::de::DeserializeOwned;

pub use self::alert::{ActionRequested, Alert};
pub use self::attachment::{
    check_file_name, check_media_type, media_type_for, Attachment, AttachmentInfo,
};
pub use self::codes::{
    imo_check_digit, iso6346_check_digit, ContainerNumber, HsCode, ImoNumber, Locode,
};
pub use self::error::{
    ContainerFormatIssue, DecodeError, EncodeError, ParseEnumError, Rule, ValidationError,
};
pub use self::feedback::{Feedback, FeedbackOutcome};
pub use self::fields::{check_country, Commodity, Conveyance, Parties, Party, TransportMode};
pub use self::grading::{Grading, InfoGrade, SourceGrade};
pub use self::limits::Limits;
pub use self::marking::{Priority, Tlp};
pub use self::notice::{Notice, Phase};
pub use self::receipt::{Receipt, ReceiptStatus, MAX_RECEIPT_MORE};
pub use self::seizure::{check_quantity, SeizedGoods, Seizure};
pub use self::senders::{allowed_sender_roles, check_sender_role, roles_text, ForbiddenSender};
pub use self::tasking::Tasking;
pub use self::time::{deadline, opt_deadline, DayEdge, Timestamp, TimestampError};
pub use self::tracking::{TrackingEvent, TrackingRequest, TrackingUpdate};

use self::strenum::string_enum;

string_enum! {
    /// The kind of a message, written in kebab-case.
    pub enum MessageKind ("message kind") {
        /// A risk alert: [`Alert`].
        Alert => "alert",
        /// The outcome of an alert: [`Feedback`].
        Feedback => "feedback",
        /// A seizure report: [`Seizure`].
        Seizure => "seizure",
        /// A request to track containers: [`TrackingRequest`].
        TrackingRequest => "tracking-request",
        /// A container movement: [`TrackingUpdate`].
        TrackingUpdate => "tracking-update",
        /// Instructions: [`Tasking`].
        Tasking => "tasking",
        /// General information: [`Notice`].
        Notice => "notice",
        /// A delivery, read or acknowledgement receipt: [`Receipt`].
        Receipt => "receipt",
    }
}

/// A message body of any kind.
// Messages are built, encoded and handled one at a time, so an unboxed, easily matched
// enum of a few hundred bytes costs nothing that matters.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// A risk alert.
    Alert(Alert),
    /// The outcome of an alert.
    Feedback(Feedback),
    /// A seizure report.
    Seizure(Seizure),
    /// A request to track containers.
    TrackingRequest(TrackingRequest),
    /// A container movement.
    TrackingUpdate(TrackingUpdate),
    /// Instructions.
    Tasking(Tasking),
    /// General information.
    Notice(Notice),
    /// A receipt.
    Receipt(Receipt),
}

impl Message {
    /// The kind of this message.
    pub fn kind(&self) -> MessageKind {
        match self {
            Self::Alert(_) => MessageKind::Alert,
            Self::Feedback(_) => MessageKind::Feedback,
            Self::Seizure(_) => MessageKind::Seizure,
            Self::TrackingRequest(_) => MessageKind::TrackingRequest,
            Self::TrackingUpdate(_) => MessageKind::TrackingUpdate,
            Self::Tasking(_) => MessageKind::Tasking,
            Self::Notice(_) => MessageKind::Notice,
            Self::Receipt(_) => MessageKind::Receipt,
        }
    }

    /// Encodes the body as a MessagePack map with named fields.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let result = match self {
            Self::Alert(m) => rmp_serde::to_vec_named(m),
            Self::Feedback(m) => rmp_serde::to_vec_named(m),
            Self::Seizure(m) => rmp_serde::to_vec_named(m),
            Self::TrackingRequest(m) => rmp_serde::to_vec_named(m),
            Self::TrackingUpdate(m) => rmp_serde::to_vec_named(m),
            Self::Tasking(m) => rmp_serde::to_vec_named(m),
            Self::Notice(m) => rmp_serde::to_vec_named(m),
            Self::Receipt(m) => rmp_serde::to_vec_named(m),
        };
        result.map_err(|source| EncodeError {
            kind: self.kind(),
            source,
        })
    }

    /// Decodes a body of `kind` from exactly `bytes` (trailing bytes are an error).
    ///
    /// Decoding does not validate: call [`Message::validate`] next.
    pub fn decode(kind: MessageKind, bytes: &[u8]) -> Result<Message, DecodeError> {
        Ok(match kind {
            MessageKind::Alert => Self::Alert(decode_body(kind, bytes)?),
            MessageKind::Feedback => Self::Feedback(decode_body(kind, bytes)?),
            MessageKind::Seizure => Self::Seizure(decode_body(kind, bytes)?),
            MessageKind::TrackingRequest => Self::TrackingRequest(decode_body(kind, bytes)?),
            MessageKind::TrackingUpdate => Self::TrackingUpdate(decode_body(kind, bytes)?),
            MessageKind::Tasking => Self::Tasking(decode_body(kind, bytes)?),
            MessageKind::Notice => Self::Notice(decode_body(kind, bytes)?),
            MessageKind::Receipt => Self::Receipt(decode_body(kind, bytes)?),
        })
    }

    /// Checks every field against the rules and `limits`; every field that breaks one,
    /// in field order (within one field, its first broken rule). Empty when valid.
    pub fn validate_all(&self, limits: &Limits) -> Vec<ValidationError> {
        use self::validate::Checker;
        match self {
            Self::Alert(m) => Checker::run_all(limits, m),
            Self::Feedback(m) => Checker::run_all(limits, m),
            Self::Seizure(m) => Checker::run_all(limits, m),
            Self::TrackingRequest(m) => Checker::run_all(limits, m),
            Self::TrackingUpdate(m) => Checker::run_all(limits, m),
            Self::Tasking(m) => Checker::run_all(limits, m),
            Self::Notice(m) => Checker::run_all(limits, m),
            Self::Receipt(m) => Checker::run_all(limits, m),
        }
    }

    /// Checks every field against the rules and `limits`, returning the first error.
    pub fn validate(&self, limits: &Limits) -> Result<(), ValidationError> {
        match self {
            Self::Alert(m) => m.validate(limits),
            Self::Feedback(m) => m.validate(limits),
            Self::Seizure(m) => m.validate(limits),
            Self::TrackingRequest(m) => m.validate(limits),
            Self::TrackingUpdate(m) => m.validate(limits),
            Self::Tasking(m) => m.validate(limits),
            Self::Notice(m) => m.validate(limits),
            Self::Receipt(m) => m.validate(limits),
        }
    }
}

fn decode_body<T: DeserializeOwned>(kind: MessageKind, bytes: &[u8]) -> Result<T, DecodeError> {
    let mut de = rmp_serde::Deserializer::new(Cursor::new(bytes));
    let body = T::deserialize(&mut de).map_err(|source| DecodeError::Malformed { kind, source })?;
    let used = usize::try_from(de.position()).unwrap_or(usize::MAX);
    let count = bytes.len().saturating_sub(used);
    if count > 0 {
        return Err(DecodeError::TrailingBytes { kind, count });
    }
    Ok(body)
}

macro_rules! message_from {
    ($($variant:ident),+) => {
        $(
            impl From<$variant> for Message {
                fn from(m: $variant) -> Self {
                    Self::$variant(m)
                }
            }
        )+
    };
}

message_from!(
    Alert,
    Feedback,
    Seizure,
    TrackingRequest,
    TrackingUpdate,
    Tasking,
    Notice,
    Receipt
);

#[cfg(test)]
mod tests;
