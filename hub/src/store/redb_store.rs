//! The embedded store: one redb file (`hub.redb`) and, beside it, the envelope segments
//! (`envelopes/`, see [`super::segments`]). redb is a maintained, pure-Rust, crash-safe
//! (copy-on-write B-trees, checksummed commits) key-value store; a committed write
//! transaction is fsync'd before `commit` returns.
//!
//! Tables:
//!
//! | table | key | value |
//! |---|---|---|
//! | `messages` | id (16 bytes) | (MessagePack [`MessageMeta`], segment, offset, length): where the envelope is; segment 0: in `envelopes` |
//! | `envelopes` | id | envelope bytes, for a message committed in a small batch |
//! | `segments` | segment | (operation, live envelopes) |
//! | `seen` | id | created-at ms (kept after purge: a replay stays a duplicate) |
//! | `log` | (channel, lane, seq) | (id, expires-at ms) |
//! | `heads` | (channel, lane) | last seq |
//! | `cursors` | (node, channel, lane) | acknowledged seq |
//! | `by_operation` | (operation, created-at ms, id) | MessagePack log positions |
//! | `nodes` | node id | MessagePack [`NodeRecord`] |
//! | `kv` | name | bytes |
//!
//! After an I/O error (a full disk, most often) redb takes nothing more from that
//! `Database`: every later transaction answers "Previous I/O error occurred. Please close
//! and re-open the database". The store then counts as failed ([`Store::failed`]) until
//! [`Store::reopen`] has closed and opened the file again, which the group committer
//! tries by itself (docs/RELIABILITY.md, disk-full). What was committed before the error
//! is kept: redb's commits are atomic, and opening the file again repairs it as after a
//! crash.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use cordon_common::ids::{ChannelName, MessageId, NodeId, OperationName};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

use super::segments::{Location, Segments};
use super::{
    CommitOutcome, CursorUpdate, Lane, LogEntry, MessageMeta, NewMessage, NodeRecord, Store,
    StoreError, ValueUpdate,
};

type Id = [u8; 16];
/// Where a message sits in the lane logs: (channel, lane, seq) per destination.
type Positions = Vec<(String, u8, u64)>;

/// A batch with fewer new messages than this keeps its envelopes in the database; a
/// larger one appends them to segments. A segment costs a second fsync (its file
/// grows), ~0.1 ms more for a lone message: worth it only when it saves the B-tree
/// inserts of many envelopes (docs/PERFORMANCE.md).
pub(super) const SEGMENT_MIN_BATCH: usize = 16;

const ENVELOPES: TableDefinition<Id, &[u8]> = TableDefinition::new("envelopes");
const SEGMENTS: TableDefinition<u64, (&str, u64)> = TableDefinition::new("segments");
/// A message's metadata and where its envelope is, in one record (one insert a message).
const MESSAGES: TableDefinition<Id, (&[u8], u64, u64, u32)> = TableDefinition::new("messages");
/// The segment number of an envelope kept in `envelopes`.
const INLINE: u64 = 0;
const SEEN: TableDefinition<Id, u64> = TableDefinition::new("seen");
const LOG: TableDefinition<(&str, u8, u64), (Id, u64)> = TableDefinition::new("log");
const HEADS: TableDefinition<(&str, u8), u64> = TableDefinition::new("heads");
const CURSORS: TableDefinition<(&str, &str, u8), u64> = TableDefinition::new("cursors");
const BY_OPERATION: TableDefinition<(&str, u64, Id), &[u8]> = TableDefinition::new("by_operation");
const NODES: TableDefinition<&str, &[u8]> = TableDefinition::new("nodes");
const KV: TableDefinition<&str, &[u8]> = TableDefinition::new("kv");

fn dberr<E: Into<redb::Error>>(e: E) -> StoreError {
    match e.into() {
        // The file could not be read or written: this `Database` takes nothing more.
        e @ (redb::Error::Io(_) | redb::Error::PreviousIo | redb::Error::DatabaseClosed) => {
            StoreError::Io(e.to_string())
        }
        e => StoreError::Db(e.to_string()),
    }
}

fn corrupt(table: &'static str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        table,
        detail: e.to_string(),
    }
}

