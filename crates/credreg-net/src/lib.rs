//! # credreg-net: the libp2p side of a node
//!
//! The only crate that uses libp2p. [`start`] builds a swarm (TCP + noise + yamux, gossipsub,
//! request-response sync, identify, Kademlia, mDNS when enabled, a block list) and spawns an
//! event loop that owns it. The node talks to it through a cloneable [`NetClient`] (commands)
//! and a stream of [`NetEvent`]s; inbound sync requests are answered by a [`SyncService`] the
//! node provides, run on tokio's blocking pool so a large page never stalls the swarm.
//!
//! Design decisions:
//! - **Manual gossip validation.** Gossipsub forwards nothing until the node reports a verdict
//!   ([`NetClient::report`]): accepted messages propagate, rejected ones cost the sender score.
//! - **Content-addressed message ids** (blake3 of the data): the same checkpoint relayed by
//!   several peers is one message.
//! - **Plain libp2p.** Standard protocols only, with credreg's names for the sync protocol
//!   (`/credreg/sync/1`) and the Kademlia DHT (`/credreg/kad/1`), so another libp2p
//!   implementation can join by speaking them.
#![deny(missing_docs)]

/// The sync protocol's messages (they live in `credreg-wire`, shared with the node).
pub use credreg_wire::sync as wire;

mod event_loop;

use event_loop::EventLoop;
use futures::stream::FuturesUnordered;
use futures::StreamExt;
use libp2p::allow_block_list::{self, BlockedPeers};
use libp2p::identify;
use libp2p::kad;
use libp2p::mdns;
use libp2p::multiaddr::Protocol;
use libp2p::request_response::{self, ProtocolSupport};
use libp2p::swarm::behaviour::toggle::Toggle;
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{noise, tcp, yamux, StreamProtocol, Swarm};
use libp2p_gossipsub as gossipsub;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

pub use libp2p::identity::Keypair;
pub use libp2p::{Multiaddr, PeerId};
pub use wire::{SyncRequest, SyncResponse};

/// Largest gossip message (a checkpoint with a few small records).
pub const MAX_GOSSIP_BYTES: usize = 256 * 1024;
/// Offences after which a peer is blocked and disconnected.
pub const BAN_OFFENCES: u32 = 5;

/// The transport identity for a 32-byte Ed25519 seed (kept in the node's data directory).
pub fn keypair_from_seed(mut seed: [u8; 32]) -> Keypair {
    match Keypair::ed25519_from_bytes(&mut seed) {
        Ok(k) => k,
        // Unreachable: any 32 bytes are an Ed25519 secret. A fresh identity is still correct.
        Err(_) => Keypair::generate_ed25519(),
    }
}

/// How a node joins the network.
#[derive(Debug, Clone)]
pub struct NetConfig {
    /// Transport identity (separate from the issuer's signing key).
    pub keypair: Keypair,
    /// Addresses to listen on, e.g. `/ip4/127.0.0.1/tcp/0`.
    pub listen: Vec<Multiaddr>,
    /// Peers to dial at start and whenever they are not connected.
    pub bootstrap: Vec<Multiaddr>,
    /// Federation name (scopes the gossip topics).
    pub federation: String,
    /// Discover peers on the LAN with mDNS.
    pub mdns: bool,
    /// How often unconnected bootstrap peers are re-dialled.
    pub redial_every: Duration,
    /// Gossipsub heartbeat (mesh maintenance).
    pub heartbeat: Duration,
}

