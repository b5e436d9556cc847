//! Checked identifier codes: ISO 6346 container numbers, IMO ship numbers, UN/LOCODEs and
//! HS commodity codes.
//!
//! Each is a string newtype. `normalise` (public, so that every front end spells input
//! the same way) removes harmless spelling variants an officer types (surrounding
//! whitespace, spaces, hyphens and lower case in a container number, an `IMO ` prefix, a
//! space in a LOCODE, dots and spaces in an HS code); `new` normalises and checks the
//! result. Deserialization normalises the same way but does not check, so that
//! `validate()` can report errors with their field path.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};

use super::error::ContainerFormatIssue;
use super::validate::{Checker, Outcome, Path, Validate};
use super::Rule;

/// ISO 6346 letter values: A=10, skipping multiples of 11 (so B=12, L=23, V=34).
const LETTER_VALUES: [u32; 26] = [
    10, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 34, 35, 36,
    37, 38,
];

/// IMO check digit weights for the first six digits.
const IMO_WEIGHTS: [u32; 6] = [7, 6, 5, 4, 3, 2];

/// Implements the shared API of a code newtype over its `normalize` and `check` functions.
macro_rules! code_impls {
    ($name:ident, $normalize:ident, $check:ident) => {
        impl $name {
            /// Normalises `s` as described on the type and checks the result.
            pub fn new(s: &str) -> Result<Self, Rule> {
                let code = Self($normalize(s));
                code.check()?;
                Ok(code)
            }

            /// `s` as described on the type, not checked: what `new` checks and what
            /// deserialization keeps.
            pub fn normalise(s: &str) -> String {
                $normalize(s)
            }

            /// Checks the (already normalised) text, returning the rule it breaks.
            pub fn check(&self) -> Result<(), Rule> {
                $check(&self.0)
            }

            /// The text of the code.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = Rule;

            fn from_str(s: &str) -> Result<Self, Rule> {
                Self::new(s)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Validate for $name {
            fn validate_at(&self, _: &Checker<'_>, p: &Path<'_>) -> Outcome {
                self.check().map_err(|r| p.error(r))
            }
        }
    };
}

/// An ISO 6346 freight container number such as `CSQU3054383`: 3-letter owner code,
/// category identifier `U`, `J` or `Z`, 6-digit serial number and a check digit.
///
/// Spaces and hyphens are removed and letters upper-cased, as officers write them from a
/// container door: `msku 123456-5` is `MSKU1234565`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ContainerNumber(#[serde(deserialize_with = "de_container")] String);

/// An IMO ship identification number: 7 digits, the last a check digit, e.g. `9074729`.
///
/// A leading `IMO` or `IMO ` is accepted and removed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ImoNumber(#[serde(deserialize_with = "de_imo")] String);

/// A UN/LOCODE: ISO 3166 country code and 3 characters A-Z or 2-9, e.g. `BEANR`.
///
/// A single space after the country (`BE ANR`) is accepted and removed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Locode(#[serde(deserialize_with = "de_locode")] String);

/// A Harmonized System commodity code: a 4-digit heading (`8471`) or a code of 6, 8 or
/// 10 digits, e.g. `847130`.
///
/// Dots and spaces used as separators (`8471.30`, `8471 30`) are removed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HsCode(#[serde(deserialize_with = "de_hs_code")] String);

code_impls!(ContainerNumber, normalize_container, check_container);
code_impls!(ImoNumber, normalize_imo, check_imo);
code_impls!(Locode, normalize_locode, check_locode);
code_impls!(HsCode, normalize_hs_code, check_hs_code);

impl Locode {
    /// The ISO 3166 country part, e.g. `BE` for `BEANR`.
    pub fn country(&self) -> &str {
        self.0.get(..2).unwrap_or("")
    }
}

/// The ISO 6346 check digit of the first ten characters of a container number
/// (owner code, category identifier and serial number), e.g. 3 for `CSQU305438`.
pub fn iso6346_check_digit(first10: &str) -> Result<u8, Rule> {
    let found = first10.chars().count();
    if found != 10 {
        return Err(container_format(ContainerFormatIssue::Length {
            expected: 10,
            found,
        }));
    }
    let mut sum: u32 = 0;
    for (i, c) in first10.chars().enumerate() {
        let value = match i {
            0..=2 => letter_value(c).ok_or(container_format(ContainerFormatIssue::OwnerCode))?,
            3 => match c {
                'U' | 'J' | 'Z' => letter_value(c).unwrap_or(0),
                _ => {
                    return Err(container_format(ContainerFormatIssue::Category {
                        found: c,
                    }))
                }
            },
            _ => c
                .to_digit(10)
                .ok_or(container_format(ContainerFormatIssue::Serial))?,
        };
        sum += value << i;
    }
    Ok((sum % 11 % 10) as u8)
}

/// The IMO check digit of the first six digits of an IMO number, e.g. 9 for `907472`.
pub fn imo_check_digit(first6: &str) -> Result<u8, Rule> {
    if first6.len() != 6 || !first6.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Rule::ImoFormat);
    }
    let sum: u32 = first6
        .bytes()
        .zip(IMO_WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    Ok((sum % 10) as u8)
}

fn container_format(issue: ContainerFormatIssue) -> Rule {
    Rule::ContainerFormat(issue)
}

fn letter_value(c: char) -> Option<u32> {
    if !c.is_ascii_uppercase() {
        return None;
    }
    let index = usize::try_from(u32::from(c) - u32::from('A')).ok()?;
    LETTER_VALUES.get(index).copied()
}

fn check_container(s: &str) -> Result<(), Rule> {
    let found = s.chars().count();
    if found != 11 {
        return Err(container_format(ContainerFormatIssue::Length {
            expected: 11,
            found,
        }));
    }
    let split = s.char_indices().nth(10).map_or(s.len(), |(i, _)| i);
    let (first10, last) = s.split_at(split);
    let expected = iso6346_check_digit(first10)?;
    let found = last
        .chars()
        .next()
        .and_then(|c| c.to_digit(10))
        .ok_or(container_format(ContainerFormatIssue::CheckDigit))?;
    let found = found as u8;
    if found != expected {
        return Err(Rule::ContainerCheckDigit { expected, found });
    }
    Ok(())
}

fn check_imo(s: &str) -> Result<(), Rule> {
    if s.len() != 7 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Rule::ImoFormat);
    }
    let expected = imo_check_digit(s.get(..6).ok_or(Rule::ImoFormat)?)?;
    let found = s
        .as_bytes()
        .get(6)
        .map(|b| b - b'0')
        .ok_or(Rule::ImoFormat)?;
    if found != expected {
        return Err(Rule::ImoCheckDigit { expected, found });
    }
    Ok(())
}