fn segerr(e: impl std::fmt::Display) -> StoreError {
    StoreError::Db(format!("envelope segments: {e}"))
}

fn encode<T: serde::Serialize>(table: &'static str, v: &T) -> Result<Vec<u8>, StoreError> {
    rmp_serde::to_vec(v).map_err(|e| corrupt(table, e))
}

/// How the store opens its database file: [`Database::create`], or in a test a backend
/// that fails like a full disk.
pub(super) type Opener = Arc<dyn Fn(&Path) -> Result<Database, redb::DatabaseError> + Send + Sync>;

/// The database and its envelope segments, opened together.
#[derive(Debug)]
struct Files {
    db: Database,
    segments: Segments,
}

impl Files {
    fn open(path: &Path, opener: &Opener) -> Result<Self, StoreError> {
        let db = opener(path).map_err(dberr)?;
        let txn = db.begin_write().map_err(dberr)?;
        {
            txn.open_table(ENVELOPES).map_err(dberr)?;
            txn.open_table(SEGMENTS).map_err(dberr)?;
            txn.open_table(MESSAGES).map_err(dberr)?;
            txn.open_table(SEEN).map_err(dberr)?;
            txn.open_table(LOG).map_err(dberr)?;
            txn.open_table(HEADS).map_err(dberr)?;
            txn.open_table(CURSORS).map_err(dberr)?;
            txn.open_table(BY_OPERATION).map_err(dberr)?;
            txn.open_table(NODES).map_err(dberr)?;
            txn.open_table(KV).map_err(dberr)?;
        }
        txn.commit().map_err(dberr)?;
        let known: HashSet<u64> = {
            let txn = db.begin_read().map_err(dberr)?;
            let t = txn.open_table(SEGMENTS).map_err(dberr)?;
            t.iter()
                .map_err(dberr)?
                .map(|item| item.map(|(k, _)| k.value()).map_err(dberr))
                .collect::<Result<_, _>>()?
        };
        let dir = path.with_file_name("envelopes");
        let segments = Segments::open(&dir, |no| known.contains(&no))
            .map_err(|e| StoreError::Db(format!("envelope segments in {}: {e}", dir.display())))?;
        Ok(Self { db, segments })
    }
}

/// The redb-backed [`Store`].
pub struct RedbStore {
    /// `None` after a failed reopen: closed, to be opened again.
    files: RwLock<Option<Files>>,
    /// The database met an I/O error and must be reopened.
    failed: AtomicBool,
    opener: Opener,
    path: PathBuf,
    quota: u64,
}

impl std::fmt::Debug for RedbStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbStore")
            .field("path", &self.path)
            .field("failed", &self.failed)
            .field("quota", &self.quota)
            .finish_non_exhaustive()
    }
}

impl RedbStore {
    /// Open (or create) the store file and its envelope segments (`envelopes/` in the
    /// same directory). `quota_bytes` = 0 means no quota.
    pub fn open(path: &Path, quota_bytes: u64) -> Result<Self, StoreError> {
        Self::open_with(path, quota_bytes, Arc::new(|p| Database::create(p)))
    }

    /// [`RedbStore::open`], the database opened (and reopened) by `opener`.
    pub(super) fn open_with(
        path: &Path,
        quota_bytes: u64,
        opener: Opener,
    ) -> Result<Self, StoreError> {
        let files = Files::open(path, &opener)?;
        Ok(Self {
            files: RwLock::new(Some(files)),
            failed: AtomicBool::new(false),
            opener,
            path: path.to_path_buf(),
            quota: quota_bytes,
        })
    }

    /// Run `f` on the open files. An I/O error marks the store failed: redb takes
    /// nothing more from this `Database` until it is reopened.
    fn with<T>(&self, f: impl FnOnce(&Files) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let files = self.files.read().unwrap_or_else(PoisonError::into_inner);
        let Some(open) = files.as_ref() else {
            return Err(StoreError::Io(
                "the database is closed after an I/O error; it is opened again once the disk \
                 takes writes"
                    .into(),
            ));
        };
        let result = f(open);
        if let Err(StoreError::Io(e)) = &result {
            if !self.failed.swap(true, Ordering::SeqCst) {
                tracing::error!(error = %e, path = %self.path.display(),
                    "the store met an I/O error: nothing is stored until it is opened again, \
                     which the hub tries by itself (free disk space if the disk is full)");
            }
        }
        result
    }

