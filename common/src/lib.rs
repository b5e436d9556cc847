//! Cordon's shared core.
//!
//! Everything the hub and the nodes must agree on, without I/O: identifiers, the message
//! model and its validation, identity from certificates, the PKI helpers, the signed and
//! encrypted envelope, and the wire codec. The byte-exact formats are in `docs/PROTOCOL.md`.

#![forbid(unsafe_code)]

pub mod envelope;
pub mod identity;
pub mod ids;
mod mp;
pub mod msg;
pub mod pki;
#[cfg(feature = "quic")]
pub mod quic;
pub mod roster;
pub mod testkit;
pub mod wire;
