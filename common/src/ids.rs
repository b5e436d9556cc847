//! Identifier newtypes shared by every crate: node ids, operation and channel names,
//! roles, certificate fingerprints and message ids.
//!
//! Each type validates its syntax on construction, so a value of the type is always
//! well formed. Syntax is fixed in `docs/PROTOCOL.md` ("Identifiers").

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why an identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// A node id must be 2–32 characters of `A–Z`, `0–9` and `-`, starting with a letter or digit.
    #[error("node id {0:?} is not 2-32 characters of A-Z, 0-9 and '-' starting with A-Z or 0-9")]
    NodeId(String),
    /// An operation name must be 1–48 characters of `a–z`, `0–9` and `-`.
    #[error("operation name {0:?} is not 1-48 characters of a-z, 0-9 and '-'")]
    Operation(String),
    /// A channel is `op/<operation>/<name>` or `node/<NODE-ID>`.
    #[error("channel {0:?} is neither op/<operation>/<name> (a-z, 0-9, '-') nor node/<NODE-ID>")]
    Channel(String),
    /// A role is one of `member`, `rilo`, `ocu`.
    #[error("role {0:?} is not one of member, rilo, ocu")]
    Role(String),
    /// A fingerprint is 64 hexadecimal digits (SHA-256).
    #[error("fingerprint {0:?} is not 64 hexadecimal digits")]
    Fingerprint(String),
}

/// The longest node id, bytes.
const MAX_NODE_ID_LEN: usize = 32;
/// The longest operation or channel short name, bytes.
const MAX_LOWER_NAME_LEN: usize = 48;

/// The longest channel name, bytes: `op/<operation>/<name>` with both names at their
/// longest (a direct channel `node/<ID>` is shorter). Frame sizes are bounded with it.
pub const MAX_CHANNEL_LEN: usize = "op/".len() + MAX_LOWER_NAME_LEN + 1 + MAX_LOWER_NAME_LEN;

fn is_node_id(s: &str) -> bool {
    let b = s.as_bytes();
    (2..=MAX_NODE_ID_LEN).contains(&b.len())
        && b[0].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b'-')
}

fn is_lower_name(s: &str) -> bool {
    let b = s.as_bytes();
    (1..=MAX_LOWER_NAME_LEN).contains(&b.len())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

macro_rules! string_newtype_serde {
    ($t:ty) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// A node's id, as carried in its certificate's SAN URI `cordon://node/<ID>` (e.g. `BE-NCP`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(String);

impl NodeId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The node's direct channel, `node/<ID>`.
    pub fn direct_channel(&self) -> ChannelName {
        ChannelName(format!("node/{}", self.0))
    }
}

impl FromStr for NodeId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        if is_node_id(s) {
            Ok(Self(s.to_owned()))
        } else {
            Err(IdError::NodeId(s.chars().take(64).collect()))
        }
    }
}
string_newtype_serde!(NodeId);

/// An operation's name (e.g. `cosmo-2`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OperationName(String);

impl OperationName {
    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for OperationName {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        if is_lower_name(s) {
            Ok(Self(s.to_owned()))
        } else {
            Err(IdError::Operation(s.chars().take(64).collect()))
        }
    }
}
string_newtype_serde!(OperationName);

/// A channel: an operation channel `op/<operation>/<name>` or a node's direct channel
/// `node/<NODE-ID>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChannelName(String);

/// What a channel name designates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelTarget<'a> {
    /// An operation channel: the operation's name and the channel's short name.
    Operation {
        /// The operation (`cosmo-2`).
        operation: &'a str,
        /// The channel within it (`alerts`).
        name: &'a str,
    },
    /// A node's direct channel.
    Node(&'a str),
}

impl ChannelName {
    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Build `op/<operation>/<name>`.
    pub fn operation(operation: &OperationName, name: &str) -> Result<Self, IdError> {
        format!("op/{}/{}", operation.as_str(), name).parse()
    }
    /// What this name designates.
    pub fn target(&self) -> ChannelTarget<'_> {
        // Invariant: the constructor checked one of the two shapes.
        if let Some(rest) = self.0.strip_prefix("node/") {
            return ChannelTarget::Node(rest);
        }
        let rest = self.0.strip_prefix("op/").unwrap_or_default();
        let (operation, name) = rest.split_once('/').unwrap_or((rest, ""));
        ChannelTarget::Operation { operation, name }
    }
    /// The node this direct channel belongs to, if it is one.
    pub fn direct_node(&self) -> Option<NodeId> {
        match self.target() {
            ChannelTarget::Node(id) => Some(NodeId(id.to_owned())),
            ChannelTarget::Operation { .. } => None,
        }
    }
    /// The operation this channel belongs to, if it is an operation channel.
    pub fn operation_name(&self) -> Option<OperationName> {
        match self.target() {
            ChannelTarget::Operation { operation, .. } => Some(OperationName(operation.to_owned())),
            ChannelTarget::Node(_) => None,
        }
    }
}

impl FromStr for ChannelName {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        let ok = if let Some(id) = s.strip_prefix("node/") {
            is_node_id(id)
        } else if let Some(rest) = s.strip_prefix("op/") {
            matches!(rest.split_once('/'), Some((op, name)) if is_lower_name(op) && is_lower_name(name))
        } else {
            false
        };
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(IdError::Channel(s.chars().take(128).collect()))
        }
    }
}
string_newtype_serde!(ChannelName);

