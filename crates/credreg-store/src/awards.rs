//! This node's awards: the signed bytes, their compact state (receipt, status position,
//! revocation), issued and revoked in one transaction with their records and status bits.

use super::*;

impl Store {
    /// Stores awards with their receipts (appended to the issuer's log) in one transaction,
    /// then flushes. Fails without writing anything if any award id already exists.
    pub fn put_awards(&self, awards: &[NewAward]) -> Result<(), StoreError> {
        self.put_awards_after(&[], awards)
    }

    /// [`put_awards`](Self::put_awards), with `records` appended to the log first in the same
    /// transaction (a review decision, so the log shows it before the award it led to, and a
    /// crash leaves both or neither).
    pub fn put_awards_after(
        &self,
        records: &[NewRecord],
        awards: &[NewAward],
    ) -> Result<(), StoreError> {
        if awards.is_empty() && records.is_empty() {
            return Ok(());
        }
        let record_seqs = self.sequence_numbers(records.len())?;
        let seqs = self.sequence_numbers(awards.len())?;
        let high = awards
            .iter()
            .map(|a| a.state.status_list as u64 * STATUS_LIST_BITS + a.state.status_index + 1)
            .max()
            .unwrap_or(0);
        let states: Vec<Vec<u8>> = awards
            .iter()
            .map(|a| serde_json::to_vec(&a.state).map_err(|e| corrupt(schema::AWARD_STATE, e)))
            .collect::<Result<_, _>>()?;
        self.write(|tx| {
            for (r, seq) in records.iter().zip(&record_seqs) {
                tx.put_record(r, *seq)?;
            }
            for ((a, state), seq) in awards.iter().zip(&states).zip(&seqs) {
                if tx.awards().get(a.award_id.as_bytes())?.is_some() {
                    return abort(StoreError::DuplicateAward(a.award_id.clone()));
                }
                tx.awards()
                    .insert(a.award_id.as_bytes(), a.bytes.as_slice())?;
                tx.award_state()
                    .insert(a.award_id.as_bytes(), state.as_slice())?;
                tx.put_record(&a.receipt, *seq)?;
            }
            let current = match tx.meta().get(NEXT_STATUS_INDEX)? {
                Some(v) => match decode_u64(&v) {
                    Ok(n) => n,
                    Err(e) => return abort(e),
                },
                None => 0,
            };
            if high > current {
                tx.meta().insert(NEXT_STATUS_INDEX, &high.to_be_bytes())?;
            }
            Ok(())
        })
    }

    /// An award's exact signed bytes.
    pub fn award(&self, award_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.awards.get(award_id.as_bytes())?.map(|v| v.to_vec()))
    }

    /// The state of every award this node issued (a sequential scan: what rebuilding the
    /// award counts at start reads for the node's own awards).
    pub fn award_states(&self) -> impl Iterator<Item = Result<AwardState, StoreError>> + '_ {
        self.award_state.iter().map(|item| {
            let (_, v) = item?;
            serde_json::from_slice(&v).map_err(|e| corrupt(schema::AWARD_STATE, e))
        })
    }

    /// An award's tracking state.
    pub fn award_state(&self, award_id: &str) -> Result<Option<AwardState>, StoreError> {
        self.award_state
            .get(award_id.as_bytes())?
            .map(|v| serde_json::from_slice(&v).map_err(|e| corrupt(schema::AWARD_STATE, e)))
            .transpose()
    }

    /// Number of awards stored.
    pub fn award_count(&self) -> usize {
        self.awards.len()
    }

    /// Revokes an award: stores the revocation record, marks the award and sets its status bit,
    /// atomically, then flushes. Fails if the award is unknown or already revoked.
    pub fn revoke(
        &self,
        award_id: &str,
        record: &NewRecord,
        reason: &str,
        revoked_at: &str,
    ) -> Result<AwardState, StoreError> {
        let seq = self.db.generate_id()?;
        let record_id = record.id();
        self.write(|tx| {
            let Some(raw) = tx.award_state().get(award_id.as_bytes())? else {
                return abort(StoreError::NoSuchAward(award_id.to_owned()));
            };
            let mut state: AwardState = match serde_json::from_slice(&raw) {
                Ok(s) => s,
                Err(e) => return abort(corrupt(schema::AWARD_STATE, e)),
            };
            if state.revocation.is_some() {
                return abort(StoreError::AlreadyRevoked(award_id.to_owned()));
            }
            state.revocation = Some(RevocationState {
                reason: reason.to_owned(),
                revoked_at: revoked_at.to_owned(),
                record_id: record_id.clone(),
            });
            let encoded = match serde_json::to_vec(&state) {
                Ok(v) => v,
                Err(e) => return abort(corrupt(schema::AWARD_STATE, e)),
            };
            tx.award_state().insert(award_id.as_bytes(), encoded)?;
            let key = state.status_list.to_be_bytes();
            let mut bits = match tx.status().get(key)? {
                Some(b) => b.to_vec(),
                None => vec![0u8; (STATUS_LIST_BITS / 8) as usize],
            };
            set_bit(&mut bits, state.status_index);
            tx.status().insert(&key, bits)?;
            tx.put_record(record, seq)?;
            Ok(state)
        })
    }
}
