//! Every frame the hub and a node exchange. Each body is a MessagePack array of the
//! struct's fields in declaration order.

use serde::{Deserialize, Serialize};

use crate::ids::{ChannelName, Fingerprint, MessageId, NodeId, OperationName, Role};
use crate::msg::MessageKind;

/// The wire version byte of every frame.
pub const WIRE_VERSION: u8 = 1;

/// Node → hub, first frame on the control stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    /// Software name and version, for logs (at most 64 bytes are kept).
    pub agent: String,
    /// The largest frame this node accepts.
    pub max_frame: u32,
}

/// What a node may do on one operation channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// The channel.
    pub channel: ChannelName,
    /// Whether the node may read it.
    pub read: bool,
    /// Message kinds the node may publish to it.
    pub publish: Vec<MessageKind>,
}

/// What a node may send directly to other participants of an operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectGrant {
    /// The operation.
    pub operation: OperationName,
    /// Kinds the node may address to named participants.
    pub kinds: Vec<MessageKind>,
}

/// Hub → node, answer to `Hello`: who the hub sees and what it may reach.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Welcome {
    /// The node id from the client certificate.
    pub node_id: NodeId,
    /// Its role.
    pub role: Role,
    /// Its organisation.
    pub organisation: String,
    /// Its country, if any.
    pub country: Option<String>,
    /// SHA-256 of its certificate.
    pub fingerprint: Fingerprint,
    /// Channel grants.
    pub grants: Vec<Grant>,
    /// Direct-addressing grants.
    pub direct: Vec<DirectGrant>,
    /// The hub's clock, ms since the epoch.
    pub hub_time: u64,
    /// The largest frame the hub accepts.
    pub max_frame: u32,
}

/// Node → hub: start delivery of these channels (empty: every channel it may read).
/// The node's direct channel is always delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscribe {
    /// Channels.
    pub channels: Vec<ChannelName>,
}

/// Hub → node: the subscription in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscribed {
    /// Channels that will be delivered.
    pub channels: Vec<ChannelName>,
    /// Channels refused, with the reason.
    pub refused: Vec<(ChannelName, String)>,
}

/// Node → hub on a publish stream: one envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Publish {
    /// The envelope bytes.
    #[serde(with = "serde_bytes")]
    pub envelope: Vec<u8>,
}

/// Outcome of a publish.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PublishOutcome {
    /// Stored durably; will be delivered.
    Stored,
    /// The hub already holds this id; nothing changed.
    Duplicate,
    /// The policy refuses it.
    Denied,
    /// The envelope is malformed, forged, expired or mis-addressed.
    Invalid,
    /// The hub cannot store it now (its disk is nearly full, its store quota is reached,
    /// a store error, its audit log cannot be written): nothing was stored; the node keeps
    /// the message and publishes it again later.
    Unavailable,
}

/// Hub → node: the outcome of a publish, sent once the decision is durable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishAck {
    /// The message id (all zero if the envelope did not parse).
    pub id: MessageId,
    /// The outcome.
    pub outcome: PublishOutcome,
    /// Why, for `denied` and `invalid`; empty otherwise.
    pub reason: String,
}

/// Hub → node on a delivery stream: one stored envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deliver {
    /// The channel it was delivered on (the node's direct channel for direct messages).
    pub channel: ChannelName,
    /// Its position in that channel.
    pub seq: u64,
    /// The envelope bytes, exactly as published.
    #[serde(with = "serde_bytes")]
    pub envelope: Vec<u8>,
}

/// Node → hub: the delivery is durable at the node (stored, or refused and recorded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliverAck {
    /// The channel.
    pub channel: ChannelName,
    /// The position acknowledged.
    pub seq: u64,
}

/// Node → hub: who reads these channels, and these nodes' certificates and bundles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryRequest {
    /// Channels whose readers are wanted.
    pub channels: Vec<ChannelName>,
    /// Nodes wanted by id.
    pub nodes: Vec<NodeId>,
}

