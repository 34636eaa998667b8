//! Records: stored by id (blake3 of their exact bytes) with their log position, indexed by
//! kind and issuer, and appended to their issuer's log in the same transaction.

use super::*;

impl Store {
    /// Stores a signed record (durably) and appends it to its issuer's log. Returns its id.
    /// Storing the same bytes twice is a no-op (ids are content addresses).
    pub fn put_record(&self, record: &NewRecord) -> Result<String, StoreError> {
        self.put_records(std::slice::from_ref(record))
            .map(|mut ids| ids.pop().unwrap_or_default())
    }

    /// Stores many signed records, each appended to its issuer's log, in one transaction and
    /// one flush (bulk catalog loads).
    pub fn put_records(&self, records: &[NewRecord]) -> Result<Vec<String>, StoreError> {
        let seqs = self.sequence_numbers(records.len())?;
        self.write(|tx| {
            for (record, seq) in records.iter().zip(&seqs) {
                tx.put_record(record, *seq)?;
            }
            Ok(())
        })?;
        Ok(records.iter().map(NewRecord::id).collect())
    }

    /// A record's exact bytes by id (hex).
    pub fn record(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let Some(raw) = decode_id(id) else {
            return Ok(None);
        };
        self.records
            .get(raw)?
            .map(|v| record_bytes(&v).map(<[u8]>::to_vec))
            .transpose()
    }

    /// Every record of `kind`, in the order stored: `(id, bytes)`.
    pub fn records_of_kind(
        &self,
        kind: RecordKind,
    ) -> impl Iterator<Item = Result<(String, Vec<u8>), StoreError>> + '_ {
        self.record_index
            .scan_prefix([kind_tag(kind)])
            .map(move |item| {
                let (_, id) = item?;
                let bytes = self.records.get(&id)?.ok_or_else(|| StoreError::Corrupt {
                    tree: schema::RECORD_INDEX,
                    detail: format!("index names missing record {}", hex::encode(&id)),
                })?;
                Ok((hex::encode(&id), record_bytes(&bytes)?.to_vec()))
            })
    }

    pub(crate) fn sequence_numbers(&self, n: usize) -> Result<Vec<u64>, StoreError> {
        (0..n).map(|_| Ok(self.db.generate_id()?)).collect()
    }
}
