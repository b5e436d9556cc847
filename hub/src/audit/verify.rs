//! Verification of a whole log: every record well formed, hashed as its content says, in
//! sequence and chained to the one before; optionally ending at the head the hub recorded.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use super::error::AuditVerifyError;
use super::lines::{next_line, Line};
use super::log::torn_tail_start;
use super::record::{check_line, AuditHead, LineProblem, MAX_LINE_BYTES};

/// A log that verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifyReport {
    /// How many records it holds.
    pub records: u64,
    /// Its last record.
    pub head: AuditHead,
}

/// Verifies the log at `path` from its first record to its last.
///
/// With `expected_head` (the head the hub stored beside its messages), also checks that
/// the log reaches that seq and that the record there has that hash; records after it are
/// accepted (the hub may have stopped between writing the log and storing its head).
/// Reports the first problem found, naming the line (from 1) and the seq (from 1).
pub fn verify_file(
    path: impl AsRef<Path>,
    expected_head: Option<&AuditHead>,
) -> Result<VerifyReport, AuditVerifyError> {
    let path = path.as_ref();
    let shown = path.display().to_string();
    let file = File::open(path).map_err(|e| io_error(&shown, &e))?;
    verify_reader(BufReader::new(file), &shown, expected_head)
}

/// [`verify_file`] over the complete records only: a last line the running hub is still
/// writing (no newline yet) is left out rather than reported. For reading a live log.
pub fn verify_complete_records(
    path: impl AsRef<Path>,
    expected_head: Option<&AuditHead>,
) -> Result<VerifyReport, AuditVerifyError> {
    let path = path.as_ref();
    let shown = path.display().to_string();
    let mut file = File::open(path).map_err(|e| io_error(&shown, &e))?;
    let len = file.metadata().map_err(|e| io_error(&shown, &e))?.len();
    let complete = torn_tail_start(&mut file, len)
        .map_err(|e| io_error(&shown, &e))?
        .unwrap_or(len);
    file.seek(SeekFrom::Start(0))
        .map_err(|e| io_error(&shown, &e))?;
    verify_reader(BufReader::new(file.take(complete)), &shown, expected_head)
}

/// [`verify_file`] over any buffered reader; `name` names it in I/O errors.
pub fn verify_reader<R: BufRead>(
    mut reader: R,
    name: &str,
    expected_head: Option<&AuditHead>,
) -> Result<VerifyReport, AuditVerifyError> {
    let mut head = AuditHead::EMPTY;
    let mut line_no: u64 = 0;
    let mut buf = Vec::new();
    while let Some(read) = next_line(&mut reader, &mut buf).map_err(|e| io_error(name, &e))? {
        line_no += 1;
        let expected_seq = head.seq + 1;
        match read {
            Line::Complete => {}
            Line::Incomplete => {
                return Err(AuditVerifyError::Incomplete {
                    line: line_no,
                    expected_seq,
                })
            }
            Line::TooLong => {
                return Err(AuditVerifyError::Malformed {
                    line: line_no,
                    expected_seq,
                    reason: format!("the line is longer than {MAX_LINE_BYTES} bytes"),
                })
            }
        }
        let record = check_line(&buf).map_err(|problem| match problem {
            LineProblem::Malformed(reason) => AuditVerifyError::Malformed {
                line: line_no,
                expected_seq,
                reason,
            },
            LineProblem::Edited { seq } => AuditVerifyError::Edited { line: line_no, seq },
        })?;
        if record.seq != expected_seq {
            return Err(AuditVerifyError::OutOfSequence {
                line: line_no,
                seq: record.seq,
                expected_seq,
            });
        }
        if record.prev != head.hash {
            return Err(AuditVerifyError::BrokenChain {
                line: line_no,
                seq: record.seq,
            });
        }
        head = AuditHead {
            seq: record.seq,
            hash: record.hash,
        };
        if let Some(expected) = expected_head {
            if expected.seq == head.seq && expected.hash != head.hash {
                return Err(AuditVerifyError::HeadMismatch {
                    seq: head.seq,
                    recorded: expected.hash,
                    found: head.hash,
                });
            }
        }
    }
    if let Some(expected) = expected_head {
        if head.seq < expected.seq {
            return Err(AuditVerifyError::Truncated {
                last_seq: head.seq,
                recorded_seq: expected.seq,
            });
        }
        if expected.seq == 0 && expected.hash != AuditHead::EMPTY.hash {
            return Err(AuditVerifyError::HeadMismatch {
                seq: 0,
                recorded: expected.hash,
                found: AuditHead::EMPTY.hash,
            });
        }
    }
    Ok(VerifyReport {
        records: head.seq,
        head,
    })
}

fn io_error(name: &str, e: &std::io::Error) -> AuditVerifyError {
    AuditVerifyError::Io {
        path: name.to_owned(),
        kind: e.kind(),
        message: e.to_string(),
    }
}
