//! The audit log written, resumed, tampered with and verified.

use std::fs;
use std::path::{Path, PathBuf};

use super::record::check_line;
use super::*;

const T0: u64 = 1_777_888_999_123; // 2026-05-04T10:03:19.123Z

fn event(i: u64) -> AuditEvent {
    match i % 5 {
        0 => AuditEvent::Connected {
            node: format!("N{i:03}-NCP"),
            addr: "192.0.2.7:4433".to_owned(),
            fingerprint: "ab".repeat(32),
        },
        1 => AuditEvent::Published {
            id: format!("0190f0f0-0000-7000-8000-{i:012}"),
            kind: "alert".to_owned(),
            to: vec!["op/cosmo-2/alerts".to_owned()],
            sender: "BE-NCP".to_owned(),
            size: 1000 + i,
        },
        2 => AuditEvent::Delivered {
            id: format!("0190f0f0-0000-7000-8000-{i:012}"),
            node: "HU-NCP".to_owned(),
            channel: "op/cosmo-2/alerts".to_owned(),
            seq: i,
        },
        3 => AuditEvent::PublishRefused {
            id: None,
            sender: "XX-NCP".to_owned(),
            outcome: "denied".to_owned(),
            reason: "XX-NCP may not publish alert to op/cosmo-2/alerts: \"quoted\" ünïcode"
                .to_owned(),
        },
        _ => AuditEvent::HubStopped,
    }
}

/// A log of `n` records in a fresh directory; returns the directory guard, path and head.
fn write_log(n: u64) -> (tempfile::TempDir, PathBuf, AuditHead) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit").join("audit.log");
    let mut log = AuditLog::open(&path).unwrap();
    for i in 1..=n {
        let head = log.append_at(event(i), T0 + i).unwrap();
        assert_eq!(head.seq, i);
    }
    let head = log.sync().unwrap();
    assert_eq!(head, log.head());
    assert_eq!(head, log.durable_head());
    (dir, path, head)
}

fn lines(path: &Path) -> Vec<String> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn write_lines(path: &Path, lines: &[String]) {
    let mut text = lines.join("\n");
    text.push('\n');
    fs::write(path, text).unwrap();
}

#[test]
fn fifty_records_verify() {
    let (_dir, path, head) = write_log(50);
    assert_eq!(head.seq, 50);
    let report = verify_file(&path, None).unwrap();
    assert_eq!(report, VerifyReport { records: 50, head });
    assert_eq!(verify_file(&path, Some(&head)).unwrap().head, head);
    let all = lines(&path);
    assert_eq!(all.len(), 50);
    assert!(all[0].starts_with(&format!(
        "{{\"seq\":1,\"at\":\"2026-05-04T10:03:19.124Z\",\"prev\":\"{}\",\"event\":{{\"type\":\"published\",",
        "0".repeat(64)
    )));
    assert!(
        all[3].contains("\"event\":{\"type\":\"hub-stopped\"}"),
        "{}",
        all[3]
    );
}

#[test]
fn record_layout_is_exact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.log");
    let mut log = AuditLog::open(&path).unwrap();
    log.append_at(
        AuditEvent::HubStarted {
            version: "0.1.0".to_owned(),
        },
        0,
    )
    .unwrap();
    let head = log.sync().unwrap();
    let text = fs::read_to_string(&path).unwrap();
    let canonical = format!(
        "{{\"seq\":1,\"at\":\"1970-01-01T00:00:00.000Z\",\"prev\":\"{}\",\
         \"event\":{{\"type\":\"hub-started\",\"version\":\"0.1.0\"}}}}",
        "0".repeat(64)
    );
    // SHA-256(32 zero bytes || canonical), computed independently of the module.
    let mut input = vec![0u8; 32];
    input.extend_from_slice(canonical.as_bytes());
    let hash = hex::encode(ring::digest::digest(&ring::digest::SHA256, &input));
    assert_eq!(head.hash.to_hex(), hash);
    let expected = format!(
        "{},\"hash\":\"{hash}\"}}\n",
        &canonical[..canonical.len() - 1]
    );
    assert_eq!(text, expected);
}

