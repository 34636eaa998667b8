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

use credreg_model::RecordKind;
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
                .map_err(|_| corrupt("tokens-1", "a key is not a 32-byte hash"))?;
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

    /// Appends verified entries of another issuer's log, which must currently hold exactly
    /// `from` entries, with the tree nodes they create (`(level, index, hash)`, computed and
    /// checked by the caller), and (if given) the checkpoint they complete. Not flushed: sled
    /// writes it out within half a second, and a replica page lost in a crash is re-fetched.
    ///
    /// Written as one batch per tree, the log's size and checkpoint last: the size is the
    /// commit point. sled recovers a prefix of its write log after a crash, so a crash
    /// leaves either the old size (and possibly some records and nodes beyond it, which are
    /// verified issuer data that the next page rewrites identically) or the whole page. This
    /// is several times faster than a sled transaction over five trees, which is what limits
    /// catch-up. The caller serializes replica writes (one writer per store).
    /// Returns [`StoreError::LogMoved`] if the replica is not at `from`.
    pub fn put_replica(
        &self,
        issuer: &str,
        from: u64,
        entries: &[NewRecord],
        nodes: &[(u32, u64, credreg_log::Hash)],
        checkpoint: Option<(u64, &[u8])>,
    ) -> Result<(), StoreError> {
        let prefix = log_prefix(issuer);
        let size = self.log_size(issuer)?;
        if size != from {
            return Err(StoreError::LogMoved {
                expected: from,
                found: size,
            });
        }
        let seqs = self.sequence_numbers(entries.len())?;
        let (mut records, mut index, mut log_nodes, mut log_entries) = (
            sled::Batch::default(),
            sled::Batch::default(),
            sled::Batch::default(),
            sled::Batch::default(),
        );
        let mut seen = std::collections::HashSet::new();
        let mut page_awards = Vec::new();
        let mut new_awards = Vec::new();
        for (i, (record, seq)) in entries.iter().zip(&seqs).enumerate() {
            if record.issuer != issuer {
                return Err(corrupt("log-entries-1", "entry of another issuer"));
            }
            let position = from + i as u64;
            let entry = entry_key(&prefix, position);
            let id = blake3::hash(&record.bytes);
            if let Some(key) = award_record_key(record) {
                // Receipts and revocations (nearly all of a district's log) live in the entry
                // itself, found by award id: a replica never looks them up by record id, and
                // keeping them out of the randomly keyed records tree is what makes catch-up
                // fast (sled copies a leaf on every insert into it).
                let mut value = Vec::with_capacity(32 + record.bytes.len());
                value.extend_from_slice(id.as_bytes());
                value.extend_from_slice(&record.bytes);
                log_entries.insert(&entry, value);
                // The award index names the entry itself (see `award_record`).
                page_awards.extend_from_slice(&key);
                page_awards.extend_from_slice(&position.to_be_bytes());
                new_awards.push((key, position));
                continue;
            }
            log_entries.insert(&entry, id.as_bytes());
            // A record repeated in a page is indexed once. One repeated across pages (an
            // issuer that logged the same bytes twice, or a page rewritten after a crash)
            // is stored again at its later position: every position it has is in the log,
            // so proofs from either verify, and not looking it up keeps catch-up fast.
            if !seen.insert(id) {
                continue;
            }
            let mut value = Vec::with_capacity(8 + record.bytes.len());
            value.extend_from_slice(&position.to_be_bytes());
            value.extend_from_slice(&record.bytes);
            records.insert(id.as_bytes(), value);
            index.insert(index_key(record.kind, &record.issuer, *seq), id.as_bytes());
        }
        // Leaves and the lowest levels are not stored: they are recomputed from the entries
        // (see `LogNodes`).
        for (level, i, hash) in nodes
            .iter()
            .filter(|(level, _, _)| *level > REPLICA_UNSTORED_LEVELS)
        {
            log_nodes.insert(&node_key(&prefix, *level, *i), hash);
        }
        self.records.apply_batch(records)?;
        self.record_index.apply_batch(index)?;
        if !page_awards.is_empty() {
            self.replica_award_pages
                .insert(entry_key(&prefix, from), page_awards)?;
        }
        self.log_nodes.apply_batch(log_nodes)?;
        self.log_entries.apply_batch(log_entries)?;
        let mut meta = sled::Batch::default();
        meta.insert(&prefix, &(from + entries.len() as u64).to_be_bytes());
        if let Some((size, bytes)) = checkpoint {
            let newer = match self.checkpoint(issuer)? {
                Some((current, _)) => current < size,
                None => true,
            };
            if newer {
                let mut value = size.to_be_bytes().to_vec();
                value.extend_from_slice(bytes);
                meta.insert(checkpoint_key(issuer), value);
            }
        }
        self.log_meta.apply_batch(meta)?;
        let mut map = self
            .replica_awards
            .write()
            .unwrap_or_else(|p| p.into_inner());
        for (key, position) in new_awards {
            map.insert(key, (prefix, position));
        }
        Ok(())
    }

    /// Every stored checkpoint (own and replicated): size and exact bytes.
    pub fn checkpoints(&self) -> impl Iterator<Item = Result<(u64, Vec<u8>), StoreError>> + '_ {
        self.log_meta.scan_prefix(CHECKPOINT_PREFIX).map(|item| {
            let (_, v) = item?;
            if v.len() < 8 {
                return Err(corrupt(
                    "log-meta-1",
                    "checkpoint entry shorter than its size",
                ));
            }
            Ok((decode_u64(&v[..8])?, v[8..].to_vec()))
        })
    }

    /// The receipt (`revocation` false) or revocation (true) logged for an award, by any
    /// issuer whose log this node holds: its position in that log and its exact bytes.
    pub fn award_record(
        &self,
        award_id: &str,
        revocation: bool,
    ) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        let key = award_key(if revocation { b'x' } else { b'r' }, award_id);
        let (position, bytes) = match self.award_records.get(key)? {
            Some(v) => self.award_value(&v)?,
            None => {
                let found = self
                    .replica_awards
                    .read()
                    .unwrap_or_else(|p| p.into_inner())
                    .get(&key)
                    .copied();
                match found {
                    Some((prefix, position)) => (position, self.replica_entry(&prefix, position)?),
                    None => return Ok(None),
                }
            }
        };
        // The key is a hash: check the record is about this award.
        #[derive(serde::Deserialize)]
        struct About<'a> {
            #[serde(borrow)]
            body: AwardId<'a>,
        }
        #[derive(serde::Deserialize)]
        struct AwardId<'a> {
            award_id: std::borrow::Cow<'a, str>,
        }
        let about: About<'_> = serde_json::from_slice(&bytes).map_err(|e| {
            corrupt(
                "award-records-2",
                format!("names a record without an award id: {e}"),
            )
        })?;
        Ok((about.body.award_id == award_id).then_some((position, bytes)))
    }

    /// The exact bytes of entry `position` of the replicated log with `prefix`.
    fn replica_entry(&self, prefix: &[u8; 16], position: u64) -> Result<Vec<u8>, StoreError> {
        let value = self
            .log_entries
            .get(entry_key(prefix, position))?
            .ok_or_else(|| corrupt("replica-award-pages-1", "names a missing log entry"))?;
        self.entry_bytes(position, &value)
    }

    /// Resolves an `award-records-2` value (a record id) to the record's position and bytes.
    fn award_value(&self, v: &[u8]) -> Result<(u64, Vec<u8>), StoreError> {
        // The value is the record id of a record of this node's own log.
        let Some(stored) = self.records.get(v)? else {
            return Err(corrupt("award-records-2", "names a missing record"));
        };
        let position = decode_u64(
            stored
                .get(..8)
                .ok_or_else(|| corrupt("records-2", "value shorter than its log index"))?,
        )?;
        Ok((position, record_bytes(&stored)?.to_vec()))
    }

    /// An entry's exact bytes from its `log-entries-1` value: a record id (the bytes are in
    /// the records tree) or, for replicated receipts and revocations, the id and the bytes.
    fn entry_bytes(&self, index: u64, value: &[u8]) -> Result<Vec<u8>, StoreError> {
        if value.len() > 32 {
            return Ok(value[32..].to_vec());
        }
        let bytes = self
            .records
            .get(value)?
            .ok_or_else(|| StoreError::Corrupt {
                tree: "log-entries-1",
                detail: format!("entry {index} names a missing record"),
            })?;
        Ok(record_bytes(&bytes)?.to_vec())
    }

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
                tree: "status-credentials-1",
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

