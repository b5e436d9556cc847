//! The node's durable store: one redb file, `node.redb`, in the data directory.
//!
//! | table | key | value |
//! |---|---|---|
//! | `sent` | message id | [`SentRecord`]: what this node sent (or is sending), its state, the sealed envelope, whom it was sealed to |
//! | `outbox` | (priority rank, message id) | created-at: the [`SentRecord`]s not yet settled by the hub, flash first, then by id (UUIDv7: by time) |
//! | `inbox` | message id | [`InboxRecord`]: verified, opened messages; the id makes it a set, so a message is stored once |
//! | `inbox_order` | local sequence | message id: arrival order |
//! | `inbox_summary` | local sequence | [`InboxSummary`]: what an inbox line shows and the normalised search terms, for listing and search without reading the records |
//! | `inbox_text` | local sequence | the message's title and body text, lower case, for text search |
//! | `inbox_flash` | local sequence | (): the flash messages not yet acknowledged |
//! | `receipts` | (message id, node id) | [`ReceiptRecord`]: receipts received for messages this node sent |
//! | `refusals` | local sequence | [`RefusalRecord`]: envelopes refused, with the reason (the local audit) |
//! | `meta` | name | counter: the last inbox and refusal sequences, the unread and unacknowledged inbox messages, the summary format |
//! | `pins` | name | what this node has seen and must not go back on: the newest signed roster (`roster`), the newest key bundle time per node (`bundle/<ID>`, u64 big-endian) |
//!
//! Every method is one transaction, committed with fsync before it returns. The methods
//! block: call them from `spawn_blocking`. Values are MessagePack maps (named fields) so
//! that later versions can add fields, but for the summaries: they are derived from the
//! inbox records, written in the same transaction, and rebuilt from them when the file
//! has none or an older format (a store made before they existed, see [`Store::open`]).

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
use crate::inbox::{
    self, InboxCounts, InboxPosition, InboxQuery, InboxSummary, Matcher, QueryError, SummaryView,
};

type Id = [u8; 16];

const SENT: TableDefinition<Id, &[u8]> = TableDefinition::new("sent");
const OUTBOX: TableDefinition<(u8, Id), u64> = TableDefinition::new("outbox");
const INBOX: TableDefinition<Id, &[u8]> = TableDefinition::new("inbox");
const INBOX_ORDER: TableDefinition<u64, Id> = TableDefinition::new("inbox_order");
const INBOX_SUMMARY: TableDefinition<u64, &[u8]> = TableDefinition::new("inbox_summary");
const INBOX_TEXT: TableDefinition<u64, &[u8]> = TableDefinition::new("inbox_text");
const INBOX_FLASH: TableDefinition<u64, ()> = TableDefinition::new("inbox_flash");
const RECEIPTS: TableDefinition<(Id, &str), &[u8]> = TableDefinition::new("receipts");
const REFUSALS: TableDefinition<u64, &[u8]> = TableDefinition::new("refusals");
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const PINS: TableDefinition<&str, &[u8]> = TableDefinition::new("pins");

const INBOX_SEQ: &str = "inbox_seq";
const REFUSAL_SEQ: &str = "refusal_seq";
const INBOX_UNREAD: &str = "inbox_unread";
const INBOX_UNACKED: &str = "inbox_unacked";
const SUMMARY_FORMAT: &str = "inbox_summary_format";

