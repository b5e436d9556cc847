//! Small pieces shared by the pages: times, priorities, markings, a message body shown
//! field by field with translated labels.

use cordon_common::msg::Timestamp;
use maud::{html, Markup};
use serde_json::Value;

use super::i18n::Tr;

/// A time as `2026-12-04 14:03 UTC`.
pub fn time(t: Timestamp) -> String {
    t.to_rfc3339()
        .map(|s| format!("{} {} UTC", &s[..10], s.get(11..16).unwrap_or("")))
        .unwrap_or_default()
}

/// A priority as a badge (flash stands out).
pub fn priority(tr: &Tr<'_>, p: &str) -> Markup {
    html! { span class={ "badge prio-" (p) } { (tr.code("priority", p)) } }
}

/// A TLP marking as a badge, its meaning on hover.
pub fn tlp(tr: &Tr<'_>, t: &str) -> Markup {
    let key = t.replace('+', "-").to_lowercase();
    html! {
        span class={ "badge tlp-" (key) } title=(tr.code("tlp-meaning", &key)) { "TLP:" (t) }
    }
}

/// "BE-NCP / name" from a sender and the body's `drafted_by`.
pub fn sender(node: &str, body: &Value) -> String {
    match body.get("drafted_by").and_then(Value::as_str) {
        Some(name) => format!("{node} / {name}"),
        None => node.to_owned(),
    }
}

fn scalar(tr: &Tr<'_>, key: &str, v: &Value) -> String {
    match v {
        Value::String(s) => match key {
            "action" | "outcome" | "event" | "phase" | "mode" => tr.code(key, s),
            _ => s.clone(),
        },
        Value::Bool(b) => tr.t(if *b { "yes" } else { "no" }),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A body shown field by field: labels from `field-<name>`, code values translated,
/// containers and routes as chips; attachments are listed elsewhere.
pub fn body(tr: &Tr<'_>, v: &Value) -> Markup {
    let Value::Object(map) = v else {
        return html! {};
    };
    html! {
        dl.body {
            @for (k, v) in map {
                @if k != "attachments" && k != "drafted_by" && !is_empty(v) {
                    dt { (tr.code("field", k)) }
                    dd data-field=(k) { (value(tr, k, v)) }
                }
            }
        }
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.values().all(is_empty),
        _ => false,
    }
}

fn value(tr: &Tr<'_>, key: &str, v: &Value) -> Markup {
    match v {
        Value::Array(items) => match key {
            "route" => html! {
                span.route { @for (i, p) in items.iter().enumerate() {
                    @if i > 0 { " → " } code { (scalar(tr, key, p)) }
                } }
            },
            "containers" => html! {
                ul.chips { @for c in items { li { code.container { (scalar(tr, key, c)) } } } }
            },
            "report" => html! {
                ul.chips { @for c in items { li { (tr.code("event", c.as_str().unwrap_or_default())) } } }
            },
            _ => html! { ul { @for i in items { li { (value(tr, key, i)) } } } },
        },
        Value::Object(_) => body(tr, v),
        _ => html! { (scalar(tr, key, v)) },
    }
}

/// The attachments of a body: name, type, size.
pub fn attachments(v: &Value) -> Vec<(String, String, usize)> {
    v.get("attachments")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|x| {
                    let name = x.get("name").and_then(Value::as_str).unwrap_or_default();
                    let media = x
                        .get("media_type")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    (name.to_owned(), media.to_owned(), data_len(x.get("data")))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn data_len(v: Option<&Value>) -> usize {
    match v {
        Some(Value::Array(a)) => a.len(),
        Some(Value::String(s)) => s.len() / 4 * 3,
        _ => 0,
    }
}

/// The bytes of attachment `n` of a body.
pub fn attachment_data(v: &Value, n: usize) -> Option<(String, Vec<u8>)> {
    let a = v.get("attachments")?.as_array()?.get(n)?;
    let name = a.get("name")?.as_str()?.to_owned();
    let data = match a.get("data")? {
        Value::Array(bytes) => bytes
            .iter()
            .map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()))
            .collect::<Option<Vec<u8>>>()?,
        Value::String(s) => {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.decode(s).ok()?
        }
        _ => return None,
    };
    Some((name, data))
}

/// A size as `12 KiB`.
pub fn size(bytes: usize) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MiB", bytes as f64 / f64::from(1u32 << 20))
    } else if bytes >= 1024 {
        format!("{} KiB", bytes / 1024)
    } else {
        format!("{bytes} B")
    }
}
