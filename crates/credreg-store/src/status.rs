//! Revocation status lists: their bits and the signed list credentials cached for them.

use super::*;

impl Store {
    /// The revocation bits of status list `list` (all zero if nothing was revoked on it).
    pub fn status_bits(&self, list: u32) -> Result<Vec<u8>, StoreError> {
        Ok(match self.status.get(list.to_be_bytes())? {
            Some(b) => b.to_vec(),
            None => vec![0u8; (STATUS_LIST_BITS / 8) as usize],
        })
    }

    /// The cached signed status list credential for `list`, with the blake3 of the bits it
    /// encodes.
    pub fn status_credential(&self, list: u32) -> Result<Option<CachedStatusList>, StoreError> {
        let Some(v) = self.status_creds.get(list.to_be_bytes())? else {
            return Ok(None);
        };
        if v.len() < 32 {
            return Err(StoreError::Corrupt {
                tree: schema::STATUS_CREDENTIALS,
                detail: "entry shorter than its digest".into(),
            });
        }
        let mut digest = [0u8; 32];
        digest.copy_from_slice(&v[..32]);
        Ok(Some(CachedStatusList {
            bytes: v[32..].to_vec(),
            bits_digest: digest,
        }))
    }

    /// Caches a signed status list credential covering bits with digest `bits_digest`.
    pub fn put_status_credential(
        &self,
        list: u32,
        bits_digest: &[u8; 32],
        bytes: &[u8],
    ) -> Result<(), StoreError> {
        let mut v = Vec::with_capacity(32 + bytes.len());
        v.extend_from_slice(bits_digest);
        v.extend_from_slice(bytes);
        self.status_creds.insert(list.to_be_bytes(), v)?;
        self.flush()
    }
}
