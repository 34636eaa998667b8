//! # credreg-store: the node's sled database
//!
//! The only crate that touches sled. It knows the key layout and keeps multi-tree writes
//! atomic; it does not sign, verify or interpret records beyond their kind and issuer.
//!
//! Design decisions:
//! - **Versioned tree names** (`records-1`, `awards-1`, ...): a layout change gets new names and
//!   a migration, and an old binary refuses a newer database ([`SCHEMA_VERSION`]).
//! - **Exact bytes.** Records and awards are stored as the bytes that were signed and served;
//!   nothing is re-serialized.
//! - **One transaction per write path.** An award, its receipt record and the next status-list
//!   index commit together; a revocation, its record, the award's state and the status bit
//!   commit together. A crash leaves either all or none.
//! - **Acknowledged means durable.** Write methods return after `flush` (fsync), so the API only
//!   answers 201 for data that survives a power cut. Bulk paths write many items per
//!   transaction and flush once.

mod awards;
mod documents;
mod evidence;
mod evidence_files;
mod export;
mod keys;
mod log;
mod log_nodes;
mod meta;
mod records;
mod replica;
pub mod schema;
mod status;
mod tokens;
mod transaction;

use credreg_model::RecordKind;
pub use documents::Family;
pub use evidence_files::EvidenceFiles;
use keys::*;
pub use log_nodes::LogNodes;
use log_nodes::*;
use serde::{Deserialize, Serialize};
use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, RwLock};

use meta::NEXT_STATUS_INDEX;
pub use schema::SCHEMA_VERSION;
use transaction::{abort, TTree};

/// Entries per status list: 131,072 bits (16 KiB), the Bitstring Status List minimum that
/// gives herd privacy.
pub const STATUS_LIST_BITS: u64 = 131_072;

/// Storage errors.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// sled failed (disk, corruption).
    #[error("database: {0}")]
    Sled(#[from] sled::Error),
    /// The database was written by a newer (or unknown) layout.
    #[error(
        "database schema version {found} is not supported (this build reads {SCHEMA_VERSION})"
    )]
    Schema {
        /// What the database says.
        found: String,
    },
    /// A stored value does not decode: the database was edited or corrupted.
    #[error("corrupt entry in {tree}: {detail}")]
    Corrupt {
        /// Tree name.
        tree: &'static str,
        /// What failed.
        detail: String,
    },
    /// Reading or writing a database export (a backup) failed.
    #[error("database export: {0}")]
    Io(String),
    /// The award is already revoked.
    #[error("award {0} is already revoked")]
    AlreadyRevoked(String),
    /// No such award.
    #[error("no award {0}")]
    NoSuchAward(String),
    /// A write would overwrite an existing award id.
    #[error("award id {0} already exists")]
    DuplicateAward(String),
    /// A replica write expected the log at one size but found another (a concurrent sync).
    #[error("the replica moved: expected {expected} entries, found {found}")]
    LogMoved {
        /// Size the writer started from.
        expected: u64,
        /// Size found.
        found: u64,
    },
}

/// Whether an IO error is the disk, the user's quota or the process's file-size limit being
/// reached.
pub fn is_disk_full(e: &std::io::Error) -> bool {
    // ENOSPC (28), EDQUOT (122) and EFBIG (27: `ulimit -f`) on Linux.
    matches!(
        e.kind(),
        std::io::ErrorKind::StorageFull
            | std::io::ErrorKind::QuotaExceeded
            | std::io::ErrorKind::FileTooLarge
    ) || matches!(e.raw_os_error(), Some(27) | Some(28) | Some(122))
}

impl StoreError {
    /// Whether the write failed because the disk is full.
    pub fn is_disk_full(&self) -> bool {
        match self {
            StoreError::Sled(sled::Error::Io(e)) => is_disk_full(e),
            _ => false,
        }
    }
}

