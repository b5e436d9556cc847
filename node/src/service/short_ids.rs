//! Message ids as officers type them: the whole id, or its first hex digits when they
//! name one message only. Ids are UUIDv7, whose first 12 digits are the time of making:
//! messages made within a minute share their first 8, so type enough to tell them apart.

use cordon_common::ids::MessageId;

use super::{internal, Service, ServiceError};

/// Fewest hex digits taken as a prefix.
pub const MIN_PREFIX: usize = 4;
/// Most candidates listed when a prefix is ambiguous.
const MAX_LISTED: usize = 8;

/// The hex digits of `text` (hyphens ignored), if it is a prefix of an id.
pub fn prefix_digits(text: &str) -> Result<Vec<u8>, ServiceError> {
    let digits: Option<Vec<u8>> = text
        .trim()
        .chars()
        .filter(|&c| c != '-')
        .map(|c| c.to_digit(16).and_then(|d| u8::try_from(d).ok()))
        .collect();
    match digits {
        Some(d) if (MIN_PREFIX..=32).contains(&d.len()) => Ok(d),
        _ => Err(ServiceError::invalid(
            "id",
            format!(
                "{text:?} is not a message id: give the whole id or at least its first \
                 {MIN_PREFIX} hex digits"
            ),
        )),
    }
}

impl Service {
    /// The message `text` names: a whole id, or the only message (received or sent)
    /// whose id starts with it. An ambiguous prefix is refused with its candidates.
    pub async fn resolve_id(&self, text: &str) -> Result<MessageId, ServiceError> {
        if let Ok(id) = text.trim().parse::<MessageId>() {
            return Ok(id);
        }
        let digits = prefix_digits(text)?;
        let found = self
            .run(move |s| {
                s.store
                    .ids_with_prefix(&digits, MAX_LISTED + 1)
                    .map_err(internal)
            })
            .await?;
        match found.as_slice() {
            [] => Err(ServiceError::NotFound(format!(
                "no message whose id starts with {}",
                text.trim()
            ))),
            [one] => Ok(one.id),
            many => {
                let listed: Vec<String> = many
                    .iter()
                    .take(MAX_LISTED)
                    .map(|m| format!("{} ({})", m.id, if m.sent { "sent" } else { "received" }))
                    .collect();
                let more = if many.len() > MAX_LISTED { ", ..." } else { "" };
                Err(ServiceError::invalid(
                    "id",
                    format!(
                        "{} is ambiguous: it starts {}{more}; give more digits",
                        text.trim(),
                        listed.join(", ")
                    ),
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn prefixes_are_hex_digits_hyphens_ignored() {
        assert_eq!(prefix_digits("019a-2b").unwrap(), [0, 1, 9, 0xa, 2, 0xb]);
        assert_eq!(prefix_digits(" 019A ").unwrap(), [0, 1, 9, 0xa]);
        for bad in ["019", "019g", "", "----"] {
            assert!(prefix_digits(bad).is_err(), "{bad}");
        }
        assert!(prefix_digits(&"a".repeat(33)).is_err());
    }
}
