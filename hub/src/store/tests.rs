//! The redb store and the group committer, on real files.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use cordon_common::ids::{ChannelName, MessageId, NodeId, OperationName};
use cordon_common::msg::{MessageKind, Priority};

use super::*;

fn open() -> (tempfile::TempDir, RedbStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = RedbStore::open(&dir.path().join("hub.redb"), 0).unwrap();
    (dir, store)
}

fn ch(s: &str) -> ChannelName {
    s.parse().unwrap()
}

fn msg(op: &str, to: &[&str], priority: Priority, created_at: u64) -> NewMessage {
    let id = MessageId::new_v7();
    let to: Vec<ChannelName> = to.iter().map(|c| ch(c)).collect();
    NewMessage {
        meta: MessageMeta {
            id,
            kind: MessageKind::Alert,
            operation: op.parse().unwrap(),
            sender: "BE-NCP".parse().unwrap(),
            to: to.clone(),
            priority,
            created_at,
            expires_at: created_at + 1000,
            in_reply_to: None,
            size: 3,
        },
        envelope: id.as_bytes().to_vec(),
        deliver_on: to,
    }
}

#[test]
fn a_batch_appends_in_order_per_channel_and_lane_and_drops_duplicates() {
    let (_d, s) = open();
    let a = msg("cosmo-2", &["op/cosmo-2/alerts"], Priority::Routine, 1);
    let b = msg(
        "cosmo-2",
        &["op/cosmo-2/alerts", "node/HU-NCP"],
        Priority::Routine,
        2,
    );
    let f = msg("cosmo-2", &["op/cosmo-2/alerts"], Priority::Flash, 3);
    let out = s
        .commit_batch(&[a.clone(), b.clone(), a.clone(), f.clone()], &[], &[])
        .unwrap();
    assert_eq!(
        out[0],
        CommitOutcome::Stored {
            entries: vec![(ch("op/cosmo-2/alerts"), Lane::Routine, 1)]
        }
    );
    assert_eq!(
        out[1],
        CommitOutcome::Stored {
            entries: vec![
                (ch("op/cosmo-2/alerts"), Lane::Routine, 2),
                (ch("node/HU-NCP"), Lane::Routine, 1)
            ]
        }
    );
    assert_eq!(
        out[2],
        CommitOutcome::Duplicate,
        "same id twice in one batch"
    );
    assert_eq!(
        out[3],
        CommitOutcome::Stored {
            entries: vec![(ch("op/cosmo-2/alerts"), Lane::Flash, 1)]
        }
    );
    // A later batch: still a duplicate, and the log continues after the head.
    let c = msg("cosmo-2", &["op/cosmo-2/alerts"], Priority::Routine, 4);
    let out = s.commit_batch(&[b.clone(), c.clone()], &[], &[]).unwrap();
    assert_eq!(out[0], CommitOutcome::Duplicate);
    assert_eq!(
        out[1],
        CommitOutcome::Stored {
            entries: vec![(ch("op/cosmo-2/alerts"), Lane::Routine, 3)]
        }
    );
    let log = s
        .read_log(&ch("op/cosmo-2/alerts"), Lane::Routine, 0, 10)
        .unwrap();
    let ids: Vec<MessageId> = log.iter().map(|e| e.id).collect();
    assert_eq!(ids, vec![a.meta.id, b.meta.id, c.meta.id]);
    assert_eq!(
        s.read_log(&ch("op/cosmo-2/alerts"), Lane::Routine, 1, 1)
            .unwrap()[0]
            .id,
        b.meta.id
    );
    assert_eq!(
        s.log_head(&ch("op/cosmo-2/alerts"), Lane::Routine).unwrap(),
        3
    );
    assert_eq!(s.envelope(&b.meta.id).unwrap().unwrap(), b.envelope);
    assert_eq!(s.meta(&b.meta.id).unwrap().unwrap(), b.meta);
}

