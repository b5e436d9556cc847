//! The node's durable store: one redb file, `node.redb`, in the data directory.
//!
//! | table | key | value |
//! |---|---|---|
//! | `sent` | message id | [`SentRecord`]: what this node sent (or is sending), its state, the sealed envelope, whom it was sealed to |
//! | `outbox` | (priority rank, message id) | created-at: the [`SentRecord`]s not yet settled by the hub, flash first, then by id (UUIDv7: by time) |
//! | `inbox` | message id | [`InboxRecord`]: verified, opened messages; the id makes it a set, so a message is stored once |
//! | `inbox_order` | local sequence | message id: arrival order, for listing and following |
//! | `receipts` | (message id, node id) | [`ReceiptRecord`]: receipts received for messages this node sent |
//! | `refusals` | local sequence | [`RefusalRecord`]: envelopes refused, with the reason (the local audit) |
//! | `meta` | name | counter |
//! | `pins` | name | what this node has seen and must not go back on: the newest signed roster (`roster`), the newest key bundle time per node (`bundle/<ID>`, u64 big-endian) |
//!
//! Every method is one transaction, committed with fsync before it returns. The methods
//! block: call them from `spawn_blocking`. Values are MessagePack maps (named fields) so
//! that later versions can add fields.

use std::path::Path;

use cordon_common::identity::NodeIdentity;
use cordon_common::ids::{ChannelName, Fingerprint, MessageId, NodeId, OperationName, Role};
use cordon_common::msg::{MessageKind, Priority, ReceiptStatus, Tlp};
use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

mod ids;
mod withdraw;

pub use self::ids::IdMatch;
pub use self::withdraw::{CancelOutcome, ResendOutcome};

type Id = [u8; 16];

const SENT: TableDefinition<Id, &[u8]> = TableDefinition::new("sent");
const OUTBOX: TableDefinition<(u8, Id), u64> = TableDefinition::new("outbox");
const INBOX: TableDefinition<Id, &[u8]> = TableDefinition::new("inbox");
const INBOX_ORDER: TableDefinition<u64, Id> = TableDefinition::new("inbox_order");
const RECEIPTS: TableDefinition<(Id, &str), &[u8]> = TableDefinition::new("receipts");
const REFUSALS: TableDefinition<u64, &[u8]> = TableDefinition::new("refusals");
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const PINS: TableDefinition<&str, &[u8]> = TableDefinition::new("pins");

const INBOX_SEQ: &str = "inbox_seq";
const REFUSAL_SEQ: &str = "refusal_seq";

/// The store failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database could not be opened (locked by another process, unreadable, ...).
    #[error("cannot open the node store {path}: {message}")]
    Open {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
    /// A transaction failed.
    #[error("node store: {0}")]
    Db(String),
    /// A stored value does not decode.
    #[error("node store: corrupt {table} record: {message}")]
    Corrupt {
        /// The table.
        table: &'static str,
        /// The decoder's words.
        message: String,
    },
    /// A record with this id exists already.
    #[error("message {0} exists already")]
    Exists(MessageId),
}

fn dberr<E: Into<redb::Error>>(e: E) -> StoreError {
    StoreError::Db(e.into().to_string())
}

fn encode<T: Serialize>(v: &T) -> Result<Vec<u8>, StoreError> {
    rmp_serde::to_vec_named(v).map_err(|e| StoreError::Db(format!("cannot encode a record: {e}")))
}

fn decode<T: DeserializeOwned>(table: &'static str, bytes: &[u8]) -> Result<T, StoreError> {
    rmp_serde::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        table,
        message: e.to_string(),
    })
}

/// Where an outgoing message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SendState {
    /// Written by the officer; not sealed yet (waiting for the hub's directory).
    Draft,
    /// Sealed; the envelope is kept and published until the hub acknowledges it.
    Sealed,
    /// The hub stored it durably (or already held it): it will be delivered.
    Stored,
    /// Refused by the hub (`denied`, `invalid`) or expired before it could be sent.
    Failed,
    /// Withdrawn by an officer before it was ever published; never sent.
    Cancelled,
}

impl SendState {
    /// The state's name as shown to officers.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Sealed => "sealed",
            Self::Stored => "stored",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    /// Whether it is settled (no more sending): by the hub, or withdrawn.
    pub fn is_settled(self) -> bool {
        matches!(self, Self::Stored | Self::Failed | Self::Cancelled)
    }
}

/// A message this node sends: officer messages and receipts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentRecord {
    /// Its id.
    pub id: MessageId,
    /// Its kind.
    pub kind: MessageKind,
    /// The operation.
    pub operation: OperationName,
    /// The destinations: one operation channel or direct channels.
    pub to: Vec<ChannelName>,
    /// Priority.
    pub priority: Priority,
    /// Handling marking.
    pub tlp: Tlp,
    /// Created, ms since the epoch.
    pub created_at: u64,
    /// Expires, ms since the epoch.
    pub expires_at: u64,
    /// The message it answers.
    pub in_reply_to: Option<MessageId>,
    /// The body, MessagePack (the plaintext; never leaves the node unsealed).
    #[serde(with = "serde_bytes")]
    pub body: Vec<u8>,
    /// Where it stands.
    pub state: SendState,
    /// The hub's reason for a failure, or why it is still waiting.
    pub reason: Option<String>,
    /// The sealed envelope, once sealed: every resend is these exact bytes.
    #[serde(default, with = "serde_bytes")]
    pub envelope: Option<Vec<u8>>,
    /// The nodes (other than this one) the content key was wrapped for.
    #[serde(default)]
    pub sealed_to: Vec<NodeId>,
    /// Readers the message could not be sealed to, with why.
    #[serde(default)]
    pub not_sealed_to: Vec<(NodeId, String)>,
    /// Publish attempts so far.
    #[serde(default)]
    pub attempts: u32,
    /// Last change, ms since the epoch.
    pub updated_at: u64,
    /// Its link with resends to readers who joined late.
    #[serde(default)]
    pub resend: ResendLink,
}

