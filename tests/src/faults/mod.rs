//! Fault injection for reliability runs: a UDP proxy that drops, delays, reorders,
//! duplicates and partitions the traffic between nodes and the hub, and the scenarios of
//! `docs/RELIABILITY.md` (the short versions run in `cargo test`, the long ones in
//! `cordon-faults`).

pub mod daemons;
pub mod disk;
pub mod ledger;
pub mod proxy;
pub mod report;
pub mod rng;
pub mod scenarios;

pub use proxy::{Direction, FaultProxy, Faults, LinkFaults, ProxyStats};
pub use report::{markdown, Scale, ScenarioReport};
pub use rng::SeededRng;
