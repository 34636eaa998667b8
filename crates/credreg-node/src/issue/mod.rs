//! Issuing: award requests checked, signed on all cores and committed in one transaction;
//! revocation; the signed status lists.

use crate::error::{internal, poisoned, NodeError};
use crate::node::{parallel_map, Node};
use credreg_model::{
    record_id, AwardDraft, AwardIssuer, AwardReceipt, DefStatus, Errors, Evidence, FieldError,
    Invalid, Recipient, RecordKind, Revocation, StatusEntry, Validate,
};
use credreg_store::{AwardState, NewAward, STATUS_LIST_BITS};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub mod csv_rows;
pub(crate) mod state;
pub mod status_list;

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
    /// What this node's own review adds (never read from a request: a coordinator cannot
    /// assert a rubric result).
    #[serde(skip)]
    pub reviewed: Reviewed,
}

/// What an award from this node's own review carries beyond a plain award.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reviewed {
    /// The rubric level reached per criterion.
    pub rubric_levels: Vec<usize>,
    /// The teacher's other verified addresses: the award names each (hashed), so it matches
    /// whichever one a hiring district is given.
    pub other_emails: Vec<String>,
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

    /// The award ids, in request order.
    pub fn ids(&self) -> Vec<String> {
        self.0.iter().map(|a| a.award_id.clone()).collect()
    }
}

impl Node {
    /// How many awards this node has issued (revoked ones included).
    pub fn award_count(&self) -> usize {
        self.store.award_count()
    }

    /// Checks award requests without issuing: shapes, and that each names an active
    /// definition of this node. Errors name the request as `[i].field` when there are several.
    pub fn check_award_requests(
        &self,
        requests: &[AwardRequest],
    ) -> Result<Vec<Arc<crate::CatalogEntry>>, NodeError> {
        let mut errors = Errors::default();
        let mut defs = Vec::with_capacity(requests.len());
        let catalog = self.catalog.read()?;
        for (i, r) in requests.iter().enumerate() {
            let prefix = if requests.len() == 1 {
                String::new()
            } else {
                format!("[{i}]")
            };
            let mut row = Errors::default();
            r.validate(&mut row);
            if credreg_model::is_record_id(&r.credential_id) {
                match catalog.get(&r.credential_id) {
                    None => row.add("credential_id", "no such credential in the catalog"),
                    Some(e) if e.issuer != self.did() => row.add(
                        "credential_id",
                        "is another issuer's credential; a node awards only its own",
                    ),
                    Some(e) if e.def.status != DefStatus::Active => row.add(
                        "credential_id",
                        format!("is {:?}, not active", e.def.status).to_lowercase(),
                    ),
                    Some(e) => defs.push(e),
                }
            }
            if let Err(Invalid(list)) = row.finish() {
                for FieldError { field, message } in list {
                    errors.add(&format!("{prefix}{}", dotted(&prefix, &field)), message);
                }
            }
        }
        errors.finish()?;
        Ok(defs)
    }

    /// Issues awards: checks every request, signs them in parallel, stores all of them with
    /// their receipts in one transaction and returns after they are on disk. All or nothing.
    pub fn issue_awards(&self, requests: &[AwardRequest]) -> Result<Vec<IssuedAward>, NodeError> {
        let prepared = self.prepare_awards(requests)?;
        self.commit_awards(prepared)
    }

