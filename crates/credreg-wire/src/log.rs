//! The log protocol's JSON: signed checkpoints as stored, served and gossiped, and the
//! inclusion and consistency proofs served for them (hashes and keys lowercase hex).

use credreg_log::{Checkpoint, SignedCheckpoint};
use serde::{Deserialize, Serialize};

/// Why a checkpoint's JSON does not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointDecodeError {
    /// A field is not hex.
    #[error("{field} is not hex")]
    NotHex {
        /// `root`, `key` or `signature`.
        field: &'static str,
    },
    /// A field has the wrong length.
    #[error("{field} must be {bytes} bytes")]
    Length {
        /// `root`, `key` or `signature`.
        field: &'static str,
        /// The length it must have.
        bytes: usize,
    },
}

/// A signed checkpoint as stored and served (hashes and keys lowercase hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointJson {
    /// Issuer DID.
    pub issuer: String,
    /// Entries.
    pub size: u64,
    /// Root, hex.
    pub root: String,
    /// Unix seconds.
    pub timestamp: u64,
    /// Ed25519 public key, hex (32 bytes).
    pub key: String,
    /// Ed25519 signature over the `credreg-checkpoint/v1` encoding, hex (64 bytes).
    pub signature: String,
}

impl CheckpointJson {
    /// From a signed checkpoint.
    pub fn of(c: &SignedCheckpoint) -> Self {
        Self {
            issuer: c.checkpoint.issuer.clone(),
            size: c.checkpoint.size,
            root: hex::encode(c.checkpoint.root),
            timestamp: c.checkpoint.timestamp,
            key: hex::encode(c.key),
            signature: hex::encode(c.signature),
        }
    }

    /// Back to a signed checkpoint (not yet verified).
    pub fn to_signed(&self) -> Result<SignedCheckpoint, CheckpointDecodeError> {
        let decode = |field: &'static str, s: &str, n: usize| {
            let v = hex::decode(s).map_err(|_| CheckpointDecodeError::NotHex { field })?;
            if v.len() != n {
                return Err(CheckpointDecodeError::Length { field, bytes: n });
            }
            Ok(v)
        };
        let mut root = [0u8; 32];
        root.copy_from_slice(&decode("root", &self.root, 32)?);
        let mut key = [0u8; 32];
        key.copy_from_slice(&decode("key", &self.key, 32)?);
        let mut signature = [0u8; 64];
        signature.copy_from_slice(&decode("signature", &self.signature, 64)?);
        Ok(SignedCheckpoint {
            checkpoint: Checkpoint {
                issuer: self.issuer.clone(),
                size: self.size,
                root,
                timestamp: self.timestamp,
            },
            key,
            signature,
        })
    }
}

/// An inclusion proof as served.
#[derive(Debug, Clone, Serialize)]
pub struct InclusionJson {
    /// Entry index.
    pub index: u64,
    /// Tree size the proof is for.
    pub size: u64,
    /// `blake3(0x00 || entry)`, hex.
    pub leaf_hash: String,
    /// Root at `size`, hex.
    pub root: String,
    /// Sibling hashes, leaf to root, hex.
    pub proof: Vec<String>,
}

/// A consistency proof as served.
#[derive(Debug, Clone, Serialize)]
pub struct ConsistencyJson {
    /// Older size.
    pub from: u64,
    /// Newer size.
    pub to: u64,
    /// Root at `from`, hex.
    pub from_root: String,
    /// Root at `to`, hex.
    pub to_root: String,
    /// RFC 9162 consistency proof, hex.
    pub proof: Vec<String>,
}
