//! The `cordon-hub` command line: `run`, `ca init|issue|revoke|roster`, `policy check`,
//! `audit verify|checkpoint`. `main.rs` parses, sets up logging and calls [`execute`].

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use cordon_common::identity::{KeyAlgorithm, NodeIdentity};
use cordon_common::ids::{NodeId, Role};
use cordon_common::pki::{HubCertRequest, IdentityKey, NodeCertRequest, TrustStore, Validity};

use crate::audit::{verify_complete_records, verify_file, AuditHead, Checkpoint};
use crate::audit_sink::recorded_head;
use crate::ca_dir::{serial_of_cert_file, CaDir};
use crate::config::HubConfig;
use crate::policy::{Policy, Subject};
use crate::reload::load_trust;
use crate::server::RunningHub;
use crate::store::{RedbStore, Store};

/// The Cordon hub: the Secretariat's QUIC server, CA tooling, policy and audit checks.
#[derive(Debug, Parser)]
#[command(name = "cordon-hub", version)]
pub struct Cli {
    /// Log format on stderr.
    #[arg(long, value_enum, default_value_t = LogFormat::Human, global = true)]
    pub log_format: LogFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Human,
    /// One JSON object per line.
    Json,
}

/// The hub's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the hub until SIGTERM or SIGINT (SIGHUP reloads the policy and CRLs).
    Run {
        /// The hub's configuration file.
        #[arg(long)]
        config: PathBuf,
        /// Start even though the audit log no longer holds the head recorded in the store
        /// (records were cut from its end or rewritten); the hub writes an
        /// `audit-log-shortened` record naming both heads. Only after keeping the damaged
        /// log as evidence and finding no backup to restore.
        #[arg(long)]
        accept_shortened_audit_log: bool,
    },
    /// The federation CA: create it, issue certificates, revoke them.
    #[command(subcommand)]
    Ca(CaCommand),
    /// The channel policy.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// The audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
}

/// Key type of a new certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Alg {
    /// Ed25519.
    Ed25519,
    /// ECDSA P-256.
    P256,
}

impl From<Alg> for KeyAlgorithm {
    fn from(a: Alg) -> Self {
        match a {
            Alg::Ed25519 => KeyAlgorithm::Ed25519,
            Alg::P256 => KeyAlgorithm::EcdsaP256,
        }
    }
}

/// `cordon-hub ca …`.
#[derive(Debug, Subcommand)]
pub enum CaCommand {
    /// Create the federation root CA in a new directory.
    Init {
        /// The CA directory (created; must not hold a CA yet).
        #[arg(long)]
        dir: PathBuf,
        /// The root's common name.
        #[arg(long, default_value = "Cordon Federation Root")]
        name: String,
        /// The Secretariat's organisation name.
        #[arg(long)]
        org: String,
        /// Key type.
        #[arg(long, value_enum, default_value_t = Alg::Ed25519)]
        alg: Alg,
        /// Validity in days.
        #[arg(long, default_value_t = 3650)]
        days: i64,
    },
    /// Issue a certificate.
    #[command(subcommand)]
    Issue(IssueCommand),
    /// Revoke a certificate and write a new CRL (give it to the hub and the nodes).
    Revoke {
        /// The CA directory.
        #[arg(long)]
        dir: PathBuf,
        /// The certificate file to revoke.
        #[arg(long, conflicts_with = "serial", required_unless_present = "serial")]
        cert: Option<PathBuf>,
        /// Or its serial number, hex.
        #[arg(long)]
        serial: Option<String>,
    },
    /// Sign the operation roster of a policy (who reads which channel) with the root key.
    /// Nodes seal channel messages only to readers this roster names; the hub serves it
    /// and refuses a policy whose readers differ from it. Sign a new one whenever the
    /// participants or readers in the policy change.
    Roster {
        /// The CA directory.
        #[arg(long)]
        dir: PathBuf,
        /// The policy file.
        #[arg(long)]
        policy: PathBuf,
        /// Where to write the signed roster (the file `[policy] roster` names).
        #[arg(long)]
        out: PathBuf,
        /// The version; must exceed every roster signed before. Default: now, in
        /// seconds since the Unix epoch.
        #[arg(long)]
        version: Option<u64>,
    },
}

/// Options every issue shares.
#[derive(Debug, Args)]
pub struct IssueCommon {
    /// The CA directory.
    #[arg(long)]
    pub dir: PathBuf,
    /// Where to write `<name>.crt` and `<name>.key` (0600).
    #[arg(long)]
    pub out: PathBuf,
    /// The organisation (O).
    #[arg(long)]
    pub org: String,
    /// Key type.
    #[arg(long, value_enum, default_value_t = Alg::Ed25519)]
    pub alg: Alg,
    /// Validity in days.
    #[arg(long, default_value_t = 365)]
    pub days: i64,
}

