//! What officers (and national systems) can do, independent of HTTP: send, list the
//! inbox, show, acknowledge, follow receipts, see the status and the channels. The API
//! maps these calls and their errors to HTTP; tests and the testbed may call them
//! directly.

use std::sync::Arc;
use std::time::Duration;

mod attachments;
mod short_ids;
mod withdraw;

pub use self::attachments::{attachments_of, pick as pick_attachment};
pub use self::short_ids::{prefix_digits, MIN_PREFIX};
pub use self::withdraw::resend_draft;

use cordon_common::ids::{ChannelName, Fingerprint, MessageId, NodeId, OperationName, Role};
use cordon_common::msg::{
    Alert, AttachmentInfo, Feedback, Limits, Message, MessageKind, Notice, Priority, ReceiptStatus,
    Seizure, Tasking, Timestamp, Tlp, TrackingRequest, TrackingUpdate,
};
use cordon_common::wire::{DirectGrant, Grant};
use serde::{Deserialize, Serialize};

use crate::grants::Grants;
use crate::inbox::{title_of, InboxCounts, InboxPosition, InboxQuery, InboxSummary};
use crate::receipts::{self, Original, ReceiptReport};
use crate::state::{blocking, now_ms, ConnState, Shared};
use crate::store::{
    InboxListing, InboxRecord, Mark, MarkOutcome, ResendLink, SendState, SentRecord, StoreError,
};

/// A call could not be served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// The request is wrong; `field` names the offending field (a path such as
    /// `body.containers[1]`).
    #[error("{field}: {message}")]
    Invalid {
        /// The field.
        field: String,
        /// The rule it breaks.
        message: String,
    },
    /// Several fields of the request are wrong: each with the rule it breaks, in field
    /// order.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    InvalidFields(Vec<FieldError>),
    /// No such message.
    #[error("{0}")]
    NotFound(String),
    /// The request does not fit the message's state (e.g. acknowledging a sent message).
    #[error("{0}")]
    Conflict(String),
    /// The node failed (store).
    #[error("internal error: {0}")]
    Internal(String),
}

/// A field and the rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// The field, a path such as `body.containers[1]`.
    pub field: String,
    /// The rule it breaks.
    pub message: String,
}

impl ServiceError {
    /// An invalid-field error.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// What an officer sends. Every field is text so that each error can name its field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendRequest {
    /// `alert`, `feedback`, `seizure`, `tracking-request`, `tracking-update`, `tasking`,
    /// `notice`.
    pub kind: String,
    /// One operation channel (`op/cosmo-2/alerts`) or direct channels (`node/HU-NCP`).
    /// May be empty with `reply_to`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub to: Vec<String>,
    /// The operation; derived from an operation channel, required for direct channels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// `flash`, `urgent` or `routine` (default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    /// TLP 2.0 marking: `RED`, `AMBER+STRICT`, `AMBER` (default), `GREEN`, `CLEAR`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tlp: Option<String>,
    /// Expiry, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// Expiry in hours from now (instead of `expires_at`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in_hours: Option<u64>,
    /// The message this one answers (sets the header's `in_reply_to`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_reply_to: Option<String>,
    /// Reply to an inbox message: addressed to its sender's direct channel, in its
    /// operation, with `in_reply_to` set; a feedback's `alert_id` and a tracking
    /// update's `request_id` default to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    /// The message body (the kind's fields), as JSON.
    #[serde(default)]
    pub body: serde_json::Value,
}

/// The message a reply answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyTarget {
    /// Its id.
    pub id: MessageId,
    /// Its sender.
    pub sender: NodeId,
    /// Its operation.
    pub operation: OperationName,
}

/// A checked send request.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    /// The body.
    pub message: Message,
    /// Destinations (empty only when checking locally a reply not yet resolved).
    pub to: Vec<ChannelName>,
    /// Operation.
    pub operation: Option<OperationName>,
    /// Priority.
    pub priority: Priority,
    /// Marking.
    pub tlp: Tlp,
    /// Expiry, ms.
    pub expires_at: u64,
    /// In reply to.
    pub in_reply_to: Option<MessageId>,
}

/// The longest lifetime the protocol allows, ms.
pub const MAX_LIFETIME_MS: u64 = 400 * 24 * 3_600_000;

/// The field a serde error names (`missing field `x``, `unknown field `x``), if any.
fn serde_error_field(message: &str) -> Option<&str> {
    for prefix in ["missing field `", "unknown field `", "duplicate field `"] {
        if let Some(rest) = message.split(prefix).nth(1) {
            return rest.split('`').next();
        }
    }
    None
}

/// Decode `value` as a `T`; an error names the field it is about, as a path under
/// `prefix` (`body.containers[1]`, `tlp`): where a value has the wrong type or an unknown
/// variant, the path to it; where a field is missing, unknown or repeated, the path to
/// that field.
pub fn decode_json<T: serde::de::DeserializeOwned>(
    prefix: &str,
    value: serde_json::Value,
) -> Result<T, ServiceError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let msg = e.inner().to_string();
        let mut path = e.path().to_string();
        if path == "." {
            path.clear();
        }
        if let Some(f) = serde_error_field(&msg) {
            if !path.ends_with(f) {
                path = if path.is_empty() {
                    f.to_owned()
                } else {
                    format!("{path}.{f}")
                };
            }
        }
        let field = match (prefix.is_empty(), path.is_empty()) {
            (_, true) if prefix.is_empty() => "request".to_owned(),
            (_, true) => prefix.to_owned(),
            (true, false) => path,
            (false, false) if path.starts_with('[') => format!("{prefix}{path}"),
            (false, false) => format!("{prefix}.{path}"),
        };
        ServiceError::invalid(field, msg)
    })
}

