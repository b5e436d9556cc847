//! Size limits applied by `validate()`.

use serde::{Deserialize, Serialize};

/// Size limits for message validation. Lengths are counted in characters.
///
/// Missing keys in a configuration file take their default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Maximum length of long text (summaries, details, free text). Default 8000.
    pub max_text_len: usize,
    /// Maximum length of titles, names and other short fields. Default 200.
    pub max_short_len: usize,
    /// Maximum number of entries in any list. Default 100.
    pub max_list_len: usize,
    /// Maximum number of attachments in one message. Default 20.
    pub max_attachments: usize,
    /// Maximum total size of the attachments of one message, in bytes. Default 16 MiB.
    pub max_attachment_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_text_len: 8000,
            max_short_len: 200,
            max_list_len: 100,
            max_attachments: 20,
            max_attachment_bytes: 16 * 1024 * 1024,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn defaults() {
        let l = Limits::default();
        assert_eq!(l.max_text_len, 8000);
        assert_eq!(l.max_short_len, 200);
        assert_eq!(l.max_list_len, 100);
        assert_eq!(l.max_attachments, 20);
        assert_eq!(l.max_attachment_bytes, 16_777_216);
    }

    #[test]
    fn partial_toml_keeps_other_defaults() {
        let l: Limits = toml::from_str("max_list_len = 5").unwrap();
        assert_eq!(l.max_list_len, 5);
        assert_eq!(l.max_short_len, 200);
        assert!(toml::from_str::<Limits>("max_lists = 5").is_err());
    }
}