impl NetConfig {
    /// Defaults for a district node: no listen address, no bootstrap peers, 10 s redial.
    pub fn new(keypair: Keypair, federation: impl Into<String>) -> Self {
        Self {
            keypair,
            listen: Vec::new(),
            bootstrap: Vec::new(),
            federation: federation.into(),
            mdns: false,
            redial_every: Duration::from_secs(10),
            heartbeat: Duration::from_millis(700),
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
    fn name(self, federation: &str) -> String {
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

/// Identifies a received gossip message when reporting its verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRef {
    id: gossipsub::MessageId,
    source: PeerId,
}

impl MessageRef {
    /// The peer that forwarded it.
    pub fn source(&self) -> PeerId {
        self.source
    }
}

/// What the network tells the node.
#[derive(Debug)]
pub enum NetEvent {
    /// A gossip message awaiting validation.
    Gossip {
        /// Reference for [`NetClient::report`].
        message: MessageRef,
        /// Topic.
        topic: Topic,
        /// The data (at most [`MAX_GOSSIP_BYTES`]).
        data: Vec<u8>,
    },
    /// A connection to a peer was established (the first one).
    Connected(PeerId),
    /// The last connection to a peer closed.
    Disconnected(PeerId),
}

/// Answers peers' sync requests (implemented by the node).
pub trait SyncService: Send + Sync + 'static {
    /// Answers one request. Runs on the blocking pool.
    fn serve(&self, peer: PeerId, request: SyncRequest) -> SyncResponse;
}

/// What the node can see of a peer.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerInfo {
    /// Peer id.
    pub peer: PeerId,
    /// Addresses it is reachable at (as seen, and as it announced).
    pub addresses: Vec<Multiaddr>,
    /// Whether a connection is open now.
    pub connected: bool,
    /// Its gossipsub score (negative after rejected messages).
    pub score: Option<f64>,
    /// Offences counted by this node (forged, oversized, untrusted data).
    pub offences: u32,
    /// Blocked (after [`BAN_OFFENCES`], or by the operator).
    pub blocked: bool,
    /// The agent it reported via identify.
    pub agent: Option<String>,
}

/// Network errors.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// The event loop has stopped.
    #[error("the network task has stopped")]
    Stopped,
    /// A listen address could not be used.
    #[error("cannot listen on {addr}: {detail}")]
    Listen {
        /// Address.
        addr: Multiaddr,
        /// Why.
        detail: String,
    },
    /// Building the transport or a behaviour failed.
    #[error("cannot start the network: {0}")]
    Setup(String),
    /// Publishing failed (no peers on the topic, too large).
    #[error("cannot publish: {0}")]
    Publish(String),
    /// A sync request failed (timeout, connection closed, peer unreachable).
    #[error("request to {peer} failed: {detail}")]
    Request {
        /// Peer.
        peer: PeerId,
        /// Why.
        detail: String,
    },
}

enum Command {
    Publish(Topic, Vec<u8>, oneshot::Sender<Result<(), NetError>>),
    Report(MessageRef, Validation),
    Request(
        PeerId,
        SyncRequest,
        oneshot::Sender<Result<SyncResponse, NetError>>,
    ),
    Peers(oneshot::Sender<Vec<PeerInfo>>),
    ListenAddrs(oneshot::Sender<Vec<Multiaddr>>),
    Dial(Multiaddr),
    Penalize(PeerId, String),
    Block(PeerId, bool),
    Shutdown(oneshot::Sender<()>),
}

/// A cloneable handle to the network task.
#[derive(Clone)]
pub struct NetClient {
    tx: mpsc::UnboundedSender<Command>,
    local: PeerId,
}

impl std::fmt::Debug for NetClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetClient")
            .field("local", &self.local)
            .finish()
    }
}

impl NetClient {
    /// This node's peer id.
    pub fn peer_id(&self) -> PeerId {
        self.local
    }

    fn send(&self, c: Command) -> Result<(), NetError> {
        self.tx.send(c).map_err(|_| NetError::Stopped)
    }

