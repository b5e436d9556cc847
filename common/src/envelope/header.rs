//! The visible header: what the hub routes on.

use serde::{Deserialize, Serialize};

use super::EnvelopeError;
use crate::ids::{ChannelName, ChannelTarget, Fingerprint, MessageId, NodeId, OperationName};
use crate::msg::{MessageKind, Priority, Tlp};

/// The protocol version this code writes and reads.
pub const PROTOCOL_VERSION: u8 = 1;

/// The visible header (a MessagePack array of 12 elements, in this field order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// Always [`PROTOCOL_VERSION`].
    pub version: u8,
    /// UUIDv7 chosen by the sender.
    pub id: MessageId,
    /// The message kind; says how to decode the body.
    pub kind: MessageKind,
    /// The operation the message belongs to.
    pub operation: OperationName,
    /// One operation channel, or one or more direct channels `node/<ID>`.
    pub to: Vec<ChannelName>,
    /// The sending node.
    pub sender: NodeId,
    /// SHA-256 of the sender's certificate.
    pub sender_fp: Fingerprint,
    /// Milliseconds since the Unix epoch.
    pub created_at: u64,
    /// Milliseconds since the Unix epoch; not delivered after this.
    pub expires_at: u64,
    /// Delivery priority.
    pub priority: Priority,
    /// Handling marking.
    pub tlp: Tlp,
    /// The message this one answers (feedback, tracking update, receipt).
    pub in_reply_to: Option<MessageId>,
}

/// Where a header sends its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Addressing<'a> {
    /// Everyone who may read this operation channel.
    Channel(&'a ChannelName),
    /// These nodes' direct channels.
    Direct(&'a [ChannelName]),
}

/// Bounds on header fields checked at verification.
#[derive(Debug, Clone, Copy)]
pub struct HeaderLimits {
    /// Most direct recipients in one message.
    pub max_direct: usize,
    /// Longest lifetime `expires_at - created_at`, ms.
    pub max_lifetime_ms: u64,
    /// Tolerated clock skew for `created_at` in the future, ms.
    pub max_skew_ms: u64,
}

impl Default for HeaderLimits {
    fn default() -> Self {
        Self {
            max_direct: 256,
            max_lifetime_ms: 400 * 24 * 3600 * 1000,
            max_skew_ms: 5 * 60 * 1000,
        }
    }
}

impl Header {
    /// Encode as PROTOCOL.md says (MessagePack array).
    pub fn encode(&self) -> Result<Vec<u8>, EnvelopeError> {
        rmp_serde::to_vec(self).map_err(|e| EnvelopeError::Seal(e.to_string()))
    }

    /// Decode the header bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, EnvelopeError> {
        let h: Header =
            crate::mp::from_slice_exact(bytes).map_err(EnvelopeError::MalformedHeader)?;
        if h.version != PROTOCOL_VERSION {
            return Err(EnvelopeError::UnsupportedVersion(h.version));
        }
        Ok(h)
    }

    /// How the message is addressed; refuses mixed or empty addressing.
    pub fn addressing(&self) -> Result<Addressing<'_>, EnvelopeError> {
        let invalid = |s: &str| Err(EnvelopeError::InvalidHeader(s.to_owned()));
        match self.to.as_slice() {
            [] => invalid("no destination"),
            [one] if one.direct_node().is_none() => Ok(Addressing::Channel(one)),
            many if many.iter().all(|c| c.direct_node().is_some()) => Ok(Addressing::Direct(many)),
            _ => invalid("an operation channel cannot be combined with other destinations"),
        }
    }

    /// The sanity rules every verifier applies, at time `now_ms`.
    pub fn check(&self, now_ms: u64, limits: &HeaderLimits) -> Result<(), EnvelopeError> {
        let invalid = |s: String| Err(EnvelopeError::InvalidHeader(s));
        match self.addressing()? {
            Addressing::Channel(c) => match c.target() {
                ChannelTarget::Operation { operation, .. }
                    if operation == self.operation.as_str() => {}
                _ => {
                    return invalid(format!(
                        "channel {c} is not in operation {}",
                        self.operation
                    ))
                }
            },
            Addressing::Direct(list) => {
                if list.len() > limits.max_direct {
                    return invalid(format!("more than {} direct recipients", limits.max_direct));
                }
                let mut seen = std::collections::HashSet::new();
                if !list.iter().all(|c| seen.insert(c)) {
                    return invalid("a direct recipient is named twice".into());
                }
                if self.kind == MessageKind::Notice {
                    return invalid("a notice goes to an operation channel".into());
                }
            }
        }
        if self.kind == MessageKind::Receipt && self.in_reply_to.is_none() {
            return invalid("a receipt names the message it is for in in_reply_to".into());
        }
        if self.expires_at <= self.created_at {
            return invalid("expires_at is not after created_at".into());
        }
        if self.expires_at - self.created_at > limits.max_lifetime_ms {
            return invalid("lifetime is longer than the maximum".into());
        }
        if self.created_at > now_ms.saturating_add(limits.max_skew_ms) {
            return invalid("created_at is in the future".into());
        }
        if now_ms >= self.expires_at {
            return Err(EnvelopeError::Expired {
                expires_at: self.expires_at,
                now: now_ms,
            });
        }
        Ok(())
    }
}