/// Decode and validate a body of `kind` from JSON; errors name the field (`body.…`) and
/// the rule.
pub fn decode_body(
    kind: MessageKind,
    body: serde_json::Value,
    limits: &Limits,
) -> Result<Message, ServiceError> {
    if !body.is_object() {
        return Err(ServiceError::invalid(
            "body",
            format!("must be an object with the fields of a {kind}"),
        ));
    }
    fn de<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> Result<T, ServiceError> {
        decode_json("body", v)
    }
    let message = match kind {
        MessageKind::Alert => Message::Alert(de::<Alert>(body)?),
        MessageKind::Feedback => Message::Feedback(de::<Feedback>(body)?),
        MessageKind::Seizure => Message::Seizure(de::<Seizure>(body)?),
        MessageKind::TrackingRequest => Message::TrackingRequest(de::<TrackingRequest>(body)?),
        MessageKind::TrackingUpdate => Message::TrackingUpdate(de::<TrackingUpdate>(body)?),
        MessageKind::Tasking => Message::Tasking(de::<Tasking>(body)?),
        MessageKind::Notice => Message::Notice(de::<Notice>(body)?),
        MessageKind::Receipt => {
            return Err(ServiceError::invalid(
                "kind",
                "receipts are sent by the node itself",
            ))
        }
    };
    let mut broken: Vec<FieldError> = message
        .validate_all(limits)
        .into_iter()
        .map(|e| FieldError {
            field: if e.field.is_empty() {
                "body".to_owned()
            } else {
                format!("body.{}", e.field)
            },
            message: e.rule.to_string(),
        })
        .collect();
    match broken.len() {
        0 => Ok(message),
        1 => {
            let e = broken.remove(0);
            Err(ServiceError::invalid(e.field, e.message))
        }
        _ => Err(ServiceError::InvalidFields(broken)),
    }
}

fn parse_id(field: &str, s: &str) -> Result<MessageId, ServiceError> {
    s.trim()
        .parse::<MessageId>()
        .map_err(|_| ServiceError::invalid(field, format!("{s:?} is not a message id (UUID)")))
}

/// Check a send request at `now_ms`. `reply` is the resolved target of `reply_to`; when
/// `reply_to` is given but `reply` is `None` (checking on the officer's side, before the
/// daemon resolves it), addressing is not checked.
pub fn prepare(
    req: &SendRequest,
    reply: Option<&ReplyTarget>,
    now_ms: u64,
    default_lifetime_ms: u64,
    limits: &Limits,
) -> Result<Prepared, ServiceError> {
    let kind: MessageKind = req
        .kind
        .parse()
        .map_err(|e: cordon_common::msg::ParseEnumError| {
            ServiceError::invalid("kind", e.to_string())
        })?;
    if kind == MessageKind::Receipt {
        return Err(ServiceError::invalid(
            "kind",
            "receipts are sent by the node itself",
        ));
    }
    let priority = match &req.priority {
        None => Priority::Routine,
        Some(p) => p.parse().map_err(|e: cordon_common::msg::ParseEnumError| {
            ServiceError::invalid("priority", e.to_string())
        })?,
    };
    let tlp = match &req.tlp {
        None => Tlp::Amber,
        Some(t) => t.parse().map_err(|e: cordon_common::msg::ParseEnumError| {
            ServiceError::invalid("tlp", e.to_string())
        })?,
    };
    let expires_at = match (&req.expires_at, req.expires_in_hours) {
        (Some(_), Some(_)) => {
            return Err(ServiceError::invalid(
                "expires_at",
                "give expires_at or expires_in_hours, not both",
            ))
        }
        (Some(s), None) => Timestamp::parse_deadline(s)
            .map_err(|e| ServiceError::invalid("expires_at", e.to_string()))?
            .as_millis(),
        (None, Some(h)) => {
            if h == 0 {
                return Err(ServiceError::invalid(
                    "expires_in_hours",
                    "must be at least 1",
                ));
            }
            now_ms.saturating_add(h.saturating_mul(3_600_000))
        }
        (None, None) => now_ms.saturating_add(default_lifetime_ms),
    };
    let expiry_field = if req.expires_in_hours.is_some() {
        "expires_in_hours"
    } else {
        "expires_at"
    };
    if expires_at <= now_ms {
        return Err(ServiceError::invalid(expiry_field, "must be in the future"));
    }
    if expires_at - now_ms > MAX_LIFETIME_MS {
        return Err(ServiceError::invalid(
            expiry_field,
            "must be at most 400 days ahead",
        ));
    }
    let mut in_reply_to = match &req.in_reply_to {
        Some(s) => Some(parse_id("in_reply_to", s)?),
        None => None,
    };
    let reply_id = match &req.reply_to {
        Some(s) => Some(parse_id("reply_to", s)?),
        None => None,
    };
    if let (Some(a), Some(b)) = (in_reply_to, reply_id) {
        if a != b {
            return Err(ServiceError::invalid(
                "in_reply_to",
                "differs from reply_to; give one of them",
            ));
        }
    }
    in_reply_to = in_reply_to.or(reply_id);

    // Fill a reply's reference field in the body from the message answered.
    let mut body = req.body.clone();
    if let (Some(id), Some(obj)) = (in_reply_to, body.as_object_mut()) {
        let key = match kind {
            MessageKind::Feedback => Some("alert_id"),
            MessageKind::TrackingUpdate => Some("request_id"),
            _ => None,
        };
        if let Some(k) = key {
            obj.entry(k)
                .or_insert_with(|| serde_json::Value::String(id.to_string()));
        }
    }
    let message = decode_body(kind, body, limits)?;

    let mut operation = match &req.operation {
        Some(o) => Some(
            o.parse::<OperationName>()
                .map_err(|e| ServiceError::invalid("operation", e.to_string()))?,
        ),
        None => None,
    };
    let mut to = Vec::with_capacity(req.to.len());
    for (i, c) in req.to.iter().enumerate() {
        to.push(
            c.parse::<ChannelName>()
                .map_err(|e| ServiceError::invalid(format!("to[{i}]"), e.to_string()))?,
        );
    }
    match (reply_id, reply) {
        (Some(_), Some(target)) => {
            if !to.is_empty() {
                return Err(ServiceError::invalid(
                    "to",
                    "a reply goes to the sender of the message answered; leave `to` empty",
                ));
            }
            if operation.as_ref().is_some_and(|o| *o != target.operation) {
                return Err(ServiceError::invalid(
                    "operation",
                    format!("a reply stays in operation {}", target.operation),
                ));
            }
            to = vec![target.sender.direct_channel()];
            operation = Some(target.operation.clone());
        }
        (Some(_), None) => {}
        (None, _) => {
            operation = Some(check_addressing(kind, &to, operation)?);
        }
    }
    Ok(Prepared {
        message,
        to,
        operation,
        priority,
        tlp,
        expires_at,
        in_reply_to,
    })
}

