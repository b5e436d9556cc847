//! The wire codec (sans-I/O): length-prefixed MessagePack frames.
//!
//! ```text
//! frame = length: u32 big-endian | version: u8 = 1 | type: u8 | body: MessagePack array
//! ```
//! `length` counts the bytes after itself (version, type and body) and is at most the
//! negotiated maximum. Bytes in, frames out; no sockets here. Layout of every frame:
//! `docs/PROTOCOL.md`.

mod capacity;
mod codec;
mod error;
mod frame;

pub use capacity::{max_envelope, DELIVER_OVERHEAD};
pub use codec::{
    check_prefix, decode_payload, encode_frame, FrameDecoder, DEFAULT_MAX_FRAME, LIMIT_MAX_FRAME,
    PREFIX_LEN,
};
pub use error::{ErrorCode, WireError};
pub use frame::{
    Deliver, DeliverAck, DirectGrant, DirectoryEntry, DirectoryRequest, DirectoryResponse,
    ErrorFrame, Frame, Grant, Hello, KeyBundleAck, KeyBundlePublish, Ping, Pong, Publish,
    PublishAck, PublishOutcome, Subscribe, Subscribed, Welcome, WIRE_VERSION,
};
