//! The hub's durable store, behind the [`Store`] trait so that another backend (a
//! PostgreSQL pair for a highly available hub) can replace the embedded one without
//! touching the router.
//!
//! Model: every stored message has its envelope and its metadata, keyed by id. Each
//! destination channel has one append-only log per priority lane; a log entry points at
//! a message. Each node has a cursor per (channel, lane): everything up to it is
//! acknowledged. Writes go through the [`GroupCommitter`], which puts many publishes and
//! cursor moves into one durable transaction.

mod committer;
mod redb_store;
mod segments;

pub use committer::{
    CommitConfig, CommitObserver, GroupCommitter, PendingCommit, LAZY_WRITE_DELAY, REOPEN_EVERY,
};
pub use redb_store::RedbStore;
#[cfg(test)]
use redb_store::SEGMENT_MIN_BATCH;

use cordon_common::ids::{ChannelName, MessageId, NodeId, OperationName};
use cordon_common::msg::{MessageKind, Priority};
use serde::{Deserialize, Serialize};

/// A delivery lane: one log and one stream per priority, so that `flash` overtakes a
/// routine backlog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lane {
    /// `flash` messages.
    Flash,
    /// `urgent` messages.
    Urgent,
    /// `routine` messages.
    Routine,
}

impl Lane {
    /// Every lane, highest priority first.
    pub const ALL: [Lane; 3] = [Lane::Flash, Lane::Urgent, Lane::Routine];

    /// The lane's number in keys: 0 flash, 1 urgent, 2 routine.
    pub fn as_u8(self) -> u8 {
        match self {
            Lane::Flash => 0,
            Lane::Urgent => 1,
            Lane::Routine => 2,
        }
    }

    /// The lane of a key number.
    pub fn from_u8(v: u8) -> Option<Self> {
        match v {
            0 => Some(Lane::Flash),
            1 => Some(Lane::Urgent),
            2 => Some(Lane::Routine),
            _ => None,
        }
    }
}

impl From<Priority> for Lane {
    fn from(p: Priority) -> Self {
        match p {
            Priority::Flash => Lane::Flash,
            Priority::Urgent => Lane::Urgent,
            Priority::Routine => Lane::Routine,
        }
    }
}

/// What the hub keeps about a message besides its envelope: the visible header's routing
/// fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageMeta {
    /// The message id.
    pub id: MessageId,
    /// Its kind.
    pub kind: MessageKind,
    /// Its operation.
    pub operation: OperationName,
    /// Its sender.
    pub sender: NodeId,
    /// Where it was addressed.
    pub to: Vec<ChannelName>,
    /// Its priority.
    pub priority: Priority,
    /// Created, ms since the epoch.
    pub created_at: u64,
    /// Expires, ms since the epoch.
    pub expires_at: u64,
    /// The message it answers.
    pub in_reply_to: Option<MessageId>,
    /// Envelope size, bytes.
    pub size: u32,
}

/// A message to store.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// Its metadata.
    pub meta: MessageMeta,
    /// The envelope, exactly as published.
    pub envelope: Vec<u8>,
    /// The channels whose logs it is appended to.
    pub deliver_on: Vec<ChannelName>,
}

/// One position in a channel's lane log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogEntry {
    /// Position in the log, from 1.
    pub seq: u64,
    /// The message.
    pub id: MessageId,
    /// When it expires (not delivered after).
    pub expires_at: u64,
}

/// What storing one message did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitOutcome {
    /// Stored durably at these log positions.
    Stored {
        /// (channel, lane, seq) per destination.
        entries: Vec<(ChannelName, Lane, u64)>,
    },
    /// The store already held this id (also within the same batch); nothing changed.
    Duplicate,
}

/// A cursor move: `node` has acknowledged everything up to `seq` in (channel, lane).
pub type CursorUpdate = (NodeId, ChannelName, Lane, u64);

/// A small named value set in a commit (the audit log's head): key, value.
pub type ValueUpdate = (String, Vec<u8>);