/// How a message and its resends to new readers are linked (`cordon-node resend ID
/// --to-new-readers`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResendLink {
    /// This message is a resend of that one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub of: Option<MessageId>,
    /// Readers the earlier message(s) were sealed to: a resend is sealed to the
    /// channel's other readers only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<NodeId>,
    /// The resend made of this message, if any (a message is resent once; resend the
    /// resend to reach readers who joined after it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resent_as: Option<MessageId>,
}

impl SentRecord {
    fn rank(&self) -> u8 {
        match self.priority {
            Priority::Flash => 0,
            Priority::Urgent => 1,
            Priority::Routine => 2,
        }
    }

    /// Its place in the outbox.
    pub fn outbox_key(&self) -> OutboxKey {
        OutboxKey(self.rank(), *self.id.as_bytes())
    }
}

/// A place in the outbox: priority rank (flash first), then message id (UUIDv7: oldest
/// first). Ordered as the outbox is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct OutboxKey(u8, Id);

/// A verified and opened message in the inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxRecord {
    /// Local arrival number (1, 2, ...).
    pub seq: u64,
    /// Message id.
    pub id: MessageId,
    /// Kind.
    pub kind: MessageKind,
    /// Operation.
    pub operation: OperationName,
    /// The channel it was delivered on.
    pub channel: ChannelName,
    /// The header's destinations.
    pub to: Vec<ChannelName>,
    /// Sender node.
    pub sender: NodeId,
    /// Sender's role, from its verified certificate.
    pub sender_role: Role,
    /// Sender's organisation, from its verified certificate.
    pub sender_organisation: String,
    /// Sender's country, from its verified certificate.
    pub sender_country: Option<String>,
    /// Fingerprint of the sender's certificate.
    pub sender_fingerprint: Fingerprint,
    /// Created, ms.
    pub created_at: u64,
    /// Expires, ms.
    pub expires_at: u64,
    /// Priority.
    pub priority: Priority,
    /// Handling marking.
    pub tlp: Tlp,
    /// The message it answers.
    pub in_reply_to: Option<MessageId>,
    /// When this node stored it, ms.
    pub received_at: u64,
    /// The decoded, validated body, MessagePack.
    #[serde(with = "serde_bytes")]
    pub body: Vec<u8>,
    /// When an officer first showed it, ms.
    pub read_at: Option<u64>,
    /// When an officer acknowledged it, ms.
    pub acked_at: Option<u64>,
}

impl InboxRecord {
    /// Fill the sender fields from its verified certificate.
    pub fn set_sender(&mut self, signer: &NodeIdentity) {
        self.sender = signer.node_id.clone();
        self.sender_role = signer.role;
        self.sender_organisation = signer.organisation.clone();
        self.sender_country = signer.country.clone();
        self.sender_fingerprint = signer.fingerprint;
    }
}

/// What one recipient reported about a message this node sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptRecord {
    /// Delivered (stored on the recipient's node), ms, as the recipient says.
    pub delivered_at: Option<u64>,
    /// Shown to an officer, ms.
    pub read_at: Option<u64>,
    /// Acknowledged by an officer, ms.
    pub acked_at: Option<u64>,
}

impl ReceiptRecord {
    fn merge(&mut self, status: ReceiptStatus, at: u64) {
        let slot = match status {
            ReceiptStatus::Delivered => &mut self.delivered_at,
            ReceiptStatus::Read => &mut self.read_at,
            ReceiptStatus::Acknowledged => &mut self.acked_at,
        };
        if slot.is_none_or(|old| at < old) {
            *slot = Some(at);
        }
    }
}

/// An envelope this node refused, with why: the local audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusalRecord {
    /// Local number.
    pub seq: u64,
    /// When, ms.
    pub at: u64,
    /// Channel it was delivered on.
    pub channel: ChannelName,
    /// Its position there (the hub's).
    pub hub_seq: u64,
    /// Its id, if the header decoded.
    pub id: Option<MessageId>,
    /// The claimed sender, if the header decoded.
    pub sender: Option<NodeId>,
    /// The claimed kind, if the header decoded.
    pub kind: Option<MessageKind>,
    /// Why it was refused.
    pub reason: String,
    /// Envelope size, bytes.
    pub size: u64,
}

