//! The node: its identity, settings, signing and store, and the subsystems that hold the rest
//! (each owns its state and its lock: see the crate documentation for who may import whom).

use crate::catalog::state::CatalogState;
use crate::error::{corrupt, internal, NodeError};
use crate::issue::state::IssueState;
use crate::ledger::state::Ledger;
use crate::replica::state::ReplicaState;
use crate::review::state::ReviewState;
use crate::trust::book::{FederationSettings, TrustState};
use credreg_model::{IssuerProfile, RecordKind, UnsignedRecord, OB_V3};
use credreg_proof::keys::{did_key, did_key_method};
use credreg_proof::{Canonicalizer, ContextStore, DataIntegrity, SignOptions, SigningKey, Suite};
use credreg_store::{NewRecord, Store};
use serde_json::Value;
use std::sync::Arc;
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
    /// Whether transfer reports credit a badge whose revocation status could not be checked
    /// (off: such a badge is listed, not credited).
    pub credit_unchecked_status: bool,
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
    missing_contexts: Vec<String>,
    pub(crate) catalog: CatalogState,
    pub(crate) trust: TrustState,
    pub(crate) ledger: Ledger,
    pub(crate) issuing: IssueState,
    pub(crate) replica: ReplicaState,
    pub(crate) review: ReviewState,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("did", &self.did)
            .field("name", &self.settings.name)
            .finish_non_exhaustive()
    }
}

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
        let issuing = IssueState::new(store.next_status_position()?);
        let node = Self {
            did: did_key(&public),
            method: did_key_method(&public),
            store,
            di,
            key,
            settings,
            missing_contexts,
            catalog: CatalogState::default(),
            trust: TrustState::default(),
            ledger: Ledger::default(),
            issuing,
            replica: ReplicaState::default(),
            review: ReviewState::default(),
        };
        node.load_catalog()?;
        node.load_memberships()?;
        node.load_stats()?;
        node.load_review()?;
        node.ensure_profile()?;
        // Covers a crash between a write and its checkpoint.
        node.sign_checkpoint()?;
        Ok(node)
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
        credreg_wire::urls::credential(&self.settings.public_url, id)
    }

    /// The URL of status list `n`.
    pub fn status_list_url(&self, n: u32) -> String {
        credreg_wire::urls::status_list(&self.settings.public_url, n)
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
        // Every other node refuses a larger record (and the peer serving it): logged here, it
        // would stop the whole federation replicating this district's log.
        let limit = credreg_wire::gossip::MAX_RECORD_BYTES;
        if bytes.len() > limit {
            return Err(NodeError::Invalid(credreg_model::Invalid(vec![
                credreg_model::FieldError {
                    field: "record".into(),
                    message: format!(
                        "is {} bytes once signed, and other districts accept records of at most {limit} bytes: shorten its texts (description, criteria, rubric levels)",
                        bytes.len()
                    ),
                },
            ])));
        }
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

    /// Now, by this node's clock.
    pub fn now(&self) -> OffsetDateTime {
        self.settings.env.now()
    }

    /// Now, by this node's clock, to the second, as RFC 3339 UTC.
    pub fn now_rfc3339(&self) -> String {
        self.settings.env.now_rfc3339()
    }
}

/// Maps `f` over `items` on all cores, preserving order; the first error wins.
pub(crate) fn parallel_map<T: Send, R: Send>(
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
pub(crate) fn decode_record<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
) -> Result<(UnsignedRecord, T), NodeError> {
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| corrupt(e.to_string()))?;
    let rec = UnsignedRecord::from_json(&doc).map_err(corrupt)?;
    let body = serde_json::from_value(rec.body.clone()).map_err(|e| corrupt(e.to_string()))?;
    Ok((rec, body))
}