/// A node's role in the federation, carried in its certificate's OU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// A member customs administration (national contact point).
    Member,
    /// A Regional Intelligence Liaison Office.
    Rilo,
    /// The Operational Coordination Unit.
    Ocu,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 3] = [Role::Member, Role::Rilo, Role::Ocu];
    /// The role as written in certificates and policy files.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Rilo => "rilo",
            Role::Ocu => "ocu",
        }
    }
}

impl FromStr for Role {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| IdError::Role(s.chars().take(32).collect()))
    }
}
impl Serialize for Role {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}
impl<'de> Deserialize<'de> for Role {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}
impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// SHA-256 of a certificate's DER encoding.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    /// The fingerprint of a DER-encoded certificate.
    pub fn of_der(der: &[u8]) -> Self {
        let d = ring::digest::digest(&ring::digest::SHA256, der);
        let mut out = [0u8; 32];
        out.copy_from_slice(d.as_ref());
        Self(out)
    }
    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({})", self.to_hex())
    }
}
impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}
impl FromStr for Fingerprint {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s.trim(), &mut out)
            .map_err(|_| IdError::Fingerprint(s.chars().take(80).collect()))?;
        Ok(Self(out))
    }
}
impl Serialize for Fingerprint {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&self.to_hex())
        } else {
            s.serialize_bytes(&self.0)
        }
    }
}
impl<'de> Deserialize<'de> for Fingerprint {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
            s.parse().map_err(serde::de::Error::custom)
        } else {
            let b: serde_bytes::ByteBuf = Deserialize::deserialize(d)?;
            <[u8; 32]>::try_from(b.as_ref())
                .map(Fingerprint)
                .map_err(|_| serde::de::Error::invalid_length(b.len(), &"32 bytes"))
        }
    }
}

/// A message id: a UUIDv7 chosen by the sender (time-ordered, 16 bytes on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MessageId(pub uuid::Uuid);

impl MessageId {
    /// A fresh UUIDv7 for a message created now.
    pub fn new_v7() -> Self {
        Self(uuid::Uuid::now_v7())
    }
    /// The 16 bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        self.0.as_bytes()
    }
}
impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}
impl FromStr for MessageId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, uuid::Error> {
        uuid::Uuid::parse_str(s).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_ids() {
        for ok in ["BE-NCP", "RILO-WE", "OCU", "XX-NCP", "A1"] {
            assert!(ok.parse::<NodeId>().is_ok(), "{ok}");
        }
        for bad in [
            "",
            "B",
            "be-ncp",
            "-BE",
            "BE_NCP",
            "BE NCP",
            &"A".repeat(33),
        ] {
            assert!(
                matches!(bad.parse::<NodeId>(), Err(IdError::NodeId(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn channels() {
        let c: ChannelName = "op/cosmo-2/alerts".parse().unwrap();
        assert_eq!(
            c.target(),
            ChannelTarget::Operation {
                operation: "cosmo-2",
                name: "alerts"
            }
        );
        assert_eq!(c.operation_name().unwrap().as_str(), "cosmo-2");
        let d: ChannelName = "node/BE-NCP".parse().unwrap();
        assert_eq!(d.direct_node().unwrap().as_str(), "BE-NCP");
        assert_eq!("BE-NCP".parse::<NodeId>().unwrap().direct_channel(), d);
        for bad in [
            "op/cosmo-2",
            "op/Cosmo/alerts",
            "op//alerts",
            "node/be",
            "x/y/z",
            "op/a/b/c",
        ] {
            assert!(bad.parse::<ChannelName>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_longest_channel_name_is_max_channel_len() {
        let longest = format!("op/{}/{}", "a".repeat(48), "b".repeat(48));
        assert_eq!(longest.len(), MAX_CHANNEL_LEN);
        assert!(longest.parse::<ChannelName>().is_ok());
        let direct = format!("node/{}", "A".repeat(32));
        assert!(direct.parse::<ChannelName>().is_ok() && direct.len() < MAX_CHANNEL_LEN);
        for too_long in [
            format!("op/{}/{}", "a".repeat(49), "b".repeat(48)),
            format!("op/{}/{}", "a".repeat(48), "b".repeat(49)),
            format!("node/{}", "A".repeat(33)),
        ] {
            assert!(too_long.parse::<ChannelName>().is_err(), "{too_long}");
        }
    }

    #[test]
    fn roles_and_fingerprints() {
        assert_eq!("OCU".parse::<Role>().unwrap(), Role::Ocu);
        assert!("admin".parse::<Role>().is_err());
        let fp = Fingerprint::of_der(b"abc");
        assert_eq!(fp.to_hex().parse::<Fingerprint>().unwrap(), fp);
        assert!("abcd".parse::<Fingerprint>().is_err());
        let packed = rmp_serde::to_vec(&fp).unwrap();
        assert_eq!(packed.len(), 34, "bin8 header + 32 bytes");
        assert_eq!(rmp_serde::from_slice::<Fingerprint>(&packed).unwrap(), fp);
    }
}
