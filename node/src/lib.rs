//! The Cordon node: what every member administration and RILO runs.
//!
//! The daemon ([`daemon::RunningNode`]) keeps one link to the hub ([`link`]), a durable
//! store ([`store`]) with the outbox ([`outbox`]) and the inbox ([`receive`]; listed and
//! searched through [`inbox`]), sends and records receipts ([`receipts`]), and serves the
//! officers' operations ([`service`]) over a local HTTP+JSON API ([`api`]) and, when
//! enabled, the officers' web console ([`console`], with officer accounts in
//! [`officers`]). The command line ([`cli`]) talks to that API.
#![forbid(unsafe_code)]

pub mod api;
pub mod api_client;
pub mod cli;
pub mod client;
pub mod config;
pub mod console;
pub mod daemon;
pub mod grants;
pub mod hub_verifier;
pub mod in_flight;
pub mod inbox;
pub mod keys;
pub mod link;
pub mod officer_cli;
pub mod officers;
pub mod outbox;
pub mod readers;
pub mod receipts;
pub mod receive;
pub mod refusal;
pub mod service;
pub mod state;
pub mod store;

pub use config::NodeConfig;
pub use daemon::{RunningNode, StartError};
