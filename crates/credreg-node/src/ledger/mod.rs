//! The node's side of its Merkle log: checkpoints after every write, entries and proofs for
//! anyone who asks, and the `logged` verification check.

use crate::error::{internal, NodeError};
use crate::node::Node;
pub(crate) mod state;

use credreg_log::{Checkpoint, Hash};
use std::sync::atomic::Ordering;

/// Largest page of entries served at once.
pub const MAX_ENTRIES_PAGE: u64 = 256;

pub use credreg_wire::log::{CheckpointJson, ConsistencyJson, InclusionJson};

fn hexes(v: &[Hash]) -> Vec<String> {
    v.iter().map(hex::encode).collect()
}

impl Node {
    /// Signs a checkpoint of this node's log if it grew since the last one. Called after every
    /// write (and at start, to cover a crash between a write and its checkpoint). A size is
    /// never signed twice, so two different checkpoints for one size cannot exist.
    pub(crate) fn sign_checkpoint(&self) -> Result<(), NodeError> {
        let _guard = self
            .ledger
            .signing
            .lock()
            .map_err(|_| internal("poisoned"))?;
        let size = self.store.log_size(self.did())?;
        let signed_size = self.store.checkpoint(self.did())?.map_or(0, |(s, _)| s);
        if size == 0 || size <= signed_size {
            return Ok(());
        }
        let root = credreg_log::root(&self.store.log_nodes(self.did()), size)?;
        let signed = Checkpoint {
            issuer: self.did().to_owned(),
            size,
            root,
            timestamp: self.settings().env.unix_now(),
        }
        .sign(self.signing_key())
        .map_err(internal)?;
        let bytes = serde_json::to_vec(&CheckpointJson::of(&signed)).map_err(internal)?;
        if self
            .store
            .put_checkpoint_if_newer(self.did(), size, &bytes)?
        {
            self.checkpoint_signed(size);
        }
        Ok(())
    }

