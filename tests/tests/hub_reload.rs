//! Policy reloads without a restart: a bad file is refused with file and line and the old
//! policy stays in force; a changed file is picked up by the watcher, the sessions whose
//! grants changed are closed (to reconnect under the new policy), the others stay up.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use cordon_common::ids::Role;
use cordon_common::wire::PublishOutcome;
use cordon_testbed::client::connect_raw;
use cordon_testbed::{policy::COSMO_2, Pki, TestClient, TestHub};

#[tokio::test]
async fn a_bad_policy_is_refused_with_its_line_and_the_old_one_stays() {
    let pki = Pki::new().unwrap();
    let hub = TestHub::start(&pki, &pki.path().join("hub"), COSMO_2, "")
        .await
        .unwrap();
    let be = pki.node("BE-NCP", Role::Member).unwrap();
    let mut be = TestClient::connect(&pki, &be, hub.addr(), true)
        .await
        .unwrap();
    let bad = format!("{COSMO_2}\n[[operation]]\nname = 42\n");
    let line = bad.lines().position(|l| l == "name = 42").unwrap() + 1;
    std::fs::write(&hub.policy_path, &bad).unwrap();
    let report = hub.hub.reload().await;
    assert!(!report.policy_reloaded);
    let err = report.policy_error.expect("refused");
    assert!(
        err.contains(&format!("policy.toml:{line}:")),
        "names file and line: {err}"
    );
    // The old policy is in force and the session is untouched.
    be.session.ping(1).await.unwrap();
    let (_, ack) = be.send_alert(b"x").await.unwrap();
    assert_eq!(ack.outcome, PublishOutcome::Stored);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let audit = std::fs::read_to_string(hub.hub.state().config.audit_path()).unwrap();
    assert!(
        audit
            .lines()
            .any(|l| l.contains("policy") && l.contains("refused")),
        "audited"
    );
}

#[tokio::test]
async fn a_changed_policy_file_is_reloaded_and_only_affected_sessions_are_closed() {
    let pki = Pki::new().unwrap();
    let hub = TestHub::start(&pki, &pki.path().join("hub"), COSMO_2, "")
        .await
        .unwrap();
    let nl_creds = pki.node("NL-NCP", Role::Member).unwrap();
    let nl = TestClient::connect(&pki, &nl_creds, hub.addr(), true)
        .await
        .unwrap();
    let be = pki.node("BE-NCP", Role::Member).unwrap();
    let mut be = TestClient::connect(&pki, &be, hub.addr(), true)
        .await
        .unwrap();
    // NL leaves the operation: its country is no longer a participant.
    let without_nl = COSMO_2.replace(
        r#"countries = ["BE", "HU", "NL", "US"]"#,
        r#"countries = ["BE", "HU", "US"]"#,
    );
    assert_ne!(without_nl, COSMO_2, "the test policy names NL");
    // The Secretariat signs the roster of the new policy; the hub loads both.
    pki.sign_roster(&without_nl, &hub.roster_path()).unwrap();
    std::fs::write(&hub.policy_path, without_nl).unwrap();
    // The watcher polls every 2 s.
    tokio::time::timeout(Duration::from_secs(10), nl.session.connection().closed())
        .await
        .expect("NL-NCP's session is closed once the policy changes");
    be.session.ping(2).await.unwrap();
    let again = connect_raw(&pki, &nl_creds, hub.addr()).await.unwrap();
    assert!(
        again
            .welcome()
            .grants
            .iter()
            .all(|g| !g.read && g.publish.is_empty()),
        "no grant any more"
    );
}

/// The hub's readers must be the signed roster's: a policy that adds a reader (here it
/// makes XX-NCP, a federation member outside the operation, a participant) without a
/// roster signed by the federation root is refused, and so is a roster signed by the
/// hub's own key. The policy in force stays, and XX-NCP gets no grant.
#[tokio::test]
async fn a_policy_whose_readers_the_signed_roster_does_not_name_is_refused() {
    let pki = Pki::new().unwrap();
    let hub = TestHub::start(&pki, &pki.path().join("hub"), COSMO_2, "")
        .await
        .unwrap();
    let wider = COSMO_2.replace(
        r#"countries = ["BE", "HU", "NL", "US"]"#,
        r#"countries = ["BE", "HU", "NL", "US", "XX"]"#,
    );
    assert_ne!(wider, COSMO_2, "the test policy names the countries");
    std::fs::write(&hub.policy_path, &wider).unwrap();
    let report = hub.hub.reload().await;
    assert!(!report.policy_reloaded, "{report:?}");
    let err = report.policy_error.expect("refused");
    assert!(err.contains("participants differ"), "{err}");
    assert!(
        err.contains("cordon-hub ca roster"),
        "says what to do: {err}"
    );

    // A roster for the wider policy signed with the hub's key, not the root's.
    let policy = cordon_hub::policy::Policy::parse(&wider, "p").unwrap();
    let hub_key = cordon_common::pki::IdentityKey::load(&pki.hub_key)
        .unwrap()
        .0;
    let forged = policy.roster(u64::MAX, 1).sign(&hub_key).unwrap();
    std::fs::write(hub.roster_path(), forged.as_bytes()).unwrap();
    let report = hub.hub.reload().await;
    assert!(!report.policy_reloaded, "{report:?}");
    assert!(
        report
            .policy_error
            .unwrap()
            .contains("not signed by the federation root"),
        "forged roster refused"
    );

    let xx = pki.node("XX-NCP", Role::Member).unwrap();
    let again = connect_raw(&pki, &xx, hub.addr()).await.unwrap();
    assert!(
        again
            .welcome()
            .grants
            .iter()
            .all(|g| !g.read && g.publish.is_empty()),
        "XX-NCP is still no participant"
    );

    // Signed by the root, the pair is put in force.
    pki.sign_roster(&wider, &hub.roster_path()).unwrap();
    let report = hub.hub.reload().await;
    assert!(report.policy_reloaded, "{report:?}");
}

/// A policy granting `tasking` to every participant would let members' taskings be
/// stored that every recipient refuses (`forbidden-sender`). The hub refuses such a file
/// at reload (the old policy stays) and at start, naming the rule.
#[tokio::test]
async fn a_policy_granting_tasking_to_members_is_refused_at_reload_and_at_start() {
    let rule = "kinds = [\"tasking\"]\nby = { roles = [\"ocu\", \"rilo\"] }";
    assert!(COSMO_2.contains(rule));
    let widened = COSMO_2.replacen(
        rule,
        "kinds = [\"tasking\"]\nby = { participants = true }",
        1,
    );
    let words = "tasking may only be granted to roles ocu or rilo";

    let pki = Pki::new().unwrap();
    let hub = TestHub::start(&pki, &pki.path().join("hub"), COSMO_2, "")
        .await
        .unwrap();
    std::fs::write(&hub.policy_path, &widened).unwrap();
    let report = hub.hub.reload().await;
    assert!(!report.policy_reloaded);
    let err = report.policy_error.expect("refused");
    assert!(
        err.contains(words) && err.contains("forbidden-sender"),
        "{err}"
    );
    hub.hub.shutdown().await;

    let err = TestHub::start(&pki, &pki.path().join("hub2"), &widened, "")
        .await
        .expect_err("a hub does not start with such a policy");
    let err = format!("{err:#}");
    assert!(err.contains(words), "{err}");
}
