//! The writer: appends records to the log file, buffered and bounded, and makes them
//! durable on `sync`.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use super::error::AuditError;
use super::event::AuditEvent;
use super::lines::{last_line, visit_lines_backwards};
use super::record::{
    check_line, encode, format_at, AuditHead, ChainHash, LineProblem, MAX_LINE_BYTES,
};

/// Default bound on records buffered in memory before the log writes and fsyncs them by
/// itself:
/// 4096 records, about 1–2 MiB at typical record sizes (200–500 bytes).
pub const DEFAULT_MAX_PENDING: usize = 4096;

/// The open audit log: appends hash-chained records to one file.
///
/// Records are buffered in memory until [`AuditLog::sync`] (the hub calls it once per
/// group commit) or until [`AuditLog::max_pending`] records are waiting, when they are
/// written and fsync'd by themselves. The file is locked against a second writer while
/// open.
///
/// Every record since the last successful sync stays in memory (at most
/// [`AuditLog::max_pending`]) until it is durable. If a write or an fsync fails (a full
/// disk), the log refuses later records ([`AuditError::Failed`]) until
/// [`AuditLog::recover`] has cut the file back to its last durable length (dropping any
/// partial record) and written those records again: nothing appended is lost, and no
/// record is written twice.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    file: File,
    head: AuditHead,
    durable: AuditHead,
    /// The file's length as of the last successful sync (or the open).
    durable_len: u64,
    /// Every record appended since the last successful sync, written or not.
    unsynced: Vec<u8>,
    /// Records in `unsynced`.
    unsynced_records: usize,
    /// The bytes of `unsynced` written to the file (not yet fsync'd).
    written: usize,
    /// The records of `unsynced` not written yet.
    pending_records: usize,
    max_pending: usize,
    failed: bool,
    repaired: Option<(PathBuf, u64)>,
}

impl AuditLog {
    /// Opens the log at `path`, creating it (and its directory) if missing, with
    /// [`DEFAULT_MAX_PENDING`].
    ///
    /// An existing log is resumed after its last record, whose hash is checked; a last line
    /// that is not a valid record is refused with [`AuditError::DamagedTail`]. Only the last
    /// record is checked here: `verify_file` checks the whole chain.
    pub fn open(path: impl AsRef<Path>) -> Result<AuditLog, AuditError> {
        Self::open_with_limit(path, DEFAULT_MAX_PENDING)
    }

