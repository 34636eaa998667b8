//! The node: its identity, store, catalog and the use cases that change them.

mod issue;

use crate::catalog::{Catalog, SearchPage, SearchQuery, StackEntry};
use crate::error::NodeError;
use crate::status;
use crate::trust::{FederationSettings, TrustBook};
use credreg_model::{
    record_id, AwardDraft, AwardIssuer, AwardReceipt, CredentialDef, DefStatus, Errors, Evidence,
    FieldError, Invalid, IssuerProfile, Membership, Recipient, RecordKind, Revocation, Stack,
    StatusEntry, UnsignedRecord, Validate, OB_V3,
};
use credreg_proof::keys::{did_key, did_key_method};
use credreg_proof::{Canonicalizer, ContextStore, DataIntegrity, SignOptions, SigningKey, Suite};
use credreg_store::{AwardState, NewAward, NewRecord, Store, STATUS_LIST_BITS};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::{Arc, Mutex, RwLock};
use time::OffsetDateTime;

/// What the operator chose for this node.
#[derive(Debug, Clone, Default)]
pub struct NodeSettings {
    /// Display name, e.g. "Kettle Moraine School District".
    pub name: String,
    /// Base URL at which this node's API is reachable (no trailing slash); award and status
    /// list URLs are built from it.
    pub public_url: String,
    /// What kind of issuer this node is (`district`, `state`, `consortium`, `provider`);
    /// empty means `district`.
    pub kind: String,
    /// The federation it belongs to and whom it trusts.
    pub federation: FederationSettings,
    /// The libp2p peer id of its transport key, when it federates (published in the issuer
    /// profile).
    pub peer_id: Option<String>,
    /// Where it reads the time and draws award ids (the system's, unless a test fixes them).
    pub env: crate::clock::Environment,
}

/// One award to issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwardRequest {
    /// Definition record id.
    #[serde(default)]
    pub credential_id: String,
    /// The earner.
    #[serde(default)]
    pub recipient: Recipient,
    /// Evidence links.
    #[serde(default)]
    pub evidence: Vec<Evidence>,
    /// How the submission was reviewed (recorded in the receipt, so the federation sees
    /// review statistics; never reviewer names).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<credreg_model::ReviewSummary>,
}

impl Validate for AwardRequest {
    fn validate(&self, e: &mut Errors) {
        if !credreg_model::is_record_id(&self.credential_id) {
            e.add(
                "credential_id",
                "must be a credential id (64 lowercase hex digits)",
            );
        }
        e.nested("recipient", |e| self.recipient.validate(e));
        e.max_items("evidence", &self.evidence, 20);
        for (i, ev) in self.evidence.iter().enumerate() {
            e.nested(&format!("evidence[{i}]"), |e| ev.validate(e));
        }
        if let Some(r) = &self.review {
            e.nested("review", |e| r.validate(e));
        }
    }
}

/// An award as issued: its id and exact signed bytes.
#[derive(Debug, Clone)]
pub struct IssuedAward {
    /// `urn:uuid:...`.
    pub id: String,
    /// The signed `OpenBadgeCredential`, exactly as stored and served.
    pub bytes: Vec<u8>,
}

/// Why a bulk issuance stopped.
#[derive(Debug)]
pub struct BulkFailure {
    /// The error.
    pub error: NodeError,
    /// Index of the first request of the failed batch.
    pub batch_offset: usize,
    /// Awards issued (durably) before the failure.
    pub issued: usize,
}

/// Signed awards not stored yet (see [`Node::prepare_awards`]).
#[derive(Debug)]
pub struct PreparedAwards(Vec<NewAward>);