/// Check destinations and work out the operation.
fn check_addressing(
    kind: MessageKind,
    to: &[ChannelName],
    operation: Option<OperationName>,
) -> Result<OperationName, ServiceError> {
    match to {
        [] => Err(ServiceError::invalid(
            "to",
            "required: one operation channel (op/<operation>/<name>) or direct channels (node/<ID>)",
        )),
        [one] if one.direct_node().is_none() => {
            let op = one.operation_name().ok_or_else(|| {
                ServiceError::invalid("to[0]", "not an operation channel")
            })?;
            if let Some(given) = operation {
                if given != op {
                    return Err(ServiceError::invalid(
                        "operation",
                        format!("{given} differs from the channel's operation {op}"),
                    ));
                }
            }
            Ok(op)
        }
        many => {
            if let Some(i) = many.iter().position(|c| c.direct_node().is_none()) {
                return Err(ServiceError::invalid(
                    format!("to[{i}]"),
                    "an operation channel cannot be combined with other destinations",
                ));
            }
            if kind == MessageKind::Notice {
                return Err(ServiceError::invalid(
                    "to",
                    "a notice goes to an operation channel, not to named nodes",
                ));
            }
            if many.len() > 256 {
                return Err(ServiceError::invalid("to", "at most 256 direct recipients"));
            }
            for (i, c) in many.iter().enumerate() {
                if many[..i].contains(c) {
                    return Err(ServiceError::invalid(format!("to[{i}]"), "named twice"));
                }
            }
            operation.ok_or_else(|| {
                ServiceError::invalid(
                    "operation",
                    "required when sending to direct channels node/<ID>",
                )
            })
        }
    }
}

/// The answer to a send: the message is durably in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendAccepted {
    /// The message id.
    pub id: MessageId,
    /// Its state (`draft`).
    pub state: String,
    /// Kind.
    pub kind: MessageKind,
    /// Operation.
    pub operation: OperationName,
    /// Destinations.
    pub to: Vec<ChannelName>,
    /// What the officer should know: that the hub is not reachable now, that the
    /// grants are not known yet, whom a resend goes to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// One inbox line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxItem {
    /// Local arrival number; `after=` for the next page or to follow.
    pub seq: u64,
    /// Message id.
    pub id: MessageId,
    /// Kind.
    pub kind: MessageKind,
    /// Delivered on.
    pub channel: ChannelName,
    /// Operation.
    pub operation: OperationName,
    /// Sender.
    pub sender: NodeId,
    /// Priority.
    pub priority: Priority,
    /// Marking.
    pub tlp: Tlp,
    /// Created by the sender.
    pub created_at: Timestamp,
    /// Stored here.
    pub received_at: Timestamp,
    /// Shown to an officer.
    pub read: bool,
    /// Acknowledged by an officer.
    pub acknowledged: bool,
    /// The message it answers.
    pub in_reply_to: Option<MessageId>,
    /// A one-line summary.
    pub title: String,
}

/// The order of an inbox page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InboxOrder {
    /// Newest first: the default listing.
    NewestFirst,
    /// Oldest first: after a sequence, for followers.
    OldestFirst,
}

impl InboxOrder {
    /// What a daemon that does not say listed: arrival order.
    fn unsaid() -> Self {
        Self::OldestFirst
    }
}

/// A page of the inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxPage {
    /// The messages, in `order`.
    pub items: Vec<InboxItem>,
    /// Newest first, or (after a sequence) oldest first.
    #[serde(default = "InboxOrder::unsaid")]
    pub order: InboxOrder,
    /// More messages match beyond this page.
    #[serde(default)]
    pub more: bool,
    /// How many more, when counting was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining: Option<u64>,
    /// Newest first, with `more`: pass as `before` for the next (older) page.
    #[serde(default)]
    pub next_before: Option<u64>,
    /// Pass as `after` to get what comes next: oldest first, the sequence to follow on
    /// from; newest first, the newest sequence when the page was read.
    pub next_after: u64,
    /// With `flash_first`, on the first page: the unacknowledged flash messages that
    /// match, newest first (the items leave them out).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flash: Vec<InboxItem>,
    /// More unacknowledged flash messages match than `flash` holds.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub flash_more: bool,
    /// The whole inbox's counts, whatever the filter.
    #[serde(default)]
    pub counts: InboxCounts,
}

/// Who sent a received message, from its verified certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SenderView {
    /// Node id.
    pub node_id: NodeId,
    /// Role.
    pub role: Role,
    /// Organisation.
    pub organisation: String,
    /// Country.
    pub country: Option<String>,
    /// SHA-256 of its certificate.
    pub fingerprint: Fingerprint,
}

/// A received message in full.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReceivedView {
    /// The inbox line.
    #[serde(flatten)]
    pub item: InboxItem,
    /// The header's destinations.
    pub to: Vec<ChannelName>,
    /// Expiry.
    pub expires_at: Timestamp,
    /// The signer.
    pub signer: SenderView,
    /// How it was checked.
    pub verification: String,
    /// When it was first shown.
    pub read_at: Option<Timestamp>,
    /// When it was acknowledged.
    pub acknowledged_at: Option<Timestamp>,
    /// Whether the sender asks for an acknowledgement (tasking).
    pub ack_required: bool,
    /// The body, without its attachments.
    pub body: serde_json::Value,
    /// The attachments: name, media type, size (`GET
    /// /v1/messages/{id}/attachments/{name}` for one's content).
    #[serde(default)]
    pub attachments: Vec<AttachmentInfo>,
}