/// Tree nodes as seen inside a transaction (its own writes included).
struct TxNodes<'a> {
    tree: &'a TTree,
    prefix: [u8; 16],
}

impl credreg_log::NodeSource for TxNodes<'_> {
    type Error = ConflictableTransactionError<StoreError>;
    fn node(&self, level: u32, index: u64) -> Result<credreg_log::Hash, Self::Error> {
        match self.tree.get(node_key(&self.prefix, level, index))? {
            Some(v) => hash_of(&v).map_err(ConflictableTransactionError::Abort),
            None => abort(missing_node(level, index)),
        }
    }
}

/// Levels of a replica's tree that are not stored: a node of level 3 or below is recomputed
/// from at most 8 entries when a proof needs it. Those levels are seven eighths of a tree's
/// inner nodes, and leaving them out makes catch-up write a third fewer sled keys; a proof
/// costs up to 14 extra entry reads (8 + 4 + 2), well under a millisecond.
const REPLICA_UNSTORED_LEVELS: u32 = 3;

/// Tree nodes of one issuer's log, read outside a transaction. Replicas do not store leaf
/// hashes (level 0), a leaf being the hash of its entry, nor the levels up to
/// [`REPLICA_UNSTORED_LEVELS`], recomputed from their entries when a proof needs them.
pub struct LogNodes<'a> {
    store: &'a Store,
    prefix: [u8; 16],
}