impl PreparedAwards {
    /// How many.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A record the node published: id and exact bytes.
#[derive(Debug, Clone)]
pub struct Published {
    /// Record id.
    pub id: String,
    /// Exact signed bytes.
    pub bytes: Arc<Vec<u8>>,
}

/// A district (or state) node.
pub struct Node {
    pub(crate) store: Store,
    pub(crate) di: Arc<DataIntegrity>,
    key: SigningKey,
    did: String,
    method: String,
    settings: NodeSettings,
    pub(crate) catalog: RwLock<Catalog>,
    pub(crate) stats: RwLock<crate::stats::QualityIndex>,
    next_status: Mutex<u64>,
    missing_contexts: Vec<String>,
    pub(crate) checkpoint_lock: Mutex<()>,
    pub(crate) verified_checkpoint: Mutex<Option<credreg_log::SignedCheckpoint>>,
    pub(crate) trust: RwLock<TrustBook>,
    pub(crate) replica_lock: Mutex<()>,
    /// The size of this node's newest checkpoint, and who wants to hear of the next one (the
    /// federation driver announces each).
    pub(crate) latest_checkpoint: std::sync::atomic::AtomicU64,
    checkpoint_watchers: Mutex<Vec<CheckpointWatcher>>,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("did", &self.did)
            .field("name", &self.settings.name)
            .finish_non_exhaustive()
    }
}

/// Hears of each checkpoint the node signs (see [`Node::watch_checkpoints`]).
type CheckpointWatcher = Box<dyn Fn(u64) + Send + Sync>;

/// Contexts a node needs to issue Open Badges awards.
pub const REQUIRED_CONTEXTS: [&str; 1] = [OB_V3];

/// Now by the system clock, to the second, as RFC 3339 UTC (`2026-11-22T10:00:00Z`), for
/// callers without a node (the node's own time is [`Node::now`]).
pub fn now_rfc3339() -> String {
    format_time(OffsetDateTime::now_utc())
}

pub use crate::clock::format_time;

impl Node {
    /// Opens a node over `store`, signing with `key`, using `contexts` for JSON-LD.
    /// Loads the catalog into memory and publishes the issuer profile on first start.
    pub fn open(
        store: Store,
        key: SigningKey,
        settings: NodeSettings,
        contexts: ContextStore,
    ) -> Result<Self, NodeError> {
        let missing_contexts = contexts.missing(REQUIRED_CONTEXTS);
        let di = Arc::new(DataIntegrity::new(Canonicalizer::new(Arc::new(contexts))));
        let public = key.verifying_key();
        let next = store.next_status_position()?;
        let node = Self {
            did: did_key(&public),
            method: did_key_method(&public),
            store,
            di,
            key,
            settings,
            catalog: RwLock::new(Catalog::default()),
            stats: RwLock::new(crate::stats::QualityIndex::default()),
            next_status: Mutex::new(next),
            missing_contexts,
            checkpoint_lock: Mutex::new(()),
            verified_checkpoint: Mutex::new(None),
            trust: RwLock::new(TrustBook::default()),
            replica_lock: Mutex::new(()),
            latest_checkpoint: std::sync::atomic::AtomicU64::new(0),
            checkpoint_watchers: Mutex::new(Vec::new()),
        };
        node.load_catalog()?;
        node.load_memberships()?;
        node.load_stats()?;
        node.ensure_profile()?;
        // Covers a crash between a write and its checkpoint.
        node.sign_checkpoint()?;
        Ok(node)
    }

    fn load_catalog(&self) -> Result<(), NodeError> {
        let mut catalog = self.catalog.write().map_err(|_| poisoned())?;
        for item in self.store.records_of_kind(RecordKind::CredentialDef) {
            let (id, bytes) = item?;
            let (rec, def) = decode_record::<CredentialDef>(&bytes)?;
            catalog.insert(id, rec.issuer, rec.issued, def, Arc::new(bytes));
        }
        for item in self.store.records_of_kind(RecordKind::Stack) {
            let (id, bytes) = item?;
            let (rec, stack) = decode_record::<Stack>(&bytes)?;
            catalog.insert_stack(StackEntry {
                id,
                issuer: rec.issuer,
                issued: rec.issued,
                stack,
                record: Arc::new(bytes),
            });
        }
        Ok(())
    }