/// One processed delivery, to be committed with others.
#[derive(Debug, Clone)]
pub enum Received {
    /// A message for the inbox, and the `delivered` receipt to queue with it.
    Message {
        /// The record (its `seq` is assigned on commit).
        record: Box<InboxRecord>,
        /// The receipt draft, queued only if the message is new.
        receipt: Option<Box<SentRecord>>,
    },
    /// A receipt for one or more messages this node sent.
    Receipt {
        /// The messages it is for.
        message_ids: Vec<MessageId>,
        /// Who sent the receipt.
        from: NodeId,
        /// What it says.
        status: ReceiptStatus,
        /// When, ms.
        at: u64,
    },
    /// A refused envelope (its `seq` is assigned on commit).
    Refused(RefusalRecord),
    /// Nothing to store (this node's own message coming back on a channel).
    Ignored,
}

/// What committing one [`Received`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitOutcome {
    /// A new inbox message, with its local sequence.
    Stored(u64),
    /// The inbox already held this id.
    Duplicate,
    /// A receipt was recorded (for at least one of its messages).
    Receipt,
    /// A receipt for no message that this node sent to its signer, dropped.
    UnknownReceipt,
    /// A refusal was recorded.
    Refused,
    /// Nothing was stored.
    Ignored,
}

/// Which inbox messages to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InboxFilter {
    /// Only messages delivered on this channel.
    pub channel: Option<ChannelName>,
    /// Only this kind.
    pub kind: Option<MessageKind>,
    /// Only messages no officer has shown yet.
    pub unread: bool,
    /// Only messages with a local sequence above this.
    pub after: u64,
}

impl InboxFilter {
    fn matches(&self, r: &InboxRecord) -> bool {
        self.channel.as_ref().is_none_or(|c| *c == r.channel)
            && self.kind.is_none_or(|k| k == r.kind)
            && (!self.unread || r.read_at.is_none())
    }
}

/// What marking a message read or acknowledged did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MarkOutcome {
    /// Marked now; the receipt was queued.
    Marked(Box<InboxRecord>),
    /// It was marked before; nothing queued.
    Already(Box<InboxRecord>),
    /// No such inbox message.
    NotFound,
}

/// Which mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// Shown to an officer.
    Read,
    /// Acknowledged by an officer (implies read).
    Acknowledged,
}

/// Creates the store file (if missing) readable and writable by its owner only, whatever
/// the umask, and tightens an existing one: it holds plaintext (drafts and the opened
/// inbox). redb initialises an empty file as a new database.
fn create_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)?;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
}

/// The node's redb store.
#[derive(Debug)]
pub struct Store {
    db: Database,
}

