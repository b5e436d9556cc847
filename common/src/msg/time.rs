//! `Timestamp`: milliseconds since the Unix epoch, written as RFC 3339 for people.
//!
//! People may also write a calendar day, `2026-12-31`, where a time is asked. A day means
//! its first instant, 00:00:00 UTC, except for deadlines (a tracking request's `until`, a
//! tasking's `due_by`, a message's expiry), where it means the day's last millisecond,
//! 23:59:59.999 UTC: "until the 31st" includes the 31st. See [`DayEdge`].

use std::fmt;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use ::time::format_description::well_known::Rfc3339;
use ::time::macros::format_description;
use ::time::{Date, OffsetDateTime, Time};
use serde::de::{self, MapAccess, Unexpected, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::validate::{Checker, Outcome, Path, Validate};
use super::Rule;

/// The key under which the `toml` crate hands over its native date-times.
const TOML_DATETIME_KEY: &str = "$__toml_private_datetime";

/// A UTC instant, in milliseconds since 1970-01-01T00:00:00Z.
///
/// Serialized as an RFC 3339 string (`"2026-11-30T12:00:00Z"`) in human-readable formats
/// (JSON, TOML) and as an unsigned integer of milliseconds in binary ones (MessagePack).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(u64);

/// Which instant of a day a date alone (`2026-12-31`) stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayEdge {
    /// 00:00:00.000 UTC: when something happened or starts.
    Start,
    /// 23:59:59.999 UTC: a deadline or an expiry, which includes the day.
    End,
}

/// Why a string is not an acceptable timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimestampError {
    /// Not RFC 3339.
    #[error(
        "not a date such as 2026-11-30 or an RFC 3339 timestamp such as 2026-11-30T12:00:00Z: {0}"
    )]
    Format(String),
    /// Before the Unix epoch.
    #[error("timestamp is before 1970-01-01T00:00:00Z")]
    BeforeEpoch,
    /// After the last instant RFC 3339 can write.
    #[error("timestamp is after 9999-12-31T23:59:59.999Z")]
    OutOfRange,
}

impl Timestamp {
    /// The Unix epoch.
    pub const EPOCH: Timestamp = Timestamp(0);
    /// The last instant that RFC 3339 can write: 9999-12-31T23:59:59.999Z.
    pub const MAX: Timestamp = Timestamp(253_402_300_799_999);

    /// The instant `millis` milliseconds after the epoch.
    pub const fn from_millis(millis: u64) -> Self {
        Self(millis)
    }

    /// Milliseconds since the epoch.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// The current time from the system clock (the epoch if the clock is before it).
    pub fn now() -> Self {
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        Self(millis)
    }

    /// Whether this instant is at most [`Timestamp::MAX`], so it can be written as RFC 3339.
    pub const fn is_representable(self) -> bool {
        self.0 <= Self::MAX.0
    }

    /// The RFC 3339 text, or `None` past [`Timestamp::MAX`].
    pub fn to_rfc3339(self) -> Option<String> {
        if !self.is_representable() {
            return None;
        }
        let nanos = i128::from(self.0) * 1_000_000;
        OffsetDateTime::from_unix_timestamp_nanos(nanos)
            .ok()?
            .format(&Rfc3339)
            .ok()
    }

    /// Parses RFC 3339 (any offset; precision beyond milliseconds is truncated) or a day
    /// alone, `YYYY-MM-DD`, read as its `edge` in UTC.
    pub fn parse_with_day(s: &str, edge: DayEdge) -> Result<Self, TimestampError> {
        let s = s.trim();
        let dt = match Date::parse(s, format_description!("[year]-[month]-[day]")) {
            Ok(day) => {
                let at = match edge {
                    DayEdge::Start => Time::MIDNIGHT,
                    DayEdge::End => Time::from_hms_milli(23, 59, 59, 999)
                        .map_err(|e| TimestampError::Format(e.to_string()))?,
                };
                day.with_time(at).assume_utc()
            }
            Err(_) => OffsetDateTime::parse(s, &Rfc3339)
                .map_err(|e| TimestampError::Format(e.to_string()))?,
        };
        let nanos = dt.unix_timestamp_nanos();
        if nanos < 0 {
            return Err(TimestampError::BeforeEpoch);
        }
        let millis = u64::try_from(nanos / 1_000_000).map_err(|_| TimestampError::OutOfRange)?;
        let ts = Self(millis);
        if ts.is_representable() {
            Ok(ts)
        } else {
            Err(TimestampError::OutOfRange)
        }
    }

