//! `Alert`: a risk alert about a shipment, asking the recipient to act.

use serde::{Deserialize, Serialize};

use super::attachment::check_attachments;
use super::strenum::string_enum;
use super::validate::{Checker, Outcome, Path, Validate};
use super::{
    Attachment, Commodity, ContainerNumber, Conveyance, Grading, Limits, Locode, Parties,
    ValidationError,
};

string_enum! {
    /// What the sender asks the recipient to do.
    pub enum ActionRequested ("action") {
        /// Watch the shipment without intervening.
        Monitor => "monitor",
        /// Inspect the goods.
        Inspect => "inspect",
        /// Hold the goods pending further instructions.
        Hold => "hold",
        /// Let the goods move on under surveillance.
        ControlledDelivery => "controlled-delivery",
        /// Report what is found back to the sender.
        ReportBack => "report-back",
        /// No action; for information only.
        InformationOnly => "information-only",
    }
}

/// A risk alert about a shipment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alert {
    /// Short title.
    pub title: String,
    /// What is suspected and why.
    pub summary: String,
    /// What the recipient is asked to do.
    pub action: ActionRequested,
    /// The suspected goods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commodity: Option<Commodity>,
    /// Shipper, consignee and notify party.
    #[serde(default)]
    pub parties: Parties,
    /// The means of transport.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conveyance: Option<Conveyance>,
    /// Containers concerned.
    #[serde(default)]
    pub containers: Vec<ContainerNumber>,
    /// Bill of lading (or air waybill) number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bill_of_lading: Option<String>,
    /// Places on the route, in order.
    #[serde(default)]
    pub route: Vec<Locode>,
    /// Risk indicators that triggered the alert.
    #[serde(default)]
    pub risk_indicators: Vec<String>,
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

impl Alert {
    /// Checks every field against the rules and `limits`, returning the first error.
    pub fn validate(&self, limits: &Limits) -> Result<(), ValidationError> {
        Checker::run(limits, self)
    }
}

impl Validate for Alert {
    fn validate_at(&self, c: &Checker<'_>, p: &Path<'_>) -> Outcome {
        c.opt_short(p, "drafted_by", self.drafted_by.as_deref())?;
        c.short(p, "title", &self.title)?;
        c.text(p, "summary", &self.summary)?;
        c.opt(p, "commodity", self.commodity.as_ref())?;
        c.nested(p, "parties", &self.parties)?;
        c.opt(p, "conveyance", self.conveyance.as_ref())?;
        c.list(p, "containers", &self.containers)?;
        c.opt_short(p, "bill_of_lading", self.bill_of_lading.as_deref())?;
        c.list(p, "route", &self.route)?;
        c.short_list(p, "risk_indicators", &self.risk_indicators)?;
        c.opt_text(p, "free_text", self.free_text.as_deref())?;
        check_attachments(c, p, &self.attachments)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::msg::samples;
    use crate::msg::{InfoGrade, Party, Rule, SourceGrade, TransportMode};

    fn error_of(alert: &Alert) -> ValidationError {
        alert.validate(&Limits::default()).unwrap_err()
    }

    #[test]
    fn sample_is_valid() {
        assert_eq!(samples::alert().validate(&Limits::default()), Ok(()));
    }

    #[test]
    fn consignee_country_path() {
        let mut alert = samples::alert();
        if let Some(consignee) = alert.parties.consignee.as_mut() {
            consignee.country = Some("Belgium".into());
        }
        let err = error_of(&alert);
        assert_eq!(err.field, "parties.consignee.country");
        assert_eq!(err.rule, Rule::CountryCode);
    }

    #[test]
    fn second_container_check_digit_path() {
        let mut alert = samples::alert();
        alert.containers = vec![
            ContainerNumber::new("CSQU3054383").unwrap(),
            serde_json::from_str("\"MWCU6059785\"").unwrap(),
        ];
        let err = error_of(&alert);
        assert_eq!(
            err.to_string(),
            "containers[1]: ISO 6346 check digit is 5, expected 4"
        );
    }

    #[test]
    fn conveyance_imo_and_route_paths() {
        let mut alert = samples::alert();
        alert
            .route
            .push(serde_json::from_str("\"Antwerp\"").unwrap());
        assert_eq!(error_of(&alert).field, "route[2]");
        if let Some(conveyance) = alert.conveyance.as_mut() {
            conveyance.imo = Some(serde_json::from_str("\"1234568\"").unwrap());
        }
        assert_eq!(error_of(&alert).field, "conveyance.imo");
    }

    #[test]
    fn list_and_text_limits() {
        let limits = Limits {
            max_list_len: 2,
            max_short_len: 40,
            ..Limits::default()
        };
        let mut alert = samples::alert();
        alert.risk_indicators = vec!["a".into(), "b".into(), "c".into()];
        let err = alert.validate(&limits).unwrap_err();
        assert_eq!(err.field, "risk_indicators");
        assert_eq!(err.rule, Rule::TooMany { max: 2 });
        alert.risk_indicators = vec!["a".into(), "x".repeat(41)];
        let err = alert.validate(&limits).unwrap_err();
        assert_eq!(err.field, "risk_indicators[1]");
        assert_eq!(err.rule, Rule::TooLong { max: 40 });
    }

    #[test]
    fn officer_json_deserializes() {
        let json = r#"{
            "title": "Cocaine in banana reefers",
            "summary": "Consignee registered last month; route via Rotterdam unusual.",
            "action": "controlled-delivery",
            "commodity": {"description": "Fresh bananas", "hs_code": "0803.90"},
            "parties": {
                "consignee": {"name": "Fructa Trading SRL", "country": "BE"}
            },
            "conveyance": {"mode": "sea", "vessel_name": "MSC Example", "imo": "IMO 9074729"},
            "containers": ["CSQU3054383", "MWCU6059784"],
            "route": ["ECGYE", "NL RTM", "BEANR"],
            "risk_indicators": ["new consignee", "high-risk origin"],
            "grading": {"source": "B", "information": 2}
        }"#;
        let alert: Alert = serde_json::from_str(json).unwrap();
        assert_eq!(alert.action, ActionRequested::ControlledDelivery);
        assert_eq!(alert.grading.source, SourceGrade::B);
        assert_eq!(alert.grading.information, InfoGrade::ProbablyTrue);
        assert_eq!(alert.conveyance.as_ref().unwrap().mode, TransportMode::Sea);
        assert_eq!(
            alert
                .conveyance
                .as_ref()
                .unwrap()
                .imo
                .as_ref()
                .unwrap()
                .as_str(),
            "9074729"
        );
        assert_eq!(alert.route[1].as_str(), "NLRTM");
        assert_eq!(
            alert
                .commodity
                .as_ref()
                .unwrap()
                .hs_code
                .as_ref()
                .unwrap()
                .as_str(),
            "080390"
        );
        assert_eq!(
            alert.parties.consignee,
            Some(Party {
                name: "Fructa Trading SRL".into(),
                address: None,
                country: Some("BE".into()),
                identifier: None
            })
        );
        assert!(alert.attachments.is_empty());
        assert_eq!(alert.validate(&Limits::default()), Ok(()));
    }

    #[test]
    fn officer_json_typos_are_refused() {
        let json = r#"{"title": "t", "summary": "s", "action": "controlled_delivery",
            "grading": {"source": "B", "information": 2}}"#;
        assert!(serde_json::from_str::<Alert>(json).is_err());
        let json = r#"{"title": "t", "summary": "s", "action": "hold", "free_txt": "x",
            "grading": {"source": "B", "information": 2}}"#;
        assert!(serde_json::from_str::<Alert>(json).is_err());
    }
}
