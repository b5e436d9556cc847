//! Login: name and password, back-off after failures, the session cookie.

use std::net::SocketAddr;

use fluent_bundle::FluentValue;
use hyper::body::Incoming;
use hyper::{Request, StatusCode};
use maud::html;

use crate::console::auth::SESSION_COOKIE;
use crate::console::http::{self as h, Resp};
use crate::console::i18n::{Lang, Tr};
use crate::console::layout;
use crate::console::server::{browser_lang, Console};

/// The session cookie: HttpOnly, SameSite=Strict, Secure under TLS.
pub fn cookie(console: &Console, value: &str, max_age_secs: u64) -> String {
    let secure = if console.tls { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}"
    )
}

fn render(console: &Console, lang: Lang, name: &str, error: Option<String>) -> Resp {
    let tr = Tr::new(&console.catalog, lang);
    let status = if error.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    let node = console.service.node_id().to_string();
    let body = html! {
        main.login {
            h1 { "Cordon · " (node) }
            @if let Some(e) = &error { p.error #login-error role="alert" { (e) } }
            form method="post" action="/login" {
                input type="hidden" name="lang" value=(lang.code());
                label for="name" { (tr.t("login-name")) }
                input #name name="name" value=(name) autocomplete="username" required autofocus;
                label for="password" { (tr.t("login-password")) }
                input #password type="password" name="password" autocomplete="current-password" required;
                button type="submit" #login { (tr.t("login-submit")) }
            }
            p.langs {
                @for l in Lang::ALL {
                    a href={ "/login?lang=" (l.code()) } lang=(l.code()) { (l.native_name()) } " "
                }
            }
        }
    };
    h::html(status, layout::bare(&tr, &tr.t("login-title"), body))
}

/// The login page.
pub fn form(console: &Console, req: &Request<Incoming>, error: Option<String>) -> Resp {
    render(console, browser_lang(req), "", error)
}

/// A login attempt.
pub async fn submit(console: &Console, req: Request<Incoming>, peer: SocketAddr) -> Resp {
    let lang_header = browser_lang(&req);
    let form = match h::read_form(req, 8 * 1024).await {
        Ok(f) => f,
        Err(status) => return h::text(status, "bad form"),
    };
    let lang = form
        .get("lang")
        .and_then(Lang::from_code)
        .unwrap_or(lang_header);
    let tr = Tr::new(&console.catalog, lang);
    let name = form.get("name").unwrap_or_default().to_owned();
    let password = form.get("password").unwrap_or_default().to_owned();
    if let Some(wait) = console.throttle.wait(&name, peer.ip()) {
        tracing::warn!(officer = %name, %peer, "login refused: backing off after failures");
        let secs = wait.as_secs().max(1);
        return render(
            console,
            lang,
            &name,
            Some(tr.ta("login-wait", &[("n", FluentValue::from(secs))])),
        );
    }
    let book = console.officers.clone();
    let (n, p) = (name.clone(), password);
    let checked = tokio::task::spawn_blocking(move || book.check_login(&n, &p)).await;
    let officer = match checked {
        Ok(Ok(Some(o))) => o,
        Ok(Ok(None)) => {
            console.throttle.failed(&name, peer.ip());
            tracing::warn!(officer = %name, %peer, "login failed");
            return render(console, lang, &name, Some(tr.t("login-failed")));
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "officers file unusable");
            return render(console, lang, &name, Some(tr.t("error-internal")));
        }
        Err(_) => return render(console, lang, &name, Some(tr.t("error-internal"))),
    };
    console.throttle.succeeded(&name);
    let Some(token) = console.sessions.create(&officer.name) else {
        return render(console, lang, &name, Some(tr.t("error-internal")));
    };
    tracing::info!(officer = %officer.name, role = officer.role.as_str(), %peer, "logged in");
    let mut r = h::redirect("/");
    h::set_cookie(
        &mut r,
        &cookie(console, &token, console.config.idle_minutes * 60 * 24),
    );
    r
}
