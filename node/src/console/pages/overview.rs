//! Operation overview: messages per kind and country over time, seizures by HS chapter
//! and country, as SVG charts made on the server, and CSV exports of the same figures.
//!
//! A sender's country is the first part of its node id (`BE-NCP` → `BE`); a seizure's country is the one of
//! its place (the UN/LOCODE's first two letters); its HS chapter the first two digits
//! of each seized commodity's code ("—" where none was given).

use std::collections::BTreeMap;

use cordon_common::msg::MessageKind;
use hyper::header::{HeaderValue, CONTENT_DISPOSITION};
use hyper::StatusCode;
use maud::html;
use serde_json::Value;

use crate::console::charts;
use crate::console::http::{self as h, Form, Resp};
use crate::console::layout;
use crate::console::server::Ctx;
use crate::inbox::InboxFilter;

/// Messages looked at at most.
const LIMIT: usize = 100_000;

struct Figures {
    /// (day, kind, country) → count.
    messages: BTreeMap<(String, String, String), u64>,
    /// (HS chapter, country) → seizures.
    seizures: BTreeMap<(String, String), u64>,
}

async fn figures(
    ctx: &Ctx<'_>,
    operation: Option<&str>,
) -> Result<Figures, crate::service::ServiceError> {
    let service = &ctx.console.service;
    let items = crate::console::query::all(service, InboxFilter::default(), LIMIT).await?;
    let mut messages = BTreeMap::new();
    for m in items
        .iter()
        .filter(|m| operation.is_none_or(|o| m.operation.as_str() == o))
    {
        let day = m
            .created_at
            .to_rfc3339()
            .map(|s| s[..10].to_owned())
            .unwrap_or_default();
        let country = m
            .sender
            .as_str()
            .split('-')
            .next()
            .unwrap_or_default()
            .to_owned();
        *messages
            .entry((day, m.kind.as_str().to_owned(), country))
            .or_insert(0) += 1;
    }
    let mut seizures = BTreeMap::new();
    for s in service
        .received_of_kind(MessageKind::Seizure, LIMIT)
        .await?
    {
        if operation.is_some_and(|o| s.item.operation.as_str() != o) {
            continue;
        }
        let country = s
            .body
            .get("place")
            .and_then(Value::as_str)
            .map(|p| p.chars().take(2).collect::<String>())
            .unwrap_or_default();
        for g in s
            .body
            .get("goods")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let chapter = g
                .pointer("/commodity/hs_code")
                .and_then(Value::as_str)
                .map_or_else(|| "—".to_owned(), |c| c.chars().take(2).collect());
            *seizures.entry((chapter, country.clone())).or_insert(0) += 1;
        }
    }
    Ok(Figures { messages, seizures })
}

/// The overview page.
pub async fn page(ctx: &Ctx<'_>, q: &Form) -> Resp {
    let tr = &ctx.tr;
    let operation = q.get("operation");
    let f = match figures(ctx, operation).await {
        Ok(f) => f,
        Err(e) => return super::service_error(ctx, &e),
    };
    let mut days: Vec<String> = f.messages.keys().map(|(d, _, _)| d.clone()).collect();
    days.dedup();
    let mut by_kind: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    let mut by_country: BTreeMap<String, u64> = BTreeMap::new();
    for ((day, kind, country), n) in &f.messages {
        let i = days.iter().position(|d| d == day).unwrap_or(0);
        let v = by_kind
            .entry(tr.code("kind", kind))
            .or_insert_with(|| vec![0; days.len()]);
        if let Some(slot) = v.get_mut(i) {
            *slot += n;
        }
        *by_country.entry(country.clone()).or_insert(0) += n;
    }
    let series: Vec<(String, Vec<u64>)> = by_kind.into_iter().collect();
    let countries: Vec<(String, u64)> = by_country.into_iter().collect();
    let mut chapters: BTreeMap<String, u64> = BTreeMap::new();
    let mut seizure_countries: BTreeMap<String, u64> = BTreeMap::new();
    for ((chapter, country), n) in &f.seizures {
        *chapters.entry(chapter.clone()).or_insert(0) += n;
        *seizure_countries.entry(country.clone()).or_insert(0) += n;
    }
    let chapters: Vec<(String, u64)> = chapters.into_iter().collect();
    let seizure_countries: Vec<(String, u64)> = seizure_countries.into_iter().collect();
    let body = html! {
        p { a #csv-messages href="/overview.csv" { (tr.t("overview-csv-messages")) } " · " a #csv-seizures href="/overview.csv?what=seizures" { (tr.t("overview-csv-seizures")) } }
        h2 { (tr.t("overview-per-kind")) }
        @if days.is_empty() { p.empty { (tr.t("inbox-empty")) } } @else { (charts::stacked(&tr.t("overview-per-kind"), &days, &series)) }
        h2 { (tr.t("overview-per-country")) }
        (charts::bars(&tr.t("overview-per-country"), &countries))
        h2 { (tr.t("overview-seizures-hs")) }
        (charts::bars(&tr.t("overview-seizures-hs"), &chapters))
        h2 { (tr.t("overview-seizures-country")) }
        (charts::bars(&tr.t("overview-seizures-country"), &seizure_countries))
    };
    h::html(
        StatusCode::OK,
        layout::page(ctx, "overview", &tr.t("nav-overview"), body),
    )
}

fn csv_field(s: &str) -> String {
    // A leading = + - @ would be a formula to a spreadsheet: quote it with a '.
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The figures as CSV (`?what=seizures` for the seizures).
pub async fn csv(ctx: &Ctx<'_>, q: &Form) -> Resp {
    let f = match figures(ctx, q.get("operation")).await {
        Ok(f) => f,
        Err(e) => return super::service_error(ctx, &e),
    };
    let (name, text) = if q.get("what") == Some("seizures") {
        let mut t = String::from("hs_chapter,country,seized_goods\n");
        for ((c, country), n) in &f.seizures {
            t.push_str(&format!("{},{},{n}\n", csv_field(c), csv_field(country)));
        }
        ("seizures.csv", t)
    } else {
        let mut t = String::from("day,kind,country,messages\n");
        for ((d, k, c), n) in &f.messages {
            t.push_str(&format!(
                "{},{},{},{n}\n",
                csv_field(d),
                csv_field(k),
                csv_field(c)
            ));
        }
        ("messages.csv", t)
    };
    tracing::info!(officer = %ctx.officer.name, file = name, "overview exported");
    let mut r = h::respond(StatusCode::OK, "text/csv; charset=utf-8", h::full(text));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        r.headers_mut().insert(CONTENT_DISPOSITION, v);
    }
    r
}
