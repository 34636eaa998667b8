//! How a node joins the network: its identity, addresses, federation and timings.

use crate::{Address, NodeKey};
use std::time::Duration;

/// Largest gossip message (a checkpoint with a few small records).
pub const MAX_GOSSIP_BYTES: usize = 256 * 1024;
/// Offences after which a peer is blocked and disconnected.
pub const BAN_OFFENCES: u32 = 5;

/// The sync protocol name.
pub const SYNC_PROTOCOL: &str = "/credreg/sync/1";
/// The Kademlia protocol name (a credreg-only DHT, not the public IPFS one).
pub const KAD_PROTOCOL: &str = "/credreg/kad/1";

/// How a node joins the network.
#[derive(Debug, Clone)]
pub struct NetConfig {
    /// Transport identity (separate from the issuer's signing key).
    pub key: NodeKey,
    /// Addresses to listen on, e.g. `/ip4/127.0.0.1/tcp/0`.
    pub listen: Vec<Address>,
    /// Peers to dial at start and whenever they are not connected.
    pub bootstrap: Vec<Address>,
    /// Federation name (scopes the gossip topics).
    pub federation: String,
    /// Discover peers on the LAN with mDNS.
    pub mdns: bool,
    /// How often unconnected bootstrap peers are re-dialled.
    pub redial_every: Duration,
    /// Gossipsub heartbeat (mesh maintenance).
    pub heartbeat: Duration,
    /// How long a sync request may wait for its whole answer: a peer that stalls, or
    /// trickles an answer, is given up on after it.
    pub sync_timeout: Duration,
}

impl NetConfig {
    /// Defaults for a district node: no listen address, no bootstrap peers, 10 s redial.
    pub fn new(key: NodeKey, federation: impl Into<String>) -> Self {
        Self {
            key,
            listen: Vec::new(),
            bootstrap: Vec::new(),
            federation: federation.into(),
            mdns: false,
            redial_every: Duration::from_secs(10),
            heartbeat: Duration::from_millis(700),
            sync_timeout: Duration::from_secs(30),
        }
    }
}

/// The two gossip topics of a federation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    /// `credreg/1/<federation>/checkpoints`: bare checkpoints and equivocation evidence.
    Checkpoints,
    /// `credreg/1/<federation>/records`: checkpoints carrying the small records they add.
    Records,
}

impl Topic {
    pub(crate) fn name(self, federation: &str) -> String {
        match self {
            Topic::Checkpoints => format!("credreg/1/{federation}/checkpoints"),
            Topic::Records => format!("credreg/1/{federation}/records"),
        }
    }
}

/// The node's verdict on a gossip message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validation {
    /// Checked and stored: forward it.
    Accept,
    /// Harmless but not worth forwarding (already known, or not ours to judge).
    Ignore,
    /// Forged, malformed, oversized or untrusted: drop it and lower the sender's score.
    Reject,
}