    /// Issues many awards in batches of `batch`, signing batch n+1 on all cores while batch n is
    /// written and flushed (the flush waits on the disk, not the CPU). Each batch is atomic and
    /// durable; `progress` is called with each committed batch's size. On failure, the batches
    /// before it stay issued and the error says how many.
    pub fn issue_bulk(
        &self,
        requests: &[AwardRequest],
        batch: usize,
        progress: impl Fn(usize) + Sync,
    ) -> Result<Vec<IssuedAward>, BulkFailure> {
        let batch = batch.max(1);
        std::thread::scope(|scope| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<(usize, PreparedAwards)>(1);
            let progress = &progress;
            let writer = scope.spawn(move || {
                let mut done = Vec::with_capacity(requests.len());
                for (offset, prepared) in rx {
                    let count = prepared.len();
                    match self.commit_awards(prepared) {
                        Ok(issued) => done.extend(issued),
                        Err(error) => {
                            return Err(BulkFailure {
                                error,
                                batch_offset: offset,
                                issued: done.len(),
                            })
                        }
                    }
                    progress(count);
                }
                Ok(done)
            });
            let mut failure = None;
            for (n, chunk) in requests.chunks(batch).enumerate() {
                match self.prepare_awards(chunk) {
                    Ok(prepared) => {
                        if tx.send((n * batch, prepared)).is_err() {
                            break; // the writer stopped on an error, reported below
                        }
                    }
                    Err(error) => {
                        failure = Some((error, n * batch));
                        break;
                    }
                }
            }
            drop(tx);
            let written = writer.join().unwrap_or_else(|_| {
                Err(BulkFailure {
                    error: internal("the writer thread panicked"),
                    batch_offset: 0,
                    issued: 0,
                })
            })?;
            match failure {
                None => Ok(written),
                Some((error, batch_offset)) => Err(BulkFailure {
                    error,
                    batch_offset,
                    issued: written.len(),
                }),
            }
        })
    }

    /// Stores awards made by [`Node::prepare_awards`] (one transaction, flushed) and returns
    /// them. Bulk importers overlap this disk write with signing the next batch.
    pub fn commit_awards(&self, prepared: PreparedAwards) -> Result<Vec<IssuedAward>, NodeError> {
        self.commit_awards_after(&[], prepared)
    }

    /// [`commit_awards`](Self::commit_awards) with `records` logged first, in the same
    /// transaction.
    pub(crate) fn commit_awards_after(
        &self,
        records: &[credreg_store::NewRecord],
        prepared: PreparedAwards,
    ) -> Result<Vec<IssuedAward>, NodeError> {
        self.store.put_awards_after(records, &prepared.0)?;
        {
            let mut stats = self.catalog.stats_mut()?;
            for a in &prepared.0 {
                stats.issued(&a.state.credential_id, a.state.review);
            }
        }
        self.sign_checkpoint()?;
        Ok(prepared
            .0
            .into_iter()
            .map(|a| IssuedAward {
                id: a.award_id,
                bytes: a.bytes,
            })
            .collect())
    }

    /// Checks and signs awards (on all cores) without storing them. Their status positions
    /// are reserved; a batch that is never committed leaves unused positions, never reused
    /// ones.
    pub fn prepare_awards(&self, requests: &[AwardRequest]) -> Result<PreparedAwards, NodeError> {
        let defs = self.check_award_requests(requests)?;
        if let Some(url) = self.missing_contexts().first() {
            return Err(NodeError::ContextMissing { url: url.clone() });
        }

        let first = {
            let mut next = self.issuing.next_status.lock().map_err(|_| poisoned())?;
            let first = *next;
            *next += requests.len() as u64;
            first
        };
        let issuer = AwardIssuer {
            did: self.did().to_owned(),
            name: self.settings().name.clone(),
        };
        let issued_at = self.now_rfc3339();
        let jobs: Vec<(usize, &AwardRequest)> = requests.iter().enumerate().collect();
        // Ids and salts are drawn in request order before signing runs on all cores, so a
        // seeded environment gives the same awards every time.
        let fresh: Vec<(String, String)> = requests
            .iter()
            .map(|_| (self.settings().env.urn_uuid(), self.settings().env.hex(16)))
            .collect();
        let sign_one = |(i, r): (usize, &AwardRequest)| -> Result<NewAward, NodeError> {
            let entry = defs.get(i).ok_or_else(|| internal("definition vanished"))?;
            let position = first + i as u64;
            let list = u32::try_from(position / STATUS_LIST_BITS)
                .map_err(|_| internal("status lists exhausted"))?;
            let index = position % STATUS_LIST_BITS;
            let (award_id, salt) = fresh
                .get(i)
                .cloned()
                .ok_or_else(|| internal("award id vanished"))?;
            let draft = AwardDraft {
                id: award_id.clone(),
                issuer: &issuer,
                achievement_id: self.credential_url(&entry.id),
                definition: &entry.def,
                recipient: &r.recipient,
                salt,
                evidence: &r.evidence,
                status: StatusEntry {
                    list_url: self.status_list_url(list),
                    index,
                },
                valid_from: issued_at.clone(),
                rubric_levels: &r.reviewed.rubric_levels,
                other_emails: &r.reviewed.other_emails,
            };
            let (signed, canonical) =
                self.sign_credential_with_digest(&draft.to_credential(), &issued_at)?;
            let bytes = serde_json::to_vec(&signed).map_err(internal)?;
            let receipt = AwardReceipt {
                award_id: award_id.clone(),
                credential_id: entry.id.clone(),
                award_digest: record_id(&bytes),
                canonical_digest: Some(hex::encode(canonical)),
                issued_at: issued_at.clone(),
                status_index: position,
                review: r.review,
            };
            let receipt = self.sign_record(
                RecordKind::AwardReceipt,
                serde_json::to_value(&receipt).map_err(internal)?,
                &issued_at,
            )?;
            Ok(NewAward {
                state: AwardState {
                    credential_id: entry.id.clone(),
                    status_list: list,
                    status_index: index,
                    issued_at: issued_at.clone(),
                    receipt_id: receipt.id(),
                    revocation: None,
                    review: r.review,
                },
                award_id,
                bytes,
                receipt,
            })
        };
        Ok(PreparedAwards(parallel_map(jobs, sign_one)?))
    }

    /// An award's exact signed bytes.
    pub fn award(&self, id: &str) -> Result<Option<Vec<u8>>, NodeError> {
        Ok(self.store.award(id)?)
    }

    /// Revokes one of this node's awards. The reason is shown to verifiers.
    pub fn revoke(&self, award_id: &str, reason: &str) -> Result<AwardState, NodeError> {
        let mut errors = Errors::default();
        errors.text("reason", reason, 1_000);
        errors.finish()?;
        let revoked_at = self.now_rfc3339();
        let body = Revocation {
            award_id: award_id.to_owned(),
            reason: reason.to_owned(),
            revoked_at: revoked_at.clone(),
        };
        let record = self.sign_record(
            RecordKind::Revocation,
            serde_json::to_value(&body).map_err(internal)?,
            &revoked_at,
        )?;
        match self.store.revoke(award_id, &record, reason, &revoked_at) {
            Ok(state) => {
                self.catalog.stats_mut()?.revoked(&state.credential_id);
                self.sign_checkpoint()?;
                Ok(state)
            }
            Err(credreg_store::StoreError::AlreadyRevoked(id)) => Err(NodeError::Conflict(
                format!("award {id} is already revoked"),
            )),
            Err(credreg_store::StoreError::NoSuchAward(id)) => {
                Err(NodeError::NotFound { what: "award", id })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The signed `BitstringStatusListCredential` for list `n`, re-signed only when its bits
    /// changed since the cached copy.
    pub fn status_list_credential(&self, n: u32) -> Result<Vec<u8>, NodeError> {
        let next = *self.issuing.next_status.lock().map_err(|_| poisoned())?;
        let lists_in_use = next.div_ceil(STATUS_LIST_BITS).max(1);
        if u64::from(n) >= lists_in_use {
            return Err(NodeError::NotFound {
                what: "status list",
                id: n.to_string(),
            });
        }
        let bits = self.store.status_bits(n)?;
        let digest = *blake3::hash(&bits).as_bytes();
        if let Some(cached) = self.store.status_credential(n)? {
            if cached.bits_digest == digest {
                return Ok(cached.bytes);
            }
        }
        let now = self.now_rfc3339();
        let unsigned =
            status_list::status_list_credential(&self.status_list_url(n), self.did(), &now, &bits)
                .map_err(internal)?;
        let signed = self.sign_credential(&unsigned, &now)?;
        let bytes = serde_json::to_vec(&signed).map_err(internal)?;
        self.store.put_status_credential(n, &digest, &bytes)?;
        Ok(bytes)
    }
}

fn dotted(prefix: &str, field: &str) -> String {
    if prefix.is_empty() || field.is_empty() || field.starts_with('[') {
        field.to_owned()
    } else {
        format!(".{field}")
    }
}
