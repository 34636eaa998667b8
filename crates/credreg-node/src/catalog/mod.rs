//! The catalog: every definition and stack this node holds (its own and replicated), in memory
//! and searchable, with the award, review and endorsement counts per definition.
//!
//! Owns two locks: the index ([`index::Catalog`]) and the counts ([`stats::QualityIndex`]).
//! Nothing else reaches into them; writers go through [`CatalogState`].

pub mod index;
pub(crate) mod state;
pub mod stats;

pub use index::{CatalogEntry, SearchPage, SearchQuery, StackEntry};

use crate::error::{internal, NodeError};
use crate::node::{decode_record, parallel_map, Node, Published};
use credreg_model::{CredentialDef, Errors, RecordKind, Stack, Validate};
use serde_json::Value;
use stats::ReceiptFacts;
use std::sync::Arc;

impl Node {
    pub(crate) fn load_catalog(&self) -> Result<(), NodeError> {
        let mut catalog = self.catalog.write()?;
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
        let mut catalog = self.catalog.write()?;
        let mut out = Vec::with_capacity(defs.len());
        for ((def, record), id) in defs.into_iter().zip(records).zip(ids) {
            let bytes = Arc::new(record.bytes);
            catalog.insert(
                id.clone(),
                self.did().to_owned(),
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
            let catalog = self.catalog.read()?;
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
        self.catalog.write()?.insert_stack(StackEntry {
            id: id.clone(),
            issuer: self.did().to_owned(),
            issued,
            stack,
            record: bytes.clone(),
        });
        Ok(Published { id, bytes })
    }

    /// Searches the catalog.
    pub fn search(&self, query: &SearchQuery) -> Result<SearchPage, NodeError> {
        Ok(self.catalog.read()?.search(query))
    }

    /// Number of definitions in the catalog (without running a search).
    pub fn definition_count(&self) -> Result<usize, NodeError> {
        Ok(self.catalog.read()?.len())
    }

    /// A definition by id.
    pub fn definition(&self, id: &str) -> Result<Option<Arc<crate::CatalogEntry>>, NodeError> {
        Ok(self.catalog.read()?.get(id))
    }

    /// The stacks `issuer` published (own or replicated).
    pub fn stacks_of(&self, issuer: &str) -> Result<Vec<Arc<StackEntry>>, NodeError> {
        Ok(self.catalog.read()?.stacks_of(issuer))
    }

    /// A stack by record id (own or replicated).
    pub fn stack(&self, id: &str) -> Result<Option<Arc<StackEntry>>, NodeError> {
        Ok(self.catalog.read()?.stack(id))
    }

    /// Rebuilds the award, review and endorsement counts from every record held: this node's
    /// own awards from their compact states (a sequential scan), replicated ones from their
    /// receipts and revocations.
    pub(crate) fn load_stats(&self) -> Result<(), NodeError> {
        let mut stats = self.catalog.stats_mut()?;
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
        for item in self.store.records_of_kind(RecordKind::ReviewStatistics) {
            let (_, bytes) = item?;
            let (rec, r) = decode_record::<credreg_model::ReviewStatistics>(&bytes)?;
            stats.reviewed(&rec.issuer, &rec.issued, r);
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
}
