//! The officers' console in a real browser: headless Chromium from Debian driven over
//! WebDriver (`cordon_testbed::browser`), against nodes serving the console on
//! 127.0.0.1. Each step a person would see is saved as a 1280x800 screenshot under
//! `target/screenshots/`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use cordon_common::ids::Role;
use cordon_node::service::SendRequest;
use cordon_testbed::browser::Browser;
use cordon_testbed::console::{self, PASSWORD};
use cordon_testbed::federation::{Federation, EXAMPLE_POLICY};

const WAIT: Duration = Duration::from_secs(20);

const NODES: [(&str, Role); 4] = [
    ("OCU", Role::Ocu),
    ("RILO-WE", Role::Rilo),
    ("BE-NCP", Role::Member),
    ("HU-NCP", Role::Member),
];

async fn fed() -> Federation {
    console::start(EXAMPLE_POLICY, &NODES, &["OCU", "RILO-WE", "BE-NCP"])
        .await
        .unwrap()
}

async fn log_in(b: &Browser, base: &str, name: &str) {
    b.goto(&format!("{base}/login?lang=en")).await.unwrap();
    b.fill("#name", name).await.unwrap();
    b.fill("#password", PASSWORD).await.unwrap();
    b.click("#login").await.unwrap();
    b.wait_for("#officer", WAIT).await.unwrap();
}