    /// Parses a deadline or an expiry: as [`FromStr`], but a day alone is its end.
    pub fn parse_deadline(s: &str) -> Result<Self, TimestampError> {
        Self::parse_with_day(s, DayEdge::End)
    }

    /// Validation rule: representable as RFC 3339.
    pub fn check(self) -> Result<(), Rule> {
        if self.is_representable() {
            Ok(())
        } else {
            Err(Rule::TimestampOutOfRange)
        }
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_rfc3339() {
            Some(text) => f.write_str(&text),
            None => write!(f, "{} ms after 1970-01-01T00:00:00Z", self.0),
        }
    }
}

impl FromStr for Timestamp {
    type Err = TimestampError;

    /// Parses RFC 3339 with any offset (precision beyond milliseconds is truncated), or a
    /// day alone, read as its start in UTC.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_with_day(s, DayEdge::Start)
    }
}

impl Validate for Timestamp {
    fn validate_at(&self, _: &Checker<'_>, p: &Path<'_>) -> Outcome {
        self.check().map_err(|r| p.error(r))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            match self.to_rfc3339() {
                Some(text) => serializer.serialize_str(&text),
                None => Err(serde::ser::Error::custom(TimestampError::OutOfRange)),
            }
        } else {
            serializer.serialize_u64(self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if deserializer.is_human_readable() {
            deserializer.deserialize_any(TimestampVisitor {
                human: true,
                day: DayEdge::Start,
            })
        } else {
            deserializer.deserialize_u64(TimestampVisitor {
                human: false,
                day: DayEdge::Start,
            })
        }
    }
}

/// `#[serde(deserialize_with = "deadline")]` for a deadline: a day alone, in JSON or TOML,
/// is the day's end. Binary formats are read as for any [`Timestamp`].
pub fn deadline<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
    if deserializer.is_human_readable() {
        deserializer.deserialize_any(TimestampVisitor {
            human: true,
            day: DayEdge::End,
        })
    } else {
        Timestamp::deserialize(deserializer)
    }
}

/// [`deadline`] for an optional field (with `#[serde(default)]`); `null`/`nil` is `None`.
pub fn opt_deadline<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Timestamp>, D::Error> {
    struct Deadline(Timestamp);
    impl<'de> Deserialize<'de> for Deadline {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            deadline(d).map(Deadline)
        }
    }
    Option::<Deadline>::deserialize(deserializer).map(|o| o.map(|d| d.0))
}

/// Accepts RFC 3339 strings, days (and TOML date-times) always, integers only in binary
/// formats.
struct TimestampVisitor {
    human: bool,
    day: DayEdge,
}

