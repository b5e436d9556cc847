//! `TrackingRequest` and `TrackingUpdate`: following containers along their route.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::strenum::string_enum;
use super::validate::{Checker, Outcome, Path, Validate};
use super::{ContainerNumber, ImoNumber, Limits, Locode, Timestamp, ValidationError};

string_enum! {
    /// Something that happens to a container.
    pub enum TrackingEvent ("tracking event") {
        /// Entered a terminal.
        GateIn => "gate-in",
        /// Loaded on board.
        Loaded => "loaded",
        /// The carrying vessel or vehicle left.
        Departed => "departed",
        /// Moved to another vessel or vehicle.
        Transhipped => "transhipped",
        /// The carrying vessel or vehicle arrived.
        Arrived => "arrived",
        /// Unloaded.
        Discharged => "discharged",
        /// Left a terminal.
        GateOut => "gate-out",
        /// Inspected by customs.
        Inspected => "inspected",
        /// Seized.
        Seized => "seized",
        /// Released by customs.
        Released => "released",
        /// Could not be found.
        NotFound => "not-found",
    }
}

/// A request to report the movements of containers until a given time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackingRequest {
    /// Containers to track: at least one.
    pub containers: Vec<ContainerNumber>,
    /// Bill of lading number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bill_of_lading: Option<String>,
    /// Booking number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booking: Option<String>,
    /// IMO number of the vessel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vessel: Option<ImoNumber>,
    /// Voyage number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voyage: Option<String>,
    /// Expected route, in order.
    #[serde(default)]
    pub route: Vec<Locode>,
    /// Stop reporting after this time.
    #[serde(deserialize_with = "super::time::deadline")]
    pub until: Timestamp,
    /// Events to report; empty means all.
    #[serde(default)]
    pub report: Vec<TrackingEvent>,
    /// Anything else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remarks: Option<String>,
    /// The officer who drafted it, as the sending node's console or command line knew
    /// them (inside the signed, encrypted body, so recipients see "BE-NCP / name").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drafted_by: Option<String>,
}

/// A report of one event in the life of a tracked container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackingUpdate {
    /// Id of the tracking request this answers.
    pub request_id: Uuid,
    /// The container.
    pub container: ContainerNumber,
    /// What happened.
    pub event: TrackingEvent,
    /// Where it happened.
    pub place: Locode,
    /// When it happened.
    pub at: Timestamp,
    /// IMO number of the vessel involved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vessel: Option<ImoNumber>,
    /// Anything else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remarks: Option<String>,
    /// The officer who drafted it, as the sending node's console or command line knew
    /// them (inside the signed, encrypted body, so recipients see "BE-NCP / name").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drafted_by: Option<String>,
}

impl TrackingRequest {
    /// Checks every field against the rules and `limits`, returning the first error.
    pub fn validate(&self, limits: &Limits) -> Result<(), ValidationError> {
        Checker::run(limits, self)
    }
}

impl TrackingUpdate {
    /// Checks every field against the rules and `limits`, returning the first error.
    pub fn validate(&self, limits: &Limits) -> Result<(), ValidationError> {
        Checker::run(limits, self)
    }
}

impl Validate for TrackingEvent {
    fn validate_at(&self, _: &Checker<'_>, _: &Path<'_>) -> Outcome {
        Ok(())
    }
}

impl Validate for TrackingRequest {
    fn validate_at(&self, c: &Checker<'_>, p: &Path<'_>) -> Outcome {
        c.opt_short(p, "drafted_by", self.drafted_by.as_deref())?;
        c.non_empty_list(p, "containers", &self.containers)?;
        c.opt_short(p, "bill_of_lading", self.bill_of_lading.as_deref())?;
        c.opt_short(p, "booking", self.booking.as_deref())?;
        c.opt(p, "vessel", self.vessel.as_ref())?;
        c.opt_short(p, "voyage", self.voyage.as_deref())?;
        c.list(p, "route", &self.route)?;
        c.nested(p, "until", &self.until)?;
        c.list(p, "report", &self.report)?;
        c.opt_text(p, "remarks", self.remarks.as_deref())
    }
}

impl Validate for TrackingUpdate {
    fn validate_at(&self, c: &Checker<'_>, p: &Path<'_>) -> Outcome {
        c.opt_short(p, "drafted_by", self.drafted_by.as_deref())?;
        c.nested(p, "container", &self.container)?;
        c.nested(p, "place", &self.place)?;
        c.nested(p, "at", &self.at)?;
        c.opt(p, "vessel", self.vessel.as_ref())?;
        c.opt_text(p, "remarks", self.remarks.as_deref())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::msg::{samples, Rule};

    #[test]
    fn samples_are_valid() {
        let limits = Limits::default();
        assert_eq!(samples::tracking_request().validate(&limits), Ok(()));
        assert_eq!(samples::tracking_update().validate(&limits), Ok(()));
    }

    #[test]
    fn request_needs_one_to_max_containers() {
        let mut request = samples::tracking_request();
        request.containers.clear();
        let err = request.validate(&Limits::default()).unwrap_err();
        assert_eq!(err.field, "containers");
        assert_eq!(err.rule, Rule::EmptyList);

        let container = ContainerNumber::new("CSQU3054383").unwrap();
        request.containers = vec![container; 4];
        let limits = Limits {
            max_list_len: 3,
            ..Limits::default()
        };
        assert_eq!(
            request.validate(&limits).unwrap_err().rule,
            Rule::TooMany { max: 3 }
        );
    }

    #[test]
    fn update_place_and_vessel_paths() {
        let mut update = samples::tracking_update();
        update.vessel = Some(serde_json::from_str("\"IMO 9074720\"").unwrap());
        let err = update.validate(&Limits::default()).unwrap_err();
        assert_eq!(err.field, "vessel");
        assert_eq!(
            err.rule,
            Rule::ImoCheckDigit {
                expected: 9,
                found: 0
            }
        );
        update.place = serde_json::from_str("\"be anr\"").unwrap();
        assert_eq!(
            update.validate(&Limits::default()).unwrap_err().field,
            "place"
        );
    }

    #[test]
    fn officer_toml_deserializes() {
        let text = r#"
            containers = ["CSQU3054383", "CBHU3202732"]
            vessel = "IMO 9074729"
            route = ["CNSHA", "BE ANR"]
            until = 2026-12-31T23:59:59Z
            report = ["discharged", "gate-out"]
        "#;
        let request: TrackingRequest = toml::from_str(text).unwrap();
        assert_eq!(request.until.to_string(), "2026-12-31T23:59:59Z");
        assert_eq!(
            request.report,
            [TrackingEvent::Discharged, TrackingEvent::GateOut]
        );
        assert_eq!(request.route[1].as_str(), "BEANR");
        assert_eq!(request.validate(&Limits::default()), Ok(()));
    }
}