/// The format of `inbox_summary` and `inbox_text`; a store with another (or none) has them
/// rebuilt from its inbox records when it is opened.
const SUMMARY_VERSION: u64 = 2;
/// Inbox records summarised per transaction when the summaries are rebuilt.
const REBUILD_CHUNK: usize = 2_000;

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
    /// An inbox query the inbox cannot answer as asked.
    #[error("{field}: {error}", field = .0.field(), error = .0)]
    Query(#[from] QueryError),
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

/// A page of the inbox, as stored: the summaries of the messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxListing {
    /// The page, in the query's order.
    pub items: Vec<InboxSummary>,
    /// With `flash_first`, on the first page: the unacknowledged flash messages that
    /// match, newest first.
    pub flash: Vec<InboxSummary>,
    /// More unacknowledged flash messages match than `flash` holds.
    pub flash_more: bool,
    /// More messages match beyond the page.
    pub more: bool,
    /// With `count`: how many more.
    pub remaining: Option<u64>,
    /// The highest local sequence when the page was read.
    pub head: u64,
    /// The whole inbox's counts when the page was read.
    pub counts: InboxCounts,
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

/// Counter `name` in `meta` (0 when unset).
fn counter(meta: &impl ReadableTable<&'static str, u64>, name: &str) -> Result<u64, StoreError> {
    Ok(meta.get(name).map_err(dberr)?.map_or(0, |g| g.value()))
}

/// The inbox's counts, as of `tx`.
fn inbox_counts(tx: &redb::ReadTransaction) -> Result<InboxCounts, StoreError> {
    let meta = tx.open_table(META).map_err(dberr)?;
    Ok(InboxCounts {
        total: tx
            .open_table(INBOX_SUMMARY)
            .map_err(dberr)?
            .len()
            .map_err(dberr)?,
        unread: counter(&meta, INBOX_UNREAD)?,
        unacknowledged: counter(&meta, INBOX_UNACKED)?,
        flash_unacknowledged: tx
            .open_table(INBOX_FLASH)
            .map_err(dberr)?
            .len()
            .map_err(dberr)?,
    })
}

fn corrupt_summary(e: inbox::SummaryError) -> StoreError {
    StoreError::Corrupt {
        table: "inbox_summary",
        message: e.to_string(),
    }
}

fn view(bytes: &[u8]) -> Result<SummaryView<'_>, StoreError> {
    SummaryView::parse(bytes).map_err(corrupt_summary)
}

fn decode_summary(seq: u64, v: &SummaryView<'_>) -> Result<InboxSummary, StoreError> {
    v.decode(seq).map_err(corrupt_summary)
}

/// The summary tables of a write transaction.
struct SummaryTables<'t> {
    summary: redb::Table<'t, u64, &'static [u8]>,
    text: redb::Table<'t, u64, &'static [u8]>,
    flash: redb::Table<'t, u64, ()>,
}

impl<'t> SummaryTables<'t> {
    fn open(tx: &'t redb::WriteTransaction) -> Result<Self, StoreError> {
        Ok(Self {
            summary: tx.open_table(INBOX_SUMMARY).map_err(dberr)?,
            text: tx.open_table(INBOX_TEXT).map_err(dberr)?,
            flash: tx.open_table(INBOX_FLASH).map_err(dberr)?,
        })
    }

    /// Summarise `record` (its `seq` set) and write the summary, its search text and
    /// its flash entry; the summary.
    fn add(&mut self, record: &InboxRecord) -> Result<InboxSummary, StoreError> {
        let (summary, text) = inbox::summarize(record);
        self.put(&summary)?;
        self.text
            .insert(record.seq, text.as_bytes())
            .map_err(dberr)?;
        Ok(summary)
    }

    fn put(&mut self, summary: &InboxSummary) -> Result<(), StoreError> {
        let bytes = summary.encode();
        self.summary
            .insert(summary.seq, bytes.as_slice())
            .map_err(dberr)?;
        if summary.is_flash_unacknowledged() {
            self.flash.insert(summary.seq, ()).map_err(dberr)?;
        } else {
            self.flash.remove(summary.seq).map_err(dberr)?;
        }
        Ok(())
    }
}

/// Rows of a table keyed by inbox sequence, in a page's order.
type Rows<V> = Box<
    dyn Iterator<
        Item = Result<
            (
                redb::AccessGuard<'static, u64>,
                redb::AccessGuard<'static, V>,
            ),
            redb::StorageError,
        >,
    >,
>;

type TextRows = std::iter::Peekable<Rows<&'static [u8]>>;

/// The rows of `t` from `position` on, in its order.
fn scan<V: redb::Value + 'static>(
    t: &redb::ReadOnlyTable<u64, V>,
    position: InboxPosition,
) -> Result<Rows<V>, StoreError> {
    Ok(match position {
        InboxPosition::Newest { before } => {
            Box::new(t.range(..before.unwrap_or(u64::MAX)).map_err(dberr)?.rev())
        }
        InboxPosition::After(after) => Box::new(t.range(after.saturating_add(1)..).map_err(dberr)?),
    })
}

/// The search texts, read in step with the summaries (both keyed by sequence, in the
/// same order), so that a text search reads each text once, without a lookup.
struct TextCursor {
    rows: Option<TextRows>,
    newest: bool,
}

