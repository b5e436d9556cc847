//! `cordon-demo`: the example federation on loopback plays operation COSMO-2, and every
//! step is checked. Each step prints what each party saw; any step that does not happen
//! as described is an error (the binary then exits non-zero).

use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};
use cordon_common::ids::{MessageId, NodeId};
use cordon_node::inbox::InboxQuery;
use cordon_node::receipts::ReceiptReport;
use cordon_node::service::{InboxItem, SendRequest, Shown};
use serde_json::json;

use crate::federation::{Federation, EXAMPLE_NODES, EXAMPLE_POLICY};

const WAIT: Duration = Duration::from_secs(15);
const CONTAINER: &str = "CSQU3054383";

fn rfc3339_in(hours: i64) -> Result<String> {
    let t = time::OffsetDateTime::now_utc() + time::Duration::hours(hours);
    Ok(t.format(&time::format_description::well_known::Rfc3339)?)
}

fn say(step: &str) {
    println!("\n== {step}");
}

fn saw(who: &str, what: impl std::fmt::Display) {
    println!("   {who:<8} {what}");
}

fn summary(i: &InboxItem) -> String {
    format!(
        "{} {} from {} on {} [{}]: {}",
        i.priority, i.kind, i.sender, i.channel, i.tlp, i.title
    )
}

