//! The `cordon-hub` command line as a process, the way the Secretariat's operators use it:
//! the CA ceremony (`ca init`, `ca issue hub|node`, `ca revoke`), `policy check`,
//! `audit verify` and `audit checkpoint`. Certificates made by the CLI are used by a real
//! hub and load in OpenSSL; a log written by a real hub is tampered with and each kind of
//! tampering is caught at the right line, or against a signed checkpoint.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::Duration;

use cordon_common::identity::NodeIdentity;
use cordon_common::ids::Role;
use cordon_hub::ca_dir::CaDir;
use cordon_testbed::client::connect_raw;
use cordon_testbed::{policy::COSMO_2, NodeCreds, Pki, TestClient, TestHub};

/// The `cordon-hub` binary, built once per test run in the profile of this test.
///
/// Built together with this crate's library, so that Cargo resolves the features of the
/// shared dependencies as for this test; building `-p cordon-hub` alone would resolve
/// them differently and rebuild half the workspace on every run, back and forth.
fn hub_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let release = !cfg!(debug_assertions);
        let mut args = vec!["build", "-q", "-p", "cordon-hub", "-p", "cordon-testbed"];
        args.extend(["--lib", "--bin", "cordon-hub"]);
        if release {
            args.push("--release");
        }
        let status = Command::new(env!("CARGO"))
            .args(&args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("running cargo");
        assert!(status.success(), "cargo {} failed", args.join(" "));
        let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
            PathBuf::from,
        );
        let bin = target
            .join(if release { "release" } else { "debug" })
            .join("cordon-hub");
        assert!(bin.exists(), "{} was not built", bin.display());
        bin
    })
    .clone()
}