#[test]
fn edited_record_is_named() {
    let (_dir, path, head) = write_log(50);
    let mut all = lines(&path);
    // Record 17 (line 17, seq 17) is a Delivered to HU-NCP: make it HU-NCQ.
    assert!(all[16].contains("HU-NCP"), "{}", all[16]);
    all[16] = all[16].replacen("HU-NCP", "HU-NCQ", 1);
    write_lines(&path, &all);
    let err = verify_file(&path, None).unwrap_err();
    assert_eq!(err, AuditVerifyError::Edited { line: 17, seq: 17 });
    assert_eq!(
        err.to_string(),
        "line 17 (seq 17): the record was edited: its hash does not match its content"
    );
    assert!(verify_file(&path, Some(&head)).is_err());
}

#[test]
fn removed_middle_record_is_caught() {
    let (_dir, path, _) = write_log(50);
    let mut all = lines(&path);
    all.remove(20);
    write_lines(&path, &all);
    let err = verify_file(&path, None).unwrap_err();
    assert_eq!(
        err,
        AuditVerifyError::OutOfSequence {
            line: 21,
            seq: 22,
            expected_seq: 21
        }
    );
    assert!(err
        .to_string()
        .contains("records were removed, inserted or reordered"));
}

#[test]
fn swapped_records_are_caught() {
    let (_dir, path, _) = write_log(50);
    let mut all = lines(&path);
    all.swap(9, 10);
    write_lines(&path, &all);
    let err = verify_file(&path, None).unwrap_err();
    assert_eq!(
        err,
        AuditVerifyError::OutOfSequence {
            line: 10,
            seq: 11,
            expected_seq: 10
        }
    );
}

#[test]
fn record_from_another_chain_breaks_the_chain() {
    let (_dir, path, _) = write_log(20);
    let (_dir2, other, _) = write_log(20);
    // Same seq, valid hash, but chained to a different predecessor: build one by writing a
    // different event at seq 5 in another log.
    let dir3 = tempfile::tempdir().unwrap();
    let third = dir3.path().join("x.log");
    let mut log = AuditLog::open(&third).unwrap();
    for i in 1..=5 {
        log.append_at(AuditEvent::HubStopped, T0 + 100 * i).unwrap();
    }
    log.sync().unwrap();
    let mut all = lines(&path);
    all[5] = lines(&other)[5].clone(); // identical content: still chains
    write_lines(&path, &all);
    assert!(verify_file(&path, None).is_ok());
    all[4] = lines(&third)[4].clone(); // seq 5 with a valid hash, but another prev
    write_lines(&path, &all);
    assert_eq!(
        verify_file(&path, None).unwrap_err(),
        AuditVerifyError::BrokenChain { line: 5, seq: 5 }
    );
}

#[test]
fn truncated_tail_is_caught_only_against_the_recorded_head() {
    let (_dir, path, head) = write_log(50);
    let all = lines(&path);
    write_lines(&path, &all[..47]);
    let report = verify_file(&path, None).unwrap();
    assert_eq!(report.records, 47);
    let err = verify_file(&path, Some(&head)).unwrap_err();
    assert_eq!(
        err,
        AuditVerifyError::Truncated {
            last_seq: 47,
            recorded_seq: 50
        }
    );
    assert_eq!(
        err.to_string(),
        "the log ends at seq 47 but the hub recorded seq 50: records were removed from the end"
    );
}

#[test]
fn rewritten_log_is_caught_against_the_recorded_head() {
    let (_dir, path, head) = write_log(10);
    // Someone rewrites the whole log with other events: a valid chain, but not the one
    // whose head the hub recorded.
    fs::remove_file(&path).unwrap();
    let mut log = AuditLog::open(&path).unwrap();
    for i in 1..=12 {
        log.append_at(AuditEvent::HubStopped, T0 + i).unwrap();
    }
    log.sync().unwrap();
    drop(log);
    let err = verify_file(&path, Some(&head)).unwrap_err();
    assert!(
        matches!(err, AuditVerifyError::HeadMismatch { seq: 10, .. }),
        "{err:?}"
    );
    // The recorded head may lag behind the log (the hub stopped before storing it).
    let lagging = AuditHead {
        seq: 10,
        hash: verify_file_prefix_head(&path, 10),
    };
    assert_eq!(verify_file(&path, Some(&lagging)).unwrap().records, 12);
}

