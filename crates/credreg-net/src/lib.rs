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

mod behaviour;
mod client;
mod config;
mod event_loop;
mod ids;
mod start;

pub use client::{MessageRef, NetClient, NetError, NetEvent, PeerInfo, SyncService};
pub use config::{
    NetConfig, Topic, Validation, BAN_OFFENCES, KAD_PROTOCOL, MAX_GOSSIP_BYTES, SYNC_PROTOCOL,
};
pub use ids::{Address, NodeKey, ParseError, PeerId};
pub use start::start;
pub use wire::{SyncRequest, SyncResponse};
