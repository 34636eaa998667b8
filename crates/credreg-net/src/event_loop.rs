//! The task that owns the swarm: it runs commands from the client handle, turns swarm events
//! into [`NetEvent`]s, serves sync requests on the blocking pool, scores and blocks peers.

use crate::behaviour::{Behaviour, BehaviourEvent};
use crate::client::{Command, MessageRef, NetError, NetEvent, PeerInfo, SyncService};
use crate::config::{Topic, Validation, BAN_OFFENCES};
use crate::ids::{Address, PeerId as NetPeerId};
use credreg_wire::sync::SyncResponse;
use futures::stream::FuturesUnordered;
use futures::StreamExt;
use libp2p::multiaddr::Protocol;
use libp2p::request_response;
use libp2p::swarm::SwarmEvent;
use libp2p::{identify, kad, mdns, Multiaddr, PeerId, Swarm};
use libp2p_gossipsub as gossipsub;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

#[derive(Default)]
pub(crate) struct PeerState {
    addresses: Vec<Multiaddr>,
    connections: u32,
    offences: u32,
    agent: Option<String>,
}

type Responding = tokio::task::JoinHandle<(
    request_response::ResponseChannel<SyncResponse>,
    SyncResponse,
)>;

pub(crate) struct EventLoop {
    pub(crate) swarm: Swarm<Behaviour>,
    pub(crate) local: PeerId,
    pub(crate) topics: Vec<(Topic, gossipsub::IdentTopic)>,
    pub(crate) listening: Vec<Multiaddr>,
    pub(crate) bootstrap: Vec<Multiaddr>,
    pub(crate) service: Arc<dyn SyncService>,
    pub(crate) events: mpsc::Sender<NetEvent>,
    pub(crate) pending: HashMap<
        request_response::OutboundRequestId,
        (PeerId, oneshot::Sender<Result<SyncResponse, NetError>>),
    >,
    pub(crate) responding: FuturesUnordered<Responding>,
    pub(crate) peers: HashMap<PeerId, PeerState>,
    pub(crate) blocked: HashSet<PeerId>,
}