impl TextCursor {
    /// Whether the text of `seq` holds every word of `m`'s search.
    fn matches(&mut self, seq: u64, m: &Matcher) -> Result<bool, StoreError> {
        let Some(rows) = self.rows.as_mut() else {
            return Ok(false);
        };
        loop {
            let at = match rows.peek() {
                None => return Ok(false),
                Some(Ok((k, _))) => k.value(),
                Some(Err(_)) => {
                    return Err(match rows.next() {
                        Some(Err(e)) => dberr(e),
                        _ => StoreError::Db("inbox text read failed".into()),
                    })
                }
            };
            let behind = if self.newest { at > seq } else { at < seq };
            if behind {
                rows.next();
                continue;
            }
            if at != seq {
                return Ok(false);
            }
            return Ok(match rows.next() {
                Some(Ok((_, t))) => m.matches_text(t.value()),
                _ => false,
            });
        }
    }
}

/// After `r` was marked: its summary's flags, its flash entry and the counts, in `tx`.
fn mark_summary(tx: &redb::WriteTransaction, r: &InboxRecord) -> Result<(), StoreError> {
    let mut tables = SummaryTables::open(tx)?;
    let Some(mut s) = tables
        .summary
        .get(r.seq)
        .map_err(dberr)?
        .map(|v| view(v.value()).and_then(|s| decode_summary(r.seq, &s)))
        .transpose()?
    else {
        return Ok(());
    };
    let mut meta = tx.open_table(META).map_err(dberr)?;
    let mut unsettled = Unsettled::read(&meta)?;
    if !s.read && r.read_at.is_some() {
        s.read = true;
        unsettled.unread = unsettled.unread.saturating_sub(1);
    }
    if !s.acknowledged && r.acked_at.is_some() {
        s.acknowledged = true;
        unsettled.unacked = unsettled.unacked.saturating_sub(1);
    }
    tables.put(&s)?;
    unsettled.write(&mut meta)
}

/// Unread and unacknowledged messages, as counted into `meta`.
#[derive(Debug, Default, Clone, Copy)]
struct Unsettled {
    unread: u64,
    unacked: u64,
}

impl Unsettled {
    fn read(meta: &impl ReadableTable<&'static str, u64>) -> Result<Self, StoreError> {
        Ok(Self {
            unread: counter(meta, INBOX_UNREAD)?,
            unacked: counter(meta, INBOX_UNACKED)?,
        })
    }

    fn count(&mut self, s: &InboxSummary) {
        self.unread += u64::from(!s.read);
        self.unacked += u64::from(!s.acknowledged);
    }

    fn write(self, meta: &mut redb::Table<'_, &'static str, u64>) -> Result<(), StoreError> {
        meta.insert(INBOX_UNREAD, self.unread).map_err(dberr)?;
        meta.insert(INBOX_UNACKED, self.unacked).map_err(dberr)?;
        Ok(())
    }
}

/// Rebuild the summaries, their search text, the flash entries and the counts from the
/// inbox records, in transactions of [`REBUILD_CHUNK`] records; the format is recorded
/// last, so an interrupted rebuild starts again at the next open. A record that does not
/// decode is left out (and logged). Returns how many were summarised.
fn rebuild_summaries(db: &Database) -> Result<u64, StoreError> {
    let tx = db.begin_write().map_err(dberr)?;
    tx.delete_table(INBOX_SUMMARY).map_err(dberr)?;
    tx.delete_table(INBOX_TEXT).map_err(dberr)?;
    tx.delete_table(INBOX_FLASH).map_err(dberr)?;
    tx.commit().map_err(dberr)?;
    let mut done = 0u64;
    let mut counts = Unsettled::default();
    let mut next = 1u64;
    loop {
        let tx = db.begin_write().map_err(dberr)?;
        let last = {
            let order = tx.open_table(INBOX_ORDER).map_err(dberr)?;
            let records = tx.open_table(INBOX).map_err(dberr)?;
            let mut tables = SummaryTables::open(&tx)?;
            let mut last = None;
            for row in order.range(next..).map_err(dberr)?.take(REBUILD_CHUNK) {
                let (seq, id) = row.map_err(dberr)?;
                last = Some(seq.value());
                let Some(v) = records.get(id.value()).map_err(dberr)? else {
                    continue;
                };
                match decode::<InboxRecord>("inbox", v.value()) {
                    Ok(mut r) => {
                        r.seq = seq.value();
                        counts.count(&tables.add(&r)?);
                        done += 1;
                    }
                    Err(e) => {
                        tracing::warn!(seq = seq.value(), error = %e, "inbox record left out of the listing")
                    }
                }
            }
            last
        };
        let Some(last) = last else {
            let mut meta = tx.open_table(META).map_err(dberr)?;
            counts.write(&mut meta)?;
            meta.insert(SUMMARY_FORMAT, SUMMARY_VERSION)
                .map_err(dberr)?;
            drop(meta);
            tx.commit().map_err(dberr)?;
            return Ok(done);
        };
        tx.commit().map_err(dberr)?;
        next = last.saturating_add(1);
    }
}

