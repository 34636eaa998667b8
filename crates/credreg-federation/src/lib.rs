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

use credreg_net::{
    MessageRef, Multiaddr, NetClient, NetConfig, NetError, NetEvent, PeerId, PeerInfo, Topic,
    Validation,
};
use credreg_node::replica::{ApplyError, GossipOutcome, GossipVerdict, Refusal, Target};
use credreg_node::Node;
use credreg_wire::federation::{
    FederationCounters, FederationStatus, PeerView, Replicated, StatusFuture,
};
use credreg_wire::sync::{SyncRequest, SyncResponse, MAX_PAGE_ENTRIES};
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
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// A comparison round with every peer is scheduled (after trust changed).
    resync_pending: std::sync::atomic::AtomicBool,
}

impl Inner {
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
        let inner = Arc::new(Inner {
            node: node.clone(),
            net,
            metrics: FederationMetrics::default(),
            connected: Mutex::default(),
            peer_sync: Mutex::default(),
            targets: Mutex::default(),
            syncing: Mutex::default(),
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
    pub async fn listen_addrs(&self) -> Vec<Multiaddr> {
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

async fn on_gossip(inner: &Arc<Inner>, message: MessageRef, data: Vec<u8>) {
    inner.received(data.len());
    let node = inner.node.clone();
    let source = message.source();
    let Some(outcome) = on_blocking_pool(move || node.on_gossip(&data)).await else {
        inner.net.report(message, Validation::Ignore);
        return;
    };
    let verdict = validation(outcome.verdict());
    inner.net.report(message, verdict);
    match verdict {
        Validation::Accept => inner
            .metrics
            .gossip_accepted
            .fetch_add(1, Ordering::Relaxed),
        Validation::Ignore => inner.metrics.gossip_ignored.fetch_add(1, Ordering::Relaxed),
        Validation::Reject => 0,
    };
    if let Some(r) = outcome.refusal {
        tracing::info!(%source, reason = r.as_str(), "gossip refused: {}", outcome.note);
        if r != Refusal::Untrusted {
            inner.net.penalize(source, outcome.note.clone());
        }
    }
    after(inner, outcome, Some(source));
}

/// Follows up an outcome: gossip new evidence, fetch what is missing, re-compare after a
/// trust change.
fn after(inner: &Arc<Inner>, outcome: GossipOutcome, source: Option<PeerId>) {
    if let Some(r) = outcome.refusal {
        inner.metrics.refuse(r);
    }
    inner
        .metrics
        .entries_replicated
        .fetch_add(outcome.stored, Ordering::Relaxed);
    if let Some(evidence) = outcome.evidence {
        inner.metrics.equivocations.fetch_add(1, Ordering::Relaxed);
        tracing::warn!("{}", outcome.note);
        let net = inner.net.clone();
        tokio::spawn(async move {
            if let Err(e) = net.publish(Topic::Checkpoints, evidence).await {
                tracing::debug!("evidence not gossiped: {e}");
            }
        });
    }
    if let Some(target) = outcome.fetch {
        want(inner, target, source);
    }
    if outcome.trust_changed && !inner.resync_pending.swap(true, Ordering::AcqRel) {
        // Newly trusted issuers may already be held by peers: compare with every peer, once
        // for a burst of membership changes (a catalog of memberships arrives page by page,
        // and one round per change made a storm of requests).
        let inner = inner.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(250)).await;
            inner.resync_pending.store(false, Ordering::Release);
            let peers: Vec<PeerId> = lock(&inner.connected).iter().copied().collect();
            for p in peers {
                tokio::spawn(anti_entropy(inner.clone(), p));
            }
        });
    }
}

fn want(inner: &Arc<Inner>, target: Target, source: Option<PeerId>) {
    let issuer = target.issuer().to_owned();
    {
        let mut targets = lock(&inner.targets);
        let entry = targets
            .entry(issuer.clone())
            .or_insert_with(|| (target.clone(), Vec::new()));
        if target.size() > entry.0.size() {
            entry.0 = target;
        }
        if let Some(p) = source {
            if !entry.1.contains(&p) {
                entry.1.insert(0, p);
            }
        }
    }
    if lock(&inner.syncing).insert(issuer.clone()) {
        tokio::spawn(catch_up(inner.clone(), issuer));
    }
}

enum Fault {
    /// The peer sent bad data.
    Bad(String),
    /// The peer could not help (offline, behind, timeout).
    Unavailable,
    /// Another sync stored entries meanwhile: start again from the replica's size.
    Moved,
}

async fn catch_up(inner: Arc<Inner>, issuer: String) {
    loop {
        let Some((target, sources)) = lock(&inner.targets).get(&issuer).cloned() else {
            break;
        };
        let size = inner.node.store().log_size(&issuer).unwrap_or(0);
        if size >= target.size() {
            let mut targets = lock(&inner.targets);
            if targets.get(&issuer).is_some_and(|(t, _)| t.size() <= size) {
                targets.remove(&issuer);
                drop(targets);
                lock(&inner.syncing).remove(&issuer);
                // A target may have arrived between the check and the removal.
                if lock(&inner.targets).contains_key(&issuer)
                    && lock(&inner.syncing).insert(issuer.clone())
                {
                    continue;
                }
                return;
            }
            continue;
        }
        let mut candidates = sources.clone();
        for p in lock(&inner.connected).iter() {
            if !candidates.contains(p) {
                candidates.push(*p);
            }
        }
        let mut progressed = false;
        for peer in candidates {
            match fetch_from(&inner, peer, &target).await {
                Ok(()) | Err(Fault::Moved) => {
                    progressed = true;
                    break;
                }
                Err(Fault::Bad(why)) => {
                    // Before blaming the peer: it may hold another log the issuer signed (a
                    // split view), which is the issuer's fault, not the relay's.
                    if let Some(outcome) = investigate(&inner, peer, &target).await {
                        tracing::warn!(%peer, "the issuer equivocated: {}", outcome.note);
                        after(&inner, outcome, Some(peer));
                        lock(&inner.targets).remove(&issuer);
                        lock(&inner.syncing).remove(&issuer);
                        return;
                    }
                    tracing::warn!(%peer, "sync refused: {why}");
                    inner.metrics.refuse(Refusal::Forged);
                    inner.net.penalize(peer, why);
                }
                Err(Fault::Unavailable) => {}
            }
        }
        if !progressed {
            // Nobody could serve it now; anti-entropy will find it again.
            lock(&inner.targets).remove(&issuer);
            lock(&inner.syncing).remove(&issuer);
            return;
        }
    }
    lock(&inner.syncing).remove(&issuer);
}

/// Pages entries from `peer` until the replica reaches `target`, as a pipeline: while page
/// k is laid over the tree and stored, page k+1's records are already being verified and
/// page k+2 is in flight.
async fn fetch_from(inner: &Arc<Inner>, peer: PeerId, target: &Target) -> Result<(), Fault> {
    let issuer = target.issuer().to_owned();
    let n = target.size();
    let spawn_request = |from: u64| {
        let net = inner.net.clone();
        let r = SyncRequest::Entries {
            issuer: issuer.clone(),
            from,
            to: (from + MAX_PAGE_ENTRIES).min(n),
            prove_to: n,
        };
        tokio::spawn(async move { net.request(peer, r).await })
    };
    let mut from = inner.node.store().log_size(&issuer).unwrap_or(0);
    let mut next = (from < n).then(|| spawn_request(from));
    let mut storing: Option<tokio::task::JoinHandle<Result<GossipOutcome, ApplyError>>> = None;
    while let Some(pending) = next.take() {
        let response = match pending.await {
            Ok(Ok(r)) => r,
            _ => return Err(Fault::Unavailable),
        };
        let (entries, proof) = match response {
            SyncResponse::Entries { entries, proof } if !entries.is_empty() => (entries, proof),
            SyncResponse::Entries { .. } | SyncResponse::Error(_) => {
                return Err(Fault::Unavailable)
            }
            _ => {
                return Err(Fault::Bad(
                    "answered an entries request with something else".into(),
                ))
            }
        };
        let end = from.saturating_add(entries.len() as u64);
        if end < n {
            next = Some(spawn_request(end));
        }
        let bytes: u64 = entries.iter().map(|e| e.len() as u64).sum();
        inner.received(bytes as usize + 32 * proof.len());
        inner.metrics.pages_fetched.fetch_add(1, Ordering::Relaxed);
        inner
            .metrics
            .entry_bytes_fetched
            .fetch_add(bytes, Ordering::Relaxed);
        let node = inner.node.clone();
        let entries: Vec<Vec<u8>> = entries.into_iter().map(|e| e.into_vec()).collect();
        let who = issuer.clone();
        let checking = tokio::task::spawn_blocking(move || node.check_page(&who, entries, 1));
        if let Some(previous) = storing.take() {
            stored(inner, peer, previous.await)?;
        }
        let page = match checking.await {
            Ok(Ok(page)) => page,
            Ok(Err(ApplyError::Bad(why))) => return Err(Fault::Bad(why)),
            Ok(Err(ApplyError::Moved)) => return Err(Fault::Moved),
            _ => return Err(Fault::Unavailable),
        };
        let node = inner.node.clone();
        let t = target.clone();
        storing = Some(tokio::task::spawn_blocking(move || {
            node.store_page(&t, from, page, &proof)
        }));
        from = end;
    }
    if let Some(last) = storing.take() {
        stored(inner, peer, last.await)?;
    }
    Ok(())
}

/// Largest log fetched whole to judge a suspected fork.
const MAX_FORK_ENTRIES: u64 = 100_000;

/// Fetches the peer's whole copy of the target's log and asks the node whether it is a fork
/// the issuer signed. `Some` holds the evidence outcome.
async fn investigate(inner: &Arc<Inner>, peer: PeerId, target: &Target) -> Option<GossipOutcome> {
    let n = target.size();
    if n > MAX_FORK_ENTRIES {
        return None;
    }
    let mut entries: Vec<Vec<u8>> = Vec::new();
    while (entries.len() as u64) < n {
        let from = entries.len() as u64;
        let request = SyncRequest::Entries {
            issuer: target.issuer().to_owned(),
            from,
            to: (from + MAX_PAGE_ENTRIES).min(n),
            prove_to: n,
        };
        match inner.net.request(peer, request).await {
            Ok(SyncResponse::Entries { entries: page, .. }) if !page.is_empty() => {
                inner.received(page.iter().map(|e| e.len()).sum());
                entries.extend(page.into_iter().map(|e| e.into_vec()));
            }
            _ => return None,
        }
    }
    let node = inner.node.clone();
    let t = target.clone();
    match on_blocking_pool(move || node.fork_evidence(&t, &entries)).await {
        Some(Ok(Some(outcome))) => Some(outcome),
        _ => None,
    }
}

/// Follows up a stored page; a replica that moved (another sync got there first) is not a
/// fault: the caller re-reads the replica's size.
fn stored(
    inner: &Arc<Inner>,
    peer: PeerId,
    result: Result<Result<GossipOutcome, ApplyError>, tokio::task::JoinError>,
) -> Result<(), Fault> {
    match result {
        Ok(Ok(outcome)) => {
            after(inner, outcome, Some(peer));
            Ok(())
        }
        Ok(Err(ApplyError::Bad(why))) => Err(Fault::Bad(why)),
        Ok(Err(ApplyError::Moved)) => Err(Fault::Moved),
        Ok(Err(ApplyError::Node(e))) => {
            tracing::error!("storing replicated entries failed: {e}");
            Err(Fault::Unavailable)
        }
        Err(_) => Err(Fault::Unavailable),
    }
}

/// Compares summaries (and evidence) with one peer.
async fn anti_entropy(inner: Arc<Inner>, peer: PeerId) {
    let Ok(SyncResponse::Summaries(list)) = inner.net.request(peer, SyncRequest::Summaries).await
    else {
        return;
    };
    inner.received(list.iter().map(|b| b.len()).sum());
    let mut replicates = Vec::new();
    for bytes in list {
        let node = inner.node.clone();
        let parsed = serde_json::from_slice::<credreg_node::log::CheckpointJson>(&bytes);
        let Ok(cp) = parsed else {
            inner.metrics.refuse(Refusal::Malformed);
            continue;
        };
        replicates.push(Replicated {
            issuer: cp.issuer.clone(),
            size: cp.size,
        });
        let Some(outcome) = on_blocking_pool(move || node.on_checkpoint(&cp)).await else {
            continue;
        };
        if outcome.refusal == Some(Refusal::Forged) {
            inner.net.penalize(peer, outcome.note.clone());
        }
        // A peer may hold logs this node does not trust: that is not an offence here.
        let outcome = GossipOutcome {
            refusal: outcome.refusal.filter(|r| *r != Refusal::Untrusted),
            ..outcome
        };
        after(&inner, outcome, Some(peer));
    }
    if let Ok(SyncResponse::Evidence(list)) = inner.net.request(peer, SyncRequest::Evidence).await {
        inner.received(list.iter().map(|b| b.len()).sum());
        for bytes in list {
            let node = inner.node.clone();
            if let Some(outcome) = on_blocking_pool(move || node.on_gossip(&bytes)).await {
                after(&inner, outcome, Some(peer));
            }
        }
    }
    lock(&inner.peer_sync).insert(
        peer,
        PeerSync {
            last_sync: Some(inner.node.now_rfc3339()),
            replicates,
        },
    );
}

async fn announce_own(inner: &Arc<Inner>, announced: &mut u64) {
    let node = inner.node.clone();
    let from = *announced;
    let Some(Ok(Some((bytes, with_entries)))) =
        on_blocking_pool(move || node.announcement(from)).await
    else {
        return;
    };
    let topic = if with_entries {
        Topic::Records
    } else {
        Topic::Checkpoints
    };
    if let Err(e) = inner.net.publish(topic, bytes).await {
        // No peers yet: they will compare summaries when they connect.
        tracing::debug!("checkpoint not gossiped: {e}");
    }
    if let Ok(Some(cp)) = inner.node.checkpoint(inner.node.did()) {
        *announced = cp.size;
    }
}