    /// [`AuditLog::open`] with at most `max_pending` records buffered (at least 1).
    pub fn open_with_limit(
        path: impl AsRef<Path>,
        max_pending: usize,
    ) -> Result<AuditLog, AuditError> {
        let path = path.as_ref().to_path_buf();
        let shown = path.display().to_string();
        let io = |action: &'static str| {
            let shown = shown.clone();
            move |source| AuditError::Io {
                path: shown,
                action,
                source,
            }
        };
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        if let Some(dir) = dir {
            std::fs::create_dir_all(dir).map_err(io("create the directory of"))?;
        }
        let mut options = OpenOptions::new();
        options.read(true).append(true).create(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o640);
        let mut file = options.open(&path).map_err(io("open"))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(AuditError::Locked { path: shown });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io("lock")(e)),
        }
        let mut len = file.metadata().map_err(io("read the size of"))?.len();
        // A crash while appending leaves an incomplete last line. Nothing in it was ever
        // durable (the head is recorded in the store only after a sync), so it is moved
        // aside and the log resumes after its last complete record. A complete but invalid
        // last line is damage, not a crash, and is refused below.
        let mut repaired = None;
        if let Some(keep) = torn_tail_start(&mut file, len).map_err(io("read"))? {
            let saved = path.with_extension(format!("log.torn-{}", crate::state::now_ms()));
            let torn = len - keep;
            let mut bytes = vec![0u8; usize::try_from(torn).unwrap_or(0)];
            file.seek(SeekFrom::Start(keep)).map_err(io("read"))?;
            file.read_exact(&mut bytes).map_err(io("read"))?;
            cordon_common::pki::write_public_file(&saved, &bytes)
                .map_err(io("save the torn tail of"))?;
            file.set_len(keep)
                .map_err(io("truncate the torn tail of"))?;
            file.sync_all().map_err(io("fsync"))?;
            tracing::warn!(log = %shown, saved_to = %saved.display(), bytes = torn,
                "audit log ended in an incomplete record (torn by a crash); moved aside");
            repaired = Some((saved, torn));
            len = keep;
        }
        let head = match last_line(&mut file, len).map_err(io("read"))? {
            None => {
                // A new (or empty) log: make its directory entry durable too.
                if let Some(dir) = dir {
                    sync_dir(dir).map_err(io("fsync the directory of"))?;
                }
                AuditHead::EMPTY
            }
            Some(Err(reason)) => {
                return Err(AuditError::DamagedTail {
                    path: shown,
                    reason,
                })
            }
            Some(Ok(line)) => match check_line(&line) {
                Ok(checked) => AuditHead {
                    seq: checked.seq,
                    hash: checked.hash,
                },
                Err(LineProblem::Malformed(reason)) => {
                    return Err(AuditError::DamagedTail {
                        path: shown,
                        reason,
                    })
                }
                Err(LineProblem::Edited { seq }) => {
                    return Err(AuditError::DamagedTail {
                        path: shown,
                        reason: format!(
                            "the record with seq {seq} was edited: its hash does not match"
                        ),
                    })
                }
            },
        };
        Ok(AuditLog {
            path,
            file,
            head,
            durable: head,
            durable_len: len,
            unsynced: Vec::new(),
            unsynced_records: 0,
            written: 0,
            pending_records: 0,
            max_pending: max_pending.max(1),
            failed: false,
            repaired,
        })
    }

    /// Checks that the log still holds the head the hub recorded in its store (`recorded`):
    /// the record with that seq is present with that hash, and every record after it
    /// chains back to it. Records after it are expected (the hub records its head after
    /// the log's sync, so the store may lag behind the log); fewer records, or another
    /// hash at that seq, mean the log was shortened or rewritten while the hub was
    /// stopped, and the hub must not resume it (resuming would overwrite the stored head
    /// and hide the loss).
    ///
    /// Reads backwards from the end, so it costs the records after `recorded`, not the
    /// whole log.
    pub fn check_recorded_head(&mut self, recorded: &AuditHead) -> Result<(), AuditError> {
        let shown = self.path.display().to_string();
        let head = self.head;
        let shortened = || AuditError::Shortened {
            path: shown.clone(),
            last_seq: head.seq,
            recorded: *recorded,
        };
        let rewritten = |found: Option<ChainHash>| AuditError::Rewritten {
            path: shown.clone(),
            recorded: *recorded,
            found,
        };
        if head.seq < recorded.seq {
            return Err(shortened());
        }
        if head.seq == recorded.seq {
            return if head.hash == recorded.hash {
                Ok(())
            } else {
                Err(rewritten(Some(head.hash)))
            };
        }
        if recorded.seq == 0 {
            // Every log starts after the empty head.
            return if recorded.hash == AuditHead::EMPTY.hash {
                Ok(())
            } else {
                Err(rewritten(None))
            };
        }
        // Walk back from the last record: each line must hold the seq and hash that the
        // line after it names as its predecessor, down to the recorded seq.
        let mut expected = head;
        let len = self.file.metadata().map_err(|source| AuditError::Io {
            path: shown.clone(),
            action: "read the size of",
            source,
        })?;
        let found = visit_lines_backwards(&mut self.file, len.len(), |line| {
            let Ok(checked) = check_line(line) else {
                return ControlFlow::Break(None);
            };
            if checked.seq != expected.seq || checked.hash != expected.hash {
                return ControlFlow::Break(None);
            }
            if checked.seq == recorded.seq {
                return ControlFlow::Break(Some(checked.hash));
            }
            expected = AuditHead {
                seq: checked.seq - 1,
                hash: checked.prev,
            };
            ControlFlow::Continue(())
        });
        match found {
            Ok(Some(Some(hash))) if hash == recorded.hash => Ok(()),
            Ok(Some(Some(hash))) => Err(rewritten(Some(hash))),
            // A broken record between the recorded head and the end, or none at that seq.
            Ok(Some(None)) | Ok(None) => Err(rewritten(None)),
            Err(source) => Err(AuditError::Io {
                path: shown,
                action: "read",
                source,
            }),
        }
    }

    /// If opening repaired a torn tail: where its bytes were saved, and how many.
    pub fn torn_tail_repaired(&self) -> Option<(&Path, u64)> {
        self.repaired.as_ref().map(|(p, n)| (p.as_path(), *n))
    }

    /// The log file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The last appended record (buffered or not).
    pub fn head(&self) -> AuditHead {
        self.head
    }

    /// The last record known to be on disk (as of the last successful [`AuditLog::sync`]).
    pub fn durable_head(&self) -> AuditHead {
        self.durable
    }

    /// The bound on buffered records.
    pub fn max_pending(&self) -> usize {
        self.max_pending
    }

    /// Records appended but not yet written to the file.
    pub fn pending_records(&self) -> usize {
        self.pending_records
    }

    /// Appends `event`, stamped with the system clock. See [`AuditLog::append_at`].
    pub fn append(&mut self, event: AuditEvent) -> Result<AuditHead, AuditError> {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        self.append_at(event, now_ms)
    }

    /// Appends `event` stamped `at_ms` (ms since the epoch) and returns the new head. The
    /// record is buffered; it is durable once [`AuditLog::sync`] returns. An error means
    /// the record was not appended. When this record fills the buffer, the log syncs by
    /// itself; if that fails the record is still appended (kept in memory, written by
    /// [`AuditLog::recover`]) and the log is failed ([`AuditLog::failed`]).
    pub fn append_at(&mut self, event: AuditEvent, at_ms: u64) -> Result<AuditHead, AuditError> {
        self.check_usable()?;
        let at = format_at(at_ms)
            .ok_or_else(|| AuditError::Encode(format!("time {at_ms} ms is out of range")))?;
        let seq = self.head.seq + 1;
        let record = encode(seq, &at, &self.head.hash, &event)
            .map_err(|e| AuditError::Encode(e.to_string()))?;
        if record.line.len() > MAX_LINE_BYTES + 1 {
            return Err(AuditError::TooLarge {
                bytes: record.line.len() - 1,
                max: MAX_LINE_BYTES,
            });
        }
        self.unsynced.extend_from_slice(&record.line);
        self.unsynced_records += 1;
        self.pending_records += 1;
        self.head = AuditHead {
            seq,
            hash: record.hash,
        };
        if self.unsynced_records >= self.max_pending {
            // A failure is kept in `failed`, reported by the next sync or append.
            let _ = self.sync();
        }
        Ok(self.head)
    }

    /// Writes every buffered record and fsyncs the file; returns the durable head.
    pub fn sync(&mut self) -> Result<AuditHead, AuditError> {
        self.check_usable()?;
        self.write_pending()?;
        if self.durable != self.head {
            if let Err(source) = self.file.sync_data() {
                self.failed = true;
                return Err(self.io("fsync", source));
            }
            self.durable = self.head;
            self.durable_len += self.unsynced.len() as u64;
            self.unsynced.clear();
            self.unsynced_records = 0;
            self.written = 0;
        }
        Ok(self.durable)
    }

    /// Whether a write or an fsync has failed and [`AuditLog::recover`] has not
    /// succeeded since.
    pub fn failed(&self) -> bool {
        self.failed
    }

    /// After a failed write or fsync: cut the file back to its last durable length
    /// (whatever part of the records after it reached the file, a partial record
    /// included), write those records again and fsync. Returns the durable head, or the
    /// error while the cause lasts (the disk still full), when it can be called again.
    /// Without a failure, the same as [`AuditLog::sync`].
    pub fn recover(&mut self) -> Result<AuditHead, AuditError> {
        if self.failed {
            // Shortening needs no space. After a failed fsync the kernel may have
            // dropped the written pages, so everything since the last sync is written
            // again, not only what failed.
            self.file
                .set_len(self.durable_len)
                .map_err(|source| self.io("truncate", source))?;
            self.written = 0;
            self.pending_records = self.unsynced_records;
            self.failed = false;
        }
        self.sync()
    }

    fn io(&self, action: &'static str, source: std::io::Error) -> AuditError {
        AuditError::Io {
            path: self.path.display().to_string(),
            action,
            source,
        }
    }

    fn check_usable(&self) -> Result<(), AuditError> {
        if self.failed {
            Err(AuditError::Failed {
                path: self.path.display().to_string(),
            })
        } else {
            Ok(())
        }
    }

    fn write_pending(&mut self) -> Result<(), AuditError> {
        if self.written == self.unsynced.len() {
            return Ok(());
        }
        // The file is opened to append: this lands at its end, which is `durable_len`
        // plus what was written since.
        if let Err(source) = self.file.write_all(&self.unsynced[self.written..]) {
            self.failed = true;
            return Err(self.io("write", source));
        }
        self.written = self.unsynced.len();
        self.pending_records = 0;
        Ok(())
    }
}

