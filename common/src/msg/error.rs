//! Errors: validation failures, unknown enum strings, encoding and decoding.

use super::MessageKind;

/// A message failed validation: which field, and which rule it broke.
///
/// Displays as `<field>: <rule>`, e.g. `containers[1]: ISO 6346 check digit is 4, expected 3`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {rule}")]
pub struct ValidationError {
    /// Path of the offending field, using serde names: `parties.shipper.country`,
    /// `goods[0].commodity.hs_code`, `attachments`.
    pub field: String,
    /// The rule the field broke.
    pub rule: Rule,
}

/// A rule that a field value breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rule {
    /// Required text is empty or only whitespace.
    #[error("must not be empty")]
    Empty,
    /// A list that needs at least one entry has none.
    #[error("must have at least one entry")]
    EmptyList,
    /// Text is longer than allowed (counted in characters).
    #[error("must be at most {max} characters")]
    TooLong {
        /// The maximum number of characters.
        max: usize,
    },
    /// A list names the same entry twice.
    #[error("must not name the same entry twice")]
    Duplicate,
    /// A list has more entries than allowed.
    #[error("must have at most {max} entries")]
    TooMany {
        /// The maximum number of entries.
        max: usize,
    },
    /// Text contains a control character (newlines and tabs are allowed in long text only).
    #[error("contains control character U+{found:04X}")]
    ControlCharacter {
        /// The code point of the first control character found.
        found: u32,
    },
    /// Not shaped like an ISO 6346 container number.
    #[error("not an ISO 6346 container number: {0}")]
    ContainerFormat(ContainerFormatIssue),
    /// An ISO 6346 container number whose check digit is wrong.
    #[error("ISO 6346 check digit is {found}, expected {expected}")]
    ContainerCheckDigit {
        /// The check digit computed from the first ten characters.
        expected: u8,
        /// The check digit written.
        found: u8,
    },
    /// Not shaped like an IMO ship number.
    #[error("not an IMO number: must be 7 digits, optionally prefixed with \"IMO\"")]
    ImoFormat,
    /// An IMO ship number whose check digit is wrong.
    #[error("IMO check digit is {found}, expected {expected}")]
    ImoCheckDigit {
        /// The check digit computed from the first six digits.
        expected: u8,
        /// The check digit written.
        found: u8,
    },
    /// Not a UN/LOCODE.
    #[error(
        "not a UN/LOCODE: must be a 2-letter country code and 3 characters A-Z or 2-9, e.g. BEANR"
    )]
    LocodeFormat,
    /// Not a Harmonized System commodity code.
    #[error(
        "not an HS code: must be a 4-digit heading or 6, 8 or 10 digits, dots allowed, e.g. 8471.30"
    )]
    HsCodeFormat,
    /// Not an ISO 3166-1 alpha-2 country code.
    #[error("not an ISO 3166 alpha-2 country code: must be 2 capital letters, e.g. BE")]
    CountryCode,
    /// Not a media type of the shape `type/subtype`.
    #[error("not a media type: must look like type/subtype, e.g. image/jpeg")]
    MediaType,
    /// An attachment name that is not a plain file name.
    #[error("must be a plain file name, without path separators, `.` or `..`")]
    FileName,
    /// The attachments of one message are larger in total than allowed.
    #[error("attachments total {total} bytes, at most {max} allowed")]
    AttachmentsTooLarge {
        /// The total size of all attachments, in bytes.
        total: usize,
        /// The maximum total size, in bytes.
        max: usize,
    },
    /// An information grade outside 1 to 6.
    #[error("information grade {found} is out of range 1-6")]
    GradingOutOfRange {
        /// The value found.
        found: i64,
    },
    /// A quantity that is not a finite number greater than zero.
    #[error("must be a finite number greater than zero")]
    Quantity,
    /// A timestamp after 9999-12-31T23:59:59.999Z, which RFC 3339 cannot write.
    #[error("timestamp is after 9999-12-31T23:59:59.999Z")]
    TimestampOutOfRange,
}

/// What is wrong with the shape of a container number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ContainerFormatIssue {
    /// Wrong number of characters.
    #[error("must be {expected} characters, found {found}")]
    Length {
        /// The number of characters needed.
        expected: usize,
        /// The number of characters found.
        found: usize,
    },
    /// The owner code (characters 1-3) is not three capital letters A-Z.
    #[error("owner code (characters 1-3) must be three capital letters A-Z")]
    OwnerCode,
    /// The category identifier (character 4) is not U, J or Z.
    #[error("category identifier (character 4) must be U, J or Z, found `{found}`")]
    Category {
        /// The character found.
        found: char,
    },
    /// The serial number (characters 5-10) is not six digits.
    #[error("serial number (characters 5-10) must be six digits")]
    Serial,
    /// The check digit (character 11) is not a digit.
    #[error("check digit (character 11) must be a digit")]
    CheckDigit,
}

/// A string that is none of an enum's exact strings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{value}`, expected one of: {}", .expected.join(", "))]
pub struct ParseEnumError {
    /// What was being parsed, e.g. "TLP label".
    pub what: &'static str,
    /// The string given.
    pub value: String,
    /// The exact strings accepted.
    pub expected: &'static [&'static str],
}

impl ParseEnumError {
    /// A new error for `value`, which is none of `expected`.
    pub fn new(what: &'static str, value: &str, expected: &'static [&'static str]) -> Self {
        Self {
            what,
            value: value.to_owned(),
            expected,
        }
    }
}

/// A message could not be encoded as MessagePack.
#[derive(Debug, thiserror::Error)]
#[error("cannot encode {kind} message: {source}")]
pub struct EncodeError {
    /// The kind of message.
    pub kind: MessageKind,
    /// The underlying encoder error.
    #[source]
    pub source: rmp_serde::encode::Error,
}

/// Bytes could not be decoded as a message of the expected kind.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The bytes are not a valid MessagePack encoding of this kind.
    #[error("cannot decode {kind} message: {source}")]
    Malformed {
        /// The kind of message expected.
        kind: MessageKind,
        /// The underlying decoder error.
        #[source]
        source: rmp_serde::decode::Error,
    },
    /// A valid message followed by extra bytes.
    #[error("cannot decode {kind} message: {count} unexpected bytes after the message")]
    TrailingBytes {
        /// The kind of message expected.
        kind: MessageKind,
        /// How many bytes were left over.
        count: usize,
    },
}

impl DecodeError {
    /// The kind of message that failed to decode.
    pub fn kind(&self) -> MessageKind {
        match self {
            Self::Malformed { kind, .. } | Self::TrailingBytes { kind, .. } => *kind,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_error_display_is_path_colon_rule() {
        let e = ValidationError {
            field: "containers[1]".into(),
            rule: Rule::ContainerCheckDigit {
                expected: 3,
                found: 4,
            },
        };
        assert_eq!(
            e.to_string(),
            "containers[1]: ISO 6346 check digit is 4, expected 3"
        );
    }

    #[test]
    fn parse_enum_error_lists_expected() {
        let e = ParseEnumError::new("priority", "high", &["flash", "urgent", "routine"]);
        assert_eq!(
            e.to_string(),
            "unknown priority `high`, expected one of: flash, urgent, routine"
        );
    }

    #[test]
    fn container_format_reason_is_shown() {
        let r = Rule::ContainerFormat(ContainerFormatIssue::Category { found: 'X' });
        assert_eq!(
            r.to_string(),
            "not an ISO 6346 container number: category identifier (character 4) \
             must be U, J or Z, found `X`"
        );
    }
}
