//! Framing: length prefix, version, type, then the MessagePack body.
//!
//! "Incomplete" is a normal state (`Ok(None)`); a frame that can never become valid is
//! an error with a code for the peer. The decoder never buffers more than one maximum
//! frame.

use super::error::WireError;
use super::frame::{Frame, WIRE_VERSION};

/// Bytes before the body: length (4), version (1), type (1).
pub const PREFIX_LEN: usize = 6;
/// Default maximum of the length field: 16 MiB of attachments plus envelope overhead.
pub const DEFAULT_MAX_FRAME: usize = 17 * 1024 * 1024;
/// No configuration may raise the maximum above this.
pub const LIMIT_MAX_FRAME: usize = 64 * 1024 * 1024;

/// Append `frame`, framed, to `out`. Fails if it would exceed `max_frame`.
pub fn encode_frame(frame: &Frame, max_frame: usize, out: &mut Vec<u8>) -> Result<(), WireError> {
    let start = out.len();
    out.extend_from_slice(&[0, 0, 0, 0, WIRE_VERSION, frame.frame_type()]);
    if let Err(e) = frame.encode_body(out) {
        out.truncate(start);
        return Err(WireError::Encode(e.to_string()));
    }
    let len = out.len() - start - 4;
    if len > max_frame {
        out.truncate(start);
        return Err(WireError::Encode(format!(
            "{} frame of {len} bytes exceeds {max_frame}",
            frame.name()
        )));
    }
    // Invariant: len <= max_frame <= LIMIT_MAX_FRAME < u32::MAX.
    let len = u32::try_from(len).map_err(|_| WireError::Encode("frame too large".into()))?;
    out[start..start + 4].copy_from_slice(&len.to_be_bytes());
    Ok(())
}

/// Read the 4-byte length prefix and check it against `max_frame`. Returns the number of
/// bytes that follow (version, type and body).
pub fn check_prefix(prefix: [u8; 4], max_frame: usize) -> Result<usize, WireError> {
    let len = u32::from_be_bytes(prefix) as usize;
    if len > max_frame {
        return Err(WireError::TooLarge {
            len,
            max: max_frame,
        });
    }
    if len < 2 {
        return Err(WireError::TooShort(len));
    }
    Ok(len)
}

/// Decode what follows the length prefix: version, type, body.
pub fn decode_payload(payload: &[u8]) -> Result<Frame, WireError> {
    match payload {
        [version, ..] if *version != WIRE_VERSION => Err(WireError::UnsupportedVersion(*version)),
        [_, frame_type, body @ ..] => Frame::decode_body(*frame_type, body),
        _ => Err(WireError::TooShort(payload.len())),
    }
}

/// An incremental decoder over a byte stream.
#[derive(Debug)]
pub struct FrameDecoder {
    buf: Vec<u8>,
    max_frame: usize,
}

impl FrameDecoder {
    /// A decoder accepting frames whose length field is at most `max_frame`.
    pub fn new(max_frame: usize) -> Self {
        Self {
            buf: Vec::new(),
            max_frame: max_frame.min(LIMIT_MAX_FRAME),
        }
    }

    /// Bytes buffered and not yet decoded.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// How many more bytes the decoder can take before [`Self::next_frame`] must be called.
    pub fn room(&self) -> usize {
        (self.max_frame + 4).saturating_sub(self.buf.len())
    }

    /// Feed bytes. Takes at most [`Self::room`] bytes and returns how many it took; feed
    /// the rest after draining frames.
    pub fn push(&mut self, data: &[u8]) -> usize {
        let n = data.len().min(self.room());
        self.buf.extend_from_slice(&data[..n]);
        n
    }

    /// The next whole frame, `Ok(None)` if more bytes are needed, or an error after which
    /// the stream must be closed with [`WireError::code`].
    pub fn next_frame(&mut self) -> Result<Option<Frame>, WireError> {
        let Some(prefix) = self.buf.get(..4) else {
            return Ok(None);
        };
        let mut p = [0u8; 4];
        p.copy_from_slice(prefix);
        let len = check_prefix(p, self.max_frame)?;
        let Some(payload) = self.buf.get(4..4 + len) else {
            return Ok(None);
        };
        let frame = decode_payload(payload);
        self.buf.drain(..4 + len);
        frame.map(Some)
    }
}
