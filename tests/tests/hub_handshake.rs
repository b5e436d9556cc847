//! Who gets in: mutual TLS over real QUIC on 127.0.0.1. Every refusal happens at the
//! handshake and is counted by reason; a CRL reloaded while a node is connected closes
//! its session and leaves the others up. After the handshake: no `Hello` within the
//! first-frame timeout, another frame first, or a frame out of place closes that
//! connection with the code of PROTOCOL.md; connections above the limit are refused.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use cordon_common::identity::KeyAlgorithm;
use cordon_common::ids::Role;
use cordon_common::pki::Validity;
use cordon_common::quic::{read_frame, write_frame};
use cordon_common::wire::{ErrorCode, Frame, Hello, Ping, DEFAULT_MAX_FRAME};
use cordon_testbed::client::{connect_quic, connect_raw, connector, target};
use cordon_testbed::{metric_value, policy::COSMO_2, Pki, TestClient, TestHub};

async fn refused_count(hub: &TestHub, reason: &str) -> u64 {
    let name = format!("cordon_handshakes_refused_total{{reason=\"{reason}\"}}");
    for _ in 0..50 {
        let text = hub.hub.state().metrics.render();
        if let Some(v) = metric_value(&text, &name) {
            return v as u64;
        }
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    0
}

/// The connection was closed by the hub with `code`.
fn assert_closed_with(closed: quinn::ConnectionError, code: ErrorCode) {
    match closed {
        quinn::ConnectionError::ApplicationClosed(c) => {
            assert_eq!(u64::from(c.error_code), u64::from(code.as_u16()), "{c:?}");
        }
        other => panic!("unexpected close: {other}"),
    }
}

/// Wait (at most 10 s) for the hub to close `conn`.
async fn hub_closes(conn: &quinn::Connection) -> quinn::ConnectionError {
    tokio::time::timeout(Duration::from_secs(10), conn.closed())
        .await
        .expect("the hub closes the connection")
}

async fn hub(pki: &Pki) -> TestHub {
    TestHub::start(pki, &pki.path().join("hub-run"), COSMO_2, "")
        .await
        .unwrap()
}

#[tokio::test]
async fn a_profile_certificate_gets_in_and_sees_its_identity() {
    let pki = Pki::new().unwrap();
    let hub = hub(&pki).await;
    let be = pki.node("BE-NCP", Role::Member).unwrap();
    let s = connect_raw(&pki, &be, hub.addr()).await.unwrap();
    let w = s.welcome();
    assert_eq!(w.node_id.as_str(), "BE-NCP");
    assert_eq!(w.country.as_deref(), Some("BE"));
    assert_eq!(w.fingerprint, be.identity.fingerprint);
    assert!(w
        .grants
        .iter()
        .any(|g| g.channel.as_str() == "op/cosmo-2/alerts" && g.read));
    // Members may not publish notices.
    let notices = w
        .grants
        .iter()
        .find(|g| g.channel.as_str() == "op/cosmo-2/notices")
        .unwrap();
    assert!(notices.read && notices.publish.is_empty());
}

#[tokio::test]
async fn another_ca_is_refused() {
    let pki = Pki::new().unwrap();
    let other = Pki::new().unwrap();
    let hub = hub(&pki).await;
    let stranger = other.node("BE-NCP", Role::Member).unwrap();
    // The stranger trusts our root for the hub's certificate, but its own is foreign.
    let (chain, key) = stranger.tls().unwrap();
    let connector =
        cordon_node::client::Connector::new(&pki.roots().unwrap(), chain, key, &Default::default())
            .unwrap();
    let target = cordon_node::client::HubTarget {
        addr: hub.addr(),
        server_name: "localhost".into(),
    };
    assert!(connector.connect(&target).await.is_err());
    assert_eq!(refused_count(&hub, "unknown-ca").await, 1);
}

#[tokio::test]
async fn expired_certificate_is_refused() {
    let pki = Pki::new().unwrap();
    let hub = hub(&pki).await;
    let past = time::OffsetDateTime::now_utc() - time::Duration::days(2);
    let old = pki
        .node_with(
            "HU-NCP",
            Role::Member,
            KeyAlgorithm::Ed25519,
            Validity {
                not_before: past - time::Duration::days(10),
                not_after: past,
            },
        )
        .unwrap();
    assert!(connect_raw(&pki, &old, hub.addr()).await.is_err());
    assert_eq!(refused_count(&hub, "expired").await, 1);
}

#[tokio::test]
async fn revoked_at_start_is_refused() {
    let pki = Pki::new().unwrap();
    let nl = pki.node("NL-NCP", Role::Member).unwrap();
    pki.revoke(&nl).unwrap();
    let hub = hub(&pki).await;
    assert!(connect_raw(&pki, &nl, hub.addr()).await.is_err());
    assert_eq!(refused_count(&hub, "revoked").await, 1);
    // Someone else still gets in.
    let be = pki.node("BE-NCP", Role::Member).unwrap();
    connect_raw(&pki, &be, hub.addr()).await.unwrap();
}

#[tokio::test]
async fn certificate_without_client_auth_is_refused() {
    let pki = Pki::new().unwrap();
    let hub = hub(&pki).await;
    let no_eku = pki
        .custom_node("BE-NCP", |p| {
            p.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth]
        })
        .unwrap();
    assert!(connect_raw(&pki, &no_eku, hub.addr()).await.is_err());
    assert_eq!(refused_count(&hub, "wrong-usage").await, 1);
}