impl Store {
    /// Open (or create) the store file and its tables. A store without inbox summaries
    /// (made by an earlier version) or with an older format has them rebuilt here.
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
        let format = {
            let tx = db.begin_read().map_err(dberr)?;
            counter(&tx.open_table(META).map_err(dberr)?, SUMMARY_FORMAT)?
        };
        // The summary tables are opened (with their types) only in their current format:
        // an older one is deleted by name and rebuilt.
        if format != SUMMARY_VERSION {
            let started = std::time::Instant::now();
            let n = rebuild_summaries(&db)?;
            tracing::info!(
                messages = n,
                ms = started.elapsed().as_millis() as u64,
                "inbox summaries built"
            );
        }
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
            let mut summaries = SummaryTables::open(&tx)?;
            let mut unsettled = Unsettled::read(&meta)?;
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
                            unsettled.count(&summaries.add(&record)?);
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
            unsettled.write(&mut meta)?;
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

    /// A page of the inbox as `query` asks: the summaries of the matching messages,
    /// newest first (or oldest first after a sequence), read in one transaction. The scan
    /// stops once the page is full and one more match is seen, unless `count` asks for
    /// every match beyond it.
    pub fn inbox_page(&self, query: &InboxQuery) -> Result<InboxListing, StoreError> {
        let matcher = Matcher::new(&query.filter, query.flash_apart())?;
        let limit = query.limit.max(1);
        let tx = self.db.begin_read().map_err(dberr)?;
        let summaries = tx.open_table(INBOX_SUMMARY).map_err(dberr)?;
        let texts = tx.open_table(INBOX_TEXT).map_err(dberr)?;
        let head = counter(&tx.open_table(META).map_err(dberr)?, INBOX_SEQ)?;
        let counts = inbox_counts(&tx)?;
        let (mut flash, mut flash_more) = (Vec::new(), false);
        if query.flash_section() {
            let only = matcher.flash_only();
            let index = tx.open_table(INBOX_FLASH).map_err(dberr)?;
            for row in index.iter().map_err(dberr)?.rev() {
                let seq = row.map_err(dberr)?.0.value();
                let Some(v) = summaries.get(seq).map_err(dberr)? else {
                    continue;
                };
                let s = view(v.value())?;
                let text = || -> Result<bool, StoreError> {
                    Ok(match texts.get(seq).map_err(dberr)? {
                        Some(t) => only.matches_text(t.value()),
                        None => false,
                    })
                };
                if only.matches(&s) && (!only.needs_text() || text()?) {
                    if flash.len() == limit {
                        flash_more = true;
                        break;
                    }
                    flash.push(decode_summary(seq, &s)?);
                }
            }
        }
        let position = query.position;
        let newest = matches!(position, InboxPosition::Newest { .. });
        let mut text = TextCursor {
            rows: if matcher.needs_text() {
                Some(scan(&texts, position)?.peekable())
            } else {
                None
            },
            newest,
        };
        // Every message matches and the sequences have no gaps (nothing was left out of
        // the summaries): what is left beyond the page is arithmetic, not a scan.
        let dense = query.count && matcher.is_everything() && counts.total == head;
        let (mut items, mut more, mut remaining) = (Vec::new(), false, 0u64);
        for row in scan(&summaries, position)? {
            let (k, v) = row.map_err(dberr)?;
            let s = view(v.value())?;
            if !matcher.matches(&s) {
                continue;
            }
            if matcher.needs_text() && !text.matches(k.value(), &matcher)? {
                continue;
            }
            if items.len() < limit {
                items.push(decode_summary(k.value(), &s)?);
                continue;
            }
            more = true;
            remaining += 1;
            if !query.count || dense {
                break;
            }
        }
        if dense {
            remaining = match (items.last(), newest) {
                (Some(last), true) => last.seq.saturating_sub(1),
                (Some(last), false) => head.saturating_sub(last.seq),
                (None, _) => 0,
            };
        }
        Ok(InboxListing {
            items,
            flash,
            flash_more,
            more,
            remaining: query.count.then_some(remaining),
            head,
            counts,
        })
    }

