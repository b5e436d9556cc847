//! The policy file as written: serde structures that keep every value's position, so the
//! loader can say where a bad value is. Unknown keys are refused.

use serde::Deserialize;
use toml::Spanned;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPolicy {
    #[serde(default)]
    pub(super) operation: Vec<Spanned<RawOperation>>,
}

/// `[[operation]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOperation {
    pub(super) name: Spanned<String>,
    #[serde(default)]
    pub(super) title: String,
    pub(super) phase: Spanned<String>,
    pub(super) ends: Spanned<String>,
    pub(super) retention_days: u32,
    pub(super) participants: Spanned<RawSelector>,
    #[serde(default)]
    pub(super) channel: Vec<Spanned<RawChannel>>,
    #[serde(default)]
    pub(super) direct: Vec<Spanned<RawRule>>,
}

/// `[[operation.channel]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawChannel {
    pub(super) name: Spanned<String>,
    #[serde(default)]
    pub(super) read: Option<Spanned<RawSelector>>,
    #[serde(default)]
    pub(super) publish: Vec<Spanned<RawRule>>,
}

/// `[[operation.channel.publish]]` and `[[operation.direct]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRule {
    pub(super) kinds: Spanned<Vec<Spanned<String>>>,
    pub(super) by: Spanned<RawSelector>,
}

/// `{ nodes = [...], roles = [...], countries = [...], participants = true }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSelector {
    #[serde(default)]
    pub(super) nodes: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) roles: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) countries: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) participants: Option<Spanned<bool>>,
}