/// What the node tracks about one of its awards besides the signed bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwardState {
    /// Definition record id.
    pub credential_id: String,
    /// Status list number.
    pub status_list: u32,
    /// Index within the list.
    pub status_index: u64,
    /// `validFrom`.
    pub issued_at: String,
    /// Id of the `AwardReceipt` record.
    pub receipt_id: String,
    /// Set once revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation: Option<RevocationState>,
    /// The review summary its receipt records, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<credreg_model::ReviewSummary>,
}

/// A revocation as the node tracks it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevocationState {
    /// Reason given.
    pub reason: String,
    /// When.
    pub revoked_at: String,
    /// Id of the `Revocation` record.
    pub record_id: String,
}

/// A signed status list credential as cached, with the digest of the bits it encodes.
#[derive(Debug, Clone)]
pub struct CachedStatusList {
    /// Exact signed bytes.
    pub bytes: Vec<u8>,
    /// blake3 of the status bits it was made from.
    pub bits_digest: [u8; 32],
}

/// A signed record ready to store: kind, issuer and exact bytes. Its id is blake3 of the bytes.
#[derive(Debug, Clone)]
pub struct NewRecord {
    /// Kind (for the index).
    pub kind: RecordKind,
    /// Issuer DID (for the index).
    pub issuer: String,
    /// Exact signed bytes.
    pub bytes: Vec<u8>,
}

impl NewRecord {
    /// The record id (hex blake3 of the bytes).
    pub fn id(&self) -> String {
        credreg_model::record_id(&self.bytes)
    }
}

/// A signed award with its receipt, ready to store.
#[derive(Debug, Clone)]
pub struct NewAward {
    /// `urn:uuid:...`.
    pub award_id: String,
    /// Exact signed award bytes.
    pub bytes: Vec<u8>,
    /// Tracking state (its `receipt_id` must be `receipt.id()`).
    pub state: AwardState,
    /// The `AwardReceipt` record.
    pub receipt: NewRecord,
}

/// The database. Cheap to clone (sled handles are reference counted).
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    meta: sled::Tree,
    records: sled::Tree,
    record_index: sled::Tree,
    awards: sled::Tree,
    award_state: sled::Tree,
    status: sled::Tree,
    status_creds: sled::Tree,
    tokens: sled::Tree,
    log_nodes: sled::Tree,
    log_entries: sled::Tree,
    log_meta: sled::Tree,
    award_records: sled::Tree,
    replica_award_pages: sled::Tree,
    replica_awards: Arc<RwLock<ReplicaAwards>>,
    evidence: sled::Tree,
    /// Held shared by every log-and-record transaction ([`Store::write`]) and exclusively by a
    /// backup's export, so a backup never splits a transaction's writes.
    snapshot: Arc<RwLock<()>>,
}

/// Replicated receipts and revocations by award (`award_key` -> log prefix and position).
/// In memory: an index keyed by random award ids costs sled a leaf copy per insert (a third
/// of catch-up's storing time), while the page lists it is rebuilt from are written once per
/// page. About 56 bytes per replicated award (a 17-byte key and a 24-byte value in a
/// hash table).
type ReplicaAwards = HashMap<[u8; 17], ([u8; 16], u64)>;

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

impl Store {
    /// Waits until everything written so far is on disk.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }
}

/// Whether bit `index` is set (bit 0 is the most significant bit of byte 0, per the
/// Bitstring Status List spec).
pub fn bit_is_set(bits: &[u8], index: u64) -> bool {
    let byte = (index / 8) as usize;
    bits.get(byte)
        .is_some_and(|b| b & (0x80 >> (index % 8)) != 0)
}

fn set_bit(bits: &mut [u8], index: u64) {
    let byte = (index / 8) as usize;
    if let Some(b) = bits.get_mut(byte) {
        *b |= 0x80 >> (index % 8);
    }
}

fn corrupt(tree: &'static str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        tree,
        detail: e.to_string(),
    }
}

#[cfg(test)]
mod tests;
