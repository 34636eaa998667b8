//! The federation driver: connects a [`Node`] to the network ([`credreg_net`]) and keeps its
//! replicas current.
//!
//! One task reads network events in order: each gossip message is judged by the node (on the
//! blocking pool) and its verdict reported before the next is read, so validation is
//! deterministic. Catch-up runs as one task per issuer, paging entries from whichever peer
//! has them (the origin may be offline). Anti-entropy compares checkpoint summaries with a
//! random peer every `anti_entropy_every`, and with every peer as it connects, so missed
//! gossip, restarts and partitions heal without operator action.

#![deny(missing_docs)]

mod anti_entropy;
mod catch_up;
mod follow_up;
mod gossip;

use anti_entropy::anti_entropy;
use catch_up::catch_up;
use credreg_net::{
    Address, MessageRef, NetClient, NetConfig, NetError, NetEvent, PeerId, PeerInfo, Topic,
    Validation,
};
use credreg_node::replica::{ApplyError, GossipOutcome, GossipVerdict, Refusal, Target};
use credreg_node::Node;
use credreg_wire::federation::{
    FederationCounters, FederationStatus, PeerView, Replicated, StatusFuture,
};
use credreg_wire::sync::{SyncRequest, SyncResponse, MAX_PAGE_ENTRIES};
use follow_up::after;
use gossip::{announce_own, on_gossip};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// How a node joins its federation.
#[derive(Debug, Clone)]
pub struct FederationConfig {
    /// Network settings (listen, bootstrap, mDNS, identity).
    pub net: NetConfig,
    /// How often summaries are compared with a random peer.
    pub anti_entropy_every: Duration,
}

/// Counters for `/metrics`.
#[derive(Debug, Default)]
pub struct FederationMetrics {
    /// Gossip messages accepted (stored and forwarded).
    pub gossip_accepted: AtomicU64,
    /// Gossip messages ignored (duplicates, not checkable yet).
    pub gossip_ignored: AtomicU64,
    /// Refused messages and summaries, by reason.
    refused: Mutex<HashMap<&'static str, u64>>,
    /// Entries appended to replicas.
    pub entries_replicated: AtomicU64,
    /// Pages of entries fetched by sync.
    pub pages_fetched: AtomicU64,
    /// Bytes of entries received by sync.
    pub entry_bytes_fetched: AtomicU64,
    /// New equivocation evidence found or learned.
    pub equivocations: AtomicU64,
    /// Application payload received from peers: gossip data and sync responses (entries,
    /// proofs, summaries, evidence), excluding transport framing.
    pub payload_bytes_received: AtomicU64,
}

impl FederationMetrics {
    /// Refusals by reason (`untrusted`, `forged`, ...).
    pub fn refused(&self) -> Vec<(&'static str, u64)> {
        let map = match self.refused.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        let mut v: Vec<_> = map.iter().map(|(k, v)| (*k, *v)).collect();
        v.sort();
        v
    }

    fn refuse(&self, r: Refusal) {
        if let Ok(mut m) = self.refused.lock() {
            *m.entry(r.as_str()).or_default() += 1;
        }
    }
}

/// The network's name for the node's gossip verdict.
fn validation(v: GossipVerdict) -> Validation {
    match v {
        GossipVerdict::Accept => Validation::Accept,
        GossipVerdict::Ignore => Validation::Ignore,
        GossipVerdict::Reject => Validation::Reject,
    }
}

impl FederationStatus for Federation {
    fn peer_id(&self) -> String {
        Federation::peer_id(self).to_string()
    }

    fn listen_addrs(&self) -> StatusFuture<'_, Vec<String>> {
        Box::pin(async move {
            Federation::listen_addrs(self)
                .await
                .iter()
                .map(ToString::to_string)
                .collect()
        })
    }

    fn peers(&self) -> StatusFuture<'_, Vec<PeerView>> {
        Box::pin(Federation::peers(self))
    }

    fn counters(&self) -> FederationCounters {
        let m = self.metrics();
        FederationCounters {
            gossip_accepted: m.gossip_accepted.load(Ordering::Relaxed),
            refused: m.refused(),
            entries_replicated: m.entries_replicated.load(Ordering::Relaxed),
            equivocations: m.equivocations.load(Ordering::Relaxed),
        }
    }
}

#[derive(Debug, Default, Clone)]
struct PeerSync {
    last_sync: Option<String>,
    replicates: Vec<Replicated>,
}

/// A running federation: cheap to clone.
#[derive(Clone)]
pub struct Federation {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Federation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Federation")
            .field("peer_id", &self.inner.net.peer_id())
            .finish_non_exhaustive()
    }
}

struct Inner {
    node: Arc<Node>,
    net: NetClient,
    metrics: FederationMetrics,
    connected: Mutex<HashSet<PeerId>>,
    peer_sync: Mutex<HashMap<PeerId, PeerSync>>,
    /// Per issuer: the newest checkpoint to catch up to and peers known to hold it.
    targets: Mutex<HashMap<String, (Target, Vec<PeerId>)>>,
    syncing: Mutex<HashSet<String>>,
    /// Peers whose last catch-up attempt got nothing (timed out, or held nothing): asked
    /// after the others.
    unhelpful: Mutex<HashSet<PeerId>>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// A comparison round with every peer is scheduled (after trust changed).
    resync_pending: std::sync::atomic::AtomicBool,
    /// Outcomes of catch-ups and anti-entropy rounds, followed up by the run loop.
    follow_ups: mpsc::UnboundedSender<(GossipOutcome, Option<PeerId>)>,
}