    /// Rebuilds the award, review and endorsement counts from every record held: this node's
    /// own awards from their compact states (a sequential scan), replicated ones from their
    /// receipts and revocations.
    fn load_stats(&self) -> Result<(), NodeError> {
        let mut stats = self.stats.write().map_err(|_| poisoned())?;
        for state in self.store.award_states() {
            let state = state?;
            stats.issued(&state.credential_id, state.review);
            if state.revocation.is_some() {
                stats.revoked(&state.credential_id);
            }
        }
        for item in self.store.replica_award_records(false) {
            let bytes = item?;
            if let Ok(r) = serde_json::from_slice::<ReceiptFacts>(&bytes) {
                stats.issued(&r.body.credential_id, r.body.review);
            }
        }
        for item in self.store.replica_award_records(true) {
            let bytes = item?;
            let doc: Value = serde_json::from_slice(&bytes).map_err(internal)?;
            let issuer = doc.get("issuer").and_then(Value::as_str).unwrap_or("");
            if let Some(def) = doc
                .pointer("/body/award_id")
                .and_then(Value::as_str)
                .and_then(|a| self.revoked_definition(issuer, a))
            {
                stats.revoked(&def);
            }
        }
        for item in self.store.records_of_kind(RecordKind::Endorsement) {
            let (_, bytes) = item?;
            let doc: Value = serde_json::from_slice(&bytes).map_err(internal)?;
            if let Some(subject) = doc.pointer("/body/subject").and_then(Value::as_str) {
                stats.endorsed(subject);
            }
        }
        Ok(())
    }

    /// The definition of `issuer`'s award `award_id`, from its receipt.
    pub(crate) fn revoked_definition(&self, issuer: &str, award_id: &str) -> Option<String> {
        let (_, bytes) = self.store.award_record(award_id, false).ok().flatten()?;
        let r: ReceiptFacts = serde_json::from_slice(&bytes).ok()?;
        (r.issuer == issuer).then_some(r.body.credential_id)
    }

    fn load_memberships(&self) -> Result<(), NodeError> {
        let mut book = self.trust.write().map_err(|_| poisoned())?;
        for item in self.store.records_of_kind(RecordKind::Membership) {
            let (_, bytes) = item?;
            let (rec, m) = decode_record::<Membership>(&bytes)?;
            book.add(&self.settings.federation, &rec.issuer, &rec.issued, m);
        }
        Ok(())
    }

    /// Publishes a signed membership: this node (a state or consortium anchor) vouches that
    /// `m.member` belongs to `m.federation`.
    pub fn publish_membership(&self, m: Membership) -> Result<Published, NodeError> {
        let mut errors = Errors::default();
        m.validate(&mut errors);
        errors.finish()?;
        let issued = self.now_rfc3339();
        let body = serde_json::to_value(&m).map_err(internal)?;
        let record = self.sign_record(RecordKind::Membership, body, &issued)?;
        let id = self.store.put_record(&record)?;
        {
            let mut book = self.trust.write().map_err(|_| poisoned())?;
            book.add(&self.settings.federation, &self.did, &issued, m);
        }
        self.sign_checkpoint()?;
        Ok(Published {
            id,
            bytes: Arc::new(record.bytes),
        })
    }

    /// Calls `watcher` with the size of every checkpoint this node signs from now on (the
    /// federation driver announces each new one). Watchers run on the signing thread: they
    /// must only hand the size on.
    pub fn watch_checkpoints(&self, watcher: impl Fn(u64) + Send + Sync + 'static) {
        if let Ok(mut w) = self.checkpoint_watchers.lock() {
            w.push(Box::new(watcher));
        }
    }

