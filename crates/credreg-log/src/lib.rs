//! # credreg-log: tamper-evident per-issuer logs
//!
//! An append-only Merkle tree with the shape of RFC 6962 / RFC 9162 (Certificate
//! Transparency), hashed with blake3 and domain separation:
//! `leaf = blake3(0x00 || entry)`, `node = blake3(0x01 || left || right)`; the root of `n`
//! leaves splits at the largest power of two below `n`. Proofs are the RFC 9162 inclusion and
//! consistency proofs, and the verifiers follow RFC 9162 sections 2.1.3.2 and 2.1.4.2 (they use
//! every proof element and reject proofs that are too long or too short).
//!
//! Design decisions:
//! - **Sans-IO.** Tree nodes are read through [`NodeSource`] and the nodes an append creates
//!   are returned by [`appended_nodes`], so the node can keep them in sled and write them in the
//!   same transaction as the record. [`MemoryLog`] is the in-memory implementation.
//! - **Only perfect subtrees are stored**: node `(level, index)` is the root of leaves
//!   `index * 2^level .. (index + 1) * 2^level`. Every root and proof needs O(log n) of them
//!   per RFC 6962 step, so nothing is recomputed from the leaves.
//! - **Checkpoints** `{issuer, size, root, timestamp}` are signed with Ed25519 over a
//!   domain-separated text encoding ([`Checkpoint::signed_bytes`]) that an outside program can
//!   rebuild without this crate.
#![deny(missing_docs)]

mod checkpoint;
mod proof;
mod tree;

pub use checkpoint::{
    check_pair, verify_evidence, Checkpoint, CheckpointError, Equivocation, EvidenceError,
    PairVerdict, SignedCheckpoint, CHECKPOINT_DOMAIN,
};
pub use proof::{verify_consistency, verify_inclusion, MerkleProofError};
pub use tree::{
    appended_nodes, consistency_proof, inclusion_proof, leaf_hash, node_hash, root, Hash,
    MemoryLog, NodeSource, EMPTY_ROOT,
};
