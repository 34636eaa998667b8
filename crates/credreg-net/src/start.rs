//! Starting the network: the swarm built, subscribed and listening, then handed to the event
//! loop task; the node keeps the client handle and the event stream.

use crate::behaviour::build_swarm;
use crate::client::{NetClient, NetError, NetEvent, SyncService};
use crate::config::{NetConfig, Topic};
use crate::event_loop::EventLoop;
use crate::PeerId;
use futures::stream::FuturesUnordered;
use futures::StreamExt;
use libp2p::swarm::SwarmEvent;
use libp2p_gossipsub as gossipsub;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tokio::sync::mpsc;

/// Starts the network: listens, dials the bootstrap peers and spawns the event loop on the
/// current tokio runtime. Returns the client and the event stream.
pub async fn start(
    config: NetConfig,
    service: Arc<dyn SyncService>,
) -> Result<(NetClient, mpsc::Receiver<NetEvent>), NetError> {
    let local = config.key.0.public().to_peer_id();
    let bootstrap: Vec<libp2p::Multiaddr> = config.bootstrap.iter().map(|a| a.0.clone()).collect();
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
            .listen_on(addr.0.clone())
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
        bootstrap,
        service,
        events: ev_tx,
        pending: HashMap::new(),
        responding: FuturesUnordered::new(),
        peers: HashMap::new(),
        blocked: HashSet::new(),
    };
    event_loop.dial_bootstrap();
    tokio::spawn(event_loop.run(cmd_rx, config.redial_every));
    Ok((
        NetClient {
            tx: cmd_tx,
            local: PeerId(local),
        },
        ev_rx,
    ))
}
