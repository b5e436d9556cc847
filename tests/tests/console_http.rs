//! The officers' console over plain HTTP, as a browser without script would use it:
//! login and its back-off, sessions, roles, CSRF, Origin and Host checks, the security
//! headers, escaping of message content, and the console's own pages. (The same console
//! in a real browser: `console_browser.rs`.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use cordon_common::ids::Role;
use cordon_node::service::SendRequest;
use cordon_testbed::console::{self, csrf_of, login, request, PASSWORD};
use cordon_testbed::federation::{Federation, EXAMPLE_POLICY};

const NODES: [(&str, Role); 3] = [
    ("OCU", Role::Ocu),
    ("RILO-WE", Role::Rilo),
    ("BE-NCP", Role::Member),
];

async fn fed() -> Federation {
    console::start(EXAMPLE_POLICY, &NODES, &["OCU", "BE-NCP"])
        .await
        .unwrap()
}

fn alert(title: &str) -> SendRequest {
    SendRequest {
        kind: "alert".into(),
        to: vec!["op/cosmo-2/alerts".into()],
        body: serde_json::json!({
            "title": title,
            "summary": "Dual-use valves declared as spare parts",
            "action": "inspect",
            "containers": ["CSQU3054383"],
            "grading": { "source": "B", "information": 2 },
            "drafted_by": "Inspector <b>Janssens</b>",
        }),
        ..SendRequest::default()
    }
}