/// A message this node sent, in full.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentView {
    /// Id.
    pub id: MessageId,
    /// Kind.
    pub kind: MessageKind,
    /// Operation.
    pub operation: OperationName,
    /// Destinations.
    pub to: Vec<ChannelName>,
    /// Priority.
    pub priority: Priority,
    /// Marking.
    pub tlp: Tlp,
    /// Created.
    pub created_at: Timestamp,
    /// Expires.
    pub expires_at: Timestamp,
    /// In reply to.
    pub in_reply_to: Option<MessageId>,
    /// `draft`, `sealed`, `stored`, `failed`.
    pub state: String,
    /// Why it failed or waits.
    pub reason: Option<String>,
    /// Publish attempts.
    pub attempts: u32,
    /// The body, without its attachments.
    pub body: serde_json::Value,
    /// The attachments: name, media type, size.
    #[serde(default)]
    pub attachments: Vec<AttachmentInfo>,
    /// The message this one resends to readers who joined late, if it is a resend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resend_of: Option<MessageId>,
    /// Its resend to readers who joined late, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resent_as: Option<MessageId>,
    /// Receipts so far.
    pub receipts: ReceiptReport,
}

/// `show`: a received or a sent message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "direction", rename_all = "lowercase")]
#[allow(clippy::large_enum_variant)]
pub enum Shown {
    /// Received by this node.
    Received(ReceivedView),
    /// Sent by this node.
    Sent(SentView),
}

/// The answer to an acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AckView {
    /// The message.
    pub id: MessageId,
    /// When it was acknowledged.
    pub acknowledged_at: Timestamp,
    /// Whether it had been acknowledged before (no new receipt then).
    pub already: bool,
}

/// One outgoing message, in lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentItem {
    /// Id.
    pub id: MessageId,
    /// Kind.
    pub kind: MessageKind,
    /// Destinations.
    pub to: Vec<ChannelName>,
    /// State.
    pub state: String,
    /// Why it failed or waits.
    pub reason: Option<String>,
    /// Publish attempts.
    pub attempts: u32,
    /// Created.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// The node and its link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusView {
    /// This node.
    pub node_id: NodeId,
    /// Its role.
    pub role: Role,
    /// Its organisation.
    pub organisation: String,
    /// Its certificate fingerprint.
    pub fingerprint: Fingerprint,
    /// The hub's configured address.
    pub hub: String,
    /// Connection state.
    pub connection: ConnState,
    /// Since when.
    pub since: Timestamp,
    /// The last connection error.
    pub last_error: Option<String>,
    /// Why the last connection was refused over a certificate (`revoked`, `expired`,
    /// `unknown-ca`, `wrong-usage`, `hub-certificate-revoked`, ...), if it was.
    #[serde(default)]
    pub certificate_refused: Option<String>,
    /// Next connection attempt in, ms.
    pub retry_in_ms: Option<u64>,
    /// Whether the hub accepted the key bundle in this session.
    pub key_bundle_accepted: Option<bool>,
    /// Channels delivered in this session.
    pub subscribed: Vec<ChannelName>,
    /// Messages the hub has not settled yet.
    pub outbox_depth: u64,
    /// Messages in the inbox.
    pub inbox_count: u64,
    /// Last successful exchange with the hub.
    pub last_sync: Option<Timestamp>,
    /// Sessions since start.
    pub sessions: u64,
}

/// What this node may read and publish, from the hub's last `Welcome`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelsView {
    /// This node.
    pub node_id: NodeId,
    /// Its direct channel (always readable).
    pub direct_channel: ChannelName,
    /// Whether the hub has told the grants yet (false before the first connection).
    pub known: bool,
    /// Operation channels.
    pub channels: Vec<Grant>,
    /// What it may address to named participants, per operation.
    pub direct: Vec<DirectGrant>,
}

/// A refused envelope, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusalView {
    /// Local number.
    pub seq: u64,
    /// When.
    pub at: Timestamp,
    /// Delivered on.
    pub channel: ChannelName,
    /// The claimed id.
    pub id: Option<MessageId>,
    /// The claimed sender.
    pub sender: Option<NodeId>,
    /// The claimed kind.
    pub kind: Option<MessageKind>,
    /// Why.
    pub reason: String,
}

fn body_json(m: &Message) -> serde_json::Value {
    let v = match m {
        Message::Alert(x) => serde_json::to_value(x),
        Message::Feedback(x) => serde_json::to_value(x),
        Message::Seizure(x) => serde_json::to_value(x),
        Message::TrackingRequest(x) => serde_json::to_value(x),
        Message::TrackingUpdate(x) => serde_json::to_value(x),
        Message::Tasking(x) => serde_json::to_value(x),
        Message::Notice(x) => serde_json::to_value(x),
        Message::Receipt(x) => serde_json::to_value(x),
    };
    v.unwrap_or(serde_json::Value::Null)
}

fn decode_stored(kind: MessageKind, body: &[u8]) -> Option<Message> {
    Message::decode(kind, body).ok()
}

fn item_of(r: &InboxRecord) -> InboxItem {
    let title = decode_stored(r.kind, &r.body)
        .map(|m| title_of(&m))
        .unwrap_or_default();
    InboxItem {
        seq: r.seq,
        id: r.id,
        kind: r.kind,
        channel: r.channel.clone(),
        operation: r.operation.clone(),
        sender: r.sender.clone(),
        priority: r.priority,
        tlp: r.tlp,
        created_at: Timestamp::from_millis(r.created_at),
        received_at: Timestamp::from_millis(r.received_at),
        read: r.read_at.is_some(),
        acknowledged: r.acked_at.is_some(),
        in_reply_to: r.in_reply_to,
        title,
    }
}

/// An inbox line from its stored summary.
fn item_from_summary(s: InboxSummary) -> Result<InboxItem, ServiceError> {
    let corrupt = |what: &str, e: cordon_common::ids::IdError| {
        ServiceError::Internal(format!("inbox summary {}: bad {what}: {e}", s.seq))
    };
    Ok(InboxItem {
        seq: s.seq,
        id: s.id,
        kind: s.kind,
        channel: s.channel.parse().map_err(|e| corrupt("channel", e))?,
        operation: s.operation.parse().map_err(|e| corrupt("operation", e))?,
        sender: s.sender.parse().map_err(|e| corrupt("sender", e))?,
        priority: s.priority,
        tlp: s.tlp,
        created_at: Timestamp::from_millis(s.created_at),
        received_at: Timestamp::from_millis(s.received_at),
        read: s.read,
        acknowledged: s.acknowledged,
        in_reply_to: s.in_reply_to,
        title: s.title,
    })
}