    /// Rebuild the inbox summaries, their search text and the counts from the inbox
    /// records, as [`Store::open`] does for a store without them (or with an older
    /// format); how many messages were summarised. For repairs and the benchmark.
    pub fn rebuild_inbox_summaries(&self) -> Result<u64, StoreError> {
        rebuild_summaries(&self.db)
    }

    /// The whole inbox's counts.
    pub fn inbox_counts(&self) -> Result<InboxCounts, StoreError> {
        inbox_counts(&self.db.begin_read().map_err(dberr)?)
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
                        mark_summary(&tx, &r)?;
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

    pub(crate) fn open() -> (tempfile::TempDir, Store) {
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
    fn a_store_made_before_the_summaries_has_them_built_when_opened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.redb");
        let ids: Vec<MessageId> = (0..5).map(|_| MessageId::new_v7()).collect();
        let everything = InboxQuery {
            limit: 10,
            ..Default::default()
        };
        let before = {
            let s = Store::open(&path).unwrap();
            let batch = ids
                .iter()
                .enumerate()
                .map(|(n, id)| {
                    let mut r = inbox_record(*id, "op/cosmo-2/alerts");
                    r.priority = [Priority::Flash, Priority::Routine][n % 2];
                    Received::Message {
                        record: Box::new(r),
                        receipt: None,
                    }
                })
                .collect();
            s.commit_received(batch).unwrap();
            s.mark(&ids[0], Mark::Acknowledged, 7, |_| None).unwrap();
            s.mark(&ids[1], Mark::Read, 8, |_| None).unwrap();
            s.inbox_page(&everything).unwrap()
        };
        assert_eq!(
            before.counts,
            InboxCounts {
                total: 5,
                unread: 3,
                unacknowledged: 4,
                flash_unacknowledged: 2
            }
        );
        // What an earlier version left: no summary tables, no counts, no format; and
        // one record that no longer decodes.
        {
            let db = Database::create(&path).unwrap();
            let tx = db.begin_write().unwrap();
            assert!(tx.delete_table(INBOX_SUMMARY).unwrap());
            assert!(tx.delete_table(INBOX_TEXT).unwrap());
            assert!(tx.delete_table(INBOX_FLASH).unwrap());
            {
                let mut meta = tx.open_table(META).unwrap();
                for k in [SUMMARY_FORMAT, INBOX_UNREAD, INBOX_UNACKED] {
                    meta.remove(k).unwrap();
                }
            }
            tx.commit().unwrap();
        }
        let s = Store::open(&path).unwrap();
        assert_eq!(s.inbox_page(&everything).unwrap(), before);
        // Rebuilt once: a format is recorded, and a record that no longer decodes is
        // left out of the listing at the next rebuild rather than stopping the node.
        drop(s);
        {
            let db = Database::create(&path).unwrap();
            let tx = db.begin_write().unwrap();
            tx.open_table(INBOX)
                .unwrap()
                .insert(*ids[4].as_bytes(), [0xc1u8].as_slice())
                .unwrap();
            tx.open_table(META)
                .unwrap()
                .insert(SUMMARY_FORMAT, SUMMARY_VERSION - 1)
                .unwrap();
            // The first format kept the search text as `&str`: a table of another type
            // under the same name must not stop the open.
            assert!(tx.delete_table(INBOX_TEXT).unwrap());
            const OLD_TEXT: TableDefinition<u64, &str> = TableDefinition::new("inbox_text");
            tx.open_table(OLD_TEXT).unwrap().insert(1, "x").unwrap();
            tx.commit().unwrap();
        }
        let s = Store::open(&path).unwrap();
        let after = s.inbox_page(&everything).unwrap();
        let seqs: Vec<u64> = after.items.iter().map(|i| i.seq).collect();
        assert_eq!(seqs, vec![4, 3, 2, 1]);
        assert_eq!(after.items, before.items[1..].to_vec());
        assert_eq!(after.counts.total, 4);
        // A gap in the sequences (5 is the newest and left out): what is left is
        // counted, not worked out.
        let counted = s
            .inbox_page(&InboxQuery {
                position: InboxPosition::After(1),
                limit: 1,
                count: true,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(counted.items[0].seq, 2);
        assert_eq!(counted.remaining, Some(2));
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
