//! Programs as separate processes, the way an operator runs them: the workspace's
//! binaries (built on first use) and a guard that kills a child when a test ends.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;

use anyhow::{bail, Context, Result};

static BUILT: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// The target directory of this workspace.
pub(crate) fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"),
    }
}

/// The path of binary `bin` of package `package`, built on first use in the profile of
/// the program asking (debug for `cargo test`, release for a `--release` tool).
pub fn binary(package: &str, bin: &str) -> Result<PathBuf> {
    let mut built = BUILT.lock().unwrap_or_else(|p| p.into_inner());
    let release = !cfg!(debug_assertions);
    let path = target_dir()
        .join(if release { "release" } else { "debug" })
        .join(bin);
    if !built.iter().any(|b| b == bin) {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        // With the testbed's lib in the same build, cargo resolves shared features as
        // `cargo test` does, so nothing is rebuilt back and forth.
        let mut args = vec!["build", "-q", "-p", package, "--bin", bin];
        args.extend(["-p", "cordon-testbed", "--lib"]);
        if release {
            args.push("--release");
        }
        let status = Command::new(cargo)
            .args(&args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .with_context(|| format!("building {bin}"))?;
        if !status.success() {
            bail!("building {bin} failed");
        }
        built.push(bin.to_owned());
    }
    Ok(path)
}

/// A child process killed (SIGKILL) when dropped, so a failing test leaves nothing behind.
#[derive(Debug)]
pub struct ChildGuard(pub Child);

impl ChildGuard {
    /// Start `program args…` with stdout discarded and stderr inherited (test output).
    pub fn spawn(program: &PathBuf, args: &[&str]) -> Result<Self> {
        let child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", program.display()))?;
        Ok(Self(child))
    }

    /// SIGKILL now and reap.
    pub fn kill(&mut self) -> Result<()> {
        self.0.kill()?;
        self.0.wait()?;
        Ok(())
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
