//! File attachments, their limits, and their media types.
//!
//! In MessagePack (the envelope body) an attachment's content is a binary; in JSON and
//! TOML (the local API, officers' files) it is base64 text (RFC 4648, standard alphabet,
//! padded), about 4/3 of the size rather than an array of numbers.

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
    /// The file content: a MessagePack binary; base64 text in JSON and TOML.
    #[serde(with = "content")]
    pub data: Vec<u8>,
}

/// What an attachment is, without its content: what to list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentInfo {
    /// File name.
    pub name: String,
    /// Media type.
    pub media_type: String,
    /// Size of the content, bytes.
    pub size: u64,
}

impl Attachment {
    /// Name, media type and size.
    pub fn info(&self) -> AttachmentInfo {
        AttachmentInfo {
            name: self.name.clone(),
            media_type: self.media_type.clone(),
            size: u64::try_from(self.data.len()).unwrap_or(u64::MAX),
        }
    }
}

/// The content as a binary, or base64 text in human-readable formats.
mod content {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(data: &[u8], s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&STANDARD.encode(data))
        } else {
            serde_bytes::serialize(data, s)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        if d.is_human_readable() {
            let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
            STANDARD.decode(text.as_bytes()).map_err(|e| {
                serde::de::Error::custom(format_args!("not base64 (RFC 4648, padded): {e}"))
            })
        } else {
            serde_bytes::deserialize(d)
        }
    }
}

/// The media type of a file, from its name's extension (case ignored);
/// `application/octet-stream` when the extension is not in the table.
pub fn media_type_for(file_name: &str) -> &'static str {
    const TABLE: &[(&str, &str)] = &[
        ("pdf", "application/pdf"),
        ("png", "image/png"),
        ("jpg", "image/jpeg"),
        ("jpeg", "image/jpeg"),
        ("gif", "image/gif"),
        ("tif", "image/tiff"),
        ("tiff", "image/tiff"),
        ("bmp", "image/bmp"),
        ("webp", "image/webp"),
        ("txt", "text/plain"),
        ("csv", "text/csv"),
        ("json", "application/json"),
        ("xml", "application/xml"),
        ("zip", "application/zip"),
        ("doc", "application/msword"),
        (
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("xls", "application/vnd.ms-excel"),
        (
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ("eml", "message/rfc822"),
    ];
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase());
    ext.and_then(|e| TABLE.iter().find(|(x, _)| *x == e).map(|(_, t)| *t))
        .unwrap_or("application/octet-stream")
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
    fn data_is_base64_in_json_and_toml() {
        let a = Attachment {
            name: "a.txt".into(),
            media_type: "text/plain".into(),
            data: b"hello".to_vec(),
        };
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(json["data"], "aGVsbG8=");
        assert_eq!(serde_json::from_value::<Attachment>(json).unwrap(), a);
        let err = serde_json::from_str::<Attachment>(
            r#"{"name": "a", "media_type": "text/plain", "data": [104, 105]}"#,
        )
        .unwrap_err();
        assert!(
            err.to_string().starts_with("invalid type: sequence"),
            "{err}"
        );
        let err = serde_json::from_str::<Attachment>(
            r#"{"name": "a", "media_type": "text/plain", "data": "not base64!"}"#,
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("not base64"), "{err}");
        let t: Attachment =
            toml::from_str("name = \"a.txt\"\nmedia_type = \"text/plain\"\ndata = \"aGVsbG8=\"\n")
                .unwrap();
        assert_eq!(t, a);
    }

    #[test]
    fn media_types_from_file_names() {
        assert_eq!(media_type_for("manifest.PDF"), "application/pdf");
        assert_eq!(media_type_for("x-ray.1.jpeg"), "image/jpeg");
        assert_eq!(media_type_for("door.jpg"), "image/jpeg");
        assert_eq!(media_type_for("list.csv"), "text/csv");
        assert_eq!(media_type_for("README"), "application/octet-stream");
        assert_eq!(media_type_for("archive.7z"), "application/octet-stream");
        for name in ["a.pdf", "a.docx", "a.xlsx", "a.eml", "a.bin"] {
            assert_eq!(check_media_type(media_type_for(name)), Ok(()), "{name}");
        }
    }

    #[test]
    fn data_is_messagepack_binary() {
        let bytes = rmp_serde::to_vec_named(&attachment("a", "image/jpeg", 3)).unwrap();
        let tail = [0xc4, 3, 0xff, 0xff, 0xff];
        assert!(bytes.ends_with(&tail), "{bytes:x?}");
    }
}
