//! `Feedback`: what came of an alert.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::attachment::check_attachments;
use super::strenum::string_enum;
use super::validate::{Checker, Outcome, Path, Validate};
use super::{Attachment, Limits, ValidationError};

string_enum! {
    /// The result of acting on an alert.
    pub enum FeedbackOutcome ("feedback outcome") {
        /// Inspected; see details.
        Inspected => "inspected",
        /// Inspected and nothing found.
        NothingFound => "nothing-found",
        /// Goods seized (see the linked seizure).
        Seized => "seized",
        /// The shipment did not arrive.
        NotArrived => "not-arrived",
        /// Released without action.
        Released => "released",
        /// Monitored as asked.
        Monitored => "monitored",
        /// Not acted upon.
        NotActioned => "not-actioned",
    }
}

/// The recipient's account of what it did with an alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Feedback {
    /// Id of the alert this answers.
    pub alert_id: Uuid,
    /// The outcome.
    pub outcome: FeedbackOutcome,
    /// What was done and found.
    pub details: String,
    /// Id of the seizure report, if goods were seized.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seizure_id: Option<Uuid>,
    /// Attached files.
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// The officer who drafted it, as the sending node's console or command line knew
    /// them (inside the signed, encrypted body, so recipients see "BE-NCP / name").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drafted_by: Option<String>,
}

impl Feedback {
    /// Checks every field against the rules and `limits`, returning the first error.
    pub fn validate(&self, limits: &Limits) -> Result<(), ValidationError> {
        Checker::run(limits, self)
    }
}

impl Validate for Feedback {
    fn validate_at(&self, c: &Checker<'_>, p: &Path<'_>) -> Outcome {
        c.opt_short(p, "drafted_by", self.drafted_by.as_deref())?;
        c.text(p, "details", &self.details)?;
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
        assert_eq!(samples::feedback().validate(&Limits::default()), Ok(()));
    }

    #[test]
    fn blank_details_refused() {
        let mut feedback = samples::feedback();
        feedback.details = " \n ".into();
        let err = feedback.validate(&Limits::default()).unwrap_err();
        assert_eq!(err.field, "details");
        assert_eq!(err.rule, Rule::Empty);
    }

    #[test]
    fn attachment_name_path() {
        let mut feedback = samples::feedback();
        feedback.attachments[0].name = "../../x.jpg".into();
        let err = feedback.validate(&Limits::default()).unwrap_err();
        assert_eq!(err.field, "attachments[0].name");
        assert_eq!(err.rule, Rule::FileName);
    }

    #[test]
    fn outcome_strings() {
        assert_eq!(FeedbackOutcome::NothingFound.as_str(), "nothing-found");
        assert_eq!(
            "not-actioned".parse::<FeedbackOutcome>().unwrap(),
            FeedbackOutcome::NotActioned
        );
        assert!("nothing_found".parse::<FeedbackOutcome>().is_err());
    }
}
