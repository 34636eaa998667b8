//! The node's only sources of time and of non-secret randomness (award ids, identity salts).
//!
//! Production uses the system clock and the OS generator. Tests give a node a fixed clock
//! (due dates, expiry, "now" in reports) and seeded ids, so that the same inputs produce the
//! same bytes: records, checkpoints and awards can be compared with golden files. Secrets
//! (signing keys, tokens) never come from here: they always use the OS generator.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;

/// Where a node reads the time.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> OffsetDateTime;
}

/// Where a node draws award ids and identity salts from.
pub trait Entropy: Send + Sync {
    /// Fills `buf` with unpredictable (or, in tests, seeded) bytes.
    fn fill(&self, buf: &mut [u8]);
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that starts at a given second and moves only when told (or by `step` seconds on
/// every reading, so that successive writes get distinct times).
#[derive(Debug)]
pub struct ManualClock {
    unix: AtomicI64,
    step: i64,
}

impl ManualClock {
    /// A clock at `unix` seconds that does not move by itself.
    pub fn at(unix: i64) -> Self {
        Self::stepping(unix, 0)
    }

    /// A clock at `unix` seconds that moves `step` seconds after every reading.
    pub fn stepping(unix: i64, step: i64) -> Self {
        Self {
            unix: AtomicI64::new(unix),
            step,
        }
    }

    /// Moves the clock forward.
    pub fn advance(&self, seconds: i64) {
        self.unix.fetch_add(seconds, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        let unix = self.unix.fetch_add(self.step, Ordering::SeqCst);
        OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }
}

/// The operating system's generator.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsEntropy;

impl Entropy for OsEntropy {
    fn fill(&self, buf: &mut [u8]) {
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, buf);
    }
}

/// A seeded generator (ChaCha20): the same seed gives the same ids.
#[derive(Debug)]
pub struct SeededEntropy(Mutex<rand::rngs::StdRng>);

impl SeededEntropy {
    /// Seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self(Mutex::new(rand::SeedableRng::seed_from_u64(seed)))
    }
}

impl Entropy for SeededEntropy {
    fn fill(&self, buf: &mut [u8]) {
        let mut rng = match self.0.lock() {
            Ok(r) => r,
            Err(p) => p.into_inner(),
        };
        rand::RngCore::fill_bytes(&mut *rng, buf);
    }
}

/// A node's time and id sources.
#[derive(Clone)]
pub struct Environment {
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Award ids and salts.
    pub entropy: Arc<dyn Entropy>,
}

impl Default for Environment {
    fn default() -> Self {
        Self {
            clock: Arc::new(SystemClock),
            entropy: Arc::new(OsEntropy),
        }
    }
}

impl std::fmt::Debug for Environment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Environment")
    }
}

impl Environment {
    /// Now.
    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// Now, to the second, as RFC 3339 UTC.
    pub fn now_rfc3339(&self) -> String {
        format_time(self.now())
    }

    /// Now, in Unix seconds.
    pub fn unix_now(&self) -> u64 {
        u64::try_from(self.now().unix_timestamp()).unwrap_or(0)
    }

    /// A fresh `urn:uuid:` (version 4).
    pub fn urn_uuid(&self) -> String {
        let mut b = [0u8; 16];
        self.entropy.fill(&mut b);
        format!(
            "urn:uuid:{}",
            uuid::Builder::from_random_bytes(b).into_uuid()
        )
    }

    /// `n` fresh bytes, hex.
    pub fn hex(&self, n: usize) -> String {
        let mut b = vec![0u8; n];
        self.entropy.fill(&mut b);
        hex::encode(b)
    }
}

/// Formats a time as RFC 3339 UTC with whole seconds.
pub fn format_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}
