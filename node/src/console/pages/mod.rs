//! The console's pages, one module each, and the routing between them.

pub mod compose;
pub mod inbox;
pub mod login;
pub mod message;
pub mod ocu;
pub mod officers;
pub mod overview;
pub mod sent;
pub mod status;

use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};
use maud::html;
use tokio::sync::watch;

use super::http::{self as h, Resp};
use super::layout;
use super::server::{csrf_ok, Ctx};
use crate::officers::OfficerRole;
use crate::service::ServiceError;

/// Answer an authenticated request.
pub async fn route(
    ctx: &Ctx<'_>,
    req: Request<Incoming>,
    method: &Method,
    path: &str,
    stop: watch::Receiver<bool>,
) -> Resp {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let get = *method == Method::GET;
    let post = *method == Method::POST;
    let sender = ctx.may(OfficerRole::Sender);
    let admin = ctx.may(OfficerRole::Admin);
    match parts.as_slice() {
        [""] if get => inbox::page(ctx, &req).await,
        ["events"] if get => super::events::stream(ctx, stop),
        ["m", id] if get => message::page(ctx, id).await,
        ["m", id, "ack"] if post => match csrf_form(ctx, req).await {
            Ok(_) => message::ack(ctx, id).await,
            Err(r) => r,
        },
        ["m", id, "attachment", n] if get => message::attachment(ctx, id, n).await,
        ["compose"] if get && sender => compose::form(ctx, &h::query(&req), vec![]).await,
        ["compose"] if post && sender => compose::submit(ctx, req).await,
        ["compose", "check"] if post && sender => compose::check(ctx, req).await,
        ["sent"] if get && sender => sent::page(ctx).await,
        ["ocu"] if get && sender => ocu::page(ctx).await,
        ["overview"] if get => overview::page(ctx, &h::query(&req)).await,
        ["overview.csv"] if get => overview::csv(ctx, &h::query(&req)).await,
        ["status"] if get && admin => status::page(ctx).await,
        ["officers"] if get && admin => officers::page(ctx),
        ["officers", "disable"] if post && admin => match csrf_form(ctx, req).await {
            Ok(form) => officers::disable(ctx, form).await,
            Err(r) => r,
        },
        ["settings"] if post => match csrf_form(ctx, req).await {
            Ok(form) => settings(ctx, form).await,
            Err(r) => r,
        },
        ["logout"] if post => match csrf_form(ctx, req).await {
            Ok(_) => logout(ctx),
            Err(r) => r,
        },
        ["compose" | "sent" | "ocu" | "status" | "officers", ..] => forbidden(ctx),
        _ => not_found(ctx),
    }
}

/// Read a small form and check its CSRF token.
async fn csrf_form(ctx: &Ctx<'_>, req: Request<Incoming>) -> Result<h::Form, Resp> {
    let form = h::read_form(req, 64 * 1024)
        .await
        .map_err(|status| h::text(status, "bad form"))?;
    if csrf_ok(ctx, &form) {
        Ok(form)
    } else {
        Err(csrf_refused(ctx))
    }
}

/// The answer to a form without the right CSRF token.
pub fn csrf_refused(ctx: &Ctx<'_>) -> Resp {
    tracing::warn!(officer = %ctx.officer.name, "form without a valid CSRF token refused");
    error_page(ctx, StatusCode::FORBIDDEN, &ctx.tr.t("error-csrf"))
}

/// A page saying what went wrong.
pub fn error_page(ctx: &Ctx<'_>, status: StatusCode, message: &str) -> Resp {
    let title = ctx.tr.t("error-title");
    h::html(
        status,
        layout::page(
            ctx,
            "",
            &title,
            html! { p.error #error { (message) } p { a href="/" { (ctx.tr.t("nav-inbox")) } } },
        ),
    )
}

fn forbidden(ctx: &Ctx<'_>) -> Resp {
    error_page(ctx, StatusCode::FORBIDDEN, &ctx.tr.t("error-forbidden"))
}

fn not_found(ctx: &Ctx<'_>) -> Resp {
    error_page(ctx, StatusCode::NOT_FOUND, &ctx.tr.t("error-not-found"))
}

/// A service error as a page.
pub fn service_error(ctx: &Ctx<'_>, e: &ServiceError) -> Resp {
    let (status, message) = match e {
        ServiceError::NotFound(_) => (StatusCode::NOT_FOUND, ctx.tr.t("error-not-found")),
        ServiceError::Invalid { .. } | ServiceError::Conflict(_) => {
            (StatusCode::BAD_REQUEST, e.to_string())
        }
        _ => {
            tracing::error!(error = %e, "console request failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                ctx.tr.t("error-internal"),
            )
        }
    };
    error_page(ctx, status, &message)
}

async fn settings(ctx: &Ctx<'_>, form: h::Form) -> Resp {
    let lang = form
        .get("lang")
        .and_then(super::i18n::Lang::from_code)
        .map(|l| l.code().to_owned());
    let name = ctx.officer.name.clone();
    let book = ctx.console.officers.clone();
    let lang2 = lang.clone();
    let r = tokio::task::spawn_blocking(move || book.set_language(&name, lang2)).await;
    match r {
        Ok(Ok(())) => {
            tracing::info!(officer = %ctx.officer.name, language = ?lang, "language set");
            h::redirect("/")
        }
        _ => error_page(
            ctx,
            StatusCode::INTERNAL_SERVER_ERROR,
            &ctx.tr.t("error-internal"),
        ),
    }
}

fn logout(ctx: &Ctx<'_>) -> Resp {
    ctx.console.sessions.remove(&ctx.token);
    tracing::info!(officer = %ctx.officer.name, "logged out");
    let mut r = h::redirect("/login");
    h::set_cookie(&mut r, &login::cookie(ctx.console, "", 0));
    r
}
