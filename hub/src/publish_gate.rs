//! Whether the hub takes publishes now. It refuses them (`unavailable`: the node keeps the
//! message and sends it again), with a reason that says what to do, while its store has
//! met an I/O error and is not open again yet, while its audit log cannot be written (it
//! must not run without its trail), or while the disk of its data directory has less
//! than `limits.min_free_disk_bytes` available (checked with statvfs at each publish, a
//! system call of about a microsecond). The first two end by themselves once the disk
//! takes writes again: the hub retries them on a timer.

use std::path::Path;

use crate::state::HubState;

/// The reason to refuse a publish now, if there is one.
pub fn refuse_publish(state: &HubState) -> Option<String> {
    if state.store.failed() {
        return Some(
            "the hub's store met an I/O error (a full disk?) and is not open again yet; \
             the node keeps the message and sends it again"
                .into(),
        );
    }
    if !state.audit.writable() {
        return Some(
            "the hub cannot write its audit log (a full disk?), so it takes no publishes \
             until it can again; the node keeps the message and sends it again"
                .into(),
        );
    }
    let min = state.config.limits.min_free_disk_bytes;
    if min == 0 {
        return None;
    }
    match available_bytes(&state.config.data_dir) {
        Ok(free) if free < min => Some(format!(
            "the hub's disk is nearly full ({} MiB available, {} MiB kept free by \
             limits.min_free_disk_bytes); the node keeps the message and sends it again \
             once an operator has freed space",
            free / (1024 * 1024),
            min / (1024 * 1024)
        )),
        Ok(_) => None,
        Err(e) => Some(format!(
            "the hub cannot check its free disk space ({e}); the node keeps the message \
             and sends it again later"
        )),
    }
}

/// Bytes available to the hub on the file system holding `dir`.
fn available_bytes(dir: &Path) -> std::io::Result<u64> {
    let s = rustix::fs::statvfs(dir)?;
    Ok(s.f_bavail.saturating_mul(s.f_frsize))
}
