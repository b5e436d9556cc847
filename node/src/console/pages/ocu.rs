//! The OCU's page: a notice composer with flash priority, and the grid of every
//! participant × every notice or tasking this node sent, with delivered / read /
//! acknowledged and reply deadlines. Updated live when receipts arrive.

use std::collections::BTreeSet;

use cordon_common::ids::NodeId;
use cordon_common::msg::MessageKind;
use hyper::StatusCode;
use maud::html;
use serde_json::Value;

use crate::console::http::{self as h, Resp};
use crate::console::layout::{self, csrf};
use crate::console::server::Ctx;
use crate::console::view;
use crate::service::Shown;

/// The OCU page.
pub async fn page(ctx: &Ctx<'_>) -> Resp {
    let tr = &ctx.tr;
    let rows = match super::sent::with_receipts(ctx).await {
        Ok(r) => r,
        Err(e) => return super::service_error(ctx, &e),
    };
    let mut columns = vec![];
    for (item, r) in rows {
        if !matches!(item.kind, MessageKind::Notice | MessageKind::Tasking) {
            continue;
        }
        let Some(r) = r else { continue };
        let (title, due) = match ctx.console.service.show(item.id).await {
            Ok(Shown::Sent(s)) => (
                s.body
                    .get("title")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                s.body
                    .get("due_by")
                    .and_then(Value::as_str)
                    .map(|d| d.chars().take(16).collect::<String>()),
            ),
            _ => (String::new(), None),
        };
        columns.push((item, r, title, due));
    }
    let mut participants: BTreeSet<NodeId> = BTreeSet::new();
    for (_, r, _, _) in &columns {
        participants.extend(r.recipients.iter().map(|p| p.node.clone()));
        participants.extend(r.not_sealed_to.iter().map(|(n, _)| n.clone()));
    }
    let notice_channels: Vec<String> = ctx
        .console
        .service
        .channels()
        .channels
        .iter()
        .filter(|g| g.publish.contains(&MessageKind::Notice))
        .map(|g| g.channel.to_string())
        .collect();
    let body = html! {
        section.composer {
            h2 { (tr.t("ocu-notice")) }
            form #ocu-notice method="post" action="/compose" {
                (csrf(ctx))
                input type="hidden" name="kind" value="notice";
                input type="hidden" name="tlp" value="AMBER";
                label for="n-to" { (tr.t("compose-to")) }
                select #n-to name="to" { @for c in &notice_channels { option value=(c) { (c) } } }
                label for="n-priority" { (tr.t("col-priority")) }
                select #n-priority name="priority" {
                    @for p in ["flash", "urgent", "routine"] { option value=(p) { (tr.code("priority", p)) } }
                }
                label for="n-title" { (tr.t("field-title")) }
                input #n-title name="title" required;
                label for="n-text" { (tr.t("field-text")) }
                textarea #n-text name="text" rows="3" required {}
                button type="submit" #ocu-send { (tr.t("compose-send")) }
            }
            p { a href="/compose?kind=tasking" { (tr.t("ocu-tasking")) } }
        }
        h2 { (tr.t("ocu-grid")) }
        @if columns.is_empty() { p.empty { (tr.t("ocu-empty")) } }
        @else {
            div.scroll { table.grid #grid {
                thead {
                    tr {
                        th { (tr.t("col-participant")) }
                        @for (item, _, title, due) in &columns {
                            th data-id=(item.id) {
                                a href={ "/m/" (item.id) } { (title) }
                                br; small { (tr.code("kind", item.kind.as_str())) " · " (view::time(item.created_at)) }
                                @if let Some(d) = due { br; small.due { (tr.t("ocu-due")) " " (d) } }
                            }
                        }
                    }
                }
                tbody {
                    @for p in &participants {
                        tr data-node=(p) {
                            th { (p) }
                            @for (_, r, _, _) in &columns {
                                @let progress = r.recipients.iter().find(|x| &x.node == p);
                                @let state = match progress {
                                    Some(x) if x.acknowledged_at.is_some() => "acknowledged",
                                    Some(x) if x.read_at.is_some() => "read",
                                    Some(x) if x.delivered_at.is_some() => "delivered",
                                    Some(_) => "pending",
                                    None if r.not_sealed_to.iter().any(|(n, _)| n == p) => "not-sealed",
                                    None => "none",
                                };
                                td class={ "cell " (state) } data-state=(state) { (tr.code("grid", state)) }
                            }
                        }
                    }
                }
            } }
        }
    };
    h::html(
        StatusCode::OK,
        layout::page(
            ctx,
            "ocu",
            &tr.t("nav-ocu"),
            html! { div data-live-receipts=(ctx.console.service.receipts_version()) { (body) } },
        ),
    )
}
