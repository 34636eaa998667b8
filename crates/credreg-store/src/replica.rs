//! Replicas of other issuers' logs: verified pages, their checkpoints, the in-memory award
//! index, and equivocation evidence.

use super::*;

/// One replica page's writes: a batch per tree, in commit order.
pub(crate) struct ReplicaPage {
    pub(crate) steps: Vec<(sled::Tree, sled::Batch)>,
    prefix: [u8; 16],
    new_awards: Vec<([u8; 17], u64)>,
}

impl Store {
    /// Appends verified entries of another issuer's log, which must currently hold exactly
    /// `from` entries, with the tree nodes they create (`(level, index, hash)`, computed and
    /// checked by the caller), and (if given) the checkpoint they complete. Not flushed: sled
    /// writes it out within half a second, and a replica page lost in a crash is re-fetched.
    ///
    /// Written as one batch per tree, the log's size and checkpoint last: the size is the
    /// commit point. sled recovers a prefix of its write log after a crash, so a crash
    /// leaves either the old size (and possibly some records and nodes beyond it, which are
    /// verified issuer data that the next page rewrites identically) or the whole page. This
    /// is several times faster than a sled transaction over five trees, which is what limits
    /// catch-up. The caller serializes replica writes (one writer per store).
    /// Returns [`StoreError::LogMoved`] if the replica is not at `from`.
    pub fn put_replica(
        &self,
        issuer: &str,
        from: u64,
        entries: &[NewRecord],
        nodes: &[(u32, u64, credreg_log::Hash)],
        checkpoint: Option<(u64, &[u8])>,
    ) -> Result<(), StoreError> {
        let page = self.replica_page(issuer, from, entries, nodes, checkpoint)?;
        self.write_replica_page(page, usize::MAX)
    }

    /// The writes of one replica page, in commit order (see [`Store::put_replica`]).
    pub(crate) fn replica_page(
        &self,
        issuer: &str,
        from: u64,
        entries: &[NewRecord],
        nodes: &[(u32, u64, credreg_log::Hash)],
        checkpoint: Option<(u64, &[u8])>,
    ) -> Result<ReplicaPage, StoreError> {
        let prefix = log_prefix(issuer);
        let size = self.log_size(issuer)?;
        if size != from {
            return Err(StoreError::LogMoved {
                expected: from,
                found: size,
            });
        }
        let seqs = self.sequence_numbers(entries.len())?;
        let (mut records, mut index, mut log_nodes, mut log_entries) = (
            sled::Batch::default(),
            sled::Batch::default(),
            sled::Batch::default(),
            sled::Batch::default(),
        );
        let mut seen = std::collections::HashSet::new();
        let mut page_awards = Vec::new();
        let mut new_awards = Vec::new();
        for (i, (record, seq)) in entries.iter().zip(&seqs).enumerate() {
            if record.issuer != issuer {
                return Err(corrupt(schema::LOG_ENTRIES, "entry of another issuer"));
            }
            let position = from + i as u64;
            let entry = entry_key(&prefix, position);
            let id = blake3::hash(&record.bytes);
            if let Some(key) = award_record_key(record) {
                // Receipts and revocations (nearly all of a district's log) live in the entry
                // itself, found by award id: a replica never looks them up by record id, and
                // keeping them out of the randomly keyed records tree is what makes catch-up
                // fast (sled copies a leaf on every insert into it).
                let mut value = Vec::with_capacity(32 + record.bytes.len());
                value.extend_from_slice(id.as_bytes());
                value.extend_from_slice(&record.bytes);
                log_entries.insert(&entry, value);
                // The award index names the entry itself (see `award_record`).
                page_awards.extend_from_slice(&key);
                page_awards.extend_from_slice(&position.to_be_bytes());
                new_awards.push((key, position));
                continue;
            }
            log_entries.insert(&entry, id.as_bytes());
            // A record repeated in a page is indexed once. One repeated across pages (an
            // issuer that logged the same bytes twice, or a page rewritten after a crash)
            // is stored again at its later position: every position it has is in the log,
            // so proofs from either verify, and not looking it up keeps catch-up fast.
            if !seen.insert(id) {
                continue;
            }
            let mut value = Vec::with_capacity(8 + record.bytes.len());
            value.extend_from_slice(&position.to_be_bytes());
            value.extend_from_slice(&record.bytes);
            records.insert(id.as_bytes(), value);
            index.insert(index_key(record.kind, &record.issuer, *seq), id.as_bytes());
        }
        // Leaves and the lowest levels are not stored: they are recomputed from the entries
        // (see `LogNodes`).
        for (level, i, hash) in nodes
            .iter()
            .filter(|(level, _, _)| *level > REPLICA_UNSTORED_LEVELS)
        {
            log_nodes.insert(&node_key(&prefix, *level, *i), hash);
        }
        let mut pages = sled::Batch::default();
        if !page_awards.is_empty() {
            pages.insert(&entry_key(&prefix, from), page_awards);
        }
        let mut meta = sled::Batch::default();
        meta.insert(&prefix, &(from + entries.len() as u64).to_be_bytes());
        if let Some((size, bytes)) = checkpoint {
            let newer = match self.checkpoint(issuer)? {
                Some((current, _)) => current < size,
                None => true,
            };
            if newer {
                let mut value = size.to_be_bytes().to_vec();
                value.extend_from_slice(bytes);
                meta.insert(checkpoint_key(issuer), value);
            }
        }
        Ok(ReplicaPage {
            // The log's size (in the meta batch) is the commit point: it goes last.
            steps: vec![
                (self.records.clone(), records),
                (self.record_index.clone(), index),
                (self.replica_award_pages.clone(), pages),
                (self.log_nodes.clone(), log_nodes),
                (self.log_entries.clone(), log_entries),
                (self.log_meta.clone(), meta),
            ],
            prefix,
            new_awards,
        })
    }

