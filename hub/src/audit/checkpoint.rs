//! Audit checkpoints: the log's head (seq, hash) and a time, signed by the hub's identity
//! key, for an auditor to keep away from the hub. `cordon-hub audit verify --checkpoint`
//! later checks that the log still holds that record with that hash: whoever rewrites or
//! shortens the log then has to forge the hub's signature on every checkpoint kept
//! elsewhere, not just edit the hub's own files.
//!
//! # Format
//!
//! UTF-8 text, one `name value` pair per line, each line ended by `\n`, in this order:
//!
//! ```text
//! cordon-audit-checkpoint 1
//! seq 1234
//! hash 3fa2…(64 lower-case hex digits)
//! at 2026-12-04T14:00:00.000Z
//! hub-cert 3082…(the hub's certificate, DER, lower-case hex)
//! signature 5d1c…(lower-case hex)
//! ```
//!
//! The signature is the hub identity key's (Ed25519, or ECDSA P-256 with SHA-256, ASN.1
//! DER) over `"cordon/1 audit-checkpoint\0"` followed by every byte of the file before
//! the `signature` line (the first five lines, with their newlines). The context string
//! keeps a checkpoint signature from ever being taken for an envelope or a key bundle.

use std::fmt;
use std::path::Path;

use cordon_common::pki::{IdentityKey, TrustError, TrustStore};

use super::error::AuditVerifyError;
use super::record::{format_at, AuditHead, ChainHash};
use super::verify::{verify_file, VerifyReport};

/// What the hub's identity key signs, before the checkpoint's own bytes.
pub const CHECKPOINT_CONTEXT: &[u8] = b"cordon/1 audit-checkpoint\0";

const MAGIC: &str = "cordon-audit-checkpoint 1";

/// A signed audit head.
#[derive(Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The head it vouches for.
    pub head: AuditHead,
    /// When it was made, RFC 3339 UTC with milliseconds.
    pub at: String,
    /// The signing hub's certificate, DER.
    pub hub_cert: Vec<u8>,
    /// The signature.
    pub signature: Vec<u8>,
}

impl fmt::Debug for Checkpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Checkpoint({} at {})", self.head, self.at)
    }
}

/// A checkpoint that could not be made, read or verified.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// The file is not a checkpoint as `cordon-hub audit checkpoint` writes it.
    #[error("line {line}: not an audit checkpoint: {reason}")]
    Malformed {
        /// The line, from 1.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// The certificate in it is not a hub certificate of this federation (at the
    /// checkpoint's time).
    #[error(
        "the checkpoint's hub certificate is not trusted: {0} (is --config or --root the \
         federation's root?)"
    )]
    UntrustedHub(#[from] TrustError),
    /// The signature does not verify under that certificate's key.
    #[error("the checkpoint's signature does not verify: the checkpoint was altered or forged")]
    BadSignature,
    /// The log does not hold the checkpoint's record.
    #[error("the log does not match the checkpoint (seq {}, hash {}): {source}", .head.seq, .head.hash)]
    LogMismatch {
        /// The checkpoint's head.
        head: AuditHead,
        /// What verification found.
        source: AuditVerifyError,
    },
    /// Signing failed, or the time could not be written.
    #[error("cannot make the checkpoint: {0}")]
    Make(String),
}

impl Checkpoint {
    /// Signs `head` at `at_ms` (ms since the epoch) with the hub's `key`; `hub_cert` is
    /// the certificate of that key.
    pub fn sign(
        head: AuditHead,
        at_ms: u64,
        hub_cert: &[u8],
        key: &IdentityKey,
    ) -> Result<Checkpoint, CheckpointError> {
        let at = format_at(at_ms)
            .ok_or_else(|| CheckpointError::Make(format!("time {at_ms} ms is out of range")))?;
        let mut cp = Checkpoint {
            head,
            at,
            hub_cert: hub_cert.to_vec(),
            signature: Vec::new(),
        };
        cp.signature = key
            .sign(CHECKPOINT_CONTEXT, cp.signed_text().as_bytes())
            .map_err(|e| CheckpointError::Make(e.to_string()))?;
        Ok(cp)
    }