    /// The size of the newest checkpoint this node signed since it opened (0 before any).
    pub fn latest_checkpoint_size(&self) -> u64 {
        self.latest_checkpoint
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    pub(crate) fn checkpoint_signed(&self, size: u64) {
        self.latest_checkpoint
            .store(size, std::sync::atomic::Ordering::SeqCst);
        if let Ok(watchers) = self.checkpoint_watchers.lock() {
            for w in watchers.iter() {
                w(size);
            }
        }
    }

    fn ensure_profile(&self) -> Result<(), NodeError> {
        let current = self.profile()?;
        let wanted = IssuerProfile {
            name: self.settings.name.clone(),
            kind: if self.settings.kind.is_empty() {
                "district".into()
            } else {
                self.settings.kind.clone()
            },
            did: self.did.clone(),
            url: Some(self.settings.public_url.clone()),
            peer_id: self.settings.peer_id.clone(),
        };
        if current.as_ref() != Some(&wanted) {
            let body = serde_json::to_value(&wanted).map_err(internal)?;
            let record = self.sign_record(RecordKind::IssuerProfile, body, &self.now_rfc3339())?;
            self.store.put_record(&record)?;
        }
        Ok(())
    }

    /// The newest issuer profile this node published.
    pub fn profile(&self) -> Result<Option<IssuerProfile>, NodeError> {
        self.profile_of(&self.did)
    }

    /// The newest issuer profile of `did` held here (own or replicated).
    pub fn profile_of(&self, did: &str) -> Result<Option<IssuerProfile>, NodeError> {
        let mut last = None;
        for item in self.store.records_of_kind(RecordKind::IssuerProfile) {
            let (_, bytes) = item?;
            let (rec, profile) = decode_record::<IssuerProfile>(&bytes)?;
            if rec.issuer == did {
                last = Some(profile); // stored in order: the newest wins
            }
        }
        Ok(last)
    }

    /// The issuer DID.
    pub fn did(&self) -> &str {
        &self.did
    }

    /// The operator's settings.
    pub fn settings(&self) -> &NodeSettings {
        &self.settings
    }

    pub(crate) fn signing_key(&self) -> &SigningKey {
        &self.key
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The signer/verifier (for tools that verify outside the node's pipeline).
    pub fn data_integrity(&self) -> &Arc<DataIntegrity> {
        &self.di
    }

    /// Required contexts that are not installed (issuance is refused until they are).
    pub fn missing_contexts(&self) -> &[String] {
        &self.missing_contexts
    }

    /// The URL of a definition (used as the OB `Achievement.id`).
    pub fn credential_url(&self, id: &str) -> String {
        format!("{}/api/v1/credentials/{id}", self.settings.public_url)
    }

    /// The URL of status list `n`.
    pub fn status_list_url(&self, n: u32) -> String {
        format!("{}/api/v1/status-lists/{n}", self.settings.public_url)
    }

    /// Signs a record issued at `issued` (the caller's clock reading, which it also keeps, e.g.
    /// for the catalog: nothing has to parse the signed bytes back).
    pub(crate) fn sign_record(
        &self,
        kind: RecordKind,
        body: Value,
        issued: &str,
    ) -> Result<NewRecord, NodeError> {
        let unsigned = UnsignedRecord {
            kind,
            issuer: self.did.clone(),
            issued: issued.to_owned(),
            body,
        };
        let options = SignOptions::assertion(
            Suite::EddsaJcs2022,
            self.method.clone(),
            unsigned.issued.clone(),
        );
        let signed = self
            .di
            .sign(&unsigned.to_json(), &self.key, &options)
            .map_err(NodeError::Signing)?;
        // Stored bytes are the JCS form, so the record id (blake3 of the bytes) is reproducible
        // by any node from the parsed record.
        let bytes = credreg_proof::canon::jcs(&signed).map_err(NodeError::Signing)?;
        Ok(NewRecord {
            kind,
            issuer: self.did.clone(),
            bytes,
        })
    }

    pub(crate) fn sign_credential(&self, doc: &Value, created: &str) -> Result<Value, NodeError> {
        self.sign_credential_with_digest(doc, created)
            .map(|(signed, _)| signed)
    }

    /// [`sign_credential`](Self::sign_credential), with the SHA-256 of the credential's
    /// canonical form (what an award receipt records, so a re-serialized copy is still
    /// recognized as the logged award).
    pub(crate) fn sign_credential_with_digest(
        &self,
        doc: &Value,
        created: &str,
    ) -> Result<(Value, [u8; 32]), NodeError> {
        if let Some(url) = self.missing_contexts.first() {
            return Err(NodeError::ContextMissing { url: url.clone() });
        }
        let options = SignOptions::assertion(Suite::EddsaRdfc2022, self.method.clone(), created);
        self.di
            .sign_with_digest(doc, &self.key, &options)
            .map_err(|e| match e {
                credreg_proof::ProofError::ContextMissing { url } => {
                    NodeError::ContextMissing { url }
                }
                other => NodeError::Signing(other),
            })
    }

    /// Publishes a credential definition (validated by the caller with
    /// [`credreg_model::parse_validated`], and again here).
    pub fn publish_definition(&self, def: CredentialDef) -> Result<Published, NodeError> {
        let mut published = self.publish_definitions(vec![def])?;
        published.pop().ok_or_else(|| internal("nothing published"))
    }

    /// Publishes many definitions in one atomic write (a state loading a shared repository).
    /// Nothing is stored if any definition is invalid; errors name it as `[i].field`.
    pub fn publish_definitions(
        &self,
        defs: Vec<CredentialDef>,
    ) -> Result<Vec<Published>, NodeError> {
        let mut errors = Errors::default();
        for (i, def) in defs.iter().enumerate() {
            if defs.len() == 1 {
                def.validate(&mut errors);
            } else {
                errors.nested(&format!("[{i}]"), |e| def.validate(e));
            }
        }
        errors.finish()?;
        // Signing is most of the CPU cost of a bulk load; use every core.
        let issued = self.now_rfc3339();
        let records = parallel_map(defs.iter().collect(), |def: &CredentialDef| {
            let body = serde_json::to_value(def).map_err(internal)?;
            self.sign_record(RecordKind::CredentialDef, body, &issued)
        })?;
        let ids = self.store.put_records(&records)?;
        self.sign_checkpoint()?;
        let mut catalog = self.catalog.write().map_err(|_| poisoned())?;
        let mut out = Vec::with_capacity(defs.len());
        for ((def, record), id) in defs.into_iter().zip(records).zip(ids) {
            let bytes = Arc::new(record.bytes);
            catalog.insert(
                id.clone(),
                self.did.clone(),
                issued.clone(),
                def,
                bytes.clone(),
            );
            out.push(Published { id, bytes });
        }
        Ok(out)
    }

    /// Publishes a stack; every listed credential must be in the catalog.
    pub fn publish_stack(&self, stack: Stack) -> Result<Published, NodeError> {
        let mut errors = Errors::default();
        stack.validate(&mut errors);
        {
            let catalog = self.catalog.read().map_err(|_| poisoned())?;
            for (i, c) in stack.credentials.iter().enumerate() {
                if credreg_model::is_record_id(c) && catalog.get(c).is_none() {
                    errors.add(
                        &format!("credentials[{i}]"),
                        "no such credential in the catalog",
                    );
                }
            }
        }
        errors.finish()?;
        let body = serde_json::to_value(&stack).map_err(internal)?;
        let issued = self.now_rfc3339();
        let record = self.sign_record(RecordKind::Stack, body, &issued)?;
        let id = self.store.put_record(&record)?;
        self.sign_checkpoint()?;
        let bytes = Arc::new(record.bytes);
        self.catalog
            .write()
            .map_err(|_| poisoned())?
            .insert_stack(StackEntry {
                id: id.clone(),
                issuer: self.did.clone(),
                issued,
                stack,
                record: bytes.clone(),
            });
        Ok(Published { id, bytes })
    }

    /// Searches the catalog.
    pub fn search(&self, query: &SearchQuery) -> Result<SearchPage, NodeError> {
        Ok(self.catalog.read().map_err(|_| poisoned())?.search(query))
    }

    /// Searches this node's own catalog (`federation` false) or every replicated catalog of
    /// an issuer it trusts now (`federation` true).
    pub fn search_scoped(
        &self,
        query: SearchQuery,
        federation: bool,
    ) -> Result<SearchPage, NodeError> {
        let catalog = self.catalog.read().map_err(|_| poisoned())?;
        let allowed = if federation {
            catalog
                .issuers()
                .into_iter()
                .filter(|i| self.trust_of(i).status.is_trusted())
                .collect()
        } else {
            std::iter::once(self.did.clone()).collect()
        };
        Ok(catalog.search(&SearchQuery {
            issuers: Some(allowed),
            ..query
        }))
    }

    /// Number of definitions in the catalog (without running a search).
    pub fn definition_count(&self) -> Result<usize, NodeError> {
        Ok(self.catalog.read().map_err(|_| poisoned())?.len())
    }

    /// A definition by id.
    pub fn definition(&self, id: &str) -> Result<Option<Arc<crate::CatalogEntry>>, NodeError> {
        Ok(self.catalog.read().map_err(|_| poisoned())?.get(id))
    }

    /// A stack by id.
    pub fn stack(&self, id: &str) -> Result<Option<Arc<StackEntry>>, NodeError> {
        Ok(self.catalog.read().map_err(|_| poisoned())?.stack(id))
    }

    /// Now, by this node's clock.
    pub fn now(&self) -> OffsetDateTime {
        self.settings.env.now()
    }

    /// Now, by this node's clock, to the second, as RFC 3339 UTC.
    pub fn now_rfc3339(&self) -> String {
        self.settings.env.now_rfc3339()
    }
}

fn dotted(prefix: &str, field: &str) -> String {
    if prefix.is_empty() || field.is_empty() || field.starts_with('[') {
        field.to_owned()
    } else {
        format!(".{field}")
    }
}

/// Maps `f` over `items` on all cores, preserving order; the first error wins.
fn parallel_map<T: Send, R: Send>(
    items: Vec<T>,
    f: impl Fn(T) -> Result<R, NodeError> + Sync,
) -> Result<Vec<R>, NodeError> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(items.len().max(1));
    if threads <= 1 {
        return items.into_iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let mut chunks: Vec<Vec<T>> = Vec::new();
    let mut items = items.into_iter().peekable();
    while items.peek().is_some() {
        chunks.push(items.by_ref().take(chunk).collect());
    }
    let f = &f;
    let results: Vec<Result<Vec<R>, NodeError>> = std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|c| s.spawn(move || c.into_iter().map(f).collect::<Result<Vec<R>, _>>()))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(internal("signing thread panicked")))
            })
            .collect()
    });
    let mut out = Vec::new();
    for r in results {
        out.extend(r?);
    }
    Ok(out)
}

