//! A small tmpfs for the hub's data directory, mounted by the test (root only), filled
//! up and freed again. Unmounted when dropped.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

/// A mounted tmpfs.
#[derive(Debug)]
pub struct Tmpfs {
    dir: PathBuf,
}

impl Tmpfs {
    /// Mount a tmpfs of `size` (as `mount -o size=` takes it) at `dir`. `Err` says why it
    /// could not (not root, no permission to mount in this container), for a skip message.
    pub fn mount(dir: &Path, size: &str) -> std::result::Result<Self, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot make {}: {e}", dir.display()))?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "mounting a tmpfs needs root and permission to mount ({})",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(Self {
            dir: dir.to_path_buf(),
        })
    }

    /// Where it is mounted.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    fn filler(&self) -> PathBuf {
        self.dir.join("filler")
    }

    /// Write a file until the filesystem is full; the bytes written.
    pub fn fill(&self) -> Result<u64> {
        let mut f = std::fs::File::create(self.filler()).context("creating the filler")?;
        let chunk = vec![0u8; 64 * 1024];
        let mut written = 0u64;
        // Bounded by the filesystem's size; 1 GiB at the most.
        while written < 1 << 30 {
            match f.write(&chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => written += n as u64,
            }
        }
        // A 64 KiB write that fails leaves less than 64 KiB free: less than the hub's
        // next commit needs.
        let _ = f.sync_all();
        Ok(written)
    }

    /// Delete the filler.
    pub fn free(&self) -> Result<()> {
        std::fs::remove_file(self.filler()).context("removing the filler")
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        // Lazy: a process still holding a file there (a killed hub being reaped) does not
        // keep the mount.
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
    }
}
