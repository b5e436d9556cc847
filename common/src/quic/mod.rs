//! The thin I/O glue both ends share (feature `quic`): frames over QUIC streams, and
//! the QUIC transport settings of PROTOCOL.md §4. The protocol logic stays in the
//! sans-I/O modules; this only moves bytes.

mod framed;
mod transport;

pub use framed::{read_frame, write_frame, StreamError};
pub use transport::{crypto_provider, transport_config, TransportLimits, ALPN};