impl Drop for AuditLog {
    /// Writes and fsyncs what is still buffered, best effort: the hub calls
    /// [`AuditLog::sync`] itself on an orderly stop and learns of errors there.
    fn drop(&mut self) {
        if self.durable != self.head {
            let _ = self.recover();
        }
    }
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

/// Where an incomplete last line starts (just after the last newline, or 0), if the file
/// does not end with a newline; `None` for an empty or complete file.
pub(super) fn torn_tail_start(file: &mut File, len: u64) -> std::io::Result<Option<u64>> {
    if len == 0 {
        return Ok(None);
    }
    let mut last = [0u8; 1];
    file.seek(SeekFrom::Start(len - 1))?;
    file.read_exact(&mut last)?;
    if last[0] == b'\n' {
        return Ok(None);
    }
    let mut pos = len;
    let mut buf = vec![0u8; 64 * 1024];
    while pos > 0 {
        let size = (buf.len() as u64).min(pos);
        let start = pos - size;
        let chunk = &mut buf[..usize::try_from(size).unwrap_or(0)];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(chunk)?;
        if let Some(i) = chunk.iter().rposition(|b| *b == b'\n') {
            return Ok(Some(start + i as u64 + 1));
        }
        pos = start;
    }
    Ok(Some(0))
}