/// webpki accepts a certificate with no extended key usage extension at all; the node
/// profile requires one that names clientAuth.
#[tokio::test]
async fn certificate_without_any_extended_key_usage_is_refused() {
    let pki = Pki::new().unwrap();
    let hub = hub(&pki).await;
    let no_eku = pki
        .custom_node("BE-NCP", |p| p.extended_key_usages.clear())
        .unwrap();
    assert!(connect_raw(&pki, &no_eku, hub.addr()).await.is_err());
    assert_eq!(refused_count(&hub, "wrong-usage").await, 1);
    // The same CA's profile certificate still gets in.
    let nl = pki.node("NL-NCP", Role::Member).unwrap();
    connect_raw(&pki, &nl, hub.addr()).await.unwrap();
}

#[tokio::test]
async fn certificate_without_san_uri_is_refused() {
    let pki = Pki::new().unwrap();
    let hub = hub(&pki).await;
    let no_uri = pki
        .custom_node("BE-NCP", |p| p.subject_alt_names.clear())
        .unwrap();
    assert!(connect_raw(&pki, &no_uri, hub.addr()).await.is_err());
    assert_eq!(refused_count(&hub, "bad-profile").await, 1);
}

#[tokio::test]
async fn no_client_certificate_is_refused() {
    let pki = Pki::new().unwrap();
    let hub = hub(&pki).await;
    let mut roots = rustls::RootCertStore::empty();
    for r in pki.roots().unwrap() {
        roots.add(r).unwrap();
    }
    let mut tls =
        rustls::ClientConfig::builder_with_provider(cordon_common::quic::crypto_provider())
            .with_protocol_versions(&[&rustls::version::TLS13])
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
    tls.alpn_protocols = vec![cordon_common::quic::ALPN.to_vec()];
    let cfg = quinn::ClientConfig::new(std::sync::Arc::new(
        quinn::crypto::rustls::QuicClientConfig::try_from(tls).unwrap(),
    ));
    let ep = quinn::Endpoint::client("127.0.0.1:0".parse().unwrap()).unwrap();
    let outcome = async {
        let conn = ep.connect_with(cfg, hub.addr(), "localhost")?.await?;
        let (mut s, mut r) = conn.open_bi().await?;
        s.write_all(&[0, 0, 0, 2, 1, 0x0d]).await?;
        let mut b = [0u8; 1];
        r.read_exact(&mut b).await?;
        Ok::<_, anyhow::Error>(())
    }
    .await;
    assert!(
        outcome.is_err(),
        "a node without a certificate must not get an answer"
    );
    assert_eq!(refused_count(&hub, "no-certificate").await, 1);
}

