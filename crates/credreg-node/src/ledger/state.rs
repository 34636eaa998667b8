//! The ledger's state: checkpoint signing, the last verified checkpoint, the watchers.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// The ledger's state: who is signing a checkpoint now, the last checkpoint whose signature
/// was checked, and who hears of each new one.
#[derive(Default)]
pub(crate) struct Ledger {
    /// Held while a checkpoint is signed, so one size is never signed twice.
    pub(super) signing: Mutex<()>,
    /// A portfolio's awards share one checkpoint: its signature is checked once.
    pub(super) verified: Mutex<Option<credreg_log::SignedCheckpoint>>,
    /// The size of the newest checkpoint signed since the node opened.
    pub(super) latest: AtomicU64,
    pub(super) watchers: Mutex<Vec<CheckpointWatcher>>,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger")
            .field("latest", &self.latest.load(Ordering::SeqCst))
            .finish_non_exhaustive()
    }
}

/// Hears of each checkpoint the node signs (see [`Node::watch_checkpoints`]).
pub(super) type CheckpointWatcher = Box<dyn Fn(u64) + Send + Sync>;
