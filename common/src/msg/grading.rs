//! Source and information grading (the 6x6 "Admiralty" system).

use std::fmt;

use serde::de::{self, Unexpected, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::strenum::string_enum;
use super::Rule;

string_enum! {
    /// How reliable the source is, `A` (completely reliable) to `F` (cannot be judged).
    #[derive(PartialOrd, Ord)]
    pub enum SourceGrade ("source grade") {
        /// Completely reliable.
        A => "A",
        /// Usually reliable.
        B => "B",
        /// Fairly reliable.
        C => "C",
        /// Not usually reliable.
        D => "D",
        /// Unreliable.
        E => "E",
        /// Reliability cannot be judged.
        F => "F",
    }
}

/// How credible the information is, 1 (confirmed) to 6 (cannot be judged).
///
/// Written as the integer 1 to 6; other integers are refused when deserializing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InfoGrade {
    /// 1: confirmed by other sources.
    Confirmed,
    /// 2: probably true.
    ProbablyTrue,
    /// 3: possibly true.
    PossiblyTrue,
    /// 4: doubtful.
    Doubtful,
    /// 5: improbable.
    Improbable,
    /// 6: truth cannot be judged.
    CannotBeJudged,
}

impl InfoGrade {
    /// Every grade, from 1 to 6.
    pub const ALL: [InfoGrade; 6] = [
        Self::Confirmed,
        Self::ProbablyTrue,
        Self::PossiblyTrue,
        Self::Doubtful,
        Self::Improbable,
        Self::CannotBeJudged,
    ];

    /// The grade as its number, 1 to 6.
    pub const fn value(self) -> u8 {
        match self {
            Self::Confirmed => 1,
            Self::ProbablyTrue => 2,
            Self::PossiblyTrue => 3,
            Self::Doubtful => 4,
            Self::Improbable => 5,
            Self::CannotBeJudged => 6,
        }
    }

    /// The grade numbered `value`, refusing anything outside 1 to 6.
    pub fn from_value(value: i64) -> Result<Self, Rule> {
        usize::try_from(value)
            .ok()
            .and_then(|v| v.checked_sub(1))
            .and_then(|i| Self::ALL.get(i).copied())
            .ok_or(Rule::GradingOutOfRange { found: value })
    }
}

impl fmt::Display for InfoGrade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.value())
    }
}

impl Serialize for InfoGrade {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(self.value())
    }
}

impl<'de> Deserialize<'de> for InfoGrade {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_u8(InfoGradeVisitor)
    }
}

struct InfoGradeVisitor;

impl Visitor<'_> for InfoGradeVisitor {
    type Value = InfoGrade;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an information grade from 1 to 6")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<InfoGrade, E> {
        InfoGrade::from_value(v).map_err(|_| E::invalid_value(Unexpected::Signed(v), &self))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<InfoGrade, E> {
        let signed = i64::try_from(v).unwrap_or(i64::MAX);
        InfoGrade::from_value(signed).map_err(|_| E::invalid_value(Unexpected::Unsigned(v), &self))
    }
}

/// The grading of a piece of intelligence, e.g. B2: usually reliable source, probably true.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grading {
    /// Reliability of the source.
    pub source: SourceGrade,
    /// Credibility of the information.
    pub information: InfoGrade,
}

impl fmt::Display for Grading {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.source, self.information)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn json_shape() {
        let g = Grading {
            source: SourceGrade::B,
            information: InfoGrade::ProbablyTrue,
        };
        let json = serde_json::to_string(&g).unwrap();
        assert_eq!(json, r#"{"source":"B","information":2}"#);
        assert_eq!(serde_json::from_str::<Grading>(&json).unwrap(), g);
        assert_eq!(g.to_string(), "B2");
    }

    #[test]
    fn out_of_range_refused() {
        for bad in [
            r#"{"source":"B","information":0}"#,
            r#"{"source":"B","information":7}"#,
            r#"{"source":"B","information":-1}"#,
            r#"{"source":"B","information":"2"}"#,
            r#"{"source":"G","information":2}"#,
            r#"{"source":"b","information":2}"#,
        ] {
            assert!(serde_json::from_str::<Grading>(bad).is_err(), "{bad}");
        }
        assert_eq!(
            InfoGrade::from_value(7),
            Err(Rule::GradingOutOfRange { found: 7 })
        );
    }

    #[test]
    fn values_round_trip() {
        for (i, g) in InfoGrade::ALL.iter().enumerate() {
            assert_eq!(usize::from(g.value()), i + 1);
            assert_eq!(InfoGrade::from_value(i64::from(g.value())), Ok(*g));
            let bytes = rmp_serde::to_vec(g).unwrap();
            assert_eq!(bytes, [g.value()]);
            assert_eq!(rmp_serde::from_slice::<InfoGrade>(&bytes).unwrap(), *g);
        }
    }
}
