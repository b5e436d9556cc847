//! Compose: one form per kind this node may send, on the channels it may publish to;
//! fields checked as typed (`/compose/check`) and again on submit with the same rules;
//! errors beside their fields, all at once, in the officer's language; TLP and grading
//! pickers with their meaning; attachments with the limit shown.

use std::collections::HashMap;

use cordon_common::msg::{Limits, MessageKind};
use fluent_bundle::FluentValue;
use hyper::body::Incoming;
use hyper::{Request, StatusCode};
use maud::{html, Markup};
use serde_json::Value;

use crate::console::forms::{self, FieldError, Input, KINDS};
use crate::console::http::{self as h, Form, Resp};
use crate::console::layout::{self, csrf};
use crate::console::server::{csrf_ok, Ctx};
use crate::console::view;
use crate::service::{SendRequest, ServiceError, Shown};

const TLPS: &[&str] = &["RED", "AMBER+STRICT", "AMBER", "GREEN", "CLEAR"];

/// The largest compose form: the attachments' limit in base64, and room for the rest.
fn max_form() -> usize {
    Limits::default().max_attachment_bytes / 3 * 4 + 1024 * 1024
}

/// The channels this node may publish `kind` to.
fn channels_for(ctx: &Ctx<'_>, kind: &str) -> Vec<String> {
    let Ok(k) = kind.parse::<MessageKind>() else {
        return vec![];
    };
    ctx.console
        .service
        .channels()
        .channels
        .iter()
        .filter(|g| g.publish.contains(&k))
        .map(|g| g.channel.to_string())
        .collect()
}

fn input(
    ctx: &Ctx<'_>,
    field: &forms::Field,
    values: &HashMap<String, String>,
    multi: &[String],
) -> Markup {
    let tr = &ctx.tr;
    let name = field.name;
    let v = values.get(name).map(String::as_str).unwrap_or_default();
    let id = format!("f-{}", name.replace('.', "-"));
    let req = field.required;
    match field.input {
        Input::Text | Input::Containers | Input::Route | Input::Lines => html! {
            textarea id=(id) name=(name) rows="3" required[req] data-check { (v) }
        },
        Input::Choice(list, options) => html! {
            select id=(id) name=(name) required[req] data-check {
                option value="" { "—" }
                @for o in options { option value=(o) selected[v == *o] { (tr.code(list, o)) } }
            }
        },
        Input::Choices(list, options) => html! {
            span id=(id) .choices { @for o in options {
                label { input type="checkbox" name=(name) value=(o) checked[multi.iter().any(|m| m == o)]; " " (tr.code(list, o)) }
            } }
        },
        Input::Grade => html! {
            select id=(id) name=(name) required[req] data-check {
                option value="" { "—" }
                @for g in 1..=6 { option value=(g) selected[v == g.to_string()] { (g) " – " (tr.code("grade", &g.to_string())) } }
            }
        },
        Input::DateTime => {
            html! { input id=(id) name=(name) value=(v) placeholder="2026-12-31" required[req] data-check; }
        }
        Input::Flag => {
            html! { input id=(id) type="checkbox" name=(name) value="on" checked[!v.is_empty()]; }
        }
        Input::Reference => {
            html! { input id=(id) name=(name) value=(v) size="38" required[req] data-check; }
        }
        _ => html! { input id=(id) name=(name) value=(v) required[req] data-check; },
    }
}

