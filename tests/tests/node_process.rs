//! The node daemon as a separate process, the way a member administration runs it:
//! killed with SIGKILL and stopped with SIGTERM with messages in its outbox, a hub
//! restart under it, and the officers' command line against it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use cordon_common::ids::Role;
use cordon_node::api_client::{ApiClient, CallError};
use cordon_node::client::Connector;
use cordon_node::hub_verifier::HubCertVerifier;
use cordon_node::refusal::Refusal;
use cordon_node::service::StatusView;
use cordon_node::state::ConnState;
use cordon_node::{NodeConfig, RunningNode};
use cordon_testbed::client::target;
use cordon_testbed::federation::write_node_config;
use cordon_testbed::process::{binary, ChildGuard};
use cordon_testbed::{metric_value, policy::COSMO_2, NodeCreds, Pki, TestHub};
use serde_json::{json, Value};

fn node_bin() -> PathBuf {
    binary("cordon-node", "cordon-node").unwrap()
}

/// Start `cordon-node run` for `cfg` and wait until it is connected to the hub.
async fn spawn_node(cfg: &Path) -> (ChildGuard, ApiClient) {
    let child =
        ChildGuard::spawn(&node_bin(), &["run", "--config", cfg.to_str().unwrap()]).unwrap();
    wait_node_connected(child, cfg).await
}

/// [`spawn_node`] under the file-creation mask `umask` (octal, as the shell writes it).
async fn spawn_node_with_umask(cfg: &Path, umask: &str) -> (ChildGuard, ApiClient) {
    let script = format!("umask {umask} && exec \"$0\" run --config \"$1\"");
    let child = ChildGuard::spawn(
        &PathBuf::from("/bin/sh"),
        &[
            "-c",
            &script,
            node_bin().to_str().unwrap(),
            cfg.to_str().unwrap(),
        ],
    )
    .unwrap();
    wait_node_connected(child, cfg).await
}