impl Store {
    /// Open (or create) the store file and its tables.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let open_err = |m: String| StoreError::Open {
            path: path.display().to_string(),
            message: m,
        };
        create_private(path).map_err(|e| open_err(e.to_string()))?;
        let db = Database::create(path).map_err(|e| open_err(e.to_string()))?;
        let tx = db.begin_write().map_err(|e| open_err(e.to_string()))?;
        {
            tx.open_table(SENT).map_err(dberr)?;
            tx.open_table(OUTBOX).map_err(dberr)?;
            tx.open_table(INBOX).map_err(dberr)?;
            tx.open_table(INBOX_ORDER).map_err(dberr)?;
            tx.open_table(RECEIPTS).map_err(dberr)?;
            tx.open_table(REFUSALS).map_err(dberr)?;
            tx.open_table(META).map_err(dberr)?;
            tx.open_table(PINS).map_err(dberr)?;
        }
        tx.commit().map_err(|e| open_err(e.to_string()))?;
        Ok(Self { db })
    }

    /// Write new drafts durably and queue them in the outbox.
    pub fn put_drafts(&self, drafts: &[SentRecord]) -> Result<(), StoreError> {
        let tx = self.db.begin_write().map_err(dberr)?;
        {
            let mut sent = tx.open_table(SENT).map_err(dberr)?;
            let mut outbox = tx.open_table(OUTBOX).map_err(dberr)?;
            for d in drafts {
                let id = *d.id.as_bytes();
                if sent.get(id).map_err(dberr)?.is_some() {
                    return Err(StoreError::Exists(d.id));
                }
                sent.insert(id, encode(d)?.as_slice()).map_err(dberr)?;
                outbox.insert((d.rank(), id), d.created_at).map_err(dberr)?;
            }
        }
        tx.commit().map_err(dberr)
    }

    /// Up to `limit` unsettled outgoing messages, flash first, oldest first.
    pub fn outbox(&self, limit: usize) -> Result<Vec<SentRecord>, StoreError> {
        self.outbox_after(None, limit)
    }

    /// Up to `limit` unsettled outgoing messages in outbox order (flash first, oldest
    /// first), starting after `after`, or at the front when it is `None`.
    pub fn outbox_after(
        &self,
        after: Option<OutboxKey>,
        limit: usize,
    ) -> Result<Vec<SentRecord>, StoreError> {
        use std::ops::Bound;
        let tx = self.db.begin_read().map_err(dberr)?;
        let outbox = tx.open_table(OUTBOX).map_err(dberr)?;
        let sent = tx.open_table(SENT).map_err(dberr)?;
        let start = match after {
            Some(OutboxKey(rank, id)) => Bound::Excluded((rank, id)),
            None => Bound::Unbounded,
        };
        let mut out = Vec::new();
        for row in outbox
            .range::<(u8, Id)>((start, Bound::Unbounded))
            .map_err(dberr)?
            .take(limit)
        {
            let (k, _) = row.map_err(dberr)?;
            let (_, id) = k.value();
            if let Some(v) = sent.get(id).map_err(dberr)? {
                out.push(decode("sent", v.value())?);
            }
        }
        Ok(out)
    }

    /// How many outgoing messages the hub has not settled.
    pub fn outbox_depth(&self) -> Result<u64, StoreError> {
        let tx = self.db.begin_read().map_err(dberr)?;
        let outbox = tx.open_table(OUTBOX).map_err(dberr)?;
        outbox.len().map_err(dberr)
    }

    /// Write back changed outgoing messages; settled ones leave the outbox.
    pub fn update_sent(&self, records: &[SentRecord]) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        let tx = self.db.begin_write().map_err(dberr)?;
        {
            let mut sent = tx.open_table(SENT).map_err(dberr)?;
            let mut outbox = tx.open_table(OUTBOX).map_err(dberr)?;
            for r in records {
                let id = *r.id.as_bytes();
                // A withdrawn message stays withdrawn, whatever a pass that read it
                // before thinks of it (see `in_flight`).
                let withdrawn = match sent.get(id).map_err(dberr)? {
                    Some(v) => {
                        decode::<SentRecord>("sent", v.value())?.state == SendState::Cancelled
                    }
                    None => false,
                };
                if withdrawn {
                    continue;
                }
                sent.insert(id, encode(r)?.as_slice()).map_err(dberr)?;
                if r.state.is_settled() {
                    outbox.remove((r.rank(), id)).map_err(dberr)?;
                }
            }
        }
        tx.commit().map_err(dberr)
    }

    /// An outgoing message by id.
    pub fn sent(&self, id: &MessageId) -> Result<Option<SentRecord>, StoreError> {
        let tx = self.db.begin_read().map_err(dberr)?;
        let sent = tx.open_table(SENT).map_err(dberr)?;
        match sent.get(*id.as_bytes()).map_err(dberr)? {
            Some(v) => Ok(Some(decode("sent", v.value())?)),
            None => Ok(None),
        }
    }

    /// The newest outgoing messages, newest first, receipts left out unless asked.
    pub fn list_sent(
        &self,
        limit: usize,
        with_receipts: bool,
    ) -> Result<Vec<SentRecord>, StoreError> {
        let tx = self.db.begin_read().map_err(dberr)?;
        let sent = tx.open_table(SENT).map_err(dberr)?;
        let mut out = Vec::new();
        for row in sent.iter().map_err(dberr)?.rev() {
            if out.len() >= limit {
                break;
            }
            let (_, v) = row.map_err(dberr)?;
            let r: SentRecord = decode("sent", v.value())?;
            if with_receipts || r.kind != MessageKind::Receipt {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// Commit a batch of processed deliveries in one transaction: new inbox messages
    /// with their receipt drafts, receipts received, refusals. Only after this returns
    /// may the deliveries be acknowledged to the hub. The `delivered` receipts of the
    /// batch's new messages are coalesced: one receipt per sender, operation, priority
    /// and marking ([`receipts::coalesce`](crate::receipts::coalesce)). A receipt is
    /// recorded only for messages this node sealed to the receipt's signer.
    pub fn commit_received(&self, batch: Vec<Received>) -> Result<Vec<CommitOutcome>, StoreError> {
        let mut outcomes = Vec::with_capacity(batch.len());
        let tx = self.db.begin_write().map_err(dberr)?;
        {
            let mut inbox = tx.open_table(INBOX).map_err(dberr)?;
            let mut order = tx.open_table(INBOX_ORDER).map_err(dberr)?;
            let mut sent = tx.open_table(SENT).map_err(dberr)?;
            let mut outbox = tx.open_table(OUTBOX).map_err(dberr)?;
            let mut receipts = tx.open_table(RECEIPTS).map_err(dberr)?;
            let mut refusals = tx.open_table(REFUSALS).map_err(dberr)?;
            let mut meta = tx.open_table(META).map_err(dberr)?;
            let mut inbox_seq = meta.get(INBOX_SEQ).map_err(dberr)?.map_or(0, |g| g.value());
            let mut refusal_seq = meta
                .get(REFUSAL_SEQ)
                .map_err(dberr)?
                .map_or(0, |g| g.value());
            let mut due: Vec<SentRecord> = Vec::new();
            for item in batch {
                let outcome = match item {
                    Received::Message {
                        mut record,
                        receipt,
                    } => {
                        let id = *record.id.as_bytes();
                        if inbox.get(id).map_err(dberr)?.is_some() {
                            CommitOutcome::Duplicate
                        } else {
                            inbox_seq += 1;
                            record.seq = inbox_seq;
                            inbox
                                .insert(id, encode(&*record)?.as_slice())
                                .map_err(dberr)?;
                            order.insert(inbox_seq, id).map_err(dberr)?;
                            due.extend(receipt.map(|r| *r));
                            CommitOutcome::Stored(inbox_seq)
                        }
                    }
                    Received::Receipt {
                        message_ids,
                        from,
                        status,
                        at,
                    } => {
                        let mut recorded = false;
                        for message_id in message_ids {
                            let id = *message_id.as_bytes();
                            let original: Option<SentRecord> = match sent.get(id).map_err(dberr)? {
                                Some(v) => Some(decode("sent", v.value())?),
                                None => None,
                            };
                            // Only a node the message was sealed to can have received it.
                            if !original.is_some_and(|o| o.sealed_to.contains(&from)) {
                                continue;
                            }
                            let key = (id, from.as_str());
                            let mut rec: ReceiptRecord = match receipts.get(key).map_err(dberr)? {
                                Some(v) => decode("receipts", v.value())?,
                                None => ReceiptRecord::default(),
                            };
                            rec.merge(status, at);
                            receipts
                                .insert(key, encode(&rec)?.as_slice())
                                .map_err(dberr)?;
                            recorded = true;
                        }
                        if recorded {
                            CommitOutcome::Receipt
                        } else {
                            CommitOutcome::UnknownReceipt
                        }
                    }
                    Received::Refused(mut r) => {
                        refusal_seq += 1;
                        r.seq = refusal_seq;
                        refusals
                            .insert(refusal_seq, encode(&r)?.as_slice())
                            .map_err(dberr)?;
                        CommitOutcome::Refused
                    }
                    Received::Ignored => CommitOutcome::Ignored,
                };
                outcomes.push(outcome);
            }
            for r in crate::receipts::coalesce(due) {
                let rid = *r.id.as_bytes();
                sent.insert(rid, encode(&r)?.as_slice()).map_err(dberr)?;
                outbox
                    .insert((r.rank(), rid), r.created_at)
                    .map_err(dberr)?;
            }
            meta.insert(INBOX_SEQ, inbox_seq).map_err(dberr)?;
            meta.insert(REFUSAL_SEQ, refusal_seq).map_err(dberr)?;
        }
        tx.commit().map_err(dberr)?;
        Ok(outcomes)
    }

    /// An inbox message by id.
    pub fn inbox_get(&self, id: &MessageId) -> Result<Option<InboxRecord>, StoreError> {
        let tx = self.db.begin_read().map_err(dberr)?;
        let inbox = tx.open_table(INBOX).map_err(dberr)?;
        match inbox.get(*id.as_bytes()).map_err(dberr)? {
            Some(v) => Ok(Some(decode("inbox", v.value())?)),
            None => Ok(None),
        }
    }

    /// Inbox messages matching `filter`, in arrival order, at most `limit`.
    pub fn inbox_list(
        &self,
        filter: &InboxFilter,
        limit: usize,
    ) -> Result<Vec<InboxRecord>, StoreError> {
        let tx = self.db.begin_read().map_err(dberr)?;
        let inbox = tx.open_table(INBOX).map_err(dberr)?;
        let order = tx.open_table(INBOX_ORDER).map_err(dberr)?;
        let mut out = Vec::new();
        let start = filter.after.saturating_add(1);
        for row in order.range(start..).map_err(dberr)? {
            if out.len() >= limit {
                break;
            }
            let (_, id) = row.map_err(dberr)?;
            if let Some(v) = inbox.get(id.value()).map_err(dberr)? {
                let r: InboxRecord = decode("inbox", v.value())?;
                if filter.matches(&r) {
                    out.push(r);
                }
            }
        }
        Ok(out)
    }

    /// The pinned values named `names` (see the `pins` table), `None` where unset.
    pub fn pins(&self, names: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        let tx = self.db.begin_read().map_err(dberr)?;
        let pins = tx.open_table(PINS).map_err(dberr)?;
        names
            .iter()
            .map(|n| {
                pins.get(n.as_str())
                    .map(|v| v.map(|g| g.value().to_vec()))
                    .map_err(dberr)
            })
            .collect()
    }

    /// Set pinned values, all in one transaction.
    pub fn set_pins(&self, values: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        if values.is_empty() {
            return Ok(());
        }
        let tx = self.db.begin_write().map_err(dberr)?;
        {
            let mut pins = tx.open_table(PINS).map_err(dberr)?;
            for (name, value) in values {
                pins.insert(name.as_str(), value.as_slice())
                    .map_err(dberr)?;
            }
        }
        tx.commit().map_err(dberr)
    }

    /// The highest local inbox sequence (0 when empty).
    pub fn inbox_head(&self) -> Result<u64, StoreError> {
        let tx = self.db.begin_read().map_err(dberr)?;
        let meta = tx.open_table(META).map_err(dberr)?;
        Ok(meta.get(INBOX_SEQ).map_err(dberr)?.map_or(0, |g| g.value()))
    }

    /// Mark an inbox message read or acknowledged at `now`, and, the first time, queue
    /// the receipt that `receipt` builds for it, in the same transaction.
    pub fn mark(
        &self,
        id: &MessageId,
        mark: Mark,
        now: u64,
        receipt: impl FnOnce(&InboxRecord) -> Option<SentRecord>,
    ) -> Result<MarkOutcome, StoreError> {
        let tx = self.db.begin_write().map_err(dberr)?;
        let outcome = {
            let mut inbox = tx.open_table(INBOX).map_err(dberr)?;
            let key = *id.as_bytes();
            let found: Option<InboxRecord> = match inbox.get(key).map_err(dberr)? {
                Some(v) => Some(decode("inbox", v.value())?),
                None => None,
            };
            match found {
                None => MarkOutcome::NotFound,
                Some(mut r) => {
                    let first = match mark {
                        Mark::Read => r.read_at.is_none(),
                        Mark::Acknowledged => r.acked_at.is_none(),
                    };
                    if !first {
                        MarkOutcome::Already(Box::new(r))
                    } else {
                        if r.read_at.is_none() {
                            r.read_at = Some(now);
                        }
                        if mark == Mark::Acknowledged {
                            r.acked_at = Some(now);
                        }
                        inbox.insert(key, encode(&r)?.as_slice()).map_err(dberr)?;
                        if let Some(d) = receipt(&r) {
                            let mut sent = tx.open_table(SENT).map_err(dberr)?;
                            let mut outbox = tx.open_table(OUTBOX).map_err(dberr)?;
                            let rid = *d.id.as_bytes();
                            sent.insert(rid, encode(&d)?.as_slice()).map_err(dberr)?;
                            outbox
                                .insert((d.rank(), rid), d.created_at)
                                .map_err(dberr)?;
                        }
                        MarkOutcome::Marked(Box::new(r))
                    }
                }
            }
        };
        tx.commit().map_err(dberr)?;
        Ok(outcome)
    }

    /// Receipts received for a message this node sent, by recipient.
    pub fn receipts_for(&self, id: &MessageId) -> Result<Vec<(NodeId, ReceiptRecord)>, StoreError> {
        let tx = self.db.begin_read().map_err(dberr)?;
        let receipts = tx.open_table(RECEIPTS).map_err(dberr)?;
        let key = *id.as_bytes();
        let mut out = Vec::new();
        for row in receipts.range((key, "")..).map_err(dberr)? {
            let (k, v) = row.map_err(dberr)?;
            let (kid, node) = k.value();
            if kid != key {
                break;
            }
            let Ok(node) = node.parse::<NodeId>() else {
                continue;
            };
            out.push((node, decode("receipts", v.value())?));
        }
        Ok(out)
    }

    /// The newest refusals, newest first.
    pub fn refusals(&self, limit: usize) -> Result<Vec<RefusalRecord>, StoreError> {
        let tx = self.db.begin_read().map_err(dberr)?;
        let t = tx.open_table(REFUSALS).map_err(dberr)?;
        let mut out = Vec::new();
        for row in t.iter().map_err(dberr)?.rev().take(limit) {
            let (_, v) = row.map_err(dberr)?;
            out.push(decode("refusals", v.value())?);
        }
        Ok(out)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    pub(crate) fn draft(kind: MessageKind, priority: Priority) -> SentRecord {
        SentRecord {
            id: MessageId::new_v7(),
            kind,
            operation: "cosmo-2".parse().unwrap(),
            to: vec!["op/cosmo-2/alerts".parse().unwrap()],
            priority,
            tlp: Tlp::Amber,
            created_at: 1_000,
            expires_at: 2_000,
            in_reply_to: None,
            body: vec![0x80],
            state: SendState::Draft,
            reason: None,
            envelope: None,
            sealed_to: vec![],
            not_sealed_to: vec![],
            attempts: 0,
            updated_at: 1_000,
            resend: ResendLink::default(),
        }
    }

    pub(crate) fn inbox_record(id: MessageId, channel: &str) -> InboxRecord {
        InboxRecord {
            seq: 0,
            id,
            kind: MessageKind::Alert,
            operation: "cosmo-2".parse().unwrap(),
            channel: channel.parse().unwrap(),
            to: vec![channel.parse().unwrap()],
            sender: "RILO-WE".parse().unwrap(),
            sender_role: Role::Rilo,
            sender_organisation: "WCO RILO Western Europe".into(),
            sender_country: None,
            sender_fingerprint: Fingerprint([7; 32]),
            created_at: 1,
            expires_at: u64::MAX,
            priority: Priority::Routine,
            tlp: Tlp::Amber,
            in_reply_to: None,
            received_at: 5,
            body: vec![0x80],
            read_at: None,
            acked_at: None,
        }
    }

    fn open() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("node.redb")).unwrap();
        (dir, s)
    }

    #[test]
    fn drafts_round_trip_and_outbox_order_is_flash_first() {
        let (_d, s) = open();
        let a = draft(MessageKind::Alert, Priority::Routine);
        let b = draft(MessageKind::Notice, Priority::Flash);
        let c = draft(MessageKind::Alert, Priority::Routine);
        s.put_drafts(&[a.clone(), b.clone(), c.clone()]).unwrap();
        assert_eq!(s.sent(&a.id).unwrap().unwrap(), a);
        let ids: Vec<_> = s.outbox(10).unwrap().into_iter().map(|r| r.id).collect();
        assert_eq!(ids, vec![b.id, a.id, c.id]);
        assert_eq!(s.outbox_depth().unwrap(), 3);
        assert!(
            matches!(s.put_drafts(std::slice::from_ref(&a)), Err(StoreError::Exists(id)) if id == a.id)
        );
    }

    #[test]
    fn the_outbox_is_read_in_pages_after_a_key() {
        let (_d, s) = open();
        let routine: Vec<_> = (0..3)
            .map(|_| draft(MessageKind::Alert, Priority::Routine))
            .collect();
        let flash = draft(MessageKind::Notice, Priority::Flash);
        s.put_drafts(&routine).unwrap();
        s.put_drafts(std::slice::from_ref(&flash)).unwrap();
        let ids = |v: Vec<SentRecord>| v.into_iter().map(|r| r.id).collect::<Vec<_>>();
        let first = s.outbox_after(None, 2).unwrap();
        assert_eq!(ids(first.clone()), vec![flash.id, routine[0].id]);
        let next = s.outbox_after(Some(first[1].outbox_key()), 10).unwrap();
        assert_eq!(ids(next), vec![routine[1].id, routine[2].id]);
        let last = s.outbox_after(Some(routine[2].outbox_key()), 10).unwrap();
        assert!(last.is_empty());
        assert!(flash.outbox_key() < routine[0].outbox_key());
    }

    #[test]
    fn settled_messages_leave_the_outbox_but_stay_in_sent() {
        let (_d, s) = open();
        let mut a = draft(MessageKind::Alert, Priority::Urgent);
        s.put_drafts(std::slice::from_ref(&a)).unwrap();
        a.state = SendState::Sealed;
        a.envelope = Some(vec![1, 2, 3]);
        s.update_sent(&[a.clone()]).unwrap();
        assert_eq!(s.outbox_depth().unwrap(), 1);
        assert_eq!(s.outbox(5).unwrap()[0].envelope, Some(vec![1, 2, 3]));
        a.state = SendState::Failed;
        a.reason = Some("denied: not a participant".into());
        s.update_sent(&[a.clone()]).unwrap();
        assert_eq!(s.outbox_depth().unwrap(), 0);
        let back = s.sent(&a.id).unwrap().unwrap();
        assert_eq!(back.state, SendState::Failed);
        assert_eq!(back.reason.as_deref(), Some("denied: not a participant"));
    }

    #[test]
    fn a_batch_from_one_sender_queues_one_coalesced_receipt() {
        let (_d, s) = open();
        let sender: NodeId = "BE-NCP".parse().unwrap();
        let op: OperationName = "cosmo-2".parse().unwrap();
        let ids: Vec<MessageId> = (0..5).map(|_| MessageId::new_v7()).collect();
        let batch = ids
            .iter()
            .map(|id| Received::Message {
                record: Box::new(inbox_record(*id, "op/cosmo-2/alerts")),
                receipt: Some(Box::new(
                    crate::receipts::draft(
                        crate::receipts::Original {
                            id: *id,
                            sender: &sender,
                            operation: &op,
                            priority: Priority::Routine,
                            tlp: Tlp::Amber,
                        },
                        ReceiptStatus::Delivered,
                        1_000,
                        60_000,
                    )
                    .unwrap(),
                )),
            })
            .collect();
        s.commit_received(batch).unwrap();
        assert_eq!(
            s.outbox_depth().unwrap(),
            1,
            "one receipt for five messages"
        );
        let queued = s.outbox(10).unwrap();
        let body = match cordon_common::msg::Message::decode(MessageKind::Receipt, &queued[0].body)
            .unwrap()
        {
            cordon_common::msg::Message::Receipt(r) => r,
            other => panic!("{other:?}"),
        };
        let got: Vec<MessageId> = body.message_ids().map(MessageId).collect();
        assert_eq!(got, ids);
    }

    #[test]
    fn inbox_dedups_by_id_and_queues_one_receipt() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.redb");
        let id = MessageId::new_v7();
        {
            let s = Store::open(&path).unwrap();
            let batch = |s: &Store| {
                s.commit_received(vec![Received::Message {
                    record: Box::new(inbox_record(id, "op/cosmo-2/alerts")),
                    receipt: Some(Box::new(draft(MessageKind::Receipt, Priority::Routine))),
                }])
                .unwrap()
            };
            assert_eq!(batch(&s), vec![CommitOutcome::Stored(1)]);
            assert_eq!(batch(&s), vec![CommitOutcome::Duplicate]);
            assert_eq!(s.outbox_depth().unwrap(), 1, "one delivered receipt only");
        }
        // Reopened: still there, still deduplicated, sequence continues.
        let s = Store::open(&path).unwrap();
        assert_eq!(s.inbox_get(&id).unwrap().unwrap().seq, 1);
        let other = MessageId::new_v7();
        let out = s
            .commit_received(vec![
                Received::Message {
                    record: Box::new(inbox_record(id, "op/cosmo-2/alerts")),
                    receipt: None,
                },
                Received::Message {
                    record: Box::new(inbox_record(other, "node/BE-NCP")),
                    receipt: None,
                },
            ])
            .unwrap();
        assert_eq!(
            out,
            vec![CommitOutcome::Duplicate, CommitOutcome::Stored(2)]
        );
        assert_eq!(s.inbox_head().unwrap(), 2);
    }

    #[test]
    fn inbox_filters() {
        let (_d, s) = open();
        let (a, b) = (MessageId::new_v7(), MessageId::new_v7());
        let mut rb = inbox_record(b, "node/BE-NCP");
        rb.kind = MessageKind::Tasking;
        s.commit_received(vec![
            Received::Message {
                record: Box::new(inbox_record(a, "op/cosmo-2/alerts")),
                receipt: None,
            },
            Received::Message {
                record: Box::new(rb),
                receipt: None,
            },
        ])
        .unwrap();
        let ids = |f: InboxFilter| -> Vec<MessageId> {
            s.inbox_list(&f, 100)
                .unwrap()
                .into_iter()
                .map(|r| r.id)
                .collect()
        };
        assert_eq!(ids(InboxFilter::default()), vec![a, b]);
        assert_eq!(
            ids(InboxFilter {
                kind: Some(MessageKind::Tasking),
                ..Default::default()
            }),
            vec![b]
        );
        assert_eq!(
            ids(InboxFilter {
                channel: Some("op/cosmo-2/alerts".parse().unwrap()),
                ..Default::default()
            }),
            vec![a]
        );
        assert_eq!(
            ids(InboxFilter {
                after: 1,
                ..Default::default()
            }),
            vec![b]
        );
        s.mark(&a, Mark::Read, 9, |_| None).unwrap();
        assert_eq!(
            ids(InboxFilter {
                unread: true,
                ..Default::default()
            }),
            vec![b]
        );
    }

    #[test]
    fn marks_queue_a_receipt_only_the_first_time() {
        let (_d, s) = open();
        let a = MessageId::new_v7();
        s.commit_received(vec![Received::Message {
            record: Box::new(inbox_record(a, "op/cosmo-2/alerts")),
            receipt: None,
        }])
        .unwrap();
        let r = || Some(draft(MessageKind::Receipt, Priority::Routine));
        assert!(matches!(
            s.mark(&a, Mark::Read, 10, |_| r()).unwrap(),
            MarkOutcome::Marked(_)
        ));
        assert!(matches!(
            s.mark(&a, Mark::Read, 11, |_| r()).unwrap(),
            MarkOutcome::Already(_)
        ));
        assert_eq!(s.outbox_depth().unwrap(), 1);
        match s.mark(&a, Mark::Acknowledged, 12, |_| r()).unwrap() {
            MarkOutcome::Marked(rec) => {
                assert_eq!(rec.read_at, Some(10));
                assert_eq!(rec.acked_at, Some(12));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(s.outbox_depth().unwrap(), 2);
        assert_eq!(
            s.mark(&MessageId::new_v7(), Mark::Read, 1, |_| r())
                .unwrap(),
            MarkOutcome::NotFound
        );
    }

    #[test]
    fn receipts_merge_per_recipient_and_unknown_ones_are_dropped() {
        let (_d, s) = open();
        let hu: NodeId = "HU-NCP".parse().unwrap();
        let be: NodeId = "BE-NCP".parse().unwrap();
        let mut sent = draft(MessageKind::Notice, Priority::Flash);
        sent.sealed_to = vec![hu.clone(), be.clone()];
        let mut other = draft(MessageKind::Notice, Priority::Flash);
        other.sealed_to = vec![hu.clone()];
        s.put_drafts(&[sent.clone(), other.clone()]).unwrap();
        let rcpt = |from: &NodeId, status, at| Received::Receipt {
            message_ids: vec![sent.id],
            from: from.clone(),
            status,
            at,
        };
        let out = s
            .commit_received(vec![
                rcpt(&hu, ReceiptStatus::Delivered, 5),
                rcpt(&hu, ReceiptStatus::Read, 7),
                rcpt(&be, ReceiptStatus::Delivered, 6),
                // An unknown id.
                Received::Receipt {
                    message_ids: vec![MessageId::new_v7()],
                    from: be.clone(),
                    status: ReceiptStatus::Read,
                    at: 1,
                },
                // BE was never sealed `other`: it cannot have received it.
                Received::Receipt {
                    message_ids: vec![other.id],
                    from: be.clone(),
                    status: ReceiptStatus::Delivered,
                    at: 2,
                },
                // One receipt for both: recorded for the one HU was sealed.
                Received::Receipt {
                    message_ids: vec![MessageId::new_v7(), other.id],
                    from: hu.clone(),
                    status: ReceiptStatus::Delivered,
                    at: 8,
                },
            ])
            .unwrap();
        assert_eq!(out[3], CommitOutcome::UnknownReceipt);
        assert_eq!(out[4], CommitOutcome::UnknownReceipt);
        assert_eq!(out[5], CommitOutcome::Receipt);
        assert_eq!(
            s.receipts_for(&other.id).unwrap(),
            vec![(
                hu.clone(),
                ReceiptRecord {
                    delivered_at: Some(8),
                    ..Default::default()
                }
            )]
        );
        let got = s.receipts_for(&sent.id).unwrap();
        assert_eq!(
            got,
            vec![
                (
                    be,
                    ReceiptRecord {
                        delivered_at: Some(6),
                        ..Default::default()
                    }
                ),
                (
                    hu,
                    ReceiptRecord {
                        delivered_at: Some(5),
                        read_at: Some(7),
                        acked_at: None
                    }
                ),
            ]
        );
    }

    #[test]
    fn refusals_are_numbered_and_listed_newest_first() {
        let (_d, s) = open();
        let refusal = |reason: &str| {
            Received::Refused(RefusalRecord {
                seq: 0,
                at: 1,
                channel: "op/cosmo-2/alerts".parse().unwrap(),
                hub_seq: 4,
                id: None,
                sender: None,
                kind: None,
                reason: reason.into(),
                size: 10,
            })
        };
        s.commit_received(vec![refusal("forged"), refusal("expired")])
            .unwrap();
        let r = s.refusals(10).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].seq, r[0].reason.as_str()), (2, "expired"));
    }
}