async fn wait_inbox(fed: &Federation, id: &str, n: usize) {
    let svc = fed.node(id).unwrap().service();
    for _ in 0..200 {
        let page = svc
            .inbox(cordon_node::inbox::InboxQuery::default(), None)
            .await
            .unwrap();
        if page.items.len() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{id} did not receive {n} messages");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_refuses_strangers_forged_forms_and_other_hosts_and_escapes_content() {
    let fed = fed().await;
    let be = console::url(&fed, "BE-NCP").unwrap();

    // No session: to the login page. Security headers on every answer.
    let a = request(&be, "GET", "/", &[], None).await.unwrap();
    assert_eq!(a.status, 303);
    assert_eq!(a.header("location"), Some("/login"));
    let a = request(&be, "GET", "/login", &[], None).await.unwrap();
    assert_eq!(a.status, 200);
    let csp = a.header("content-security-policy").unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert!(!a.body.contains("<script>"), "no inline script");
    assert_eq!(a.header("x-frame-options"), Some("DENY"));

    // Another Host (DNS rebinding) is refused.
    let a = request(&be, "GET", "/login", &[("Host", "evil.example:80")], None)
        .await
        .unwrap();
    assert_eq!(a.status, 421);

    // A wrong password is refused; after three, the name is made to wait.
    for _ in 0..3 {
        let a = request(
            &be,
            "POST",
            "/login",
            &[],
            Some("name=officer&password=wrong+password+1"),
        )
        .await
        .unwrap();
        assert_eq!(a.status, 401);
        assert!(a.body.contains("id=\"login-error\""), "{}", a.body);
        assert!(a.header("set-cookie").is_none());
    }
    let a = request(
        &be,
        "POST",
        "/login",
        &[],
        Some("name=officer&password=wrong+password+1"),
    )
    .await
    .unwrap();
    assert_eq!(a.status, 401);
    // The fifth try, even with the right password, waits out the back-off.
    let right = format!("name=officer&password={}", PASSWORD.replace(' ', "+"));
    let a = request(&be, "POST", "/login", &[], Some(&right))
        .await
        .unwrap();
    assert_eq!(a.status, 401, "backing off");
    assert!(a.body.contains("Try again in"), "{}", a.body);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let a = request(&be, "POST", "/login", &[], Some(&right))
        .await
        .unwrap();
    assert_eq!(a.status, 303);
    let set = a.header("set-cookie").unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    let cookie = set.split(';').next().unwrap().to_owned();

    // A message whose title and drafting officer are markup is shown as text.
    let sent = fed
        .node("RILO-WE")
        .unwrap()
        .service()
        .send(alert("<script>alert(1)</script>"))
        .await
        .unwrap();
    wait_inbox(&fed, "BE-NCP", 1).await;
    let inbox = request(&be, "GET", "/", &[("Cookie", &cookie)], None)
        .await
        .unwrap();
    assert_eq!(inbox.status, 200);
    assert!(
        inbox.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{}",
        inbox.body
    );
    assert!(!inbox.body.contains("<script>alert(1)"));
    let page = request(
        &be,
        "GET",
        &format!("/m/{}", sent.id),
        &[("Cookie", &cookie)],
        None,
    )
    .await
    .unwrap();
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("RILO-WE / Inspector &lt;b&gt;Janssens&lt;/b&gt;"),
        "{}",
        page.body
    );
    assert!(page.body.contains("CSQU3054383"));

    // Forms without the CSRF token, with a wrong one, or from another origin: refused,
    // and nothing is acknowledged.
    let ack = format!("/m/{}/ack", sent.id);
    let a = request(&be, "POST", &ack, &[("Cookie", &cookie)], Some("x=1"))
        .await
        .unwrap();
    assert_eq!(a.status, 403);
    let a = request(&be, "POST", &ack, &[("Cookie", &cookie)], Some("csrf=00ff"))
        .await
        .unwrap();
    assert_eq!(a.status, 403);
    let token = csrf_of(&page.body).unwrap();
    let good = format!("csrf={token}");
    let a = request(
        &be,
        "POST",
        &ack,
        &[("Cookie", &cookie), ("Origin", "http://evil.example")],
        Some(&good),
    )
    .await
    .unwrap();
    assert_eq!(a.status, 403);
    let shown = fed
        .node("BE-NCP")
        .unwrap()
        .service()
        .show(sent.id)
        .await
        .unwrap();
    let cordon_node::service::Shown::Received(r) = shown else {
        panic!("received")
    };
    assert!(r.acknowledged_at.is_none(), "nothing was acknowledged");
    // With the token, from the console itself: acknowledged.
    let a = request(&be, "POST", &ack, &[("Cookie", &cookie)], Some(&good))
        .await
        .unwrap();
    assert_eq!(a.status, 303);
    let shown = fed
        .node("BE-NCP")
        .unwrap()
        .service()
        .show(sent.id)
        .await
        .unwrap();
    let cordon_node::service::Shown::Received(r) = shown else {
        panic!("received")
    };
    assert!(r.acknowledged_at.is_some());

    // A reader may not compose; a disabled officer's session ends at once.
    let reader = login(&be, "reader", PASSWORD).await.unwrap();
    let a = request(&be, "GET", "/compose", &[("Cookie", &reader)], None)
        .await
        .unwrap();
    assert_eq!(a.status, 403);
    let admin = login(&be, "admin", PASSWORD).await.unwrap();
    let officers = request(&be, "GET", "/officers", &[("Cookie", &admin)], None)
        .await
        .unwrap();
    assert_eq!(officers.status, 200);
    let t = csrf_of(&officers.body).unwrap();
    let a = request(
        &be,
        "POST",
        "/officers/disable",
        &[("Cookie", &admin)],
        Some(&format!("csrf={t}&name=reader")),
    )
    .await
    .unwrap();
    assert_eq!(a.status, 303);
    let a = request(&be, "GET", "/", &[("Cookie", &reader)], None)
        .await
        .unwrap();
    assert_eq!(a.status, 303, "the disabled reader is logged out");
    let a = request(
        &be,
        "POST",
        "/login",
        &[],
        Some(&format!(
            "name=reader&password={}",
            PASSWORD.replace(' ', "+")
        )),
    )
    .await
    .unwrap();
    assert_eq!(a.status, 401);

    // The other pages answer.
    for path in [
        "/sent",
        "/ocu",
        "/overview",
        "/overview.csv",
        "/status",
        "/compose?kind=seizure",
    ] {
        let a = request(&be, "GET", path, &[("Cookie", &admin)], None)
            .await
            .unwrap();
        assert_eq!(a.status, 200, "{path}: {}", a.body);
    }
    fed.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compose_form_reports_every_error_at_once_then_sends_with_the_officers_name() {
    let fed = fed().await;
    let ocu = console::url(&fed, "OCU").unwrap();
    let cookie = login(&ocu, "officer", PASSWORD).await.unwrap();
    let page = request(
        &ocu,
        "GET",
        "/compose?kind=alert",
        &[("Cookie", &cookie)],
        None,
    )
    .await
    .unwrap();
    let token = csrf_of(&page.body).unwrap();
    // Check digit wrong (should be 3), title missing, grade out of range.
    let bad = format!(
        "csrf={token}&kind=alert&to=op%2Fcosmo-2%2Falerts&priority=routine&tlp=AMBER&summary=S&action=inspect&containers=csqu+305438+4&grading.source=B&grading.information=9"
    );
    let a = request(&ocu, "POST", "/compose", &[("Cookie", &cookie)], Some(&bad))
        .await
        .unwrap();
    assert_eq!(a.status, 422, "{}", a.body);
    let err = |id: &str| {
        let at = a
            .body
            .find(&format!("id=\"err-{id}\""))
            .unwrap_or_else(|| panic!("no err-{id}"));
        let rest = &a.body[at..];
        rest[rest.find('>').unwrap() + 1..rest.find("</p>").unwrap()].to_owned()
    };
    assert!(
        err("containers").contains("should be 3"),
        "{}",
        err("containers")
    );
    assert_eq!(err("title"), "Required.");
    assert!(err("grading-information").contains("1 to 6"));
    assert!(a.body.contains("3 fields need correcting"));
    // Corrected (lower case and spaces are fine): sent, with the officer's name inside.
    let good = bad
        .replace("csqu+305438+4", "csqu+305438+3")
        .replace("information=9", "information=2")
        + "&title=Valves";
    let a = request(
        &ocu,
        "POST",
        "/compose",
        &[("Cookie", &cookie)],
        Some(&good),
    )
    .await
    .unwrap();
    assert_eq!(a.status, 303, "{}", a.body);
    wait_inbox(&fed, "BE-NCP", 1).await;
    let items = fed
        .node("BE-NCP")
        .unwrap()
        .service()
        .inbox(cordon_node::inbox::InboxQuery::default(), None)
        .await
        .unwrap()
        .items;
    let shown = fed
        .node("BE-NCP")
        .unwrap()
        .service()
        .show(items[0].id)
        .await
        .unwrap();
    let cordon_node::service::Shown::Received(r) = shown else {
        panic!("received")
    };
    assert_eq!(r.body["drafted_by"], "officer");
    assert_eq!(r.body["containers"][0], "CSQU3054383");
    fed.shutdown().await;
}
