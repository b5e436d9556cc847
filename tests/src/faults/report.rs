//! What a scenario measured, and the markdown table of `docs/RELIABILITY.md`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

/// How big a run is: `Short` for `cargo test` (well under a minute on 2 cores), `Full`
/// for `cordon-faults` (the sizes the issue asks for).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scale {
    /// A few nodes, seconds-long faults, a few kills.
    Short,
    /// 20 nodes, a 30 s partition, 20 kills.
    Full,
}

impl Scale {
    /// The nodes' `[limits]` where the hub is SIGKILLed: a node notices a dead hub only
    /// at its QUIC idle timeout (30 s by default), so the short runs use 5 s to stay
    /// short; the full runs keep the defaults.
    pub fn quick_idle(self) -> &'static str {
        self.pick("idle_timeout_ms = 5000\nkeep_alive_ms = 1000", "")
    }

    /// Pick `short` or `full`.
    pub fn pick<T>(self, short: T, full: T) -> T {
        match self {
            Self::Short => short,
            Self::Full => full,
        }
    }
}

impl std::fmt::Display for Scale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Short => "short",
            Self::Full => "full",
        })
    }
}

/// The outcome of one scenario.
#[derive(Debug, Clone, Default)]
pub struct ScenarioReport {
    /// The scenario's name (`cordon-faults --scenario NAME`).
    pub name: String,
    /// What was done, in a few words (nodes, faults, kills).
    pub setup: String,
    /// Messages the hub acknowledged as `stored` (the senders' outboxes say so).
    pub stored: usize,
    /// Messages the hub refused (settled as failed at the sender, with the hub's reason).
    pub refused: usize,
    /// Messages neither stored nor refused when the run ended (still in an outbox).
    pub unsettled: usize,
    /// Messages shown in each reader's inbox, by reader.
    pub delivered: BTreeMap<String, usize>,
    /// Deliveries each reader should have had (stored messages of the other nodes).
    pub expected_per_reader: BTreeMap<String, usize>,
    /// Stored messages missing from at least one reader's inbox at the end.
    pub lost: usize,
    /// Ids shown twice in some inbox (counted once per inbox and id).
    pub duplicated: usize,
    /// From the end of the last fault until every stored message was in every inbox.
    pub recovery: Option<Duration>,
    /// The whole run.
    pub elapsed: Duration,
    /// Anything else worth saying (proxy counters, kills that hit in-flight work, reasons).
    pub notes: Vec<String>,
    /// Defects seen that lose nothing but that an operator or officer would meet (a
    /// component that does not recover by itself, messages failed that a retry would
    /// have stored).
    pub findings: Vec<String>,
    /// Why the scenario did not run, if it did not.
    pub skipped: Option<String>,
}

impl ScenarioReport {
    /// Nothing lost, nothing shown twice, nothing left hanging (a skipped run passes
    /// nothing and fails nothing).
    pub fn passed(&self) -> bool {
        self.skipped.is_none() && self.lost == 0 && self.duplicated == 0 && self.unsettled == 0
    }

    /// Deliveries seen and expected over all readers.
    pub fn deliveries(&self) -> (usize, usize) {
        (
            self.delivered.values().sum(),
            self.expected_per_reader.values().sum(),
        )
    }

    /// The verdict word.
    pub fn verdict(&self) -> &'static str {
        match (&self.skipped, self.passed()) {
            (Some(_), _) => "skipped",
            (None, true) => "pass",
            (None, false) => "FAIL",
        }
    }
}

fn secs(d: Option<Duration>) -> String {
    d.map_or_else(|| "—".into(), |d| format!("{:.1} s", d.as_secs_f64()))
}

/// The reports as one markdown table, then each report's notes.
pub fn markdown(reports: &[ScenarioReport]) -> String {
    let mut out = String::from(
        "| scenario | setup | stored | refused | unsettled | delivered / expected | lost | duplicated at officers | recovery | run | verdict |\n\
         |---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in reports {
        if let Some(why) = &r.skipped {
            let _ = writeln!(
                out,
                "| {} | {} | | | | | | | | | skipped: {why} |",
                r.name, r.setup
            );
            continue;
        }
        let (got, want) = r.deliveries();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {got} / {want} | {} | {} | {} | {} | {} |",
            r.name,
            r.setup,
            r.stored,
            r.refused,
            r.unsettled,
            r.lost,
            r.duplicated,
            secs(r.recovery),
            secs(Some(r.elapsed)),
            r.verdict()
        );
    }
    for r in reports
        .iter()
        .filter(|r| !r.notes.is_empty() || !r.findings.is_empty())
    {
        let _ = writeln!(out, "\n`{}`:", r.name);
        for n in &r.findings {
            let _ = writeln!(out, "- **finding**: {n}");
        }
        for n in &r.notes {
            let _ = writeln!(out, "- {n}");
        }
    }
    out
}
