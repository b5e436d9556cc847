//! The officers who may use this node's console: names, roles, argon2id password hashes,
//! in `officers.json` in the data directory (mode 0600, replaced atomically).
//!
//! The file is the one source: `cordon-node officer add|list|disable|enable|passwd`
//! change it whether or not the daemon runs, and the console reads it again whenever it
//! changed, so a disabled officer's sessions end at their next request.

use std::io::Write;
use std::path::{Path, PathBuf};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use serde::{Deserialize, Serialize};

/// What an officer may do in the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OfficerRole {
    /// Inbox, message, acknowledge.
    Reader,
    /// And compose, reply, sent, the OCU pages.
    Sender,
    /// And officers and status.
    Admin,
}

impl OfficerRole {
    /// `reader`, `sender`, `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reader => "reader",
            Self::Sender => "sender",
            Self::Admin => "admin",
        }
    }

    /// Whether this role includes `needed`.
    pub fn allows(self, needed: OfficerRole) -> bool {
        self >= needed
    }
}

impl std::str::FromStr for OfficerRole {
    type Err = OfficerError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "reader" => Ok(Self::Reader),
            "sender" => Ok(Self::Sender),
            "admin" => Ok(Self::Admin),
            other => Err(OfficerError::Role(other.to_owned())),
        }
    }
}

/// One officer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Officer {
    /// Login and the name recipients see ("BE-NCP / name").
    pub name: String,
    /// What they may do.
    pub role: OfficerRole,
    /// argon2id, PHC string.
    pub password_hash: String,
    /// A disabled officer cannot log in; their sessions end.
    #[serde(default)]
    pub disabled: bool,
    /// Their console language (`en`, `fr`, `es`, `pt`, `ru`, `ar`), else the browser's.
    #[serde(default)]
    pub language: Option<String>,
}

/// The officers file could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OfficerError {
    /// Reading or writing the file.
    #[error("officers file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not what this program writes.
    #[error("officers file {path} is damaged: {message}; restore it from a backup or move it away and add the officers again")]
    Damaged {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
    /// No such officer.
    #[error("no officer named {0:?} (see `cordon-node officer list`)")]
    Unknown(String),
    /// The name is taken.
    #[error("an officer named {0:?} exists already")]
    Exists(String),
    /// A name not allowed.
    #[error("officer name {0:?}: 1 to 48 letters, digits, spaces, '.', '-', '_' or '''; no leading or trailing space")]
    BadName(String),
    /// A role not known.
    #[error("role {0:?}: one of reader, sender, admin")]
    Role(String),
    /// A password too short or too long.
    #[error("the password must have 10 to 256 characters")]
    BadPassword,
    /// Hashing failed.
    #[error("password hashing failed: {0}")]
    Hash(String),
}

/// Checks an officer's name.
pub fn check_name(name: &str) -> Result<(), OfficerError> {
    let n = name.chars().count();
    let ok = (1..=48).contains(&n)
        && name.trim() == name
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '.' | '-' | '_' | '\''));
    if ok {
        Ok(())
    } else {
        Err(OfficerError::BadName(name.to_owned()))
    }
}

/// Hash a new password with argon2id (the crate's default parameters: 19 MiB, 2 passes).
pub fn hash_password(password: &str) -> Result<String, OfficerError> {
    let n = password.chars().count();
    if !(10..=256).contains(&n) {
        return Err(OfficerError::BadPassword);
    }
    let mut bytes = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
        .map_err(|_| OfficerError::Hash("no system randomness".into()))?;
    let salt = SaltString::encode_b64(&bytes).map_err(|e| OfficerError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| OfficerError::Hash(e.to_string()))
}