/// `cordon-hub ca issue …`.
#[derive(Debug, Subcommand)]
pub enum IssueCommand {
    /// A hub certificate (serverAuth).
    Hub {
        /// Options.
        #[command(flatten)]
        common: IssueCommon,
        /// DNS names the hub is reached by.
        #[arg(long = "dns")]
        dns: Vec<String>,
        /// IP addresses the hub is reached by.
        #[arg(long = "ip")]
        ips: Vec<IpAddr>,
    },
    /// A node certificate (clientAuth), with the node id, role and country.
    Node {
        /// Options.
        #[command(flatten)]
        common: IssueCommon,
        /// The node id (e.g. BE-NCP).
        #[arg(long)]
        id: String,
        /// Its role: member, rilo or ocu.
        #[arg(long)]
        role: String,
        /// ISO 3166 alpha-2 country, if it has one.
        #[arg(long)]
        country: Option<String>,
    },
}

/// `cordon-hub policy …`.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Validate the policy file and print the access matrix.
    Check {
        /// The hub's configuration (names the policy file).
        #[arg(long, required_unless_present = "policy")]
        config: Option<PathBuf>,
        /// Or the policy file itself.
        #[arg(long)]
        policy: Option<PathBuf>,
        /// Directories of node certificates (*.crt) to show in the matrix, besides the
        /// nodes the hub's store knows.
        #[arg(long = "certs")]
        certs: Vec<PathBuf>,
    },
}

