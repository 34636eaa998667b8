//! Equivocation evidence, by the issuer it is about.

use super::*;

impl Store {
    /// Stores equivocation evidence about `issuer` (durably). Returns whether it was new.
    pub fn put_evidence(&self, issuer: &str, bytes: &[u8]) -> Result<bool, StoreError> {
        let mut key = log_prefix(issuer).to_vec();
        key.extend_from_slice(blake3::hash(bytes).as_bytes());
        let new = self.evidence.insert(key, bytes)?.is_none();
        self.flush()?;
        Ok(new)
    }

    /// Evidence held about `issuer`.
    pub fn evidence_about(&self, issuer: &str) -> Result<Vec<Vec<u8>>, StoreError> {
        self.evidence
            .scan_prefix(log_prefix(issuer))
            .map(|item| Ok(item?.1.to_vec()))
            .collect()
    }

    /// Every evidence document held.
    pub fn all_evidence(&self) -> Result<Vec<Vec<u8>>, StoreError> {
        self.evidence
            .iter()
            .map(|item| Ok(item?.1.to_vec()))
            .collect()
    }
}
