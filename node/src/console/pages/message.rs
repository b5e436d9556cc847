//! One message: laid out by kind, its attachments, receipts for a sent one, the
//! timeline of a tracking request, and the actions (acknowledge, reply, feedback,
//! seizure report, tracking update).

// The error answer is built at most once per request; boxing it would only add an
// allocation.
#![allow(clippy::result_large_err)]

use cordon_common::msg::MessageKind;
use hyper::header::{HeaderValue, CONTENT_DISPOSITION};
use hyper::StatusCode;
use maud::{html, Markup};
use serde_json::Value;

use crate::console::http::{self as h, Resp};
use crate::console::layout::{self, csrf};
use crate::console::server::Ctx;
use crate::console::view;
use crate::inbox::InboxFilter;
use crate::officers::OfficerRole;
use crate::receipts::ReceiptReport;
use crate::service::{InboxItem, Shown};

fn parse(ctx: &Ctx<'_>, id: &str) -> Result<cordon_common::ids::MessageId, Resp> {
    id.parse()
        .map_err(|_| super::error_page(ctx, StatusCode::NOT_FOUND, &ctx.tr.t("error-not-found")))
}

/// The tracking updates answering `request`, oldest first.
async fn timeline(ctx: &Ctx<'_>, request: &cordon_common::ids::MessageId) -> Vec<InboxItem> {
    let filter = InboxFilter {
        kind: Some(MessageKind::TrackingUpdate),
        ..InboxFilter::default()
    };
    match crate::console::query::all(&ctx.console.service, filter, 10_000).await {
        Ok(items) => items
            .into_iter()
            .filter(|m| m.in_reply_to.as_ref() == Some(request))
            .collect(),
        Err(_) => vec![],
    }
}

fn attachments(ctx: &Ctx<'_>, id: &str, body: &Value) -> Markup {
    let list = view::attachments(body);
    html! {
        @if !list.is_empty() {
            h2 { (ctx.tr.t("msg-attachments")) }
            ul #attachments {
                @for (i, (name, media, size)) in list.iter().enumerate() {
                    li { a href={ "/m/" (id) "/attachment/" (i) } download=(name) { (name) } " · " (media) " · " (view::size(*size)) }
                }
            }
        }
    }
}

/// Receipts of a sent message: per recipient, and who has not.
pub fn receipts(ctx: &Ctx<'_>, r: &ReceiptReport) -> Markup {
    let tr = &ctx.tr;
    let mark = |t: &Option<cordon_common::msg::Timestamp>| t.map(view::time).unwrap_or_default();
    html! {
        table.list #receipts {
            thead { tr {
                th { (tr.t("col-recipient")) } th { (tr.t("col-delivered")) } th { (tr.t("col-read")) } th { (tr.t("col-acknowledged")) }
            } }
            tbody {
                @for p in &r.recipients {
                    tr data-node=(p.node) {
                        td { (p.node) }
                        td.delivered { (mark(&p.delivered_at)) }
                        td.read { (mark(&p.read_at)) }
                        td.acked { (mark(&p.acknowledged_at)) }
                    }
                }
            }
        }
        @if !r.not_sealed_to.is_empty() {
            h3 { (tr.t("msg-not-sealed")) }
            ul #not-sealed { @for (n, why) in &r.not_sealed_to { li { (n) ": " (why) } } }
        }
    }
}