/// The page answering `query` from what the store listed.
fn page_of(query: &InboxQuery, l: InboxListing) -> Result<InboxPage, ServiceError> {
    let last = l.items.last().map(|s| s.seq);
    let (order, next_before, next_after) = match query.position {
        InboxPosition::Newest { .. } => (InboxOrder::NewestFirst, last.filter(|_| l.more), l.head),
        InboxPosition::After(after) => (
            InboxOrder::OldestFirst,
            None,
            match last {
                Some(seq) if l.more => seq,
                _ => l.head.max(after),
            },
        ),
    };
    let items = |v: Vec<InboxSummary>| -> Result<Vec<InboxItem>, ServiceError> {
        v.into_iter().map(item_from_summary).collect()
    };
    Ok(InboxPage {
        items: items(l.items)?,
        order,
        more: l.more,
        remaining: l.remaining,
        next_before,
        next_after,
        flash: items(l.flash)?,
        flash_more: l.flash_more,
        counts: l.counts,
    })
}

/// A store failure as the service reports it: a query it cannot answer names its field.
fn store_error(e: StoreError) -> ServiceError {
    match e {
        StoreError::Query(q) => ServiceError::invalid(q.field(), q.to_string()),
        other => internal(other),
    }
}

fn received_view(r: &InboxRecord) -> ReceivedView {
    let message = decode_stored(r.kind, &r.body);
    let ack_required = matches!(&message, Some(Message::Tasking(t)) if t.ack_required);
    let (body, attachments) = message
        .as_ref()
        .map(|m| attachments::split_body(m, body_json(m)))
        .unwrap_or_default();
    ReceivedView {
        item: item_of(r),
        to: r.to.clone(),
        expires_at: Timestamp::from_millis(r.expires_at),
        signer: SenderView {
            node_id: r.sender.clone(),
            role: r.sender_role,
            organisation: r.sender_organisation.clone(),
            country: r.sender_country.clone(),
            fingerprint: r.sender_fingerprint,
        },
        verification: format!(
            "verified on receipt at {}: signature by {}, certificate chains to the federation root, \
             valid and not revoked by the CRLs held; decrypted with this node's key; body validated",
            Timestamp::from_millis(r.received_at),
            r.sender
        ),
        read_at: r.read_at.map(Timestamp::from_millis),
        acknowledged_at: r.acked_at.map(Timestamp::from_millis),
        ack_required,
        body,
        attachments,
    }
}

fn sent_item(r: &SentRecord) -> SentItem {
    SentItem {
        id: r.id,
        kind: r.kind,
        to: r.to.clone(),
        state: r.state.as_str().to_owned(),
        reason: r.reason.clone(),
        attempts: r.attempts,
        created_at: Timestamp::from_millis(r.created_at),
        updated_at: Timestamp::from_millis(r.updated_at),
    }
}

/// The officers' operations on a running node.
#[derive(Debug, Clone)]
pub struct Service {
    shared: Arc<Shared>,
}

fn internal(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Internal(e.to_string())
}

impl Service {
    /// Over the daemon's shared state.
    pub fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    /// Changes when new messages are in the inbox (its value: the highest sequence).
    pub fn inbox_watch(&self) -> tokio::sync::watch::Receiver<u64> {
        self.shared.inbox_head.subscribe()
    }

    /// Changes when receipts arrive for messages this node sent.
    pub fn receipts_watch(&self) -> tokio::sync::watch::Receiver<u64> {
        self.shared.receipts_seen.subscribe()
    }

    /// The current value of [`Service::receipts_watch`].
    pub fn receipts_version(&self) -> u64 {
        *self.shared.receipts_seen.borrow()
    }

    /// This node's organisation, from its certificate.
    pub fn organisation(&self) -> &str {
        &self.shared.keys.identity.organisation
    }

    /// This node's id.
    pub fn node_id(&self) -> &NodeId {
        &self.shared.keys.identity.node_id
    }

    async fn run<T, F>(&self, f: F) -> Result<T, ServiceError>
    where
        T: Send + 'static,
        F: FnOnce(&Shared) -> Result<T, ServiceError> + Send + 'static,
    {
        blocking(&self.shared, f).await.map_err(internal)?
    }

    /// Check `req` and write it durably to the outbox; the answer carries the id. The
    /// link seals and publishes it when it can.
    pub async fn send(&self, req: SendRequest) -> Result<SendAccepted, ServiceError> {
        let reply_target = match &req.reply_to {
            Some(s) => {
                let id = parse_id("reply_to", s)?;
                let r = self
                    .run(move |s| s.store.inbox_get(&id).map_err(internal))
                    .await?
                    .ok_or_else(|| {
                        ServiceError::invalid("reply_to", format!("no message {id} in the inbox"))
                    })?;
                Some(ReplyTarget {
                    id: r.id,
                    sender: r.sender,
                    operation: r.operation,
                })
            }
            None => None,
        };
        let now = now_ms();
        let lifetime = self.shared.config.limits.default_lifetime_hours * 3_600_000;
        let p = prepare(
            &req,
            reply_target.as_ref(),
            now,
            lifetime,
            &Limits::default(),
        )?;
        let operation = p
            .operation
            .clone()
            .ok_or_else(|| ServiceError::invalid("operation", "required"))?;
        let notes = self.check_grants(p.message.kind(), &p.to, &operation)?;
        let body = p.message.encode().map_err(internal)?;
        let rec = SentRecord {
            id: MessageId::new_v7(),
            kind: p.message.kind(),
            operation: operation.clone(),
            to: p.to.clone(),
            priority: p.priority,
            tlp: p.tlp,
            created_at: now,
            expires_at: p.expires_at,
            in_reply_to: p.in_reply_to,
            body,
            state: SendState::Draft,
            reason: None,
            envelope: None,
            sealed_to: vec![],
            not_sealed_to: vec![],
            attempts: 0,
            updated_at: now,
            resend: ResendLink::default(),
        };
        let accepted = SendAccepted {
            id: rec.id,
            state: SendState::Draft.as_str().to_owned(),
            kind: rec.kind,
            operation,
            to: rec.to.clone(),
            notes,
        };
        self.run(move |s| s.store.put_drafts(&[rec]).map_err(internal))
            .await?;
        self.shared.outbox_wake.notify_one();
        tracing::info!(id = %accepted.id, kind = %accepted.kind, "message queued");
        Ok(accepted)
    }

