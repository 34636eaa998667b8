//! One transaction across every tree a write touches (`Store::write`), and the record and log
//! appends made inside it. sled retries a conflicting attempt, so a closure runs once per
//! attempt; log sizes are written once, at the end.

use super::*;

pub(crate) type TxResult<T> = Result<T, ConflictableTransactionError<StoreError>>;

pub(crate) fn abort<T>(e: StoreError) -> TxResult<T> {
    Err(ConflictableTransactionError::Abort(e))
}

pub(crate) fn tx_error(e: TransactionError<StoreError>) -> StoreError {
    match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => StoreError::Sled(e),
    }
}

impl Store {
    /// Runs `f` in one transaction over every tree it may write, then flushes.
    pub(crate) fn write<T>(&self, f: impl Fn(&Tx<'_>) -> TxResult<T>) -> Result<T, StoreError> {
        // A poisoned lock only means a backup panicked; writing on is safe.
        let _no_backup_in_between = self.snapshot.read().unwrap_or_else(|p| p.into_inner());
        let trees = [
            self.records.clone(),
            self.record_index.clone(),
            self.awards.clone(),
            self.award_state.clone(),
            self.status.clone(),
            self.meta.clone(),
            self.log_nodes.clone(),
            self.log_entries.clone(),
            self.log_meta.clone(),
            self.award_records.clone(),
        ];
        let out = trees
            .as_slice()
            .transaction(|t| {
                let tx = Tx {
                    trees: t,
                    log_sizes: Default::default(),
                };
                let out = f(&tx)?;
                tx.finish()?;
                Ok(out)
            })
            .map_err(tx_error)?;
        self.flush()?;
        Ok(out)
    }
}

/// The write view of every tree inside one transaction (order fixed by `Store::write`), with
/// the log sizes this attempt has changed (written once, at the end, instead of per entry).
pub(crate) struct Tx<'a> {
    trees: &'a [sled::transaction::TransactionalTree],
    log_sizes: std::cell::RefCell<std::collections::HashMap<[u8; 16], u64>>,
}

pub(crate) type TTree = sled::transaction::TransactionalTree;

impl Tx<'_> {
    pub(crate) fn records(&self) -> &TTree {
        &self.trees[0]
    }
    pub(crate) fn record_index(&self) -> &TTree {
        &self.trees[1]
    }
    pub(crate) fn awards(&self) -> &TTree {
        &self.trees[2]
    }
    pub(crate) fn award_state(&self) -> &TTree {
        &self.trees[3]
    }
    pub(crate) fn status(&self) -> &TTree {
        &self.trees[4]
    }
    pub(crate) fn meta(&self) -> &TTree {
        &self.trees[5]
    }
    pub(crate) fn log_nodes(&self) -> &TTree {
        &self.trees[6]
    }
    pub(crate) fn log_entries(&self) -> &TTree {
        &self.trees[7]
    }
    pub(crate) fn log_meta(&self) -> &TTree {
        &self.trees[8]
    }
    pub(crate) fn award_records(&self) -> &TTree {
        &self.trees[9]
    }

    /// Stores a record and, if it is new, appends it to its issuer's log. The stored value is
    /// the record's log index (8 bytes, big-endian) followed by its exact bytes: keeping the
    /// position in the record's own entry saves a second randomly keyed tree, which is what
    /// limits sled's append rate.
    pub(crate) fn put_record(&self, record: &NewRecord, seq: u64) -> TxResult<()> {
        let id = blake3::hash(&record.bytes);
        if self.records().get(id.as_bytes())?.is_some() {
            return Ok(());
        }
        let index = self.log_append(&record.issuer, id.as_bytes(), &record.bytes)?;
        self.index_record(record, id.as_bytes(), index, seq)
    }

    /// Indexes a record just appended at `index`: by id (with its position), by kind, and
    /// receipts and revocations by the award they are about.
    pub(crate) fn index_record(
        &self,
        record: &NewRecord,
        id: &[u8; 32],
        index: u64,
        seq: u64,
    ) -> TxResult<()> {
        if let Some(key) = award_record_key(record) {
            // The first receipt or revocation of an award wins; later ones are duplicates.
            if self.award_records().get(key)?.is_none() {
                self.award_records().insert(&key[..], id)?;
            }
        }
        let mut value = Vec::with_capacity(8 + record.bytes.len());
        value.extend_from_slice(&index.to_be_bytes());
        value.extend_from_slice(&record.bytes);
        self.records().insert(id, value)?;
        self.record_index()
            .insert(index_key(record.kind, &record.issuer, seq), id)?;
        Ok(())
    }

    /// Appends `entry` (a record's exact bytes) to `issuer`'s log: the leaf, the perfect
    /// subtrees it completes and the entry (by index). Returns the entry's index.
    pub(crate) fn log_append(
        &self,
        issuer: &str,
        record_id: &[u8; 32],
        entry: &[u8],
    ) -> TxResult<u64> {
        let prefix = log_prefix(issuer);
        let cached = self.log_sizes.borrow().get(&prefix).copied();
        let size = match cached {
            Some(n) => n,
            None => match self.log_meta().get(prefix)? {
                Some(v) => match decode_u64(&v) {
                    Ok(n) => n,
                    Err(e) => return abort(e),
                },
                None => 0,
            },
        };
        let reader = TxNodes {
            tree: self.log_nodes(),
            prefix,
        };
        let leaf = credreg_log::leaf_hash(entry);
        let created = credreg_log::appended_nodes(&reader, size, leaf)?;
        for (level, index, hash) in created {
            self.log_nodes()
                .insert(&node_key(&prefix, level, index), &hash)?;
        }
        // The entry holds the record id and a copy of its bytes, so serving a range of the
        // log to a catching-up peer is one sequential scan, not a random lookup per entry.
        let mut value = Vec::with_capacity(32 + entry.len());
        value.extend_from_slice(record_id);
        value.extend_from_slice(entry);
        self.log_entries()
            .insert(&entry_key(&prefix, size), value)?;
        self.log_sizes.borrow_mut().insert(prefix, size + 1);
        Ok(size)
    }

    /// Writes the log sizes changed in this attempt.
    pub(crate) fn finish(&self) -> TxResult<()> {
        for (prefix, size) in self.log_sizes.borrow().iter() {
            self.log_meta().insert(prefix, &size.to_be_bytes())?;
        }
        Ok(())
    }
}