    /// Publishes `data` on a topic of the federation.
    pub async fn publish(&self, topic: Topic, data: Vec<u8>) -> Result<(), NetError> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Publish(topic, data, tx))?;
        rx.await.map_err(|_| NetError::Stopped)?
    }

    /// Reports the verdict on a gossip message (exactly once per message).
    pub fn report(&self, message: MessageRef, verdict: Validation) {
        let _ = self.send(Command::Report(message, verdict));
    }

    /// Sends a sync request and waits for the answer.
    pub async fn request(
        &self,
        peer: PeerId,
        request: SyncRequest,
    ) -> Result<SyncResponse, NetError> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Request(peer, request, tx))?;
        rx.await.map_err(|_| NetError::Stopped)?
    }

    /// Known peers.
    pub async fn peers(&self) -> Result<Vec<PeerInfo>, NetError> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Peers(tx))?;
        rx.await.map_err(|_| NetError::Stopped)
    }

    /// The addresses this node listens on (with `/p2p/<peer id>`).
    pub async fn listen_addrs(&self) -> Result<Vec<Multiaddr>, NetError> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::ListenAddrs(tx))?;
        rx.await.map_err(|_| NetError::Stopped)
    }

    /// Dials an address.
    pub fn dial(&self, addr: Multiaddr) -> Result<(), NetError> {
        self.send(Command::Dial(addr))
    }

    /// Counts an offence against a peer; at [`BAN_OFFENCES`] it is blocked.
    pub fn penalize(&self, peer: PeerId, why: impl Into<String>) {
        let _ = self.send(Command::Penalize(peer, why.into()));
    }

    /// Blocks (closing its connections) or unblocks a peer.
    pub fn set_blocked(&self, peer: PeerId, blocked: bool) -> Result<(), NetError> {
        self.send(Command::Block(peer, blocked))
    }

    /// Stops the network task and closes every connection.
    pub async fn shutdown(&self) {
        let (tx, rx) = oneshot::channel();
        if self.send(Command::Shutdown(tx)).is_ok() {
            let _ = rx.await;
        }
    }
}

#[derive(NetworkBehaviour)]
struct Behaviour {
    blocked: allow_block_list::Behaviour<BlockedPeers>,
    gossipsub: gossipsub::Behaviour,
    sync: request_response::cbor::Behaviour<SyncRequest, SyncResponse>,
    identify: identify::Behaviour,
    kad: kad::Behaviour<kad::store::MemoryStore>,
    mdns: Toggle<mdns::tokio::Behaviour>,
}

/// The sync protocol name.
pub const SYNC_PROTOCOL: &str = "/credreg/sync/1";
/// The Kademlia protocol name (a credreg-only DHT, not the public IPFS one).
pub const KAD_PROTOCOL: &str = "/credreg/kad/1";

/// Starts the network: listens, dials the bootstrap peers and spawns the event loop on the
/// current tokio runtime. Returns the client and the event stream.
pub async fn start(
    config: NetConfig,
    service: Arc<dyn SyncService>,
) -> Result<(NetClient, mpsc::Receiver<NetEvent>), NetError> {
    let local = config.keypair.public().to_peer_id();
    let mut swarm = build_swarm(&config)?;
    let topics: Vec<(Topic, gossipsub::IdentTopic)> = [Topic::Checkpoints, Topic::Records]
        .into_iter()
        .map(|t| (t, gossipsub::IdentTopic::new(t.name(&config.federation))))
        .collect();
    for (_, topic) in &topics {
        swarm
            .behaviour_mut()
            .gossipsub
            .subscribe(topic)
            .map_err(|e| NetError::Setup(e.to_string()))?;
    }
    for addr in &config.listen {
        swarm
            .listen_on(addr.clone())
            .map_err(|e| NetError::Listen {
                addr: addr.clone(),
                detail: e.to_string(),
            })?;
    }
    // Wait for the listeners to be bound, so `listen_addrs` is right as soon as we return.
    let mut listening = Vec::new();
    while listening.len() < config.listen.len() {
        match swarm.select_next_some().await {
            SwarmEvent::NewListenAddr { address, .. } => listening.push(address),
            SwarmEvent::ListenerError { error, .. } => {
                return Err(NetError::Setup(error.to_string()))
            }
            SwarmEvent::ListenerClosed { reason, .. } => {
                return Err(NetError::Setup(format!("listener closed: {reason:?}")))
            }
            _ => {}
        }
    }
    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
    let (ev_tx, ev_rx) = mpsc::channel(1024);
    let mut event_loop = EventLoop {
        swarm,
        local,
        topics,
        listening,
        bootstrap: config.bootstrap.clone(),
        service,
        events: ev_tx,
        pending: HashMap::new(),
        responding: FuturesUnordered::new(),
        peers: HashMap::new(),
        blocked: HashSet::new(),
    };
    event_loop.dial_bootstrap();
    tokio::spawn(event_loop.run(cmd_rx, config.redial_every));
    Ok((NetClient { tx: cmd_tx, local }, ev_rx))
}