impl credreg_log::NodeSource for LogNodes<'_> {
    type Error = StoreError;
    fn node(&self, level: u32, index: u64) -> Result<credreg_log::Hash, StoreError> {
        match self
            .store
            .log_nodes
            .get(node_key(&self.prefix, level, index))?
        {
            Some(v) => hash_of(&v),
            None if level == 0 => {
                match self.store.log_entries.get(entry_key(&self.prefix, index))? {
                    Some(value) => Ok(credreg_log::leaf_hash(
                        &self.store.entry_bytes(index, &value)?,
                    )),
                    None => Err(missing_node(level, index)),
                }
            }
            // A replica's low subtrees are recomputed from their entries (at most
            // 2^REPLICA_UNSTORED_LEVELS of them).
            None if level <= REPLICA_UNSTORED_LEVELS => Ok(credreg_log::node_hash(
                &self.node(level - 1, 2 * index)?,
                &self.node(level - 1, 2 * index + 1)?,
            )),
            None => Err(missing_node(level, index)),
        }
    }
}

fn missing_node(level: u32, index: u64) -> StoreError {
    StoreError::Corrupt {
        tree: "log-nodes-1",
        detail: format!("missing tree node level {level} index {index}"),
    }
}

fn hash_of(v: &[u8]) -> Result<credreg_log::Hash, StoreError> {
    v.try_into().map_err(|_| StoreError::Corrupt {
        tree: "log-nodes-1",
        detail: "a tree node is not 32 bytes".into(),
    })
}

/// 16 bytes naming an issuer's log in keys: blake3 of the issuer id, truncated.
fn log_prefix(issuer: &str) -> [u8; 16] {
    let mut p = [0u8; 16];
    p.copy_from_slice(&blake3::hash(issuer.as_bytes()).as_bytes()[..16]);
    p
}

/// A stored record's exact bytes (after its 8-byte log index).
fn record_bytes(value: &[u8]) -> Result<&[u8], StoreError> {
    value
        .get(8..)
        .ok_or_else(|| corrupt("records-2", "value shorter than its log index"))
}

const CHECKPOINT_PREFIX: &[u8] = b"checkpoint/";