#[test]
fn cursors_only_move_forward_and_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.redb");
    let node: NodeId = "NL-NCP".parse().unwrap();
    let c = ch("op/cosmo-2/alerts");
    {
        let s = RedbStore::open(&path, 0).unwrap();
        s.commit_batch(&[], &[(node.clone(), c.clone(), Lane::Urgent, 7)], &[])
            .unwrap();
        s.commit_batch(&[], &[(node.clone(), c.clone(), Lane::Urgent, 5)], &[])
            .unwrap();
        assert_eq!(s.cursor(&node, &c, Lane::Urgent).unwrap(), 7);
        assert_eq!(s.cursor(&node, &c, Lane::Routine).unwrap(), 0);
    }
    let s = RedbStore::open(&path, 0).unwrap();
    assert_eq!(s.cursor(&node, &c, Lane::Urgent).unwrap(), 7);
}

#[test]
fn purging_an_operation_removes_content_but_a_replay_stays_a_duplicate() {
    let (_d, s) = open();
    let old = msg("cosmo-1", &["op/cosmo-1/alerts"], Priority::Routine, 100);
    let new = msg("cosmo-1", &["op/cosmo-1/alerts"], Priority::Routine, 500);
    let other = msg("cosmo-2", &["op/cosmo-2/alerts"], Priority::Routine, 100);
    s.commit_batch(&[old.clone(), new.clone(), other.clone()], &[], &[])
        .unwrap();
    let op: OperationName = "cosmo-1".parse().unwrap();
    assert_eq!(s.purge_operation(&op, 200).unwrap(), 1);
    assert!(s.envelope(&old.meta.id).unwrap().is_none());
    assert!(s.meta(&old.meta.id).unwrap().is_none());
    assert!(s.contains(&old.meta.id).unwrap(), "the id stays known");
    assert_eq!(
        s.commit_batch(std::slice::from_ref(&old), &[], &[])
            .unwrap()[0],
        CommitOutcome::Duplicate
    );
    let log = s
        .read_log(&ch("op/cosmo-1/alerts"), Lane::Routine, 0, 10)
        .unwrap();
    assert_eq!(
        log.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![new.meta.id]
    );
    assert!(
        s.envelope(&other.meta.id).unwrap().is_some(),
        "other operations untouched"
    );
    assert_eq!(s.purge_operation(&op, 200).unwrap(), 0);
}

#[test]
fn nodes_and_named_values_round_trip() {
    let (_d, s) = open();
    let rec = NodeRecord {
        node_id: "BE-NCP".parse().unwrap(),
        cert_der: vec![1, 2, 3],
        bundle: Some(vec![4, 5]),
        first_seen_ms: 1,
        last_seen_ms: 2,
    };
    s.put_node(&rec).unwrap();
    assert_eq!(s.nodes().unwrap(), vec![rec]);
    assert_eq!(s.meta_value("audit_head").unwrap(), None);
    s.commit_batch(&[], &[], &[("audit_head".into(), b"3 abc".to_vec())])
        .unwrap();
    assert_eq!(s.meta_value("audit_head").unwrap().unwrap(), b"3 abc");
}

