//! The officers' command line where a new user hit trouble (issue 12 §3), against real
//! node daemons and a real hub over QUIC: attachments between two nodes, withdrawing a
//! draft, resending to a node that joined later, sends the grants do not allow, input as
//! officers type it, every error at once, short ids, a closed pipe, and exit codes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use cordon_common::ids::Role;
use cordon_node::api_client::{ApiClient, CallError};
use cordon_node::{NodeConfig, RunningNode};
use cordon_testbed::federation::write_node_config;
use cordon_testbed::process::binary;
use cordon_testbed::{policy::COSMO_2, Pki, TestHub};
use serde_json::{json, Value};

fn node_bin() -> PathBuf {
    binary("cordon-node", "cordon-node").unwrap()
}

/// A node started in this process, and its configuration file (for the command line).
struct Node {
    node: RunningNode,
    cfg: PathBuf,
}

impl Node {
    /// Node `id` of `role` for the hub at `hub`; waits until connected when `connect`.
    async fn start(pki: &Pki, hub: std::net::SocketAddr, id: &str, role: Role) -> Self {
        let creds = pki.node(id, role).unwrap();
        let cfg = write_node_config(pki, &creds, hub, &pki.path().join("nodes").join(id)).unwrap();
        let mut text = std::fs::read_to_string(&cfg).unwrap();
        text.push_str("\n[limits]\noutbox_retry_ms = 250\n");
        std::fs::write(&cfg, text).unwrap();
        Self::run(&cfg).await
    }

    async fn run(cfg: &Path) -> Self {
        let node = RunningNode::start(NodeConfig::load(cfg).unwrap())
            .await
            .unwrap();
        Self {
            node,
            cfg: cfg.to_owned(),
        }
    }

    async fn connected(self) -> Self {
        assert!(self.node.wait_connected(Duration::from_secs(15)).await);
        self
    }

    fn api(&self) -> ApiClient {
        self.node.api_client()
    }

