//! Per-issuer Merkle logs: sizes, tree nodes, entries by index, checkpoints.

use super::*;

impl Store {
    /// Number of entries in `issuer`'s log.
    pub fn log_size(&self, issuer: &str) -> Result<u64, StoreError> {
        self.size_of_log(&log_prefix(issuer))
    }

    /// The committed size of the log with `prefix`.
    pub(crate) fn size_of_log(&self, prefix: &[u8; 16]) -> Result<u64, StoreError> {
        self.log_meta
            .get(prefix)?
            .map(|v| decode_u64(&v))
            .transpose()
            .map(|n| n.unwrap_or(0))
    }

    /// `issuer`'s tree nodes, for roots and proofs (`credreg_log::{root, inclusion_proof, ...}`).
    pub fn log_nodes(&self, issuer: &str) -> LogNodes<'_> {
        LogNodes {
            store: self,
            prefix: log_prefix(issuer),
        }
    }

    /// Entries `from..to` of `issuer`'s log (clamped to its size): index and exact bytes.
    pub fn log_entries(
        &self,
        issuer: &str,
        from: u64,
        to: u64,
    ) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        let prefix = log_prefix(issuer);
        let mut out = Vec::new();
        for item in self
            .log_entries
            .range(entry_key(&prefix, from)..entry_key(&prefix, to.max(from)))
        {
            let (key, value) = item?;
            let index = decode_u64(&key[16..])?;
            out.push((index, self.entry_bytes(index, &value)?));
        }
        Ok(out)
    }

    /// The log index of a record (by hex id) in its issuer's log.
    pub fn log_position(&self, record_id: &str) -> Result<Option<u64>, StoreError> {
        let Some(raw) = decode_id(record_id) else {
            return Ok(None);
        };
        self.records
            .get(raw)?
            .map(|v| match v.get(..8) {
                Some(head) => decode_u64(head),
                None => Err(corrupt(schema::RECORDS, "value shorter than its log index")),
            })
            .transpose()
    }

    /// The newest signed checkpoint stored for `issuer`: its size and bytes.
    pub fn checkpoint(&self, issuer: &str) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        let Some(v) = self.log_meta.get(checkpoint_key(issuer))? else {
            return Ok(None);
        };
        if v.len() < 8 {
            return Err(corrupt(
                schema::LOG_META,
                "checkpoint entry shorter than its size",
            ));
        }
        Ok(Some((decode_u64(&v[..8])?, v[8..].to_vec())))
    }

    /// Stores a signed checkpoint of `size` for `issuer` if it is newer than the stored one
    /// (durably). Returns whether it was stored: a size is never signed twice.
    pub fn put_checkpoint_if_newer(
        &self,
        issuer: &str,
        size: u64,
        bytes: &[u8],
    ) -> Result<bool, StoreError> {
        let key = checkpoint_key(issuer);
        let mut value = size.to_be_bytes().to_vec();
        value.extend_from_slice(bytes);
        loop {
            let current = self.log_meta.get(&key)?;
            if let Some(c) = &current {
                if c.len() >= 8 && decode_u64(&c[..8])? >= size {
                    return Ok(false);
                }
            }
            match self
                .log_meta
                .compare_and_swap(&key, current, Some(value.clone()))?
            {
                Ok(()) => {
                    self.flush()?;
                    return Ok(true);
                }
                Err(_) => continue, // raced with another writer; re-read
            }
        }
    }
}
