//! The node's handle on the network task: commands in, events out.

use crate::config::{Topic, Validation};
use crate::{Address, PeerId};
use credreg_wire::sync::{SyncRequest, SyncResponse};
use libp2p_gossipsub as gossipsub;
use tokio::sync::{mpsc, oneshot};

/// Identifies a received gossip message when reporting its verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRef {
    pub(crate) id: gossipsub::MessageId,
    pub(crate) source: libp2p::PeerId,
}

impl MessageRef {
    /// The peer that forwarded it.
    pub fn source(&self) -> PeerId {
        PeerId(self.source)
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
        /// The data (at most [`MAX_GOSSIP_BYTES`](crate::MAX_GOSSIP_BYTES)).
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
    pub addresses: Vec<Address>,
    /// Whether a connection is open now.
    pub connected: bool,
    /// Its gossipsub score (negative after rejected messages).
    pub score: Option<f64>,
    /// Offences counted by this node (forged, oversized, untrusted data).
    pub offences: u32,
    /// Blocked (after [`BAN_OFFENCES`](crate::BAN_OFFENCES), or by the operator).
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
        addr: Address,
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

pub(crate) enum Command {
    Publish(Topic, Vec<u8>, oneshot::Sender<Result<(), NetError>>),
    Report(MessageRef, Validation),
    Request(
        PeerId,
        SyncRequest,
        oneshot::Sender<Result<SyncResponse, NetError>>,
    ),
    Peers(oneshot::Sender<Vec<PeerInfo>>),
    ListenAddrs(oneshot::Sender<Vec<Address>>),
    Dial(Address),
    Penalize(PeerId, String),
    Block(PeerId, bool),
    Shutdown(oneshot::Sender<()>),
}

/// A cloneable handle to the network task.
#[derive(Clone)]
pub struct NetClient {
    pub(crate) tx: mpsc::UnboundedSender<Command>,
    pub(crate) local: PeerId,
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
    pub async fn listen_addrs(&self) -> Result<Vec<Address>, NetError> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::ListenAddrs(tx))?;
        rx.await.map_err(|_| NetError::Stopped)
    }

    /// Dials an address.
    pub fn dial(&self, addr: Address) -> Result<(), NetError> {
        self.send(Command::Dial(addr))
    }

    /// Counts an offence against a peer; at [`BAN_OFFENCES`](crate::BAN_OFFENCES) it is blocked.
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
