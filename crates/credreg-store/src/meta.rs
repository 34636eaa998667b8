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

    /// What this node pinned for a `did:web` (the keys it first saw, as JSON), if anything.
    pub fn key_pin(&self, did: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .meta
            .get(format!("pin/{did}"))?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// Records a `did:web`'s pin (not flushed at once: a lost pin is re-made at the next
    /// sighting).
    pub fn set_key_pin(&self, did: &str, pin: &str) -> Result<(), StoreError> {
        self.meta.insert(format!("pin/{did}"), pin.as_bytes())?;
        Ok(())
    }

    /// How many `did:web` pins are held.
    pub fn key_pins(&self) -> usize {
        self.meta.scan_prefix("pin/").count()
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
