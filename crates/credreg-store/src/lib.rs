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

mod keys;
mod log_nodes;
mod replica;
mod status;
mod tokens;

use credreg_model::RecordKind;
use keys::*;
pub use log_nodes::LogNodes;
use log_nodes::*;
use serde::{Deserialize, Serialize};
use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, RwLock};

/// Layout version written into `meta-1`.
pub const SCHEMA_VERSION: u32 = 2;

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

type TxResult<T> = Result<T, ConflictableTransactionError<StoreError>>;

fn abort<T>(e: StoreError) -> TxResult<T> {
    Err(ConflictableTransactionError::Abort(e))
}

fn tx_error(e: TransactionError<StoreError>) -> StoreError {
    match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => StoreError::Sled(e),
    }
}

const NEXT_STATUS_INDEX: &[u8] = b"next-status-index";

impl Store {
    /// Opens (or creates) the database at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        // A small cache: the node keeps its hot indexes in memory itself, and districts run
        // this on small machines (idle RSS target < 60 MB).
        let db = sled::Config::new()
            .path(path)
            .cache_capacity(16 * 1024 * 1024)
            .open()?;
        Self::from_db(db)
    }

    /// A throwaway in-memory-backed database (tests, benches).
    pub fn temporary() -> Result<Self, StoreError> {
        Self::from_db(sled::Config::new().temporary(true).open()?)
    }

    fn from_db(db: sled::Db) -> Result<Self, StoreError> {
        let meta = db.open_tree("meta-1")?;
        match meta.get(b"schema-version")? {
            None => {
                meta.insert(b"schema-version", SCHEMA_VERSION.to_string().as_bytes())?;
            }
            Some(v) if v.as_ref() == SCHEMA_VERSION.to_string().as_bytes() => {}
            Some(v) => {
                return Err(StoreError::Schema {
                    found: String::from_utf8_lossy(&v).into_owned(),
                })
            }
        }
        Self {
            meta,
            records: db.open_tree("records-2")?,
            record_index: db.open_tree("record-index-1")?,
            awards: db.open_tree("awards-1")?,
            award_state: db.open_tree("award-state-1")?,
            status: db.open_tree("status-1")?,
            status_creds: db.open_tree("status-credentials-1")?,
            tokens: db.open_tree("tokens-1")?,
            log_nodes: db.open_tree("log-nodes-1")?,
            log_entries: db.open_tree("log-entries-1")?,
            log_meta: db.open_tree("log-meta-1")?,
            award_records: db.open_tree("award-records-2")?,
            replica_award_pages: db.open_tree("replica-award-pages-1")?,
            replica_awards: Arc::default(),
            evidence: db.open_tree("evidence-1")?,
            db,
        }
        .with_replica_awards()
    }

    /// Loads the replicated award index from its page lists (`replica-award-pages-1`: per
    /// stored page, its receipts' and revocations' award keys and positions), leaving out
    /// positions beyond a log's committed size (a page cut short by a crash).
    fn with_replica_awards(self) -> Result<Self, StoreError> {
        let mut map = ReplicaAwards::new();
        let mut sizes: HashMap<[u8; 16], u64> = HashMap::new();
        for item in self.replica_award_pages.iter() {
            let (k, v) = item?;
            let mut prefix = [0u8; 16];
            prefix.copy_from_slice(
                k.get(..16)
                    .ok_or_else(|| corrupt("replica-award-pages-1", "short key"))?,
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
                    return Err(corrupt("replica-award-pages-1", "truncated item"));
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

    /// Waits until everything written so far is on disk.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }

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

    fn sequence_numbers(&self, n: usize) -> Result<Vec<u64>, StoreError> {
        (0..n).map(|_| Ok(self.db.generate_id()?)).collect()
    }

    /// Runs `f` in one transaction over every tree it may write, then flushes.
    fn write<T>(&self, f: impl Fn(&Tx<'_>) -> TxResult<T>) -> Result<T, StoreError> {
        let trees = [
            self.records.clone(),
            self.record_index.clone(),
            self.awards.clone(),
            self.award_state.clone(),
            self.status.clone(),
            self.meta.clone(),
            self.log_nodes.clone(),
            self.log_entries.clone(),
            self.log_meta.clone(),
            self.award_records.clone(),
        ];
        let out = trees
            .as_slice()
            .transaction(|t| {
                let tx = Tx {
                    trees: t,
                    log_sizes: Default::default(),
                };
                let out = f(&tx)?;
                tx.finish()?;
                Ok(out)
            })
            .map_err(tx_error)?;
        self.flush()?;
        Ok(out)
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
                    tree: "record-index-1",
                    detail: format!("index names missing record {}", hex::encode(&id)),
                })?;
                Ok((hex::encode(&id), record_bytes(&bytes)?.to_vec()))
            })
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

    /// Stores awards with their receipts (appended to the issuer's log) in one transaction,
    /// then flushes. Fails without writing anything if any award id already exists.
    pub fn put_awards(&self, awards: &[NewAward]) -> Result<(), StoreError> {
        if awards.is_empty() {
            return Ok(());
        }
        let seqs = self.sequence_numbers(awards.len())?;
        let high = awards
            .iter()
            .map(|a| a.state.status_list as u64 * STATUS_LIST_BITS + a.state.status_index + 1)
            .max()
            .unwrap_or(0);
        let states: Vec<Vec<u8>> = awards
            .iter()
            .map(|a| serde_json::to_vec(&a.state).map_err(|e| corrupt("award-state-1", e)))
            .collect::<Result<_, _>>()?;
        self.write(|tx| {
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
            serde_json::from_slice(&v).map_err(|e| corrupt("award-state-1", e))
        })
    }

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

    /// An award's tracking state.
    pub fn award_state(&self, award_id: &str) -> Result<Option<AwardState>, StoreError> {
        self.award_state
            .get(award_id.as_bytes())?
            .map(|v| serde_json::from_slice(&v).map_err(|e| corrupt("award-state-1", e)))
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
                Err(e) => return abort(corrupt("award-state-1", e)),
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
                Err(e) => return abort(corrupt("award-state-1", e)),
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

    /// Number of entries in `issuer`'s log.
    pub fn log_size(&self, issuer: &str) -> Result<u64, StoreError> {
        self.size_of_log(&log_prefix(issuer))
    }

    /// The committed size of the log with `prefix`.
    fn size_of_log(&self, prefix: &[u8; 16]) -> Result<u64, StoreError> {
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
                None => Err(corrupt("records-2", "value shorter than its log index")),
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
                "log-meta-1",
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

/// The write view of every tree inside one transaction (order fixed by `Store::write`), with
/// the log sizes this attempt has changed (written once, at the end, instead of per entry).
struct Tx<'a> {
    trees: &'a [sled::transaction::TransactionalTree],
    log_sizes: std::cell::RefCell<std::collections::HashMap<[u8; 16], u64>>,
}

type TTree = sled::transaction::TransactionalTree;

impl Tx<'_> {
    fn records(&self) -> &TTree {
        &self.trees[0]
    }
    fn record_index(&self) -> &TTree {
        &self.trees[1]
    }
    fn awards(&self) -> &TTree {
        &self.trees[2]
    }
    fn award_state(&self) -> &TTree {
        &self.trees[3]
    }
    fn status(&self) -> &TTree {
        &self.trees[4]
    }
    fn meta(&self) -> &TTree {
        &self.trees[5]
    }
    fn log_nodes(&self) -> &TTree {
        &self.trees[6]
    }
    fn log_entries(&self) -> &TTree {
        &self.trees[7]
    }
    fn log_meta(&self) -> &TTree {
        &self.trees[8]
    }
    fn award_records(&self) -> &TTree {
        &self.trees[9]
    }

    /// Stores a record and, if it is new, appends it to its issuer's log. The stored value is
    /// the record's log index (8 bytes, big-endian) followed by its exact bytes: keeping the
    /// position in the record's own entry saves a second randomly keyed tree, which is what
    /// limits sled's append rate.
    fn put_record(&self, record: &NewRecord, seq: u64) -> TxResult<()> {
        let id = blake3::hash(&record.bytes);
        if self.records().get(id.as_bytes())?.is_some() {
            return Ok(());
        }
        let index = self.log_append(&record.issuer, id.as_bytes(), &record.bytes)?;
        self.index_record(record, id.as_bytes(), index, seq)
    }

    /// Indexes a record just appended at `index`: by id (with its position), by kind, and
    /// receipts and revocations by the award they are about.
    fn index_record(
        &self,
        record: &NewRecord,
        id: &[u8; 32],
        index: u64,
        seq: u64,
    ) -> TxResult<()> {
        if let Some(key) = award_record_key(record) {
            // The first receipt or revocation of an award wins; later ones are duplicates.
            if self.award_records().get(key)?.is_none() {
                self.award_records().insert(&key[..], id)?;
            }
        }
        let mut value = Vec::with_capacity(8 + record.bytes.len());
        value.extend_from_slice(&index.to_be_bytes());
        value.extend_from_slice(&record.bytes);
        self.records().insert(id, value)?;
        self.record_index()
            .insert(index_key(record.kind, &record.issuer, seq), id)?;
        Ok(())
    }

    /// Appends `entry` (a record's exact bytes) to `issuer`'s log: the leaf, the perfect
    /// subtrees it completes and the entry (by index). Returns the entry's index.
    fn log_append(&self, issuer: &str, record_id: &[u8; 32], entry: &[u8]) -> TxResult<u64> {
        let prefix = log_prefix(issuer);
        let cached = self.log_sizes.borrow().get(&prefix).copied();
        let size = match cached {
            Some(n) => n,
            None => match self.log_meta().get(prefix)? {
                Some(v) => match decode_u64(&v) {
                    Ok(n) => n,
                    Err(e) => return abort(e),
                },
                None => 0,
            },
        };
        let reader = TxNodes {
            tree: self.log_nodes(),
            prefix,
        };
        let leaf = credreg_log::leaf_hash(entry);
        let created = credreg_log::appended_nodes(&reader, size, leaf)?;
        for (level, index, hash) in created {
            self.log_nodes()
                .insert(&node_key(&prefix, level, index), &hash)?;
        }
        // The entry holds the record id and a copy of its bytes, so serving a range of the
        // log to a catching-up peer is one sequential scan, not a random lookup per entry.
        let mut value = Vec::with_capacity(32 + entry.len());
        value.extend_from_slice(record_id);
        value.extend_from_slice(entry);
        self.log_entries()
            .insert(&entry_key(&prefix, size), value)?;
        self.log_sizes.borrow_mut().insert(prefix, size + 1);
        Ok(size)
    }

    /// Writes the log sizes changed in this attempt.
    fn finish(&self) -> TxResult<()> {
        for (prefix, size) in self.log_sizes.borrow().iter() {
            self.log_meta().insert(prefix, &size.to_be_bytes())?;
        }
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