/// A node the hub has seen, with its certificate and verified key bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeRecord {
    /// The node.
    pub node_id: NodeId,
    /// Its latest certificate, DER.
    #[serde(with = "serde_bytes")]
    pub cert_der: Vec<u8>,
    /// Its signed key bundle, verified against that certificate.
    #[serde(with = "serde_bytes")]
    pub bundle: Option<Vec<u8>>,
    /// First connection, ms since the epoch.
    pub first_seen_ms: u64,
    /// Latest connection, ms since the epoch.
    pub last_seen_ms: u64,
}

/// The store failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database reported an error (corruption, a refused open, ...).
    #[error("database: {0}")]
    Db(String),
    /// The database file could not be read or written (a full disk, a failing one): the
    /// store takes nothing more until it is reopened ([`Store::reopen`]), which the group
    /// committer tries by itself.
    #[error("database I/O: {0}")]
    Io(String),
    /// A stored record does not decode: the file was edited or is corrupt.
    #[error("corrupt record in {table}: {detail}")]
    Corrupt {
        /// The table.
        table: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// The store file has reached its configured quota; publishes are refused until an
    /// operator frees space (purge, raise `limits.store_quota_bytes`).
    #[error(
        "store quota of {quota} bytes reached ({size} bytes used); an operator must purge \
         closed operations or raise limits.store_quota_bytes"
    )]
    QuotaExceeded {
        /// The quota.
        quota: u64,
        /// The file size.
        size: u64,
    },
    /// The group committer has stopped (the hub is shutting down).
    #[error("the committer has stopped")]
    Stopped,
}

/// The hub's durable state. Every method blocks; call it from a blocking thread.
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Store a batch of messages, cursor moves and named values in one durable transaction. Returns
    /// one outcome per message, in order. Nothing is visible or acknowledged before the
    /// transaction is on disk.
    fn commit_batch(
        &self,
        messages: &[NewMessage],
        cursors: &[CursorUpdate],
        values: &[ValueUpdate],
    ) -> Result<Vec<CommitOutcome>, StoreError>;

    /// Whether a message with this id is stored (or was, and is purged).
    fn contains(&self, id: &MessageId) -> Result<bool, StoreError>;

    /// A stored message's metadata.
    fn meta(&self, id: &MessageId) -> Result<Option<MessageMeta>, StoreError>;

    /// A stored message's envelope (`None` once purged).
    fn envelope(&self, id: &MessageId) -> Result<Option<Vec<u8>>, StoreError>;

    /// Up to `limit` entries of a lane log after position `after`, in order.
    fn read_log(
        &self,
        channel: &ChannelName,
        lane: Lane,
        after: u64,
        limit: usize,
    ) -> Result<Vec<LogEntry>, StoreError>;

    /// The last position of a lane log (0 if empty).
    fn log_head(&self, channel: &ChannelName, lane: Lane) -> Result<u64, StoreError>;

    /// A node's cursor in a lane log (0 if it has acknowledged nothing).
    fn cursor(&self, node: &NodeId, channel: &ChannelName, lane: Lane) -> Result<u64, StoreError>;

    /// Remember a node (certificate, bundle, times).
    fn put_node(&self, record: &NodeRecord) -> Result<(), StoreError>;

    /// Every node remembered.
    fn nodes(&self) -> Result<Vec<NodeRecord>, StoreError>;

    /// Delete the envelopes, metadata and log entries of every message of `operation`
    /// created before `cutoff_ms`. Their ids stay known, so a replay is still a
    /// duplicate. Returns how many messages were purged.
    fn purge_operation(&self, operation: &OperationName, cutoff_ms: u64)
        -> Result<u64, StoreError>;

    /// A small named value.
    fn meta_value(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Whether the store has met an I/O error ([`StoreError::Io`]) and takes nothing
    /// until [`Store::reopen`] succeeds.
    fn failed(&self) -> bool {
        false
    }

    /// After an I/O error, close the store and open it again; `Ok` once it works again
    /// (at once when it has not failed). Fails while the cause lasts (the disk still
    /// full): call it again later.
    fn reopen(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests;
