//! The network's identities and addresses as credreg's own types: nothing of libp2p shows at
//! this crate's edge, so the federation driver, the binary and the tests never name a libp2p
//! type (and a libp2p upgrade stays inside this crate).

use std::fmt;
use std::str::FromStr;

/// A peer's id (the multihash of its transport key), shown and parsed in base58.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeerId(pub(crate) libp2p::PeerId);

impl fmt::Display for PeerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Debug for PeerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PeerId({})", self.0)
    }
}

/// A string that is not what it should be (a peer id or an address).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a {what}: {detail}")]
pub struct ParseError {
    what: &'static str,
    input: String,
    detail: String,
}

impl FromStr for PeerId {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse()
            .map(PeerId)
            .map_err(|e: libp2p::identity::ParseError| ParseError {
                what: "peer id",
                input: s.to_owned(),
                detail: e.to_string(),
            })
    }
}

/// Where a peer listens or can be dialled, as a multiaddr string
/// (`/ip4/127.0.0.1/tcp/4001/p2p/12D3Koo...`).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Address(pub(crate) libp2p::Multiaddr);

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Address({})", self.0)
    }
}

impl FromStr for Address {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse()
            .map(Address)
            .map_err(|e: libp2p::multiaddr::Error| ParseError {
                what: "multiaddr",
                input: s.to_owned(),
                detail: e.to_string(),
            })
    }
}

/// A node's transport identity (Ed25519; separate from its issuer key).
#[derive(Clone)]
pub struct NodeKey(pub(crate) libp2p::identity::Keypair);

impl NodeKey {
    /// The transport identity for a 32-byte Ed25519 seed (kept in the node's data directory).
    pub fn from_seed(mut seed: [u8; 32]) -> Self {
        match libp2p::identity::Keypair::ed25519_from_bytes(&mut seed) {
            Ok(k) => NodeKey(k),
            // Unreachable: any 32 bytes are an Ed25519 secret. A fresh identity is still correct.
            Err(_) => NodeKey(libp2p::identity::Keypair::generate_ed25519()),
        }
    }

    /// The peer id of this key.
    pub fn peer_id(&self) -> PeerId {
        PeerId(self.0.public().to_peer_id())
    }
}

impl fmt::Debug for NodeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NodeKey({})", self.peer_id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_addresses_round_trip_and_refuse_garbage() {
        let key = NodeKey::from_seed([7; 32]);
        let id = key.peer_id();
        assert_eq!(id.to_string().parse::<PeerId>(), Ok(id));
        assert_eq!(
            NodeKey::from_seed([7; 32]).peer_id(),
            id,
            "a seed is one identity"
        );
        let addr: Address = format!("/ip4/127.0.0.1/tcp/4001/p2p/{id}")
            .parse()
            .expect("addr");
        assert_eq!(addr.to_string().parse::<Address>(), Ok(addr));
        let e = "not-a-peer".parse::<PeerId>().expect_err("refused");
        assert!(e.to_string().contains("not a peer id"), "{e}");
        assert!("/ip4/999.0.0.1/tcp/1".parse::<Address>().is_err());
    }
}
