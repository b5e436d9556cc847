//! Reading lines with a bound on their length: one after another from the start of the
//! file (for verification), or the last one (to resume appending).

use std::fs::File;
use std::io::{self, BufRead, Read, Seek, SeekFrom};
use std::ops::ControlFlow;

use super::record::MAX_LINE_BYTES;

/// One line read from the start.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Line {
    /// Ended by a newline (not included).
    Complete,
    /// The file ended before a newline.
    Incomplete,
    /// Longer than [`MAX_LINE_BYTES`].
    TooLong,
}

/// Reads the next line into `buf` (cleared first); `None` at the end of the input.
pub(super) fn next_line<R: BufRead>(r: &mut R, buf: &mut Vec<u8>) -> io::Result<Option<Line>> {
    buf.clear();
    let limit = u64::try_from(MAX_LINE_BYTES)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let n = r.by_ref().take(limit).read_until(b'\n', buf)?;
    if n == 0 {
        return Ok(None);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
        Ok(Some(Line::Complete))
    } else if buf.len() > MAX_LINE_BYTES {
        Ok(Some(Line::TooLong))
    } else {
        Ok(Some(Line::Incomplete))
    }
}

/// The last line of a file of `len` bytes, without its newline: `Ok(None)` for an empty
/// file, `Ok(Some(Err(why)))` if the file does not end with a complete line of at most
/// [`MAX_LINE_BYTES`].
pub(super) fn last_line(file: &mut File, len: u64) -> io::Result<Option<Result<Vec<u8>, String>>> {
    const CHUNK: u64 = 64 * 1024;
    if len == 0 {
        return Ok(None);
    }
    let mut last = [0u8; 1];
    file.seek(SeekFrom::Start(len - 1))?;
    file.read_exact(&mut last)?;
    if last[0] != b'\n' {
        return Ok(Some(Err(
            "the file does not end with a newline: the last record is incomplete".to_owned(),
        )));
    }
    // Read backwards from the final newline to the newline before it (or the start).
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    let mut collected: u64 = 0;
    let mut pos = len - 1;
    while pos > 0 {
        let size = CHUNK.min(pos);
        let start = pos - size;
        let mut buf = vec![0u8; usize::try_from(size).unwrap_or(0)];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut buf)?;
        if let Some(i) = buf.iter().rposition(|b| *b == b'\n') {
            chunks.push(buf.split_off(i + 1));
            break;
        }
        collected += size;
        chunks.push(buf);
        pos = start;
        if collected > u64::try_from(MAX_LINE_BYTES).unwrap_or(u64::MAX) {
            return Ok(Some(Err(format!(
                "the last line is longer than {MAX_LINE_BYTES} bytes"
            ))));
        }
    }
    let line: Vec<u8> = chunks.into_iter().rev().flatten().collect();
    Ok(Some(Ok(line)))
}

/// Calls `visit` with each complete line of a file of `len` bytes ending in a newline,
/// last line first (each without its newline), until it breaks; returns what it broke
/// with, or `None` once the first line was visited. A line longer than
/// [`MAX_LINE_BYTES`] is an [`io::ErrorKind::InvalidData`] error. Reads 64 KiB at a time,
/// so finding a record near the end costs what lies after it, not the whole file.
pub(super) fn visit_lines_backwards<T>(
    file: &mut File,
    len: u64,
    mut visit: impl FnMut(&[u8]) -> ControlFlow<T>,
) -> io::Result<Option<T>> {
    const CHUNK: u64 = 64 * 1024;
    // The bytes of the lines not yet visited, from `pos` on (without the final newline).
    let mut pending: Vec<u8> = Vec::new();
    let mut pos = len.saturating_sub(1);
    loop {
        while let Some(i) = pending.iter().rposition(|b| *b == b'\n') {
            if let ControlFlow::Break(t) = visit(&pending[i + 1..]) {
                return Ok(Some(t));
            }
            pending.truncate(i);
        }
        if pos == 0 {
            if pending.is_empty() {
                return Ok(None);
            }
            return Ok(match visit(&pending) {
                ControlFlow::Break(t) => Some(t),
                ControlFlow::Continue(()) => None,
            });
        }
        if pending.len() > MAX_LINE_BYTES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("a line is longer than {MAX_LINE_BYTES} bytes"),
            ));
        }
        let size = CHUNK.min(pos);
        let start = pos - size;
        let mut chunk = vec![0u8; usize::try_from(size).unwrap_or(0)];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut chunk)?;
        chunk.extend_from_slice(&pending);
        pending = chunk;
        pos = start;
    }
}
