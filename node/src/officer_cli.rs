//! `cordon-node officer add|list|disable|enable|passwd`: the console's officers, in
//! `officers.json` in the node's data directory. Works whether or not the daemon runs
//! (the console reads the file again when it changes). Passwords are typed without
//! echo, twice, or read from standard input with `--password-stdin` (one line).

use std::io::BufRead;
use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::cli::{exit, Failure};
use crate::config::NodeConfig;
use crate::officers::{OfficerBook, OfficerError, OfficerRole};

/// The node configuration, for its data directory.
#[derive(Debug, Clone, Args)]
pub struct OfficerCommon {
    /// The node's configuration file.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
}

/// Officer commands.
#[derive(Debug, Subcommand)]
pub enum OfficerCommand {
    /// Add an officer.
    Add {
        /// Common options.
        #[command(flatten)]
        common: OfficerCommon,
        /// Their name (login, and shown to recipients as "NODE / name").
        name: String,
        /// reader (inbox, show, acknowledge), sender (and compose, sent, OCU), admin (and
        /// officers, status).
        #[arg(long, value_parser = ["reader", "sender", "admin"])]
        role: String,
        /// Read the password from standard input (one line) instead of asking.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the officers.
    List {
        /// Common options.
        #[command(flatten)]
        common: OfficerCommon,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Disable an officer: they cannot log in, and their open sessions end.
    Disable {
        /// Common options.
        #[command(flatten)]
        common: OfficerCommon,
        /// The officer.
        name: String,
    },
    /// Enable a disabled officer again.
    Enable {
        /// Common options.
        #[command(flatten)]
        common: OfficerCommon,
        /// The officer.
        name: String,
    },
    /// Set an officer's password.
    Passwd {
        /// Common options.
        #[command(flatten)]
        common: OfficerCommon,
        /// The officer.
        name: String,
        /// Read the password from standard input (one line) instead of asking.
        #[arg(long)]
        password_stdin: bool,
    },
}

fn failure(e: OfficerError) -> Failure {
    let code = match e {
        OfficerError::Unknown(_) => exit::NOT_FOUND,
        OfficerError::Io { .. } | OfficerError::Damaged { .. } | OfficerError::Hash(_) => {
            exit::INTERNAL
        }
        _ => exit::USAGE,
    };
    Failure {
        code,
        message: e.to_string(),
    }
}

fn book(common: &OfficerCommon) -> Result<OfficerBook, Failure> {
    let config = NodeConfig::load(&common.config).map_err(|e| Failure {
        code: exit::USAGE,
        message: e.to_string(),
    })?;
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&config.data_dir)
            .map_err(|e| Failure {
                code: exit::INTERNAL,
                message: format!("data directory {}: {e}", config.data_dir.display()),
            })?;
    }
    Ok(OfficerBook::new(config.officers_path()))
}

fn password(from_stdin: bool) -> Result<String, Failure> {
    let io_failure = |e: std::io::Error| Failure {
        code: exit::USAGE,
        message: format!("cannot read the password: {e}"),
    };
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(io_failure)?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    let first =
        rpassword::prompt_password("Password (10 characters or more): ").map_err(io_failure)?;
    let again = rpassword::prompt_password("Again: ").map_err(io_failure)?;
    if first != again {
        return Err(Failure {
            code: exit::USAGE,
            message: "the two passwords differ; nothing was changed".into(),
        });
    }
    Ok(first)
}

/// Run an officer command.
pub fn run(command: &OfficerCommand) -> Result<(), Failure> {
    match command {
        OfficerCommand::Add {
            common,
            name,
            role,
            password_stdin,
        } => {
            let book = book(common)?;
            let role: OfficerRole = role.parse().map_err(failure)?;
            crate::officers::check_name(name).map_err(failure)?;
            let pw = password(*password_stdin)?;
            book.add(name, role, &pw).map_err(failure)?;
            println!("officer {name:?} added as {}", role.as_str());
        }
        OfficerCommand::List { common, json } => {
            let officers = book(common)?.load().map_err(failure)?;
            if *json {
                let list: Vec<serde_json::Value> = officers
                    .iter()
                    .map(|o| {
                        serde_json::json!({
                            "name": o.name, "role": o.role, "disabled": o.disabled, "language": o.language
                        })
                    })
                    .collect();
                println!("{}", serde_json::Value::Array(list));
            } else if officers.is_empty() {
                println!(
                    "no officers yet: cordon-node officer add NAME --role sender --config FILE"
                );
            } else {
                for o in officers {
                    let state = if o.disabled { "disabled" } else { "active" };
                    println!("{:<24}  {:<7}  {state}", o.name, o.role.as_str());
                }
            }
        }
        OfficerCommand::Disable { common, name } => {
            book(common)?.set_disabled(name, true).map_err(failure)?;
            println!("officer {name:?} disabled");
        }
        OfficerCommand::Enable { common, name } => {
            book(common)?.set_disabled(name, false).map_err(failure)?;
            println!("officer {name:?} enabled");
        }
        OfficerCommand::Passwd {
            common,
            name,
            password_stdin,
        } => {
            let book = book(common)?;
            book.get(name).map_err(failure)?;
            let pw = password(*password_stdin)?;
            book.set_password(name, &pw).map_err(failure)?;
            println!("password of {name:?} changed");
        }
    }
    Ok(())
}