    /// The lines the signature covers.
    fn signed_text(&self) -> String {
        format!(
            "{MAGIC}\nseq {}\nhash {}\nat {}\nhub-cert {}\n",
            self.head.seq,
            self.head.hash,
            self.at,
            hex::encode(&self.hub_cert)
        )
    }

    /// The checkpoint file's text.
    pub fn to_text(&self) -> String {
        format!(
            "{}signature {}\n",
            self.signed_text(),
            hex::encode(&self.signature)
        )
    }

    /// Reads a checkpoint file's text (without checking its signature).
    pub fn parse(text: &str) -> Result<Checkpoint, CheckpointError> {
        let bad = |line: usize, reason: String| CheckpointError::Malformed { line, reason };
        let lines: Vec<&str> = text.split_terminator('\n').collect();
        if !text.ends_with('\n') || lines.len() != 6 {
            return Err(bad(
                lines.len().min(6),
                "expected exactly six lines, each ended by a newline".to_owned(),
            ));
        }
        if lines[0] != MAGIC {
            return Err(bad(1, format!("the first line must be {MAGIC:?}")));
        }
        let field = |i: usize, name: &str| -> Result<&str, CheckpointError> {
            lines[i]
                .strip_prefix(name)
                .and_then(|rest| rest.strip_prefix(' '))
                .ok_or_else(|| bad(i + 1, format!("expected `{name} <value>`")))
        };
        let seq = field(1, "seq")?
            .parse::<u64>()
            .map_err(|e| bad(2, format!("seq: {e}")))?;
        let hash: ChainHash = field(2, "hash")?
            .parse()
            .map_err(|e| bad(3, format!("hash: {e}")))?;
        let at = field(3, "at")?.to_owned();
        at_unix_secs(&at).ok_or_else(|| bad(4, format!("at {at:?} is not an RFC 3339 time")))?;
        let hub_cert = decode_hex(field(4, "hub-cert")?).map_err(|e| bad(5, e))?;
        let signature = decode_hex(field(5, "signature")?).map_err(|e| bad(6, e))?;
        let cp = Checkpoint {
            head: AuditHead { seq, hash },
            at,
            hub_cert,
            signature,
        };
        // Only the canonical form is accepted, so the signed bytes are the file's bytes.
        if cp.to_text() != text {
            return Err(bad(1, "not in the form the hub writes".to_owned()));
        }
        Ok(cp)
    }

    /// Checks that a hub of the federation (`trust`: its roots and CRLs) signed this: the
    /// certificate chains to a root with serverAuth, is valid at the checkpoint's time and
    /// not revoked, and its key verifies the signature.
    pub fn verify_signature(&self, trust: &TrustStore) -> Result<(), CheckpointError> {
        let at = at_unix_secs(&self.at).ok_or_else(|| CheckpointError::Malformed {
            line: 4,
            reason: format!("at {:?} is not an RFC 3339 time", self.at),
        })?;
        let key = trust.verify_hub_cert(&self.hub_cert, at)?;
        if key.verify_with_context(
            CHECKPOINT_CONTEXT,
            self.signed_text().as_bytes(),
            &self.signature,
        ) {
            Ok(())
        } else {
            Err(CheckpointError::BadSignature)
        }
    }

    /// Checks the log at `path` from its first record, and that it holds this
    /// checkpoint's record (that seq, that hash); records after it are expected.
    pub fn check_log(&self, path: &Path) -> Result<VerifyReport, CheckpointError> {
        verify_file(path, Some(&self.head)).map_err(|source| CheckpointError::LogMismatch {
            head: self.head,
            source,
        })
    }
}

fn decode_hex(s: &str) -> Result<Vec<u8>, String> {
    if s.is_empty() || s.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err("expected lower-case hexadecimal".to_owned());
    }
    hex::decode(s).map_err(|e| format!("not hexadecimal: {e}"))
}

fn at_unix_secs(at: &str) -> Option<u64> {
    let t = time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).ok()?;
    u64::try_from(t.unix_timestamp()).ok()
}
