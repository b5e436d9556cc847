//! `--attach FILE`: files read for a message, each at most what one message may carry,
//! named by its file name, its media type from its extension.

use std::io::Read as _;
use std::path::Path;

use cordon_common::msg::MessageKind;
use cordon_common::msg::{media_type_for, Attachment, Limits};

/// The kinds that carry attachments.
pub const KINDS_WITH_ATTACHMENTS: [MessageKind; 4] = [
    MessageKind::Alert,
    MessageKind::Feedback,
    MessageKind::Seizure,
    MessageKind::Notice,
];

/// Read `files` as attachments of a `kind`; every problem, each naming its file.
pub fn read_attachments(
    kind: MessageKind,
    files: &[impl AsRef<Path>],
    limits: &Limits,
) -> Result<Vec<Attachment>, Vec<String>> {
    if files.is_empty() {
        return Ok(vec![]);
    }
    if !KINDS_WITH_ATTACHMENTS.contains(&kind) {
        return Err(vec![format!(
            "--attach: a {kind} carries no attachments (alert, feedback, seizure and notice do)"
        )]);
    }
    let mut out = Vec::with_capacity(files.len());
    let mut errors = Vec::new();
    let mut total = 0u64;
    let max = u64::try_from(limits.max_attachment_bytes).unwrap_or(u64::MAX);
    for f in files {
        let path = f.as_ref();
        match read_one(path, max.saturating_sub(total), max) {
            Ok(a) => {
                total = total.saturating_add(a.data.len() as u64);
                out.push(a);
            }
            Err(why) => errors.push(format!("--attach {}: {why}", path.display())),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// One file, refused when it is larger than `room` bytes (never read past that) of the
/// `max` one message may carry.
fn read_one(path: &Path, room: u64, max: u64) -> Result<Attachment, String> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or("has no file name in UTF-8")?
        .to_owned();
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut data = Vec::new();
    file.take(room.saturating_add(1))
        .read_to_end(&mut data)
        .map_err(|e| e.to_string())?;
    if data.len() as u64 > room {
        return Err(format!(
            "too large: the attachments of one message total at most {max} bytes, and \
             {room} are left"
        ));
    }
    if data.is_empty() {
        return Err("is empty".into());
    }
    Ok(Attachment {
        media_type: media_type_for(&name).to_owned(),
        name,
        data,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn files_become_attachments_and_problems_name_their_file() {
        let dir = tempfile::tempdir().unwrap();
        let pdf = dir.path().join("manifest.pdf");
        std::fs::write(&pdf, b"%PDF-1.7").unwrap();
        let big = dir.path().join("big.bin");
        std::fs::write(&big, vec![1u8; 11]).unwrap();
        let limits = Limits {
            max_attachment_bytes: 18,
            ..Limits::default()
        };
        let got = read_attachments(MessageKind::Alert, &[&pdf], &limits).unwrap();
        assert_eq!(got[0].name, "manifest.pdf");
        assert_eq!(got[0].media_type, "application/pdf");
        assert_eq!(got[0].data, b"%PDF-1.7");
        let missing = dir.path().join("nope.jpg");
        let errs =
            read_attachments(MessageKind::Alert, &[&pdf, &big, &missing], &limits).unwrap_err();
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert!(errs[0].contains("big.bin: too large"), "{errs:?}");
        assert!(errs[1].contains("nope.jpg"), "{errs:?}");
        let errs = read_attachments(MessageKind::Tasking, &[&pdf], &limits).unwrap_err();
        assert!(errs[0].starts_with("--attach: a tasking carries no attachments"));
    }
}
