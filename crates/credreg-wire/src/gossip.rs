//! Gossip messages: checkpoint announcements (with the entries they add, when few) and
//! equivocation evidence, as JSON on the federation's two gossipsub topics. See
//! `docs/protocol.md` for the encoding.

use crate::log::CheckpointJson;
use serde::{Deserialize, Serialize};

/// Largest record accepted from a peer.
pub const MAX_RECORD_BYTES: usize = 64 * 1024;
/// A gossiped checkpoint older than this is a replay: origins gossip a checkpoint when they
/// sign it and relays forward within seconds (anti-entropy, not gossip, carries old ones).
pub const MAX_GOSSIP_AGE_SECS: u64 = 15 * 60;
/// How far in the future a checkpoint's time may be (clock skew between districts).
pub const MAX_CLOCK_SKEW_SECS: u64 = 5 * 60;
/// Most entries carried in one announcement (more go by sync).
pub const ANNOUNCE_MAX_ENTRIES: u64 = 32;
/// Most bytes of entries carried in one announcement.
pub const ANNOUNCE_MAX_BYTES: usize = 128 * 1024;

/// A gossip message: a checkpoint announcement or equivocation evidence.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum GossipMessage {
    /// A new checkpoint, with the entries it adds when they are few.
    Announce(Announcement),
    /// Two checkpoints of one issuer that cannot both be true.
    Evidence(EvidenceJson),
}

/// "Issuer X's log now has this checkpoint" (and, on the records topic, the entries from
/// `from` up to it, as their exact JSON text).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Announcement {
    /// The signed checkpoint.
    pub checkpoint: CheckpointJson,
    /// Index of the first carried entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<u64>,
    /// Exact record texts, `from..checkpoint.size`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entries: Vec<String>,
}

/// Equivocation evidence, checkable by anyone with [`credreg_log::verify_evidence`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceJson {
    /// The issuer caught.
    pub issuer: String,
    /// One checkpoint.
    pub first: CheckpointJson,
    /// The other.
    pub second: CheckpointJson,
    /// For different sizes: the larger tree's root at the smaller size (hex).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt_root: Option<String>,
    /// Consistency proof from `alt_root` to the larger root (hex hashes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub proof: Vec<String>,
    /// One sentence.
    pub reason: String,
}
