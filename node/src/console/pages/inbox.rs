//! The inbox: filters, search, flash first, newest first, paging; new messages appear
//! live (the page's script listens to `/events`).

use fluent_bundle::FluentValue;
use hyper::body::Incoming;
use hyper::{Request, StatusCode};
use maud::{html, Markup};

use crate::console::forms::KINDS;
use crate::console::http::{self as h, Form, Resp};
use crate::console::layout;
use crate::console::server::Ctx;
use crate::console::view;
use crate::service::InboxItem;

/// Messages per page.
pub const PAGE: usize = 50;

/// What the inbox form asks for.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Operation.
    pub operation: Option<String>,
    /// Channel.
    pub channel: Option<String>,
    /// Kind.
    pub kind: Option<String>,
    /// Priority.
    pub priority: Option<String>,
    /// Only unread.
    pub unread: bool,
    /// Only not acknowledged.
    pub unacked: bool,
    /// Free text, a container, a vessel or a sender.
    pub text: Option<String>,
    /// From this date.
    pub from: Option<String>,
    /// Up to this date.
    pub to: Option<String>,
    /// Older than this sequence (paging).
    pub before: Option<u64>,
}

impl Query {
    /// From the page's query string.
    pub fn from_form(f: &Form) -> Self {
        let s = |k: &str| f.get(k).map(str::to_owned);
        Self {
            operation: s("operation"),
            channel: s("channel"),
            kind: s("kind"),
            priority: s("priority"),
            unread: f.get("unread").is_some(),
            unacked: f.get("unacked").is_some(),
            text: s("q"),
            from: s("from"),
            to: s("to"),
            before: f.get("before").and_then(|b| b.parse().ok()),
        }
    }

    fn link_before(&self, before: u64) -> String {
        let mut parts = vec![];
        let mut add = |k: &str, v: &Option<String>| {
            if let Some(v) = v {
                parts.push(format!("{k}={}", h::percent_encode(v)));
            }
        };
        add("operation", &self.operation);
        add("channel", &self.channel);
        add("kind", &self.kind);
        add("priority", &self.priority);
        add("q", &self.text);
        add("from", &self.from);
        add("to", &self.to);
        if self.unread {
            parts.push("unread=1".into());
        }
        if self.unacked {
            parts.push("unacked=1".into());
        }
        parts.push(format!("before={before}"));
        format!("/?{}", parts.join("&"))
    }
}

/// A page of results.
#[derive(Debug, Default)]
pub struct Found {
    /// Flash messages not yet acknowledged (shown first, highlighted).
    pub flash: Vec<InboxItem>,
    /// The page, newest first.
    pub items: Vec<InboxItem>,
    /// Where the next (older) page starts, if there is one.
    pub next_before: Option<u64>,
    /// Messages matching in all.
    pub total: Option<u64>,
}

/// Run the query.
pub async fn find(ctx: &Ctx<'_>, q: &Query) -> Result<Found, crate::service::ServiceError> {
    crate::console::query::inbox(&ctx.console.service, q, PAGE).await
}

/// One row of the inbox table (also the shape the live update builds in the script).
pub fn row(ctx: &Ctx<'_>, m: &InboxItem) -> Markup {
    let tr = &ctx.tr;
    let classes = format!(
        "{}{}{}",
        if m.read { "" } else { "unread " },
        if m.acknowledged { "acked " } else { "" },
        m.priority.as_str()
    );
    html! {
        tr class=(classes) data-id=(m.id) data-seq=(m.seq) {
            td { (view::priority(tr, m.priority.as_str())) }
            td { (tr.code("kind", m.kind.as_str())) }
            td.title { a href={ "/m/" (m.id) } { (m.title) } }
            td { (m.sender) }
            td { (m.operation) }
            td { (view::time(m.received_at)) }
            td { @if m.acknowledged { "✔" } }
        }
    }
}

fn table(ctx: &Ctx<'_>, id: &str, items: &[InboxItem]) -> Markup {
    let tr = &ctx.tr;
    html! {
        table.list #(id) {
            thead { tr {
                th { (tr.t("col-priority")) } th { (tr.t("col-kind")) } th { (tr.t("col-title")) }
                th { (tr.t("col-sender")) } th { (tr.t("col-operation")) } th { (tr.t("col-received")) }
                th { (tr.t("col-acknowledged")) }
            } }
            tbody { @for m in items { (row(ctx, m)) } }
        }
    }
}

/// The inbox page.
pub async fn page(ctx: &Ctx<'_>, req: &Request<Incoming>) -> Resp {
    let tr = &ctx.tr;
    let form = h::query(req);
    let q = Query::from_form(&form);
    let found = match find(ctx, &q).await {
        Ok(f) => f,
        Err(e) => return super::service_error(ctx, &e),
    };
    let channels = ctx.console.service.channels();
    let mut operations: Vec<String> = channels
        .channels
        .iter()
        .filter_map(|g| g.channel.operation_name().map(|o| o.to_string()))
        .collect();
    operations.sort();
    operations.dedup();
    let sel = |v: &Option<String>, x: &str| v.as_deref() == Some(x);
    let body = html! {
        form.filters #filters method="get" action="/" {
            input type="search" name="q" value=[q.text.as_deref()] placeholder=(tr.t("inbox-search")) aria-label=(tr.t("inbox-search"));
            select name="operation" aria-label=(tr.t("col-operation")) {
                option value="" { (tr.t("inbox-all-operations")) }
                @for o in &operations { option value=(o) selected[sel(&q.operation, o)] { (o) } }
            }
            select name="kind" aria-label=(tr.t("col-kind")) {
                option value="" { (tr.t("inbox-all-kinds")) }
                @for k in KINDS { option value=(k) selected[sel(&q.kind, k)] { (tr.code("kind", k)) } }
            }
            select name="priority" aria-label=(tr.t("col-priority")) {
                option value="" { (tr.t("inbox-all-priorities")) }
                @for p in ["flash", "urgent", "routine"] { option value=(p) selected[sel(&q.priority, p)] { (tr.code("priority", p)) } }
            }
            label { input type="checkbox" name="unread" value="1" checked[q.unread]; " " (tr.t("inbox-unread")) }
            label { input type="checkbox" name="unacked" value="1" checked[q.unacked]; " " (tr.t("inbox-unacked")) }
            label { (tr.t("inbox-from")) " " input type="date" name="from" value=[q.from.as_deref()]; }
            label { (tr.t("inbox-to")) " " input type="date" name="to" value=[q.to.as_deref()]; }
            button type="submit" { (tr.t("inbox-filter")) }
            a href="/" { (tr.t("inbox-clear")) }
        }
        @if !found.flash.is_empty() {
            section.flash #flash {
                h2 { (tr.t("inbox-flash")) }
                (table(ctx, "flash-table", &found.flash))
            }
        }
        p #new-messages hidden { (tr.t("inbox-new")) }
        @if found.items.is_empty() {
            p.empty #empty { (tr.t("inbox-empty")) }
        }
        (table(ctx, "inbox", &found.items))
        @if let Some(total) = found.total {
            p.count { (tr.ta("inbox-count", &[("shown", FluentValue::from(found.items.len())), ("total", FluentValue::from(total))])) }
        }
        @if let Some(b) = found.next_before {
            p { a #older href=(q.link_before(b)) { (tr.t("inbox-older")) } }
        }
    };
    let live = if q.before.is_none() { "1" } else { "0" };
    let page = layout::page(
        ctx,
        "inbox",
        &tr.t("nav-inbox"),
        html! {
            div #inbox-page data-live=(live) { (body) }
        },
    );
    h::html(StatusCode::OK, page)
}
