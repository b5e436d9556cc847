//! The Cordon hub: the Secretariat's server.
#![forbid(unsafe_code)]

pub mod audit;
pub mod ca_dir;
pub mod config;
pub mod metrics;
pub mod policy;
pub mod tls;