fn checkpoint_key(issuer: &str) -> Vec<u8> {
    let mut k = CHECKPOINT_PREFIX.to_vec();
    k.extend_from_slice(&log_prefix(issuer));
    k
}

/// `r<award id>` for a receipt, `x<award id>` for a revocation; `None` for other kinds. The
/// award id is read from the record's body (`body.award_id`).
fn award_record_key(record: &NewRecord) -> Option<[u8; 17]> {
    let tag = match record.kind {
        RecordKind::AwardReceipt => b'r',
        RecordKind::Revocation => b'x',
        _ => return None,
    };
    #[derive(serde::Deserialize)]
    struct About {
        body: AwardId,
    }
    #[derive(serde::Deserialize)]
    struct AwardId {
        award_id: String,
    }
    let about: About = serde_json::from_slice(&record.bytes).ok()?;
    Some(award_key(tag, &about.body.award_id))
}

/// The key of an award's receipt or revocation (`award-records-2` for this node's own awards,
/// the in-memory map for replicas): the tag (`r` receipt, `x` revocation) and 16 bytes of
/// blake3 of the award id. Fixed-size, so the replica map holds no strings; lookups compare
/// the record's own award id, so a hash collision cannot return another award's record.
fn award_key(tag: u8, award_id: &str) -> [u8; 17] {
    let mut k = [0u8; 17];
    k[0] = tag;
    k[1..].copy_from_slice(&blake3::hash(award_id.as_bytes()).as_bytes()[..16]);
    k
}

fn node_key(prefix: &[u8; 16], level: u32, index: u64) -> [u8; 25] {
    let mut k = [0u8; 25];
    k[..16].copy_from_slice(prefix);
    k[16] = level as u8;
    k[17..].copy_from_slice(&index.to_be_bytes());
    k
}

