//! The hub's audit log and store on a real full disk (a small tmpfs mounted by the test,
//! so root only; skipped with a message elsewhere): a write that fails for want of space
//! loses nothing written before it nor anything appended, and both take writes again by
//! themselves once space is freed. The whole hub through the same: the `disk-full`
//! scenario (`tests/faults.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use cordon_common::ids::{ChannelName, MessageId};
use cordon_common::msg::{MessageKind, Priority};
use cordon_hub::audit::{verify_file, AuditError, AuditEvent, AuditLog};
use cordon_hub::store::{
    CommitOutcome, Lane, MessageMeta, NewMessage, RedbStore, Store, StoreError,
};
use cordon_testbed::faults::disk::Tmpfs;

/// A 2 MiB tmpfs in a temporary directory; `None` (and a message why the test is
/// skipped) where mounting is not allowed.
fn small_disk() -> Option<(tempfile::TempDir, Tmpfs)> {
    let dir = tempfile::tempdir().unwrap();
    match Tmpfs::mount(&dir.path().join("disk"), "2m") {
        Ok(disk) => Some((dir, disk)),
        Err(why) => {
            eprintln!("SKIPPED: {why}");
            None
        }
    }
}

fn event(i: u64) -> AuditEvent {
    AuditEvent::Published {
        id: format!("0190f0f0-0000-7000-8000-{i:012}"),
        kind: "alert".into(),
        to: vec!["op/cosmo-2/alerts".into()],
        sender: "BE-NCP".into(),
        size: 1024,
    }
}

#[test]
fn the_audit_log_keeps_every_record_through_a_full_disk_and_writes_them_once_freed() {
    let Some((_dir, disk)) = small_disk() else {
        return;
    };
    let path = disk.path().join("audit.log");
    let mut log = AuditLog::open(&path).unwrap();
    for i in 1..=10 {
        log.append(event(i)).unwrap();
    }
    log.sync().unwrap();
    disk.fill().unwrap();
    // Far more than the < 64 KiB the filler left: the write fails part-way.
    for i in 11..=2000 {
        log.append(event(i)).unwrap();
    }
    let err = log.sync().unwrap_err();
    assert!(matches!(err, AuditError::Io { .. }), "{err}");
    assert!(log.failed());
    assert!(
        matches!(log.append(event(2001)), Err(AuditError::Failed { .. })),
        "no record is taken after a failed write"
    );
    assert!(log.recover().is_err(), "the disk is still full");
    assert!(log.failed());
    disk.free().unwrap();
    let head = log.recover().unwrap();
    assert!(!log.failed());
    assert_eq!(head.seq, 2000);
    log.append(event(2001)).unwrap();
    let head = log.sync().unwrap();
    drop(log);
    // Every record once, in order, chained; no partial record left by the failed write.
    let report = verify_file(&path, Some(&head)).unwrap();
    assert_eq!(report.records, 2001);
    // And the log opens again where it ended.
    assert_eq!(AuditLog::open(&path).unwrap().head(), head);
}

fn message(i: u64) -> NewMessage {
    let id = MessageId::new_v7();
    let to: Vec<ChannelName> = vec!["op/cosmo-2/alerts".parse().unwrap()];
    NewMessage {
        meta: MessageMeta {
            id,
            kind: MessageKind::Alert,
            operation: "cosmo-2".parse().unwrap(),
            sender: "BE-NCP".parse().unwrap(),
            to: to.clone(),
            priority: Priority::Routine,
            created_at: i,
            expires_at: u64::MAX,
            in_reply_to: None,
            size: 4096,
        },
        envelope: vec![(i % 251) as u8; 4096],
        deliver_on: to,
    }
}

#[test]
fn the_store_fails_on_a_full_disk_keeps_what_was_acknowledged_and_reopens_once_freed() {
    let Some((_dir, disk)) = small_disk() else {
        return;
    };
    let store = RedbStore::open(&disk.path().join("hub.redb"), 0).unwrap();
    let before: Vec<NewMessage> = (0..20).map(message).collect();
    for m in &before {
        store
            .commit_batch(std::slice::from_ref(m), &[], &[])
            .unwrap();
    }
    disk.fill().unwrap();
    // Commit until the disk refuses (redb may still find room in freed pages at first).
    let mut refused = None;
    for i in 20..2000 {
        match store.commit_batch(&[message(i)], &[], &[]) {
            Ok(_) => {}
            Err(e) => {
                refused = Some(e);
                break;
            }
        }
    }
    let refused = refused.expect("a full disk took 2 000 commits of 4 KiB");
    assert!(matches!(refused, StoreError::Io(_)), "{refused}");
    assert!(store.failed());
    disk.free().unwrap();
    // Once the space is back the store is opened again (the hub's committer does this
    // on its timer) and takes writes.
    store.reopen().unwrap();
    assert!(!store.failed());
    for m in &before {
        assert_eq!(store.envelope(&m.meta.id).unwrap().unwrap(), m.envelope);
    }
    let after = message(5000);
    assert!(matches!(
        store
            .commit_batch(std::slice::from_ref(&after), &[], &[])
            .unwrap()[..],
        [CommitOutcome::Stored { .. }]
    ));
    let channel = "op/cosmo-2/alerts".parse().unwrap();
    let log = store.read_log(&channel, Lane::Routine, 0, 10_000).unwrap();
    assert_eq!(log.last().unwrap().id, after.meta.id);
    assert_eq!(
        log.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (1..=log.len() as u64).collect::<Vec<_>>(),
        "one position per stored message, none lost or taken twice"
    );
}