impl Inner {
    /// Hands an outcome to the run loop, which follows it up ([`follow_up::after`]).
    fn follow_up(&self, outcome: GossipOutcome, source: PeerId) {
        // Fails only once the run loop has stopped, when nothing is followed up any more.
        let _ = self.follow_ups.send((outcome, Some(source)));
    }

    fn received(&self, bytes: usize) {
        self.metrics
            .payload_bytes_received
            .fetch_add(bytes as u64, Ordering::Relaxed);
    }
}

struct Service(Arc<Node>);

impl credreg_net::SyncService for Service {
    fn serve(&self, _peer: PeerId, request: SyncRequest) -> SyncResponse {
        self.0.serve_sync(request)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

impl Federation {
    /// Starts the network and the driver on the current tokio runtime.
    pub async fn start(node: Arc<Node>, config: FederationConfig) -> Result<Self, NetError> {
        let (net, events) = credreg_net::start(config.net, Arc::new(Service(node.clone()))).await?;
        let (follow_ups, outcomes) = mpsc::unbounded_channel();
        let inner = Arc::new(Inner {
            follow_ups,
            node: node.clone(),
            net,
            metrics: FederationMetrics::default(),
            connected: Mutex::default(),
            peer_sync: Mutex::default(),
            targets: Mutex::default(),
            syncing: Mutex::default(),
            unhelpful: Mutex::default(),
            task: Mutex::new(None),
            resync_pending: std::sync::atomic::AtomicBool::new(false),
        });
        let (signed, announce) = tokio::sync::watch::channel(node.latest_checkpoint_size());
        node.watch_checkpoints(move |size| {
            signed.send_replace(size);
        });
        let task = tokio::spawn(run(
            inner.clone(),
            events,
            outcomes,
            announce,
            config.anti_entropy_every,
        ));
        *lock(&inner.task) = Some(task);
        Ok(Self { inner })
    }

    /// This node's peer id.
    pub fn peer_id(&self) -> PeerId {
        self.inner.net.peer_id()
    }

    /// The network client (dial, block peers).
    pub fn net(&self) -> &NetClient {
        &self.inner.net
    }

    /// Listen addresses, with `/p2p/<peer id>`.
    pub async fn listen_addrs(&self) -> Vec<Address> {
        self.inner.net.listen_addrs().await.unwrap_or_default()
    }

    /// Counters.
    pub fn metrics(&self) -> &FederationMetrics {
        &self.inner.metrics
    }

    /// Peers, with what they replicate and when they were last compared.
    pub async fn peers(&self) -> Vec<PeerView> {
        let infos: Vec<PeerInfo> = self.inner.net.peers().await.unwrap_or_default();
        let sync = lock(&self.inner.peer_sync).clone();
        infos
            .into_iter()
            .map(|p| {
                let s = sync.get(&p.peer).cloned().unwrap_or_default();
                PeerView {
                    peer_id: p.peer.to_string(),
                    addresses: p.addresses.iter().map(ToString::to_string).collect(),
                    connected: p.connected,
                    score: p.score,
                    offences: p.offences,
                    blocked: p.blocked,
                    agent: p.agent,
                    last_sync: s.last_sync,
                    replicates: s.replicates,
                }
            })
            .collect()
    }

    /// Compares summaries with every connected peer now (also done periodically).
    pub async fn sync_now(&self) {
        let peers: Vec<PeerId> = lock(&self.inner.connected).iter().copied().collect();
        for p in peers {
            anti_entropy(self.inner.clone(), p).await;
        }
    }

    /// Stops the driver and the network.
    pub async fn shutdown(&self) {
        if let Some(task) = lock(&self.inner.task).take() {
            task.abort();
        }
        self.inner.net.shutdown().await;
    }
}

async fn run(
    inner: Arc<Inner>,
    mut events: mpsc::Receiver<NetEvent>,
    mut outcomes: mpsc::UnboundedReceiver<(GossipOutcome, Option<PeerId>)>,
    mut announce: tokio::sync::watch::Receiver<u64>,
    every: Duration,
) {
    let mut announced = *announce.borrow_and_update();
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            event = events.recv() => match event {
                None => return,
                Some(NetEvent::Gossip { message, data, .. }) => {
                    on_gossip(&inner, message, data).await;
                }
                Some(NetEvent::Connected(peer)) => {
                    lock(&inner.connected).insert(peer);
                    tokio::spawn(anti_entropy(inner.clone(), peer));
                }
                Some(NetEvent::Disconnected(peer)) => {
                    lock(&inner.connected).remove(&peer);
                }
            },
            Some((outcome, source)) = outcomes.recv() => after(&inner, outcome, source),
            changed = announce.changed() => {
                if changed.is_err() {
                    return;
                }
                announce.borrow_and_update();
                announce_own(&inner, &mut announced).await;
            }
            _ = tick.tick() => {
                let peers: Vec<PeerId> = lock(&inner.connected).iter().copied().collect();
                if !peers.is_empty() {
                    let peer = peers[rand::random::<usize>() % peers.len()];
                    tokio::spawn(anti_entropy(inner.clone(), peer));
                }
            }
        }
    }
}

async fn on_blocking_pool<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    tokio::task::spawn_blocking(f).await.ok()
}