fn build_swarm(config: &NetConfig) -> Result<Swarm<Behaviour>, NetError> {
    let setup = |e: &dyn std::fmt::Display| NetError::Setup(e.to_string());
    let gossip_config = gossipsub::ConfigBuilder::default()
        .validation_mode(gossipsub::ValidationMode::Strict)
        .validate_messages()
        .message_id_fn(|m: &gossipsub::Message| {
            gossipsub::MessageId::from(blake3::hash(&m.data).as_bytes().to_vec())
        })
        .max_transmit_size(MAX_GOSSIP_BYTES)
        .heartbeat_interval(config.heartbeat)
        .build()
        .map_err(|e| setup(&e))?;
    let mdns_enabled = config.mdns;
    let federation = config.federation.clone();
    let swarm = libp2p::SwarmBuilder::with_existing_identity(config.keypair.clone())
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .map_err(|e| setup(&e))?
        .with_behaviour(|key| {
            let peer = key.public().to_peer_id();
            let mut gossipsub = gossipsub::Behaviour::new(
                gossipsub::MessageAuthenticity::Signed(key.clone()),
                gossip_config,
            )?;
            let (params, thresholds) = score_params(&federation);
            gossipsub.with_peer_score(params, thresholds)?;
            let codec = request_response::cbor::codec::Codec::default()
                .set_request_size_maximum(wire::MAX_REQUEST_BYTES)
                .set_response_size_maximum(wire::MAX_RESPONSE_BYTES);
            let sync = request_response::Behaviour::with_codec(
                codec,
                [(StreamProtocol::new(SYNC_PROTOCOL), ProtocolSupport::Full)],
                request_response::Config::default()
                    .with_request_timeout(Duration::from_secs(30))
                    .with_max_concurrent_streams(64),
            );
            let identify = identify::Behaviour::new(
                identify::Config::new("/credreg/1".into(), key.public())
                    .with_agent_version(format!("credreg/{}", env!("CARGO_PKG_VERSION"))),
            );
            let mut kad = kad::Behaviour::with_config(
                peer,
                kad::store::MemoryStore::new(peer),
                kad::Config::new(StreamProtocol::new(KAD_PROTOCOL)),
            );
            // Districts are servers: answer DHT queries without waiting for an external
            // address to be confirmed (which never happens on a LAN or loopback).
            kad.set_mode(Some(kad::Mode::Server));
            let mdns = if mdns_enabled {
                Some(mdns::tokio::Behaviour::new(mdns::Config::default(), peer)?)
            } else {
                None
            };
            Ok(Behaviour {
                blocked: Default::default(),
                gossipsub,
                sync,
                identify,
                kad,
                mdns: Toggle::from(mdns),
            })
        })
        .map_err(|e| setup(&e))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(300)))
        .build();
    Ok(swarm)
}

/// Peer scoring: each invalid message costs more than the last (the penalty grows with the
/// square of the count), so a peer is graylisted (score below -80: its messages are no
/// longer read) at its sixth rejected message, while one honest mistake costs little. The
/// mesh-delivery penalty (P3) is off because a district's topics are quiet for hours, and
/// the IP colocation penalty (P6) is off (see below).
fn score_params(federation: &str) -> (gossipsub::PeerScoreParams, gossipsub::PeerScoreThresholds) {
    let mut params = gossipsub::PeerScoreParams {
        // No penalty for many peers behind one address (P6): a state data centre may host
        // dozens of district nodes behind one IP, and trust here comes from signed
        // memberships, not from how many peer ids an address holds.
        ip_colocation_factor_weight: 0.0,
        ..Default::default()
    };
    for t in [Topic::Checkpoints, Topic::Records] {
        let topic = gossipsub::IdentTopic::new(t.name(federation)).hash();
        let topic_params = gossipsub::TopicScoreParams {
            topic_weight: 1.0,
            mesh_message_deliveries_weight: 0.0,
            mesh_failure_penalty_weight: 0.0,
            invalid_message_deliveries_weight: -3.0,
            invalid_message_deliveries_decay: 0.99,
            ..Default::default()
        };
        params.topics.insert(topic, topic_params);
    }
    (params, gossipsub::PeerScoreThresholds::default())
}