/// Parses a stored record and its body.
/// What the award counts need of a receipt record: its issuer, definition and review
/// summary. Read from bytes (start-up) or from an already parsed record (replication) by the
/// same derive, without decoding the rest.
#[derive(serde::Deserialize)]
pub(crate) struct ReceiptFacts {
    pub(crate) issuer: String,
    pub(crate) body: ReceiptFactsBody,
}

/// See [`ReceiptFacts`].
#[derive(serde::Deserialize)]
pub(crate) struct ReceiptFactsBody {
    pub(crate) credential_id: String,
    #[serde(default)]
    pub(crate) review: Option<credreg_model::ReviewSummary>,
}

pub(crate) fn decode_record<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
) -> Result<(UnsignedRecord, T), NodeError> {
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| corrupt(e.to_string()))?;
    let rec = UnsignedRecord::from_json(&doc).map_err(corrupt)?;
    let body = serde_json::from_value(rec.body.clone()).map_err(|e| corrupt(e.to_string()))?;
    Ok((rec, body))
}

fn corrupt(detail: String) -> NodeError {
    NodeError::Store(credreg_store::StoreError::Corrupt {
        tree: "records-1",
        detail,
    })
}

pub(crate) fn internal(e: impl std::fmt::Display) -> NodeError {
    NodeError::Internal(e.to_string())
}

fn poisoned() -> NodeError {
    internal("a lock was poisoned by an earlier panic")
}
