//! Fault injection for reliability runs: a UDP proxy that drops, delays, reorders,
//! duplicates and partitions the traffic between nodes and the hub, and the scenarios of
//! `docs/RELIABILITY.md` (the short versions run in `cargo test`, the long ones in
//! `cordon-faults`).

pub mod proxy;
pub mod rng;

pub use proxy::{Direction, FaultProxy, Faults, LinkFaults, ProxyStats};
pub use rng::SeededRng;
