//! Envelope segments: the envelopes themselves live outside redb's B-tree, appended to
//! plain files next to the database (`envelopes/<n>.seg`), one open segment per
//! operation, so that purging a closed operation deletes whole files. redb keeps where
//! each envelope is and how many live envelopes each segment holds.
//!
//! Why: inserting 1.6 KiB values into a copy-on-write B-tree cost the group committer a
//! third of its time; one positioned write per segment and batch costs almost nothing
//! (docs/PERFORMANCE.md, durable publishes).
//!
//! Durability order, kept by the caller: append the batch, sync ([`Appended::start_sync`]) its
//! segments, and only then commit the transaction that records the locations. A crash
//! in between leaves bytes nothing refers to, never a reference to missing bytes. A new
//! segment's directory entry is fsync'd before its first use. At open, a segment no
//! record names (its transaction never committed, or a purge died before the unlink)
//! is deleted.
//!
//! A record is the message id (16 bytes), the envelope's length (u32, little endian)
//! and the envelope. A read checks both against what the database says.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// A segment takes no more appends once it holds this many bytes.
const SEGMENT_BYTES: u64 = 64 << 20;
/// Id and length before each envelope.
const HEADER: usize = 20;
/// Read handles kept open.
const READERS: usize = 64;

/// Where an envelope is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    /// Segment number.
    pub segment: u64,
    /// Offset of the record (its header) in the segment.
    pub offset: u64,
    /// Envelope length.
    pub len: u32,
}

/// The segment an operation is appending to.
struct OpenSegment {
    no: u64,
    file: Arc<File>,
    len: u64,
}

struct Writer {
    next_no: u64,
    /// By operation.
    open: HashMap<String, OpenSegment>,
}

/// What one append wrote: where each envelope went, the segments it created, and the
/// files to sync before the locations may be committed.
#[derive(Debug, Default)]
pub struct Appended {
    /// One per envelope, in order.
    pub locations: Vec<Location>,
    /// Segments created by this append, with their operation.
    pub created: Vec<(u64, String)>,
    files: Vec<Arc<File>>,
}

impl Appended {
    /// Make the appended bytes durable (fdatasync of every segment written) on a thread
    /// of its own, while the caller writes the transaction that points at them; wait on
    /// the returned [`Syncing`] before committing that transaction.
    pub fn start_sync(&self) -> Syncing {
        if self.files.is_empty() {
            return Syncing::Done(Ok(()));
        }
        let files = self.files.clone();
        let sync = move || files.iter().try_for_each(|f| f.sync_data());
        match std::thread::Builder::new()
            .name("cordon-segsync".into())
            .spawn(sync.clone())
        {
            Ok(t) => Syncing::Thread(t),
            // No thread to be had: sync here and now.
            Err(_) => Syncing::Done(sync()),
        }
    }
}

/// An fdatasync of appended segments, under way.
#[derive(Debug)]
pub enum Syncing {
    /// On its own thread.
    Thread(std::thread::JoinHandle<io::Result<()>>),
    /// Already done.
    Done(io::Result<()>),
}

impl Syncing {
    /// Wait until the appended bytes are durable.
    pub fn wait(self) -> io::Result<()> {
        match self {
            Syncing::Thread(t) => t
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the segment sync thread panicked"))),
            Syncing::Done(r) => r,
        }
    }
}

/// A read found something other than the record the database points at.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The segment could not be read.
    #[error("envelope segment {path}: {source}")]
    Io {
        /// The segment file.
        path: String,
        /// Why.
        source: io::Error,
    },
    /// The record's id or length is not what the database says.
    #[error("envelope segment {path} at offset {offset}: {what}")]
    Mismatch {
        /// The segment file.
        path: String,
        /// The record's offset.
        offset: u64,
        /// What differs.
        what: &'static str,
    },
}

/// The envelope segment files of one store.
pub struct Segments {
    dir: PathBuf,
    writer: Mutex<Writer>,
    readers: Mutex<HashMap<u64, Arc<File>>>,
    /// Bytes in segment files (for the store quota).
    bytes: AtomicU64,
}

impl std::fmt::Debug for Segments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Segments")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves plain data, still consistent enough: at
    // worst an open segment is appended after a hole.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `<n>.seg` → n.
fn segment_no(name: &str) -> Option<u64> {
    u64::from_str_radix(name.strip_suffix(".seg")?, 16).ok()
}