/// The hash of the record with `seq` in the log at `path`.
fn verify_file_prefix_head(path: &Path, seq: usize) -> ChainHash {
    let line = &lines(path)[seq - 1];
    check_line(line.as_bytes()).unwrap().hash
}

#[test]
fn reopen_and_continue() {
    let (_dir, path, head) = write_log(30);
    let mut log = AuditLog::open(&path).unwrap();
    assert_eq!(log.head(), head);
    for i in 31..=40 {
        assert_eq!(log.append_at(event(i), T0 + i).unwrap().seq, i);
    }
    let head = log.sync().unwrap();
    drop(log);
    let report = verify_file(&path, Some(&head)).unwrap();
    assert_eq!(report.records, 40);
    assert_eq!(report.head, head);
}

#[test]
fn open_moves_a_torn_tail_aside_and_resumes_after_the_last_complete_record() {
    let (dir, path, head) = write_log(10);
    let good = fs::read(&path).unwrap();
    let partial = b"{\"seq\":11,\"at\":\"2026-".to_vec();
    fs::write(&path, [good.clone(), partial.clone()].concat()).unwrap();
    let mut log = AuditLog::open(&path).unwrap();
    let (saved, bytes) = log.torn_tail_repaired().expect("repaired");
    assert_eq!(bytes, partial.len() as u64);
    assert_eq!(
        fs::read(saved).unwrap(),
        partial,
        "the torn bytes are kept as evidence"
    );
    assert!(saved.starts_with(dir.path()));
    assert_eq!(log.head(), head);
    assert_eq!(fs::read(&path).unwrap(), good);
    assert_eq!(log.append_at(event(11), T0 + 11).unwrap().seq, 11);
    let head = log.sync().unwrap();
    drop(log);
    assert_eq!(verify_file(&path, Some(&head)).unwrap().records, 11);
    // A log that is nothing but a torn record starts empty.
    fs::write(&path, &partial).unwrap();
    let log = AuditLog::open(&path).unwrap();
    assert_eq!(log.head(), AuditHead::EMPTY);
    assert!(log.torn_tail_repaired().is_some());
}

#[test]
fn open_refuses_a_damaged_tail() {
    let (_dir, path, _) = write_log(10);
    let good = fs::read(&path).unwrap();
    let mut all = lines(&path);
    let edited = all[9].replacen("\"seq\":10", "\"seq\":11", 1);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("garbage", [good.clone(), b"garbage\n".to_vec()].concat()),
        ("edited", {
            all[9] = edited;
            let mut t = all.join("\n").into_bytes();
            t.push(b'\n');
            t
        }),
        (
            "not utf-8",
            [good.clone(), vec![0xff, 0xfe, b'\n']].concat(),
        ),
        ("empty line", [good.clone(), b"\n".to_vec()].concat()),
    ];
    for (what, bytes) in cases {
        fs::write(&path, &bytes).unwrap();
        let err = AuditLog::open(&path).unwrap_err();
        assert!(
            matches!(err, AuditError::DamagedTail { .. }),
            "{what}: {err:?}"
        );
        let msg = err.to_string();
        assert!(msg.contains("cordon-hub audit verify"), "{what}: {msg}");
        assert!(verify_file(&path, None).is_err(), "{what}");
        // The file was not touched.
        assert_eq!(fs::read(&path).unwrap(), bytes, "{what}");
    }
}

#[test]
fn verify_names_malformed_and_incomplete_lines() {
    let (_dir, path, _) = write_log(5);
    let good = fs::read(&path).unwrap();
    fs::write(&path, [good.clone(), b"{\"seq\":6,".to_vec()].concat()).unwrap();
    assert_eq!(
        verify_file(&path, None).unwrap_err(),
        AuditVerifyError::Incomplete {
            line: 6,
            expected_seq: 6
        }
    );
    fs::write(&path, [good.clone(), b"[1,2,3]\n".to_vec()].concat()).unwrap();
    let err = verify_file(&path, None).unwrap_err();
    assert!(
        matches!(
            err,
            AuditVerifyError::Malformed {
                line: 6,
                expected_seq: 6,
                ..
            }
        ),
        "{err:?}"
    );
    // An extra member is refused, even with a matching hash elsewhere.
    let mut all = lines(&path);
    all.truncate(5);
    all[2] = all[2].replacen("{\"seq\"", "{\"x\":1,\"seq\"", 1);
    write_lines(&path, &all);
    let err = verify_file(&path, None).unwrap_err();
    assert!(
        matches!(err, AuditVerifyError::Malformed { line: 3, .. }),
        "{err:?}"
    );
    let err = verify_file("/nonexistent/audit.log", None).unwrap_err();
    assert!(matches!(
        err,
        AuditVerifyError::Io {
            kind: std::io::ErrorKind::NotFound,
            ..
        }
    ));
}