    /// Refuse a message the hub's grants do not allow (field `to`, with what this node
    /// may send); the notes for the officer: grants not known yet, hub not reachable.
    fn check_grants(
        &self,
        kind: MessageKind,
        to: &[ChannelName],
        operation: &OperationName,
    ) -> Result<Vec<String>, ServiceError> {
        let st = self.shared.status_snapshot();
        let mut notes = Vec::new();
        match &st.welcome {
            Some(w) => Grants {
                channels: &w.grants,
                direct: &w.direct,
            }
            .check(kind, to, operation)
            .map_err(|why| ServiceError::invalid("to", why))?,
            None => notes.push(
                "grants not known yet: this node has not been connected to the hub since it                  started, so the hub decides whether it may send this when it connects"
                    .to_owned(),
            ),
        }
        if st.state != ConnState::Connected {
            notes.push(format!(
                "queued: will be sent when the hub answers (now {}{})",
                st.state.as_str(),
                st.last_error
                    .as_deref()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default()
            ));
        }
        Ok(notes)
    }

    /// Inbox messages matching `filter`, at most `limit` (capped by the configuration).
    /// With `wait`, and nothing to show yet, wait up to that long for new messages.
    /// A page of the inbox as `query` asks, its limit capped at `[limits]
    /// api_max_list`: newest first by default, oldest first after a sequence (see
    /// [`InboxQuery`]). With `wait`, when following ([`InboxPosition::After`]) and
    /// nothing matches yet, wait up to that long (at most `[limits] api_max_wait_secs`)
    /// for new messages.
    pub async fn inbox(
        &self,
        mut query: InboxQuery,
        wait: Option<Duration>,
    ) -> Result<InboxPage, ServiceError> {
        query.limit = query.limit.clamp(1, self.shared.config.limits.api_max_list);
        if wait.is_some() && !matches!(query.position, InboxPosition::After(_)) {
            return Err(ServiceError::invalid(
                "wait",
                "only when following, with after",
            ));
        }
        query
            .filter
            .check()
            .map_err(|q| ServiceError::invalid(q.field(), q.to_string()))?;
        let max_wait = Duration::from_secs(self.shared.config.limits.api_max_wait_secs);
        let deadline = wait.map(|w| tokio::time::Instant::now() + w.min(max_wait));
        let mut head_rx = self.shared.inbox_head.subscribe();
        loop {
            let q = query.clone();
            let listing = self
                .run(move |s| s.store.inbox_page(&q).map_err(store_error))
                .await?;
            let page = page_of(&query, listing)?;
            let Some(d) = deadline.filter(|_| page.items.is_empty()) else {
                return Ok(page);
            };
            let after = page.next_after;
            let woke = tokio::time::timeout_at(d, head_rx.wait_for(|h| *h > after)).await;
            if !matches!(woke, Ok(Ok(_))) {
                return Ok(page);
            }
        }
    }

    /// The whole inbox's counts: messages, unread, unacknowledged, unacknowledged flash.
    pub async fn inbox_counts(&self) -> Result<InboxCounts, ServiceError> {
        self.run(|s| s.store.inbox_counts().map_err(internal)).await
    }

    /// A message in full. A received message is marked read, and the first time a
    /// `read` receipt is queued for its sender.
    pub async fn show(&self, id: MessageId) -> Result<Shown, ServiceError> {
        let lifetime = self.shared.config.limits.receipt_lifetime_hours * 3_600_000;
        let now = now_ms();
        let outcome = self
            .run(move |s| {
                s.store
                    .mark(&id, Mark::Read, now, |r| {
                        receipt_for(r, ReceiptStatus::Read, now, lifetime)
                    })
                    .map_err(internal)
            })
            .await?;
        match outcome {
            MarkOutcome::Marked(r) => {
                self.shared.outbox_wake.notify_one();
                Ok(Shown::Received(received_view(&r)))
            }
            MarkOutcome::Already(r) => Ok(Shown::Received(received_view(&r))),
            MarkOutcome::NotFound => {
                let sent = self.sent_view(id).await?;
                Ok(Shown::Sent(sent))
            }
        }
    }

    /// Received messages of `kind` in full, in arrival order, at most `limit`, without
    /// marking them read (for the console's overview).
    pub async fn received_of_kind(
        &self,
        kind: MessageKind,
        limit: usize,
    ) -> Result<Vec<ReceivedView>, ServiceError> {
        self.run(move |s| {
            let mut out = Vec::new();
            let mut after = 0;
            while out.len() < limit {
                let q = InboxQuery {
                    filter: crate::inbox::InboxFilter {
                        kind: Some(kind),
                        ..Default::default()
                    },
                    position: InboxPosition::After(after),
                    limit: 1000,
                    ..InboxQuery::default()
                };
                let page = s.store.inbox_page(&q).map_err(store_error)?;
                if page.items.is_empty() {
                    break;
                }
                for it in &page.items {
                    after = after.max(it.seq);
                    if let Some(r) = s.store.inbox_get(&it.id).map_err(internal)? {
                        out.push(received_view(&r));
                    }
                }
            }
            out.truncate(limit);
            Ok(out)
        })
        .await
    }

    async fn sent_view(&self, id: MessageId) -> Result<SentView, ServiceError> {
        let (rec, got) = self
            .run(move |s| {
                let rec = s.store.sent(&id).map_err(internal)?.ok_or_else(|| {
                    ServiceError::NotFound(format!("no message {id} on this node"))
                })?;
                let got = s.store.receipts_for(&id).map_err(internal)?;
                Ok((rec, got))
            })
            .await?;
        let (body, attachments) = decode_stored(rec.kind, &rec.body)
            .as_ref()
            .map(|m| attachments::split_body(m, body_json(m)))
            .unwrap_or_default();
        Ok(SentView {
            id: rec.id,
            kind: rec.kind,
            operation: rec.operation.clone(),
            to: rec.to.clone(),
            priority: rec.priority,
            tlp: rec.tlp,
            created_at: Timestamp::from_millis(rec.created_at),
            expires_at: Timestamp::from_millis(rec.expires_at),
            in_reply_to: rec.in_reply_to,
            state: rec.state.as_str().to_owned(),
            reason: rec.reason.clone(),
            attempts: rec.attempts,
            body,
            attachments,
            resend_of: rec.resend.of,
            resent_as: rec.resend.resent_as,
            receipts: receipts::report(&rec, &got),
        })
    }

