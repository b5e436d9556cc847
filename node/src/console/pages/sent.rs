//! Sent: every message this node sent, with how many recipients have it delivered, read
//! and acknowledged, and who has not. Updated live when receipts arrive.

use fluent_bundle::FluentValue;
use hyper::StatusCode;
use maud::html;

use crate::console::http::{self as h, Resp};
use crate::console::layout;
use crate::console::server::Ctx;
use crate::console::view;
use crate::receipts::ReceiptReport;
use crate::service::SentItem;

/// Sent messages listed at most.
const LIMIT: usize = 200;

/// The sent messages, newest first, each with its receipts.
pub async fn with_receipts(
    ctx: &Ctx<'_>,
) -> Result<Vec<(SentItem, Option<ReceiptReport>)>, crate::service::ServiceError> {
    let mut items = ctx.console.service.sent(LIMIT).await?;
    items.sort_by_key(|i| std::cmp::Reverse(i.created_at));
    let mut out = Vec::with_capacity(items.len());
    for i in items {
        let r = ctx.console.service.receipts(i.id).await.ok();
        out.push((i, r));
    }
    Ok(out)
}

/// The Sent page.
pub async fn page(ctx: &Ctx<'_>) -> Resp {
    let tr = &ctx.tr;
    let rows = match with_receipts(ctx).await {
        Ok(r) => r,
        Err(e) => return super::service_error(ctx, &e),
    };
    let body = html! {
        @if rows.is_empty() { p.empty { (tr.t("sent-empty")) } }
        table.list #sent {
            thead { tr {
                th { (tr.t("col-kind")) } th { (tr.t("msg-to")) } th { (tr.t("col-created")) } th { (tr.t("col-state")) }
                th { (tr.t("col-delivered")) } th { (tr.t("col-read")) } th { (tr.t("col-acknowledged")) } th { (tr.t("sent-waiting")) }
            } }
            tbody {
                @for (item, r) in &rows {
                    @let n = r.as_ref().map_or(0, |r| r.recipients.len());
                    @let count = |f: &dyn Fn(&crate::receipts::RecipientProgress) -> bool| r.as_ref().map_or(0, |r| r.recipients.iter().filter(|p| f(p)).count());
                    tr data-id=(item.id) {
                        td { a href={ "/m/" (item.id) } { (tr.code("kind", item.kind.as_str())) } }
                        td { @for c in &item.to { code { (c) } " " } }
                        td { (view::time(item.created_at)) }
                        td.state { (tr.code("state", &item.state)) }
                        td.delivered { (count(&|p| p.delivered_at.is_some())) "/" (n) }
                        td.read { (count(&|p| p.read_at.is_some())) "/" (n) }
                        td.acked { (count(&|p| p.acknowledged_at.is_some())) "/" (n) }
                        td.waiting {
                            @if let Some(r) = r {
                                @if !r.not_read.is_empty() {
                                    (tr.ta("sent-not-read", &[("count", FluentValue::from(r.not_read.len()))])) ": "
                                    @for (i, n) in r.not_read.iter().enumerate() { @if i > 0 { ", " } (n) }
                                }
                                @if !r.not_sealed_to.is_empty() {
                                    br; (tr.t("msg-not-sealed")) ": "
                                    @for (i, (n, _)) in r.not_sealed_to.iter().enumerate() { @if i > 0 { ", " } (n) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    h::html(
        StatusCode::OK,
        layout::page(
            ctx,
            "sent",
            &tr.t("nav-sent"),
            html! { div data-live-receipts=(ctx.console.service.receipts_version()) { (body) } },
        ),
    )
}