fn entry_key(prefix: &[u8; 16], index: u64) -> [u8; 24] {
    let mut k = [0u8; 24];
    k[..16].copy_from_slice(prefix);
    k[16..].copy_from_slice(&index.to_be_bytes());
    k
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

fn kind_tag(kind: RecordKind) -> u8 {
    match kind {
        RecordKind::IssuerProfile => 1,
        RecordKind::CredentialDef => 2,
        RecordKind::Stack => 3,
        RecordKind::AwardReceipt => 4,
        RecordKind::Revocation => 5,
        RecordKind::Membership => 6,
        RecordKind::QualityStandard => 7,
        RecordKind::Endorsement => 8,
        RecordKind::Recognition => 9,
    }
}

fn index_key(kind: RecordKind, issuer: &str, seq: u64) -> Vec<u8> {
    // kind | seq: records of a kind come back in the order they were stored. The issuer is
    // appended only to keep keys unique if two nodes' records ever share a sequence number.
    let mut k = Vec::with_capacity(1 + 8 + issuer.len());
    k.push(kind_tag(kind));
    k.extend_from_slice(&seq.to_be_bytes());
    k.extend_from_slice(issuer.as_bytes());
    k
}

fn decode_id(id: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(id, &mut out).ok()?;
    Some(out)
}

fn decode_u64(v: &[u8]) -> Result<u64, StoreError> {
    let arr: [u8; 8] = v.try_into().map_err(|_| StoreError::Corrupt {
        tree: "meta-1",
        detail: "counter is not 8 bytes".into(),
    })?;
    Ok(u64::from_be_bytes(arr))
}

/// A token's hash and the description stored for it.
pub type StoredTokenEntry = ([u8; 32], Vec<u8>);

fn corrupt(tree: &'static str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        tree,
        detail: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn award(id: &str, index: u64) -> NewAward {
        let receipt = NewRecord {
            kind: RecordKind::AwardReceipt,
            issuer: "did:key:z".into(),
            bytes: format!("receipt {id}").into_bytes(),
        };
        NewAward {
            award_id: id.into(),
            bytes: format!("award {id}").into_bytes(),
            state: AwardState {
                credential_id: "c".into(),
                status_list: 0,
                status_index: index,
                issued_at: "t".into(),
                receipt_id: receipt.id(),
                revocation: None,
                review: None,
            },
            receipt,
        }
    }

    #[test]
    fn awards_revocations_and_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        {
            let s = Store::open(dir.path()).expect("open");
            s.put_awards(&[award("a", 0), award("b", 1)]).expect("put");
            assert_eq!(s.next_status_position().expect("n"), 2);
            // A batch with one duplicate writes nothing.
            let err = s
                .put_awards(&[award("c", 2), award("a", 3)])
                .expect_err("must fail");
            assert!(matches!(err, StoreError::DuplicateAward(ref id) if id == "a"));
            assert!(s.award("c").expect("get").is_none());
            assert_eq!(s.next_status_position().expect("n"), 2);

            let rev = NewRecord {
                kind: RecordKind::Revocation,
                issuer: "did:key:z".into(),
                bytes: b"revoke b".to_vec(),
            };
            let st = s
                .revoke("b", &rev, "plagiarised evidence", "t2")
                .expect("revoke");
            assert_eq!(
                st.revocation.as_ref().map(|r| r.reason.as_str()),
                Some("plagiarised evidence")
            );
            assert!(matches!(
                s.revoke("b", &rev, "again", "t3"),
                Err(StoreError::AlreadyRevoked(_))
            ));
            assert!(matches!(
                s.revoke("zz", &rev, "x", "t3"),
                Err(StoreError::NoSuchAward(_))
            ));
        }
        let s = Store::open(dir.path()).expect("reopen");
        assert_eq!(s.award("a").expect("get"), Some(b"award a".to_vec()));
        let bits = s.status_bits(0).expect("bits");
        assert_eq!(bits.len(), 16_384);
        assert!(bit_is_set(&bits, 1));
        assert!(!bit_is_set(&bits, 0));
        assert_eq!(bits[0], 0b0100_0000);
        let receipts: Vec<_> = s
            .records_of_kind(RecordKind::AwardReceipt)
            .collect::<Result<_, _>>()
            .expect("scan");
        assert_eq!(receipts.len(), 2);
        assert_eq!(s.records_of_kind(RecordKind::Revocation).count(), 1);

        // The two receipts and the revocation are the issuer's log, in order; the failed batch
        // appended nothing.
        assert_eq!(s.log_size("did:key:z").expect("size"), 3);
        let entries = s.log_entries("did:key:z", 0, 10).expect("entries");
        let bytes: Vec<&[u8]> = entries.iter().map(|(_, b)| b.as_slice()).collect();
        assert_eq!(bytes, [b"receipt a".as_slice(), b"receipt b", b"revoke b"]);
        let mut reference = credreg_log::MemoryLog::new();
        for b in &bytes {
            reference.append(b);
        }
        let root = credreg_log::root(&s.log_nodes("did:key:z"), 3).expect("root");
        assert_eq!(Some(root), reference.root_at(3));
        let rev_id = credreg_model::record_id(b"revoke b");
        assert_eq!(s.log_position(&rev_id).expect("pos"), Some(2));
        assert_eq!(s.log_size("did:key:other").expect("size"), 0);

        assert!(s
            .put_checkpoint_if_newer("did:key:z", 3, b"cp3")
            .expect("put"));
        assert!(!s
            .put_checkpoint_if_newer("did:key:z", 3, b"other cp3")
            .expect("put"));
        assert!(!s
            .put_checkpoint_if_newer("did:key:z", 2, b"cp2")
            .expect("put"));
        assert_eq!(
            s.checkpoint("did:key:z").expect("cp"),
            Some((3, b"cp3".to_vec()))
        );
    }

    #[test]
    fn refuses_unknown_schema() {
        let dir = tempfile::tempdir().expect("tempdir");
        {
            let db = sled::open(dir.path()).expect("open");
            db.open_tree("meta-1")
                .expect("tree")
                .insert(b"schema-version", b"99")
                .expect("insert");
            db.flush().expect("flush");
        }
        assert!(matches!(
            Store::open(dir.path()),
            Err(StoreError::Schema { found }) if found == "99"
        ));
    }
}
