//! `Notice`: general information for an operation's participants.

use serde::{Deserialize, Serialize};

use super::attachment::check_attachments;
use super::strenum::string_enum;
use super::validate::{Checker, Outcome, Path, Validate};
use super::{Attachment, Limits, ValidationError};

string_enum! {
    /// The phase of an operation a notice belongs to.
    pub enum Phase ("phase") {
        /// Preparing the operation.
        Planning => "planning",
        /// The operational phase: targeting and controls.
        Interdiction => "interdiction",
        /// Investigations after a seizure.
        FollowUp => "follow-up",
        /// Final results and reports.
        Reporting => "reporting",
    }
}

/// A general notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notice {
    /// Short title.
    pub title: String,
    /// The notice itself.
    pub text: String,
    /// The phase of the operation it concerns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<Phase>,
    /// Attached files.
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// The officer who drafted it, as the sending node's console or command line knew
    /// them (inside the signed, encrypted body, so recipients see "BE-NCP / name").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drafted_by: Option<String>,
}

impl Notice {
    /// Checks every field against the rules and `limits`, returning the first error.
    pub fn validate(&self, limits: &Limits) -> Result<(), ValidationError> {
        Checker::run(limits, self)
    }
}

impl Validate for Notice {
    fn validate_at(&self, c: &Checker<'_>, p: &Path<'_>) -> Outcome {
        c.opt_short(p, "drafted_by", self.drafted_by.as_deref())?;
        c.short(p, "title", &self.title)?;
        c.text(p, "text", &self.text)?;
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
        assert_eq!(samples::notice().validate(&Limits::default()), Ok(()));
    }

    #[test]
    fn too_many_attachments() {
        let mut notice = samples::notice();
        let one = notice.attachments[0].clone();
        notice.attachments = vec![one; 21];
        let err = notice.validate(&Limits::default()).unwrap_err();
        assert_eq!(err.field, "attachments");
        assert_eq!(err.rule, Rule::TooMany { max: 20 });
    }

    #[test]
    fn empty_attachment_data_path() {
        let mut notice = samples::notice();
        notice.attachments[0].data.clear();
        let err = notice.validate(&Limits::default()).unwrap_err();
        assert_eq!(err.field, "attachments[0].data");
    }

    #[test]
    fn phase_strings() {
        assert_eq!(Phase::FollowUp.as_str(), "follow-up");
        assert_eq!(
            serde_json::from_str::<Phase>("\"follow-up\"").unwrap(),
            Phase::FollowUp
        );
        assert!(serde_json::from_str::<Phase>("\"followup\"").is_err());
    }
}