    /// The newest checkpoint this node holds for `issuer`.
    pub fn checkpoint(&self, issuer: &str) -> Result<Option<CheckpointJson>, NodeError> {
        match self.store.checkpoint(issuer)? {
            None => Ok(None),
            Some((_, bytes)) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| internal(format!("stored checkpoint: {e}"))),
        }
    }

    /// How many entries `issuer`'s log holds here (own or replicated; 0 if none).
    pub fn log_size(&self, issuer: &str) -> Result<u64, NodeError> {
        Ok(self.store.log_size(issuer)?)
    }

    /// Entries `from..to` (at most [`MAX_ENTRIES_PAGE`]) of `issuer`'s log.
    pub fn log_entries(
        &self,
        issuer: &str,
        from: u64,
        to: Option<u64>,
    ) -> Result<Vec<(u64, Vec<u8>)>, NodeError> {
        let size = self.store.log_size(issuer)?;
        let to = to
            .unwrap_or(size)
            .min(size)
            .min(from.saturating_add(MAX_ENTRIES_PAGE));
        if from > to {
            return Err(invalid("from", format!("must not exceed to ({to})")));
        }
        Ok(self.store.log_entries(issuer, from, to)?)
    }

    /// Inclusion proof of entry `index` (or of the record with id `record`) at `size`
    /// (default: the newest checkpoint's size).
    pub fn inclusion(
        &self,
        issuer: &str,
        index: Option<u64>,
        record: Option<&str>,
        size: Option<u64>,
    ) -> Result<InclusionJson, NodeError> {
        let index = match (index, record) {
            (Some(i), None) => i,
            (None, Some(r)) => self
                .store
                .log_position(r)?
                .ok_or_else(|| NodeError::NotFound {
                    what: "logged record",
                    id: r.to_owned(),
                })?,
            _ => return Err(invalid("index", "give exactly one of index and record")),
        };
        let size = self.proof_size(issuer, size)?;
        let nodes = self.store.log_nodes(issuer);
        let proof = credreg_log::inclusion_proof(&nodes, index, size)?
            .ok_or_else(|| invalid("index", format!("must be below size {size}")))?;
        let entry = self.store.log_entries(issuer, index, index + 1)?;
        let (_, bytes) = entry.first().ok_or_else(|| internal("entry vanished"))?;
        Ok(InclusionJson {
            index,
            size,
            leaf_hash: hex::encode(credreg_log::leaf_hash(bytes)),
            root: hex::encode(credreg_log::root(&nodes, size)?),
            proof: hexes(&proof),
        })
    }

    /// Consistency proof between sizes `from` and `to` (default: the newest checkpoint's).
    pub fn consistency(
        &self,
        issuer: &str,
        from: u64,
        to: Option<u64>,
    ) -> Result<ConsistencyJson, NodeError> {
        let to = self.proof_size(issuer, to)?;
        let nodes = self.store.log_nodes(issuer);
        let proof = credreg_log::consistency_proof(&nodes, from, to)?
            .ok_or_else(|| invalid("from", format!("must be between 1 and {to}")))?;
        Ok(ConsistencyJson {
            from,
            to,
            from_root: hex::encode(credreg_log::root(&nodes, from)?),
            to_root: hex::encode(credreg_log::root(&nodes, to)?),
            proof: hexes(&proof),
        })
    }

    fn proof_size(&self, issuer: &str, size: Option<u64>) -> Result<u64, NodeError> {
        let logged = self.store.log_size(issuer)?;
        if logged == 0 {
            return Err(NodeError::NotFound {
                what: "log",
                id: issuer.to_owned(),
            });
        }
        let size = match size {
            Some(s) => s,
            None => self.checkpoint(issuer)?.map_or(logged, |c| c.size),
        };
        if size == 0 || size > logged {
            return Err(invalid("size", format!("must be between 1 and {logged}")));
        }
        Ok(size)
    }

    /// Whether the award `award_id` of `issuer` (this node, or an issuer whose log it
    /// replicates) has its receipt in the log at the newest checkpoint held, with the
    /// inclusion proof verified against the signed root.
    /// The receipt for `award_id` in `issuer`'s log (own or replicated): its position and
    /// exact bytes.
    pub(crate) fn find_receipt(
        &self,
        issuer: &str,
        award_id: &str,
    ) -> Result<(u64, Vec<u8>), String> {
        Ok(if issuer == self.did() {
            let receipt_id = self
                .store
                .award_state(award_id)
                .map_err(|e| e.to_string())?
                .ok_or("this node has no record of issuing it")?
                .receipt_id;
            let index = self
                .store
                .log_position(&receipt_id)
                .map_err(|e| e.to_string())?
                .ok_or("its award receipt is not in the issuer's log")?;
            let entry = self
                .store
                .record(&receipt_id)
                .map_err(|e| e.to_string())?
                .ok_or("the receipt record is missing")?;
            (index, entry)
        } else {
            self.store
                .award_record(award_id, false)
                .map_err(|e| e.to_string())?
                .ok_or("no receipt for it is in the issuer's log as replicated here")?
        })
    }

    /// Whether the receipt `entry` at `index` of `issuer`'s log is covered by the newest
    /// checkpoint held, signed by the issuer's key.
    pub(crate) fn receipt_logged(
        &self,
        issuer: &str,
        index: u64,
        entry: &[u8],
    ) -> Result<String, String> {
        let cp = self
            .checkpoint(issuer)
            .map_err(|e| e.to_string())?
            .ok_or("the issuer's log has no checkpoint yet")?
            .to_signed()
            .map_err(|e| e.to_string())?;
        let expected = if issuer == self.did() {
            Some(self.signing_key().verifying_key().to_bytes())
        } else {
            credreg_proof::keys::did_key_public(issuer)
        };
        if Some(cp.key) != expected {
            return Err("the checkpoint is not signed by the issuer's key".into());
        }
        // A portfolio's awards share one checkpoint: check its signature once.
        let already = self
            .ledger
            .verified
            .lock()
            .map(|v| v.as_ref() == Some(&cp))
            .unwrap_or(false);
        if !already {
            cp.verify().map_err(|e| e.to_string())?;
            if let Ok(mut v) = self.ledger.verified.lock() {
                *v = Some(cp.clone());
            }
        }
        let size = cp.checkpoint.size;
        if index >= size {
            return Err(format!(
                "its receipt (entry {index}) is not yet covered by a checkpoint (size {size})"
            ));
        }
        let nodes = self.store.log_nodes(issuer);
        let proof = credreg_log::inclusion_proof(&nodes, index, size)
            .map_err(|e| e.to_string())?
            .ok_or("no inclusion proof")?;
        inclusion_verified(entry, index, &proof, &cp.checkpoint)
    }
}

/// Whether the receipt `entry` at `index` is in the tree `checkpoint` signs, by `proof`; the
/// sentence a `logged` check reports (the node's own and replicated logs, offline bundles).
pub(crate) fn inclusion_verified(
    entry: &[u8],
    index: u64,
    proof: &[Hash],
    checkpoint: &Checkpoint,
) -> Result<String, String> {
    let size = checkpoint.size;
    credreg_log::verify_inclusion(
        &credreg_log::leaf_hash(entry),
        index,
        size,
        proof,
        &checkpoint.root,
    )
    .map_err(|e| format!("the inclusion proof fails: {e}"))?;
    Ok(format!(
        "receipt is entry {index} of the issuer's log, included in its signed checkpoint of size {size}"
    ))
}

fn invalid(field: &str, message: impl Into<String>) -> NodeError {
    NodeError::Invalid(credreg_model::Invalid(vec![credreg_model::FieldError {
        field: field.into(),
        message: message.into(),
    }]))
}

impl Node {
    /// Calls `watcher` with the size of every checkpoint this node signs from now on (the
    /// federation driver announces each new one). Watchers run on the signing thread: they
    /// must only hand the size on.
    pub fn watch_checkpoints(&self, watcher: impl Fn(u64) + Send + Sync + 'static) {
        if let Ok(mut w) = self.ledger.watchers.lock() {
            w.push(Box::new(watcher));
        }
    }

    /// The size of the newest checkpoint this node signed since it opened (0 before any).
    pub fn latest_checkpoint_size(&self) -> u64 {
        self.ledger.latest.load(Ordering::SeqCst)
    }

    pub(crate) fn checkpoint_signed(&self, size: u64) {
        self.ledger.latest.store(size, Ordering::SeqCst);
        if let Ok(watchers) = self.ledger.watchers.lock() {
            for w in watchers.iter() {
                w(size);
            }
        }
    }
}
