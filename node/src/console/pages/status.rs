//! Status (admins): the link, the hub, the outbox depth, the last delivery.

use hyper::StatusCode;
use maud::html;

use crate::console::http::{self as h, Resp};
use crate::console::layout;
use crate::console::server::Ctx;
use crate::console::view;

/// The status page.
pub async fn page(ctx: &Ctx<'_>) -> Resp {
    let tr = &ctx.tr;
    let s = match ctx.console.service.status().await {
        Ok(s) => s,
        Err(e) => return super::service_error(ctx, &e),
    };
    let state = s.connection.as_str();
    let body = html! {
        dl.status #status {
            dt { (tr.t("status-node")) } dd { (s.node_id) " · " (s.organisation) " · " (s.role) }
            dt { (tr.t("status-link")) } dd #link class={ "link-" (state) } { (tr.code("link", state)) " · " (view::time(s.since)) }
            @if let Some(e) = &s.last_error { dt { (tr.t("status-last-error")) } dd { (e) } }
            @if let Some(r) = &s.certificate_refused { dt { (tr.t("status-certificate-refused")) } dd.error { (r) } }
            dt { (tr.t("status-hub")) } dd { (s.hub) }
            dt { (tr.t("status-outbox")) } dd #outbox { (s.outbox_depth) }
            dt { (tr.t("status-inbox")) } dd { (s.inbox_count) }
            dt { (tr.t("status-last-sync")) } dd { (s.last_sync.map(view::time).unwrap_or_else(|| "—".into())) }
            dt { (tr.t("status-subscribed")) } dd { @for c in &s.subscribed { code { (c) } " " } }
            dt { (tr.t("status-sessions")) } dd { (ctx.console.sessions.open()) }
        }
    };
    h::html(
        StatusCode::OK,
        layout::page(ctx, "status", &tr.t("nav-status"), body),
    )
}
