//! The hub's audit log: append-only, each record chained to the previous one by hash, so
//! that `cordon-hub audit verify` detects any edited, removed or reordered record.
//!
//! # File format
//!
//! A UTF-8 text file of records, one per line, each line ended by `\n` (0x0A). A record is
//! a JSON object with exactly these members, in this order:
//!
//! ```text
//! {"seq":1,"at":"2026-05-04T09:30:00.123Z","prev":"000…000","event":{"type":"hub-started","version":"0.1.0"},"hash":"5d1c…"}
//! ```
//!
//! - `seq`: the record's number. The first record has seq 1 and each next one the seq
//!   before plus 1, so line N of an intact log holds seq N.
//! - `at`: when the hub wrote it, RFC 3339 in UTC with exactly three fractional digits.
//! - `prev`: the previous record's `hash`; for the first record 64 zeros.
//! - `event`: what happened, an object whose first member `type` names the event
//!   ([`AuditEvent`], kebab-case) followed by its fields.
//! - `hash`: 64 lower-case hex digits, `SHA-256(P || C)` where
//!   - `P` is the 32 bytes that `prev` spells in hex, and
//!   - `C`, the record's *canonical bytes*, is the line without its `\n` and without its
//!     hash member: the line with its final `,"hash":"<64 hex digits>"}` replaced by `}`.
//!     The hub produces `C` by serialising `{seq, at, prev, event}` in that order as
//!     compact JSON (no whitespace, serde_json's escaping) and then appends the hash
//!     member, so `C` is exactly the bytes that were hashed.
//!
//! To recompute a hash with another tool: strip the trailing `\n`, cut the last 75 bytes
//! (`,"hash":"` + 64 digits + `"}`) and append `}`; hash the 32 bytes of `prev` followed by
//! those bytes with SHA-256; compare with `hash`. For example, in a shell:
//! `printf '%s' "$PREV_HEX" | xxd -r -p > m; printf '%s}' "${LINE::-75}" >> m; sha256sum m`.
//!
//! # What the chain proves, and what it does not
//!
//! An edited record no longer matches its hash; a removed, inserted or reordered record
//! breaks the seq sequence or the `prev` chain. Someone able to rewrite the file can,
//! however, recompute every hash after the point of an edit, and removing records from
//! the end leaves a valid shorter chain. So the hub also stores the head ([`AuditHead`],
//! the last seq and hash) in its database after every sync, and `verify_file` checks the
//! log against it: tampering then requires rewriting both. Copies of the head kept
//! elsewhere (a printed daily head, a SIEM) extend that protection.
//!
//! # Writing
//!
//! [`AuditLog`] buffers records in memory (bounded), writes and fsyncs them on
//! [`AuditLog::sync`], and refuses to resume a log whose last line is not a valid record.
//! After a failed write or fsync (a full disk) it keeps the records since its last sync
//! and [`AuditLog::recover`] writes them again, once, after cutting off what part of them
//! reached the file.

mod checkpoint;
mod error;
mod event;
mod lines;
mod log;
mod record;
mod verify;

#[cfg(test)]
mod tests;

pub use self::checkpoint::{Checkpoint, CheckpointError, CHECKPOINT_CONTEXT};
pub use self::error::{AuditError, AuditVerifyError};
pub use self::event::AuditEvent;
pub use self::log::{AuditLog, DEFAULT_MAX_PENDING};
pub use self::record::{AuditHead, BadHash, BadHead, ChainHash, MAX_LINE_BYTES};
pub use self::verify::{verify_complete_records, verify_file, verify_reader, VerifyReport};