/// The compose page (`errors` after a refused submit).
pub async fn form(ctx: &Ctx<'_>, q: &Form, errors: Vec<FieldError>) -> Resp {
    let tr = &ctx.tr;
    let mut values = q.to_map();
    let kind = q.get("kind").unwrap_or("alert").to_owned();
    let fields = forms::fields(&kind);
    if fields.is_empty() {
        return super::error_page(ctx, StatusCode::NOT_FOUND, &tr.t("error-not-found"));
    }
    let reply_to = q.get("reply_to").map(str::to_owned);
    let mut reply_title = None;
    if let Some(r) = &reply_to {
        if let Ok(id) = r.parse() {
            if let Ok(Shown::Received(m)) = ctx.console.service.show(id).await {
                reply_title = Some(format!("{} — {}", m.item.title, m.signer.node_id));
                if let Some(f) = forms::reference_field(&kind) {
                    values.entry(f.to_owned()).or_insert_with(|| r.clone());
                }
            }
        }
    }
    let channels = channels_for(ctx, &kind);
    let err = |name: &str| {
        errors
            .iter()
            .filter(|e| e.field == name)
            .map(|e| e.message.clone())
            .collect::<Vec<_>>()
            .join("; ")
    };
    let multi = |name: &str| {
        q.all(name)
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let limits = Limits::default();
    let body = html! {
        nav.kinds {
            @for k in KINDS {
                a href={ "/compose?kind=" (k) @if let Some(r) = &reply_to { "&reply_to=" (r) } }
                  class=[(*k == kind).then_some("active")] { (tr.code("kind", k)) }
            }
        }
        @if let Some(e) = errors.iter().find(|e| e.field == "form") { p.error #form-error role="alert" { (e.message) } }
        @if !errors.is_empty() { p.error #error-count role="alert" { (tr.ta("compose-errors", &[("count", FluentValue::from(errors.len()))])) } }
        form #compose method="post" action="/compose" data-max-bytes=(limits.max_attachment_bytes) {
            (csrf(ctx))
            input type="hidden" name="kind" value=(kind);
            fieldset.header {
                @if let Some(r) = &reply_to {
                    input type="hidden" name="reply_to" value=(r);
                    p #reply-to { (tr.t("compose-reply-to")) " " (reply_title.as_deref().unwrap_or(r)) }
                } @else {
                    label for="f-to" { (tr.t("compose-to")) }
                    select #f-to name="to" required {
                        @for c in &channels { option value=(c) selected[values.get("to") == Some(c)] { (c) } }
                    }
                    @if channels.is_empty() { p.hint #no-channels { (tr.t("compose-no-channels")) } }
                    p.field-error #err-to { (err("to")) }
                }
                label for="f-priority" { (tr.t("col-priority")) }
                select #f-priority name="priority" {
                    @for p in ["routine", "urgent", "flash"] { option value=(p) selected[values.get("priority").map(String::as_str) == Some(p)] { (tr.code("priority", p)) } }
                }
                fieldset.tlp #tlp {
                    legend { (tr.t("compose-tlp")) }
                    @for t in TLPS {
                        @let key = t.replace('+', "-").to_lowercase();
                        @let checked = values.get("tlp").map_or(*t == "AMBER", |v| v == t);
                        label.tlp-choice {
                            input type="radio" name="tlp" value=(t) checked[checked];
                            " " (view::tlp(tr, t)) " " small { (tr.code("tlp-meaning", &key)) }
                        }
                    }
                }
            }
            fieldset.fields {
                @for f in fields {
                    @let id = format!("f-{}", f.name.replace('.', "-"));
                    div.field data-field=(f.name) {
                        label for=(id) { (tr.t(&format!("field-{}", f.name.replace('.', "-")))) @if f.required { " *" } }
                        (input(ctx, f, &values, &multi(f.name)))
                        p.field-error id={ "err-" (f.name.replace('.', "-")) } { (err(f.name)) }
                    }
                }
                @if fields.iter().any(|f| f.name == "grading.source") {
                    details.help { summary { (tr.t("compose-grading-help")) }
                        ul { @for s in ["A","B","C","D","E","F"] { li { b { (s) } " – " (tr.code("source", s)) } } }
                    }
                }
            }
            @if forms::has_attachments(&kind) {
                fieldset.attachments {
                    legend { (tr.t("msg-attachments")) }
                    input #f-files type="file" multiple;
                    p.hint { (tr.ta("compose-attach-limit", &[("max", FluentValue::from(view::size(limits.max_attachment_bytes))), ("count", FluentValue::from(limits.max_attachments))])) }
                    div #attached {}
                    p.field-error #err-attachments { (err("attachments")) }
                }
            }
            button type="submit" #send { (tr.t("compose-send")) }
        }
    };
    let title = tr.ta(
        "compose-title",
        &[("kind", FluentValue::from(tr.code("kind", &kind)))],
    );
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    h::html(status, layout::page(ctx, "compose", &title, body))
}

