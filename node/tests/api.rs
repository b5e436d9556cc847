//! The local API of a node started in-process, with no hub reachable: authentication,
//! field errors, durable drafts across a restart.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use cordon_common::identity::KeyAlgorithm;
use cordon_common::ids::{MessageId, Role};
use cordon_common::testkit::Kit;
use cordon_node::api_client::{ApiClient, CallError};
use cordon_node::config::NodeConfig;
use cordon_node::daemon::RunningNode;
use cordon_node::service::{SendAccepted, Shown, StatusView};
use cordon_node::state::ConnState;
use serde_json::{json, Value};

fn write_node(dir: &Path) -> NodeConfig {
    let kit = Kit::new(KeyAlgorithm::Ed25519).unwrap();
    let n = kit
        .node("BE-NCP", Role::Member, KeyAlgorithm::Ed25519)
        .unwrap();
    let crl = kit.ca.crl_pem(&[], 1, 7).unwrap();
    std::fs::write(dir.join("node.crt"), &n.cert_pem).unwrap();
    cordon_common::pki::write_secret_file(&dir.join("node.key"), n.key_pem.as_bytes()).unwrap();
    std::fs::write(dir.join("ca.crt"), kit.ca.cert_pem()).unwrap();
    std::fs::write(dir.join("crl.pem"), crl).unwrap();
    // Port 9 on loopback: nothing answers, the link keeps retrying.
    let text = r#"
[node]
data_dir = "data"
[hub]
addr = "127.0.0.1:9"
server_name = "localhost"
[tls]
cert = "node.crt"
key = "node.key"
root = "ca.crt"
crls = ["crl.pem"]
[api]
listen = "127.0.0.1:0"
[limits]
reconnect_initial_ms = 50
reconnect_max_ms = 200
connect_timeout_ms = 300
"#;
    let path = dir.join("node.toml");
    std::fs::write(&path, text).unwrap();
    NodeConfig::load(&path).unwrap()
}

fn alert(containers: Value) -> Value {
    json!({
        "kind": "alert",
        "to": ["op/cosmo-2/alerts"],
        "priority": "urgent",
        "body": {
            "title": "Cocaine in banana reefers",
            "summary": "New consignee; unusual route.",
            "action": "inspect",
            "containers": containers,
            "grading": {"source": "B", "information": 2}
        }
    })
}

fn api_error(e: CallError) -> (u16, String, Option<String>) {
    match e {
        CallError::Api { status, error } => (status, error.code, error.field),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_token_field_errors_and_durable_drafts() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_node(dir.path());
    let node = RunningNode::start(config.clone()).await.unwrap();
    let data = dir.path().join("data");

    // The files the CLI needs, with the token owner-only.
    use std::os::unix::fs::PermissionsExt;
    let mode = |f: &str| {
        std::fs::metadata(data.join(f))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("api.token"), 0o600);
    assert_eq!(mode("x25519.key"), 0o600);
    let api = ApiClient::from_data_dir(&data).unwrap();
    assert_eq!(api.addr(), node.api_addr());

    // A wrong token: 401.
    let wrong = ApiClient::new(node.api_addr(), "0".repeat(64));
    let (status, code, _) = api_error(wrong.get::<Value>("/v1/status").await.unwrap_err());
    assert_eq!((status, code.as_str()), (401, "unauthorized"));

    // Status without a hub.
    let st: StatusView = api.get("/v1/status").await.unwrap();
    assert_eq!(st.node_id.as_str(), "BE-NCP");
    assert_ne!(st.connection, ConnState::Connected);
    assert_eq!(st.outbox_depth, 0);

    // Field errors.
    let (status, code, field) = api_error(
        api.post::<_, Value>(
            "/v1/messages",
            &alert(json!(["CSQU3054383", "MWCU6059785"])),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!((status, code.as_str()), (400, "invalid"));
    assert_eq!(field.as_deref(), Some("body.containers[1]"));
    let mut bad = alert(json!(["CSQU3054383"]));
    bad["tlp"] = json!("amber");
    let (_, _, field) = api_error(
        api.post::<_, Value>("/v1/messages", &bad)
            .await
            .unwrap_err(),
    );
    assert_eq!(field.as_deref(), Some("tlp"));
    let mut bad = alert(json!(["CSQU3054383"]));
    bad["priorty"] = json!("flash");
    let (status, _, field) = api_error(
        api.post::<_, Value>("/v1/messages", &bad)
            .await
            .unwrap_err(),
    );
    assert_eq!((status, field.as_deref()), (400, Some("priorty")));
    // A value of the wrong type names its own field, at any depth.
    for (path, value, named) in [
        (&["expires_in_hours"][..], json!("soon"), "expires_in_hours"),
        (
            &["body", "grading", "information"][..],
            json!("two"),
            "body.grading.information",
        ),
        (
            &["body", "containers"][..],
            json!([42]),
            "body.containers[0]",
        ),
        (&["body", "title"][..], json!(["a", "list"]), "body.title"),
    ] {
        let mut bad = alert(json!(["CSQU3054383"]));
        let mut at = &mut bad;
        for key in &path[..path.len() - 1] {
            at = &mut at[*key];
        }
        at[path[path.len() - 1]] = value;
        let (status, code, field) = api_error(
            api.post::<_, Value>("/v1/messages", &bad)
                .await
                .unwrap_err(),
        );
        assert_eq!((status, code.as_str()), (400, "invalid"));
        assert_eq!(field.as_deref(), Some(named));
    }
    let (status, _, field) = api_error(
        api.get::<Value>("/v1/inbox?kind=warning")
            .await
            .unwrap_err(),
    );
    assert_eq!((status, field.as_deref()), (400, Some("kind")));
    let (status, code, _) = api_error(
        api.get::<Value>(&format!("/v1/messages/{}", MessageId::new_v7()))
            .await
            .unwrap_err(),
    );
    assert_eq!((status, code.as_str()), (404, "not-found"));
    let (status, _, _) = api_error(
        api.call::<Value>(hyper::Method::DELETE, "/v1/status", None, Duration::ZERO)
            .await
            .unwrap_err(),
    );
    assert_eq!(status, 405);

    // A good alert is accepted at once and waits in the outbox (no hub).
    let accepted: SendAccepted = api
        .post("/v1/messages", &alert(json!(["CSQU3054383"])))
        .await
        .unwrap();
    assert_eq!(accepted.state, "draft");
    let st: StatusView = api.get("/v1/status").await.unwrap();
    assert_eq!(st.outbox_depth, 1);
    let (status, code, _) = api_error(
        api.post::<_, Value>(&format!("/v1/messages/{}/ack", accepted.id), &json!({}))
            .await
            .unwrap_err(),
    );
    assert_eq!((status, code.as_str()), (409, "conflict"));
    node.shutdown().await;
    assert!(!data.join("api.addr").exists());

    // Restarted: the draft survived, unchanged.
    let node = RunningNode::start(config).await.unwrap();
    let api = node.api_client();
    match api
        .get::<Shown>(&format!("/v1/messages/{}", accepted.id))
        .await
        .unwrap()
    {
        Shown::Sent(v) => {
            assert_eq!(v.state, "draft");
            assert_eq!(v.body["containers"], json!(["CSQU3054383"]));
            assert!(v.receipts.recipients.is_empty());
        }
        other => panic!("{other:?}"),
    }
    let st = node.service().status().await.unwrap();
    assert_eq!(st.outbox_depth, 1);
    assert!(st.last_error.is_some() || st.connection == ConnState::Connecting);
    node.shutdown().await;
}