impl Segments {
    /// Open the segment directory `dir` (created if missing). `known` says which
    /// segments the database refers to; every other segment file is deleted.
    pub fn open(dir: &Path, known: impl Fn(u64) -> bool) -> io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let mut next_no = 1;
        let mut bytes = 0;
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let Some(no) = entry.file_name().to_str().and_then(segment_no) else {
                continue;
            };
            next_no = next_no.max(no + 1);
            if known(no) {
                bytes += entry.metadata()?.len();
            } else {
                std::fs::remove_file(entry.path())?;
            }
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            writer: Mutex::new(Writer {
                next_no,
                open: HashMap::new(),
            }),
            readers: Mutex::new(HashMap::new()),
            bytes: AtomicU64::new(bytes),
        })
    }

    fn path(&self, no: u64) -> PathBuf {
        self.dir.join(format!("{no:016x}.seg"))
    }

    /// Bytes held in segment files.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Append envelopes, each with its message id and operation; one positioned write
    /// per segment. Not durable before the sync started by [`Appended::start_sync`] is waited on.
    pub fn append<'a>(
        &self,
        items: impl IntoIterator<Item = (&'a str, &'a [u8; 16], &'a [u8])>,
    ) -> io::Result<Appended> {
        let mut w = lock(&self.writer);
        let mut out = Appended::default();
        // Per segment written: its file, where the batch starts, and the batch's bytes.
        let mut pending: Vec<(u64, Arc<File>, u64, Vec<u8>)> = Vec::new();
        for (operation, id, envelope) in items {
            let len = u32::try_from(envelope.len())
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "envelope too large"))?;
            let full = w.open.get(operation).is_none_or(|s| s.len >= SEGMENT_BYTES);
            if full {
                let no = w.next_no;
                w.next_no += 1;
                let file = self.create(no)?;
                out.created.push((no, operation.to_string()));
                w.open.insert(
                    operation.to_string(),
                    OpenSegment {
                        no,
                        file: Arc::new(file),
                        len: 0,
                    },
                );
            }
            let Some(seg) = w.open.get_mut(operation) else {
                return Err(io::Error::other("no open segment"));
            };
            let at = match pending.iter().position(|p| p.0 == seg.no) {
                Some(i) => i,
                None => {
                    pending.push((seg.no, seg.file.clone(), seg.len, Vec::new()));
                    pending.len() - 1
                }
            };
            out.locations.push(Location {
                segment: seg.no,
                offset: seg.len,
                len,
            });
            let buf = &mut pending[at].3;
            buf.extend_from_slice(id);
            buf.extend_from_slice(&len.to_le_bytes());
            buf.extend_from_slice(envelope);
            seg.len += (HEADER + envelope.len()) as u64;
        }
        for (_, file, start, buf) in pending {
            // On failure the caller abandons the open segments: what was half written
            // stays unreferenced.
            file.write_all_at(&buf, start)?;
            self.bytes.fetch_add(buf.len() as u64, Ordering::Relaxed);
            out.files.push(file);
        }
        Ok(out)
    }

    /// A new, empty segment (mode 0600), its directory entry durable.
    fn create(&self, no: u64) -> io::Result<File> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(self.path(no))?;
        File::open(&self.dir)?.sync_all()?;
        Ok(file)
    }

    /// Read the envelope of message `id` at `loc`; `None` if its segment is gone
    /// (purged since the location was read).
    pub fn read(&self, id: &[u8; 16], loc: Location) -> Result<Option<Vec<u8>>, ReadError> {
        let path = || self.path(loc.segment).display().to_string();
        let io = |source| ReadError::Io {
            path: path(),
            source,
        };
        let cached = lock(&self.readers).get(&loc.segment).cloned();
        let file = match cached {
            Some(f) => f,
            None => match File::open(self.path(loc.segment)) {
                Ok(f) => {
                    let f = Arc::new(f);
                    let mut readers = lock(&self.readers);
                    if readers.len() >= READERS {
                        readers.clear();
                    }
                    readers.insert(loc.segment, f.clone());
                    f
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(io(e)),
            },
        };
        let mut buf = vec![0u8; HEADER + loc.len as usize];
        file.read_exact_at(&mut buf, loc.offset).map_err(|e| {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                ReadError::Mismatch {
                    path: path(),
                    offset: loc.offset,
                    what: "the segment ends before the record",
                }
            } else {
                io(e)
            }
        })?;
        let mismatch = |what| ReadError::Mismatch {
            path: path(),
            offset: loc.offset,
            what,
        };
        if buf[..16] != id[..] {
            return Err(mismatch("another message's record"));
        }
        if buf[16..HEADER] != loc.len.to_le_bytes() {
            return Err(mismatch("the record's length differs"));
        }
        buf.drain(..HEADER);
        Ok(Some(buf))
    }

    /// No more appends to the open segments (a transaction that may have created them
    /// failed): the next append starts new ones.
    pub fn abandon(&self) {
        lock(&self.writer).open.clear();
    }

    /// No more appends to `segment` (it is about to be deleted).
    pub fn retire(&self, segment: u64) {
        lock(&self.writer).open.retain(|_, s| s.no != segment);
    }

    /// Delete a retired segment whose envelopes are all purged (after the transaction
    /// that says so has committed).
    pub fn remove(&self, segment: u64) -> io::Result<()> {
        lock(&self.readers).remove(&segment);
        let path = self.path(segment);
        let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        match std::fs::remove_file(&path) {
            Ok(()) => {
                let _ = self
                    .bytes
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| {
                        Some(b.saturating_sub(len))
                    });
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }
}