    /// Acknowledge a received message; the first time an `acknowledged` receipt is
    /// queued for its sender.
    pub async fn ack(&self, id: MessageId) -> Result<AckView, ServiceError> {
        let lifetime = self.shared.config.limits.receipt_lifetime_hours * 3_600_000;
        let now = now_ms();
        let outcome = self
            .run(move |s| {
                let o = s
                    .store
                    .mark(&id, Mark::Acknowledged, now, |r| {
                        receipt_for(r, ReceiptStatus::Acknowledged, now, lifetime)
                    })
                    .map_err(internal)?;
                let sent = matches!(o, MarkOutcome::NotFound)
                    && s.store.sent(&id).map_err(internal)?.is_some();
                Ok((o, sent))
            })
            .await?;
        match outcome {
            (MarkOutcome::Marked(r), _) => {
                self.shared.outbox_wake.notify_one();
                Ok(AckView {
                    id,
                    acknowledged_at: Timestamp::from_millis(r.acked_at.unwrap_or(now)),
                    already: false,
                })
            }
            (MarkOutcome::Already(r), _) => Ok(AckView {
                id,
                acknowledged_at: Timestamp::from_millis(r.acked_at.unwrap_or(now)),
                already: true,
            }),
            (MarkOutcome::NotFound, true) => Err(ServiceError::Conflict(format!(
                "{id} is a message this node sent; only recipients acknowledge"
            ))),
            (MarkOutcome::NotFound, false) => Err(ServiceError::NotFound(format!(
                "no message {id} in the inbox"
            ))),
        }
    }

    /// Who has received, read and acknowledged a message this node sent.
    pub async fn receipts(&self, id: MessageId) -> Result<ReceiptReport, ServiceError> {
        let received = self
            .run(move |s| s.store.inbox_get(&id).map_err(internal))
            .await?;
        if received.is_some() {
            return Err(ServiceError::Conflict(format!(
                "{id} was received, not sent, by this node; receipts are kept by its sender"
            )));
        }
        Ok(self.sent_view(id).await?.receipts)
    }

    /// Messages this node sent, newest first (receipts left out).
    pub async fn sent(&self, limit: usize) -> Result<Vec<SentItem>, ServiceError> {
        let limit = limit.clamp(1, self.shared.config.limits.api_max_list);
        let recs = self
            .run(move |s| s.store.list_sent(limit, false).map_err(internal))
            .await?;
        Ok(recs.iter().map(sent_item).collect())
    }

    /// Envelopes refused, newest first.
    pub async fn refusals(&self, limit: usize) -> Result<Vec<RefusalView>, ServiceError> {
        let limit = limit.clamp(1, self.shared.config.limits.api_max_list);
        let recs = self
            .run(move |s| s.store.refusals(limit).map_err(internal))
            .await?;
        Ok(recs
            .into_iter()
            .map(|r| RefusalView {
                seq: r.seq,
                at: Timestamp::from_millis(r.at),
                channel: r.channel,
                id: r.id,
                sender: r.sender,
                kind: r.kind,
                reason: r.reason,
            })
            .collect())
    }

    /// The node, its link, its outbox and inbox.
    pub async fn status(&self) -> Result<StatusView, ServiceError> {
        let (depth, head) = self
            .run(|s| {
                Ok((
                    s.store.outbox_depth().map_err(internal)?,
                    s.store.inbox_head().map_err(internal)?,
                ))
            })
            .await?;
        let st = self.shared.status_snapshot();
        let id = &self.shared.keys.identity;
        Ok(StatusView {
            node_id: id.node_id.clone(),
            role: id.role,
            organisation: id.organisation.clone(),
            fingerprint: id.fingerprint,
            hub: format!(
                "{} ({})",
                self.shared.config.hub_addr, self.shared.config.hub_server_name
            ),
            connection: st.state,
            since: Timestamp::from_millis(st.since),
            last_error: st.last_error,
            certificate_refused: st.certificate_refused,
            retry_in_ms: st.retry_in_ms,
            key_bundle_accepted: st.bundle_accepted,
            subscribed: st.subscribed,
            outbox_depth: depth,
            inbox_count: head,
            last_sync: st.last_sync.map(Timestamp::from_millis),
            sessions: st.sessions,
        })
    }

    /// What this node may read and publish.
    pub fn channels(&self) -> ChannelsView {
        let st = self.shared.status_snapshot();
        let id = &self.shared.keys.identity;
        let (known, channels, direct) = match st.welcome {
            Some(w) => (true, w.grants, w.direct),
            None => (false, vec![], vec![]),
        };
        ChannelsView {
            node_id: id.node_id.clone(),
            direct_channel: id.node_id.direct_channel(),
            known,
            channels,
            direct,
        }
    }

    /// The connection state (for waiting in tests).
    pub fn connection(&self) -> ConnState {
        self.shared.status().state
    }
}