/// `cordon-hub audit …`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain of the audit log; name the first bad record.
    Verify {
        /// The hub's configuration (names the data directory, the federation root and
        /// the CRLs).
        #[arg(long, required_unless_present = "log")]
        config: Option<PathBuf>,
        /// Or the audit log file itself.
        #[arg(long)]
        log: Option<PathBuf>,
        /// Also check the log against checkpoints made by `audit checkpoint`: each must
        /// be signed by a hub of the federation, and the log must hold its record.
        #[arg(long = "checkpoint")]
        checkpoints: Vec<PathBuf>,
        /// The federation root (PEM), to check checkpoints without --config.
        #[arg(long)]
        root: Option<PathBuf>,
    },
    /// Print the log's head (seq, hash) with the time, signed by the hub's identity key:
    /// keep it away from the hub, and check the log against it later with
    /// `audit verify --checkpoint FILE`.
    Checkpoint {
        /// The hub's configuration (names the log, the store, the key and certificate).
        #[arg(long)]
        config: PathBuf,
        /// Write it to this file (mode 0644) instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// Run a parsed command.
pub async fn execute(command: Command) -> Result<()> {
    match command {
        Command::Run {
            config,
            accept_shortened_audit_log,
        } => run(&config, accept_shortened_audit_log).await,
        Command::Ca(c) => ca(c),
        Command::Policy(PolicyCommand::Check {
            config,
            policy,
            certs,
        }) => policy_check(config.as_deref(), policy.as_deref(), &certs),
        Command::Audit(AuditCommand::Verify {
            config,
            log,
            checkpoints,
            root,
        }) => audit_verify(
            config.as_deref(),
            log.as_deref(),
            &checkpoints,
            root.as_deref(),
        ),
        Command::Audit(AuditCommand::Checkpoint { config, out }) => {
            audit_checkpoint(&config, out.as_deref())
        }
    }
}

async fn run(config: &Path, accept_shortened_audit_log: bool) -> Result<()> {
    let mut config = HubConfig::load(config)?;
    config.accept_shortened_audit_log = accept_shortened_audit_log;
    let hub = RunningHub::start(config)
        .await
        .context("the hub could not start")?;
    hub.run_until_signal().await;
    Ok(())
}

fn ca(c: CaCommand) -> Result<()> {
    match c {
        CaCommand::Init {
            dir,
            name,
            org,
            alg,
            days,
        } => {
            let ca = CaDir::init(&dir, &name, &org, alg.into(), days)?;
            println!("CA created:");
            println!("  root certificate  {}", ca.cert_path().display());
            println!("  root key (0600)   {}", dir.join("ca.key").display());
            println!("  CRL               {}", ca.crl_path().display());
            println!("Keep the root key offline; give ca.crt and crl.pem to the hub and nodes.");
        }
        CaCommand::Issue(IssueCommand::Hub { common, dns, ips }) => {
            if dns.is_empty() && ips.is_empty() {
                bail!("a hub certificate needs at least one --dns name or --ip address");
            }
            let ca = CaDir::open(&common.dir)?;
            let issued = ca.issue_hub(&HubCertRequest {
                dns_names: dns,
                ips,
                organisation: common.org,
                algorithm: common.alg.into(),
                validity: Validity::days_from_now(common.days),
            })?;
            let (crt, key) = CaDir::write_issued(&common.out, "hub", &issued)?;
            print_issued("hub", &crt, &key, &issued.serial);
        }
        CaCommand::Issue(IssueCommand::Node {
            common,
            id,
            role,
            country,
        }) => {
            let node_id: NodeId = id
                .parse()
                .with_context(|| format!("--id {id:?} is not a valid node id"))?;
            let role: Role = role
                .parse()
                .with_context(|| format!("--role {role:?}: expected member, rilo or ocu"))?;
            let ca = CaDir::open(&common.dir)?;
            let issued = ca.issue_node(&NodeCertRequest {
                node_id: node_id.clone(),
                role,
                organisation: common.org,
                country,
                algorithm: common.alg.into(),
                validity: Validity::days_from_now(common.days),
            })?;
            let (crt, key) = CaDir::write_issued(&common.out, node_id.as_str(), &issued)?;
            print_issued(node_id.as_str(), &crt, &key, &issued.serial);
        }
        CaCommand::Revoke { dir, cert, serial } => {
            let serial = match (cert, serial) {
                (Some(c), _) => serial_of_cert_file(&c)?,
                (None, Some(s)) => hex::decode(s.trim()).context("--serial must be hexadecimal")?,
                (None, None) => bail!("give --cert FILE or --serial HEX"),
            };
            let ca = CaDir::open(&dir)?;
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            let crl = ca.revoke(&serial, now)?;
            println!("revoked serial {}", hex::encode(&serial));
            println!("new CRL written to {}", crl.display());
            println!("The hub reloads it when the file changes (or on SIGHUP) and closes the node's session.");
        }
        CaCommand::Roster {
            dir,
            policy,
            out,
            version,
        } => {
            let policy = Policy::load(&policy)?;
            let now = crate::state::now_ms();
            let version = version.unwrap_or(now / 1000);
            let ca = CaDir::open(&dir)?;
            let signed = ca
                .ca()
                .sign_roster(&policy.roster(version, now))
                .context("signing the roster")?;
            std::fs::write(&out, signed.as_bytes())
                .with_context(|| format!("writing {}", out.display()))?;
            println!(
                "roster version {version} of {} signed: {}",
                policy.origin(),
                out.display()
            );
            println!("The hub loads it with the policy (on change or SIGHUP); nodes take it from the hub.");
        }
    }
    Ok(())
}

fn print_issued(name: &str, crt: &Path, key: &Path, serial: &[u8]) {
    println!("issued {name} (serial {}):", hex::encode(serial));
    println!("  certificate  {}", crt.display());
    println!("  key (0600)   {}", key.display());
}

fn policy_check(config: Option<&Path>, policy: Option<&Path>, certs: &[PathBuf]) -> Result<()> {
    let (policy_path, store_path, cfg) = match (config, policy) {
        (_, Some(p)) => (p.to_path_buf(), None, None),
        (Some(c), None) => {
            let cfg = HubConfig::load(c)?;
            (cfg.policy.clone(), Some(cfg.store_path()), Some(cfg))
        }
        (None, None) => bail!("give --config hub.toml or --policy policy.toml"),
    };
    let policy = Policy::load(&policy_path)?;
    if let Some(cfg) = &cfg {
        let roots = cordon_common::pki::read_pem_certs(&cfg.root)?;
        let r = crate::roster_file::load_roster(&cfg.roster, &roots, &policy, None)?;
        println!(
            "{}: OK, version {}, matches the policy",
            cfg.roster.display(),
            r.roster.version
        );
    }
    let mut subjects: Vec<Subject> = Vec::new();
    if let Some(s) = store_path.filter(|p| p.exists()) {
        // The store is locked while the hub runs; then only --certs are shown.
        match RedbStore::open(&s, 0).and_then(|st| st.nodes()) {
            Ok(nodes) => {
                for n in nodes {
                    if let Ok(id) = NodeIdentity::from_der(&n.cert_der) {
                        subjects.push(Subject::from(&id));
                    }
                }
            }
            Err(e) => eprintln!("note: nodes known to the hub not shown ({e})"),
        }
    }
    for dir in certs {
        for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
            let path = entry?.path();
            if path.extension().and_then(|e| e.to_str()) != Some("crt") {
                continue;
            }
            let ders = cordon_common::pki::read_pem_certs(&path)?;
            for der in ders.iter().take(1) {
                match NodeIdentity::from_der(der) {
                    Ok(id) => subjects.push(Subject::from(&id)),
                    Err(e) => eprintln!("note: {} skipped: {e}", path.display()),
                }
            }
        }
    }
    subjects.sort_by(|a, b| a.node_id.cmp(&b.node_id));
    subjects.dedup_by(|a, b| a.node_id == b.node_id);
    println!("{}: OK", policy_path.display());
    println!();
    print!(
        "{}",
        policy.access_matrix(&subjects, crate::state::now_ms())
    );
    Ok(())
}

