//! Why the log could not be written, and why a log does not verify.

use super::record::{AuditHead, ChainHash};

/// The audit log could not be opened or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// A file system operation failed.
    #[error("audit log {path}: cannot {action}: {source}")]
    Io {
        /// The log file (or its directory).
        path: String,
        /// What was being done: "open", "read", "write", "fsync", ...
        action: &'static str,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The last line of an existing log is not a valid record; appending after it would
    /// hide the damage.
    #[error(
        "audit log {path}: the last line is not a valid audit record ({reason}); refusing to \
         append to a damaged log (an incomplete line from a crash is repaired by itself; this \
         is not one). Run `cordon-hub audit verify --log {path}` to find the damage, keep the \
         file as evidence, and restore the log from a backup (see docs/OPERATIONS.md)"
    )]
    DamagedTail {
        /// The log file.
        path: String,
        /// What is wrong with the last line.
        reason: String,
    },
    /// The log ends before the head the hub recorded in its store: records were cut from
    /// its end while the hub was stopped.
    #[error(
        "audit log {path} ends at seq {last_seq}, but the hub recorded seq {} (hash {}) in \
         its store: records were removed from the end of the log. The hub refuses to start, \
         which would hide the loss. {RECOVER}", .recorded.seq, .recorded.hash
    )]
    Shortened {
        /// The log file.
        path: String,
        /// The last seq in the log.
        last_seq: u64,
        /// The head recorded in the store.
        recorded: AuditHead,
    },
    /// The log reaches the seq the hub recorded, but not with the recorded hash (or a
    /// record after it is broken): it was rewritten while the hub was stopped.
    #[error(
        "audit log {path}: the hub recorded seq {} with hash {} in its store, but the log \
         holds {}: the log was rewritten. The hub refuses to start, which would hide it. \
         {RECOVER}",
        .recorded.seq, .recorded.hash,
        match .found { Some(h) => format!("hash {h} there"), None => "no intact chain from its end back to that record".to_owned() }
    )]
    Rewritten {
        /// The log file.
        path: String,
        /// The head recorded in the store.
        recorded: AuditHead,
        /// The hash found at the recorded seq, if the chain reached it.
        found: Option<ChainHash>,
    },
    /// Another process (another hub?) holds the log open for writing.
    #[error("audit log {path} is already open for writing by another process")]
    Locked {
        /// The log file.
        path: String,
    },
    /// An event too large for one record.
    #[error("audit record of {bytes} bytes is longer than the maximum of {max} bytes")]
    TooLarge {
        /// The record's size.
        bytes: usize,
        /// The maximum.
        max: usize,
    },
    /// An earlier write or fsync failed, so the file may end in a partial record: the log
    /// takes no more records until `AuditLog::recover` has cut that off and written the
    /// records again.
    #[error("audit log {path}: an earlier write failed; no more records are accepted")]
    Failed {
        /// The log file.
        path: String,
    },
    /// A record could not be encoded (a time out of range, or a serialiser failure).
    #[error("cannot encode an audit record: {0}")]
    Encode(String),
}

/// What an operator does about a log that no longer holds the recorded head.
const RECOVER: &str = "Keep this file as evidence, then restore audit.log from a backup that \
    reaches the recorded head (check it with `cordon-hub audit verify --config hub.toml`). If \
    the records are lost for good, start once with `cordon-hub run --config hub.toml \
    --accept-shortened-audit-log`: the hub resumes the log as it is and writes an \
    `audit-log-shortened` record naming both heads (docs/OPERATIONS.md, \"Audit log\")";

/// A log that does not verify. Lines are counted from 1 and seqs from 1, so in an intact
/// log line N holds seq N.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuditVerifyError {
    /// The file could not be read.
    #[error("cannot read audit log {path}: {message}")]
    Io {
        /// The log file.
        path: String,
        /// The kind of I/O failure.
        kind: std::io::ErrorKind,
        /// The operating system's words.
        message: String,
    },
    /// A line that is not a record at all (not JSON, members missing, too long).
    #[error("line {line} (expected seq {expected_seq}): not a valid audit record: {reason}")]
    Malformed {
        /// The line, from 1.
        line: u64,
        /// The seq this line should hold.
        expected_seq: u64,
        /// What is wrong.
        reason: String,
    },
    /// The file ends in the middle of a record.
    #[error(
        "line {line} (expected seq {expected_seq}): the last record is incomplete (no end of \
         line): the hub is writing it right now, or stopped while writing it"
    )]
    Incomplete {
        /// The line, from 1.
        line: u64,
        /// The seq this line should hold.
        expected_seq: u64,
    },
    /// A record whose hash does not match its content.
    #[error("line {line} (seq {seq}): the record was edited: its hash does not match its content")]
    Edited {
        /// The line, from 1.
        line: u64,
        /// The seq the record says it has.
        seq: u64,
    },
    /// A record with the wrong seq.
    #[error(
        "line {line}: found seq {seq} where seq {expected_seq} belongs: records were removed, \
         inserted or reordered before this line"
    )]
    OutOfSequence {
        /// The line, from 1.
        line: u64,
        /// The seq found.
        seq: u64,
        /// The seq expected.
        expected_seq: u64,
    },
    /// A record whose `prev` is not the previous record's hash.
    #[error(
        "line {line} (seq {seq}): its prev is not the hash of the record before it: a record \
         was removed or replaced before this line"
    )]
    BrokenChain {
        /// The line, from 1.
        line: u64,
        /// The seq.
        seq: u64,
    },
    /// The record at the seq the hub recorded is not the one it recorded.
    #[error(
        "the record with seq {seq} has hash {found} but the hub recorded {recorded}: the log \
         was rewritten"
    )]
    HeadMismatch {
        /// The seq the hub recorded.
        seq: u64,
        /// The hash the hub recorded.
        recorded: ChainHash,
        /// The hash found in the log.
        found: ChainHash,
    },
    /// The log ends before the head the hub recorded.
    #[error(
        "the log ends at seq {last_seq} but the hub recorded seq {recorded_seq}: records were \
         removed from the end"
    )]
    Truncated {
        /// The last seq in the log.
        last_seq: u64,
        /// The seq the hub recorded.
        recorded_seq: u64,
    },
}
