//! Signed checkpoints (signed tree heads) and equivocation evidence.

use crate::proof::verify_consistency;
use crate::tree::{Hash, EMPTY_ROOT};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

/// First line of every signed checkpoint: separates these signatures from any other message
/// the issuer key signs (records, awards).
pub const CHECKPOINT_DOMAIN: &str = "credreg-checkpoint/v1";

/// A log's state: `size` entries with Merkle root `root`, as of `timestamp` (Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The issuer (DID) whose log this is.
    pub issuer: String,
    /// Number of entries.
    pub size: u64,
    /// Root of the first `size` entries.
    pub root: Hash,
    /// When it was signed (Unix seconds).
    pub timestamp: u64,
}

/// A checkpoint with the Ed25519 signature over [`Checkpoint::signed_bytes`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    /// The checkpoint.
    pub checkpoint: Checkpoint,
    /// The public key that signed it.
    pub key: [u8; 32],
    /// The signature.
    pub signature: [u8; 64],
}

/// Checkpoint problems.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// The issuer string cannot be encoded (contains a newline, or is empty).
    #[error("issuer must be non-empty and contain no newline")]
    BadIssuer,
    /// The key bytes are not an Ed25519 public key.
    #[error("the checkpoint key is not an Ed25519 public key")]
    BadKey,
    /// The signature does not verify.
    #[error("the checkpoint signature does not verify")]
    BadSignature,
    /// Two checkpoints of different issuers were compared.
    #[error("the checkpoints belong to different issuers")]
    DifferentIssuers,
    /// Checkpoints of different sizes need a consistency proof to compare.
    #[error("a consistency proof between sizes {0} and {1} is needed")]
    NeedProof(u64, u64),
}

impl Checkpoint {
    /// The exact bytes signed:
    /// `credreg-checkpoint/v1\n<issuer>\n<size>\n<root, lowercase hex>\n<timestamp>\n`
    /// (sizes and timestamp in decimal ASCII).
    pub fn signed_bytes(&self) -> Result<Vec<u8>, CheckpointError> {
        if self.issuer.is_empty() || self.issuer.contains('\n') {
            return Err(CheckpointError::BadIssuer);
        }
        Ok(format!(
            "{CHECKPOINT_DOMAIN}\n{}\n{}\n{}\n{}\n",
            self.issuer,
            self.size,
            hex::encode(self.root),
            self.timestamp
        )
        .into_bytes())
    }

    /// Signs it.
    pub fn sign(self, key: &SigningKey) -> Result<SignedCheckpoint, CheckpointError> {
        let signature = key.sign(&self.signed_bytes()?).to_bytes();
        Ok(SignedCheckpoint {
            checkpoint: self,
            key: key.verifying_key().to_bytes(),
            signature,
        })
    }
}

impl SignedCheckpoint {
    /// Verifies the signature with the key it names. (That the key is the issuer's is the
    /// caller's question: the node checks it against the issuer's DID.)
    pub fn verify(&self) -> Result<(), CheckpointError> {
        let key = VerifyingKey::from_bytes(&self.key).map_err(|_| CheckpointError::BadKey)?;
        key.verify_strict(
            &self.checkpoint.signed_bytes()?,
            &Signature::from_bytes(&self.signature),
        )
        .map_err(|_| CheckpointError::BadSignature)
    }
}

/// Two signed checkpoints of one issuer that cannot both be true.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Equivocation {
    /// The smaller (or first) checkpoint.
    pub first: SignedCheckpoint,
    /// The other.
    pub second: SignedCheckpoint,
    /// Why they conflict.
    pub reason: String,
}

/// The outcome of comparing two checkpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PairVerdict {
    /// One extends the other (or they are the same state).
    Consistent,
    /// They cannot both be true: evidence to store and gossip.
    Equivocation(Box<Equivocation>),
}

/// Decides whether two validly signed checkpoints of one issuer can both be true. Checkpoints
/// of different sizes need the consistency proof between them (from any copy of the log);
/// if it does not verify, they cannot both be true.
pub fn check_pair(
    a: &SignedCheckpoint,
    b: &SignedCheckpoint,
    proof: Option<&[Hash]>,
) -> Result<PairVerdict, CheckpointError> {
    a.verify()?;
    b.verify()?;
    if a.checkpoint.issuer != b.checkpoint.issuer {
        return Err(CheckpointError::DifferentIssuers);
    }
    let (first, second) = if a.checkpoint.size <= b.checkpoint.size {
        (a, b)
    } else {
        (b, a)
    };
    let (old, new) = (&first.checkpoint, &second.checkpoint);
    let conflict = |reason: String| {
        Ok(PairVerdict::Equivocation(Box::new(Equivocation {
            first: first.clone(),
            second: second.clone(),
            reason,
        })))
    };
    if old.size == new.size {
        return if old.root == new.root {
            Ok(PairVerdict::Consistent)
        } else {
            conflict(format!("two different roots for size {}", old.size))
        };
    }
    if old.size == 0 {
        return if old.root == EMPTY_ROOT {
            Ok(PairVerdict::Consistent)
        } else {
            conflict("a non-empty root for size 0".into())
        };
    }
    let proof = proof.ok_or(CheckpointError::NeedProof(old.size, new.size))?;
    match verify_consistency(old.size, new.size, &old.root, &new.root, proof) {
        Ok(()) => Ok(PairVerdict::Consistent),
        Err(e) => conflict(format!(
            "size {} is not a prefix of size {}: {e}",
            old.size, new.size
        )),
    }
}

/// Why a claimed equivocation is not evidence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvidenceError {
    /// A checkpoint is badly signed, or they are of different issuers.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// The two checkpoints can both be true.
    #[error("the checkpoints are consistent: {0}")]
    NotConflicting(String),
}

/// Checks self-contained equivocation evidence: two checkpoints of one issuer and, when their
/// sizes differ, the root the larger tree has at the smaller size (`alt_root`) with a
/// consistency proof from it to the larger root. If that proof verifies and `alt_root`
/// differs from the smaller checkpoint's root, the issuer signed two trees where one must be a
/// prefix of the other: anyone can check this without a copy of the log. Returns the reason.
pub fn verify_evidence(
    a: &SignedCheckpoint,
    b: &SignedCheckpoint,
    alt_root: Option<&Hash>,
    proof: &[Hash],
) -> Result<String, EvidenceError> {
    a.verify()?;
    b.verify()?;
    if a.checkpoint.issuer != b.checkpoint.issuer {
        return Err(CheckpointError::DifferentIssuers.into());
    }
    let (small, big) = if a.checkpoint.size <= b.checkpoint.size {
        (&a.checkpoint, &b.checkpoint)
    } else {
        (&b.checkpoint, &a.checkpoint)
    };
    if small.size == big.size {
        return if small.root != big.root {
            Ok(format!(
                "two different roots signed for size {}",
                small.size
            ))
        } else {
            Err(EvidenceError::NotConflicting("the same tree".into()))
        };
    }
    let alt = alt_root.ok_or_else(|| {
        EvidenceError::NotConflicting("no root of the larger tree at the smaller size".into())
    })?;
    if *alt == small.root {
        return Err(EvidenceError::NotConflicting(
            "the larger tree has the smaller checkpoint's root as its prefix".into(),
        ));
    }
    verify_consistency(small.size, big.size, alt, &big.root, proof).map_err(|e| {
        EvidenceError::NotConflicting(format!("the proof for the alternative prefix fails: {e}"))
    })?;
    Ok(format!(
        "the tree of size {} does not extend the signed tree of size {}",
        big.size, small.size
    ))
}