impl EventLoop {
    pub(crate) async fn run(
        mut self,
        mut commands: mpsc::UnboundedReceiver<Command>,
        redial: Duration,
    ) {
        let mut tick = tokio::time::interval(redial);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                event = self.swarm.select_next_some() => self.on_swarm(event).await,
                command = commands.recv() => match command {
                    Some(Command::Shutdown(done)) => {
                        let _ = done.send(());
                        return;
                    }
                    Some(c) => self.on_command(c),
                    None => return,
                },
                Some(done) = self.responding.next(), if !self.responding.is_empty() => {
                    if let Ok((channel, response)) = done {
                        // The asker may have gone; nothing to do then.
                        let _ = self.swarm.behaviour_mut().sync.send_response(channel, response);
                    }
                }
                _ = tick.tick() => self.dial_bootstrap(),
            }
        }
    }

    pub(crate) fn topic_of(&self, hash: &gossipsub::TopicHash) -> Option<Topic> {
        self.topics
            .iter()
            .find(|(_, t)| &t.hash() == hash)
            .map(|(t, _)| *t)
    }

    pub(crate) fn dial_bootstrap(&mut self) {
        let any_connected = self.peers.values().any(|p| p.connections > 0);
        for addr in self.bootstrap.clone() {
            let peer = addr.iter().find_map(|p| match p {
                Protocol::P2p(id) => Some(id),
                _ => None,
            });
            let wanted = match peer {
                Some(id) if id == self.local || self.blocked.contains(&id) => false,
                Some(id) => self.peers.get(&id).is_none_or(|p| p.connections == 0),
                None => !any_connected,
            };
            if wanted {
                if let Err(e) = self.swarm.dial(addr.clone()) {
                    tracing::debug!(%addr, "dial failed: {e}");
                }
            }
        }
    }

    pub(crate) async fn on_swarm(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::Behaviour(BehaviourEvent::Gossipsub(gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            })) => {
                let message_ref = MessageRef {
                    id: message_id,
                    source: propagation_source,
                };
                match self.topic_of(&message.topic) {
                    Some(topic) => {
                        let event = NetEvent::Gossip {
                            message: message_ref,
                            topic,
                            data: message.data,
                        };
                        if self.events.send(event).await.is_err() {
                            tracing::debug!("node stopped listening to the network");
                        }
                    }
                    None => self.validate(message_ref, Validation::Reject),
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Sync(request_response::Event::Message {
                peer,
                message,
                ..
            })) => match message {
                request_response::Message::Request {
                    request, channel, ..
                } => {
                    let service = self.service.clone();
                    self.responding.push(tokio::task::spawn_blocking(move || {
                        let response = service.serve(NetPeerId(peer), request);
                        (channel, response)
                    }));
                }
                request_response::Message::Response {
                    request_id,
                    response,
                } => {
                    if let Some((_, reply)) = self.pending.remove(&request_id) {
                        let _ = reply.send(Ok(response));
                    }
                }
            },
            SwarmEvent::Behaviour(BehaviourEvent::Sync(
                request_response::Event::OutboundFailure {
                    request_id, error, ..
                },
            )) => {
                if let Some((peer, reply)) = self.pending.remove(&request_id) {
                    let _ = reply.send(Err(NetError::Request {
                        peer: NetPeerId(peer),
                        detail: error.to_string(),
                    }));
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received {
                peer_id,
                info,
                ..
            })) => {
                let state = self.peers.entry(peer_id).or_default();
                state.agent = Some(info.agent_version);
                for addr in info.listen_addrs {
                    if !state.addresses.contains(&addr) {
                        state.addresses.push(addr.clone());
                    }
                    self.swarm.behaviour_mut().kad.add_address(&peer_id, addr);
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Mdns(mdns::Event::Discovered(found))) => {
                for (peer, addr) in found {
                    if !self.blocked.contains(&peer) {
                        self.swarm
                            .behaviour_mut()
                            .kad
                            .add_address(&peer, addr.clone());
                        let _ = self.swarm.dial(addr);
                    }
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Kad(kad::Event::RoutingUpdated {
                peer,
                addresses,
                ..
            })) => {
                // Discovery: connect to peers the DHT tells us about.
                let connected = self.peers.get(&peer).is_some_and(|p| p.connections > 0);
                if peer != self.local && !connected && !self.blocked.contains(&peer) {
                    let _ = self.swarm.dial(
                        libp2p::swarm::dial_opts::DialOpts::peer_id(peer)
                            .addresses(addresses.into_vec())
                            .build(),
                    );
                }
            }
            SwarmEvent::ConnectionEstablished {
                peer_id, endpoint, ..
            } => {
                let state = self.peers.entry(peer_id).or_default();
                state.connections += 1;
                if endpoint.is_dialer() {
                    let addr = endpoint.get_remote_address().clone();
                    if !state.addresses.contains(&addr) {
                        state.addresses.push(addr.clone());
                    }
                    self.swarm.behaviour_mut().kad.add_address(&peer_id, addr);
                }
                if state.connections == 1 {
                    let _ = self
                        .events
                        .send(NetEvent::Connected(NetPeerId(peer_id)))
                        .await;
                    if self.swarm.behaviour_mut().kad.bootstrap().is_err() {
                        tracing::debug!("no peers to bootstrap the DHT from yet");
                    }
                }
            }
            SwarmEvent::ConnectionClosed { peer_id, .. } => {
                let state = self.peers.entry(peer_id).or_default();
                state.connections = state.connections.saturating_sub(1);
                if state.connections == 0 {
                    let _ = self
                        .events
                        .send(NetEvent::Disconnected(NetPeerId(peer_id)))
                        .await;
                }
            }
            SwarmEvent::NewListenAddr { address, .. } if !self.listening.contains(&address) => {
                self.listening.push(address);
            }
            _ => {}
        }
    }

    pub(crate) fn validate(&mut self, message: MessageRef, verdict: Validation) {
        let acceptance = match verdict {
            Validation::Accept => gossipsub::MessageAcceptance::Accept,
            Validation::Ignore => gossipsub::MessageAcceptance::Ignore,
            Validation::Reject => gossipsub::MessageAcceptance::Reject,
        };
        self.swarm
            .behaviour_mut()
            .gossipsub
            .report_message_validation_result(&message.id, &message.source, acceptance);
    }

    pub(crate) fn on_command(&mut self, command: Command) {
        match command {
            Command::Publish(topic, data, reply) => {
                let result = match self.topics.iter().find(|(t, _)| *t == topic) {
                    Some((_, t)) => self
                        .swarm
                        .behaviour_mut()
                        .gossipsub
                        .publish(t.clone(), data)
                        .map(|_| ())
                        .map_err(|e| NetError::Publish(e.to_string())),
                    None => Err(NetError::Publish("unknown topic".into())),
                };
                let _ = reply.send(result);
            }
            Command::Report(message, verdict) => self.validate(message, verdict),
            Command::Request(asked, request, reply) => {
                let peer = asked.0;
                if self.blocked.contains(&peer) {
                    let _ = reply.send(Err(NetError::Request {
                        peer: asked,
                        detail: "the peer is blocked".into(),
                    }));
                    return;
                }
                let id = self.swarm.behaviour_mut().sync.send_request(&peer, request);
                self.pending.insert(id, (peer, reply));
            }
            Command::Peers(reply) => {
                let gossip = &self.swarm.behaviour().gossipsub;
                let mut out: Vec<PeerInfo> = self
                    .peers
                    .iter()
                    .map(|(peer, s)| PeerInfo {
                        peer: NetPeerId(*peer),
                        addresses: s.addresses.iter().cloned().map(Address).collect(),
                        connected: s.connections > 0,
                        score: gossip.peer_score(peer),
                        offences: s.offences,
                        blocked: self.blocked.contains(peer),
                        agent: s.agent.clone(),
                    })
                    .collect();
                out.sort_by_key(|p| p.peer.to_string());
                let _ = reply.send(out);
            }
            Command::ListenAddrs(reply) => {
                let local = self.local;
                let addrs = self
                    .listening
                    .iter()
                    .map(|a| Address(a.clone().with(Protocol::P2p(local))))
                    .collect();
                let _ = reply.send(addrs);
            }
            Command::Dial(Address(addr)) => {
                if let Err(e) = self.swarm.dial(addr.clone()) {
                    tracing::debug!(%addr, "dial failed: {e}");
                }
            }
            Command::Penalize(NetPeerId(peer), why) => {
                let state = self.peers.entry(peer).or_default();
                state.offences += 1;
                tracing::warn!(%peer, offences = state.offences, "peer misbehaved: {why}");
                if state.offences >= BAN_OFFENCES {
                    tracing::warn!(%peer, "blocking peer after {BAN_OFFENCES} offences");
                    self.block(peer, true);
                }
            }
            Command::Block(NetPeerId(peer), blocked) => self.block(peer, blocked),
            Command::Shutdown(_) => {}
        }
    }

    pub(crate) fn block(&mut self, peer: PeerId, blocked: bool) {
        let behaviour = self.swarm.behaviour_mut();
        if blocked {
            self.blocked.insert(peer);
            behaviour.blocked.block_peer(peer);
            behaviour.gossipsub.blacklist_peer(&peer);
            let _ = self.swarm.disconnect_peer_id(peer);
        } else {
            self.blocked.remove(&peer);
            behaviour.blocked.unblock_peer(peer);
            behaviour.gossipsub.remove_blacklisted_peer(&peer);
            let known = self
                .peers
                .get(&peer)
                .map(|p| p.addresses.clone())
                .unwrap_or_default();
            if !known.is_empty() {
                let _ = self.swarm.dial(
                    libp2p::swarm::dial_opts::DialOpts::peer_id(peer)
                        .addresses(known)
                        .build(),
                );
            }
            self.dial_bootstrap();
        }
    }
}