    fn check_quota(&self, files: &Files) -> Result<(), StoreError> {
        if self.quota == 0 {
            return Ok(());
        }
        let db = std::fs::metadata(&self.path).map_err(|e| StoreError::Db(e.to_string()))?;
        let size = db.len() + files.segments.bytes();
        if size >= self.quota {
            return Err(StoreError::QuotaExceeded {
                quota: self.quota,
                size,
            });
        }
        Ok(())
    }

    /// [`Store::commit_batch`], without the clean-up after a failure.
    fn write_batch(
        files: &Files,
        messages: &[NewMessage],
        cursors: &[CursorUpdate],
        values: &[ValueUpdate],
    ) -> Result<Vec<CommitOutcome>, StoreError> {
        let txn = files.db.begin_write().map_err(dberr)?;
        let mut outcomes = Vec::with_capacity(messages.len());
        let syncing = {
            let mut envelopes = txn.open_table(ENVELOPES).map_err(dberr)?;
            let mut live_table = txn.open_table(SEGMENTS).map_err(dberr)?;
            let mut records = txn.open_table(MESSAGES).map_err(dberr)?;
            let mut seen = txn.open_table(SEEN).map_err(dberr)?;
            let mut log = txn.open_table(LOG).map_err(dberr)?;
            let mut heads = txn.open_table(HEADS).map_err(dberr)?;
            let mut by_op = txn.open_table(BY_OPERATION).map_err(dberr)?;
            // Duplicates first, so that only new envelopes are written.
            let mut in_batch: HashSet<Id> = HashSet::with_capacity(messages.len());
            let mut fresh = Vec::with_capacity(messages.len());
            for m in messages {
                let id = m.meta.id.as_bytes();
                fresh.push(in_batch.insert(*id) && seen.get(id).map_err(dberr)?.is_none());
            }
            let to_segments = fresh.iter().filter(|f| **f).count() >= SEGMENT_MIN_BATCH;
            let appended = files
                .segments
                .append(
                    messages
                        .iter()
                        .zip(&fresh)
                        .filter(|(_, f)| to_segments && **f)
                        .map(|(m, _)| {
                            (
                                m.meta.operation.as_str(),
                                m.meta.id.as_bytes(),
                                m.envelope.as_slice(),
                            )
                        }),
                )
                .map_err(segerr)?;
            let syncing = appended.start_sync();
            for (no, operation) in &appended.created {
                live_table
                    .insert(no, (operation.as_str(), 0))
                    .map_err(dberr)?;
            }
            let mut live: HashMap<u64, u64> = HashMap::new();
            let mut locations = appended.locations.iter();
            // Log heads read once per batch and kept here.
            let mut head_cache: HashMap<(&str, u8), u64> = HashMap::new();
            for (m, fresh) in messages.iter().zip(fresh) {
                let id = *m.meta.id.as_bytes();
                if !fresh {
                    outcomes.push(CommitOutcome::Duplicate);
                    continue;
                }
                let at = if to_segments {
                    let Some(at) = locations.next() else {
                        return Err(segerr("fewer locations than envelopes"));
                    };
                    *live.entry(at.segment).or_default() += 1;
                    (at.segment, at.offset, at.len)
                } else {
                    envelopes.insert(id, m.envelope.as_slice()).map_err(dberr)?;
                    (INLINE, 0, 0)
                };
                let lane = Lane::from(m.meta.priority);
                let mut entries = Vec::with_capacity(m.deliver_on.len());
                for channel in &m.deliver_on {
                    let key = (channel.as_str(), lane.as_u8());
                    let head = match head_cache.get(&key) {
                        Some(h) => *h,
                        None => heads.get(key).map_err(dberr)?.map_or(0, |g| g.value()),
                    };
                    let seq = head + 1;
                    log.insert(
                        (channel.as_str(), lane.as_u8(), seq),
                        (id, m.meta.expires_at),
                    )
                    .map_err(dberr)?;
                    head_cache.insert(key, seq);
                    entries.push((channel.clone(), lane, seq));
                }
                let positions: Vec<(&str, u8, u64)> = entries
                    .iter()
                    .map(|(c, l, s)| (c.as_str(), l.as_u8(), *s))
                    .collect();
                let meta = encode("messages", &m.meta)?;
                records
                    .insert(id, (meta.as_slice(), at.0, at.1, at.2))
                    .map_err(dberr)?;
                seen.insert(id, m.meta.created_at).map_err(dberr)?;
                by_op
                    .insert(
                        (m.meta.operation.as_str(), m.meta.created_at, id),
                        encode("by_operation", &positions)?.as_slice(),
                    )
                    .map_err(dberr)?;
                outcomes.push(CommitOutcome::Stored { entries });
            }
            for (key, seq) in &head_cache {
                heads.insert(key, *seq).map_err(dberr)?;
            }
            for (no, added) in live {
                let (operation, count) = match live_table.get(no).map_err(dberr)? {
                    Some(g) => {
                        let (op, n) = g.value();
                        (op.to_string(), n)
                    }
                    None => return Err(corrupt("segments", format!("segment {no} unknown"))),
                };
                live_table
                    .insert(no, (operation.as_str(), count + added))
                    .map_err(dberr)?;
            }
            let mut cur = txn.open_table(CURSORS).map_err(dberr)?;
            for (node, channel, lane, seq) in cursors {
                let key = (node.as_str(), channel.as_str(), lane.as_u8());
                let old = cur.get(key).map_err(dberr)?.map_or(0, |g| g.value());
                // Cursors only move forward.
                if *seq > old {
                    cur.insert(key, *seq).map_err(dberr)?;
                }
            }
            if !values.is_empty() {
                let mut kv = txn.open_table(KV).map_err(dberr)?;
                for (key, value) in values {
                    kv.insert(key.as_str(), value.as_slice()).map_err(dberr)?;
                }
            }
            syncing
        };
        // The envelopes are on disk before the transaction that points at them.
        syncing.wait().map_err(segerr)?;
        txn.commit().map_err(dberr)?;
        Ok(outcomes)
    }
}