fn receipt_for(
    r: &InboxRecord,
    status: ReceiptStatus,
    now: u64,
    lifetime: u64,
) -> Option<SentRecord> {
    receipts::draft(
        Original {
            id: r.id,
            sender: &r.sender,
            operation: &r.operation,
            priority: r.priority,
            tlp: r.tlp,
        },
        status,
        now,
        lifetime,
    )
    .ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    const NOW: u64 = 1_796_040_000_000;
    const DAY: u64 = 24 * 3_600_000;

    fn alert_body() -> serde_json::Value {
        json!({
            "title": "Cocaine in banana reefers",
            "summary": "New consignee; unusual route.",
            "action": "inspect",
            "containers": ["CSQU3054383"],
            "grading": {"source": "B", "information": 2}
        })
    }

    fn req(kind: &str, to: &[&str], body: serde_json::Value) -> SendRequest {
        SendRequest {
            kind: kind.into(),
            to: to.iter().map(|s| s.to_string()).collect(),
            body,
            ..Default::default()
        }
    }

    fn err(r: &SendRequest) -> (String, String) {
        match prepare(r, None, NOW, DAY, &Limits::default()).unwrap_err() {
            ServiceError::Invalid { field, message } => (field, message),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_good_alert_is_prepared_with_defaults() {
        let p = prepare(
            &req("alert", &["op/cosmo-2/alerts"], alert_body()),
            None,
            NOW,
            DAY,
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(p.operation.unwrap().as_str(), "cosmo-2");
        assert_eq!(p.priority, Priority::Routine);
        assert_eq!(p.tlp, Tlp::Amber);
        assert_eq!(p.expires_at, NOW + DAY);
        assert_eq!(p.message.kind(), MessageKind::Alert);
    }

    #[test]
    fn container_check_digit_error_names_field_and_expected_digit() {
        let mut body = alert_body();
        body["containers"] = json!(["CSQU3054383", "MWCU6059785"]);
        let (field, message) = err(&req("alert", &["op/cosmo-2/alerts"], body));
        assert_eq!(field, "body.containers[1]");
        assert_eq!(message, "ISO 6346 check digit is 5, expected 4");
    }

    #[test]
    fn body_shape_errors_name_the_field() {
        let mut body = alert_body();
        body.as_object_mut().unwrap().remove("summary");
        assert_eq!(
            err(&req("alert", &["op/cosmo-2/alerts"], body)).0,
            "body.summary"
        );
        let mut body = alert_body();
        body["free_txt"] = json!("x");
        assert_eq!(
            err(&req("alert", &["op/cosmo-2/alerts"], body)).0,
            "body.free_txt"
        );
        assert_eq!(
            err(&req("alert", &["op/cosmo-2/alerts"], json!("text"))).0,
            "body"
        );
    }

    #[test]
    fn header_field_errors() {
        let ok = req("alert", &["op/cosmo-2/alerts"], alert_body());
        assert_eq!(
            err(&SendRequest {
                kind: "warning".into(),
                ..ok.clone()
            })
            .0,
            "kind"
        );
        assert_eq!(
            err(&SendRequest {
                kind: "receipt".into(),
                ..ok.clone()
            })
            .0,
            "kind"
        );
        assert_eq!(
            err(&SendRequest {
                tlp: Some("amber".into()),
                ..ok.clone()
            })
            .0,
            "tlp"
        );
        assert_eq!(
            err(&SendRequest {
                priority: Some("high".into()),
                ..ok.clone()
            })
            .0,
            "priority"
        );
        assert_eq!(
            err(&SendRequest {
                to: vec![],
                ..ok.clone()
            })
            .0,
            "to"
        );
        assert_eq!(
            err(&SendRequest {
                to: vec!["op/Cosmo/alerts".into()],
                ..ok.clone()
            })
            .0,
            "to[0]"
        );
        assert_eq!(
            err(&SendRequest {
                operation: Some("cosmo-3".into()),
                ..ok.clone()
            })
            .0,
            "operation"
        );
        assert_eq!(
            err(&SendRequest {
                expires_at: Some("2020-01-01T00:00:00Z".into()),
                ..ok.clone()
            }),
            ("expires_at".into(), "must be in the future".into())
        );
        assert_eq!(
            err(&SendRequest {
                expires_in_hours: Some(24 * 401),
                ..ok.clone()
            })
            .0,
            "expires_in_hours"
        );
        assert_eq!(
            err(&SendRequest {
                in_reply_to: Some("nope".into()),
                ..ok.clone()
            })
            .0,
            "in_reply_to"
        );
    }

    #[test]
    fn direct_addressing_rules() {
        let tasking = json!({"title": "Check manifests", "instructions": "List reefers."});
        let direct = req("tasking", &["node/HU-NCP", "node/BE-NCP"], tasking.clone());
        assert_eq!(err(&direct).0, "operation");
        let ok = SendRequest {
            operation: Some("cosmo-2".into()),
            ..direct.clone()
        };
        assert_eq!(
            prepare(&ok, None, NOW, DAY, &Limits::default())
                .unwrap()
                .to
                .len(),
            2
        );
        let twice = SendRequest {
            to: vec!["node/HU-NCP".into(), "node/HU-NCP".into()],
            ..ok.clone()
        };
        assert_eq!(err(&twice).0, "to[1]");
        let mixed = SendRequest {
            to: vec!["node/HU-NCP".into(), "op/cosmo-2/alerts".into()],
            ..ok.clone()
        };
        assert_eq!(err(&mixed).0, "to[1]");
        let notice = SendRequest {
            kind: "notice".into(),
            body: json!({"title": "t", "text": "x"}),
            ..ok
        };
        assert_eq!(err(&notice).0, "to");
    }

    #[test]
    fn replies_go_to_the_sender_and_fill_the_reference() {
        let target = ReplyTarget {
            id: MessageId::new_v7(),
            sender: "RILO-WE".parse().unwrap(),
            operation: "cosmo-2".parse().unwrap(),
        };
        let r = SendRequest {
            reply_to: Some(target.id.to_string()),
            ..req(
                "feedback",
                &[],
                json!({"outcome": "nothing-found", "details": "Scanned, clean."}),
            )
        };
        let p = prepare(&r, Some(&target), NOW, DAY, &Limits::default()).unwrap();
        assert_eq!(p.to, vec!["node/RILO-WE".parse::<ChannelName>().unwrap()]);
        assert_eq!(p.in_reply_to, Some(target.id));
        match p.message {
            Message::Feedback(f) => assert_eq!(f.alert_id, target.id.0),
            other => panic!("{other:?}"),
        }
        // Checked locally (unresolved), the body is still validated.
        let bad = SendRequest {
            body: json!({"outcome": "nothing_found", "details": "x"}),
            ..r.clone()
        };
        assert_eq!(
            prepare(&bad, None, NOW, DAY, &Limits::default()).unwrap_err(),
            ServiceError::invalid(
                "body.outcome",
                "unknown variant `nothing_found`, expected one of `inspected`, `nothing-found`, \
                 `seized`, `not-arrived`, `released`, `monitored`, `not-actioned`"
            )
        );
    }
}
