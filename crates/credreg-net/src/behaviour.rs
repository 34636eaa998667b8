//! The swarm: transport (TCP, noise, yamux) and behaviours (gossipsub with peer scoring,
//! request-response sync, identify, Kademlia, optional mDNS, a block list), and [`start`].

use crate::client::{NetClient, NetError, NetEvent, SyncService};
use crate::config::{NetConfig, Topic, KAD_PROTOCOL, MAX_GOSSIP_BYTES, SYNC_PROTOCOL};
use crate::event_loop::EventLoop;
use crate::{wire, PeerId};
use credreg_wire::sync::{SyncRequest, SyncResponse};
use futures::stream::FuturesUnordered;
use futures::StreamExt;
use libp2p::allow_block_list::{self, BlockedPeers};
use libp2p::identify;
use libp2p::kad;
use libp2p::mdns;
use libp2p::request_response::{self, ProtocolSupport};
use libp2p::swarm::behaviour::toggle::Toggle;
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{noise, tcp, yamux, StreamProtocol, Swarm};
use libp2p_gossipsub as gossipsub;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

#[derive(NetworkBehaviour)]
pub(crate) struct Behaviour {
    pub(crate) blocked: allow_block_list::Behaviour<BlockedPeers>,
    pub(crate) gossipsub: gossipsub::Behaviour,
    pub(crate) sync: request_response::cbor::Behaviour<SyncRequest, SyncResponse>,
    pub(crate) identify: identify::Behaviour,
    pub(crate) kad: kad::Behaviour<kad::store::MemoryStore>,
    pub(crate) mdns: Toggle<mdns::tokio::Behaviour>,
}

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
    let swarm = libp2p::SwarmBuilder::with_existing_identity(config.key.0.clone())
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