/// The reads and writes of [`Store`] on the open files.
impl Files {
    fn contains(&self, id: &MessageId) -> Result<bool, StoreError> {
        let txn = self.db.begin_read().map_err(dberr)?;
        let t = txn.open_table(SEEN).map_err(dberr)?;
        Ok(t.get(*id.as_bytes()).map_err(dberr)?.is_some())
    }

    fn meta(&self, id: &MessageId) -> Result<Option<MessageMeta>, StoreError> {
        let txn = self.db.begin_read().map_err(dberr)?;
        let t = txn.open_table(MESSAGES).map_err(dberr)?;
        let Some(g) = t.get(*id.as_bytes()).map_err(dberr)? else {
            return Ok(None);
        };
        rmp_serde::from_slice(g.value().0)
            .map(Some)
            .map_err(|e| corrupt("messages", e))
    }

    fn envelope(&self, id: &MessageId) -> Result<Option<Vec<u8>>, StoreError> {
        let at = {
            let txn = self.db.begin_read().map_err(dberr)?;
            let t = txn.open_table(MESSAGES).map_err(dberr)?;
            let Some(g) = t.get(*id.as_bytes()).map_err(dberr)? else {
                return Ok(None);
            };
            let (_, segment, offset, len) = g.value();
            if segment == INLINE {
                let inline = txn.open_table(ENVELOPES).map_err(dberr)?;
                return Ok(inline
                    .get(*id.as_bytes())
                    .map_err(dberr)?
                    .map(|g| g.value().to_vec()));
            }
            Location {
                segment,
                offset,
                len,
            }
        };
        self.segments
            .read(id.as_bytes(), at)
            .map_err(|e| corrupt("envelopes", e))
    }

