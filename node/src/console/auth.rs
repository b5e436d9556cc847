//! Officers' sessions and logins: random session and CSRF tokens, idle expiry, and a
//! back-off after failed logins (per name and per address).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ring::rand::{SecureRandom, SystemRandom};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "cordon_session";
/// Sessions kept at most; the least recently used goes first.
const MAX_SESSIONS: usize = 10_000;
/// Failed-login records kept at most.
const MAX_FAILURES: usize = 10_000;
/// Failures allowed before the back-off starts.
const FREE_FAILURES: u32 = 3;
/// The longest back-off.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// A logged-in officer.
#[derive(Debug, Clone)]
pub struct Session {
    /// Their name.
    pub officer: String,
    /// The token every form must carry.
    pub csrf: String,
    last_seen: Instant,
}

/// 32 random bytes as hex.
pub fn random_token() -> Option<String> {
    let mut b = [0u8; 32];
    SystemRandom::new().fill(&mut b).ok()?;
    Some(hex::encode(b))
}

/// Compares two secrets in time independent of where they differ.
pub fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Every session of this node's console, in memory (a restart logs everyone out).
#[derive(Debug)]
pub struct Sessions {
    idle: Duration,
    map: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    /// Sessions that end after `idle` without a request.
    pub fn new(idle: Duration) -> Self {
        Self {
            idle,
            map: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new session; returns its token (the cookie value).
    pub fn create(&self, officer: &str) -> Option<String> {
        let token = random_token()?;
        let csrf = random_token()?;
        let now = Instant::now();
        let mut map = self.lock();
        map.retain(|_, s| now.duration_since(s.last_seen) < self.idle);
        if map.len() >= MAX_SESSIONS {
            if let Some(oldest) = map
                .iter()
                .min_by_key(|(_, s)| s.last_seen)
                .map(|(k, _)| k.clone())
            {
                map.remove(&oldest);
            }
        }
        map.insert(
            token.clone(),
            Session {
                officer: officer.to_owned(),
                csrf,
                last_seen: now,
            },
        );
        Some(token)
    }

    /// The live session of `token`, touched; `None` when unknown or idle too long.
    pub fn get(&self, token: &str) -> Option<Session> {
        let now = Instant::now();
        let mut map = self.lock();
        let s = map.get_mut(token)?;
        if now.duration_since(s.last_seen) >= self.idle {
            map.remove(token);
            return None;
        }
        s.last_seen = now;
        Some(s.clone())
    }

    /// End a session.
    pub fn remove(&self, token: &str) {
        self.lock().remove(token);
    }

    /// End every session of `officer` (disabled).
    pub fn remove_officer(&self, officer: &str) {
        self.lock().retain(|_, s| s.officer != officer);
    }

    /// How many sessions are open.
    pub fn open(&self) -> usize {
        self.lock().len()
    }
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    until: Instant,
}

/// The back-off after failed logins.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    map: Mutex<HashMap<String, Failures>>,
}

impl LoginThrottle {
    fn keys(name: &str, ip: IpAddr) -> [String; 2] {
        [format!("n:{}", name.to_lowercase()), format!("a:{ip}")]
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Failures>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How long the caller must wait before trying `name` from `ip` again.
    pub fn wait(&self, name: &str, ip: IpAddr) -> Option<Duration> {
        let now = Instant::now();
        let map = self.lock();
        Self::keys(name, ip)
            .iter()
            .filter_map(|k| map.get(k))
            .filter(|f| f.until > now)
            .map(|f| f.until - now)
            .max()
    }

    /// Record a failure.
    pub fn failed(&self, name: &str, ip: IpAddr) {
        let now = Instant::now();
        let mut map = self.lock();
        if map.len() >= MAX_FAILURES {
            map.retain(|_, f| f.until > now);
        }
        if map.len() >= MAX_FAILURES {
            return;
        }
        for k in Self::keys(name, ip) {
            let f = map.entry(k).or_insert(Failures {
                count: 0,
                until: now,
            });
            f.count = f.count.saturating_add(1);
            if f.count > FREE_FAILURES {
                let exp = (f.count - FREE_FAILURES - 1).min(16);
                let d = Duration::from_secs(1u64 << exp).min(MAX_BACKOFF);
                f.until = now + d;
            }
        }
    }

    /// A success clears the name's record (not the address's).
    pub fn succeeded(&self, name: &str) {
        self.lock().remove(&format!("n:{}", name.to_lowercase()));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn sessions_expire_when_idle_and_carry_a_csrf_token() {
        let s = Sessions::new(Duration::from_millis(50));
        let t = s.create("Ana").unwrap();
        let got = s.get(&t).unwrap();
        assert_eq!(got.officer, "Ana");
        assert_eq!(got.csrf.len(), 64);
        assert_ne!(got.csrf, t);
        assert!(s.get("nope").is_none());
        std::thread::sleep(Duration::from_millis(80));
        assert!(s.get(&t).is_none());
        let t2 = s.create("Bo").unwrap();
        s.remove_officer("Bo");
        assert!(s.get(&t2).is_none());
    }

    #[test]
    fn failed_logins_back_off() {
        let th = LoginThrottle::default();
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        for _ in 0..3 {
            assert!(th.wait("ana", ip).is_none());
            th.failed("ana", ip);
        }
        assert!(th.wait("ana", ip).is_none(), "three failures are free");
        th.failed("Ana", ip);
        let w = th.wait("ANA", ip).unwrap();
        assert!(w <= Duration::from_secs(1) && w > Duration::ZERO);
        // The address is throttled for other names too.
        assert!(th.wait("bo", ip).is_some());
        th.succeeded("ana");
        let other: IpAddr = "127.0.0.2".parse().unwrap();
        assert!(th.wait("ana", other).is_none());
    }

    #[test]
    fn secrets_compare() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abc", b"abd"));
        assert!(!same_secret(b"abc", b"ab"));
    }
}
