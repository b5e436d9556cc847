//! Reading and writing frames on quinn streams.

use quinn::{ReadExactError, RecvStream, SendStream};

use crate::wire::{check_prefix, decode_payload, encode_frame, ErrorCode, Frame, WireError};

/// A stream could not deliver a frame.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError {
    /// The peer sent bytes that are not a valid frame.
    #[error("bad frame from peer: {0}")]
    Wire(#[from] WireError),
    /// The stream ended in the middle of a frame.
    #[error("stream ended inside a frame")]
    Truncated,
    /// The peer reset the stream or the connection closed.
    #[error("stream closed: {0}")]
    Closed(String),
}

impl StreamError {
    /// The code to send to the peer, when the peer is at fault.
    pub fn peer_code(&self) -> Option<ErrorCode> {
        match self {
            Self::Wire(w) => Some(w.code()),
            Self::Truncated => Some(ErrorCode::MalformedFrame),
            Self::Closed(_) => None,
        }
    }
}

/// What a frame's buffer starts with before its bytes arrive.
const INITIAL_PAYLOAD: usize = 64 * 1024;

/// Read one frame. `Ok(None)` when the peer finished the stream cleanly between frames.
/// Never buffers more than `max_frame` bytes.
pub async fn read_frame(
    recv: &mut RecvStream,
    max_frame: usize,
) -> Result<Option<Frame>, StreamError> {
    let mut prefix = [0u8; 4];
    match recv.read_exact(&mut prefix).await {
        Ok(()) => {}
        Err(ReadExactError::FinishedEarly(0)) => return Ok(None),
        Err(ReadExactError::FinishedEarly(_)) => return Err(StreamError::Truncated),
        Err(ReadExactError::ReadError(e)) => return Err(StreamError::Closed(e.to_string())),
    }
    let len = check_prefix(prefix, max_frame)?;
    // Grow with the bytes that actually arrive: a peer that announces a large frame and
    // sends nothing holds at most `INITIAL_PAYLOAD` bytes, not `len`.
    let mut payload = Vec::with_capacity(len.min(INITIAL_PAYLOAD));
    while payload.len() < len {
        match recv.read_chunk(len - payload.len(), true).await {
            Ok(Some(chunk)) => payload.extend_from_slice(&chunk.bytes),
            Ok(None) => return Err(StreamError::Truncated),
            Err(e) => return Err(StreamError::Closed(e.to_string())),
        }
    }
    Ok(Some(decode_payload(&payload)?))
}

/// Write one frame.
pub async fn write_frame(
    send: &mut SendStream,
    frame: &Frame,
    max_frame: usize,
) -> Result<(), StreamError> {
    let mut buf = Vec::new();
    encode_frame(frame, max_frame, &mut buf)?;
    send.write_all(&buf)
        .await
        .map_err(|e| StreamError::Closed(e.to_string()))
}