#[test]
fn a_full_store_refuses_messages_with_quota_exceeded() {
    let dir = tempfile::tempdir().unwrap();
    let s = RedbStore::open(&dir.path().join("hub.redb"), 1).unwrap();
    let err = s.commit_batch(
        &[msg("cosmo-2", &["op/cosmo-2/alerts"], Priority::Routine, 1)],
        &[],
        &[],
    );
    assert!(
        matches!(err, Err(StoreError::QuotaExceeded { quota: 1, .. })),
        "{err:?}"
    );
    // Cursor moves still go through: delivery must not stop when the store is full.
    s.commit_batch(
        &[],
        &[(
            "NL-NCP".parse().unwrap(),
            ch("op/cosmo-2/alerts"),
            Lane::Flash,
            1,
        )],
        &[],
    )
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_committer_groups_concurrent_publishes_into_few_transactions() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(RedbStore::open(&dir.path().join("hub.redb"), 0).unwrap());
    let (committer, thread, commits) = counted_committer(store.clone(), LAZY_WRITE_DELAY);
    // Queue 500 in order without waiting, then wait for all.
    let mut pending = Vec::new();
    let mut ids = Vec::new();
    for i in 0..500 {
        let m = msg("cosmo-2", &["op/cosmo-2/alerts"], Priority::Routine, i);
        ids.push(m.meta.id);
        pending.push(committer.enqueue(m).await.unwrap());
    }
    for p in pending {
        assert!(matches!(
            p.durable().await.unwrap(),
            CommitOutcome::Stored { .. }
        ));
    }
    let n = commits.load(Ordering::Relaxed);
    assert!(n < 250, "500 queued messages took {n} transactions");
    let log = store
        .read_log(&ch("op/cosmo-2/alerts"), Lane::Routine, 0, 1000)
        .unwrap();
    assert_eq!(
        log.iter().map(|e| e.id).collect::<Vec<_>>(),
        ids,
        "stored in queue order"
    );
    drop(committer);
    thread.join().unwrap();
}