/// What a finished command said.
struct Ran {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn hub(args: &[&str]) -> Ran {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(hub_bin()).args(args).output().unwrap();
    Ran {
        ok: status.success(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// `ca issue node`, asserting what it says and the files it writes; returns the serial.
fn issue_node(ca: &Path, out: &Path, id: &str, role: &str, country: Option<&str>) -> String {
    let mut args = vec![
        "ca",
        "issue",
        "node",
        "--dir",
        s(ca),
        "--out",
        s(out),
        "--org",
        "Customs",
        "--id",
        id,
        "--role",
        role,
    ];
    if let Some(c) = country {
        args.extend(["--country", c]);
    }
    let r = hub(&args);
    assert!(r.ok, "issue {id}: {}", r.stderr);
    let crt = out.join(format!("{id}.crt"));
    let key = out.join(format!("{id}.key"));
    assert!(
        r.stdout.contains(s(&crt)),
        "names the certificate: {}",
        r.stdout
    );
    assert!(r.stdout.contains(s(&key)), "names the key: {}", r.stdout);
    #[cfg(unix)]
    assert_eq!(mode(&key), 0o600, "{id}.key");
    let serial = r
        .stdout
        .split("(serial ")
        .nth(1)
        .and_then(|t| t.split(')').next())
        .expect("prints the serial")
        .to_owned();
    assert!(!serial.is_empty() && serial.chars().all(|c| c.is_ascii_hexdigit()));
    serial
}

/// Credentials from the files the CLI wrote.
fn creds(out: &Path, id: &str) -> NodeCreds {
    let cert_path = out.join(format!("{id}.crt"));
    let der = cordon_common::pki::read_pem_certs(&cert_path).unwrap()[0].to_vec();
    NodeCreds {
        identity: NodeIdentity::from_der(&der).unwrap(),
        cert_path,
        key_path: out.join(format!("{id}.key")),
        cert_der: der,
        serial: vec![],
    }
}

/// A federation made entirely with the CLI: CA, hub certificate, nodes.
fn ceremony() -> (Pki, PathBuf, Vec<(String, String)>) {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca");
    let r = hub(&["ca", "init", "--dir", s(&ca), "--org", "Test Secretariat"]);
    assert!(r.ok, "ca init: {}", r.stderr);
    for f in ["ca.crt", "ca.key", "crl.pem"] {
        assert!(ca.join(f).exists(), "{f}");
        assert!(r.stdout.contains(s(&ca.join(f))), "names {f}: {}", r.stdout);
    }
    #[cfg(unix)]
    assert_eq!(mode(&ca.join("ca.key")), 0o600);
    // A second init over the same CA is refused (the root key is never overwritten).
    let key_before = std::fs::read(ca.join("ca.key")).unwrap();
    let again = hub(&["ca", "init", "--dir", s(&ca), "--org", "Test Secretariat"]);
    assert!(!again.ok, "a second ca init must fail");
    assert_eq!(std::fs::read(ca.join("ca.key")).unwrap(), key_before);

    let hub_out = dir.path().join("hub");
    let r = hub(&[
        "ca",
        "issue",
        "hub",
        "--dir",
        s(&ca),
        "--out",
        s(&hub_out),
        "--org",
        "Secretariat",
        "--dns",
        "localhost",
        "--ip",
        "127.0.0.1",
    ]);
    assert!(r.ok, "issue hub: {}", r.stderr);
    assert!(
        r.stdout.contains(s(&hub_out.join("hub.crt"))),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(s(&hub_out.join("hub.key"))),
        "{}",
        r.stdout
    );
    #[cfg(unix)]
    assert_eq!(mode(&hub_out.join("hub.key")), 0o600);
    // A hub certificate without a name is refused, and so is a bad role.
    let r = hub(&[
        "ca",
        "issue",
        "hub",
        "--dir",
        s(&ca),
        "--out",
        s(&hub_out),
        "--org",
        "Secretariat",
    ]);
    assert!(!r.ok && r.stderr.contains("--dns"), "{}", r.stderr);
    let nodes = dir.path().join("nodes");
    let r = hub(&[
        "ca",
        "issue",
        "node",
        "--dir",
        s(&ca),
        "--out",
        s(&nodes),
        "--org",
        "X",
        "--id",
        "BE-NCP",
        "--role",
        "admiral",
    ]);
    assert!(!r.ok && r.stderr.contains("--role"), "{}", r.stderr);

    let mut serials = Vec::new();
    for (id, role, country) in [
        ("OCU", "ocu", None),
        ("BE-NCP", "member", Some("BE")),
        ("NL-NCP", "member", Some("NL")),
        ("XX-NCP", "member", Some("FR")),
    ] {
        serials.push((id.to_owned(), issue_node(&ca, &nodes, id, role, country)));
    }
    let pki = Pki {
        ca: CaDir::open(&ca).unwrap(),
        hub_cert: hub_out.join("hub.crt"),
        hub_key: hub_out.join("hub.key"),
        dir,
    };
    (pki, nodes, serials)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ca_certificates_work_with_a_hub_and_a_revocation_shuts_the_node_out() {
    let (pki, nodes, serials) = ceremony();
    let hub_dir = pki.path().join("hub-run");
    let test_hub = TestHub::start(&pki, &hub_dir, COSMO_2, "").await.unwrap();
    let addr = test_hub.addr();
    let be = creds(&nodes, "BE-NCP");
    let nl = creds(&nodes, "NL-NCP");
    assert_eq!(nl.identity.node_id.as_str(), "NL-NCP");
    assert_eq!(nl.identity.role, Role::Member);
    assert_eq!(nl.identity.country.as_deref(), Some("NL"));
    let nl_session = connect_raw(&pki, &nl, addr).await.unwrap();
    let mut be_client = TestClient::connect(&pki, &be, addr, false).await.unwrap();

    let r = hub(&[
        "ca",
        "revoke",
        "--dir",
        s(&pki.path().join("ca")),
        "--cert",
        s(&nl.cert_path),
    ]);
    assert!(r.ok, "revoke: {}", r.stderr);
    let nl_serial = &serials.iter().find(|(id, _)| id == "NL-NCP").unwrap().1;
    assert!(
        r.stdout.contains(&format!("revoked serial {nl_serial}")),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(s(&pki.crl_path())),
        "names the CRL: {}",
        r.stdout
    );
    let crl = cordon_common::pki::read_pem_crls(&pki.crl_path()).unwrap();
    assert_eq!(crl.len(), 1);

    // The hub takes the new CRL (here on an explicit reload; the file watcher and SIGHUP
    // do the same): the live session is closed, new connections are refused.
    let report = test_hub.hub.reload().await;
    assert!(report.crls_reloaded, "{:?}", report.crl_error);
    assert_eq!(report.revoked_sessions, vec!["NL-NCP".to_owned()]);
    tokio::time::timeout(Duration::from_secs(5), nl_session.connection().closed())
        .await
        .expect("the revoked node's session is closed");
    assert!(
        connect_raw(&pki, &nl, addr).await.is_err(),
        "revoked node refused"
    );
    // Everyone else is unaffected.
    be_client.session.ping(7).await.unwrap();
    connect_raw(&pki, &creds(&nodes, "OCU"), addr)
        .await
        .unwrap()
        .close();

    // Revoking by serial works too, and is idempotent on the CRL.
    let r = hub(&[
        "ca",
        "revoke",
        "--dir",
        s(&pki.path().join("ca")),
        "--serial",
        nl_serial,
    ]);
    assert!(r.ok, "{}", r.stderr);
    let r = hub(&[
        "ca",
        "revoke",
        "--dir",
        s(&pki.path().join("ca")),
        "--serial",
        "zz",
    ]);
    assert!(!r.ok && r.stderr.contains("hexadecimal"), "{}", r.stderr);
    test_hub.hub.shutdown().await;
}

#[test]
fn policy_check_prints_the_matrix_and_names_the_line_of_a_mistake() {
    let (pki, nodes, _) = ceremony();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../certs-example/policy.toml");
    let r = hub(&[
        "policy",
        "check",
        "--policy",
        s(&example),
        "--certs",
        s(&nodes),
    ]);
    assert!(r.ok, "{}", r.stderr);
    assert!(r.stdout.contains("policy.toml: OK"), "{}", r.stdout);
    assert!(r.stdout.contains("operation cosmo-2"), "{}", r.stdout);
    let row = |id: &str| {
        r.stdout
            .lines()
            .find(|l| l.trim_start().starts_with(id))
            .unwrap_or_else(|| panic!("no row for {id}:\n{}", r.stdout))
            .to_owned()
    };
    for id in ["OCU", "BE-NCP", "NL-NCP", "XX-NCP"] {
        row(id);
    }
    assert!(row("BE-NCP").contains("op/cosmo-2/alerts") && row("BE-NCP").contains("yes"));
    assert!(
        row("XX-NCP").contains("not a participant"),
        "{}",
        row("XX-NCP")
    );
    // Only the OCU may publish notices.
    let notice_rows: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.contains("op/cosmo-2/notices"))
        .collect();
    assert_eq!(notice_rows.len(), 3, "{notice_rows:?}");
    assert_eq!(
        notice_rows.iter().filter(|l| l.ends_with("notice")).count(),
        1,
        "{notice_rows:?}"
    );

    // A broken file: non-zero exit, file and line in the message.
    let text = std::fs::read_to_string(&example).unwrap();
    let broken = text.replacen(
        "name = \"alerts\"",
        "name = \"alerts\"\nrede = { participants = true }",
        1,
    );
    assert_ne!(broken, text);
    let line = broken.lines().position(|l| l.starts_with("rede")).unwrap() + 1;
    let bad = pki.path().join("broken-policy.toml");
    std::fs::write(&bad, broken).unwrap();
    let r = hub(&["policy", "check", "--policy", s(&bad)]);
    assert!(!r.ok);
    assert!(
        r.stderr.contains(&format!("broken-policy.toml:{line}:")),
        "names file and line {line}: {}",
        r.stderr
    );
    // A notice granted to a non-OCU role is refused at load, with its line.
    let widened = text.replacen(
        "kinds = [\"notice\"]\nby = { roles = [\"ocu\"] }",
        "kinds = [\"notice\"]\nby = { roles = [\"ocu\", \"rilo\"] }",
        1,
    );
    assert_ne!(widened, text);
    let line = widened
        .lines()
        .position(|l| l.contains("roles = [\"ocu\", \"rilo\"] }") && l.starts_with("by"))
        .unwrap()
        + 1;
    std::fs::write(&bad, widened).unwrap();
    let r = hub(&["policy", "check", "--policy", s(&bad)]);
    assert!(!r.ok);
    // The location is the rule: its `kinds` line or its `by` line.
    assert!(
        (r.stderr
            .contains(&format!("broken-policy.toml:{}:", line - 1))
            || r.stderr.contains(&format!("broken-policy.toml:{line}:")))
            && r.stderr.contains("notice may only be granted to roles ocu"),
        "names the file, the rule's line and the reason: {}",
        r.stderr
    );
    // A tasking granted to every participant: recipients would refuse it from a member
    // (forbidden-sender), so the policy is refused, naming the rule's line and the rule.
    let tasking_rule = "kinds = [\"tasking\"]\nby = { roles = [\"ocu\", \"rilo\"] }";
    assert!(text.contains(tasking_rule));
    let widened = text.replacen(
        tasking_rule,
        "kinds = [\"tasking\"]\nby = { participants = true }",
        1,
    );
    let line = widened
        .lines()
        .position(|l| l == "kinds = [\"tasking\"]")
        .unwrap()
        + 1;
    std::fs::write(&bad, widened).unwrap();
    let r = hub(&["policy", "check", "--policy", s(&bad)]);
    assert!(!r.ok, "{}", r.stdout);
    assert!(
        r.stderr.contains(&format!("broken-policy.toml:{line}:"))
            && r.stderr
                .contains("tasking may only be granted to roles ocu or rilo")
            && r.stderr.contains("forbidden-sender"),
        "names the file, the rule's line and the rule: {}",
        r.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_verify_passes_a_real_log_and_names_the_first_bad_record() {
    let pki = Pki::new().unwrap();
    let hub_dir = pki.path().join("hub-run");
    let test_hub = TestHub::start(&pki, &hub_dir, COSMO_2, "").await.unwrap();
    let addr = test_hub.addr();
    for (id, role) in [("BE-NCP", Role::Member), ("OCU", Role::Ocu)] {
        let c = TestClient::connect(&pki, &pki.node(id, role).unwrap(), addr, true)
            .await
            .unwrap();
        c.session.close();
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let config = test_hub.config_path.clone();
    let log_path = test_hub.hub.state().config.audit_path();
    test_hub.hub.shutdown().await;

    let good = std::fs::read_to_string(&log_path).unwrap();
    let lines: Vec<&str> = good.lines().collect();
    assert!(lines.len() >= 6, "a short log: {good}");
    let r = hub(&["audit", "verify", "--log", s(&log_path)]);
    assert!(r.ok, "{}", r.stderr);
    assert!(
        r.stdout.contains(&format!("OK, {} records", lines.len())),
        "{}",
        r.stdout
    );
    let r = hub(&["audit", "verify", "--config", s(&config)]);
    assert!(r.ok, "{}", r.stderr);
    assert!(
        r.stdout.contains("matches the head recorded in the store"),
        "{}",
        r.stdout
    );

    let verify_copy = |name: &str, new_lines: Vec<String>| -> Ran {
        let path = pki.path().join(name);
        std::fs::write(&path, new_lines.join("\n") + "\n").unwrap();
        hub(&["audit", "verify", "--log", s(&path)])
    };
    let owned: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();

    // Edit line 3: a different node, still valid JSON.
    let mut edited = owned.clone();
    let k = 3;
    let target = edited[k - 1].clone();
    let changed = if target.contains("\"node\":\"") {
        target.replacen("\"node\":\"", "\"node\":\"X", 1)
    } else {
        target.replacen("\"at\":\"2", "\"at\":\"1", 1)
    };
    assert_ne!(changed, target);
    edited[k - 1] = changed;
    let r = verify_copy("edited.log", edited);
    assert!(!r.ok);
    assert!(
        r.stderr
            .contains(&format!("line {k} (seq {k}): the record was edited")),
        "{}",
        r.stderr
    );

    // Delete line 4: line 4 now holds seq 5.
    let mut deleted = owned.clone();
    deleted.remove(3);
    let r = verify_copy("deleted.log", deleted);
    assert!(!r.ok);
    assert!(
        r.stderr.contains("line 4: found seq 5 where seq 4 belongs"),
        "{}",
        r.stderr
    );

    // Swap lines 2 and 3.
    let mut swapped = owned.clone();
    swapped.swap(1, 2);
    let r = verify_copy("swapped.log", swapped);
    assert!(!r.ok);
    assert!(
        r.stderr.contains("line 2: found seq 3 where seq 2 belongs"),
        "{}",
        r.stderr
    );

    // Renumbered after a deletion (seq and prev fixed up, hash recomputed impossible
    // without rewriting every later record): caught as a broken chain or an edit.
    let mut renumbered = owned.clone();
    renumbered.remove(3);
    renumbered[3] = renumbered[3].replacen("\"seq\":5", "\"seq\":4", 1);
    let r = verify_copy("renumbered.log", renumbered);
    assert!(!r.ok);
    assert!(r.stderr.contains("line 4"), "{}", r.stderr);

    // The last record removed: the chain alone is intact, but the head the hub recorded
    // in its store catches it (`--config` reads it).
    let mut cut = owned;
    cut.pop();
    std::fs::write(&log_path, cut.join("\n") + "\n").unwrap();
    let r = hub(&["audit", "verify", "--log", s(&log_path)]);
    assert!(r.ok, "a shorter chain is still a chain: {}", r.stderr);
    let r = hub(&["audit", "verify", "--config", s(&config)]);
    assert!(!r.ok);
    assert!(r.stderr.contains("removed from the end"), "{}", r.stderr);
}

/// A signed checkpoint kept away from the hub catches what the hub's own store cannot:
/// someone who rewrites both the log and the store. `audit checkpoint` signs the log's
/// head with the hub's key; `audit verify --checkpoint` checks the signature against the
/// federation root and that the log still holds that record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_checkpoint_catches_a_shortened_or_rewritten_log_and_a_forged_signature() {
    use cordon_hub::audit::{AuditEvent, AuditLog, Checkpoint};

    let pki = Pki::new().unwrap();
    let hub_dir = pki.path().join("hub-run");
    let test_hub = TestHub::start(&pki, &hub_dir, COSMO_2, "").await.unwrap();
    let c = TestClient::connect(
        &pki,
        &pki.node("BE-NCP", Role::Member).unwrap(),
        test_hub.addr(),
        true,
    )
    .await
    .unwrap();
    c.session.close();
    let config = test_hub.config_path.clone();
    let log_path = test_hub.hub.state().config.audit_path();
    test_hub.hub.shutdown().await;
    let root = pki.root_path();

    let cp_path = pki.path().join("checkpoint.txt");
    let r = hub(&[
        "audit",
        "checkpoint",
        "--config",
        s(&config),
        "--out",
        s(&cp_path),
    ]);
    assert!(r.ok, "{}", r.stderr);
    let cp_text = std::fs::read_to_string(&cp_path).unwrap();
    let cp = Checkpoint::parse(&cp_text).unwrap();
    let good = std::fs::read_to_string(&log_path).unwrap();
    let lines: Vec<&str> = good.lines().collect();
    assert_eq!(cp.head.seq, lines.len() as u64, "{cp_text}");
    // Without --out it prints the same form.
    let printed = hub(&["audit", "checkpoint", "--config", s(&config)]);
    assert!(printed.ok, "{}", printed.stderr);
    Checkpoint::parse(&printed.stdout).unwrap();

    // The intact log passes, with the root from the config or given alone.
    let r = hub(&[
        "audit",
        "verify",
        "--config",
        s(&config),
        "--checkpoint",
        s(&cp_path),
    ]);
    assert!(r.ok, "{}", r.stderr);
    assert!(
        r.stdout
            .contains(&format!("the log holds seq {} with hash", cp.head.seq)),
        "{}",
        r.stdout
    );
    let check = |log: &Path, checkpoint: &Path| {
        hub(&[
            "audit",
            "verify",
            "--log",
            s(log),
            "--root",
            s(&root),
            "--checkpoint",
            s(checkpoint),
        ])
    };
    assert!(check(&log_path, &cp_path).ok);

    // Shortened: the last record cut (the chain of what is left is intact).
    let cut_path = pki.path().join("cut.log");
    std::fs::write(&cut_path, lines[..lines.len() - 1].join("\n") + "\n").unwrap();
    let r = check(&cut_path, &cp_path);
    assert!(!r.ok);
    assert!(
        r.stderr.contains("does NOT match checkpoint")
            && r.stderr.contains(&format!(
                "the log ends at seq {} but the hub recorded seq {}",
                lines.len() - 1,
                lines.len()
            )),
        "{}",
        r.stderr
    );

    // Rewritten: a whole new valid chain of the same length (what someone who can also
    // rewrite the store would leave).
    let forged_path = pki.path().join("forged.log");
    {
        let mut log = AuditLog::open(&forged_path).unwrap();
        for _ in 0..lines.len() {
            log.append(AuditEvent::HubStopped).unwrap();
        }
        log.sync().unwrap();
    }
    let r = check(&forged_path, &cp_path);
    assert!(!r.ok);
    assert!(r.stderr.contains("the log was rewritten"), "{}", r.stderr);

    // A forged checkpoint: moved to the record before, keeping the hub's signature.
    let prev_hash = lines[lines.len() - 2]
        .rsplit("\"hash\":\"")
        .next()
        .unwrap()
        .trim_end_matches("\"}")
        .to_owned();
    let moved = cp_text
        .replacen(
            &format!("seq {}\n", cp.head.seq),
            &format!("seq {}\n", cp.head.seq - 1),
            1,
        )
        .replacen(&cp.head.hash.to_hex(), &prev_hash, 1);
    assert_ne!(moved, cp_text);
    let moved_path = pki.path().join("moved.txt");
    std::fs::write(&moved_path, moved).unwrap();
    let r = check(&cut_path, &moved_path);
    assert!(!r.ok);
    assert!(
        r.stderr.contains("signature does not verify"),
        "{}",
        r.stderr
    );

    // Signed by a node's key instead of the hub's: not a hub certificate.
    let be = pki.node("BE-NCP", Role::Member).unwrap();
    let now_ms = cordon_hub::state::now_ms();
    let by_node =
        Checkpoint::sign(cp.head, now_ms, &be.cert_der, &be.identity_key().unwrap()).unwrap();
    let by_node_path = pki.path().join("by-node.txt");
    std::fs::write(&by_node_path, by_node.to_text()).unwrap();
    let r = check(&log_path, &by_node_path);
    assert!(!r.ok);
    assert!(
        r.stderr.contains("hub certificate is not trusted"),
        "{}",
        r.stderr
    );
}

/// `openssl <args…>`, its stdout; panics with its stderr if it fails.
fn openssl(args: &[&str]) -> String {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("the openssl command line (the tests need it; see .ci/run)");
    assert!(
        out.status.success(),
        "openssl {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Keys written by `ca init` and `ca issue` are PKCS#8 as OpenSSL writes it (v1), so
/// OpenSSL 3 (and Python's `cryptography`) load them: each key loads, and its public key
/// is the one in its certificate. Ed25519 (the default) and P-256 both.
#[test]
fn keys_written_by_the_ca_load_in_openssl() {
    let (pki, nodes, _) = ceremony();
    let ca = pki.path().join("ca");
    let p256 = pki.path().join("p256");
    let r = hub(&[
        "ca",
        "issue",
        "node",
        "--dir",
        s(&ca),
        "--out",
        s(&p256),
        "--org",
        "Customs",
        "--id",
        "HU-NCP",
        "--role",
        "member",
        "--alg",
        "p256",
    ]);
    assert!(r.ok, "{}", r.stderr);
    for (key, crt) in [
        (ca.join("ca.key"), ca.join("ca.crt")),
        (pki.hub_key.clone(), pki.hub_cert.clone()),
        (nodes.join("BE-NCP.key"), nodes.join("BE-NCP.crt")),
        (p256.join("HU-NCP.key"), p256.join("HU-NCP.crt")),
    ] {
        let from_key = openssl(&["pkey", "-in", s(&key), "-pubout"]);
        let from_cert = openssl(&["x509", "-in", s(&crt), "-pubkey", "-noout"]);
        assert_eq!(from_key, from_cert, "{}", key.display());
    }
    // What the hub reads: v1 as written here, and v2 as older versions wrote it.
    let v2 =
        ring::signature::Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
    cordon_common::pki::IdentityKey::from_pkcs8_der(v2.as_ref()).unwrap();
    cordon_common::pki::IdentityKey::load(&nodes.join("BE-NCP.key")).unwrap();
}
