//! The Cordon hub: the Secretariat's server.
//!
//! QUIC with mandatory mutual TLS (`listener`, `tls`, `session`), the channel policy
//! (`policy`), the publish path (`publish`), durable store-and-forward (`store`,
//! `delivery`), the directory of nodes and key bundles (`directory`), the hash-chained
//! audit log (`audit`, `audit_sink`), metrics, reloads and retention. `server` assembles
//! them; `docs/ARCHITECTURE.md` shows the data flow.
#![forbid(unsafe_code)]

pub mod audit;
pub mod audit_sink;
pub mod backlog;
pub mod ca_dir;
pub mod check_pool;
pub mod cli;
pub mod config;
pub mod delivery;
pub mod directory;
pub mod handshake_audit;
pub mod handshake_gate;
pub mod handshake_tls;
pub mod listener;
pub mod metrics;
pub mod policy;
pub mod publish;
pub mod publish_gate;
pub mod recheck;
pub mod reload;
pub mod reset_key;
pub mod retention;
pub mod roster_file;
pub mod server;
pub mod session;
pub mod sessions;
pub mod state;
pub mod store;
pub mod tls;
