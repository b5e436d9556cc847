//! Field groups shared by several message kinds: goods, parties and conveyances.

use serde::{Deserialize, Serialize};

use super::strenum::string_enum;
use super::validate::{Checker, Outcome, Path, Validate};
use super::{HsCode, ImoNumber, Rule};

/// Goods, described in words and optionally by HS code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Commodity {
    /// What the goods are, e.g. "cocaine hydrochloride concealed in banana boxes".
    pub description: String,
    /// Harmonized System code, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hs_code: Option<HsCode>,
}

/// A person or company involved in a shipment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Party {
    /// Name of the person or company.
    pub name: String,
    /// Postal address, possibly on several lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// ISO 3166-1 alpha-2 country code, e.g. `BE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// A registration number such as an EORI number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
}

/// The parties named on the transport documents.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parties {
    /// The shipper (consignor).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipper: Option<Party>,
    /// The consignee.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consignee: Option<Party>,
    /// The notify party.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_party: Option<Party>,
}

string_enum! {
    /// How goods travel.
    pub enum TransportMode ("transport mode") {
        /// By sea.
        Sea => "sea",
        /// By air.
        Air => "air",
        /// By road.
        Road => "road",
        /// By rail.
        Rail => "rail",
        /// By post or express courier.
        Postal => "postal",
        /// Any other mode.
        Other => "other",
    }
}

/// The means of transport.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conveyance {
    /// Mode of transport.
    pub mode: TransportMode,
    /// Vessel name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vessel_name: Option<String>,
    /// Vessel IMO number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imo: Option<ImoNumber>,
    /// Voyage number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voyage: Option<String>,
    /// Flight number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flight: Option<String>,
    /// Vehicle (truck, trailer, wagon) registration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vehicle_registration: Option<String>,
}

/// Checks an ISO 3166-1 alpha-2 country code: exactly two capital letters A-Z.
pub fn check_country(code: &str) -> Result<(), Rule> {
    if code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(Rule::CountryCode)
    }
}

impl Validate for Commodity {
    fn validate_at(&self, c: &Checker<'_>, p: &Path<'_>) -> Outcome {
        c.text(p, "description", &self.description)?;
        c.opt(p, "hs_code", self.hs_code.as_ref())
    }
}

impl Validate for Party {
    fn validate_at(&self, c: &Checker<'_>, p: &Path<'_>) -> Outcome {
        c.short(p, "name", &self.name)?;
        c.opt_text(p, "address", self.address.as_deref())?;
        if let Some(country) = &self.country {
            c.rule(p, "country", check_country(country))?;
        }
        c.opt_short(p, "identifier", self.identifier.as_deref())
    }
}

impl Validate for Parties {
    fn validate_at(&self, c: &Checker<'_>, p: &Path<'_>) -> Outcome {
        c.opt(p, "shipper", self.shipper.as_ref())?;
        c.opt(p, "consignee", self.consignee.as_ref())?;
        c.opt(p, "notify_party", self.notify_party.as_ref())
    }
}

impl Validate for Conveyance {
    fn validate_at(&self, c: &Checker<'_>, p: &Path<'_>) -> Outcome {
        c.opt_short(p, "vessel_name", self.vessel_name.as_deref())?;
        c.opt(p, "imo", self.imo.as_ref())?;
        c.opt_short(p, "voyage", self.voyage.as_deref())?;
        c.opt_short(p, "flight", self.flight.as_deref())?;
        c.opt_short(
            p,
            "vehicle_registration",
            self.vehicle_registration.as_deref(),
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::msg::Limits;

    fn check<T: Validate>(value: &T) -> Outcome {
        Checker::run(&Limits::default(), value)
    }

    #[test]
    fn country_codes() {
        assert_eq!(check_country("BE"), Ok(()));
        for bad in ["be", "Belgium", "B", "BEL", "B1", ""] {
            assert_eq!(check_country(bad), Err(Rule::CountryCode), "{bad}");
        }
    }

    #[test]
    fn party_paths() {
        let mut party = Party {
            name: "Oceanic Fruit BV".into(),
            address: Some("Havenlaan 1\n2000 Antwerpen".into()),
            country: Some("BE".into()),
            identifier: Some("BE0123456789".into()),
        };
        assert_eq!(check(&party), Ok(()));
        party.identifier = Some(String::new());
        assert_eq!(check(&party).unwrap_err().field, "identifier");
        party.identifier = None;
        party.name = "  ".into();
        assert_eq!(
            check(&party).unwrap_err().to_string(),
            "name: must not be empty"
        );
    }

    #[test]
    fn conveyance_imo_path() {
        let conveyance = Conveyance {
            mode: TransportMode::Sea,
            vessel_name: Some("MSC Example".into()),
            imo: Some(serde_json::from_str("\"9074728\"").unwrap()),
            voyage: None,
            flight: None,
            vehicle_registration: None,
        };
        let err = check(&conveyance).unwrap_err();
        assert_eq!(err.field, "imo");
        assert_eq!(
            err.rule,
            Rule::ImoCheckDigit {
                expected: 9,
                found: 8
            }
        );
    }

    #[test]
    fn transport_mode_strings() {
        assert_eq!(
            TransportMode::NAMES,
            ["sea", "air", "road", "rail", "postal", "other"]
        );
        assert!("Sea".parse::<TransportMode>().is_err());
    }
}