    /// Applies the first `steps` writes of `page` (all of them for `usize::MAX`; fewer only in
    /// tests, which stand for a crash between two of them), then indexes its awards in memory.
    pub(crate) fn write_replica_page(
        &self,
        page: ReplicaPage,
        steps: usize,
    ) -> Result<(), StoreError> {
        let whole = steps >= page.steps.len();
        for (tree, batch) in page.steps.into_iter().take(steps) {
            tree.apply_batch(batch)?;
        }
        if whole {
            let mut map = self
                .replica_awards
                .write()
                .unwrap_or_else(|p| p.into_inner());
            for (key, position) in page.new_awards {
                map.insert(key, (page.prefix, position));
            }
        }
        Ok(())
    }

    /// Every stored checkpoint (own and replicated): size and exact bytes.
    pub fn checkpoints(&self) -> impl Iterator<Item = Result<(u64, Vec<u8>), StoreError>> + '_ {
        self.log_meta.scan_prefix(CHECKPOINT_PREFIX).map(|item| {
            let (_, v) = item?;
            if v.len() < 8 {
                return Err(corrupt(
                    schema::LOG_META,
                    "checkpoint entry shorter than its size",
                ));
            }
            Ok((decode_u64(&v[..8])?, v[8..].to_vec()))
        })
    }

    /// The receipt (`revocation` false) or revocation (true) logged for an award, by any
    /// issuer whose log this node holds: its position in that log and its exact bytes.
    pub fn award_record(
        &self,
        award_id: &str,
        revocation: bool,
    ) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        let key = award_key(if revocation { b'x' } else { b'r' }, award_id);
        let (position, bytes) = match self.award_records.get(key)? {
            Some(v) => self.award_value(&v)?,
            None => {
                let found = self
                    .replica_awards
                    .read()
                    .unwrap_or_else(|p| p.into_inner())
                    .get(&key)
                    .copied();
                match found {
                    Some((prefix, position)) => (position, self.replica_entry(&prefix, position)?),
                    None => return Ok(None),
                }
            }
        };
        // The key is a hash: check the record is about this award.
        #[derive(serde::Deserialize)]
        struct About<'a> {
            #[serde(borrow)]
            body: AwardId<'a>,
        }
        #[derive(serde::Deserialize)]
        struct AwardId<'a> {
            award_id: std::borrow::Cow<'a, str>,
        }
        let about: About<'_> = serde_json::from_slice(&bytes).map_err(|e| {
            corrupt(
                schema::AWARD_RECORDS,
                format!("names a record without an award id: {e}"),
            )
        })?;
        Ok((about.body.award_id == award_id).then_some((position, bytes)))
    }

    /// The exact bytes of entry `position` of the replicated log with `prefix`.
    pub(crate) fn replica_entry(
        &self,
        prefix: &[u8; 16],
        position: u64,
    ) -> Result<Vec<u8>, StoreError> {
        let value = self
            .log_entries
            .get(entry_key(prefix, position))?
            .ok_or_else(|| corrupt(schema::REPLICA_AWARD_PAGES, "names a missing log entry"))?;
        self.entry_bytes(position, &value)
    }

    /// Resolves an `award-records-2` value (a record id) to the record's position and bytes.
    pub(crate) fn award_value(&self, v: &[u8]) -> Result<(u64, Vec<u8>), StoreError> {
        // The value is the record id of a record of this node's own log.
        let Some(stored) = self.records.get(v)? else {
            return Err(corrupt(schema::AWARD_RECORDS, "names a missing record"));
        };
        let position = decode_u64(
            stored
                .get(..8)
                .ok_or_else(|| corrupt(schema::RECORDS, "value shorter than its log index"))?,
        )?;
        Ok((position, record_bytes(&stored)?.to_vec()))
    }

    /// An entry's exact bytes from its `log-entries-1` value: a record id (the bytes are in
    /// the records tree) or, for replicated receipts and revocations, the id and the bytes.
    pub(crate) fn entry_bytes(&self, index: u64, value: &[u8]) -> Result<Vec<u8>, StoreError> {
        if value.len() > 32 {
            return Ok(value[32..].to_vec());
        }
        let bytes = self
            .records
            .get(value)?
            .ok_or_else(|| StoreError::Corrupt {
                tree: schema::LOG_ENTRIES,
                detail: format!("entry {index} names a missing record"),
            })?;
        Ok(record_bytes(&bytes)?.to_vec())
    }
}

