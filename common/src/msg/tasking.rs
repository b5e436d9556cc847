//! `Tasking`: instructions from an operation's coordinators.

use serde::{Deserialize, Serialize};

use super::attachment::check_attachments;
use super::validate::{Checker, Outcome, Path, Validate};
use super::{Attachment, Limits, Timestamp, ValidationError};

/// A task given to participants in an operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tasking {
    /// Short title.
    pub title: String,
    /// What to do.
    pub instructions: String,
    /// When the task must be done by.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::time::opt_deadline"
    )]
    pub due_by: Option<Timestamp>,
    /// Whether recipients must acknowledge the task.
    #[serde(default)]
    pub ack_required: bool,
    /// Attached files.
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// The officer who drafted it, as the sending node's console or command line knew
    /// them (inside the signed, encrypted body, so recipients see "BE-NCP / name").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drafted_by: Option<String>,
}

impl Tasking {
    /// Checks every field against the rules and `limits`, returning the first error.
    pub fn validate(&self, limits: &Limits) -> Result<(), ValidationError> {
        Checker::run(limits, self)
    }
}

impl Validate for Tasking {
    fn validate_at(&self, c: &Checker<'_>, p: &Path<'_>) -> Outcome {
        c.opt_short(p, "drafted_by", self.drafted_by.as_deref())?;
        c.short(p, "title", &self.title)?;
        c.text(p, "instructions", &self.instructions)?;
        c.opt(p, "due_by", self.due_by.as_ref())?;
        check_attachments(c, p, &self.attachments)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::msg::{samples, Rule};

    #[test]
    fn sample_is_valid() {
        assert_eq!(samples::tasking().validate(&Limits::default()), Ok(()));
    }

    #[test]
    fn title_control_characters_refused() {
        let mut tasking = samples::tasking();
        tasking.title = "Check\u{1b}[2J manifests".into();
        let err = tasking.validate(&Limits::default()).unwrap_err();
        assert_eq!(err.field, "title");
        assert_eq!(err.rule, Rule::ControlCharacter { found: 0x1b });
    }

    #[test]
    fn instructions_too_long() {
        let mut tasking = samples::tasking();
        tasking.instructions = "x".repeat(8001);
        let err = tasking.validate(&Limits::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "instructions: must be at most 8000 characters"
        );
        tasking.instructions.pop();
        assert_eq!(tasking.validate(&Limits::default()), Ok(()));
    }

    #[test]
    fn attachments_over_byte_limit() {
        let mut tasking = samples::tasking();
        let limits = Limits {
            max_attachment_bytes: 1024,
            ..Limits::default()
        };
        assert_eq!(tasking.validate(&limits), Ok(()));
        tasking.attachments[0].data = vec![0; 1025];
        let err = tasking.validate(&limits).unwrap_err();
        assert_eq!(err.field, "attachments");
        assert_eq!(
            err.rule,
            Rule::AttachmentsTooLarge {
                total: 1025,
                max: 1024
            }
        );
    }
}