/// Set a form control's value as picking it would (selects, radio groups).
async fn set(b: &Browser, css: &str, value: &str) {
    b.execute_with(
        "const e = document.querySelector(arguments[0]); e.value = arguments[1]; \
         e.dispatchEvent(new Event('change', {bubbles: true}));",
        vec![css.into(), value.into()],
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_is_corrected_sent_seen_live_read_and_acknowledged() {
    let fed = fed().await;
    let rilo = console::url(&fed, "RILO-WE").unwrap();
    let be = console::url(&fed, "BE-NCP").unwrap();
    let sender = Browser::start().await.unwrap();
    let reader = Browser::start().await.unwrap();

    // A wrong password is refused.
    sender.goto(&format!("{rilo}/login?lang=en")).await.unwrap();
    sender.fill("#name", "officer").await.unwrap();
    sender.fill("#password", "not the password").await.unwrap();
    sender.click("#login").await.unwrap();
    let refused = sender
        .wait_for_text("#login-error", "Wrong name or password", WAIT)
        .await
        .unwrap();
    assert!(refused.contains("Wrong"));
    assert!(sender.current_url().await.unwrap().ends_with("/login"));
    sender.screenshot("console-login-refused").await.unwrap();

    log_in(&sender, &rilo, "officer").await;
    log_in(&reader, &be, "officer").await;
    reader.goto(&format!("{be}/")).await.unwrap();
    reader.wait_for("#inbox", WAIT).await.unwrap();

    // An alert with a wrong ISO 6346 check digit: the error shows beside the field as
    // typed, and again on submit.
    sender
        .goto(&format!("{rilo}/compose?kind=alert"))
        .await
        .unwrap();
    sender
        .fill("#f-title", "Dual-use valves, suspect consignee")
        .await
        .unwrap();
    sender
        .fill(
            "#f-summary",
            "Declared as spare parts; consignee registered last month.",
        )
        .await
        .unwrap();
    set(&sender, "#f-action", "inspect").await;
    set(&sender, "#f-grading-source", "B").await;
    set(&sender, "#f-grading-information", "2").await;
    sender.fill("#f-containers", "CSQU3054384").await.unwrap();
    let live = sender
        .wait_for_text("#err-containers", "3", WAIT)
        .await
        .unwrap();
    assert!(live.contains("should be 3"), "{live}");
    sender.click("#send").await.unwrap();
    let after_submit = sender
        .wait_for_text("#err-containers", "should be 3", WAIT)
        .await
        .unwrap();
    assert!(after_submit.contains("CSQU3054384"), "{after_submit}");
    sender
        .screenshot("console-compose-check-digit")
        .await
        .unwrap();

    // Corrected as an officer types it (lower case, spaces): sent.
    sender.fill("#f-containers", "csqu 305438 3").await.unwrap();
    sender.click("#send").await.unwrap();
    sender.wait_for("#message", WAIT).await.unwrap();
    let url = sender.current_url().await.unwrap();
    let id = url.rsplit('/').next().unwrap().to_owned();
    assert_eq!(id.len(), 36, "{url}");
    sender.screenshot("console-sent-message").await.unwrap();

    // The other node's console shows it without a reload.
    let row = format!("#inbox tr[data-id='{id}']");
    reader.wait_for(&row, WAIT).await.unwrap();
    let title = reader.text(&format!("{row} td.title")).await.unwrap();
    assert_eq!(title, "Dual-use valves, suspect consignee");
    reader.screenshot("console-inbox-live").await.unwrap();

    // The sender watches its Sent page; opening the message makes the read receipt
    // appear there.
    sender.goto(&format!("{rilo}/sent")).await.unwrap();
    let read_cell = format!("#sent tr[data-id='{id}'] td.read");
    let before = sender.text(&read_cell).await.unwrap();
    assert!(before.starts_with("0/"), "{before}");
    reader.click(&format!("{row} td.title a")).await.unwrap();
    reader.wait_for("#message", WAIT).await.unwrap();
    let from = reader.text("#from").await.unwrap();
    assert_eq!(from, "RILO-WE / officer");
    reader.screenshot("console-message").await.unwrap();
    sender.wait_for_text(&read_cell, "1/", WAIT).await.unwrap();
    sender.screenshot("console-sent-read").await.unwrap();

    // Acknowledge.
    reader.click("#ack").await.unwrap();
    reader.wait_for("#acknowledged", WAIT).await.unwrap();
    sender
        .wait_for_text(&format!("#sent tr[data-id='{id}'] td.acked"), "1/", WAIT)
        .await
        .unwrap();

    sender.close().await.unwrap();
    reader.close().await.unwrap();
    fed.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ocu_flash_notice_reaches_every_participant_and_the_grid_fills() {
    let fed = fed().await;
    let ocu = console::url(&fed, "OCU").unwrap();
    let b = Browser::start().await.unwrap();
    log_in(&b, &ocu, "officer").await;
    b.goto(&format!("{ocu}/ocu")).await.unwrap();
    set(&b, "#n-priority", "flash").await;
    b.fill(
        "#n-title",
        "Controlled delivery: hold all inspections of CSQU3054383",
    )
    .await
    .unwrap();
    b.fill("#n-text", "Do not open; report movements only.")
        .await
        .unwrap();
    b.click("#ocu-send").await.unwrap();
    b.wait_for("#message", WAIT).await.unwrap();
    let id = b
        .current_url()
        .await
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();

    // Every participant has it.
    for node in ["RILO-WE", "BE-NCP", "HU-NCP"] {
        let svc = fed.node(node).unwrap().service();
        let mut found = false;
        for _ in 0..200 {
            let items = svc
                .inbox(cordon_node::inbox::InboxQuery::default(), None)
                .await
                .unwrap()
                .items;
            if items.iter().any(|m| m.id.to_string() == id) {
                found = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(found, "{node} did not receive the notice");
    }

    // The grid fills: one row per participant, every cell at least delivered.
    b.goto(&format!("{ocu}/ocu")).await.unwrap();
    b.wait_for(&format!("#grid th[data-id='{id}']"), WAIT)
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let states = b
            .execute(
                "return Array.from(document.querySelectorAll('#grid td.cell')).map(c => c.dataset.state);",
            )
            .await
            .unwrap();
        let states: Vec<String> = serde_json::from_value(states).unwrap_or_default();
        if states.len() == 3
            && states
                .iter()
                .all(|s| s == "delivered" || s == "read" || s == "acknowledged")
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "grid not filled: {states:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let rows = b
        .execute("return Array.from(document.querySelectorAll('#grid tbody tr')).map(r => r.dataset.node);")
        .await
        .unwrap();
    assert_eq!(rows, serde_json::json!(["BE-NCP", "HU-NCP", "RILO-WE"]));
    b.screenshot("console-ocu-grid").await.unwrap();

    // On a participant's console the flash notice comes first, highlighted.
    let rilo = console::url(&fed, "RILO-WE").unwrap();
    let p = Browser::start().await.unwrap();
    log_in(&p, &rilo, "reader").await;
    p.goto(&format!("{rilo}/")).await.unwrap();
    p.wait_for(&format!("#flash tr.flash[data-id='{id}']"), WAIT)
        .await
        .unwrap();
    p.screenshot("console-inbox-flash").await.unwrap();
    p.close().await.unwrap();
    b.close().await.unwrap();
    fed.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_forms_are_refused_markup_stays_text_and_arabic_reads_right_to_left() {
    let fed = fed().await;
    let be = console::url(&fed, "BE-NCP").unwrap();
    let sent = fed
        .node("RILO-WE")
        .unwrap()
        .service()
        .send(SendRequest {
            kind: "alert".into(),
            to: vec!["op/cosmo-2/alerts".into()],
            body: serde_json::json!({
                "title": "<script>alert(1)</script>",
                "summary": "<img src=x onerror=alert(2)>",
                "action": "monitor",
                "grading": { "source": "C", "information": 3 },
            }),
            ..SendRequest::default()
        })
        .await
        .unwrap();
    let b = Browser::start().await.unwrap();
    log_in(&b, &be, "officer").await;
    b.goto(&format!("{be}/")).await.unwrap();
    let row = format!("#inbox tr[data-id='{}']", sent.id);
    b.wait_for(&row, WAIT).await.unwrap();
    assert_eq!(
        b.text(&format!("{row} td.title")).await.unwrap(),
        "<script>alert(1)</script>"
    );
    b.click(&format!("{row} td.title a")).await.unwrap();
    b.wait_for("#message", WAIT).await.unwrap();
    assert_eq!(b.text("h1").await.unwrap(), "<script>alert(1)</script>");
    let scripts = b
        .execute(
            "return Array.from(document.scripts).map(s => s.src.replace(location.origin, ''));",
        )
        .await
        .unwrap();
    assert_eq!(
        scripts,
        serde_json::json!(["/static/app.js"]),
        "only our script"
    );
    let images = b.execute("return document.images.length;").await.unwrap();
    assert_eq!(images, serde_json::json!(0));
    b.screenshot("console-markup-as-text").await.unwrap();

    // A form posted without the CSRF token is refused, and shows why.
    b.goto(&format!("{be}/compose?kind=alert")).await.unwrap();
    let reply = b.post_form("#compose", &["csrf"]).await.unwrap();
    assert_eq!(reply.status, 403);
    b.submit_form_without("#compose", "csrf").await.unwrap();
    let why = b.wait_for_text("#error", "expired", WAIT).await.unwrap();
    assert!(why.contains("did not come from this console"), "{why}");

    // Arabic: right to left, in the officer's setting.
    b.goto(&format!("{be}/")).await.unwrap();
    set(&b, "select[name=lang]", "ar").await;
    b.wait_for("html[dir='rtl']", WAIT).await.unwrap();
    let dir = b
        .execute("return getComputedStyle(document.body).direction;")
        .await
        .unwrap();
    assert_eq!(dir, serde_json::json!("rtl"));
    assert_eq!(
        b.attribute("html", "lang").await.unwrap().as_deref(),
        Some("ar")
    );
    let nav = b.text("header.top nav a.active").await.unwrap();
    assert_ne!(nav, "Inbox", "the navigation is translated");
    b.screenshot("console-inbox-ar").await.unwrap();
    b.close().await.unwrap();
    fed.shutdown().await;
}
