//! The inbox as officers and the console see it, on a node daemon whose store holds 120
//! realistic messages: newest first through the API with pages by `before`, followers
//! oldest first by `after`, a container search, refused parameters, and the command
//! line's newest-first table with its "… N more: --before SEQ" line.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use cordon_common::ids::Role;
use cordon_node::api_client::{ApiClient, CallError};
use cordon_node::{NodeConfig, RunningNode};
use cordon_testbed::federation::write_node_config;
use cordon_testbed::inbox_fill::{fill, NEEDLE_CONTAINER, NEEDLE_COUNT};
use cordon_testbed::process::binary;
use cordon_testbed::Pki;
use serde_json::Value;

const MESSAGES: u64 = 120;

fn seqs(page: &Value) -> Vec<u64> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["seq"].as_u64().unwrap())
        .collect()
}

async fn refused(api: &ApiClient, path: &str) -> String {
    match api.get::<Value>(path).await {
        Err(CallError::Api { status: 400, error }) => error.field.unwrap_or_default(),
        other => panic!("{path}: {other:?}"),
    }
}

/// `cordon-node inbox ARGS --config CFG`: its exit code and standard output.
fn cli(cfg: &Path, args: &[&str]) -> (Option<i32>, String) {
    let out = std::process::Command::new(binary("cordon-node", "cordon-node").unwrap())
        .arg("inbox")
        .args(args)
        .args(["--config", cfg.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), String::from_utf8(out.stdout).unwrap())
}

/// The SEQ column of a table's rows (after its header), and its last line.
fn table_seqs(out: &str) -> (Vec<u64>, String) {
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("SEQ"), "{out}");
    let rows = lines[1..]
        .iter()
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect();
    (rows, lines.last().unwrap().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inbox_lists_newest_first_in_pages_and_the_command_line_says_how_many_more() {
    let pki = Pki::new().unwrap();
    let creds = pki.node("NL-NCP", Role::Member).unwrap();
    let dir = pki.path().join("nodes/NL-NCP");
    // No hub answers there: the inbox is what the store holds.
    let cfg = write_node_config(&pki, &creds, "127.0.0.1:9".parse().unwrap(), &dir).unwrap();
    let config = NodeConfig::load(&cfg).unwrap();
    std::fs::create_dir_all(&config.data_dir).unwrap();
    fill(&config.store_path(), MESSAGES, 50, 1).unwrap();
    let node = RunningNode::start(config).await.unwrap();
    let api = node.api_client();

    let page: Value = api.get("/v1/inbox?limit=10").await.unwrap();
    assert_eq!(seqs(&page), (111..=120).rev().collect::<Vec<_>>());
    assert_eq!(page["order"], "newest-first");
    assert_eq!(page["more"], true);
    assert_eq!(page["next_before"], 111);
    assert_eq!(page["next_after"], MESSAGES);
    assert_eq!(page["counts"]["total"], MESSAGES);
    assert!(page.get("remaining").is_none(), "counted only when asked");
    let page: Value = api
        .get("/v1/inbox?limit=10&before=111&count=true")
        .await
        .unwrap();
    assert_eq!(seqs(&page), (101..=110).rev().collect::<Vec<_>>());
    assert_eq!(page["remaining"], 100);
    // The last page: nothing more, no next page.
    let page: Value = api.get("/v1/inbox?limit=10&before=4").await.unwrap();
    assert_eq!(
        (seqs(&page), &page["more"]),
        (vec![3, 2, 1], &Value::Bool(false))
    );
    assert_eq!(page["next_before"], Value::Null);
    // Followers read oldest first, after a sequence, as before.
    let page: Value = api.get("/v1/inbox?after=115&limit=10").await.unwrap();
    assert_eq!(seqs(&page), vec![116, 117, 118, 119, 120]);
    assert_eq!(
        (&page["order"], &page["next_after"]),
        (&"oldest-first".into(), &MESSAGES.into())
    );
    // A container in few messages, spread over the inbox: found, newest first.
    let page: Value = api
        .get(&format!(
            "/v1/inbox?container={}",
            NEEDLE_CONTAINER.to_lowercase()
        ))
        .await
        .unwrap();
    let found = seqs(&page);
    assert_eq!(found.len() as u64, NEEDLE_COUNT, "{page}");
    assert!(found.windows(2).all(|w| w[0] > w[1]), "{found:?}");
    // Refused, with the parameter named.
    assert_eq!(refused(&api, "/v1/inbox?contianer=X").await, "contianer");
    assert_eq!(refused(&api, "/v1/inbox?wait=5").await, "wait");
    assert_eq!(refused(&api, "/v1/inbox?before=5&after=1").await, "before");
    assert_eq!(refused(&api, "/v1/inbox?text=%20").await, "text");

    // The command line: the newest first, and how to see the rest.
    let (code, out) = cli(&cfg, &["--limit", "5"]);
    assert_eq!(code, Some(0), "{out}");
    let (rows, last) = table_seqs(&out);
    assert_eq!(rows, vec![120, 119, 118, 117, 116]);
    assert_eq!(last, "… 115 more: --before 116");
    let (_, out) = cli(&cfg, &["--limit", "5", "--before", "116"]);
    let (rows, last) = table_seqs(&out);
    assert_eq!(rows, vec![115, 114, 113, 112, 111]);
    assert_eq!(last, "… 110 more: --before 111");
    let (_, out) = cli(&cfg, &["--container", NEEDLE_CONTAINER]);
    let (rows, last) = table_seqs(&out);
    assert_eq!(rows, found);
    assert!(!last.contains("more"), "{out}");
    let (_, out) = cli(&cfg, &["--limit", "2", "--json"]);
    let page: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (seqs(&page), &page["remaining"]),
        (vec![120, 119], &Value::from(118))
    );
    node.shutdown().await;
}
