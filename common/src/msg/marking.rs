//! Handling markings: precedence (`Priority`) and sharing limits (`Tlp`).

use super::strenum::string_enum;

string_enum! {
    /// How fast a message must be handled. Sorts most urgent first: `Flash < Urgent < Routine`.
    #[derive(PartialOrd, Ord)]
    pub enum Priority ("priority") {
        /// Immediate action: an operation is under way.
        Flash => "flash",
        /// Action within hours.
        Urgent => "urgent",
        /// Normal handling.
        Routine => "routine",
    }
}

string_enum! {
    /// Traffic Light Protocol 2.0 label: who the recipients may share a message with.
    ///
    /// Written exactly as in TLP 2.0 (`RED`, `AMBER+STRICT`, `AMBER`, `GREEN`, `CLEAR`);
    /// parsing is case-sensitive.
    pub enum Tlp ("TLP label") {
        /// For the named recipients only.
        Red => "RED",
        /// Within the recipient's organisation only.
        AmberStrict => "AMBER+STRICT",
        /// Within the recipient's organisation and its clients, on a need-to-know basis.
        Amber => "AMBER",
        /// Within the recipient's community.
        Green => "GREEN",
        /// No limit on disclosure.
        Clear => "CLEAR",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn flash_sorts_first() {
        let mut v = vec![Priority::Routine, Priority::Flash, Priority::Urgent];
        v.sort();
        assert_eq!(v, [Priority::Flash, Priority::Urgent, Priority::Routine]);
    }

    #[test]
    fn priority_strings() {
        for p in Priority::ALL {
            assert_eq!(p.as_str().parse::<Priority>().unwrap(), p);
        }
        assert_eq!(Priority::Flash.as_str(), "flash");
        assert!("Flash".parse::<Priority>().is_err());
        assert_eq!(
            serde_json::to_string(&Priority::Urgent).unwrap(),
            "\"urgent\""
        );
    }

    #[test]
    fn tlp_exact_strings() {
        let names: Vec<&str> = Tlp::ALL.iter().map(|t| t.as_str()).collect();
        assert_eq!(names, ["RED", "AMBER+STRICT", "AMBER", "GREEN", "CLEAR"]);
        assert_eq!("AMBER+STRICT".parse::<Tlp>().unwrap(), Tlp::AmberStrict);
        assert_eq!(Tlp::AmberStrict.to_string(), "AMBER+STRICT");
        assert_eq!(
            serde_json::to_string(&Tlp::AmberStrict).unwrap(),
            "\"AMBER+STRICT\""
        );
        assert_eq!(
            serde_json::from_str::<Tlp>("\"AMBER+STRICT\"").unwrap(),
            Tlp::AmberStrict
        );
    }

    #[test]
    fn tlp_refuses_other_spellings() {
        for bad in ["amber", "Amber", "AMBER STRICT", "TLP:AMBER", "WHITE", ""] {
            assert!(bad.parse::<Tlp>().is_err(), "{bad} accepted");
        }
        let err = "amber".parse::<Tlp>().unwrap_err();
        assert!(err.to_string().contains("AMBER+STRICT"), "{err}");
        assert!(serde_json::from_str::<Tlp>("\"amber\"").is_err());
    }

    #[test]
    fn tlp_in_messagepack_is_a_string() {
        let bytes = rmp_serde::to_vec(&Tlp::Red).unwrap();
        assert_eq!(bytes, [0xa3, b'R', b'E', b'D']);
        assert_eq!(rmp_serde::from_slice::<Tlp>(&bytes).unwrap(), Tlp::Red);
    }
}
