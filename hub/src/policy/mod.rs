//! The channel policy: who may read which channel and publish which message kinds.
//!
//! The policy is a TOML file written by the Secretariat (a fully commented example:
//! `certs-example/policy.toml`). It defines operations; each has participants, channels
//! with read and publish rules, and rules for direct messages to named participants.
//! Rules name their subjects with selectors (node ids, roles, countries, or every
//! participant). Loading validates everything and refuses a bad file with its path, line,
//! column and reason, so a reload can keep the old policy and say exactly what is wrong.
//!
//! Decisions are pure functions of the policy, the subject (from its certificate), the
//! action and the time, passed in as ms since the Unix epoch. Default deny: anything no
//! rule allows is refused with a [`Denial`] whose reason names the rule. Hard rules that no
//! file can lift: only role ocu sends notices; every grant requires being a participant;
//! a closed operation takes no new messages but receipts; a direct channel is readable
//! only by its node. A refusal never tells a non-participant whether an operation or its
//! channels exist.

mod decide;
mod error;
mod load;
mod matrix;
mod model;
mod raw;
mod roster;
mod subject;

#[cfg(test)]
mod tests;

use std::path::Path;

use cordon_common::ids::{ChannelName, OperationName};

pub use self::decide::{Denial, PublishRequest, REPLY_KINDS};
pub use self::error::{Location, PolicyError};
pub use self::model::{OperationInfo, Phase};
pub use self::subject::Subject;

/// A loaded, validated policy. Cheap to query; replace it whole on reload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    origin: String,
    operations: Vec<OperationInfo>,
}

impl Policy {
    /// Parses and validates policy text; `origin` (usually the path) names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Policy, PolicyError> {
        Ok(Policy {
            origin: origin.to_owned(),
            operations: load::operations(text, origin)?,
        })
    }

    /// Reads, parses and validates the policy file at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<Policy, PolicyError> {
        let path = path.as_ref();
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| PolicyError::Io {
            path: origin.clone(),
            kind: e.kind(),
            message: e.to_string(),
        })?;
        Self::parse(&text, &origin)
    }

    /// Where the policy was loaded from.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Every operation channel, operation by operation, in file order.
    pub fn channels(&self) -> impl Iterator<Item = &ChannelName> {
        self.operations
            .iter()
            .flat_map(OperationInfo::channel_names)
    }

    /// Every operation, in file order.
    pub fn operations(&self) -> impl Iterator<Item = &OperationInfo> {
        self.operations.iter()
    }

    /// The operation called `name`, if the policy defines it.
    pub fn operation(&self, name: &OperationName) -> Option<&OperationInfo> {
        self.operations.iter().find(|o| &o.name == name)
    }
}
