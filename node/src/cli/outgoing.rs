//! `attachment`, `cancel` and `resend`: saving an attachment, withdrawing a draft,
//! resending to readers who joined late.

use std::io::Write as _;
use std::path::Path;

use cordon_common::msg::Attachment;
use serde_json::json;

use super::{client, exit, parse_id, print_json, Common, Failure};
use crate::service::{SendAccepted, SentItem};

/// Save attachment `name` (or its number) of message `id` to `out`; an existing file is
/// kept unless `force`.
pub async fn save_attachment(
    common: &Common,
    id: &str,
    name: &str,
    out: &Path,
    force: bool,
) -> Result<u8, Failure> {
    let id = parse_id(id)?;
    let name_in_path = crate::api_client::encode_query_value(name);
    let a: Attachment = client(common)?
        .get(&format!("/v1/messages/{id}/attachments/{name_in_path}"))
        .await?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let written = options
        .open(out)
        .and_then(|mut f| f.write_all(&a.data).and_then(|()| f.sync_all()));
    written.map_err(|e| {
        let hint = if e.kind() == std::io::ErrorKind::AlreadyExists {
            " (exists; --force replaces it)"
        } else {
            ""
        };
        Failure {
            code: exit::USAGE,
            message: format!("--out {}: {e}{hint}", out.display()),
        }
    })?;
    let info = a.info();
    if common.json {
        print_json(&json!({
            "name": info.name,
            "media_type": info.media_type,
            "size": info.size,
            "saved_to": out.display().to_string(),
        }))?;
    } else {
        println!(
            "saved {} ({}, {} bytes) to {}",
            info.name,
            info.media_type,
            info.size,
            out.display()
        );
    }
    Ok(exit::OK)
}

/// Withdraw a message the hub has not stored yet.
pub async fn cancel(common: &Common, id: &str) -> Result<u8, Failure> {
    let id = parse_id(id)?;
    let v: SentItem = client(common)?
        .post(&format!("/v1/messages/{id}/cancel"), &json!({}))
        .await?;
    if common.json {
        print_json(&v)?;
    } else {
        println!("withdrew {} {}: it will not be sent", v.kind, v.id);
    }
    Ok(exit::OK)
}

/// Queue a resend of a stored channel message to the readers it was not sealed to.
pub async fn resend(common: &Common, id: &str, to_new_readers: bool) -> Result<u8, Failure> {
    if !to_new_readers {
        return Err(Failure::usage(
            "resend needs --to-new-readers: a message is resent only to the channel's \
             readers it was not sealed to",
        ));
    }
    let id = parse_id(id)?;
    let v: SendAccepted = client(common)?
        .post(
            &format!("/v1/messages/{id}/resend"),
            &json!({"to_new_readers": true}),
        )
        .await?;
    if common.json {
        print_json(&v)?;
    } else {
        println!("queued {} {} ({})", v.kind, v.id, v.state);
        for n in &v.notes {
            println!("  {n}");
        }
    }
    Ok(exit::OK)
}
