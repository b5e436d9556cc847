//! The frame around every page: language and direction, navigation, the officer's name,
//! the language picker and logout (both forms with the CSRF token).

use maud::{html, Markup, DOCTYPE};

use super::i18n::{Lang, Tr};
use super::server::Ctx;
use crate::officers::OfficerRole;

/// The hidden CSRF field every form carries.
pub fn csrf(ctx: &Ctx<'_>) -> Markup {
    html! { input type="hidden" name="csrf" value=(ctx.session.csrf); }
}

/// A bare page (login).
pub fn bare(tr: &Tr<'_>, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(tr.lang.code()) dir=(tr.lang.dir()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Cordon" }
                link rel="stylesheet" href="/static/app.css";
                script src="/static/app.js" defer {}
            }
            body { (body) }
        }
    }
}

/// A page of the console: `active` names the navigation entry to highlight.
pub fn page(ctx: &Ctx<'_>, active: &str, title: &str, body: Markup) -> Markup {
    let tr = &ctx.tr;
    let node = ctx.console.service.node_id().to_string();
    let mut nav: Vec<(&str, &str, String)> = vec![("inbox", "/", tr.t("nav-inbox"))];
    if ctx.may(OfficerRole::Sender) {
        nav.push(("compose", "/compose", tr.t("nav-compose")));
        nav.push(("sent", "/sent", tr.t("nav-sent")));
        nav.push(("ocu", "/ocu", tr.t("nav-ocu")));
    }
    nav.push(("overview", "/overview", tr.t("nav-overview")));
    if ctx.may(OfficerRole::Admin) {
        nav.push(("status", "/status", tr.t("nav-status")));
        nav.push(("officers", "/officers", tr.t("nav-officers")));
    }
    html! {
        (DOCTYPE)
        html lang=(tr.lang.code()) dir=(tr.lang.dir()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (node) " · Cordon" }
                link rel="stylesheet" href="/static/app.css";
                script src="/static/app.js" defer {}
            }
            body data-page=(active) {
                header.top {
                    span.brand { "Cordon" }
                    span.node { (node) }
                    nav {
                        @for (key, href, label) in &nav {
                            a href=(href) class=[(*key == active).then_some("active")] { (label) }
                        }
                    }
                    span.who {
                        span #officer { (node) " / " (ctx.officer.name) }
                        " "
                        span.role { (tr.code("role", ctx.officer.role.as_str())) }
                    }
                    form.inline method="post" action="/settings" {
                        (csrf(ctx))
                        select name="lang" aria-label=(tr.t("settings-language")) data-autosubmit {
                            option value="" { (tr.t("settings-language-browser")) }
                            @for l in Lang::ALL {
                                option value=(l.code())
                                    selected[ctx.officer.language.as_deref() == Some(l.code())]
                                    { (l.native_name()) }
                            }
                        }
                        noscript { button type="submit" { (tr.t("settings-save")) } }
                    }
                    form.inline method="post" action="/logout" {
                        (csrf(ctx))
                        button type="submit" #logout { (tr.t("nav-logout")) }
                    }
                }
                main {
                    h1 { (title) }
                    (body)
                }
                div #live-status role="status" aria-live="polite" {}
            }
        }
    }
}
