//! The demo is part of the test suite: every step of the example operation must happen
//! as described, over real QUIC with real certificates and real node daemons.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::BufRead;
use std::process::{Command, Stdio};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_operation_plays_as_described() {
    let fed = cordon_testbed::demo::run(false)
        .await
        .expect("every demo step happens");
    fed.shutdown().await;
}

/// `cordon-demo --keep-running`, as a newcomer starts it: it prints every party's
/// console address and the demo login, and the consoles answer with the operation's
/// messages in them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kept_running_demo_prints_each_consoles_address_and_login() {
    let bin = cordon_testbed::process::binary("cordon-testbed", "cordon-demo").unwrap();
    let mut child = cordon_testbed::process::ChildGuard(
        Command::new(bin)
            .arg("--keep-running")
            .stdout(Stdio::piped())
            .stdin(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let lines = tokio::task::spawn_blocking(move || {
        let mut consoles = vec![];
        let mut login = None;
        for line in std::io::BufReader::new(stdout).lines() {
            let line = line.unwrap();
            if line.contains("password \"") {
                login = Some(line.clone());
            }
            if login.is_some() && line.trim_start().contains("http://127.0.0.1:") {
                consoles.push(line.clone());
            }
            if line.starts_with("Click through") {
                break;
            }
        }
        (login, consoles)
    })
    .await
    .unwrap();
    let (login, consoles) = lines;
    let login = login.expect("the demo login is printed");
    assert!(login.contains(cordon_testbed::console::PASSWORD), "{login}");
    assert_eq!(consoles.len(), 8, "{consoles:?}");
    let be = consoles
        .iter()
        .find(|l| l.trim_start().starts_with("BE-NCP"))
        .unwrap();
    let url = be
        .split_whitespace()
        .nth(1)
        .unwrap()
        .trim_end_matches('/')
        .to_owned();
    let cookie = cordon_testbed::console::login(&url, "officer", cordon_testbed::console::PASSWORD)
        .await
        .unwrap();
    let inbox = cordon_testbed::console::request(&url, "GET", "/", &[("Cookie", &cookie)], None)
        .await
        .unwrap();
    assert_eq!(inbox.status, 200);
    assert!(
        inbox.body.contains("CSQU3054383"),
        "the demo's alert is in BE-NCP's inbox"
    );
    child.kill().unwrap();
}
