//! Tree nodes of a log as credreg-log reads them: inside a write transaction, and from the
//! stored trees (with the levels a replica leaves unstored recomputed from its entries).

use super::*;

/// Tree nodes as seen inside a transaction (its own writes included).
pub(crate) struct TxNodes<'a> {
    pub(crate) tree: &'a TTree,
    pub(crate) prefix: [u8; 16],
}

impl credreg_log::NodeSource for TxNodes<'_> {
    type Error = ConflictableTransactionError<StoreError>;
    fn node(&self, level: u32, index: u64) -> Result<credreg_log::Hash, Self::Error> {
        match self.tree.get(node_key(&self.prefix, level, index))? {
            Some(v) => hash_of(&v).map_err(ConflictableTransactionError::Abort),
            None => abort(missing_node(level, index)),
        }
    }
}

/// Levels of a replica's tree that are not stored: a node of level 3 or below is recomputed
/// from at most 8 entries when a proof needs it. Those levels are seven eighths of a tree's
/// inner nodes, and leaving them out makes catch-up write a third fewer sled keys; a proof
/// costs up to 14 extra entry reads (8 + 4 + 2), well under a millisecond.
pub(crate) const REPLICA_UNSTORED_LEVELS: u32 = 3;

/// Tree nodes of one issuer's log, read outside a transaction. Replicas do not store leaf
/// hashes (level 0), a leaf being the hash of its entry, nor the levels up to
/// [`REPLICA_UNSTORED_LEVELS`], recomputed from their entries when a proof needs them.
pub struct LogNodes<'a> {
    pub(crate) store: &'a Store,
    pub(crate) prefix: [u8; 16],
}

impl credreg_log::NodeSource for LogNodes<'_> {
    type Error = StoreError;
    fn node(&self, level: u32, index: u64) -> Result<credreg_log::Hash, StoreError> {
        match self
            .store
            .log_nodes
            .get(node_key(&self.prefix, level, index))?
        {
            Some(v) => hash_of(&v),
            None if level == 0 => {
                match self.store.log_entries.get(entry_key(&self.prefix, index))? {
                    Some(value) => Ok(credreg_log::leaf_hash(
                        &self.store.entry_bytes(index, &value)?,
                    )),
                    None => Err(missing_node(level, index)),
                }
            }
            // A replica's low subtrees are recomputed from their entries (at most
            // 2^REPLICA_UNSTORED_LEVELS of them).
            None if level <= REPLICA_UNSTORED_LEVELS => Ok(credreg_log::node_hash(
                &self.node(level - 1, 2 * index)?,
                &self.node(level - 1, 2 * index + 1)?,
            )),
            None => Err(missing_node(level, index)),
        }
    }
}

pub(crate) fn missing_node(level: u32, index: u64) -> StoreError {
    StoreError::Corrupt {
        tree: schema::LOG_NODES,
        detail: format!("missing tree node level {level} index {index}"),
    }
}

pub(crate) fn hash_of(v: &[u8]) -> Result<credreg_log::Hash, StoreError> {
    v.try_into().map_err(|_| StoreError::Corrupt {
        tree: schema::LOG_NODES,
        detail: "a tree node is not 32 bytes".into(),
    })
}