#[test]
fn empty_log_verifies_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new").join("audit.log");
    let log = AuditLog::open(&path).unwrap();
    assert_eq!(log.head(), AuditHead::EMPTY);
    drop(log);
    assert_eq!(
        verify_file(&path, Some(&AuditHead::EMPTY)).unwrap(),
        VerifyReport {
            records: 0,
            head: AuditHead::EMPTY
        }
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            mode & 0o027,
            0,
            "not writable by group, nothing for others: {mode:o}"
        );
    }
}

#[test]
fn buffer_is_bounded_and_flushes_itself() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.log");
    let mut log = AuditLog::open_with_limit(&path, 8).unwrap();
    for i in 1..=7 {
        log.append_at(event(i), T0).unwrap();
    }
    assert_eq!(log.pending_records(), 7);
    assert_eq!(fs::metadata(&path).unwrap().len(), 0);
    log.append_at(event(8), T0).unwrap();
    assert_eq!(
        log.pending_records(),
        0,
        "the 8th record flushed the buffer"
    );
    assert_eq!(lines(&path).len(), 8);
    assert_eq!(
        log.durable_head(),
        log.head(),
        "written and fsync'd, so that the records kept for a retry stay bounded"
    );
    log.append_at(event(9), T0).unwrap();
    drop(log); // best-effort sync on drop
    assert_eq!(verify_file(&path, None).unwrap().records, 9);
}

#[test]
fn second_writer_is_refused() {
    let (_dir, path, _) = write_log(3);
    let _first = AuditLog::open(&path).unwrap();
    let err = AuditLog::open(&path).unwrap_err();
    assert!(matches!(err, AuditError::Locked { .. }), "{err:?}");
}

#[test]
fn oversized_record_is_refused_without_damage() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.log");
    let mut log = AuditLog::open(&path).unwrap();
    let big = AuditEvent::PolicyReloadRefused {
        path: "p".to_owned(),
        reason: "x".repeat(MAX_LINE_BYTES),
    };
    assert!(matches!(
        log.append_at(big, T0),
        Err(AuditError::TooLarge { .. })
    ));
    assert_eq!(log.append_at(AuditEvent::HubStopped, T0).unwrap().seq, 1);
    log.sync().unwrap();
    assert_eq!(verify_file(&path, None).unwrap().records, 1);
}

#[test]
fn heads_round_trip_as_text() {
    let (_dir, _path, head) = write_log(3);
    let text = head.to_string();
    assert_eq!(text, format!("3 {}", head.hash.to_hex()));
    assert_eq!(text.parse::<AuditHead>().unwrap(), head);
    for bad in ["", "3", "x 00", &format!("3 {}", "AB".repeat(32)), "3 abc"] {
        assert!(bad.parse::<AuditHead>().is_err(), "{bad:?}");
    }
    let json = serde_json::to_string(&head).unwrap();
    assert_eq!(json, format!("{{\"seq\":3,\"hash\":\"{}\"}}", head.hash));
}

