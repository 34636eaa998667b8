//! The `meta` tree: the schema version, node settings and the next free status position.

use super::*;

pub(crate) const NEXT_STATUS_INDEX: &[u8] = b"next-status-index";

impl Store {
    /// Reads a node setting.
    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .meta
            .get(format!("setting/{key}"))?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// Writes a node setting (durably).
    pub fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.meta
            .insert(format!("setting/{key}"), value.as_bytes())?;
        self.flush()
    }

    /// The next free status-list position (list number, index within the list), counting
    /// from every award stored so far.
    pub fn next_status_position(&self) -> Result<u64, StoreError> {
        Ok(self
            .meta
            .get(NEXT_STATUS_INDEX)?
            .map(|v| decode_u64(&v))
            .transpose()?
            .unwrap_or(0))
    }
}