/// Whether `password` matches the stored hash (false for a hash that does not parse).
pub fn verify_password(hash: &str, password: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

/// The officers file.
#[derive(Debug, Clone)]
pub struct OfficerBook {
    path: PathBuf,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct FileFormat {
    officers: Vec<Officer>,
}

impl OfficerBook {
    /// The book at `path` (it need not exist yet).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io(&self, source: std::io::Error) -> OfficerError {
        OfficerError::Io {
            path: self.path.display().to_string(),
            source,
        }
    }

    /// Every officer (none when the file does not exist).
    pub fn load(&self) -> Result<Vec<Officer>, OfficerError> {
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(self.io(e)),
        };
        let file: FileFormat =
            serde_json::from_slice(&bytes).map_err(|e| OfficerError::Damaged {
                path: self.path.display().to_string(),
                message: e.to_string(),
            })?;
        Ok(file.officers)
    }

    /// The officer named `name`.
    pub fn get(&self, name: &str) -> Result<Officer, OfficerError> {
        self.load()?
            .into_iter()
            .find(|o| o.name == name)
            .ok_or_else(|| OfficerError::Unknown(name.to_owned()))
    }

    fn save(&self, officers: Vec<Officer>) -> Result<(), OfficerError> {
        use std::os::unix::fs::OpenOptionsExt;
        let text = serde_json::to_vec_pretty(&FileFormat { officers }).map_err(|e| {
            OfficerError::Damaged {
                path: self.path.display().to_string(),
                message: e.to_string(),
            }
        })?;
        let tmp = self.path.with_extension("json.tmp");
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(|e| self.io(e))?;
        f.write_all(&text).map_err(|e| self.io(e))?;
        f.sync_all().map_err(|e| self.io(e))?;
        std::fs::rename(&tmp, &self.path).map_err(|e| self.io(e))?;
        if let Some(dir) = self.path.parent() {
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }

    fn change(
        &self,
        name: &str,
        f: impl FnOnce(&mut Officer) -> Result<(), OfficerError>,
    ) -> Result<(), OfficerError> {
        let mut all = self.load()?;
        let o = all
            .iter_mut()
            .find(|o| o.name == name)
            .ok_or_else(|| OfficerError::Unknown(name.to_owned()))?;
        f(o)?;
        self.save(all)
    }

    /// Add an officer.
    pub fn add(&self, name: &str, role: OfficerRole, password: &str) -> Result<(), OfficerError> {
        check_name(name)?;
        let mut all = self.load()?;
        if all.iter().any(|o| o.name == name) {
            return Err(OfficerError::Exists(name.to_owned()));
        }
        all.push(Officer {
            name: name.to_owned(),
            role,
            password_hash: hash_password(password)?,
            disabled: false,
            language: None,
        });
        self.save(all)
    }

    /// Disable (or enable again) an officer.
    pub fn set_disabled(&self, name: &str, disabled: bool) -> Result<(), OfficerError> {
        self.change(name, |o| {
            o.disabled = disabled;
            Ok(())
        })
    }

    /// Set a new password.
    pub fn set_password(&self, name: &str, password: &str) -> Result<(), OfficerError> {
        let hash = hash_password(password)?;
        self.change(name, |o| {
            o.password_hash = hash;
            Ok(())
        })
    }

    /// Set the officer's console language (`None`: the browser's).
    pub fn set_language(&self, name: &str, language: Option<String>) -> Result<(), OfficerError> {
        self.change(name, |o| {
            o.language = language;
            Ok(())
        })
    }

    /// The officer if `password` is theirs and they are not disabled.
    pub fn check_login(&self, name: &str, password: &str) -> Result<Option<Officer>, OfficerError> {
        let all = self.load()?;
        match all.into_iter().find(|o| o.name == name) {
            Some(o) if !o.disabled && verify_password(&o.password_hash, password) => Ok(Some(o)),
            Some(_) => Ok(None),
            None => {
                // Spend the same time as for a known name, so the answer's timing does
                // not tell which names exist.
                let _ = hash_password("not-a-password-of-anyone");
                Ok(None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn add_login_disable_passwd() {
        let dir = tempfile::tempdir().unwrap();
        let book = OfficerBook::new(dir.path().join("officers.json"));
        book.add("Ana Silva", OfficerRole::Sender, "correct horse battery")
            .unwrap();
        assert!(matches!(
            book.add("Ana Silva", OfficerRole::Reader, "another password"),
            Err(OfficerError::Exists(_))
        ));
        assert!(book
            .check_login("Ana Silva", "correct horse battery")
            .unwrap()
            .is_some());
        assert!(book
            .check_login("Ana Silva", "wrong password!!")
            .unwrap()
            .is_none());
        assert!(book.check_login("Nobody", "whatever123").unwrap().is_none());
        book.set_disabled("Ana Silva", true).unwrap();
        assert!(book
            .check_login("Ana Silva", "correct horse battery")
            .unwrap()
            .is_none());
        book.set_disabled("Ana Silva", false).unwrap();
        book.set_password("Ana Silva", "a new long password")
            .unwrap();
        assert!(book
            .check_login("Ana Silva", "a new long password")
            .unwrap()
            .is_some());
        let text = std::fs::read_to_string(book.path()).unwrap();
        assert!(text.contains("$argon2id$"), "{text}");
        assert!(!text.contains("a new long password"));
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(book.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn names_and_passwords_are_checked() {
        assert!(check_name("BE officer 1").is_ok());
        assert!(check_name("Zoë O'Neil").is_ok());
        for bad in ["", " lead", "trail ", "a<b", "x/y", &"n".repeat(49)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        assert!(matches!(
            hash_password("short"),
            Err(OfficerError::BadPassword)
        ));
        assert!(!verify_password("not a hash", "anything"));
    }

    #[test]
    fn a_damaged_file_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("officers.json");
        std::fs::write(&path, "{not json").unwrap();
        let err = OfficerBook::new(&path).load().unwrap_err();
        assert!(matches!(err, OfficerError::Damaged { .. }), "{err}");
    }

    #[test]
    fn roles_are_ordered() {
        assert!(OfficerRole::Admin.allows(OfficerRole::Sender));
        assert!(OfficerRole::Sender.allows(OfficerRole::Reader));
        assert!(!OfficerRole::Reader.allows(OfficerRole::Sender));
        assert_eq!("admin".parse::<OfficerRole>().unwrap(), OfficerRole::Admin);
        assert!("root".parse::<OfficerRole>().is_err());
    }
}
