//! File attachments and their limits.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::validate::{Checker, Outcome, Path};
use super::Rule;

/// A file sent with a message (photo, scanned document).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    /// File name, without any directory: `x-ray.jpg`.
    pub name: String,
    /// Media type, e.g. `image/jpeg`.
    pub media_type: String,
    /// The file content (a MessagePack binary, not an array of numbers).
    #[serde(with = "serde_bytes")]
    pub data: Vec<u8>,
}

impl fmt::Debug for Attachment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attachment")
            .field("name", &self.name)
            .field("media_type", &self.media_type)
            .field("data", &format_args!("<{} bytes>", self.data.len()))
            .finish()
    }
}

/// Checks a media type of the shape `type/subtype` (RFC 6838 restricted names, no
/// parameters): e.g. `image/jpeg`, `application/vnd.ms-excel`.
pub fn check_media_type(media_type: &str) -> Result<(), Rule> {
    let restricted_name = |part: &str| {
        let mut bytes = part.bytes();
        (1..=127).contains(&part.len())
            && bytes.next().is_some_and(|b| b.is_ascii_alphanumeric())
            && bytes.all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    match media_type.split_once('/') {
        Some((kind, subtype)) if restricted_name(kind) && restricted_name(subtype) => Ok(()),
        _ => Err(Rule::MediaType),
    }
}

/// Checks that an attachment name is a plain file name: no `/` or `\`, not `.` or `..`.
pub fn check_file_name(name: &str) -> Result<(), Rule> {
    if name.contains(['/', '\\']) || name == "." || name == ".." {
        Err(Rule::FileName)
    } else {
        Ok(())
    }
}

/// Validates the `attachments` list of a message: count, each entry, then the total size.
pub(crate) fn check_attachments(c: &Checker<'_>, p: &Path<'_>, items: &[Attachment]) -> Outcome {
    let f = p.field("attachments");
    let limits = c.limits();
    if items.len() > limits.max_attachments {
        return Err(f.error(Rule::TooMany {
            max: limits.max_attachments,
        }));
    }
    for (i, item) in items.iter().enumerate() {
        let ip = f.index(i);
        c.short(&ip, "name", &item.name)?;
        c.rule(&ip, "name", check_file_name(&item.name))?;
        c.short(&ip, "media_type", &item.media_type)?;
        c.rule(&ip, "media_type", check_media_type(&item.media_type))?;
        if item.data.is_empty() {
            return Err(ip.field("data").error(Rule::Empty));
        }
    }
    let total = items
        .iter()
        .fold(0usize, |sum, a| sum.saturating_add(a.data.len()));
    let max = limits.max_attachment_bytes;
    if total > max {
        return Err(f.error(Rule::AttachmentsTooLarge { total, max }));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::msg::Limits;

    fn attachment(name: &str, media_type: &str, len: usize) -> Attachment {
        Attachment {
            name: name.into(),
            media_type: media_type.into(),
            data: vec![0xff; len],
        }
    }

    fn check(limits: &Limits, items: &[Attachment]) -> Outcome {
        check_attachments(&Checker::new(limits), &Path::ROOT, items)
    }

    #[test]
    fn media_types() {
        for good in [
            "image/jpeg",
            "application/pdf",
            "application/vnd.ms-excel",
            "text/plain",
        ] {
            assert_eq!(check_media_type(good), Ok(()), "{good}");
        }
        for bad in [
            "jpeg",
            "image/",
            "/jpeg",
            "image/jpeg/x",
            "image jpeg",
            "text/plain; a=b",
        ] {
            assert_eq!(check_media_type(bad), Err(Rule::MediaType), "{bad}");
        }
    }

    #[test]
    fn file_names() {
        assert_eq!(check_file_name("x-ray 1.jpg"), Ok(()));
        for bad in ["../etc/passwd", "a/b.jpg", "C:\\x.jpg", "..", "."] {
            assert_eq!(check_file_name(bad), Err(Rule::FileName), "{bad}");
        }
    }

    #[test]
    fn paths_and_limits() {
        let limits = Limits {
            max_attachments: 3,
            max_attachment_bytes: 10,
            ..Limits::default()
        };
        let ok = [
            attachment("a.jpg", "image/jpeg", 5),
            attachment("b.pdf", "application/pdf", 5),
        ];
        assert_eq!(check(&limits, &ok), Ok(()));

        let mut items = ok.to_vec();
        items.push(attachment("c.jpg", "jpeg", 1));
        let err = check(&limits, &items).unwrap_err();
        assert_eq!(err.field, "attachments[2].media_type");
        assert_eq!(err.rule, Rule::MediaType);

        items[2].media_type = "image/jpeg".into();
        let err = check(&limits, &items).unwrap_err();
        assert_eq!(err.field, "attachments");
        assert_eq!(err.rule, Rule::AttachmentsTooLarge { total: 11, max: 10 });

        items.push(attachment("d.jpg", "image/jpeg", 1));
        assert_eq!(
            check(&limits, &items).unwrap_err().rule,
            Rule::TooMany { max: 3 }
        );
    }

    #[test]
    fn debug_hides_content() {
        let text = format!("{:?}", attachment("a.jpg", "image/jpeg", 1000));
        assert!(text.contains("<1000 bytes>"), "{text}");
        assert!(text.len() < 200);
    }

    #[test]
    fn data_is_messagepack_binary() {
        let bytes = rmp_serde::to_vec_named(&attachment("a", "image/jpeg", 3)).unwrap();
        let tail = [0xc4, 3, 0xff, 0xff, 0xff];
        assert!(bytes.ends_with(&tail), "{bytes:x?}");
    }
}
