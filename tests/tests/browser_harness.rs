//! The browser harness itself (`cordon_testbed::browser`): headless Chromium opens pages
//! served here on loopback, types, clicks, runs the page's own script, takes screenshots,
//! posts forms without a field, and leaves no process behind.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use cordon_testbed::browser::{Browser, WINDOW};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;

const WAIT: Duration = Duration::from_secs(10);

const INDEX: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>harness</title>
<script src="/app.js" defer></script></head>
<body><h1>Harness</h1>
<input id="name" name="name" placeholder="your name">
<button id="go" type="button">Greet</button>
<p id="out">nobody yet</p>
</body></html>"#;

const APP_JS: &str = r#"document.getElementById('go').addEventListener('click', () => {
  document.getElementById('out').textContent = 'hello ' + document.getElementById('name').value;
});"#;

const RTL: &str = r#"<!doctype html>
<html dir="rtl" lang="ar"><head><meta charset="utf-8"><title>rtl</title></head>
<body><p id="p">مرحبا</p></body></html>"#;

const FORM: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>form</title></head>
<body><form id="f" action="/submit" method="post">
<input type="hidden" name="csrf" value="tok123">
<input name="note" value="hi there">
<button id="send" type="submit">Send</button>
</form></body></html>"#;

/// The test site: a page whose script (a file, not inline: the CSP forbids inline ones)
/// greets, an RTL page, and a form whose POST needs its CSRF field.
async fn site(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (status, kind, body) = match (req.method(), req.uri().path()) {
        (&Method::GET, "/") => (StatusCode::OK, "text/html", INDEX.to_owned()),
        (&Method::GET, "/app.js") => (StatusCode::OK, "text/javascript", APP_JS.to_owned()),
        (&Method::GET, "/rtl") => (StatusCode::OK, "text/html", RTL.to_owned()),
        (&Method::GET, "/form") => (StatusCode::OK, "text/html", FORM.to_owned()),
        (&Method::POST, "/submit") => {
            let body = req.into_body().collect().await.map(|b| b.to_bytes());
            let body = String::from_utf8_lossy(&body.unwrap_or_default()).into_owned();
            if body.split('&').any(|kv| kv == "csrf=tok123") {
                (StatusCode::OK, "text/plain", format!("accepted {body}"))
            } else {
                (
                    StatusCode::FORBIDDEN,
                    "text/plain",
                    "refused: no CSRF token".into(),
                )
            }
        }
        _ => (StatusCode::NOT_FOUND, "text/plain", "not found".into()),
    };
    let resp = Response::builder()
        .status(status)
        .header("content-type", format!("{kind}; charset=utf-8"))
        .header("content-security-policy", "default-src 'self'")
        .header(
            "set-cookie",
            "sid=s3cret; HttpOnly; SameSite=Strict; Path=/",
        )
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    Ok(resp)
}

/// Serve [`site`] on 127.0.0.1 (port chosen by the OS) until the test ends.
async fn serve() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(site);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn types_clicks_runs_the_page_script_and_takes_a_screenshot() {
    let addr = serve().await;
    let b = Browser::start().await.unwrap();
    b.goto(&format!("http://{addr}/")).await.unwrap();
    assert_eq!(b.text("#out").await.unwrap(), "nobody yet");
    assert_eq!(
        b.attribute("#name", "placeholder")
            .await
            .unwrap()
            .as_deref(),
        Some("your name")
    );
    assert_eq!(b.attribute("#name", "nonesuch").await.unwrap(), None);

    b.fill("#name", "Cordon").await.unwrap();
    b.click("#go").await.unwrap();
    let text = b.wait_for_text("#out", "hello", WAIT).await.unwrap();
    assert_eq!(text, "hello Cordon");
    b.wait_for("h1", WAIT).await.unwrap();
    let missing = b.wait_for("#nonesuch", Duration::from_millis(200)).await;
    assert!(missing.unwrap_err().to_string().contains("#nonesuch"));

    // The session cookie, HttpOnly, is seen by the harness (not by the page's scripts).
    let cookies = b.cookies().await.unwrap();
    let sid = cookies.iter().find(|c| c.name() == "sid").unwrap();
    assert_eq!(sid.value(), "s3cret");
    assert_eq!(sid.http_only(), Some(true));
    assert_eq!(b.execute("return document.cookie").await.unwrap(), "");

    let path = b.screenshot("browser_harness_greeting").await.unwrap();
    let png = std::fs::read(&path).unwrap();
    assert_eq!(
        &png[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} is no PNG",
        path.display()
    );
    assert_eq!(&png[12..16], b"IHDR");
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    assert_eq!(width, WINDOW.0, "screenshot width");
    b.close().await.unwrap();
}

