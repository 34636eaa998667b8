//! The database's layout: one constant per tree (name and version), the schema version, and
//! opening a database (an old binary refuses a newer layout).

use super::*;

/// Layout version written into the meta tree.
pub const SCHEMA_VERSION: u32 = 2;

/// Node settings, the schema version and the next status position.
pub const META: &str = "meta-1";
/// Records by id: log index (8 bytes) then the exact signed bytes.
pub const RECORDS: &str = "records-2";
/// Record ids by kind, issuer and arrival.
pub const RECORD_INDEX: &str = "record-index-1";
/// This node's awards: exact signed bytes by award id.
pub const AWARDS: &str = "awards-1";
/// This node's awards: compact state by award id.
pub const AWARD_STATE: &str = "award-state-1";
/// Revocation bits per status list.
pub const STATUS: &str = "status-1";
/// Signed status list credentials, cached with the digest of their bits.
pub const STATUS_CREDENTIALS: &str = "status-credentials-1";
/// Token hashes and what they grant.
pub const TOKENS: &str = "tokens-1";
/// Merkle tree nodes per issuer log.
pub const LOG_NODES: &str = "log-nodes-1";
/// Log entries by issuer and index (record id, then bytes).
pub const LOG_ENTRIES: &str = "log-entries-1";
/// Log sizes and newest checkpoints per issuer.
pub const LOG_META: &str = "log-meta-1";
/// Receipts and revocations by the award they are about.
pub const AWARD_RECORDS: &str = "award-records-2";
/// Per replicated page: its receipts' and revocations' award keys and positions.
pub const REPLICA_AWARD_PAGES: &str = "replica-award-pages-1";
/// Equivocation evidence by issuer.
pub const EVIDENCE: &str = "evidence-1";
/// People (accounts), by person id.
pub const PEOPLE: &str = "people-1";
/// Evidence submissions with their reviews, by submission id.
pub const SUBMISSIONS: &str = "submissions-1";
/// Pre-approval requests, by id.
pub const PRE_APPROVALS: &str = "pre-approvals-1";
/// Sign-in sessions, by token hash.
pub const SESSIONS: &str = "sessions-1";
/// Single-use links (sign-in, e-mail verification), by token hash.
pub const LINKS: &str = "links-1";
/// The mail outbox, by message id.
pub const OUTBOX: &str = "outbox-1";
/// Calibration sets (sample submissions with reference scores), by definition id.
pub const CALIBRATIONS: &str = "calibrations-1";

impl Store {
    /// Opens (or creates) the database at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        // A small cache: the node keeps its hot indexes in memory itself, and districts run
        // this on small machines (idle RSS target < 60 MB).
        let config = sled::Config::new()
            .path(path)
            .cache_capacity(16 * 1024 * 1024);
        // A database closed in this process (a restart in tests, `credreg init` then `serve`)
        // is unlocked only once sled's background flusher lets go of it, a moment later: wait
        // for that briefly. One held by another running process still fails, after the wait.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let db = loop {
            match config.open() {
                Err(sled::Error::Io(e))
                    if e.to_string().contains("could not acquire lock")
                        && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                other => break other?,
            }
        };
        Self::from_db(db)
    }

    /// A throwaway in-memory-backed database (tests, benches).
    pub fn temporary() -> Result<Self, StoreError> {
        Self::from_db(sled::Config::new().temporary(true).open()?)
    }

    pub(crate) fn from_db(db: sled::Db) -> Result<Self, StoreError> {
        let meta = db.open_tree(META)?;
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
            records: db.open_tree(RECORDS)?,
            record_index: db.open_tree(RECORD_INDEX)?,
            awards: db.open_tree(AWARDS)?,
            award_state: db.open_tree(AWARD_STATE)?,
            status: db.open_tree(STATUS)?,
            status_creds: db.open_tree(STATUS_CREDENTIALS)?,
            tokens: db.open_tree(TOKENS)?,
            log_nodes: db.open_tree(LOG_NODES)?,
            log_entries: db.open_tree(LOG_ENTRIES)?,
            log_meta: db.open_tree(LOG_META)?,
            award_records: db.open_tree(AWARD_RECORDS)?,
            replica_award_pages: db.open_tree(REPLICA_AWARD_PAGES)?,
            replica_awards: Arc::default(),
            evidence: db.open_tree(EVIDENCE)?,
            snapshot: Arc::default(),
            db,
        }
        .with_replica_awards()
    }
}
