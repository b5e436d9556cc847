//! The Cordon node: what every member administration and RILO runs.
#![forbid(unsafe_code)]

pub mod client;