#[tokio::test]
async fn an_rtl_page_lays_out_right_to_left() {
    let addr = serve().await;
    let b = Browser::start().await.unwrap();
    for (path, direction) in [("/rtl", "rtl"), ("/", "ltr")] {
        b.goto(&format!("http://{addr}{path}")).await.unwrap();
        let dir = b
            .execute("return getComputedStyle(document.body).direction")
            .await
            .unwrap();
        assert_eq!(dir, direction, "{path}");
    }
}

#[tokio::test]
async fn a_form_posted_without_its_csrf_field_is_refused() {
    let addr = serve().await;
    let b = Browser::start().await.unwrap();
    b.goto(&format!("http://{addr}/form")).await.unwrap();

    let whole = b.post_form("#f", &[]).await.unwrap();
    assert_eq!(whole.status, 200, "{whole:?}");
    assert_eq!(whole.body, "accepted csrf=tok123&note=hi+there");
    assert_eq!(whole.url, format!("http://{addr}/submit"));
    let bare = b.post_form("#f", &["csrf"]).await.unwrap();
    assert_eq!(bare.status, 403, "{bare:?}");
    assert_eq!(bare.body, "refused: no CSRF token");

    // The ordinary submit, with the hidden input taken out of the form first.
    b.submit_form_without("#f", "csrf").await.unwrap();
    b.wait_for_text("body", "refused", WAIT).await.unwrap();
    assert_eq!(
        b.current_url().await.unwrap(),
        format!("http://{addr}/submit")
    );
}

/// The pids of the processes in process group `group` or whose command line names `dir`.
fn processes_of(group: u32, dir: &Path) -> Vec<String> {
    let dir = dir.to_string_lossy().into_owned();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let pid = entry.file_name().to_string_lossy().into_owned();
        if pid.parse::<u32>().is_err() {
            continue;
        }
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        // pid (comm) state ppid pgrp …: comm may hold spaces, so split after its ')'.
        let pgrp = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(2)?.parse::<u32>().ok());
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        if pgrp == Some(group) || String::from_utf8_lossy(&cmdline).contains(&dir) {
            found.push(format!("{pid}: {}", stat.trim()));
        }
    }
    found
}

#[tokio::test]
async fn two_browsers_at_once_and_nothing_left_behind() {
    let addr = serve().await;
    let (a, b) = tokio::join!(Browser::start(), Browser::start());
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_ne!(a.process_group(), b.process_group());
    assert_ne!(a.dir(), b.dir());
    a.goto(&format!("http://{addr}/")).await.unwrap();
    b.goto(&format!("http://{addr}/rtl")).await.unwrap();
    a.fill("#name", "a").await.unwrap();
    a.click("#go").await.unwrap();
    a.wait_for_text("#out", "hello a", WAIT).await.unwrap();
    assert_eq!(b.text("#p").await.unwrap(), "مرحبا");

    let (group_a, dir_a) = (a.process_group(), a.dir().to_owned());
    let (group_b, dir_b) = (b.process_group(), b.dir().to_owned());
    assert!(!processes_of(group_a, &dir_a).is_empty());
    drop(a);
    assert_eq!(processes_of(group_a, &dir_a), Vec::<String>::new());
    assert!(!dir_a.exists());
    // The other one is untouched by the first one's end.
    b.goto(&format!("http://{addr}/")).await.unwrap();
    b.wait_for("#go", WAIT).await.unwrap();
    b.close().await.unwrap();
    assert_eq!(processes_of(group_b, &dir_b), Vec::<String>::new());
    assert!(!dir_b.exists());
}