fn check_locode(s: &str) -> Result<(), Rule> {
    let b = s.as_bytes();
    let ok = b.len() == 5
        && b.iter().take(2).all(u8::is_ascii_uppercase)
        && b.iter()
            .skip(2)
            .all(|&c| c.is_ascii_uppercase() || (b'2'..=b'9').contains(&c));
    if ok {
        Ok(())
    } else {
        Err(Rule::LocodeFormat)
    }
}

fn check_hs_code(s: &str) -> Result<(), Rule> {
    if matches!(s.len(), 4 | 6 | 8 | 10) && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(Rule::HsCodeFormat)
    }
}

fn normalize_container(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn normalize_imo(s: &str) -> String {
    let s = s.trim();
    let s = s
        .strip_prefix("IMO")
        .map_or(s, |rest| rest.strip_prefix(' ').unwrap_or(rest));
    s.to_owned()
}

fn normalize_locode(s: &str) -> String {
    let s = s.trim();
    match (s.get(..2), s.get(2..3), s.get(3..)) {
        (Some(country), Some(" "), Some(place)) if place.len() == 3 => format!("{country}{place}"),
        _ => s.to_owned(),
    }
}

fn normalize_hs_code(s: &str) -> String {
    s.chars()
        .filter(|&c| c != '.' && !c.is_whitespace())
        .collect()
}

fn de_container<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    String::deserialize(d).map(|s| normalize_container(&s))
}

fn de_imo<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    String::deserialize(d).map(|s| normalize_imo(&s))
}