/// A message.
pub async fn page(ctx: &Ctx<'_>, id: &str) -> Resp {
    let tr = &ctx.tr;
    let mid = match parse(ctx, id) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let shown = match ctx.console.service.show(mid).await {
        Ok(s) => s,
        Err(e) => return super::service_error(ctx, &e),
    };
    tracing::info!(officer = %ctx.officer.name, id = %mid, "message opened");
    let sender_role = ctx.may(OfficerRole::Sender);
    let (title, content) = match &shown {
        Shown::Received(m) => {
            let kind = m.item.kind.as_str();
            let updates = if m.item.kind == MessageKind::TrackingRequest {
                timeline(ctx, &mid).await
            } else {
                vec![]
            };
            let reply = |k: &str| format!("/compose?kind={k}&reply_to={mid}");
            let content = html! {
                p.meta {
                    (view::priority(tr, m.item.priority.as_str())) " " (view::tlp(tr, m.item.tlp.as_str())) " "
                    span.kind { (tr.code("kind", kind)) } " · "
                    span #from { (view::sender(m.signer.node_id.as_str(), &m.body)) }
                    " (" (m.signer.organisation) ") · " (m.item.operation) " · " (view::time(m.item.created_at))
                }
                @if let Some(r) = &m.item.in_reply_to { p { (tr.t("msg-in-reply-to")) " " a href={ "/m/" (r) } { (r) } } }
                (view::body(tr, &m.body))
                (attachments(ctx, id, &m.body))
                @if !updates.is_empty() {
                    h2 { (tr.t("msg-timeline")) }
                    ol.timeline #timeline { @for u in &updates {
                        li { (view::time(u.created_at)) " · " a href={ "/m/" (u.id) } { (u.title) } " · " (u.sender) }
                    } }
                }
                div.actions {
                    @if let Some(at) = m.acknowledged_at {
                        p #acknowledged { (tr.t("msg-acknowledged")) " " (view::time(at)) }
                    } @else {
                        form method="post" action={ "/m/" (mid) "/ack" } {
                            (csrf(ctx))
                            button type="submit" #ack { (tr.t("msg-ack")) }
                        }
                    }
                    @if sender_role {
                        a.button #reply href=(reply("notice")) { (tr.t("msg-reply")) }
                        @if m.item.kind == MessageKind::Alert {
                            a.button #feedback href=(reply("feedback")) { (tr.t("msg-feedback")) }
                            a.button #seizure href=(reply("seizure")) { (tr.t("msg-seizure")) }
                        }
                        @if m.item.kind == MessageKind::TrackingRequest {
                            a.button #tracking-update href=(reply("tracking-update")) { (tr.t("msg-tracking-update")) }
                        }
                    }
                }
            };
            (m.item.title.clone(), content)
        }
        Shown::Sent(m) => {
            let content = html! {
                p.meta {
                    (view::priority(tr, m.priority.as_str())) " " (view::tlp(tr, m.tlp.as_str())) " "
                    span.kind { (tr.code("kind", m.kind.as_str())) } " · " (m.operation) " · "
                    (view::time(m.created_at)) " · " span #state { (tr.code("state", &m.state)) }
                }
                p { (tr.t("msg-to")) " " @for c in &m.to { code { (c) } " " } }
                (view::body(tr, &m.body))
                (attachments(ctx, id, &m.body))
                h2 { (tr.t("msg-receipts")) }
                (receipts(ctx, &m.receipts))
            };
            let title = m
                .body
                .get("title")
                .and_then(Value::as_str)
                .map_or_else(|| tr.code("kind", m.kind.as_str()), str::to_owned);
            (title, content)
        }
    };
    h::html(
        StatusCode::OK,
        layout::page(
            ctx,
            "inbox",
            &title,
            html! { article #message { (content) } },
        ),
    )
}

/// Acknowledge.
pub async fn ack(ctx: &Ctx<'_>, id: &str) -> Resp {
    let mid = match parse(ctx, id) {
        Ok(m) => m,
        Err(r) => return r,
    };
    match ctx.console.service.ack(mid).await {
        Ok(a) => {
            tracing::info!(officer = %ctx.officer.name, id = %mid, already = a.already, "message acknowledged");
            h::redirect(&format!("/m/{mid}"))
        }
        Err(e) => super::service_error(ctx, &e),
    }
}

/// Download an attachment (always as a download, never shown inline).
pub async fn attachment(ctx: &Ctx<'_>, id: &str, n: &str) -> Resp {
    let mid = match parse(ctx, id) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let Ok(n) = n.parse::<usize>() else {
        return super::error_page(ctx, StatusCode::NOT_FOUND, &ctx.tr.t("error-not-found"));
    };
    let body = match ctx.console.service.show(mid).await {
        Ok(Shown::Received(m)) => m.body,
        Ok(Shown::Sent(m)) => m.body,
        Err(e) => return super::service_error(ctx, &e),
    };
    let Some((name, data)) = view::attachment_data(&body, n) else {
        return super::error_page(ctx, StatusCode::NOT_FOUND, &ctx.tr.t("error-not-found"));
    };
    tracing::info!(officer = %ctx.officer.name, id = %mid, attachment = %name, "attachment downloaded");
    let mut r = h::respond(StatusCode::OK, "application/octet-stream", h::full(data));
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\"")) {
        r.headers_mut().insert(CONTENT_DISPOSITION, v);
    }
    r
}
