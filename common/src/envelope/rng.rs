//! The randomness used when sealing: content keys and HPKE ephemeral keys.
//!
//! A ChaCha20 keystream (via ring's ChaCha20-Poly1305 over zeros, tag discarded) keyed
//! with 32 bytes from the operating system. Deterministic when seeded explicitly, which
//! is how the test vectors of PROTOCOL.md are made.

use core::convert::Infallible;

use hpke::rand_core::{TryCryptoRng, TryRng};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305};
use ring::rand::SecureRandom;

use super::EnvelopeError;

const BLOCK: usize = 256;

/// A cryptographically secure generator for one sealing operation.
pub struct SealRng {
    key: LessSafeKey,
    counter: u64,
    buf: [u8; BLOCK],
    pos: usize,
}

impl std::fmt::Debug for SealRng {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealRng")
    }
}

impl SealRng {
    /// Seeded from the operating system.
    pub fn from_os() -> Result<Self, EnvelopeError> {
        let mut seed = [0u8; 32];
        ring::rand::SystemRandom::new()
            .fill(&mut seed)
            .map_err(|_| EnvelopeError::Seal("system random number generator failed".into()))?;
        Ok(Self::from_seed(seed))
    }

    /// Deterministic from a seed: for test vectors only.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        // Invariant: a 32-byte key is always accepted by CHACHA20_POLY1305.
        let key = match UnboundKey::new(&CHACHA20_POLY1305, &seed) {
            Ok(k) => LessSafeKey::new(k),
            Err(_) => unreachable!("32-byte ChaCha20 key"),
        };
        Self {
            key,
            counter: 0,
            buf: [0; BLOCK],
            pos: BLOCK,
        }
    }

    fn refill(&mut self) {
        let mut nonce = [0u8; 12];
        nonce[4..].copy_from_slice(&self.counter.to_be_bytes());
        self.counter += 1;
        self.buf = [0; BLOCK];
        // Invariant: sealing a 256-byte buffer cannot exceed ChaCha20's limits.
        let _tag = self.key.seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::empty(),
            &mut self.buf,
        );
        self.pos = 0;
    }

    /// Fill `dst` with random bytes.
    pub fn fill(&mut self, dst: &mut [u8]) {
        let mut written = 0;
        while written < dst.len() {
            if self.pos == BLOCK {
                self.refill();
            }
            let n = (BLOCK - self.pos).min(dst.len() - written);
            dst[written..written + n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
            self.pos += n;
            written += n;
        }
    }
}

impl TryRng for SealRng {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.fill(&mut b);
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.fill(&mut b);
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.fill(dst);
        Ok(())
    }
}

impl TryCryptoRng for SealRng {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_per_seed_and_not_constant() {
        let mut a = SealRng::from_seed([7; 32]);
        let mut b = SealRng::from_seed([7; 32]);
        let mut c = SealRng::from_seed([8; 32]);
        let (mut x, mut y, mut z) = ([0u8; 600], [0u8; 600], [0u8; 600]);
        a.fill(&mut x);
        b.fill(&mut y);
        c.fill(&mut z);
        assert_eq!(x, y);
        assert_ne!(x, z);
        assert_ne!(x[..256], x[256..512], "blocks must differ");
    }
}