    /// `cordon-node ARGS --config CFG`.
    fn cli(&self, args: &[&str]) -> Output {
        Command::new(node_bin())
            .args(args)
            .args(["--config", self.cfg.to_str().unwrap()])
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    /// `cli`, asserting success; its standard output.
    fn cli_ok(&self, args: &[&str]) -> String {
        let out = self.cli(args);
        assert!(
            out.status.success(),
            "{args:?}: exit {:?}: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Wait until message `id` is in `api`'s inbox.
async fn wait_received(api: &ApiClient, id: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let page: Value = api.get("/v1/inbox?limit=1000").await.unwrap();
        if page["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == id)
        {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "{id} never arrived");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Wait until message `id` sent through `api` is in `state`; what `show` says then.
async fn wait_state(api: &ApiClient, id: &str, state: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let v: Value = api.get(&format!("/v1/messages/{id}")).await.unwrap();
        if v["state"] == state {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{id} never {state}: {v}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

const ALERT: [&str; 12] = [
    "send",
    "alert",
    "--to",
    "op/cosmo-2/alerts",
    "--summary",
    "Unusual route",
    "--action",
    "inspect",
    "--source-grade",
    "B",
    "--info-grade",
    "2",
];

/// `ALERT` titled `title`, and `more`.
fn alert_args<'a>(title: &'a str, more: &[&'a str]) -> Vec<&'a str> {
    let mut a = ALERT.to_vec();
    a.extend_from_slice(&["--title", title]);
    a.extend_from_slice(more);
    a
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attachments_go_between_two_nodes_as_base64_and_show_lists_them_without_bytes() {
    let pki = Pki::new().unwrap();
    let hub = TestHub::start(&pki, &pki.path().join("hub"), COSMO_2, "")
        .await
        .unwrap();
    let be = Node::start(&pki, hub.addr(), "BE-NCP", Role::Member)
        .await
        .connected()
        .await;
    let nl = Node::start(&pki, hub.addr(), "NL-NCP", Role::Member)
        .await
        .connected()
        .await;
    let files = pki.path().join("files");
    std::fs::create_dir_all(&files).unwrap();
    let pdf = files.join("manifest.pdf");
    let pdf_bytes: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&pdf, &pdf_bytes).unwrap();
    let photo = files.join("Door.JPG");
    std::fs::write(&photo, b"\xff\xd8\xff\xe0 a jpeg").unwrap();

    let out = be.cli_ok(&alert_args(
        "Reefers",
        &[
            "--container",
            "CSQU3054383",
            "--attach",
            pdf.to_str().unwrap(),
            "--attach",
            photo.to_str().unwrap(),
            "--wait",
            "20",
            "--json",
        ],
    ));
    let sent: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(sent["state"], "stored", "{sent}");
    let id = sent["id"].as_str().unwrap().to_owned();
    wait_received(&nl.api(), &id).await;

    // The API lists name, media type and size; the body keeps no content.
    let shown: Value = nl.api().get(&format!("/v1/messages/{id}")).await.unwrap();
    assert_eq!(
        shown["attachments"],
        json!([
            {"name": "manifest.pdf", "media_type": "application/pdf", "size": 70_000},
            {"name": "Door.JPG", "media_type": "image/jpeg", "size": 11},
        ])
    );
    assert!(shown["body"].get("attachments").is_none(), "{shown}");
    // One attachment's content is base64 text, not an array of numbers.
    let got: Value = nl
        .api()
        .get(&format!("/v1/messages/{id}/attachments/Door.JPG"))
        .await
        .unwrap();
    assert_eq!(got["data"], "/9j/4CBhIGpwZWc=");
    assert_eq!(got["media_type"], "image/jpeg");
    // By number too, as `show` numbers them; an unknown name lists what there is.
    let second: Value = nl
        .api()
        .get(&format!("/v1/messages/{id}/attachments/2"))
        .await
        .unwrap();
    assert_eq!(second["name"], "Door.JPG");
    match nl
        .api()
        .get::<Value>(&format!("/v1/messages/{id}/attachments/x.pdf"))
        .await
    {
        Err(CallError::Api { status: 404, error }) => {
            assert!(
                error.message.contains("1 manifest.pdf, 2 Door.JPG"),
                "{error:?}"
            )
        }
        other => panic!("{other:?}"),
    }

    // `show` prints the list, never the bytes; `attachment` saves one, by a short id.
    let text = nl.cli_ok(&["show", &id]);
    assert!(text.contains("manifest.pdf"), "{text}");
    assert!(text.contains("application/pdf"), "{text}");
    assert!(text.contains("70000 bytes"), "{text}");
    assert!(!text.contains("/9j/4CBh"), "{text}");
    let saved = files.join("saved.pdf");
    let short = &id[..23];
    nl.cli_ok(&[
        "attachment",
        short,
        "manifest.pdf",
        "--out",
        saved.to_str().unwrap(),
    ]);
    assert_eq!(std::fs::read(&saved).unwrap(), pdf_bytes);
    // An existing file is kept unless --force.
    let again = nl.cli(&[
        "attachment",
        &id,
        "manifest.pdf",
        "--out",
        saved.to_str().unwrap(),
    ]);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert!(stderr(&again).contains("--force"), "{}", stderr(&again));
    // The sender sees the same list for the message it sent.
    let mine: Value = be.api().get(&format!("/v1/messages/{id}")).await.unwrap();
    assert_eq!(mine["direction"], "sent");
    assert_eq!(mine["attachments"][0]["size"], 70_000);

    // The largest attachments one message may carry fit the API's body limit as base64.
    let max = cordon_common::msg::Limits::default().max_attachment_bytes;
    let big = cordon_common::msg::Attachment {
        name: "scan.tif".into(),
        media_type: "image/tiff".into(),
        data: vec![0x5a; max],
    };
    let req = json!({
        "kind": "alert",
        "to": ["op/cosmo-2/alerts"],
        "body": {
            "title": "Scan", "summary": "Full X-ray scan", "action": "inspect",
            "grading": {"source": "B", "information": 2},
            "attachments": [big],
        }
    });
    let body_len = serde_json::to_vec(&req).unwrap().len();
    assert!(body_len > max * 4 / 3, "{body_len}");
    let accepted: Value = be.api().post("/v1/messages", &req).await.unwrap();
    assert_eq!(accepted["state"], "draft");
    // One byte more is refused, naming the field.
    let mut over = req.clone();
    over["body"]["attachments"][0]["data"] = json!(base64_of(&vec![0x5a; max + 1]));
    match be.api().post::<_, Value>("/v1/messages", &over).await {
        Err(CallError::Api { status: 400, error }) => {
            assert_eq!(
                error.field.as_deref(),
                Some("body.attachments"),
                "{error:?}"
            )
        }
        other => panic!("{other:?}"),
    }
    be.node.shutdown().await;
    nl.node.shutdown().await;
    hub.hub.shutdown().await;
}

/// Base64 as the API takes it (what `Attachment` writes in JSON).
fn base64_of(data: &[u8]) -> String {
    let a = cordon_common::msg::Attachment {
        name: "x".into(),
        media_type: "a/b".into(),
        data: data.to_vec(),
    };
    serde_json::to_value(a).unwrap()["data"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A UDP port on 127.0.0.1 where no hub answers.
fn nowhere() -> std::net::SocketAddr {
    let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    s.local_addr().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_is_withdrawn_before_the_hub_stores_it_and_is_never_sent() {
    let pki = Pki::new().unwrap();
    let hub = TestHub::start(&pki, &pki.path().join("hub"), COSMO_2, "")
        .await
        .unwrap();
    let nl = Node::start(&pki, hub.addr(), "NL-NCP", Role::Member)
        .await
        .connected()
        .await;
    // BE-NCP first runs where no hub answers: a send is queued, and says so.
    let be = Node::start(&pki, nowhere(), "BE-NCP", Role::Member).await;
    let out = be.cli_ok(&alert_args("Withdrawn", &[]));
    assert!(
        out.contains("queued: will be sent when the hub answers"),
        "{out}"
    );
    assert!(out.contains("grants not known yet"), "{out}");
    let withdrawn = out.split_whitespace().nth(2).unwrap().to_owned();
    let kept = be.cli_ok(&alert_args("Kept", &["--json"])).to_string();
    let kept: Value = serde_json::from_str(&kept).unwrap();
    let kept = kept["id"].as_str().unwrap().to_owned();
    assert_ne!(withdrawn, kept);

    // Withdrawn by the whole id; the second time it is too late, and says why.
    let out = be.cli_ok(&["cancel", &withdrawn]);
    assert!(out.contains("withdrew alert"), "{out}");
    let shown: Value = be
        .api()
        .get(&format!("/v1/messages/{withdrawn}"))
        .await
        .unwrap();
    assert_eq!(shown["state"], "cancelled");
    let again = be.cli(&["cancel", &withdrawn]);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("withdrawn already"),
        "{}",
        stderr(&again)
    );
    let status: Value = be.api().get("/v1/status").await.unwrap();
    assert_eq!(status["outbox_depth"], 1, "{status}");

    // BE-NCP now reaches the hub: the kept alert arrives, the withdrawn one never.
    be.node.shutdown().await;
    let text = std::fs::read_to_string(&be.cfg).unwrap();
    let old = text
        .lines()
        .find(|l| l.starts_with("addr = "))
        .unwrap()
        .to_owned();
    std::fs::write(
        &be.cfg,
        text.replace(&old, &format!("addr = \"{}\"", hub.addr())),
    )
    .unwrap();
    let be = Node::run(&be.cfg).await.connected().await;
    wait_state(&be.api(), &kept, "stored").await;
    wait_received(&nl.api(), &kept).await;
    // A later message is delivered after it, so the withdrawn one had its chance.
    let after: Value =
        serde_json::from_str(&be.cli_ok(&alert_args("After", &["--json", "--wait", "20"])))
            .unwrap();
    wait_received(&nl.api(), after["id"].as_str().unwrap()).await;
    let inbox: Value = nl.api().get("/v1/inbox?limit=1000").await.unwrap();
    assert!(
        !inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == withdrawn.as_str()),
        "{inbox}"
    );
    // Stored by the hub: too late to withdraw.
    let late = be.cli(&["cancel", &kept]);
    assert_eq!(late.status.code(), Some(2), "{}", stderr(&late));
    assert!(
        stderr(&late).contains("stored by the hub already"),
        "{}",
        stderr(&late)
    );
    be.node.shutdown().await;
    nl.node.shutdown().await;
    hub.hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_joins_later_gets_a_resend_sealed_to_it_alone() {
    let pki = Pki::new().unwrap();
    let hub = TestHub::start(&pki, &pki.path().join("hub"), COSMO_2, "")
        .await
        .unwrap();
    let ocu = Node::start(&pki, hub.addr(), "OCU", Role::Ocu)
        .await
        .connected()
        .await;
    let nl = Node::start(&pki, hub.addr(), "NL-NCP", Role::Member)
        .await
        .connected()
        .await;
    let notice = [
        "send",
        "notice",
        "--to",
        "op/cosmo-2/notices",
        "--title",
        "Phase change",
        "--text",
        "Interdiction starts now.",
        "--phase",
        "interdiction",
        "--wait",
        "20",
        "--json",
    ];
    let sent: Value = serde_json::from_str(&ocu.cli_ok(&notice)).unwrap();
    let id = sent["id"].as_str().unwrap().to_owned();
    wait_received(&nl.api(), &id).await;
    let receipts = ocu.cli_ok(&["receipts", &id]);
    assert!(receipts.contains("NL-NCP"), "{receipts}");
    assert!(!receipts.contains("HU-NCP"), "{receipts}");

    // HU-NCP joins after the notice: it cannot read the original.
    let hu = Node::start(&pki, hub.addr(), "HU-NCP", Role::Member)
        .await
        .connected()
        .await;
    // Resend by a short id, once HU-NCP has published its key.
    let short = &id[..23];
    let out = ocu.cli_ok(&["resend", short, "--to-new-readers", "--json"]);
    let resent: Value = serde_json::from_str(&out).unwrap();
    let rid = resent["id"].as_str().unwrap().to_owned();
    assert_ne!(rid, id);
    let shown = wait_state(&ocu.api(), &rid, "stored").await;
    assert_eq!(shown["resend_of"], id.as_str());
    let sealed: Vec<&str> = shown["receipts"]["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["node"].as_str().unwrap())
        .collect();
    assert_eq!(sealed, ["HU-NCP"], "{shown}");
    wait_received(&hu.api(), &rid).await;
    let got: Value = hu.api().get(&format!("/v1/messages/{rid}")).await.unwrap();
    assert_eq!(got["body"]["title"], "Phase change");
    assert_eq!(got["signer"]["node_id"], "OCU");
    // NL-NCP, which had the original, is not given it a second time.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let inbox: Value = nl.api().get("/v1/inbox?limit=1000").await.unwrap();
    assert!(
        !inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == rid.as_str()),
        "{inbox}"
    );
    // The original names its resend; a message is resent once.
    let original: Value = ocu.api().get(&format!("/v1/messages/{id}")).await.unwrap();
    assert_eq!(original["resent_as"], rid.as_str());
    let twice = ocu.cli(&["resend", &id, "--to-new-readers"]);
    assert_eq!(twice.status.code(), Some(2), "{}", stderr(&twice));
    assert!(
        stderr(&twice).contains(&format!("resend {rid}")),
        "{}",
        stderr(&twice)
    );
    // Resending the resend, with no reader left who lacks it, fails and says why.
    let r2: Value =
        serde_json::from_str(&ocu.cli_ok(&["resend", &rid, "--to-new-readers", "--json"])).unwrap();
    let failed = wait_state(&ocu.api(), r2["id"].as_str().unwrap(), "failed").await;
    assert!(
        failed["reason"]
            .as_str()
            .unwrap()
            .contains("every reader of the channel had it already"),
        "{failed}"
    );
    // Without --to-new-readers nothing is asked of the daemon.
    let bare = ocu.cli(&["resend", &id]);
    assert_eq!(bare.status.code(), Some(2));
    assert!(
        stderr(&bare).contains("--to-new-readers"),
        "{}",
        stderr(&bare)
    );
    for n in [ocu, nl, hu] {
        n.node.shutdown().await;
    }
    hub.hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_the_grants_do_not_allow_is_refused_at_once_with_the_grants() {
    let pki = Pki::new().unwrap();
    let hub = TestHub::start(&pki, &pki.path().join("hub"), COSMO_2, "")
        .await
        .unwrap();
    let be = Node::start(&pki, hub.addr(), "BE-NCP", Role::Member)
        .await
        .connected()
        .await;
    // A member may not send notices: refused by the command line, nothing queued.
    let out = be.cli(&[
        "send",
        "notice",
        "--to",
        "op/cosmo-2/notices",
        "--title",
        "t",
        "--text",
        "x",
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--to: this node may not send a notice to op/cosmo-2/notices"),
        "{err}"
    );
    assert!(
        err.contains("op/cosmo-2/alerts: alert, feedback, seizure"),
        "{err}"
    );
    // Nor taskings to named nodes; the API answers 400 naming `to`.
    let tasking = json!({
        "kind": "tasking", "to": ["node/HU-NCP"], "operation": "cosmo-2",
        "body": {"title": "Check", "instructions": "List reefers."}
    });
    match be.api().post::<_, Value>("/v1/messages", &tasking).await {
        Err(CallError::Api { status: 400, error }) => {
            assert_eq!(error.field.as_deref(), Some("to"));
            assert!(
                error
                    .message
                    .contains("may not send a tasking to named participants"),
                "{error:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    let sent: Value = be.api().get("/v1/sent").await.unwrap();
    assert_eq!(sent.as_array().unwrap().len(), 0, "{sent}");
    be.node.shutdown().await;
    hub.hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn officer_input_is_normalised_errors_come_all_at_once_and_short_ids_work() {
    let pki = Pki::new().unwrap();
    let hub = TestHub::start(&pki, &pki.path().join("hub"), COSMO_2, "")
        .await
        .unwrap();
    let be = Node::start(&pki, hub.addr(), "BE-NCP", Role::Member)
        .await
        .connected()
        .await;

    // Container numbers as written on a door, a 4-digit HS heading, days for times.
    let in_ten_days = (time::OffsetDateTime::now_utc() + time::Duration::days(10)).date();
    let day = in_ten_days.to_string();
    let out = be.cli_ok(&alert_args(
        "Reefers",
        &[
            "--container",
            "csqu 305438 3",
            "--container",
            "MWCU-605978-4",
            "--commodity",
            "Laptops",
            "--hs-code",
            "8471",
            "--expires-at",
            &day,
            "--json",
        ],
    ));
    let alert: Value = serde_json::from_str(&out).unwrap();
    let alert = alert["id"].as_str().unwrap().to_owned();
    let shown: Value = be
        .api()
        .get(&format!("/v1/messages/{alert}"))
        .await
        .unwrap();
    assert_eq!(
        shown["body"]["containers"],
        json!(["CSQU3054383", "MWCU6059784"])
    );
    assert_eq!(shown["body"]["commodity"]["hs_code"], "8471");
    assert_eq!(shown["expires_at"], format!("{day}T23:59:59.999Z"));
    let out = be.cli_ok(&[
        "send",
        "tracking-request",
        "--to",
        "op/cosmo-2/tracking",
        "--container",
        "csqu3054383",
        "--until",
        "2099-12-31",
        "--json",
    ]);
    let tr: Value = serde_json::from_str(&out).unwrap();
    let tr: Value = be
        .api()
        .get(&format!("/v1/messages/{}", tr["id"].as_str().unwrap()))
        .await
        .unwrap();
    assert_eq!(
        tr["body"]["until"], "2099-12-31T23:59:59.999Z",
        "deadline: end of day"
    );
    let out = be.cli_ok(&[
        "send",
        "seizure",
        "--to",
        "op/cosmo-2/alerts",
        "--seized-at",
        "2026-03-02",
        "--place",
        "BE ANR",
        "--goods",
        "Cocaine",
        "--hs-code",
        "2939.72",
        "--quantity",
        "12.5",
        "--unit",
        "kg",
        "--source-grade",
        "A",
        "--info-grade",
        "1",
        "--json",
    ]);
    let sz: Value = serde_json::from_str(&out).unwrap();
    let sz: Value = be
        .api()
        .get(&format!("/v1/messages/{}", sz["id"].as_str().unwrap()))
        .await
        .unwrap();
    assert_eq!(
        sz["body"]["seized_at"], "2026-03-02T00:00:00Z",
        "an event: start of day"
    );

    // Every wrong flag at once, each named, and nothing sent.
    let out = be.cli(&[
        "send",
        "alert",
        "--to",
        "op/cosmo-2/alerts",
        "--title",
        "t",
        "--summary",
        "s",
        "--action",
        "search",
        "--container",
        "CSQU3054384",
        "--container",
        "MWCU6059784",
        "--hs-code",
        "84713",
        "--route",
        "Antwerp",
        "--source-grade",
        "G",
        "--info-grade",
        "2",
        "--expires-at",
        "2099-13-01",
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    for expected in [
        "--action search: unknown action",
        "--container CSQU3054384: ISO 6346 check digit is 4, expected 3",
        "--hs-code 84713: not an HS code",
        "--route Antwerp: not a UN/LOCODE",
        "--source-grade G: unknown source grade",
        "--expires-at 2099-13-01: not a date",
    ] {
        assert!(err.contains(expected), "{expected:?} missing from:\n{err}");
    }
    assert!(!err.contains("MWCU6059784"), "{err}");
    assert_eq!(
        err.matches("cordon-node:").count(),
        1,
        "printed once:\n{err}"
    );
    // Missing fields are named by their flag.
    let out = be.cli(&["send", "alert", "--to", "op/cosmo-2/alerts", "--title", "t"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--summary: required"),
        "{}",
        stderr(&out)
    );
    // The API names every broken field too.
    let req = json!({
        "kind": "alert", "to": ["op/cosmo-2/alerts"],
        "body": {
            "title": "t", "summary": "s", "action": "inspect",
            "containers": ["CSQU3054384", "MWCU6059785"],
            "grading": {"source": "B", "information": 2}
        }
    });
    match be.api().post::<_, Value>("/v1/messages", &req).await {
        Err(CallError::Api { status: 400, error }) => {
            let fields: Vec<&str> = error.errors.iter().map(|e| e.field.as_str()).collect();
            assert_eq!(
                fields,
                ["body.containers[0]", "body.containers[1]"],
                "{error:?}"
            );
        }
        other => panic!("{other:?}"),
    }

    // Short ids: a unique prefix names one message; an ambiguous one lists them.
    let unique = &alert[..20];
    let text = be.cli_ok(&["show", unique]);
    assert!(text.contains(&alert), "{text}");
    let receipts: Value =
        serde_json::from_str(&be.cli_ok(&["receipts", unique, "--json"])).unwrap();
    assert_eq!(receipts["id"], alert.as_str());
    let common = &alert[..4];
    let out = be.cli(&["show", common]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("is ambiguous"), "{}", stderr(&out));
    assert!(stderr(&out).contains(&alert), "{}", stderr(&out));
    let out = be.cli(&["show", "ffff"]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    let out = be.cli(&["show", "01z"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    be.node.shutdown().await;
    hub.hub.shutdown().await;
}

/// Run `cordon-node ARGS --config CFG` with its standard output closed before it writes.
fn with_closed_stdout(cfg: &Path, args: &[&str]) -> Output {
    let mut child = Command::new(node_bin())
        .args(args)
        .args(["--config", cfg.to_str().unwrap()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    child.wait_with_output().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_pipe_ends_quietly_and_config_errors_exit_78_in_hub_and_node() {
    let pki = Pki::new().unwrap();
    let hub = TestHub::start(&pki, &pki.path().join("hub"), COSMO_2, "")
        .await
        .unwrap();
    let be = Node::start(&pki, hub.addr(), "BE-NCP", Role::Member)
        .await
        .connected()
        .await;
    let sent: Value =
        serde_json::from_str(&be.cli_ok(&alert_args("Reefers", &["--json"]))).unwrap();
    let id = sent["id"].as_str().unwrap();
    for args in [
        &["show", id][..],
        &["inbox"],
        &["sent", "--json"],
        &["status"],
    ] {
        let out = with_closed_stdout(&be.cfg, args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert!(out.stderr.is_empty(), "{args:?}: {}", stderr(&out));
    }

    // A configuration that cannot be read: 78 from both binaries, said once.
    let missing = pki.path().join("missing.toml");
    let bad = pki.path().join("bad.toml");
    std::fs::write(&bad, "[node]\ndata_dir = 3\n").unwrap();
    for (bin, args) in [
        (
            node_bin(),
            vec!["run", "--config", missing.to_str().unwrap()],
        ),
        (node_bin(), vec!["run", "--config", bad.to_str().unwrap()]),
        (
            node_bin(),
            vec!["status", "--config", missing.to_str().unwrap()],
        ),
        (
            binary("cordon-hub", "cordon-hub").unwrap(),
            vec!["run", "--config", missing.to_str().unwrap()],
        ),
        (
            binary("cordon-hub", "cordon-hub").unwrap(),
            vec!["run", "--config", bad.to_str().unwrap()],
        ),
    ] {
        let out = Command::new(&bin).args(&args).output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(78), "{args:?}: {err}");
        let said = err.matches("missing.toml").count() + err.matches("bad.toml").count();
        assert_eq!(said, 1, "{args:?}: said once:\n{err}");
        assert!(!err.contains('\u{1b}'), "{args:?}: {err:?}");
    }

    // Logs to a file carry no colour codes.
    let log = pki.path().join("node.log");
    let creds = pki.node("NL-NCP", Role::Member).unwrap();
    let cfg = write_node_config(&pki, &creds, hub.addr(), &pki.path().join("nl")).unwrap();
    let mut child = cordon_testbed::process::ChildGuard(
        Command::new(node_bin())
            .args(["run", "--config", cfg.to_str().unwrap()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains("connected") {
            assert!(!text.contains('\u{1b}'), "{text:?}");
            assert!(text.contains("INFO"), "{text}");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    child.kill().unwrap();
    be.node.shutdown().await;
    hub.hub.shutdown().await;
}
