//! What a running federation reports about itself, in plain types.
//!
//! The HTTP API shows peers and federation counters without knowing libp2p: the federation
//! driver implements [`FederationStatus`], and the API holds it as a trait object.

use serde::Serialize;
use std::future::Future;
use std::pin::Pin;

/// What this node knows of a peer (`GET /api/v1/peers`).
#[derive(Debug, Clone, Serialize)]
pub struct PeerView {
    /// libp2p peer id.
    pub peer_id: String,
    /// Addresses.
    pub addresses: Vec<String>,
    /// Connected now.
    pub connected: bool,
    /// Gossipsub score.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// Offences counted (forged, oversized, replayed data).
    pub offences: u32,
    /// Blocked.
    pub blocked: bool,
    /// Its software.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// When summaries were last compared with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_sync: Option<String>,
    /// The logs it replicates (issuer and size), as of the last comparison.
    pub replicates: Vec<Replicated>,
}

/// One log a peer holds.
#[derive(Debug, Clone, Serialize)]
pub struct Replicated {
    /// Issuer DID.
    pub issuer: String,
    /// Entries.
    pub size: u64,
}

/// The federation's counters at one moment (`/metrics`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FederationCounters {
    /// Gossip messages accepted (stored and forwarded).
    pub gossip_accepted: u64,
    /// Refused messages and summaries, by reason (`untrusted`, `forged`, ...).
    pub refused: Vec<(&'static str, u64)>,
    /// Entries appended to replicas.
    pub entries_replicated: u64,
    /// New equivocation evidence found or learned.
    pub equivocations: u64,
}

/// A future the status methods return (no runtime named: any executor drives it).
pub type StatusFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A running federation, as the API sees it.
pub trait FederationStatus: Send + Sync {
    /// This node's libp2p peer id.
    fn peer_id(&self) -> String;
    /// The addresses it listens on.
    fn listen_addrs(&self) -> StatusFuture<'_, Vec<String>>;
    /// Every peer it knows.
    fn peers(&self) -> StatusFuture<'_, Vec<PeerView>>;
    /// Its counters now.
    fn counters(&self) -> FederationCounters;
}
