//! TEMPORARY stand-in until the message model lands (replaced in the next commit).
#![allow(missing_docs)]
use serde::{Deserialize, Serialize};
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MessageKind {
    Alert,
    Feedback,
    Seizure,
    TrackingRequest,
    TrackingUpdate,
    Tasking,
    Notice,
    Receipt,
}
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Priority {
    Flash,
    Urgent,
    Routine,
}
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Tlp {
    #[serde(rename = "RED")]
    Red,
    #[serde(rename = "AMBER+STRICT")]
    AmberStrict,
    #[serde(rename = "AMBER")]
    Amber,
    #[serde(rename = "GREEN")]
    Green,
    #[serde(rename = "CLEAR")]
    Clear,
}
