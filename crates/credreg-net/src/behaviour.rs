//! The swarm: transport (TCP, noise, yamux) and behaviours (gossipsub with peer scoring,
//! request-response sync, identify, Kademlia, optional mDNS, a block list).

use crate::client::NetError;
use crate::config::{NetConfig, Topic, KAD_PROTOCOL, MAX_GOSSIP_BYTES, SYNC_PROTOCOL};
use crate::wire;
use credreg_wire::sync::{SyncRequest, SyncResponse};
use libp2p::allow_block_list::{self, BlockedPeers};
use libp2p::identify;
use libp2p::kad;
use libp2p::mdns;
use libp2p::request_response::{self, ProtocolSupport};
use libp2p::swarm::behaviour::toggle::Toggle;
use libp2p::swarm::NetworkBehaviour;
use libp2p::{noise, tcp, yamux, StreamProtocol, Swarm};
use libp2p_gossipsub as gossipsub;
use std::time::Duration;

#[derive(NetworkBehaviour)]
pub(crate) struct Behaviour {
    pub(crate) blocked: allow_block_list::Behaviour<BlockedPeers>,
    pub(crate) gossipsub: gossipsub::Behaviour,
    pub(crate) sync: request_response::cbor::Behaviour<SyncRequest, SyncResponse>,
    pub(crate) identify: identify::Behaviour,
    pub(crate) kad: kad::Behaviour<kad::store::MemoryStore>,
    pub(crate) mdns: Toggle<mdns::tokio::Behaviour>,
}

pub(crate) fn build_swarm(config: &NetConfig) -> Result<Swarm<Behaviour>, NetError> {
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
    let sync_timeout = config.sync_timeout;
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
                    .with_request_timeout(sync_timeout)
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