impl Store {
    /// Every replicated receipt (`revocation` false) or revocation (true): exact bytes.
    pub fn replica_award_records(
        &self,
        revocation: bool,
    ) -> impl Iterator<Item = Result<Vec<u8>, StoreError>> + '_ {
        let tag = if revocation { b'x' } else { b'r' };
        let replicated: Vec<([u8; 16], u64)> = self
            .replica_awards
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|(k, _)| k[0] == tag)
            .map(|(_, v)| *v)
            .collect();
        replicated
            .into_iter()
            .map(move |(prefix, position)| self.replica_entry(&prefix, position))
    }

    /// Loads the replicated award index from its page lists (`replica-award-pages-1`: per
    /// stored page, its receipts' and revocations' award keys and positions), leaving out
    /// positions beyond a log's committed size (a page cut short by a crash).
    pub(crate) fn with_replica_awards(self) -> Result<Self, StoreError> {
        let mut map = ReplicaAwards::new();
        let mut sizes: HashMap<[u8; 16], u64> = HashMap::new();
        for item in self.replica_award_pages.iter() {
            let (k, v) = item?;
            let mut prefix = [0u8; 16];
            prefix.copy_from_slice(
                k.get(..16)
                    .ok_or_else(|| corrupt(schema::REPLICA_AWARD_PAGES, "short key"))?,
            );
            let size = match sizes.get(&prefix) {
                Some(s) => *s,
                None => {
                    let s = self.size_of_log(&prefix)?;
                    sizes.insert(prefix, s);
                    s
                }
            };
            for item in v.chunks(25) {
                let (Some(key), Some(pos)) = (item.get(..17), item.get(17..25)) else {
                    return Err(corrupt(schema::REPLICA_AWARD_PAGES, "truncated item"));
                };
                let position = decode_u64(pos)?;
                if position < size {
                    let mut k = [0u8; 17];
                    k.copy_from_slice(key);
                    map.insert(k, (prefix, position));
                }
            }
        }
        *self
            .replica_awards
            .write()
            .unwrap_or_else(|p| p.into_inner()) = map;
        Ok(self)
    }
}
