//! Attachments as officers see them: `show` lists each by name, media type and size,
//! never its bytes; `attachment` hands over one, chosen by name or by its number in that
//! list.

use cordon_common::ids::MessageId;
use cordon_common::msg::{Attachment, AttachmentInfo, Message};

use super::{decode_stored, internal, Service, ServiceError};

/// The attachments a message carries (none for kinds that carry none).
pub fn attachments_of(m: &Message) -> &[Attachment] {
    match m {
        Message::Alert(x) => &x.attachments,
        Message::Feedback(x) => &x.attachments,
        Message::Seizure(x) => &x.attachments,
        Message::Notice(x) => &x.attachments,
        Message::TrackingRequest(_)
        | Message::TrackingUpdate(_)
        | Message::Tasking(_)
        | Message::Receipt(_) => &[],
    }
}

/// The list `show` prints, and the body without the attachments' content.
pub fn split_body(
    m: &Message,
    mut body: serde_json::Value,
) -> (serde_json::Value, Vec<AttachmentInfo>) {
    if let Some(o) = body.as_object_mut() {
        o.remove("attachments");
    }
    (
        body,
        attachments_of(m).iter().map(Attachment::info).collect(),
    )
}

/// The attachment `which` names: its name, or its number (1, 2, ...) in the list.
pub fn pick<'a>(list: &'a [Attachment], which: &str) -> Result<&'a Attachment, ServiceError> {
    let named: Vec<(usize, &Attachment)> = list
        .iter()
        .enumerate()
        .filter(|(_, a)| a.name == which)
        .collect();
    match named.as_slice() {
        [(_, a)] => return Ok(a),
        [] => {}
        many => {
            let numbers: Vec<String> = many.iter().map(|(i, _)| (i + 1).to_string()).collect();
            return Err(ServiceError::invalid(
                "attachment",
                format!(
                    "{} attachments are named {which:?} (numbers {}); ask for one by its number",
                    many.len(),
                    numbers.join(", ")
                ),
            ));
        }
    }
    let by_number = which
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_sub(1))
        .and_then(|i| list.get(i));
    by_number.ok_or_else(|| {
        let names: Vec<String> = list
            .iter()
            .enumerate()
            .map(|(i, a)| format!("{} {}", i + 1, a.name))
            .collect();
        ServiceError::NotFound(if names.is_empty() {
            "the message has no attachments".into()
        } else {
            format!("no attachment {which:?}; it has: {}", names.join(", "))
        })
    })
}

impl Service {
    /// One attachment of a message received or sent, content included (base64 in JSON).
    pub async fn attachment(
        &self,
        id: MessageId,
        which: String,
    ) -> Result<Attachment, ServiceError> {
        let (kind, body) = self
            .run(move |s| {
                if let Some(r) = s.store.inbox_get(&id).map_err(internal)? {
                    return Ok((r.kind, r.body));
                }
                match s.store.sent(&id).map_err(internal)? {
                    Some(r) => Ok((r.kind, r.body)),
                    None => Err(ServiceError::NotFound(format!(
                        "no message {id} on this node"
                    ))),
                }
            })
            .await?;
        let m = decode_stored(kind, &body)
            .ok_or_else(|| internal(format!("the stored body of {id} cannot be decoded")))?;
        pick(attachments_of(&m), &which).cloned()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn a(name: &str) -> Attachment {
        Attachment {
            name: name.into(),
            media_type: "image/jpeg".into(),
            data: vec![1, 2, 3],
        }
    }

    #[test]
    fn attachments_are_picked_by_name_or_number() {
        let list = [a("door.jpg"), a("2"), a("scan.jpg"), a("scan.jpg")];
        assert_eq!(pick(&list, "door.jpg").unwrap().name, "door.jpg");
        assert_eq!(pick(&list, "1").unwrap().name, "door.jpg");
        // A name wins over a number.
        assert_eq!(pick(&list, "2").unwrap().name, "2");
        assert_eq!(
            pick(&list, "scan.jpg").unwrap_err(),
            ServiceError::invalid(
                "attachment",
                "2 attachments are named \"scan.jpg\" (numbers 3, 4); ask for one by its number"
            )
        );
        assert_eq!(pick(&list, "4").unwrap().name, "scan.jpg");
        assert_eq!(
            pick(&list[..1], "x.pdf").unwrap_err(),
            ServiceError::NotFound("no attachment \"x.pdf\"; it has: 1 door.jpg".into())
        );
        assert!(matches!(pick(&list, "0"), Err(ServiceError::NotFound(_))));
        assert!(matches!(pick(&[], "1"), Err(ServiceError::NotFound(_))));
    }
}