#[tokio::test]
async fn crl_reloaded_while_connected_closes_only_the_revoked_session() {
    let pki = Pki::new().unwrap();
    let hub = hub(&pki).await;
    let nl = pki.node("NL-NCP", Role::Member).unwrap();
    let be = pki.node("BE-NCP", Role::Member).unwrap();
    let nl_client = TestClient::connect(&pki, &nl, hub.addr(), true)
        .await
        .unwrap();
    let mut be_client = TestClient::connect(&pki, &be, hub.addr(), true)
        .await
        .unwrap();
    pki.revoke(&nl).unwrap();
    let report = hub.hub.reload().await;
    assert!(report.crls_reloaded, "{report:?}");
    assert_eq!(report.revoked_sessions, vec!["NL-NCP".to_string()]);
    let closed = tokio::time::timeout(
        Duration::from_secs(5),
        nl_client.session.connection().closed(),
    )
    .await
    .expect("the revoked session must be closed");
    assert_closed_with(closed, ErrorCode::Revoked);
    // BE-NCP is still served.
    be_client.session.ping(9).await.unwrap();
    // And NL-NCP cannot come back.
    assert!(connect_raw(&pki, &nl, hub.addr()).await.is_err());
}

/// A CRL is put in force only if the federation root signed it. One made by another CA
/// (here with the same name, so webpki would pick it for our nodes and fail its signature
/// at every handshake) is refused naming the file, and the CRL in force stays.
#[tokio::test]
async fn a_crl_signed_by_another_ca_is_refused_and_the_old_crl_stays_in_force() {
    let pki = Pki::new().unwrap();
    let hub = hub(&pki).await;
    let nl = pki.node("NL-NCP", Role::Member).unwrap();
    let hu = pki.node("HU-NCP", Role::Member).unwrap();
    let be = pki.node("BE-NCP", Role::Member).unwrap();
    pki.revoke(&nl).unwrap();
    pki.revoke(&hu).unwrap();
    let report = hub.hub.reload().await;
    assert!(report.crls_reloaded, "{report:?}");
    // Another CA's CRL (revoking nothing) written over the hub's CRL file.
    let other = Pki::new().unwrap();
    std::fs::copy(other.crl_path(), pki.crl_path()).unwrap();
    let report = hub.hub.reload().await;
    assert!(!report.crls_reloaded, "{report:?}");
    let err = report.crl_error.expect("the forged CRL is refused");
    let file = pki.crl_path().display().to_string();
    assert!(
        err.contains(&file) && err.contains("signature"),
        "names the file and the reason: {err}"
    );
    // The old CRL is still enforced: NL-NCP is refused, BE-NCP gets in.
    assert!(connect_raw(&pki, &nl, hub.addr()).await.is_err());
    assert_eq!(refused_count(&hub, "revoked").await, 1);
    connect_raw(&pki, &be, hub.addr()).await.unwrap();
    // Audited: the good reload counts revoked certificates (2, in one file), the refusal
    // names the file.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let audit = std::fs::read_to_string(hub.hub.state().config.audit_path()).unwrap();
    assert!(
        audit
            .lines()
            .any(|l| l.contains("\"crl-reloaded\"") && l.contains("\"revoked_count\":2")),
        "{audit}"
    );
    assert!(
        audit
            .lines()
            .any(|l| l.contains("\"crl-reload-refused\"") && l.contains("refused: CRL signature")),
        "{audit}"
    );
}

