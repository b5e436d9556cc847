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
            [] => invalid("to: no destination"),
            [one] if one.direct_node().is_none() => Ok(Addressing::Channel(one)),
            many if many.iter().all(|c| c.direct_node().is_some()) => Ok(Addressing::Direct(many)),
            _ => invalid("to: an operation channel cannot be combined with other destinations"),
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
                        "to: channel {c} is not in operation {}",
                        self.operation
                    ))
                }
            },
            Addressing::Direct(list) => {
                if list.len() > limits.max_direct {
                    return invalid(format!(
                        "to: more than {} direct recipients",
                        limits.max_direct
                    ));
                }
                let mut seen = std::collections::HashSet::new();
                if !list.iter().all(|c| seen.insert(c)) {
                    return invalid("to: a direct recipient is named twice".into());
                }
                if self.kind == MessageKind::Notice {
                    return invalid("to: a notice goes to an operation channel".into());
                }
            }
        }
        if self.kind == MessageKind::Receipt && self.in_reply_to.is_none() {
            return invalid("in_reply_to: a receipt names the message it is for".into());
        }
        if self.expires_at <= self.created_at {
            return invalid("expires_at: not after created_at".into());
        }
        if self.expires_at - self.created_at > limits.max_lifetime_ms {
            return invalid("expires_at: lifetime is longer than the maximum".into());
        }
        if self.created_at > now_ms.saturating_add(limits.max_skew_ms) {
            return invalid("created_at: in the future beyond the tolerated clock skew".into());
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const NOW: u64 = 1_800_000_000_000;

    fn header() -> Header {
        Header {
            version: PROTOCOL_VERSION,
            id: MessageId::new_v7(),
            kind: MessageKind::Alert,
            operation: "cosmo-2".parse().unwrap(),
            to: vec!["op/cosmo-2/alerts".parse().unwrap()],
            sender: "BE-NCP".parse().unwrap(),
            sender_fp: Fingerprint([7; 32]),
            created_at: NOW,
            expires_at: NOW + 3_600_000,
            priority: Priority::Routine,
            tlp: Tlp::Amber,
            in_reply_to: None,
        }
    }

    fn to(list: &[&str]) -> Vec<ChannelName> {
        list.iter().map(|c| c.parse().unwrap()).collect()
    }

    fn refusal(h: &Header) -> String {
        match h.check(NOW, &HeaderLimits::default()) {
            Err(EnvelopeError::InvalidHeader(why)) => why,
            other => panic!("expected InvalidHeader, got {other:?}"),
        }
    }

    #[test]
    fn a_sane_header_passes_for_a_channel_and_for_named_nodes() {
        header().check(NOW, &HeaderLimits::default()).unwrap();
        let mut h = header();
        h.kind = MessageKind::Tasking;
        h.to = to(&["node/HU-NCP", "node/NL-NCP"]);
        h.check(NOW, &HeaderLimits::default()).unwrap();
    }

    #[test]
    fn each_rule_is_refused_with_the_field_it_concerns() {
        type Edit = fn(&mut Header);
        let cases: &[(&str, Edit, &str)] = &[
            ("empty to", |h| h.to.clear(), "to: no destination"),
            (
                "mixed",
                |h| h.to = to(&["op/cosmo-2/alerts", "node/HU-NCP"]),
                "to: an operation channel cannot be combined with other destinations",
            ),
            (
                "two operation channels",
                |h| h.to = to(&["op/cosmo-2/alerts", "op/cosmo-2/tracking"]),
                "to: an operation channel cannot be combined with other destinations",
            ),
            (
                "foreign operation",
                |h| h.to = to(&["op/other/alerts"]),
                "to: channel op/other/alerts is not in operation cosmo-2",
            ),
            (
                "named twice",
                |h| h.to = to(&["node/HU-NCP", "node/HU-NCP"]),
                "to: a direct recipient is named twice",
            ),
            (
                "notice to nodes",
                |h| {
                    h.kind = MessageKind::Notice;
                    h.to = to(&["node/HU-NCP"]);
                },
                "to: a notice goes to an operation channel",
            ),
            (
                "receipt without in_reply_to",
                |h| {
                    h.kind = MessageKind::Receipt;
                    h.to = to(&["node/OCU"]);
                },
                "in_reply_to: a receipt names the message it is for",
            ),
            (
                "expiry equal to creation",
                |h| h.expires_at = h.created_at,
                "expires_at: not after created_at",
            ),
            (
                "expiry before creation",
                |h| h.expires_at = h.created_at - 1,
                "expires_at: not after created_at",
            ),
            (
                "lifetime over 400 days",
                |h| h.expires_at = h.created_at + 401 * 24 * 3_600_000,
                "expires_at: lifetime is longer than the maximum",
            ),
            (
                "created in the future",
                |h| {
                    h.created_at = NOW + 5 * 60_000 + 1;
                    h.expires_at = h.created_at + 1000;
                },
                "created_at: in the future beyond the tolerated clock skew",
            ),
        ];
        for (name, edit, want) in cases {
            let mut h = header();
            edit(&mut h);
            assert_eq!(refusal(&h), *want, "case {name}");
        }
    }

    #[test]
    fn more_direct_recipients_than_the_limit_are_refused() {
        let mut h = header();
        h.kind = MessageKind::Tasking;
        h.to = (0..257)
            .map(|i| format!("node/N-{i:03}").parse().unwrap())
            .collect();
        assert_eq!(refusal(&h), "to: more than 256 direct recipients");
        h.to.truncate(256);
        h.check(NOW, &HeaderLimits::default()).unwrap();
    }

    #[test]
    fn skew_within_tolerance_passes_and_expiry_is_its_own_error() {
        let mut h = header();
        h.created_at = NOW + 5 * 60_000;
        h.expires_at = h.created_at + 1000;
        h.check(NOW, &HeaderLimits::default()).unwrap();
        let h = header();
        assert_eq!(
            h.check(h.expires_at, &HeaderLimits::default()),
            Err(EnvelopeError::Expired {
                expires_at: h.expires_at,
                now: h.expires_at
            })
        );
    }
}
