//! One record of the log: its canonical bytes, its hash, its line, and the checks that a
//! line read back is a record whose hash matches its content.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::macros::format_description;
use time::OffsetDateTime;

use super::event::AuditEvent;

/// The longest line accepted, in bytes, when writing and when reading back (1 MiB).
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// A SHA-256 hash in the chain, written as 64 lower-case hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ChainHash(pub [u8; 32]);

impl ChainHash {
    /// The `prev` of the first record: 32 zero bytes.
    pub const ZERO: ChainHash = ChainHash([0; 32]);

    /// SHA-256(`prev` || `canonical`).
    pub fn chain(prev: &ChainHash, canonical: &[u8]) -> ChainHash {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        ctx.update(&prev.0);
        ctx.update(canonical);
        let mut out = [0u8; 32];
        out.copy_from_slice(ctx.finish().as_ref());
        ChainHash(out)
    }

    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for ChainHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for ChainHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChainHash({})", self.to_hex())
    }
}

/// A hash that is not 64 lower-case hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not 64 lower-case hexadecimal digits")]
pub struct BadHash(pub String);

impl FromStr for ChainHash {
    type Err = BadHash;
    fn from_str(s: &str) -> Result<Self, BadHash> {
        let bad = || BadHash(s.chars().take(80).collect());
        if s.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(bad());
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).map_err(|_| bad())?;
        Ok(ChainHash(out))
    }
}

impl Serialize for ChainHash {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for ChainHash {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The end of the log: the last record's seq and hash (seq 0 and [`ChainHash::ZERO`] for
/// an empty log). The hub stores it beside its messages so that removing records from the
/// end of the log is detectable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct AuditHead {
    /// The last record's seq, which is also the number of records.
    pub seq: u64,
    /// The last record's hash.
    pub hash: ChainHash,
}

impl AuditHead {
    /// The head of an empty log.
    pub const EMPTY: AuditHead = AuditHead {
        seq: 0,
        hash: ChainHash::ZERO,
    };
}

/// `<seq> <hash>`, e.g. `17 3fa2…`: the form the hub stores.
impl fmt::Display for AuditHead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.seq, self.hash)
    }
}

/// A stored head that is not `<seq> <hash>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an audit head `<seq> <64 hex digits>`")]
pub struct BadHead(pub String);

impl FromStr for AuditHead {
    type Err = BadHead;
    fn from_str(s: &str) -> Result<Self, BadHead> {
        let bad = || BadHead(s.chars().take(100).collect());
        let (seq, hash) = s.trim().split_once(' ').ok_or_else(bad)?;
        Ok(AuditHead {
            seq: seq.parse().map_err(|_| bad())?,
            hash: hash.parse().map_err(|_| bad())?,
        })
    }
}

/// The hashed part of a record, in its fixed member order.
#[derive(Serialize)]
struct Canonical<'a> {
    seq: u64,
    at: &'a str,
    prev: ChainHash,
    event: &'a AuditEvent,
}

/// A record ready to be written: its line (with the final newline) and its hash.
pub(super) struct Encoded {
    pub(super) line: Vec<u8>,
    pub(super) hash: ChainHash,
}

/// `at` for a time in ms since the epoch: RFC 3339, UTC, exactly three fractional digits.
pub(super) fn format_at(at_ms: u64) -> Option<String> {
    let nanos = i128::from(at_ms).checked_mul(1_000_000)?;
    let t = OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()?;
    let f =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    t.format(&f).ok()
}

/// Encodes the record `seq` after `prev`: canonical bytes, hash, then the line.
pub(super) fn encode(
    seq: u64,
    at: &str,
    prev: &ChainHash,
    event: &AuditEvent,
) -> Result<Encoded, serde_json::Error> {
    let canonical = serde_json::to_vec(&Canonical {
        seq,
        at,
        prev: *prev,
        event,
    })?;
    let hash = ChainHash::chain(prev, &canonical);
    let mut line = canonical;
    // The canonical bytes are a JSON object: replace its closing brace by the hash member.
    line.pop();
    line.extend_from_slice(b",\"hash\":\"");
    line.extend_from_slice(hash.to_hex().as_bytes());
    line.extend_from_slice(b"\"}\n");
    Ok(Encoded { line, hash })
}

/// A line read back, as JSON. The event stays generic so that verification does not
/// depend on this version's list of events.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Parsed {
    seq: u64,
    #[allow(dead_code)]
    at: String,
    prev: ChainHash,
    event: serde_json::Map<String, serde_json::Value>,
    hash: ChainHash,
}

/// What is wrong with one line on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum LineProblem {
    /// Not a record: not UTF-8, not JSON, members missing or extra, hash not last.
    Malformed(String),
    /// A well-formed record whose hash does not match its content.
    Edited {
        /// Its seq.
        seq: u64,
    },
}

/// A line that is a record whose hash matches its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct CheckedLine {
    pub(super) seq: u64,
    pub(super) prev: ChainHash,
    pub(super) hash: ChainHash,
}

/// Checks one line (without its newline) on its own: a record, hashed as its content says.
pub(super) fn check_line(line: &[u8]) -> Result<CheckedLine, LineProblem> {
    let text = std::str::from_utf8(line)
        .map_err(|_| LineProblem::Malformed("the line is not UTF-8".to_owned()))?;
    if text.trim().is_empty() {
        return Err(LineProblem::Malformed("the line is empty".to_owned()));
    }
    let parsed: Parsed = serde_json::from_str(text)
        .map_err(|e| LineProblem::Malformed(format!("not a JSON record: {e}")))?;
    if !parsed.event.get("type").is_some_and(|t| t.is_string()) {
        return Err(LineProblem::Malformed(
            "the event has no \"type\" member".to_owned(),
        ));
    }
    let suffix = format!(",\"hash\":\"{}\"}}", parsed.hash);
    let Some(body) = text.strip_suffix(&suffix) else {
        return Err(LineProblem::Malformed(
            "the record does not end with its \"hash\" member as written by the hub".to_owned(),
        ));
    };
    let mut canonical = Vec::with_capacity(body.len() + 1);
    canonical.extend_from_slice(body.as_bytes());
    canonical.push(b'}');
    if ChainHash::chain(&parsed.prev, &canonical) != parsed.hash {
        return Err(LineProblem::Edited { seq: parsed.seq });
    }
    Ok(CheckedLine {
        seq: parsed.seq,
        prev: parsed.prev,
        hash: parsed.hash,
    })
}