/// A node in the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryEntry {
    /// The node.
    pub node_id: NodeId,
    /// Its certificate, DER.
    #[serde(with = "serde_bytes")]
    pub cert: Vec<u8>,
    /// Its signed key bundle, if it has published one.
    pub bundle: Option<serde_bytes::ByteBuf>,
}

/// Hub → node: the answer to a `DirectoryRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryResponse {
    /// For each requested channel, the nodes that may read it now.
    pub readers: Vec<(ChannelName, Vec<NodeId>)>,
    /// Every node named above or requested.
    pub entries: Vec<DirectoryEntry>,
    /// The signed operation roster in force at the hub (`cordon_common::roster`), against
    /// which the sender checks every reader named above. Absent when the hub has none;
    /// left out of the encoding then, so the frame is the two-element array of earlier
    /// builds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roster: Option<serde_bytes::ByteBuf>,
}

/// Node → hub: the node's signed key bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyBundlePublish {
    /// The bundle bytes.
    #[serde(with = "serde_bytes")]
    pub bundle: Vec<u8>,
}

/// Hub → node: whether the key bundle was accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyBundleAck {
    /// Accepted.
    pub accepted: bool,
    /// Why not.
    pub reason: String,
}

/// Either side: liveness check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ping {
    /// Echoed in the `Pong`.
    pub nonce: u64,
}

/// Answer to `Ping`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pong {
    /// The ping's nonce.
    pub nonce: u64,
}

/// Either side: an error; the stream (or connection, for the control stream) ends after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorFrame {
    /// An [`super::ErrorCode`] number.
    pub code: u16,
    /// Human-readable detail.
    pub message: String,
}

macro_rules! frames {
    ($($code:literal => $variant:ident($ty:ty),)*) => {
        /// A frame.
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[allow(missing_docs)]
        pub enum Frame {
            $($variant($ty),)*
        }

        impl Frame {
            /// The frame's type byte.
            pub fn frame_type(&self) -> u8 {
                match self {
                    $(Frame::$variant(_) => $code,)*
                }
            }

            /// The frame's name, for logs.
            pub fn name(&self) -> &'static str {
                match self {
                    $(Frame::$variant(_) => stringify!($variant),)*
                }
            }

            pub(super) fn encode_body(&self, out: &mut Vec<u8>) -> Result<(), rmp_serde::encode::Error> {
                match self {
                    $(Frame::$variant(b) => rmp_serde::encode::write(out, b),)*
                }
            }

            pub(super) fn decode_body(frame_type: u8, body: &[u8]) -> Result<Frame, super::WireError> {
                let malformed = |e: rmp_serde::decode::Error| super::WireError::Malformed {
                    frame_type,
                    detail: e.to_string(),
                };
                match frame_type {
                    $($code => {
                        let mut rd = body;
                        let mut de = rmp_serde::Deserializer::new(&mut rd);
                        let v = <$ty as serde::Deserialize>::deserialize(&mut de).map_err(malformed)?;
                        if !rd.is_empty() {
                            return Err(super::WireError::Trailing(frame_type));
                        }
                        Ok(Frame::$variant(v))
                    })*
                    other => Err(super::WireError::UnknownType(other)),
                }
            }
        }
    };
}

frames! {
    0x01 => Hello(Hello),
    0x02 => Welcome(Welcome),
    0x03 => Subscribe(Subscribe),
    0x04 => Subscribed(Subscribed),
    0x05 => Publish(Publish),
    0x06 => PublishAck(PublishAck),
    0x07 => Deliver(Deliver),
    0x08 => DeliverAck(DeliverAck),
    0x09 => DirectoryRequest(DirectoryRequest),
    0x0a => DirectoryResponse(DirectoryResponse),
    0x0b => KeyBundlePublish(KeyBundlePublish),
    0x0c => KeyBundleAck(KeyBundleAck),
    0x0d => Ping(Ping),
    0x0e => Pong(Pong),
    0x0f => Error(ErrorFrame),
}
