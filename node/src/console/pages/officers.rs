//! Officers (admins): who may use this console, their roles; disable one. Officers are
//! added and given passwords with `cordon-node officer`, where the password is typed
//! without echo and never crosses a browser.

use hyper::StatusCode;
use maud::html;

use crate::console::http::{self as h, Form, Resp};
use crate::console::layout::{self, csrf};
use crate::console::server::Ctx;

/// The officers page.
pub fn page(ctx: &Ctx<'_>) -> Resp {
    let tr = &ctx.tr;
    let officers = match ctx.console.officers.load() {
        Ok(o) => o,
        Err(e) => {
            tracing::error!(error = %e, "officers file unusable");
            return super::error_page(
                ctx,
                StatusCode::INTERNAL_SERVER_ERROR,
                &tr.t("error-internal"),
            );
        }
    };
    let body = html! {
        p.hint { (tr.t("officers-hint")) } " " code { "cordon-node officer add NAME --role sender" }
        table.list #officers {
            thead { tr { th { (tr.t("login-name")) } th { (tr.t("officers-role")) } th { (tr.t("officers-state")) } th {} } }
            tbody { @for o in &officers {
                tr {
                    td { (o.name) }
                    td { (tr.code("role", o.role.as_str())) }
                    td { (tr.t(if o.disabled { "officers-disabled" } else { "officers-active" })) }
                    td { @if !o.disabled && o.name != ctx.officer.name {
                        form method="post" action="/officers/disable" {
                            (csrf(ctx))
                            input type="hidden" name="name" value=(o.name);
                            button type="submit" { (tr.t("officers-disable")) }
                        }
                    } }
                }
            } }
        }
    };
    h::html(
        StatusCode::OK,
        layout::page(ctx, "officers", &tr.t("nav-officers"), body),
    )
}

/// Disable an officer; their sessions end now.
pub async fn disable(ctx: &Ctx<'_>, form: Form) -> Resp {
    let Some(name) = form.get("name").map(str::to_owned) else {
        return h::redirect("/officers");
    };
    let book = ctx.console.officers.clone();
    let n = name.clone();
    match tokio::task::spawn_blocking(move || book.set_disabled(&n, true)).await {
        Ok(Ok(())) => {
            ctx.console.sessions.remove_officer(&name);
            tracing::info!(officer = %ctx.officer.name, disabled = %name, "officer disabled");
            h::redirect("/officers")
        }
        _ => super::error_page(ctx, StatusCode::BAD_REQUEST, &ctx.tr.t("error-not-found")),
    }
}