    fn read_log(
        &self,
        channel: &ChannelName,
        lane: Lane,
        after: u64,
        limit: usize,
    ) -> Result<Vec<LogEntry>, StoreError> {
        let txn = self.db.begin_read().map_err(dberr)?;
        let t = txn.open_table(LOG).map_err(dberr)?;
        let c = channel.as_str();
        let l = lane.as_u8();
        let mut out = Vec::with_capacity(limit.min(1024));
        for item in t
            .range((c, l, after.saturating_add(1))..=(c, l, u64::MAX))
            .map_err(dberr)?
            .take(limit)
        {
            let (k, v) = item.map_err(dberr)?;
            let (_, _, seq) = k.value();
            let (id, expires_at) = v.value();
            out.push(LogEntry {
                seq,
                id: MessageId(uuid::Uuid::from_bytes(id)),
                expires_at,
            });
        }
        Ok(out)
    }

    fn log_head(&self, channel: &ChannelName, lane: Lane) -> Result<u64, StoreError> {
        let txn = self.db.begin_read().map_err(dberr)?;
        let t = txn.open_table(HEADS).map_err(dberr)?;
        Ok(t.get((channel.as_str(), lane.as_u8()))
            .map_err(dberr)?
            .map_or(0, |g| g.value()))
    }

    fn cursor(&self, node: &NodeId, channel: &ChannelName, lane: Lane) -> Result<u64, StoreError> {
        let txn = self.db.begin_read().map_err(dberr)?;
        let t = txn.open_table(CURSORS).map_err(dberr)?;
        Ok(t.get((node.as_str(), channel.as_str(), lane.as_u8()))
            .map_err(dberr)?
            .map_or(0, |g| g.value()))
    }

    fn put_node(&self, record: &NodeRecord) -> Result<(), StoreError> {
        let bytes = encode("nodes", record)?;
        let txn = self.db.begin_write().map_err(dberr)?;
        {
            let mut t = txn.open_table(NODES).map_err(dberr)?;
            t.insert(record.node_id.as_str(), bytes.as_slice())
                .map_err(dberr)?;
        }
        txn.commit().map_err(dberr)
    }

    fn nodes(&self) -> Result<Vec<NodeRecord>, StoreError> {
        let txn = self.db.begin_read().map_err(dberr)?;
        let t = txn.open_table(NODES).map_err(dberr)?;
        let mut out = Vec::new();
        for item in t.iter().map_err(dberr)? {
            let (_, v) = item.map_err(dberr)?;
            out.push(rmp_serde::from_slice(v.value()).map_err(|e| corrupt("nodes", e))?);
        }
        Ok(out)
    }

    fn purge_operation(
        &self,
        operation: &OperationName,
        cutoff_ms: u64,
    ) -> Result<u64, StoreError> {
        let op = operation.as_str();
        let txn = self.db.begin_write().map_err(dberr)?;
        let mut purged = 0u64;
        let mut emptied = Vec::new();
        {
            let mut by_op = txn.open_table(BY_OPERATION).map_err(dberr)?;
            let mut envelopes = txn.open_table(ENVELOPES).map_err(dberr)?;
            let mut live_table = txn.open_table(SEGMENTS).map_err(dberr)?;
            let mut dead: HashMap<u64, u64> = HashMap::new();
            let mut records = txn.open_table(MESSAGES).map_err(dberr)?;
            let mut log = txn.open_table(LOG).map_err(dberr)?;
            let mut doomed: Vec<(u64, Id, Positions)> = Vec::new();
            for item in by_op
                .range((op, 0u64, [0u8; 16])..(op, cutoff_ms, [0u8; 16]))
                .map_err(dberr)?
            {
                let (k, v) = item.map_err(dberr)?;
                let (_, created, id) = k.value();
                let positions: Positions =
                    rmp_serde::from_slice(v.value()).map_err(|e| corrupt("by_operation", e))?;
                doomed.push((created, id, positions));
            }
            for (created, id, positions) in doomed {
                for (channel, lane, seq) in &positions {
                    log.remove((channel.as_str(), *lane, *seq)).map_err(dberr)?;
                }
                match records.remove(id).map_err(dberr)?.map(|g| g.value().1) {
                    Some(INLINE) => {
                        envelopes.remove(id).map_err(dberr)?;
                    }
                    Some(segment) => *dead.entry(segment).or_default() += 1,
                    None => {}
                }
                by_op.remove((op, created, id)).map_err(dberr)?;
                purged += 1;
            }
            for (no, removed) in dead {
                let Some((operation, count)) = live_table
                    .get(no)
                    .map_err(dberr)?
                    .map(|g| (g.value().0.to_string(), g.value().1))
                else {
                    continue;
                };
                let left = count.saturating_sub(removed);
                if left == 0 {
                    live_table.remove(no).map_err(dberr)?;
                    // Before the commit, while this transaction keeps the committer
                    // out: nothing is appended to a segment about to be deleted.
                    self.segments.retire(no);
                    emptied.push(no);
                } else {
                    live_table
                        .insert(no, (operation.as_str(), left))
                        .map_err(dberr)?;
                }
            }
        }
        txn.commit().map_err(dberr)?;
        for no in emptied {
            // A file left behind (a crash right here) is deleted at the next open.
            self.segments.remove(no).map_err(segerr)?;
        }
        Ok(purged)
    }