#[test]
fn every_event_round_trips_with_its_type() {
    let events = [
        (AuditEvent::HubStopped, "hub-stopped"),
        (
            AuditEvent::Disconnected {
                node: "BE-NCP".into(),
                reason: "closed".into(),
            },
            "disconnected",
        ),
        (
            AuditEvent::HandshakeRefused {
                addr: "a".into(),
                code: "revoked".into(),
                fingerprint: None,
                subject: None,
                serial: None,
                count: 1,
            },
            "handshake-refused",
        ),
        (
            AuditEvent::ReadRefused {
                node: "n".into(),
                channel: "c".into(),
                reason: "r".into(),
                also: vec![],
                more: 0,
            },
            "read-refused",
        ),
        (
            AuditEvent::PolicyReloaded { path: "p".into() },
            "policy-reloaded",
        ),
        (
            AuditEvent::CrlReloaded {
                path: "p".into(),
                revoked_count: 2,
            },
            "crl-reloaded",
        ),
        (
            AuditEvent::CrlReloadRefused {
                path: "p".into(),
                reason: "r".into(),
            },
            "crl-reload-refused",
        ),
        (
            AuditEvent::SessionRevoked {
                node: "n".into(),
                fingerprint: "f".into(),
            },
            "session-revoked",
        ),
        (
            AuditEvent::SessionExpired {
                node: "n".into(),
                fingerprint: "f".into(),
                reason: "expired".into(),
            },
            "session-expired",
        ),
        (
            AuditEvent::Purged {
                operation: "cosmo-1".into(),
                messages: 9,
            },
            "purged",
        ),
    ];
    for (e, ty) in events {
        let json = serde_json::to_string(&e).unwrap();
        assert!(json.starts_with(&format!("{{\"type\":\"{ty}\"")), "{json}");
        assert_eq!(serde_json::from_str::<AuditEvent>(&json).unwrap(), e);
    }
}

#[test]
fn resuming_checks_the_recorded_head_from_the_end() {
    // 1000 records, well over one 64 KiB chunk read backwards.
    let (_dir, path, head) = write_log(1000);
    let lagging = AuditHead {
        seq: 400,
        hash: verify_file_prefix_head(&path, 400),
    };
    let mut log = AuditLog::open(&path).unwrap();
    log.check_recorded_head(&head).unwrap();
    // The store may lag behind the log: records after the recorded head are fine.
    log.check_recorded_head(&lagging).unwrap();
    log.check_recorded_head(&AuditHead::EMPTY).unwrap();
    // The right seq with another hash: rewritten.
    let forged = AuditHead {
        seq: 400,
        hash: verify_file_prefix_head(&path, 401),
    };
    let err = log.check_recorded_head(&forged).unwrap_err();
    assert!(
        matches!(err, AuditError::Rewritten { found: Some(h), .. } if h == lagging.hash),
        "{err:?}"
    );
    drop(log);

    // Three records cut from the end while the hub was stopped.
    let all = lines(&path);
    write_lines(&path, &all[..997]);
    let mut log = AuditLog::open(&path).unwrap();
    let err = log.check_recorded_head(&head).unwrap_err();
    assert!(
        matches!(err, AuditError::Shortened { last_seq: 997, recorded, .. } if recorded == head),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("ends at seq 997, but the hub recorded seq 1000")
            && text.contains("restore audit.log from a backup")
            && text.contains("--accept-shortened-audit-log"),
        "{text}"
    );
    log.check_recorded_head(&lagging).unwrap();
    drop(log);

    // A record between the recorded head and the end edited (its hash recomputed by a
    // careful forger is a different chain): the walk back stops there.
    let mut edited = all.clone();
    edited[701] = edited[701].replace("HU-NCP", "HX-NCP");
    assert_ne!(edited[701], all[701]);
    write_lines(&path, &edited);
    let mut log = AuditLog::open(&path).unwrap();
    let err = log.check_recorded_head(&lagging).unwrap_err();
    assert!(
        matches!(err, AuditError::Rewritten { found: None, .. }),
        "{err:?}"
    );
}

#[test]
fn a_live_log_is_checked_up_to_its_last_complete_record() {
    let (_dir, path, head) = write_log(20);
    // The hub is writing the next record right now.
    let mut bytes = fs::read(&path).unwrap();
    bytes.extend_from_slice(b"{\"seq\":21,\"at\":\"2026-");
    fs::write(&path, &bytes).unwrap();
    assert!(matches!(
        verify_file(&path, None),
        Err(AuditVerifyError::Incomplete { line: 21, .. })
    ));
    let report = verify_complete_records(&path, Some(&head)).unwrap();
    assert_eq!((report.records, report.head), (20, head));
}
