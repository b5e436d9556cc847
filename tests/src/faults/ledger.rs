//! What was sent and what each officer sees, through the nodes' own API (the view an
//! officer or a national system has): the sent messages' states, and each reader's inbox
//! read page by page, counting an id shown twice.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use cordon_node::api_client::ApiClient;
use serde_json::{json, Value};
use tokio::time::Instant;

use super::report::ScenarioReport;

/// The channel every scenario publishes on (policy `cosmo-2`).
pub const CHANNEL: &str = "op/cosmo-2/alerts";

/// The API request for alert number `n` from `who`.
pub fn alert_request(who: &str, n: usize) -> Value {
    json!({
        "kind": "alert",
        "to": [CHANNEL],
        "body": {
            "title": format!("{who} alert {n}"),
            "summary": "Reefer containers with an unusual routing.",
            "action": "monitor",
            "containers": ["CSQU3054383"],
            "grading": {"source": "B", "information": 2}
        }
    })
}

/// Post alert `n` at `api`; its id.
pub async fn post_alert(api: &ApiClient, who: &str, n: usize) -> Result<String> {
    let a: Value = api
        .post("/v1/messages", &alert_request(who, n))
        .await
        .with_context(|| format!("{who}: posting alert {n}"))?;
    a["id"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("{who}: no id in {a}"))
}

/// Where a sent message stands at its sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SentState {
    /// The hub acknowledged it `stored`.
    Stored,
    /// Settled as failed (the hub refused it); the reason is kept in the ledger.
    Refused,
    /// Still in the outbox (draft, sealed, published without an ack).
    Pending,
}

/// The messages each node sent (by the ids its API gave), and where they stand.
#[derive(Debug, Default)]
pub struct Ledger {
    /// Sender → ids, in posting order.
    pub sent: BTreeMap<String, Vec<String>>,
    /// Id → state, as last asked.
    pub state: HashMap<String, SentState>,
    /// Refusal reasons seen (reason → count).
    pub reasons: BTreeMap<String, usize>,
}

impl Ledger {
    /// Record that `sender` sent `id`.
    pub fn add(&mut self, sender: &str, id: String) {
        self.state.insert(id.clone(), SentState::Pending);
        self.sent.entry(sender.to_owned()).or_default().push(id);
    }

    /// Ask each sender about its messages not yet settled. `apis` by node id; a sender
    /// without an API (not running) is asked next time.
    pub async fn refresh(&mut self, apis: &BTreeMap<String, ApiClient>) -> Result<()> {
        for (sender, ids) in &self.sent {
            let Some(api) = apis.get(sender) else {
                continue;
            };
            for id in ids {
                if self.state.get(id) != Some(&SentState::Pending) {
                    continue;
                }
                let Ok(m) = api.get::<Value>(&format!("/v1/messages/{id}")).await else {
                    continue;
                };
                let st = match m["state"].as_str() {
                    Some("stored") => SentState::Stored,
                    Some("failed") => {
                        let reason = m["reason"].as_str().unwrap_or("").to_owned();
                        *self.reasons.entry(reason).or_default() += 1;
                        SentState::Refused
                    }
                    Some(_) => SentState::Pending,
                    None => bail!("{sender}: {id} has no state: {m}"),
                };
                self.state.insert(id.clone(), st);
            }
        }
        Ok(())
    }

    /// Ids in `state`.
    pub fn with(&self, state: SentState) -> HashSet<&str> {
        self.state
            .iter()
            .filter(|(_, s)| **s == state)
            .map(|(id, _)| id.as_str())
            .collect()
    }

    /// The stored messages `reader` should have: every stored one of the other nodes.
    pub fn expected_for(&self, reader: &str) -> HashSet<&str> {
        self.sent
            .iter()
            .filter(|(sender, _)| sender.as_str() != reader)
            .flat_map(|(_, ids)| ids.iter())
            .filter(|id| self.state.get(*id) == Some(&SentState::Stored))
            .map(String::as_str)
            .collect()
    }
}

/// What one inbox shows: each alert id and how many times it is listed.
pub async fn inbox(api: &ApiClient) -> Result<HashMap<String, usize>> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut after = 0u64;
    // Bounded: 1000 pages of 1000.
    for _ in 0..1000 {
        let page: Value = api
            .get(&format!("/v1/inbox?kind=alert&limit=1000&after={after}"))
            .await?;
        let items = page["items"].as_array().context("inbox without items")?;
        if items.is_empty() {
            return Ok(seen);
        }
        for i in items {
            let id = i["id"].as_str().context("inbox item without id")?;
            *seen.entry(id.to_owned()).or_default() += 1;
        }
        after = page["next_after"]
            .as_u64()
            .context("inbox without next_after")?;
    }
    Ok(seen)
}

/// Wait (at most `wait`) until every message is settled at its sender and every stored
/// one is in every other reader's inbox, then fill `report` with the counts. `fault_end`
/// is when the last fault ended (for the recovery time).
pub async fn settle(
    ledger: &mut Ledger,
    apis: &BTreeMap<String, ApiClient>,
    readers: &[String],
    fault_end: Instant,
    wait: Duration,
    report: &mut ScenarioReport,
) -> Result<()> {
    let deadline = Instant::now() + wait;
    let mut inboxes: BTreeMap<String, HashMap<String, usize>> = BTreeMap::new();
    loop {
        ledger.refresh(apis).await?;
        for r in readers {
            if let Some(api) = apis.get(r) {
                if let Ok(i) = inbox(api).await {
                    inboxes.insert(r.clone(), i);
                }
            }
        }
        let missing = |r: &String| {
            let got = inboxes.get(r);
            ledger
                .expected_for(r)
                .into_iter()
                .filter(|id| got.is_none_or(|g| !g.contains_key(*id)))
                .count()
        };
        let all_in =
            ledger.with(SentState::Pending).is_empty() && readers.iter().all(|r| missing(r) == 0);
        if all_in {
            report.recovery = Some(fault_end.elapsed());
            break;
        }
        if Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // Anything that still comes twice shows now.
    tokio::time::sleep(Duration::from_millis(500)).await;
    for r in readers {
        if let Some(api) = apis.get(r) {
            inboxes.insert(r.clone(), inbox(api).await?);
        }
    }
    let stored = ledger.with(SentState::Stored);
    report.stored = stored.len();
    report.refused = ledger.with(SentState::Refused).len();
    report.unsettled = ledger.with(SentState::Pending).len();
    let mut lost: HashSet<&str> = HashSet::new();
    for r in readers {
        let got = inboxes.get(r).cloned().unwrap_or_default();
        let want = ledger.expected_for(r);
        lost.extend(want.iter().filter(|id| !got.contains_key(**id)));
        report.duplicated += got.values().filter(|n| **n > 1).count();
        report.delivered.insert(
            r.clone(),
            want.iter().filter(|id| got.contains_key(**id)).count(),
        );
        report.expected_per_reader.insert(r.clone(), want.len());
    }
    report.lost = lost.len();
    for (reason, n) in &ledger.reasons {
        report
            .notes
            .push(format!("{n} refused by the hub: {reason}"));
    }
    if report.unsettled > 0 {
        report.notes.push(format!(
            "{} messages were still in an outbox {} s after the last fault",
            report.unsettled,
            wait.as_secs()
        ));
    }
    Ok(())
}