#[tokio::test]
async fn openssl_made_ca_and_node_certificate_work() {
    let pki = Pki::new().unwrap();
    let dir = pki.path().join("openssl");
    std::fs::create_dir_all(&dir).unwrap();
    let sh = |args: &str| {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(args)
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    sh("openssl genpkey -algorithm ed25519 -out ca.key");
    sh("openssl req -x509 -new -key ca.key -subj '/O=OpenSSL Test CA/CN=OpenSSL Root' -days 30 \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -out ca.crt");
    sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out node.key");
    sh("openssl req -new -key node.key -subj '/C=NL/O=Dutch Customs/OU=member/CN=NL-NCP' -out node.csr");
    sh("printf 'subjectAltName=URI:cordon://node/NL-NCP\\nextendedKeyUsage=clientAuth\\nkeyUsage=critical,digitalSignature\\n' > node.ext");
    sh("openssl x509 -req -in node.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -extfile node.ext -out node.crt");
    // The hub trusts both roots (a federation migrating CAs); the node trusts ours for the hub.
    let both = dir.join("roots.pem");
    let mut pem = std::fs::read_to_string(pki.root_path()).unwrap();
    pem.push_str(&std::fs::read_to_string(dir.join("ca.crt")).unwrap());
    std::fs::write(&both, pem).unwrap();
    let run = pki.path().join("hub-openssl");
    let cfg_path =
        cordon_testbed::write_hub_config(&pki, &run, COSMO_2, "", "127.0.0.1:0").unwrap();
    let text = std::fs::read_to_string(&cfg_path).unwrap().replace(
        &format!("root = \"{}\"", pki.root_path().display()),
        &format!("root = \"{}\"", both.display()),
    );
    // The OpenSSL CA has no CRL: no CRL files, so no revocation status is required.
    let text = text.replace(
        &format!("crls = [\"{}\"]", pki.crl_path().display()),
        "crls = []",
    );
    std::fs::write(&cfg_path, text).unwrap();
    let cfg = cordon_hub::config::HubConfig::load(&cfg_path).unwrap();
    let hub = cordon_hub::server::RunningHub::start(cfg).await.unwrap();

    let creds = cordon_testbed::NodeCreds {
        identity: cordon_common::identity::NodeIdentity::from_der(
            &cordon_common::pki::read_pem_certs(&dir.join("node.crt")).unwrap()[0],
        )
        .unwrap(),
        cert_path: dir.join("node.crt"),
        key_path: dir.join("node.key"),
        cert_der: cordon_common::pki::read_pem_certs(&dir.join("node.crt")).unwrap()[0].to_vec(),
        serial: vec![],
    };
    assert_eq!(creds.identity.public_key.algorithm, KeyAlgorithm::EcdsaP256);
    let mut nl = TestClient::connect(&pki, &creds, hub.addr, true)
        .await
        .unwrap();
    assert_eq!(nl.session.welcome().node_id.as_str(), "NL-NCP");
    // It can publish a signed alert with its OpenSSL-made key.
    let (_, ack) = nl
        .send(
            cordon_common::msg::MessageKind::Alert,
            "cosmo-2",
            &["op/cosmo-2/alerts"],
            cordon_common::msg::Priority::Routine,
            b"x",
        )
        .await
        .unwrap();
    assert_eq!(
        ack.outcome,
        cordon_common::wire::PublishOutcome::Stored,
        "{}",
        ack.reason
    );
}

#[tokio::test]
async fn a_connection_without_hello_is_closed_after_the_first_frame_timeout() {
    let pki = Pki::new().unwrap();
    let hub = TestHub::start(
        &pki,
        &pki.path().join("hub-run"),
        COSMO_2,
        "first_frame_timeout_ms = 300",
    )
    .await
    .unwrap();
    let nl = pki.node("NL-NCP", Role::Member).unwrap();
    // TLS completes (the certificate is good), then nothing is sent.
    let conn = connect_quic(&pki, &nl, hub.addr()).await.unwrap();
    let started = std::time::Instant::now();
    assert_closed_with(hub_closes(&conn).await, ErrorCode::Timeout);
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "{:?}",
        started.elapsed()
    );
    // A control stream opened but silent is no better.
    let conn = connect_quic(&pki, &nl, hub.addr()).await.unwrap();
    let (_send, _recv) = conn.open_bi().await.unwrap();
    assert_closed_with(hub_closes(&conn).await, ErrorCode::Timeout);
    // A node that says Hello in time is served.
    let mut ok = connect_raw(&pki, &nl, hub.addr()).await.unwrap();
    ok.ping(1).await.unwrap();
}