fn de_locode<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    String::deserialize(d).map(|s| normalize_locode(&s))
}

fn de_hs_code<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    String::deserialize(d).map(|s| normalize_hs_code(&s))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    const VALID: [&str; 3] = ["CSQU3054383", "MWCU6059784", "CBHU3202732"];

    fn format_issue(s: &str) -> ContainerFormatIssue {
        match ContainerNumber::new(s) {
            Err(Rule::ContainerFormat(issue)) => issue,
            other => panic!("{s}: expected a format error, got {other:?}"),
        }
    }

    #[test]
    fn valid_container_numbers_pass() {
        for s in VALID {
            assert_eq!(ContainerNumber::new(s).unwrap().as_str(), s);
        }
    }

    #[test]
    fn changed_check_digit_names_expected_and_found() {
        for s in VALID {
            let expected = s[10..].parse::<u8>().unwrap();
            assert_eq!(iso6346_check_digit(&s[..10]).unwrap(), expected);
            for found in (0..=9).filter(|&d| d != expected) {
                let bad = format!("{}{found}", &s[..10]);
                assert_eq!(
                    ContainerNumber::new(&bad),
                    Err(Rule::ContainerCheckDigit { expected, found }),
                    "{bad}"
                );
            }
        }
        let err = ContainerNumber::new("CSQU3054384").unwrap_err();
        assert_eq!(err.to_string(), "ISO 6346 check digit is 4, expected 3");
    }

    #[test]
    fn letter_values_skip_multiples_of_eleven() {
        assert_eq!(letter_value('A'), Some(10));
        assert_eq!(letter_value('B'), Some(12));
        assert_eq!(letter_value('K'), Some(21));
        assert_eq!(letter_value('L'), Some(23));
        assert_eq!(letter_value('U'), Some(32));
        assert_eq!(letter_value('V'), Some(34));
        assert_eq!(letter_value('Z'), Some(38));
        assert_eq!(letter_value('a'), None);
        assert!(LETTER_VALUES.iter().all(|v| v % 11 != 0));
    }

    #[test]
    fn container_format_errors_say_what_is_wrong() {
        assert_eq!(
            format_issue("CSQX3054383"),
            ContainerFormatIssue::Category { found: 'X' }
        );
        assert_eq!(format_issue("C5QU3054383"), ContainerFormatIssue::OwnerCode);
        assert_eq!(
            format_issue("CSQU305438"),
            ContainerFormatIssue::Length {
                expected: 11,
                found: 10
            }
        );
        assert_eq!(format_issue("CSQU30A4383"), ContainerFormatIssue::Serial);
        assert_eq!(
            format_issue("CSQU305438X"),
            ContainerFormatIssue::CheckDigit
        );
        assert_eq!(format_issue("ÇSQU3054383"), ContainerFormatIssue::OwnerCode);
        assert_eq!(
            iso6346_check_digit("CSQU3054383"),
            Err(Rule::ContainerFormat(ContainerFormatIssue::Length {
                expected: 10,
                found: 11
            }))
        );
    }

    #[test]
    fn container_spelling_as_officers_write_it_is_normalised() {
        for typed in [
            " CSQU3054383\n",
            "CSQU 305438 3",
            "csqu3054383",
            "csqu 305438-3",
            "CSQU-305438-3",
        ] {
            assert_eq!(
                ContainerNumber::new(typed).unwrap().as_str(),
                "CSQU3054383",
                "{typed:?}"
            );
        }
        assert_eq!(ContainerNumber::normalise("msku 123456 5"), "MSKU1234565");
        // Normalising does not hide a wrong check digit.
        assert_eq!(
            ContainerNumber::new("csqu 305438 4"),
            Err(Rule::ContainerCheckDigit {
                expected: 3,
                found: 4
            })
        );
        let de: ContainerNumber = serde_json::from_str("\"csqu 305438 3\"").unwrap();
        assert_eq!(de.as_str(), "CSQU3054383");
    }

    #[test]
    fn imo_numbers() {
        assert_eq!(ImoNumber::new("9074729").unwrap().as_str(), "9074729");
        assert_eq!(ImoNumber::new("IMO9074729").unwrap().as_str(), "9074729");
        assert_eq!(ImoNumber::new("IMO 9074729").unwrap().as_str(), "9074729");
        assert_eq!(
            ImoNumber::new("9074728"),
            Err(Rule::ImoCheckDigit {
                expected: 9,
                found: 8
            })
        );
        assert_eq!(imo_check_digit("907472"), Ok(9));
        for bad in [
            "907472",
            "90747290",
            "IMO  9074729",
            "imo 9074729",
            "907A729",
            "",
        ] {
            assert_eq!(ImoNumber::new(bad), Err(Rule::ImoFormat), "{bad}");
        }
        assert_eq!(imo_check_digit("90747"), Err(Rule::ImoFormat));
    }

    #[test]
    fn locodes() {
        for good in ["BEANR", "NLRTM", "USNYC", "CNSHA", "HUBUD", "DEHA2"] {
            assert_eq!(Locode::new(good).unwrap().as_str(), good);
        }
        assert_eq!(Locode::new("BE ANR").unwrap().as_str(), "BEANR");
        assert_eq!(Locode::new("BEANR").unwrap().country(), "BE");
        for bad in [
            "beanr", "BEAN", "BEANRX", "B1ANR", "BEAN1", "BEAN0", "BE  ANR", "BE-ANR",
        ] {
            assert_eq!(Locode::new(bad), Err(Rule::LocodeFormat), "{bad}");
        }
    }

    #[test]
    fn hs_codes() {
        assert_eq!(HsCode::new("8471.30").unwrap().as_str(), "847130");
        assert_eq!(HsCode::new("2203.00.10").unwrap().as_str(), "22030010");
        assert_eq!(HsCode::new("2402200000").unwrap().as_str(), "2402200000");
        assert_eq!(HsCode::new("8471").unwrap().as_str(), "8471", "a heading");
        assert_eq!(HsCode::new(" 8471 30 ").unwrap().as_str(), "847130");
        for bad in [
            "123",
            "12345",
            "1234567",
            "84713A",
            "8471-30",
            "",
            "12345678901",
        ] {
            assert_eq!(HsCode::new(bad), Err(Rule::HsCodeFormat), "{bad}");
        }
    }

    #[test]
    fn deserialization_normalises_but_does_not_check() {
        let imo: ImoNumber = serde_json::from_str("\"IMO 9074729\"").unwrap();
        assert_eq!(imo.as_str(), "9074729");
        let bad: ContainerNumber = serde_json::from_str("\"CSQU3054384\"").unwrap();
        assert!(bad.check().is_err());
        let hs: HsCode = serde_json::from_str("\"8471.30\"").unwrap();
        assert_eq!(serde_json::to_string(&hs).unwrap(), "\"847130\"");
    }

    proptest! {
        #[test]
        fn container_new_never_panics(s in any::<String>()) {
            let _ = ContainerNumber::new(&s);
            let _ = iso6346_check_digit(&s);
        }

        #[test]
        fn container_new_never_panics_on_near_misses(s in "[A-Za-z0-9 ]{9,12}") {
            let _ = ContainerNumber::new(&s);
        }

        #[test]
        fn computed_check_digit_makes_valid_number(
            owner in "[A-Z]{3}",
            category in "[UJZ]",
            serial in "[0-9]{6}",
        ) {
            let first10 = format!("{owner}{category}{serial}");
            let digit = iso6346_check_digit(&first10).unwrap();
            prop_assert!(digit <= 9);
            let number = format!("{first10}{digit}");
            prop_assert!(ContainerNumber::new(&number).is_ok(), "{}", number);
            let wrong = format!("{first10}{}", (digit + 1) % 10);
            prop_assert_eq!(
                ContainerNumber::new(&wrong),
                Err(Rule::ContainerCheckDigit { expected: digit, found: (digit + 1) % 10 })
            );
        }

        #[test]
        fn imo_computed_check_digit_makes_valid_number(first6 in "[0-9]{6}") {
            let digit = imo_check_digit(&first6).unwrap();
            let number = format!("{first6}{digit}");
            prop_assert!(ImoNumber::new(&number).is_ok());
        }
    }
}
