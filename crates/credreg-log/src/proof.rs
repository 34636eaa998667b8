//! Proof verification, following RFC 9162 sections 2.1.3.2 and 2.1.4.2 step by step.

use crate::tree::{node_hash, Hash};

/// Why a proof does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MerkleProofError {
    /// The index or sizes are impossible (index >= size, old > new, old == 0).
    #[error("impossible positions: {0}")]
    Positions(String),
    /// The proof has more elements than the positions allow.
    #[error("the proof is too long")]
    TooLong,
    /// The proof has fewer elements than the positions need (or the roots differ).
    #[error("the proof does not lead to the expected root (too short, or a wrong element)")]
    Mismatch,
}

/// Checks that `leaf` is entry `index` of the tree of `size` entries with root `root`.
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), MerkleProofError> {
    if index >= size {
        return Err(MerkleProofError::Positions(format!(
            "index {index} is not below size {size}"
        )));
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return Err(MerkleProofError::TooLong);
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    if s == 0 && r == *root {
        Ok(())
    } else {
        Err(MerkleProofError::Mismatch)
    }
}

/// Checks that the tree of `old` entries with root `old_root` is a prefix of the tree of `new`
/// entries with root `new_root`.
pub fn verify_consistency(
    old: u64,
    new: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), MerkleProofError> {
    if old == 0 || old > new {
        return Err(MerkleProofError::Positions(format!(
            "sizes {old} -> {new} (need 0 < old <= new)"
        )));
    }
    if old == new {
        return if !proof.is_empty() {
            Err(MerkleProofError::TooLong)
        } else if old_root == new_root {
            Ok(())
        } else {
            Err(MerkleProofError::Mismatch)
        };
    }
    if proof.is_empty() {
        return Err(MerkleProofError::Mismatch);
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let (mut f, mut s) = (old - 1, new - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if s == 0 {
            return Err(MerkleProofError::TooLong);
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    if fr == *old_root && sr == *new_root && s == 0 {
        Ok(())
    } else {
        Err(MerkleProofError::Mismatch)
    }
}