#[tokio::test]
async fn a_first_frame_other_than_hello_is_a_protocol_error() {
    let pki = Pki::new().unwrap();
    let hub = hub(&pki).await;
    let nl = pki.node("NL-NCP", Role::Member).unwrap();
    let be = pki.node("BE-NCP", Role::Member).unwrap();
    let mut be_session = connect_raw(&pki, &be, hub.addr()).await.unwrap();
    let conn = connect_quic(&pki, &nl, hub.addr()).await.unwrap();
    let (mut send, mut recv) = conn.open_bi().await.unwrap();
    // Before Welcome the hub only closes the connection (PROTOCOL.md §7); an Error frame,
    // if one came, would say the same.
    if let Ok(Some(f)) = send_and_read(&mut send, &mut recv, &Frame::Ping(Ping { nonce: 7 })).await
    {
        assert_error_frame(&f, ErrorCode::Protocol, "expected Hello");
    }
    assert_closed_with(hub_closes(&conn).await, ErrorCode::Protocol);
    // Another node is unaffected.
    be_session.ping(2).await.unwrap();
}

#[tokio::test]
async fn connections_above_the_limit_are_refused_and_counted_and_the_others_stay() {
    let pki = Pki::new().unwrap();
    let hub = TestHub::start(
        &pki,
        &pki.path().join("hub-run"),
        COSMO_2,
        "max_connections = 2",
    )
    .await
    .unwrap();
    let nl = pki.node("NL-NCP", Role::Member).unwrap();
    let be = pki.node("BE-NCP", Role::Member).unwrap();
    let hu = pki.node("HU-NCP", Role::Member).unwrap();
    let mut first = connect_raw(&pki, &nl, hub.addr()).await.unwrap();
    let mut second = connect_raw(&pki, &be, hub.addr()).await.unwrap();
    assert!(
        connect_raw(&pki, &hu, hub.addr()).await.is_err(),
        "a third connection got in"
    );
    assert_eq!(refused_count(&hub, "overloaded").await, 1);
    first.ping(1).await.unwrap();
    second.ping(2).await.unwrap();
    // A slot freed is a slot for the next node.
    first.close();
    drop(first);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut third = loop {
        match connect_raw(&pki, &hu, hub.addr()).await {
            Ok(s) => break s,
            Err(e) => {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "never admitted: {e}"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    third.ping(3).await.unwrap();
    second.ping(4).await.unwrap();
}

#[tokio::test]
async fn a_frame_out_of_place_ends_the_connection_with_a_protocol_error() {
    let pki = Pki::new().unwrap();
    let hub = hub(&pki).await;
    let be = pki.node("BE-NCP", Role::Member).unwrap();
    let nl = pki.node("NL-NCP", Role::Member).unwrap();
    let mut be_session = connect_raw(&pki, &be, hub.addr()).await.unwrap();
    let nl_session = connect_raw(&pki, &nl, hub.addr()).await.unwrap();
    let conn = nl_session.connection().clone();
    // Every stream after the control stream is a publish stream: a Hello has no place
    // there.
    let (mut send, _recv) = conn.open_bi().await.unwrap();
    let hello = Frame::Hello(cordon_common::wire::Hello {
        agent: "test".into(),
        max_frame: DEFAULT_MAX_FRAME as u32,
    });
    write_frame(&mut send, &hello, DEFAULT_MAX_FRAME)
        .await
        .unwrap();
    assert_closed_with(hub_closes(&conn).await, ErrorCode::Protocol);
    // Another node is unaffected.
    be_session.ping(5).await.unwrap();
}

/// The spare connection: its TLS handshake is done before a CRL reload that revokes it,
/// and it sends `Hello` only after. The certificate is checked again before `Welcome`.
#[tokio::test]
async fn a_spare_connection_made_before_a_crl_reload_is_refused_at_hello() {
    let pki = Pki::new().unwrap();
    let hub = hub(&pki).await;
    let nl = pki.node("NL-NCP", Role::Member).unwrap();
    let spare = connect_quic(&pki, &nl, hub.addr()).await.unwrap();
    // The hub has finished its side of the handshake.
    hub.wait_audit(
        |l| l.contains("\"connected\"") && l.contains("NL-NCP"),
        Duration::from_secs(3),
    )
    .await
    .unwrap();
    pki.revoke(&nl).unwrap();
    assert!(hub.hub.reload().await.crls_reloaded);
    let (mut send, mut recv) = spare.open_bi().await.unwrap();
    let hello = Frame::Hello(Hello {
        agent: "spare".into(),
        max_frame: DEFAULT_MAX_FRAME as u32,
    });
    write_frame(&mut send, &hello, DEFAULT_MAX_FRAME)
        .await
        .unwrap();
    match read_frame(&mut recv, DEFAULT_MAX_FRAME).await {
        Ok(Some(Frame::Error(e))) => assert_eq!(e.code, ErrorCode::Revoked.as_u16(), "{e:?}"),
        Ok(Some(other)) => panic!("the spare connection got {}", other.name()),
        // The close may overtake the Error frame.
        Ok(None) | Err(_) => {}
    }
    assert_closed_with(hub_closes(&spare).await, ErrorCode::Revoked);
    assert_eq!(refused_count(&hub, "revoked").await, 1);
    assert!(hub.hub.state().sessions.is_empty());
}

/// A certificate that expires during a session: the session is closed at its notAfter,
/// and the node (reconnecting with the same TLS client, which offers to resume its
/// session) is refused.
#[tokio::test]
async fn a_certificate_expiring_mid_session_is_closed_at_expiry_and_refused_on_reconnect() {
    let pki = Pki::new().unwrap();
    let hub = hub(&pki).await;
    let hu = pki.node_expiring_in("HU-NCP", Role::Member, 3).unwrap();
    let (_, not_after) = cordon_common::pki::validity_secs(&hu.cert_der).unwrap();
    let connector = connector(&pki, &hu).unwrap();
    let session = connector.connect(&target(hub.addr())).await.unwrap();
    let closed = hub_closes(session.connection()).await;
    let at = time::OffsetDateTime::now_utc().unix_timestamp();
    let not_after = i64::try_from(not_after).unwrap();
    assert!(
        (not_after + 1..=not_after + 3).contains(&at),
        "closed at {at}, notAfter {not_after}"
    );
    assert_closed_with(closed, ErrorCode::Unauthorized);
    let again = connector
        .connect(&target(hub.addr()))
        .await
        .expect_err("an expired certificate got back in");
    // The node reads the reason from the hub's TLS alert.
    assert_eq!(
        again.refusal(),
        Some(&cordon_node::refusal::Refusal::ByHub("expired")),
        "{again}"
    );
    assert_eq!(refused_count(&hub, "expired").await, 1);
    hub.wait_audit(
        |l| l.contains("\"session-expired\"") && l.contains("HU-NCP"),
        Duration::from_secs(3),
    )
    .await
    .unwrap();
}

/// A CRL older than the one in force (lower crlNumber) is refused naming the file and
/// the reason; the newer one stays in force.
#[tokio::test]
async fn an_older_crl_is_refused_and_the_newer_stays_in_force() {
    let pki = Pki::new().unwrap();
    let hub = hub(&pki).await;
    let nl = pki.node("NL-NCP", Role::Member).unwrap();
    let old = pki.path().join("old-crl.pem");
    std::fs::copy(pki.crl_path(), &old).unwrap();
    pki.revoke(&nl).unwrap();
    assert!(hub.hub.reload().await.crls_reloaded);
    // The older CRL (which does not list NL-NCP) comes back.
    std::fs::copy(&old, pki.crl_path()).unwrap();
    let report = hub.hub.reload().await;
    assert!(!report.crls_reloaded, "{report:?}");
    let err = report.crl_error.expect("the older CRL is refused");
    assert!(
        err.contains(&pki.crl_path().display().to_string()) && err.contains("older"),
        "names the file and the reason: {err}"
    );
    assert!(connect_raw(&pki, &nl, hub.addr()).await.is_err());
    assert_eq!(refused_count(&hub, "revoked").await, 1);
}

/// A CRL past its nextUpdate stays in force (nodes it does not list still get in), but
/// the hub says so:
/// a warning in its log and `cordon_crls_overdue`.
#[tokio::test]
async fn a_crl_past_its_next_update_is_counted_as_overdue_and_nodes_still_get_in() {
    let pki = Pki::new().unwrap();
    pki.write_overdue_crl().unwrap();
    let hub = hub(&pki).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while metric_value(&hub.hub.state().metrics.render(), "cordon_crls_overdue") != Some(1.0) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{}",
            hub.hub.state().metrics.render()
        );
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    let be = pki.node("BE-NCP", Role::Member).unwrap();
    connect_raw(&pki, &be, hub.addr()).await.unwrap();
}

/// After `Welcome`, a frame the control stream does not carry is a protocol violation:
/// the hub says why in an `Error` frame on the control stream, and that frame reaches the
/// node before the connection is closed with the same code (closing a QUIC connection
/// discards stream data not yet delivered, so the hub lets the frame arrive first).
#[tokio::test]
async fn a_control_stream_violation_after_welcome_is_explained_by_an_error_frame() {
    let pki = Pki::new().unwrap();
    let hub = hub(&pki).await;
    let nl = pki.node("NL-NCP", Role::Member).unwrap();
    let conn = connect_quic(&pki, &nl, hub.addr()).await.unwrap();
    let (mut send, mut recv) = conn.open_bi().await.unwrap();
    let hello = Frame::Hello(cordon_common::wire::Hello {
        agent: "test".into(),
        max_frame: u32::try_from(DEFAULT_MAX_FRAME).unwrap(),
    });
    write_frame(&mut send, &hello, DEFAULT_MAX_FRAME)
        .await
        .unwrap();
    let welcome = read_frame(&mut recv, DEFAULT_MAX_FRAME).await.unwrap();
    assert!(matches!(welcome, Some(Frame::Welcome(_))), "{welcome:?}");
    // A hub → node frame, sent by the node on the control stream.
    let pong = Frame::Pong(cordon_common::wire::Pong { nonce: 1 });
    match send_and_read(&mut send, &mut recv, &pong).await {
        Ok(Some(f)) => assert_error_frame(&f, ErrorCode::Protocol, "Pong"),
        other => panic!("expected an Error frame before the close, got {other:?}"),
    }
    assert_closed_with(hub_closes(&conn).await, ErrorCode::Protocol);
}

/// Write `frame` on a control stream and read the hub's answer.
async fn send_and_read(
    send: &mut quinn::SendStream,
    recv: &mut quinn::RecvStream,
    frame: &Frame,
) -> Result<Option<Frame>, cordon_common::quic::StreamError> {
    write_frame(send, frame, DEFAULT_MAX_FRAME).await.unwrap();
    read_frame(recv, DEFAULT_MAX_FRAME).await
}

/// `f` is an `Error` frame with `code` and a message containing `words`.
fn assert_error_frame(f: &Frame, code: ErrorCode, words: &str) {
    match f {
        Frame::Error(e) => {
            assert_eq!(e.code, code.as_u16());
            assert!(e.message.contains(words), "{}", e.message);
        }
        other => panic!("expected an Error frame, got {other:?}"),
    }
}
