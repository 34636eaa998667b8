//! API tokens: hashes and their descriptions (the node reads the descriptions).

use super::*;

impl Store {
    /// Stores a token's hash with its description (durably). The store does not read the
    /// description; the node's auth module does.
    pub fn put_token(&self, token_hash: &[u8; 32], value: &[u8]) -> Result<(), StoreError> {
        self.tokens.insert(token_hash, value)?;
        self.flush()
    }

    /// The description stored for the token with this hash.
    pub fn token(&self, token_hash: &[u8; 32]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.tokens.get(token_hash)?.map(|v| v.to_vec()))
    }

    /// Every token hash with its description.
    pub fn tokens(&self) -> Result<Vec<StoredTokenEntry>, StoreError> {
        let mut out = Vec::new();
        for item in self.tokens.iter() {
            let (k, v) = item?;
            let hash: [u8; 32] = k
                .as_ref()
                .try_into()
                .map_err(|_| corrupt(schema::TOKENS, "a key is not a 32-byte hash"))?;
            out.push((hash, v.to_vec()));
        }
        Ok(out)
    }

    /// Removes a token (durably); whether it existed.
    pub fn delete_token(&self, token_hash: &[u8; 32]) -> Result<bool, StoreError> {
        let existed = self.tokens.remove(token_hash)?.is_some();
        self.flush()?;
        Ok(existed)
    }
}