/// Wait until the node started as `child` for `cfg` is connected to the hub.
async fn wait_node_connected(child: ChildGuard, cfg: &Path) -> (ChildGuard, ApiClient) {
    let data = cfg.parent().unwrap().join("data");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        // api.addr is rewritten at each start; a stale one from a killed run fails to answer.
        if let Ok(api) = ApiClient::from_data_dir(&data) {
            if let Ok(st) = api.get::<Value>("/v1/status").await {
                if st["connection"] == "connected" {
                    return (child, api);
                }
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "node {} did not connect",
            cfg.display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn in_process_node(pki: &Pki, hub: &TestHub, id: &str) -> RunningNode {
    in_process_node_as(pki, hub, id, Role::Member, "").await
}

/// Start node `id` in this process with `extra` appended to its configuration file.
async fn in_process_node_as(
    pki: &Pki,
    hub: &TestHub,
    id: &str,
    role: Role,
    extra: &str,
) -> RunningNode {
    let creds = pki.node(id, role).unwrap();
    in_process_node_with(pki, hub, &creds, extra).await
}

/// Start the node of `creds` in this process with `extra` appended to its configuration.
async fn in_process_node_with(
    pki: &Pki,
    hub: &TestHub,
    creds: &NodeCreds,
    extra: &str,
) -> RunningNode {
    let id = creds.identity.node_id.as_str();
    let cfg =
        write_node_config(pki, creds, hub.addr(), &pki.path().join("nodes").join(id)).unwrap();
    let mut text = std::fs::read_to_string(&cfg).unwrap();
    text.push_str(extra);
    std::fs::write(&cfg, text).unwrap();
    let node = RunningNode::start(NodeConfig::load(&cfg).unwrap())
        .await
        .unwrap();
    assert!(node.wait_connected(Duration::from_secs(15)).await);
    node
}

fn alert(n: usize) -> Value {
    json!({
        "kind": "alert",
        "to": ["op/cosmo-2/alerts"],
        "body": {
            "title": format!("Alert {n}"),
            "summary": "Reefer containers with an unusual routing.",
            "action": "monitor",
            "containers": ["CSQU3054383"],
            "grading": {"source": "B", "information": 2}
        }
    })
}

fn tasking(to: &str, n: usize) -> Value {
    json!({
        "kind": "tasking",
        "to": [to],
        "operation": "cosmo-2",
        "priority": "flash",
        "body": {
            "title": format!("Task {n}"),
            "instructions": "Inspect CSQU3054383 on arrival."
        }
    })
}

/// What `api` says about the message it sent with this id.
async fn sent_state(api: &ApiClient, id: &str) -> Value {
    api.get(&format!("/v1/messages/{id}")).await.unwrap()
}

/// The ids in `node`'s inbox, asserting that none appears twice.
async fn inbox_ids(api: &ApiClient) -> HashSet<String> {
    let page: Value = api.get("/v1/inbox?limit=1000").await.unwrap();
    let items = page["items"].as_array().unwrap();
    let ids: Vec<String> = items
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    let unique: HashSet<String> = ids.iter().cloned().collect();
    assert_eq!(unique.len(), ids.len(), "a message shown twice: {ids:?}");
    unique
}

/// Wait until every id in `want` is in `api`'s inbox (each once).
async fn wait_inbox(api: &ApiClient, want: &HashSet<String>, who: &str) {
    let missing = missing_after_wait(api, want).await;
    assert!(
        missing.is_empty(),
        "{who} is missing {} of {} messages",
        missing.len(),
        want.len()
    );
}

/// Wait up to 30 s until every id in `want` is in `api`'s inbox (each once); the ids
/// still missing then.
async fn missing_after_wait(api: &ApiClient, want: &HashSet<String>) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let got = inbox_ids(api).await;
        let missing: Vec<String> = want.difference(&got).cloned().collect();
        if missing.is_empty() || tokio::time::Instant::now() >= deadline {
            return missing;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Make the daemon of `cfg` retry its outbox every 250 ms, so that drafts waiting for a
/// key are sealed soon after the key appears.
fn retry_outbox_often(cfg: &Path) {
    let mut text = std::fs::read_to_string(cfg).unwrap();
    assert!(!text.contains("[limits]"), "{text}");
    text.push_str("\n[limits]\noutbox_retry_ms = 250\n");
    std::fs::write(cfg, text).unwrap();
}

/// `outbox_depth` as `cordon-node status --json` prints it.
fn outbox_depth_by_cli(cfg: &Path) -> u64 {
    let out = std::process::Command::new(node_bin())
        .args(["status", "--json", "--config", cfg.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let st: Value = serde_json::from_slice(&out.stdout).unwrap();
    st["outbox_depth"]
        .as_u64()
        .unwrap_or_else(|| panic!("no outbox_depth: {st}"))
}

/// Queue `taskings` taskings to HU-NCP (which has never connected, so has no key
/// bundle: they wait in the outbox for sure) and `alerts` alerts to the alerts channel.
/// Returns the ids of each.
async fn queue_taskings_and_alerts(
    api: &ApiClient,
    taskings: usize,
    alerts: usize,
) -> (HashSet<String>, HashSet<String>) {
    let mut t = HashSet::new();
    for n in 0..taskings {
        let a: Value = api
            .post("/v1/messages", &tasking("node/HU-NCP", n))
            .await
            .unwrap();
        t.insert(a["id"].as_str().unwrap().to_owned());
    }
    let mut a = HashSet::new();
    for n in 0..alerts {
        let r: Value = api.post("/v1/messages", &alert(n)).await.unwrap();
        a.insert(r["id"].as_str().unwrap().to_owned());
    }
    (t, a)
}

/// Wait until `api`'s node says that the hub stored every one of its `n` messages.
async fn wait_all_stored(api: &ApiClient, n: usize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let list: Value = api.get("/v1/sent?limit=1000").await.unwrap();
        let list = list.as_array().unwrap();
        let stored = list.iter().filter(|s| s["state"] == "stored").count();
        if stored == n && list.len() == n {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {stored} of {n} stored: {list:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// After a restart of the RILO-WE daemon: HU-NCP comes online, and every tasking reaches
/// it and every alert reaches BE-NCP, each exactly once; the sender knows each is stored.
async fn check_delivered_once(
    pki: &Pki,
    hub: &TestHub,
    be: &RunningNode,
    rilo: &ApiClient,
    taskings: &HashSet<String>,
    alerts: &HashSet<String>,
) {
    let hu = in_process_node(pki, hub, "HU-NCP").await;
    wait_inbox(&hu.api_client(), taskings, "HU-NCP").await;
    wait_inbox(&be.api_client(), alerts, "BE-NCP").await;
    wait_all_stored(rilo, taskings.len() + alerts.len()).await;
    // Nothing arrives late, either.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(&inbox_ids(&hu.api_client()).await, taskings);
    assert_eq!(&inbox_ids(&be.api_client()).await, alerts);
    hu.shutdown().await;
}

/// A hub, BE-NCP in this process (a reader of the alerts), and the configuration of
/// RILO-WE, run as a separate process by the caller, with a fast outbox retry.
async fn hub_be_and_rilo_config() -> (Pki, TestHub, RunningNode, PathBuf) {
    let pki = Pki::new().unwrap();
    let hub = TestHub::start(&pki, &pki.path().join("hub"), COSMO_2, "")
        .await
        .unwrap();
    let be = in_process_node(&pki, &hub, "BE-NCP").await;
    let rilo = pki.node("RILO-WE", Role::Rilo).unwrap();
    let cfg =
        write_node_config(&pki, &rilo, hub.addr(), &pki.path().join("nodes/RILO-WE")).unwrap();
    retry_outbox_often(&cfg);
    (pki, hub, be, cfg)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_with_messages_in_its_outbox_delivers_each_exactly_once_after_restart() {
    let (pki, hub, be, cfg) = hub_be_and_rilo_config().await;
    let (mut child, api) = spawn_node(&cfg).await;

    // Five taskings that must wait (HU-NCP has no key yet), and 40 alerts, then SIGKILL
    // at once: the taskings are drafts for sure; the alerts may be drafts, sealed,
    // published without an ack, or stored.
    let (taskings, alerts) = queue_taskings_and_alerts(&api, 5, 40).await;
    let depth = outbox_depth_by_cli(&cfg);
    child.kill().unwrap();
    assert!(
        depth >= taskings.len() as u64,
        "killed with {depth} messages in the outbox, expected at least the {} taskings",
        taskings.len()
    );
    eprintln!("killed with {depth} of 45 messages in the outbox");
    let (c, api) = spawn_node(&cfg).await;
    child = c;
    check_delivered_once(&pki, &hub, &be, &api, &taskings, &alerts).await;
    drop(child);
    be.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_a_node_with_messages_in_its_outbox_cleanly_and_nothing_is_lost() {
    let (pki, hub, be, cfg) = hub_be_and_rilo_config().await;
    let (mut child, api) = spawn_node(&cfg).await;

    let (taskings, alerts) = queue_taskings_and_alerts(&api, 5, 20).await;
    let depth = outbox_depth_by_cli(&cfg);
    assert!(depth >= taskings.len() as u64, "outbox depth {depth}");
    let pid = child.0.id().to_string();
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(kill.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "cordon-node run did not exit within 5 s of SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        status.code(),
        Some(0),
        "exit status after SIGTERM: {status}"
    );
    let data = cfg.parent().unwrap().join("data");
    assert!(
        !data.join("api.addr").exists(),
        "a graceful stop removes api.addr"
    );

    let (c, api) = spawn_node(&cfg).await;
    child = c;
    check_delivered_once(&pki, &hub, &be, &api, &taskings, &alerts).await;
    drop(child);
    be.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hub_restarts_and_nodes_reconnect_by_themselves_and_catch_up() {
    let pki = Pki::new().unwrap();
    let hub = TestHub::start(&pki, &pki.path().join("hub"), COSMO_2, "")
        .await
        .unwrap();
    let be = in_process_node(&pki, &hub, "BE-NCP").await;
    let nl_creds = pki.node("NL-NCP", Role::Member).unwrap();
    let cfg = write_node_config(
        &pki,
        &nl_creds,
        hub.addr(),
        &pki.path().join("nodes/NL-NCP"),
    )
    .unwrap();
    let (_nl_child, nl_api) = spawn_node(&cfg).await;
    let be_api = be.api_client();

    let mut before = HashSet::new();
    for n in 0..10 {
        let a: Value = be_api.post("/v1/messages", &alert(n)).await.unwrap();
        before.insert(a["id"].as_str().unwrap().to_owned());
    }
    wait_inbox(&nl_api, &before, "NL-NCP").await;

    // The hub goes down; BE-NCP's officers keep sending; the hub comes back.
    let hub = {
        let addr = hub.addr();
        let restarted = hub.restart();
        let mut during = HashSet::new();
        for n in 10..20 {
            let a: Value = be_api.post("/v1/messages", &alert(n)).await.unwrap();
            during.insert(a["id"].as_str().unwrap().to_owned());
        }
        let hub = restarted.await.unwrap();
        assert_eq!(hub.addr(), addr);
        // Nobody is told to reconnect: both nodes find the hub again by themselves.
        let mut all = before.clone();
        all.extend(during);
        let missing = missing_after_wait(&nl_api, &all).await;
        if !missing.is_empty() {
            // Say where each missing message got to, for whoever meets this.
            let mut seen_by_sender = Vec::new();
            for id in &missing {
                seen_by_sender.push(sent_state(&be_api, id).await);
            }
            let refusals: Value = nl_api.get("/v1/refusals").await.unwrap();
            let status: Value = nl_api.get("/v1/status").await.unwrap();
            panic!(
                "NL-NCP is missing {} of 20: {missing:?}\nat BE-NCP: {seen_by_sender:#?}\nNL-NCP refused: {refusals}\nNL-NCP status: {status}",
                missing.len()
            );
        }
        assert_eq!(
            inbox_ids(&nl_api).await.len(),
            20,
            "nothing lost, nothing twice"
        );
        hub
    };
    let st: Value = nl_api.get("/v1/status").await.unwrap();
    assert!(
        st["sessions"].as_u64().unwrap() >= 2,
        "NL-NCP reconnected: {st}"
    );
    be.shutdown().await;
    hub.hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_validates_prints_json_and_the_api_refuses_a_wrong_token() {
    let pki = Pki::new().unwrap();
    let hub = TestHub::start(&pki, &pki.path().join("hub"), COSMO_2, "")
        .await
        .unwrap();
    let creds = pki.node("BE-NCP", Role::Member).unwrap();
    let cfg =
        write_node_config(&pki, &creds, hub.addr(), &pki.path().join("nodes/BE-NCP")).unwrap();
    let (_child, api) = spawn_node(&cfg).await;
    let cli = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--config", cfg.to_str().unwrap()]);
        std::process::Command::new(node_bin())
            .args(&all)
            .output()
            .unwrap()
    };

    // A container number with a wrong check digit: exit 2, the flag and the digit named.
    let out = cli(&[
        "send",
        "alert",
        "--to",
        "op/cosmo-2/alerts",
        "--title",
        "t",
        "--summary",
        "s",
        "--action",
        "monitor",
        "--container",
        "CSQU3054384",
        "--source-grade",
        "B",
        "--info-grade",
        "2",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--container CSQU3054384") && err.contains("expected 3"),
        "{err}"
    );

    // An unknown channel form: exit 2, names the destination.
    let out = cli(&[
        "send", "notice", "--to", "nowhere", "--title", "t", "--text", "x",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("to"));

    // A valid alert goes through; --json output parses and carries the id.
    let out = cli(&[
        "send",
        "alert",
        "--json",
        "--to",
        "op/cosmo-2/alerts",
        "--title",
        "Reefers",
        "--summary",
        "Unusual route",
        "--action",
        "monitor",
        "--container",
        "CSQU3054383",
        "--source-grade",
        "B",
        "--info-grade",
        "2",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sent: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sent["kind"], "alert");
    for cmd in [
        &["status", "--json"][..],
        &["channels", "--json"],
        &["inbox", "--json"],
    ] {
        let out = cli(cmd);
        assert!(out.status.success(), "{cmd:?}");
        let v: Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
        assert!(v.is_object() || v.is_array(), "{cmd:?}");
    }
    let status: Value = serde_json::from_slice(&cli(&["status", "--json"]).stdout).unwrap();
    assert_eq!(status["node_id"], "BE-NCP");

    // A wrong token: 401 from the API, exit 6 from the CLI.
    let wrong = ApiClient::new(api.addr(), "not-the-token".into());
    match wrong.get::<Value>("/v1/status").await {
        Err(CallError::Api { status, .. }) => assert_eq!(status, 401),
        other => panic!("expected 401, got {other:?}"),
    }
    let token = cfg.parent().unwrap().join("data/api.token");
    let real = std::fs::read(&token).unwrap();
    std::fs::write(&token, b"forged-token").unwrap();
    let out = cli(&["status"]);
    std::fs::write(&token, real).unwrap();
    assert_eq!(
        out.status.code(),
        Some(6),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    hub.hub.shutdown().await;
}

/// `taskings` flash taskings to HU-NCP, which has never connected and so has no key
/// bundle, then a routine alert to a channel BE-NCP reads, all from `sender`: the alert
/// is published and delivered while the taskings wait, each saying for whom.
async fn alert_passes_waiting_taskings(sender: &RunningNode, be: &RunningNode, taskings: usize) {
    let api = sender.api_client();
    let mut waiting = Vec::new();
    for n in 0..taskings {
        let a: Value = api
            .post("/v1/messages", &tasking("node/HU-NCP", n))
            .await
            .unwrap();
        waiting.push(a["id"].as_str().unwrap().to_owned());
    }
    let a: Value = api.post("/v1/messages", &alert(0)).await.unwrap();
    let alert_id = a["id"].as_str().unwrap().to_owned();

    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let m = sent_state(&api, &alert_id).await;
        if m["state"] == "stored" {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{}: the alert was not published behind {taskings} waiting taskings: {m}",
            sender.node_id()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    wait_inbox(&be.api_client(), &HashSet::from([alert_id]), "BE-NCP").await;
    for id in &waiting {
        let m = sent_state(&api, id).await;
        assert_eq!(m["state"], "draft", "{m}");
        let reason = m["reason"].as_str().unwrap_or_default();
        assert!(
            reason.contains("waiting for an addressee's key") && reason.contains("HU-NCP"),
            "{m}"
        );
    }
    let st: Value = api.get("/v1/status").await.unwrap();
    assert_eq!(st["outbox_depth"], taskings as u64, "{st}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn taskings_waiting_for_a_key_bundle_do_not_hold_up_an_alert_queued_behind_them() {
    let pki = Pki::new().unwrap();
    let hub = TestHub::start(&pki, &pki.path().join("hub"), COSMO_2, "")
        .await
        .unwrap();
    let be = in_process_node(&pki, &hub, "BE-NCP").await;
    // Default limits: more waiting taskings than one publish batch.
    let inflight = cordon_node::config::Limits::default().publish_inflight;
    let we = in_process_node_as(&pki, &hub, "RILO-WE", Role::Rilo, "").await;
    alert_passes_waiting_taskings(&we, &be, inflight + 6).await;
    // A batch of 4: more waiting taskings than one pass reads (16 batches), so the alert
    // is only reached by the pass that goes on where the last one stopped.
    let small = "\n[limits]\npublish_inflight = 4\n";
    let ap = in_process_node_as(&pki, &hub, "RILO-AP", Role::Rilo, small).await;
    alert_passes_waiting_taskings(&ap, &be, 4 * cordon_node::outbox::SCAN_PAGES + 6).await;
    we.shutdown().await;
    ap.shutdown().await;
    be.shutdown().await;
}

/// Reconnect quickly, so that a test sees several attempts.
const RECONNECT_FAST: &str = "\n[limits]\nreconnect_initial_ms = 100\nreconnect_max_ms = 400\n";

/// A hub and member node `id` in this process, reconnecting quickly.
async fn hub_and_fast_node(id: &str) -> (Pki, TestHub, NodeCreds, RunningNode) {
    let pki = Pki::new().unwrap();
    let hub = TestHub::start(&pki, &pki.path().join("hub"), COSMO_2, "")
        .await
        .unwrap();
    let creds = pki.node(id, Role::Member).unwrap();
    let node = in_process_node_with(&pki, &hub, &creds, RECONNECT_FAST).await;
    (pki, hub, creds, node)
}

/// Wait (at most 30 s: a node looks at its CRL files every 10 s) until `node`'s status
/// says a certificate was refused for `reason`.
async fn wait_certificate_refused(node: &RunningNode, reason: &str) -> StatusView {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let st = node.service().status().await.unwrap();
        if st.certificate_refused.as_deref() == Some(reason) {
            return st;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no refusal {reason:?} in the status: {st:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A real node daemon (its TLS client keeps a session cache and offers to resume) is
/// revoked while connected: the hub closes its session, and every reconnection is
/// refused; the node's status and log say why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_daemon_revoked_while_connected_is_closed_and_stays_out() {
    let (pki, hub, creds, nl) = hub_and_fast_node("NL-NCP").await;
    pki.revoke(&creds).unwrap();
    let report = hub.hub.reload().await;
    assert_eq!(report.revoked_sessions, vec!["NL-NCP".to_string()]);
    wait_certificate_refused(&nl, "revoked").await;
    // Three refused reconnections later, it is still out.
    let refused = "cordon_handshakes_refused_total{reason=\"revoked\"}";
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while metric_value(&hub.hub.state().metrics.render(), refused).unwrap_or(0.0) < 3.0 {
        let st = nl.service().status().await.unwrap();
        assert_eq!(st.sessions, 1, "the revoked node got back in: {st:?}");
        assert!(
            tokio::time::Instant::now() < deadline,
            "fewer than 3 refused reconnections: {st:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let st = wait_certificate_refused(&nl, "revoked").await;
    assert_eq!(st.sessions, 1, "{st:?}");
    assert_ne!(st.connection, ConnState::Connected);
    let error = st.last_error.unwrap_or_default();
    assert!(
        error.contains("revoked") && error.contains("Secretariat"),
        "says why and what to do: {error}"
    );
    assert!(hub.hub.state().sessions.is_empty());
    nl.shutdown().await;
}

/// The node checks the hub's certificate against its CRLs: once its CRL file revokes
/// the hub's certificate, the live connection is closed, and the next connection is
/// refused by the node itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_refuses_a_revoked_hub_certificate() {
    let (pki, hub, creds, be) = hub_and_fast_node("BE-NCP").await;
    pki.revoke_hub().unwrap();
    let st = wait_certificate_refused(&be, "hub-certificate-revoked").await;
    assert_eq!(st.sessions, 1, "{st:?}");
    // A new connection with these CRLs is refused at the handshake, by the node.
    let (chain, key) = creds.tls().unwrap();
    let verifier = Arc::new(HubCertVerifier::new(&pki.trust().unwrap()).unwrap());
    let connector = Connector::with_verifier(verifier, chain, key, &Default::default()).unwrap();
    let err = connector
        .connect(&target(hub.addr()))
        .await
        .expect_err("a revoked hub certificate is refused");
    assert_eq!(
        err.refusal().map(Refusal::reason).as_deref(),
        Some("hub-certificate-revoked"),
        "{err}"
    );
    be.shutdown().await;
}

/// At start a node checks its own certificate against its root and CRLs: a revoked one
/// is reported in `status` (and logged) before any hub has refused it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_reports_its_own_revoked_certificate_at_start() {
    let pki = Pki::new().unwrap();
    let creds = pki.node("HU-NCP", Role::Member).unwrap();
    pki.revoke(&creds).unwrap();
    // No hub listens there: the link only ever times out.
    let nowhere = "127.0.0.1:9".parse().unwrap();
    let cfg = write_node_config(
        &pki,
        &creds,
        nowhere,
        &pki.path().join("nodes").join("HU-NCP"),
    )
    .unwrap();
    let node = RunningNode::start(NodeConfig::load(&cfg).unwrap())
        .await
        .unwrap();
    let st = node.service().status().await.unwrap();
    assert_eq!(st.certificate_refused.as_deref(), Some("revoked"), "{st:?}");
    node.shutdown().await;
}

/// The node's store holds plaintext (drafts, the opened inbox): it and every other file
/// with secrets are created readable by the node's user only, whatever the umask of the
/// process that starts the daemon (022 is the usual default, which would leave a new
/// file readable by everyone).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_with_plaintext_or_secrets_are_0600_under_umask_022() {
    use std::os::unix::fs::PermissionsExt;

    let pki = Pki::new().unwrap();
    let hub = TestHub::start(&pki, &pki.path().join("hub"), COSMO_2, "")
        .await
        .unwrap();
    let creds = pki.node("BE-NCP", Role::Member).unwrap();
    let dir = pki.path().join("nodes").join("BE-NCP");
    let cfg = write_node_config(&pki, &creds, hub.addr(), &dir).unwrap();
    let (mut child, api) = spawn_node_with_umask(&cfg, "022").await;
    let sent: Value = api.post("/v1/messages", &alert(1)).await.unwrap();
    assert!(sent["id"].is_string(), "{sent}");
    child.kill().unwrap();
    let data = dir.join("data");
    for name in ["node.redb", "x25519.key", "api.token"] {
        let mode = std::fs::metadata(data.join(name))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "{name} has mode {mode:o}");
    }
    // Nothing else in the data directory is readable by others.
    for entry in std::fs::read_dir(&data).unwrap() {
        let entry = entry.unwrap();
        let mode = entry.metadata().unwrap().permissions().mode() & 0o777;
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(
            name == "api.addr" || mode & 0o077 == 0,
            "{name} has mode {mode:o}"
        );
    }
}

/// A node stopped right after it started stops: its CRL watcher, which may not have run
/// yet when the stop is sent, sees the stop anyway (it once waited for a change that had
/// already happened, and `shutdown` waited for it for ever). The single-threaded runtime
/// makes that order certain: the watcher first runs inside `shutdown`.
#[tokio::test]
async fn a_node_stopped_right_after_it_started_stops() {
    let pki = Pki::new().unwrap();
    let creds = pki.node("HU-NCP", Role::Member).unwrap();
    let nowhere = "127.0.0.1:9".parse().unwrap();
    let cfg = write_node_config(
        &pki,
        &creds,
        nowhere,
        &pki.path().join("nodes").join("HU-NCP"),
    )
    .unwrap();
    for _ in 0..3 {
        let node = RunningNode::start(NodeConfig::load(&cfg).unwrap())
            .await
            .unwrap();
        tokio::time::timeout(Duration::from_secs(20), node.shutdown())
            .await
            .expect("the node stops within 20 s");
    }
}
