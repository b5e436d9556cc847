//! `Seizure`: a report of goods seized.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::attachment::check_attachments;
use super::validate::{Checker, Outcome, Path, Validate};
use super::{
    Attachment, Commodity, ContainerNumber, Conveyance, Grading, Limits, Locode, Party, Rule,
    Timestamp, ValidationError,
};

/// One kind of goods seized, with its quantity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeizedGoods {
    /// What was seized.
    pub commodity: Commodity,
    /// How much: a finite number greater than zero.
    pub quantity: f64,
    /// Unit of the quantity, e.g. "kg", "pieces", "cartons".
    pub unit: String,
}

/// A report of a seizure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seizure {
    /// Id of the alert that led to the seizure, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_id: Option<Uuid>,
    /// When the goods were seized.
    pub seized_at: Timestamp,
    /// Where the goods were seized.
    pub place: Locode,
    /// Where exactly: terminal, warehouse, border post.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place_detail: Option<String>,
    /// The goods seized: at least one entry.
    pub goods: Vec<SeizedGoods>,
    /// How the goods were concealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concealment: Option<String>,
    /// Persons or companies involved.
    #[serde(default)]
    pub persons: Vec<Party>,
    /// The means of transport.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conveyance: Option<Conveyance>,
    /// Containers concerned.
    #[serde(default)]
    pub containers: Vec<ContainerNumber>,
    /// Places on the route, in order.
    #[serde(default)]
    pub route: Vec<Locode>,
    /// Source and information grading.
    pub grading: Grading,
    /// Anything else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_text: Option<String>,
    /// Attached files.
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// The officer who drafted it, as the sending node's console or command line knew
    /// them (inside the signed, encrypted body, so recipients see "BE-NCP / name").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drafted_by: Option<String>,
}

/// Checks a quantity: finite and greater than zero.
pub fn check_quantity(quantity: f64) -> Result<(), Rule> {
    if quantity.is_finite() && quantity > 0.0 {
        Ok(())
    } else {
        Err(Rule::Quantity)
    }
}

impl Seizure {
    /// Checks every field against the rules and `limits`, returning the first error.
    pub fn validate(&self, limits: &Limits) -> Result<(), ValidationError> {
        Checker::run(limits, self)
    }
}

impl Validate for SeizedGoods {
    fn validate_at(&self, c: &Checker<'_>, p: &Path<'_>) -> Outcome {
        c.nested(p, "commodity", &self.commodity)?;
        c.rule(p, "quantity", check_quantity(self.quantity))?;
        c.short(p, "unit", &self.unit)
    }
}

impl Validate for Seizure {
    fn validate_at(&self, c: &Checker<'_>, p: &Path<'_>) -> Outcome {
        c.opt_short(p, "drafted_by", self.drafted_by.as_deref())?;
        c.nested(p, "seized_at", &self.seized_at)?;
        c.nested(p, "place", &self.place)?;
        c.opt_short(p, "place_detail", self.place_detail.as_deref())?;
        c.non_empty_list(p, "goods", &self.goods)?;
        c.opt_text(p, "concealment", self.concealment.as_deref())?;
        c.list(p, "persons", &self.persons)?;
        c.opt(p, "conveyance", self.conveyance.as_ref())?;
        c.list(p, "containers", &self.containers)?;
        c.list(p, "route", &self.route)?;
        c.opt_text(p, "free_text", self.free_text.as_deref())?;
        check_attachments(c, p, &self.attachments)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::msg::samples;

    fn error_of(seizure: &Seizure) -> ValidationError {
        seizure.validate(&Limits::default()).unwrap_err()
    }

    #[test]
    fn sample_is_valid() {
        assert_eq!(samples::seizure().validate(&Limits::default()), Ok(()));
    }

    #[test]
    fn hs_code_deep_path() {
        let mut seizure = samples::seizure();
        seizure.goods[0].commodity.hs_code = Some(serde_json::from_str("\"12345\"").unwrap());
        let err = error_of(&seizure);
        assert_eq!(err.field, "goods[0].commodity.hs_code");
        assert_eq!(err.rule, Rule::HsCodeFormat);
    }

    #[test]
    fn quantities() {
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let mut seizure = samples::seizure();
            seizure.goods[1].quantity = bad;
            let err = error_of(&seizure);
            assert_eq!(err.field, "goods[1].quantity", "{bad}");
            assert_eq!(err.rule, Rule::Quantity);
        }
        assert_eq!(check_quantity(0.001), Ok(()));
    }

    #[test]
    fn goods_must_not_be_empty() {
        let mut seizure = samples::seizure();
        seizure.goods.clear();
        let err = error_of(&seizure);
        assert_eq!(err.to_string(), "goods: must have at least one entry");
    }

    #[test]
    fn person_country_path() {
        let mut seizure = samples::seizure();
        seizure.persons[0].country = Some("nl".into());
        assert_eq!(error_of(&seizure).field, "persons[0].country");
    }

    #[test]
    fn seized_at_out_of_range() {
        let mut seizure = samples::seizure();
        seizure.seized_at = Timestamp::from_millis(u64::MAX);
        let err = error_of(&seizure);
        assert_eq!(err.field, "seized_at");
        assert_eq!(err.rule, Rule::TimestampOutOfRange);
    }
}