    fn meta_value(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.db.begin_read().map_err(dberr)?;
        let t = txn.open_table(KV).map_err(dberr)?;
        Ok(t.get(key).map_err(dberr)?.map(|g| g.value().to_vec()))
    }
}

impl Store for RedbStore {
    fn commit_batch(
        &self,
        messages: &[NewMessage],
        cursors: &[CursorUpdate],
        values: &[ValueUpdate],
    ) -> Result<Vec<CommitOutcome>, StoreError> {
        self.with(|files| {
            if !messages.is_empty() {
                self.check_quota(files)?;
            }
            let result = Self::write_batch(files, messages, cursors, values);
            if result.is_err() {
                // Segments this batch created have no committed record: append no more
                // to them (the next open deletes them).
                files.segments.abandon();
            }
            result
        })
    }

    fn contains(&self, id: &MessageId) -> Result<bool, StoreError> {
        self.with(|f| f.contains(id))
    }

    fn meta(&self, id: &MessageId) -> Result<Option<MessageMeta>, StoreError> {
        self.with(|f| f.meta(id))
    }

    fn envelope(&self, id: &MessageId) -> Result<Option<Vec<u8>>, StoreError> {
        self.with(|f| f.envelope(id))
    }

    fn read_log(
        &self,
        channel: &ChannelName,
        lane: Lane,
        after: u64,
        limit: usize,
    ) -> Result<Vec<LogEntry>, StoreError> {
        self.with(|f| f.read_log(channel, lane, after, limit))
    }

    fn log_head(&self, channel: &ChannelName, lane: Lane) -> Result<u64, StoreError> {
        self.with(|f| f.log_head(channel, lane))
    }

    fn cursor(&self, node: &NodeId, channel: &ChannelName, lane: Lane) -> Result<u64, StoreError> {
        self.with(|f| f.cursor(node, channel, lane))
    }

    fn put_node(&self, record: &NodeRecord) -> Result<(), StoreError> {
        self.with(|f| f.put_node(record))
    }

    fn nodes(&self) -> Result<Vec<NodeRecord>, StoreError> {
        self.with(Files::nodes)
    }

    fn purge_operation(
        &self,
        operation: &OperationName,
        cutoff_ms: u64,
    ) -> Result<u64, StoreError> {
        self.with(|f| f.purge_operation(operation, cutoff_ms))
    }

    fn meta_value(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.with(|f| f.meta_value(key))
    }

    fn failed(&self) -> bool {
        self.failed.load(Ordering::SeqCst)
    }

    fn reopen(&self) -> Result<(), StoreError> {
        if !self.failed() {
            return Ok(());
        }
        let mut files = self.files.write().unwrap_or_else(PoisonError::into_inner);
        if !self.failed() {
            // Reopened by another caller meanwhile.
            return Ok(());
        }
        // Close the failed database first: it holds the file's lock. Nothing can use it
        // meanwhile (every use holds the read lock).
        drop(files.take());
        *files = Some(Files::open(&self.path, &self.opener)?);
        self.failed.store(false, Ordering::SeqCst);
        tracing::info!(path = %self.path.display(),
            "the store is open again after its I/O error and takes writes");
        Ok(())
    }
}