/// Wait until `id`'s inbox holds message `msg`; returns the item.
async fn wait_for(fed: &Federation, id: &str, msg: MessageId) -> Result<InboxItem> {
    let deadline = tokio::time::Instant::now() + WAIT;
    let service = fed.node(id)?.service();
    loop {
        let page = service
            .inbox(
                InboxQuery {
                    limit: 1000,
                    ..Default::default()
                },
                None,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{id} inbox: {e}"))?;
        if let Some(i) = page.items.into_iter().find(|i| i.id == msg) {
            return Ok(i);
        }
        if tokio::time::Instant::now() > deadline {
            bail!("{id} did not receive message {msg} within {WAIT:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Whether `id`'s inbox holds `msg` (no waiting).
async fn holds(fed: &Federation, id: &str, msg: MessageId) -> Result<bool> {
    let page = fed
        .node(id)?
        .service()
        .inbox(
            InboxQuery {
                limit: 1000,
                ..Default::default()
            },
            None,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{id} inbox: {e}"))?;
    Ok(page.items.iter().any(|i| i.id == msg))
}

async fn send(fed: &Federation, from: &str, req: SendRequest) -> Result<MessageId> {
    let kind = req.kind.clone();
    let accepted = fed
        .node(from)?
        .service()
        .send(req)
        .await
        .map_err(|e| anyhow::anyhow!("{from} could not send a {kind}: {e}"))?;
    Ok(accepted.id)
}

/// Wait until the hub has acknowledged `msg` as stored at `from`'s node.
async fn wait_stored(fed: &Federation, from: &str, msg: MessageId) -> Result<()> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let report = receipts(fed, from, msg).await?;
        match report.state.as_str() {
            "stored" => return Ok(()),
            "failed" => bail!("the hub refused {from}'s message {msg}"),
            _ if tokio::time::Instant::now() > deadline => {
                bail!(
                    "{from}'s message {msg} is still {} after {WAIT:?}",
                    report.state
                )
            }
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

async fn receipts(fed: &Federation, from: &str, msg: MessageId) -> Result<ReceiptReport> {
    fed.node(from)?
        .service()
        .receipts(msg)
        .await
        .map_err(|e| anyhow::anyhow!("{from} receipts of {msg}: {e}"))
}

/// Wait until `cond` holds for `from`'s receipts of `msg`.
async fn wait_receipts(
    fed: &Federation,
    from: &str,
    msg: MessageId,
    what: &str,
    cond: impl Fn(&ReceiptReport) -> bool,
) -> Result<ReceiptReport> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let r = receipts(fed, from, msg).await?;
        if cond(&r) {
            return Ok(r);
        }
        if tokio::time::Instant::now() > deadline {
            bail!("{from}: receipts of {msg} never showed {what}: {r:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn print_receipts(r: &ReceiptReport) {
    for p in &r.recipients {
        let mark =
            |t: &Option<cordon_common::msg::Timestamp>| if t.is_some() { "yes" } else { "-" };
        saw(
            "",
            format!(
                "{:<8} delivered {:<3} read {:<3} acknowledged {}",
                p.node.as_str(),
                mark(&p.delivered_at),
                mark(&p.read_at),
                mark(&p.acknowledged_at)
            ),
        );
    }
    let names = |v: &[NodeId]| v.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(", ");
    saw(
        "",
        format!("not yet delivered: [{}]", names(&r.not_delivered)),
    );
}

/// The participants that read operation channels (everyone but XX-NCP).
const READERS: [&str; 7] = [
    "OCU", "RILO-WE", "RILO-AP", "BE-NCP", "HU-NCP", "NL-NCP", "US-NCP",
];

/// Start the example federation and play the operation. Returns the federation, still
/// running, for `--keep-running`. With `consoles`, every node also serves the officers'
/// console (officers of [`crate::console::OFFICERS`]).
pub async fn run(consoles: bool) -> Result<Federation> {
    say("Starting the example federation: a fresh CA, a hub and 8 nodes on 127.0.0.1");
    let mut fed = if consoles {
        let ids: Vec<&str> = EXAMPLE_NODES.iter().map(|(id, _)| *id).collect();
        crate::console::start(EXAMPLE_POLICY, &EXAMPLE_NODES, &ids).await?
    } else {
        Federation::start(EXAMPLE_POLICY, &EXAMPLE_NODES).await?
    };
    saw(
        "hub",
        format!("listening on {} (QUIC, mutual TLS)", fed.hub.addr()),
    );
    for (id, node) in &fed.nodes {
        let ch = node.service().channels();
        let readable = ch.channels.iter().filter(|g| g.read).count();
        saw(
            id,
            format!(
                "connected; may read {readable} operation channel(s); API on {}",
                node.api_addr()
            ),
        );
    }

    say("1. RILO-WE raises an alert on op/cosmo-2/alerts about container CSQU3054383");
    let alert = send(
        &fed,
        "RILO-WE",
        SendRequest {
            kind: "alert".into(),
            to: vec!["op/cosmo-2/alerts".into()],
            priority: Some("urgent".into()),
            tlp: Some("AMBER".into()),
            body: json!({
                "title": "Cocaine suspected in banana reefer CSQU3054383",
                "summary": "Consignee registered three weeks ago, no trading history; freight paid in cash.",
                "action": "controlled-delivery",
                "containers": [CONTAINER],
                "route": ["ECGYE", "NLRTM", "BEANR"],
                "grading": {"source": "B", "information": 2}
            }),
            ..Default::default()
        },
    )
    .await?;
    for id in READERS.iter().filter(|i| **i != "RILO-WE") {
        let item = wait_for(&fed, id, alert).await?;
        saw(id, summary(&item));
    }
    ensure!(
        !holds(&fed, "XX-NCP", alert).await?,
        "XX-NCP must not receive the alert"
    );
    saw("XX-NCP", "nothing (not a participant)");

    say("2. BE-NCP requests tracking of the container; NL-NCP answers with two updates");
    let request = send(
        &fed,
        "BE-NCP",
        SendRequest {
            kind: "tracking-request".into(),
            to: vec!["op/cosmo-2/tracking".into()],
            body: json!({
                "containers": [CONTAINER],
                "vessel": "IMO 9074729",
                "route": ["ECGYE", "NLRTM", "BEANR"],
                "until": rfc3339_in(24 * 14)?,
                "report": ["arrived", "discharged", "gate-out"]
            }),
            ..Default::default()
        },
    )
    .await?;
    let seen = wait_for(&fed, "NL-NCP", request).await?;
    saw("NL-NCP", summary(&seen));
    let mut updates = Vec::new();
    for (event, hours) in [("arrived", -2), ("discharged", -1)] {
        let id = send(
            &fed,
            "NL-NCP",
            SendRequest {
                kind: "tracking-update".into(),
                reply_to: Some(request.to_string()),
                body: json!({
                    "container": CONTAINER,
                    "event": event,
                    "place": "NLRTM",
                    "at": rfc3339_in(hours)?,
                    "vessel": "IMO 9074729"
                }),
                ..Default::default()
            },
        )
        .await?;
        updates.push(id);
    }
    for u in &updates {
        let item = wait_for(&fed, "BE-NCP", *u).await?;
        saw("BE-NCP", summary(&item));
    }
    for other in ["HU-NCP", "US-NCP"] {
        ensure!(
            !holds(&fed, other, updates[0]).await?,
            "{other} must not see a reply to BE-NCP"
        );
    }

    say("3. OCU broadcasts a flash notice while HU-NCP is offline; HU-NCP comes back and gets it");
    fed.stop_node("HU-NCP").await?;
    saw("HU-NCP", "offline");
    let notice = send(
        &fed,
        "OCU",
        SendRequest {
            kind: "notice".into(),
            to: vec!["op/cosmo-2/notices".into()],
            priority: Some("flash".into()),
            body: json!({
                "title": "COSMO-2 enters the interdiction phase",
                "text": "All participants: intensify checks on reefers from ECGYE; report seizures within 24 h.",
                "phase": "interdiction"
            }),
            ..Default::default()
        },
    )
    .await?;
    wait_stored(&fed, "OCU", notice).await?;
    for id in READERS.iter().filter(|i| !["OCU", "HU-NCP"].contains(i)) {
        let item = wait_for(&fed, id, notice).await?;
        saw(id, summary(&item));
    }
    let before = receipts(&fed, "OCU", notice).await?;
    ensure!(
        before.not_delivered.iter().any(|n| n.as_str() == "HU-NCP"),
        "the OCU must see that HU-NCP has not received the notice yet"
    );
    saw("OCU", "receipts while HU-NCP is offline:");
    print_receipts(&before);
    fed.start_node("HU-NCP").await?;
    let item = wait_for(&fed, "HU-NCP", notice).await?;
    saw("HU-NCP", format!("back online; {}", summary(&item)));

    say("4. OCU tasks HU-NCP, which acknowledges; the OCU's receipts show everyone");
    let tasking = send(
        &fed,
        "OCU",
        SendRequest {
            kind: "tasking".into(),
            to: vec!["node/HU-NCP".into()],
            operation: Some("cosmo-2".into()),
            priority: Some("urgent".into()),
            body: json!({
                "title": "Inspect reefers from ECGYE at Záhony rail terminal",
                "instructions": "X-ray every reefer container from Guayaquil this week and report back.",
                "due_by": rfc3339_in(72)?,
                "ack_required": true
            }),
            ..Default::default()
        },
    )
    .await?;
    let item = wait_for(&fed, "HU-NCP", tasking).await?;
    saw("HU-NCP", summary(&item));
    for other in ["BE-NCP", "NL-NCP", "US-NCP"] {
        ensure!(
            !holds(&fed, other, tasking).await?,
            "{other} must not see HU-NCP's tasking"
        );
    }
    let hu = fed.node("HU-NCP")?.service();
    match hu
        .show(tasking)
        .await
        .map_err(|e| anyhow::anyhow!("show: {e}"))?
    {
        Shown::Received(v) => saw(
            "HU-NCP",
            format!(
                "shows it: signed by {} ({}), {}; acknowledgement required: {}",
                v.signer.node_id, v.signer.organisation, v.verification, v.ack_required
            ),
        ),
        Shown::Sent(_) => bail!("HU-NCP sees the tasking as its own"),
    }
    hu.ack(tasking)
        .await
        .map_err(|e| anyhow::anyhow!("ack: {e}"))?;
    saw("HU-NCP", "acknowledged the tasking");
    let r = wait_receipts(&fed, "OCU", tasking, "HU-NCP's acknowledgement", |r| {
        r.not_acknowledged.is_empty() && !r.recipients.is_empty()
    })
    .await?;
    saw("OCU", "receipts of the tasking:");
    print_receipts(&r);
    let r = wait_receipts(&fed, "OCU", notice, "delivery to every participant", |r| {
        r.not_delivered.is_empty()
    })
    .await?;
    for id in READERS.iter().filter(|i| **i != "OCU") {
        ensure!(
            r.recipients
                .iter()
                .any(|p| p.node.as_str() == *id && p.delivered_at.is_some()),
            "the OCU must see {id}'s delivery of the notice"
        );
    }
    saw("OCU", "receipts of the notice (everyone has it now):");
    print_receipts(&r);

    say("5. NL-NCP sends feedback and a seizure report on the alert");
    let feedback = send(
        &fed,
        "NL-NCP",
        SendRequest {
            kind: "feedback".into(),
            reply_to: Some(alert.to_string()),
            body: json!({
                "outcome": "seized",
                "details": "Container CSQU3054383 inspected at Maasvlakte: 212 kg of cocaine in the reefer's cooling unit."
            }),
            ..Default::default()
        },
    )
    .await?;
    let seizure = send(
        &fed,
        "NL-NCP",
        SendRequest {
            kind: "seizure".into(),
            to: vec!["op/cosmo-2/alerts".into()],
            priority: Some("urgent".into()),
            body: json!({
                "alert_id": alert.to_string(),
                "seized_at": rfc3339_in(-1)?,
                "place": "NLRTM",
                "goods": [{
                    "commodity": {"description": "Cocaine hydrochloride", "hs_code": "293979"},
                    "quantity": 212.0,
                    "unit": "kg"
                }],
                "concealment": "Inside the cooling unit of reefer CSQU3054383",
                "grading": {"source": "A", "information": 1}
            }),
            ..Default::default()
        },
    )
    .await?;
    let item = wait_for(&fed, "RILO-WE", feedback).await?;
    saw("RILO-WE", summary(&item));
    ensure!(
        !holds(&fed, "BE-NCP", feedback).await?,
        "feedback goes to the alert's sender only"
    );
    for id in ["RILO-WE", "OCU", "BE-NCP"] {
        let item = wait_for(&fed, id, seizure).await?;
        saw(id, summary(&item));
    }

    say("6. XX-NCP, not a participant, tries to read and to publish and is refused");
    let xx = fed.node("XX-NCP")?.service();
    let grants = xx.channels();
    ensure!(
        grants
            .channels
            .iter()
            .all(|g| !g.read && g.publish.is_empty()),
        "XX-NCP must have no grant"
    );
    saw("XX-NCP", "the hub grants it no operation channel");
    let mut raw =
        crate::client::connect_raw(&fed.pki, &fed.creds["XX-NCP"], fed.hub.addr()).await?;
    let sub = raw.subscribe(vec!["op/cosmo-2/alerts".parse()?]).await?;
    let (ch, why) = sub
        .refused
        .first()
        .context("the hub must refuse XX-NCP's read")?;
    saw("XX-NCP", format!("asked to read {ch}: refused ({why})"));
    raw.close();
    // Its own node refuses at once, with the grants the hub gave it (none): nothing
    // leaves the node, so nothing can reach a participant.
    let refused = xx
        .send(SendRequest {
            kind: "alert".into(),
            to: vec!["op/cosmo-2/alerts".into()],
            body: json!({
                "title": "Unrelated alert",
                "summary": "An administration outside the operation tries to publish.",
                "action": "information-only",
                "containers": [CONTAINER],
                "grading": {"source": "C", "information": 3}
            }),
            ..Default::default()
        })
        .await;
    let why = match refused {
        Err(e) => e.to_string(),
        Ok(a) => bail!(
            "XX-NCP's node must refuse the alert at once; it queued {}",
            a.id
        ),
    };
    ensure!(
        why.contains("may not send"),
        "XX-NCP's node must refuse with its grants, got {why:?}"
    );
    saw("XX-NCP", format!("publish refused by its own node: {why}"));
    // The audit writer syncs every 100 ms.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let audit =
        std::fs::read_to_string(fed.hub.hub.state().config.audit_path()).unwrap_or_default();
    let refusals = audit
        .lines()
        .filter(|l| l.contains("XX-NCP") && l.contains("refused"))
        .count();
    saw(
        "hub",
        format!("audit log: {refusals} refusal record(s) for XX-NCP so far"),
    );
    ensure!(refusals >= 1, "the hub must audit XX-NCP's refused read");
    println!("\nEvery step happened as described: alert, tracking request and updates, notice, tasking, feedback, seizure and receipts exchanged; a non-participant refused.");
    Ok(fed)
}