/// Attachments posted by the page's script: `att_name`, `att_type`, `att_data` (base64).
fn attachments(ctx: &Ctx<'_>, form: &Form) -> Result<Vec<Value>, FieldError> {
    use base64::Engine;
    let names = form.all("att_name");
    let types = form.all("att_type");
    let datas = form.all("att_data");
    let bad = || FieldError {
        field: "attachments".into(),
        message: ctx.tr.t("rule-attachment"),
    };
    if names.len() != types.len() || names.len() != datas.len() {
        return Err(bad());
    }
    let mut out = vec![];
    for ((n, t), d) in names.iter().zip(&types).zip(&datas) {
        // Checked here so that a broken upload is named beside the attachments; the body
        // carries it as base64, as the API does.
        base64::engine::general_purpose::STANDARD
            .decode(d)
            .map_err(|_| bad())?;
        let media = if cordon_common::msg::check_media_type(t).is_ok() {
            *t
        } else {
            "application/octet-stream"
        };
        out.push(serde_json::json!({ "name": n, "media_type": media, "data": d }));
    }
    Ok(out)
}

/// Build the send request; every error at once.
fn request(ctx: &Ctx<'_>, form: &Form) -> Result<SendRequest, Vec<FieldError>> {
    let kind = form.get("kind").unwrap_or_default().to_owned();
    let mut errors = vec![];
    let mut body = match forms::body(&ctx.tr, &kind, form) {
        Ok(b) => b,
        Err(e) => {
            errors.extend(e);
            Value::Null
        }
    };
    let reply_to = form.get("reply_to").map(str::to_owned);
    let to: Vec<String> = form.all("to").into_iter().map(str::to_owned).collect();
    if reply_to.is_none() && to.is_empty() {
        errors.push(FieldError {
            field: "to".into(),
            message: ctx.tr.t("rule-required"),
        });
    }
    if forms::has_attachments(&kind) {
        match attachments(ctx, form) {
            Ok(a) if !a.is_empty() => {
                if let Value::Object(m) = &mut body {
                    m.insert("attachments".into(), Value::Array(a));
                }
            }
            Ok(_) => {}
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if let Value::Object(m) = &mut body {
        m.insert("drafted_by".into(), Value::String(ctx.officer.name.clone()));
    }
    Ok(SendRequest {
        kind,
        to,
        priority: form.get("priority").map(str::to_owned),
        tlp: form.get("tlp").map(str::to_owned),
        reply_to,
        body,
        ..SendRequest::default()
    })
}

fn service_field_error(ctx: &Ctx<'_>, e: &ServiceError) -> FieldError {
    match e {
        ServiceError::Invalid { field, message } => FieldError {
            field: forms::form_field_of(field),
            message: ctx.tr.ta(
                "rule-other",
                &[("detail", FluentValue::from(message.clone()))],
            ),
        },
        other => FieldError {
            field: "form".into(),
            message: other.to_string(),
        },
    }
}

/// Send.
pub async fn submit(ctx: &Ctx<'_>, req: Request<Incoming>) -> Resp {
    let form = match h::read_form(req, max_form()).await {
        Ok(f) => f,
        Err(status) => return super::error_page(ctx, status, &ctx.tr.t("error-too-large")),
    };
    if !csrf_ok(ctx, &form) {
        return super::csrf_refused(ctx);
    }
    let sreq = match request(ctx, &form) {
        Ok(r) => r,
        Err(errors) => return self::form(ctx, &without_files(&form), errors).await,
    };
    match ctx.console.service.send(sreq).await {
        Ok(accepted) => {
            tracing::info!(officer = %ctx.officer.name, id = %accepted.id, kind = %accepted.kind, "message sent from the console");
            h::redirect(&format!("/m/{}", accepted.id))
        }
        Err(e) => {
            let errors = vec![service_field_error(ctx, &e)];
            self::form(ctx, &without_files(&form), errors).await
        }
    }
}

/// The form without attachment data, to show it again.
fn without_files(form: &Form) -> Form {
    let text: Vec<String> = form
        .to_pairs()
        .into_iter()
        .filter(|(k, _)| !k.starts_with("att_"))
        .map(|(k, v)| format!("{}={}", h::percent_encode(&k), h::percent_encode(&v)))
        .collect();
    Form::parse(&text.join("&"), 4096).unwrap_or_default()
}

/// Check as typed: the errors of every field, as JSON.
pub async fn check(ctx: &Ctx<'_>, req: Request<Incoming>) -> Resp {
    let form = match h::read_form(req, 256 * 1024).await {
        Ok(f) => f,
        Err(status) => return h::text(status, "bad form"),
    };
    if !csrf_ok(ctx, &form) {
        return super::csrf_refused(ctx);
    }
    let kind = form.get("kind").unwrap_or_default();
    let errors = forms::body(&ctx.tr, kind, &form).err().unwrap_or_default();
    h::json(StatusCode::OK, &errors)
}