/// A committer whose commits are counted.
fn counted_committer(
    store: Arc<dyn Store>,
    lazy_delay: Duration,
) -> (
    GroupCommitter,
    std::thread::JoinHandle<()>,
    Arc<AtomicUsize>,
) {
    let commits = Arc::new(AtomicUsize::new(0));
    let seen = commits.clone();
    let observer: CommitObserver = Arc::new(move |_, _| {
        seen.fetch_add(1, Ordering::Relaxed);
    });
    let config = CommitConfig {
        max_batch: 512,
        queue_depth: 1024,
        lazy_delay,
    };
    let (committer, thread) = GroupCommitter::start(store, config, Some(observer));
    (committer, thread, commits)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cursor_moves_and_values_ride_along_with_the_next_message_commit() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(RedbStore::open(&dir.path().join("hub.redb"), 0).unwrap());
    // A lazy delay far beyond the test: only a message commit can carry the lazy writes.
    let (committer, thread, commits) = counted_committer(store.clone(), Duration::from_secs(600));
    let node: NodeId = "NL-NCP".parse().unwrap();
    let c = ch("op/cosmo-2/alerts");
    committer
        .set_value("audit_head", b"7 beef".to_vec())
        .await
        .unwrap();
    let cursors = {
        let (committer, node, c) = (committer.clone(), node.clone(), c.clone());
        tokio::spawn(async move {
            committer
                .set_cursors(vec![(node, c, Lane::Routine, 3)])
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(commits.load(Ordering::Relaxed), 0, "lazy writes alone wait");
    assert_eq!(store.meta_value("audit_head").unwrap(), None);
    let m = msg("cosmo-2", &["op/cosmo-2/alerts"], Priority::Routine, 1);
    assert!(matches!(
        committer.commit(m).await.unwrap(),
        CommitOutcome::Stored { .. }
    ));
    cursors.await.unwrap().unwrap();
    assert_eq!(
        commits.load(Ordering::Relaxed),
        1,
        "one commit carried all three"
    );
    assert_eq!(store.cursor(&node, &c, Lane::Routine).unwrap(), 3);
    assert_eq!(store.meta_value("audit_head").unwrap().unwrap(), b"7 beef");
    drop(committer);
    thread.join().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lazy_writes_without_messages_are_committed_after_the_delay_and_at_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(RedbStore::open(&dir.path().join("hub.redb"), 0).unwrap());
    let (committer, thread, commits) = counted_committer(store.clone(), Duration::from_millis(20));
    let node: NodeId = "NL-NCP".parse().unwrap();
    let c = ch("op/cosmo-2/alerts");
    committer
        .set_cursors(vec![(node.clone(), c.clone(), Lane::Flash, 9)])
        .await
        .unwrap();
    assert_eq!(commits.load(Ordering::Relaxed), 1);
    assert_eq!(store.cursor(&node, &c, Lane::Flash).unwrap(), 9);
    // A value set just before shutdown is not lost: the thread commits it on its way out.
    committer
        .set_value("audit_head", b"8 cafe".to_vec())
        .await
        .unwrap();
    committer
        .set_value("audit_head", b"9 f00d".to_vec())
        .await
        .unwrap();
    drop(committer);
    thread.join().unwrap();
    assert_eq!(store.meta_value("audit_head").unwrap().unwrap(), b"9 f00d");
}

/// The segment files in a store's `envelopes/` directory.
fn segment_files(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("envelopes"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Bytes in a store's segment files.
fn segment_bytes(dir: &std::path::Path) -> u64 {
    segment_files(dir)
        .iter()
        .map(|f| {
            std::fs::metadata(dir.join("envelopes").join(f))
                .unwrap()
                .len()
        })
        .sum()
}

/// A batch large enough for segments: `n` alerts of `op` created at `created_at`.
fn many(op: &str, n: usize, created_at: u64) -> Vec<NewMessage> {
    let channel = format!("op/{op}/alerts");
    (0..n)
        .map(|_| msg(op, &[channel.as_str()], Priority::Routine, created_at))
        .collect()
}

#[test]
fn a_small_batch_keeps_its_envelopes_in_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.redb");
    let small = many("cosmo-2", SEGMENT_MIN_BATCH - 1, 1);
    {
        let s = RedbStore::open(&path, 0).unwrap();
        s.commit_batch(&small, &[], &[]).unwrap();
        assert!(segment_files(dir.path()).is_empty());
    }
    let s = RedbStore::open(&path, 0).unwrap();
    for m in &small {
        assert_eq!(s.envelope(&m.meta.id).unwrap().unwrap(), m.envelope);
    }
}

#[test]
fn envelopes_of_a_large_batch_live_in_segment_files_and_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.redb");
    let mut batch = many("cosmo-1", SEGMENT_MIN_BATCH, 1);
    batch.extend(many("cosmo-2", 2, 2));
    batch[SEGMENT_MIN_BATCH].envelope = vec![0xab; 5000];
    {
        let s = RedbStore::open(&path, 0).unwrap();
        s.commit_batch(&batch, &[], &[]).unwrap();
        // One segment per operation, private to the hub.
        assert_eq!(segment_files(dir.path()).len(), 2);
        for f in segment_files(dir.path()) {
            let mode = std::os::unix::fs::PermissionsExt::mode(
                &std::fs::metadata(dir.path().join("envelopes").join(f))
                    .unwrap()
                    .permissions(),
            );
            assert_eq!(mode & 0o777, 0o600);
        }
    }
    let s = RedbStore::open(&path, 0).unwrap();
    for m in &batch {
        assert_eq!(s.envelope(&m.meta.id).unwrap().unwrap(), m.envelope);
    }
    // After a restart new segments are started; the old ones stay readable.
    let later = many("cosmo-2", SEGMENT_MIN_BATCH, 3);
    s.commit_batch(&later, &[], &[]).unwrap();
    assert_eq!(segment_files(dir.path()).len(), 3);
    for m in later.iter().chain(&batch) {
        assert_eq!(s.envelope(&m.meta.id).unwrap().unwrap(), m.envelope);
    }
}

#[test]
fn a_duplicate_writes_no_envelope() {
    let (dir, s) = open();
    let first = many("cosmo-2", SEGMENT_MIN_BATCH, 1);
    s.commit_batch(&first, &[], &[]).unwrap();
    let before = segment_bytes(dir.path());
    let per: u64 = 20 + first[0].envelope.len() as u64;
    assert_eq!(
        before,
        per * SEGMENT_MIN_BATCH as u64,
        "id, length, envelope"
    );
    // Replays of the whole first batch, and one new message twice, among new ones.
    let mut second = first.clone();
    let fresh = many("cosmo-2", SEGMENT_MIN_BATCH, 2);
    second.extend(fresh.iter().cloned());
    second.push(fresh[0].clone());
    let out = s.commit_batch(&second, &[], &[]).unwrap();
    let dups = out
        .iter()
        .filter(|o| **o == CommitOutcome::Duplicate)
        .count();
    assert_eq!(dups, SEGMENT_MIN_BATCH + 1);
    assert_eq!(
        segment_bytes(dir.path()),
        before + per * SEGMENT_MIN_BATCH as u64
    );
}

#[test]
fn a_segment_nothing_refers_to_is_deleted_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.redb");
    let batch = many("cosmo-2", SEGMENT_MIN_BATCH, 1);
    {
        let s = RedbStore::open(&path, 0).unwrap();
        s.commit_batch(&batch, &[], &[]).unwrap();
    }
    let kept = segment_files(dir.path());
    assert_eq!(kept.len(), 1);
    // What a crash between the append and the commit leaves: a segment no record names.
    let stray = dir.path().join("envelopes").join("00000000000000ff.seg");
    std::fs::write(&stray, b"half a batch").unwrap();
    let s = RedbStore::open(&path, 0).unwrap();
    assert!(!stray.exists());
    assert_eq!(segment_files(dir.path()), kept);
    assert_eq!(
        s.envelope(&batch[0].meta.id).unwrap().unwrap(),
        batch[0].envelope
    );
    // New segments are numbered past the stray one: nothing can point into a reused name.
    s.commit_batch(&many("cosmo-2", SEGMENT_MIN_BATCH, 2), &[], &[])
        .unwrap();
    assert!(segment_files(dir.path()).contains(&"0000000000000100.seg".to_string()));
}

#[test]
fn purging_an_operation_deletes_its_segments_once_empty() {
    let (dir, s) = open();
    let old = many("cosmo-1", SEGMENT_MIN_BATCH, 100);
    let new = many("cosmo-1", 1, 500);
    let other = many("cosmo-2", 1, 100);
    let batch: Vec<NewMessage> = old.iter().chain(&new).chain(&other).cloned().collect();
    s.commit_batch(&batch, &[], &[]).unwrap();
    assert_eq!(segment_files(dir.path()).len(), 2);
    let op: OperationName = "cosmo-1".parse().unwrap();
    // The old ones purged: the segment stays for the new one.
    assert_eq!(
        s.purge_operation(&op, 200).unwrap(),
        SEGMENT_MIN_BATCH as u64
    );
    assert_eq!(segment_files(dir.path()).len(), 2);
    assert!(s.envelope(&old[0].meta.id).unwrap().is_none());
    assert_eq!(
        s.envelope(&new[0].meta.id).unwrap().unwrap(),
        new[0].envelope
    );
    // All purged: the operation's segment is deleted, the other operation's kept.
    assert_eq!(s.purge_operation(&op, 1000).unwrap(), 1);
    assert_eq!(segment_files(dir.path()).len(), 1);
    assert!(s.envelope(&new[0].meta.id).unwrap().is_none());
    assert_eq!(
        s.envelope(&other[0].meta.id).unwrap().unwrap(),
        other[0].envelope
    );
    // Later messages of the purged operation go to a new segment.
    let late = many("cosmo-1", SEGMENT_MIN_BATCH, 2000);
    s.commit_batch(&late, &[], &[]).unwrap();
    assert_eq!(
        s.envelope(&late[0].meta.id).unwrap().unwrap(),
        late[0].envelope
    );
    assert_eq!(segment_files(dir.path()).len(), 2);
}

#[test]
fn an_edited_segment_is_reported_not_served() {
    let (dir, s) = open();
    let batch = many("cosmo-2", SEGMENT_MIN_BATCH, 1);
    s.commit_batch(&batch, &[], &[]).unwrap();
    let (first, last) = (&batch[0], &batch[SEGMENT_MIN_BATCH - 1]);
    let file = dir
        .path()
        .join("envelopes")
        .join(&segment_files(dir.path())[0]);
    let mut bytes = std::fs::read(&file).unwrap();
    // Another id in the first record.
    bytes[0] ^= 1;
    std::fs::write(&file, &bytes).unwrap();
    let err = s.envelope(&first.meta.id).unwrap_err();
    assert!(
        matches!(&err, StoreError::Corrupt { table: "envelopes", detail } if detail.contains("another message's record")),
        "{err}"
    );
    assert_eq!(s.envelope(&last.meta.id).unwrap().unwrap(), last.envelope);
    // Cut short: the last record is missing its end.
    std::fs::write(&file, &bytes[..bytes.len() - 1]).unwrap();
    let err = s.envelope(&last.meta.id).unwrap_err();
    assert!(err.to_string().contains("ends before the record"), "{err}");
}

#[test]
fn the_quota_counts_envelope_segments() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.redb");
    let db_only = {
        let s = RedbStore::open(&path, 0).unwrap();
        s.commit_batch(
            &[msg("cosmo-2", &["op/cosmo-2/alerts"], Priority::Routine, 1)],
            &[],
            &[],
        )
        .unwrap();
        std::fs::metadata(&path).unwrap().len()
    };
    // Room for the database file, not for it and 1 MiB of envelopes in a segment.
    let s = RedbStore::open(&path, db_only + 512 * 1024).unwrap();
    let mut batch = many("cosmo-2", SEGMENT_MIN_BATCH, 2);
    batch[0].envelope = vec![1; 1024 * 1024];
    s.commit_batch(&batch, &[], &[]).unwrap();
    assert!(segment_bytes(dir.path()) > 1024 * 1024);
    let err = s.commit_batch(
        &[msg("cosmo-2", &["op/cosmo-2/alerts"], Priority::Routine, 3)],
        &[],
        &[],
    );
    assert!(
        matches!(err, Err(StoreError::QuotaExceeded { .. })),
        "{err:?}"
    );
}

/// A database file that fails every write, resize and fsync while `full` is set, as a
/// full disk does (the reads still work).
#[derive(Debug)]
struct FullDisk {
    file: redb::backends::FileBackend,
    full: Arc<std::sync::atomic::AtomicBool>,
}

impl FullDisk {
    fn check(&self) -> std::io::Result<()> {
        if self.full.load(Ordering::SeqCst) {
            Err(std::io::ErrorKind::StorageFull.into())
        } else {
            Ok(())
        }
    }
}

impl redb::StorageBackend for FullDisk {
    fn len(&self) -> std::io::Result<u64> {
        self.file.len()
    }
    fn read(&self, offset: u64, out: &mut [u8]) -> std::io::Result<()> {
        self.file.read(offset, out)
    }
    fn set_len(&self, len: u64) -> std::io::Result<()> {
        self.check()?;
        self.file.set_len(len)
    }
    fn sync_data(&self) -> std::io::Result<()> {
        self.check()?;
        self.file.sync_data()
    }
    fn write(&self, offset: u64, data: &[u8]) -> std::io::Result<()> {
        self.check()?;
        self.file.write(offset, data)
    }
    fn close(&self) -> std::io::Result<()> {
        self.file.close()
    }
}

/// A store on a [`FullDisk`]; the switch that fills the disk.
fn on_full_disk(dir: &std::path::Path) -> (Arc<RedbStore>, Arc<std::sync::atomic::AtomicBool>) {
    let full = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let switch = full.clone();
    let opener: redb_store::Opener = Arc::new(move |path| {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        let backend = FullDisk {
            file: redb::backends::FileBackend::new(file)?,
            full: switch.clone(),
        };
        redb::Database::builder().create_with_backend(backend)
    });
    let store = RedbStore::open_with(&dir.join("hub.redb"), 0, opener).unwrap();
    (Arc::new(store), full)
}

#[test]
fn after_an_io_error_the_store_refuses_until_reopened_and_keeps_what_was_committed() {
    let dir = tempfile::tempdir().unwrap();
    let (s, full) = on_full_disk(dir.path());
    let c = ch("op/cosmo-2/alerts");
    let a = msg("cosmo-2", &["op/cosmo-2/alerts"], Priority::Routine, 1);
    s.commit_batch(std::slice::from_ref(&a), &[], &[]).unwrap();

    full.store(true, Ordering::SeqCst);
    // A batch for segments: its envelopes reach a segment file, its record does not.
    let big = many("cosmo-2", SEGMENT_MIN_BATCH, 3);
    let err = s.commit_batch(&big, &[], &[]);
    assert!(matches!(err, Err(StoreError::Io(_))), "{err:?}");
    assert!(s.failed());
    assert!(!segment_files(dir.path()).is_empty());
    let b = msg("cosmo-2", &["op/cosmo-2/alerts"], Priority::Routine, 2);
    let err = s.commit_batch(std::slice::from_ref(&b), &[], &[]);
    assert!(matches!(err, Err(StoreError::Io(_))), "{err:?}");

    // The disk takes writes again, but this `Database` does not (redb's rule).
    full.store(false, Ordering::SeqCst);
    let err = s.commit_batch(std::slice::from_ref(&b), &[], &[]);
    assert!(matches!(err, Err(StoreError::Io(_))), "{err:?}");

    // Reopening while the disk is still full fails, and can be tried again.
    full.store(true, Ordering::SeqCst);
    assert!(s.reopen().is_err());
    assert!(s.failed());
    assert!(
        s.contains(&a.meta.id).is_err(),
        "closed: nothing is served until it is open again"
    );

    full.store(false, Ordering::SeqCst);
    s.reopen().unwrap();
    assert!(!s.failed());
    assert_eq!(s.envelope(&a.meta.id).unwrap().unwrap(), a.envelope);
    assert!(!s.contains(&b.meta.id).unwrap(), "b was never committed");
    assert!(
        segment_files(dir.path()).is_empty(),
        "the segment of the failed batch is deleted at the reopen"
    );
    s.commit_batch(std::slice::from_ref(&b), &[], &[]).unwrap();
    s.commit_batch(&big, &[], &[]).unwrap();
    let log = s.read_log(&c, Lane::Routine, 0, 100).unwrap();
    let ids: Vec<MessageId> = log.iter().map(|e| e.id).collect();
    let mut want = vec![a.meta.id, b.meta.id];
    want.extend(big.iter().map(|m| m.meta.id));
    assert_eq!(
        ids, want,
        "no position lost or taken twice by the failed commits"
    );
    assert_eq!(log.last().unwrap().seq, want.len() as u64);
    for m in &big {
        assert_eq!(s.envelope(&m.meta.id).unwrap().unwrap(), m.envelope);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_committer_reopens_a_failed_store_by_itself_once_the_disk_takes_writes() {
    let dir = tempfile::tempdir().unwrap();
    let (s, full) = on_full_disk(dir.path());
    let store: Arc<dyn Store> = s.clone();
    let (committer, thread, _) = counted_committer(store.clone(), LAZY_WRITE_DELAY);
    let first = msg("cosmo-2", &["op/cosmo-2/alerts"], Priority::Routine, 1);
    full.store(true, Ordering::SeqCst);
    let err = committer.commit(first.clone()).await;
    assert!(matches!(err, Err(StoreError::Io(_))), "{err:?}");
    // Still full: the committer's tries fail, and it keeps trying.
    tokio::time::sleep(REOPEN_EVERY * 3).await;
    assert!(store.failed());
    full.store(false, Ordering::SeqCst);
    // No request is sent: the committer's timer reopens the store.
    let deadline = tokio::time::Instant::now() + REOPEN_EVERY * 10;
    while store.failed() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the store was not reopened"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(matches!(
        committer.commit(first.clone()).await.unwrap(),
        CommitOutcome::Stored { .. }
    ));
    assert!(store.contains(&first.meta.id).unwrap());
    drop(committer);
    thread.join().unwrap();
}