/// The head recorded in the store at `store_path`, if the store exists and can be read
/// (it is locked while the hub runs: then a note says what is not checked).
fn recorded_head_of(store_path: Option<PathBuf>) -> Result<Option<AuditHead>> {
    let Some(s) = store_path.filter(|p| p.exists()) else {
        return Ok(None);
    };
    let store = match RedbStore::open(&s, 0) {
        Ok(store) => store,
        Err(e) => {
            eprintln!(
                "note: the recorded head could not be read ({e}); a truncated tail would not be detected. Stop the hub to check it too."
            );
            return Ok(None);
        }
    };
    recorded_head(&store).map_err(anyhow::Error::msg)
}

fn audit_verify(
    config: Option<&Path>,
    log: Option<&Path>,
    checkpoints: &[PathBuf],
    root: Option<&Path>,
) -> Result<()> {
    let cfg = config.map(HubConfig::load).transpose()?;
    let (log_path, store_path) = match (&cfg, log) {
        (_, Some(l)) => (l.to_path_buf(), None),
        (Some(c), None) => (c.audit_path(), Some(c.store_path())),
        (None, None) => bail!("give --config hub.toml or --log audit.log"),
    };
    // The head the hub recorded beside its messages catches a truncated tail.
    let expected = recorded_head_of(store_path)?;
    let report = verify_file(&log_path, expected.as_ref())
        .with_context(|| format!("audit log {} does NOT verify", log_path.display()))?;
    println!(
        "{}: OK, {} records, chain intact, head {} {}{}",
        log_path.display(),
        report.records,
        report.head.seq,
        report.head.hash,
        if expected.is_some() {
            " (matches the head recorded in the store)"
        } else {
            ""
        }
    );
    if checkpoints.is_empty() {
        return Ok(());
    }
    let trust = match (root, &cfg) {
        (Some(r), _) => TrustStore::new(cordon_common::pki::read_pem_certs(r)?, Vec::new())?,
        (None, Some(c)) => load_trust(c, None)?,
        (None, None) => bail!("give --root ca.crt (or --config hub.toml) to check checkpoints"),
    };
    for path in checkpoints {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read checkpoint {}", path.display()))?;
        let bad = || format!("checkpoint {} does NOT verify", path.display());
        let cp = Checkpoint::parse(&text).with_context(bad)?;
        cp.verify_signature(&trust).with_context(bad)?;
        cp.check_log(&log_path).with_context(|| {
            format!(
                "audit log {} does NOT match checkpoint {}",
                log_path.display(),
                path.display()
            )
        })?;
        println!(
            "{}: OK, signed by the hub at {}; the log holds seq {} with hash {}",
            path.display(),
            cp.at,
            cp.head.seq,
            cp.head.hash
        );
    }
    Ok(())
}

fn audit_checkpoint(config: &Path, out: Option<&Path>) -> Result<()> {
    let cfg = HubConfig::load(config)?;
    let expected = recorded_head_of(Some(cfg.store_path()))?;
    // The hub may be writing the log: only its complete records are vouched for.
    let report =
        verify_complete_records(cfg.audit_path(), expected.as_ref()).with_context(|| {
            format!(
                "audit log {} does NOT verify; no checkpoint made",
                cfg.audit_path().display()
            )
        })?;
    let (key, _) = IdentityKey::load(&cfg.key)?;
    let chain = cordon_common::pki::read_pem_certs(&cfg.cert)?;
    let Some(cert) = chain.first() else {
        bail!("{} holds no certificate", cfg.cert.display());
    };
    let cp = Checkpoint::sign(report.head, crate::state::now_ms(), cert, &key)?;
    match out {
        Some(path) => {
            cordon_common::pki::write_public_file(path, cp.to_text().as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!(
                "checkpoint of seq {} written to {}; keep a copy away from the hub",
                cp.head.seq,
                path.display()
            );
        }
        None => print!("{}", cp.to_text()),
    }
    Ok(())
}
