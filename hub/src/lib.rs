//! placeholder
pub mod policy;
pub mod audit;