impl<'de> Visitor<'de> for TimestampVisitor {
    type Value = Timestamp;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.human {
            f.write_str("an RFC 3339 timestamp such as \"2026-11-30T12:00:00Z\"")
        } else {
            f.write_str("milliseconds since the Unix epoch")
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Timestamp, E> {
        Timestamp::parse_with_day(v, self.day).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Timestamp, E> {
        if self.human {
            return Err(E::invalid_type(Unexpected::Unsigned(v), &self));
        }
        Ok(Timestamp(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Timestamp, E> {
        match u64::try_from(v) {
            Ok(v) => self.visit_u64(v),
            Err(_) => Err(E::invalid_value(Unexpected::Signed(v), &self)),
        }
    }

    /// A native TOML date-time arrives as a one-entry map holding its text.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Timestamp, A::Error> {
        match map.next_key::<String>()? {
            Some(key) if key == TOML_DATETIME_KEY => {
                let text: String = map.next_value()?;
                self.visit_str(&text)
            }
            _ => Err(de::Error::invalid_type(Unexpected::Map, &self)),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// 2026-11-30T12:00:00Z
    const NOON: u64 = 1_796_040_000_000;

    #[test]
    fn display_and_parse_rfc3339() {
        let t = Timestamp::from_millis(NOON);
        assert_eq!(t.to_string(), "2026-11-30T12:00:00Z");
        assert_eq!("2026-11-30T12:00:00Z".parse::<Timestamp>().unwrap(), t);
        assert_eq!("2026-11-30T13:00:00+01:00".parse::<Timestamp>().unwrap(), t);
        let ms = Timestamp::from_millis(NOON + 250);
        assert_eq!(ms.to_string(), "2026-11-30T12:00:00.25Z");
        assert_eq!(ms.to_string().parse::<Timestamp>().unwrap(), ms);
    }

    #[test]
    fn parse_rejects_bad_input() {
        assert!(matches!(
            "30/11/2026".parse::<Timestamp>(),
            Err(TimestampError::Format(_))
        ));
        assert_eq!(
            "1969-12-31T23:59:59Z".parse::<Timestamp>(),
            Err(TimestampError::BeforeEpoch)
        );
        assert_eq!(
            "9999-12-31T23:59:59-01:00".parse::<Timestamp>(),
            Err(TimestampError::OutOfRange)
        );
    }

    #[test]
    fn a_day_alone_is_its_start_or_for_deadlines_its_end() {
        const DAY_START: u64 = 1_798_675_200_000; // 2026-12-31T00:00:00Z
        assert_eq!(
            "2026-12-31".parse::<Timestamp>().unwrap().as_millis(),
            DAY_START
        );
        let end = Timestamp::parse_deadline(" 2026-12-31 ").unwrap();
        assert_eq!(end.as_millis(), DAY_START + 86_400_000 - 1);
        assert_eq!(end.to_string(), "2026-12-31T23:59:59.999Z");
        // A full timestamp is what it says, deadline or not.
        assert_eq!(
            Timestamp::parse_deadline("2026-11-30T12:00:00Z").unwrap(),
            Timestamp::from_millis(NOON)
        );
        for bad in ["2026-13-01", "2026-02-30", "31/12/2026", "2026-12-3"] {
            assert!(bad.parse::<Timestamp>().is_err(), "{bad}");
        }

        #[derive(Deserialize)]
        struct Doc {
            at: Timestamp,
            #[serde(deserialize_with = "deadline")]
            until: Timestamp,
            #[serde(default, deserialize_with = "opt_deadline")]
            due: Option<Timestamp>,
        }
        let doc: Doc = serde_json::from_str(
            r#"{"at": "2026-12-31", "until": "2026-12-31", "due": "2026-12-31"}"#,
        )
        .unwrap();
        assert_eq!(doc.at.as_millis(), DAY_START);
        assert_eq!(doc.until, end);
        assert_eq!(doc.due, Some(end));
        // In MessagePack a deadline is milliseconds like any time.
        #[derive(Serialize)]
        struct Bin {
            at: Timestamp,
            until: Timestamp,
        }
        let bytes = rmp_serde::to_vec_named(&Bin {
            at: Timestamp::from_millis(5),
            until: end,
        })
        .unwrap();
        #[derive(Deserialize)]
        struct BinDoc {
            #[allow(dead_code)]
            at: Timestamp,
            #[serde(deserialize_with = "deadline")]
            until: Timestamp,
        }
        assert_eq!(rmp_serde::from_slice::<BinDoc>(&bytes).unwrap().until, end);
    }

    #[test]
    fn max_is_last_rfc3339_instant() {
        assert_eq!(Timestamp::MAX.to_string(), "9999-12-31T23:59:59.999Z");
        let past = Timestamp::from_millis(Timestamp::MAX.as_millis() + 1);
        assert_eq!(past.check(), Err(Rule::TimestampOutOfRange));
        assert!(serde_json::to_string(&past).is_err());
        assert!(!past.to_string().is_empty());
    }

    #[test]
    fn json_is_rfc3339_string() {
        let t = Timestamp::from_millis(NOON);
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, "\"2026-11-30T12:00:00Z\"");
        assert_eq!(serde_json::from_str::<Timestamp>(&json).unwrap(), t);
        assert!(serde_json::from_str::<Timestamp>("1796040000000").is_err());
    }

    #[test]
    fn messagepack_is_integer_millis() {
        let t = Timestamp::from_millis(NOON);
        let bytes = rmp_serde::to_vec(&t).unwrap();
        assert_eq!(bytes[0], 0xcf, "expected a uint64 marker");
        assert_eq!(bytes[1..], NOON.to_be_bytes());
        assert_eq!(rmp_serde::from_slice::<u64>(&bytes).unwrap(), NOON);
        assert_eq!(rmp_serde::from_slice::<Timestamp>(&bytes).unwrap(), t);
        let small = rmp_serde::to_vec(&Timestamp::from_millis(5)).unwrap();
        assert_eq!(small, [5]);
    }

    #[test]
    fn toml_accepts_string_and_native_datetime() {
        #[derive(Deserialize)]
        struct Doc {
            a: Timestamp,
            b: Timestamp,
        }
        let doc: Doc =
            toml::from_str("a = \"2026-11-30T12:00:00Z\"\nb = 2026-11-30T12:00:00Z\n").unwrap();
        assert_eq!(doc.a, Timestamp::from_millis(NOON));
        assert_eq!(doc.b, Timestamp::from_millis(NOON));
        assert!(toml::from_str::<Doc>("a = 2026-11-30T12:00:00\nb = 1\n").is_err());
    }
}
