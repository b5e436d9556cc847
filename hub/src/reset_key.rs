//! The hub's QUIC endpoint keys, kept in the data directory (`reset.key`, 0600) so that
//! they survive a restart: the stateless-reset key, and the key of the connection-id
//! generator (derived from it).
//!
//! After a crash, a node still holds a connection the new hub process does not know.
//! When the node's next packet (a keep-alive at the latest) reaches the new process, the
//! hub recognises the connection id as one it issued (same generator key) and answers
//! with a stateless reset (RFC 9000 §10.3); the node, which learnt the reset token for
//! that id from the old process (same reset key), closes the connection at once and
//! reconnects. With fresh random keys per process (quinn's default) the new process
//! drops the packet, and the node waits for its idle timeout instead.

use std::path::Path;

use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};

/// The key file's name in the data directory.
pub const RESET_KEY_FILE: &str = "reset.key";
const LEN: usize = 32;

/// The reset key cannot be read or made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResetKeyError {
    /// Reading or writing the file failed.
    #[error("stateless reset key {path}: {reason}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The file is not 32 bytes (delete it to make a new one).
    #[error("stateless reset key {path} is {len} bytes, not {LEN}: delete it and the hub makes a new one")]
    Length {
        /// The file.
        path: String,
        /// Its length.
        len: usize,
    },
}

/// The endpoint configuration with the keys of `data_dir` (made there first if needed).
pub fn endpoint_config(data_dir: &Path) -> Result<quinn::EndpointConfig, ResetKeyError> {
    let reset = load_or_create(data_dir)?;
    let tag = hmac::sign(&reset, b"cordon/1 connection-id key");
    let mut cid_key = [0u8; 8];
    cid_key.copy_from_slice(&tag.as_ref()[..8]);
    let cid_key = u64::from_be_bytes(cid_key);
    let mut cfg = quinn::EndpointConfig::new(std::sync::Arc::new(reset));
    cfg.cid_generator(move || {
        Box::new(quinn_proto::HashedConnectionIdGenerator::from_key(cid_key))
    });
    Ok(cfg)
}

/// Load the reset key from `data_dir`, or make one (from the system's randomness) and
/// write it with mode 0600.
pub fn load_or_create(data_dir: &Path) -> Result<hmac::Key, ResetKeyError> {
    let path = data_dir.join(RESET_KEY_FILE);
    let shown = path.display().to_string();
    let io = |e: std::io::Error| ResetKeyError::Io {
        path: shown.clone(),
        reason: e.to_string(),
    };
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut b = vec![0u8; LEN];
            SystemRandom::new()
                .fill(&mut b)
                .map_err(|_| ResetKeyError::Io {
                    path: shown.clone(),
                    reason: "no system randomness".into(),
                })?;
            cordon_common::pki::write_secret_file(&path, &b).map_err(io)?;
            b
        }
        Err(e) => return Err(io(e)),
    };
    if bytes.len() != LEN {
        return Err(ResetKeyError::Length {
            path: shown,
            len: bytes.len(),
        });
    }
    Ok(hmac::Key::new(hmac::HMAC_SHA256, &bytes))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_key_is_made_once_with_mode_0600_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let a = load_or_create(dir.path()).unwrap();
        let meta = std::fs::metadata(dir.path().join(RESET_KEY_FILE)).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        let b = load_or_create(dir.path()).unwrap();
        let tag = |k: &hmac::Key| hmac::sign(k, b"conn").as_ref().to_vec();
        assert_eq!(tag(&a), tag(&b), "the same key after a restart");
        std::fs::write(dir.path().join(RESET_KEY_FILE), b"short").unwrap();
        assert!(matches!(
            load_or_create(dir.path()),
            Err(ResetKeyError::Length { len: 5, .. })
        ));
    }
}
