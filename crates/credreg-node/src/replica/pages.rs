//! Pages of another issuer's log: each record checked (shape, issuer, signature, batch-verified
//! on all cores), the page laid over the stored tree and checked against the target, then stored
//! with the indexes its records feed.

use super::*;

/// Stored tree nodes plus the ones a page adds (not yet written).
pub(super) struct Overlay<'a> {
    pub(super) base: LogNodes<'a>,
    pub(super) added: HashMap<(u32, u64), Hash>,
}

impl NodeSource for Overlay<'_> {
    type Error = StoreError;
    fn node(&self, level: u32, index: u64) -> Result<Hash, StoreError> {
        match self.added.get(&(level, index)) {
            Some(h) => Ok(*h),
            None => self.base.node(level, index),
        }
    }
}

/// A page of entries whose records are checked (not yet laid over the tree).
pub struct CheckedPage {
    issuer: String,
    records: Vec<NewRecord>,
    decoded: Vec<Decoded>,
}

impl std::fmt::Debug for CheckedPage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckedPage")
            .field("issuer", &self.issuer)
            .field("entries", &self.records.len())
            .finish()
    }
}

/// A replicated record the in-memory indexes care about, decoded: (id, issuer, issued, body,
/// exact bytes).
#[allow(clippy::large_enum_variant)] // short-lived, one per replicated record
pub(super) enum Decoded {
    Def(
        String,
        String,
        String,
        CredentialDef,
        std::sync::Arc<Vec<u8>>,
    ),
    Stack(String, String, String, Stack, std::sync::Arc<Vec<u8>>),
    Membership(String, String, Membership),
    /// A receipt: its definition and review summary.
    Receipt(String, Option<credreg_model::ReviewSummary>),
    /// A revocation: issuer and award id.
    Revocation(String, String),
    /// An endorsement's subject.
    Endorsement(String),
    /// Review statistics: issuer, issued, the figures.
    ReviewStatistics(String, String, credreg_model::ReviewStatistics),
}

/// Decodes a checked record's body for the indexes (without copying the parsed document).
pub(super) fn decode(
    kind: RecordKind,
    doc: &Value,
    bytes: &[u8],
) -> Result<Option<Decoded>, String> {
    use serde::Deserialize as _;
    let text = |k: &str| doc.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let body = &doc["body"];
    let id = || credreg_model::record_id(bytes);
    let shape = |e: serde_json::Error| format!("its body does not decode: {e}");
    Ok(match kind {
        RecordKind::CredentialDef => Some(Decoded::Def(
            id(),
            text("issuer"),
            text("issued"),
            CredentialDef::deserialize(body).map_err(shape)?,
            std::sync::Arc::new(bytes.to_vec()),
        )),
        RecordKind::Stack => Some(Decoded::Stack(
            id(),
            text("issuer"),
            text("issued"),
            Stack::deserialize(body).map_err(shape)?,
            std::sync::Arc::new(bytes.to_vec()),
        )),
        RecordKind::Membership => Some(Decoded::Membership(
            text("issuer"),
            text("issued"),
            Membership::deserialize(body).map_err(shape)?,
        )),
        // Bodies nothing indexes at replication are still checked for shape, so every reader
        // of them can trust what is stored.
        RecordKind::IssuerProfile => {
            credreg_model::IssuerProfile::deserialize(body).map_err(shape)?;
            None
        }
        RecordKind::QualityStandard => {
            credreg_model::QualityStandard::deserialize(body).map_err(shape)?;
            None
        }
        RecordKind::Recognition => {
            credreg_model::Recognition::deserialize(body).map_err(shape)?;
            None
        }
        RecordKind::ReviewDecision => {
            credreg_model::ReviewDecision::deserialize(body).map_err(shape)?;
            None
        }
        RecordKind::ReviewStatistics => Some(Decoded::ReviewStatistics(
            text("issuer"),
            text("issued"),
            credreg_model::ReviewStatistics::deserialize(body).map_err(shape)?,
        )),
        RecordKind::Endorsement => {
            let e = credreg_model::Endorsement::deserialize(body).map_err(shape)?;
            Some(Decoded::Endorsement(e.subject))
        }
        RecordKind::AwardReceipt => crate::catalog::stats::ReceiptFacts::deserialize(doc)
            .ok()
            .map(|r| Decoded::Receipt(r.body.credential_id, r.body.review)),
        RecordKind::Revocation => body
            .get("award_id")
            .and_then(Value::as_str)
            .map(|a| Decoded::Revocation(text("issuer"), a.to_owned())),
    })
}

impl Node {
    /// Applies a page of entries `from..` of `target`'s issuer, with the consistency proof
    /// from the page's end to the target (empty when the page reaches it).
    pub fn apply_entries(
        &self,
        target: &Target,
        from: u64,
        entries: Vec<Vec<u8>>,
        proof: &[Hash],
    ) -> Result<GossipOutcome, ApplyError> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let page = self.check_page(target.issuer(), entries, threads)?;
        self.store_page(target, from, page, proof)
    }

    /// The first half of applying a page, which needs no stored state (so catch-up runs it
    /// for the next page while the previous one is being stored): every record's shape,
    /// issuer and signature, and the decoded bodies the indexes need. Uses up to `threads`
    /// threads (catch-up uses one: the other core is storing the previous page).
    pub fn check_page(
        &self,
        issuer: &str,
        entries: Vec<Vec<u8>>,
        threads: usize,
    ) -> Result<CheckedPage, ApplyError> {
        let (records, decoded) = self.check_entries(issuer, entries, threads.clamp(1, 8))?;
        Ok(CheckedPage {
            issuer: issuer.to_owned(),
            records,
            decoded,
        })
    }

    /// The second half: lays the checked page over the stored tree at `from`, checks it
    /// against the target (its root, or the consistency proof from the page's end), and
    /// stores it. Replica pages are not flushed one by one (sled writes them out within half
    /// a second): a page lost in a crash is a verified prefix that costs only a re-fetch (see
    /// `Store::put_replica` for why a crash never leaves a torn page), and waiting for the
    /// disk before forwarding a verified record would put an fsync on every gossip hop.
    pub fn store_page(
        &self,
        target: &Target,
        from: u64,
        page: CheckedPage,
        proof: &[Hash],
    ) -> Result<GossipOutcome, ApplyError> {
        let issuer = target.issuer();
        if page.issuer != issuer {
            return Err(ApplyError::Bad("a page of another issuer's log".into()));
        }
        let n = target.size();
        let entries = &page.records;
        let _guard = self
            .replica
            .storing
            .lock()
            .map_err(|_| internal("poisoned"))?;
        let size = self.store.log_size(issuer).map_err(NodeError::from)?;
        if size != from {
            return Err(ApplyError::Moved);
        }
        let end = from + entries.len() as u64;
        if entries.is_empty() || end > n {
            return Err(ApplyError::Bad(format!(
                "a page of {} entries from {from} does not fit a log of {n}",
                entries.len()
            )));
        }
        let mut overlay = Overlay {
            base: self.store.log_nodes(issuer),
            added: HashMap::new(),
        };
        for (i, e) in entries.iter().enumerate() {
            let created = credreg_log::appended_nodes(
                &overlay,
                from + i as u64,
                credreg_log::leaf_hash(&e.bytes),
            )
            .map_err(NodeError::from)?;
            for (level, index, hash) in created {
                overlay.added.insert((level, index), hash);
            }
        }
        let root = credreg_log::root(&overlay, end).map_err(NodeError::from)?;
        let complete = end == n;
        if complete {
            if root != target.checkpoint.checkpoint.root {
                return Err(ApplyError::Bad(
                    "the entries do not produce the checkpoint's root".into(),
                ));
            }
        } else {
            credreg_log::verify_consistency(
                end,
                n,
                &root,
                &target.checkpoint.checkpoint.root,
                proof,
            )
            .map_err(|e| {
                ApplyError::Bad(format!(
                    "the page does not lead to the checkpoint's root: {e}"
                ))
            })?;
        }
        let checkpoint = complete.then_some((n, target.bytes.as_slice()));
        let nodes: Vec<(u32, u64, Hash)> = overlay
            .added
            .into_iter()
            .map(|((level, index), hash)| (level, index, hash))
            .collect();
        match self
            .store
            .put_replica(issuer, from, &page.records, &nodes, checkpoint)
        {
            Ok(()) => {}
            Err(StoreError::LogMoved { .. }) => return Err(ApplyError::Moved),
            Err(e) => return Err(NodeError::from(e).into()),
        }
        let trust_changed = self.index_replicated(page.decoded)?;
        Ok(GossipOutcome {
            stored: entries.len() as u64,
            trust_changed,
            note: format!("stored entries {from}..{end} of {issuer}"),
            ..GossipOutcome::default()
        })
    }

    /// Checks every entry of a page: size, JSON record shape, issuer, and its issuer's
    /// `eddsa-jcs-2022` signature; decodes what the in-memory indexes need. Each entry is
    /// parsed once; the page is split across cores, one signature batch per part.
    pub(super) fn check_entries(
        &self,
        issuer: &str,
        entries: Vec<Vec<u8>>,
        threads: usize,
    ) -> Result<(Vec<NewRecord>, Vec<Decoded>), ApplyError> {
        let chunk = entries.len().div_ceil(threads).max(32);
        let resolver = KeyResolver::new().with_did_key(issuer);
        let options = VerifyOptions::default();
        let parts: Vec<Result<CheckedPart, String>> = std::thread::scope(|s| {
            let handles: Vec<_> = entries
                .chunks(chunk)
                .enumerate()
                .map(|(c, part)| {
                    let (resolver, options) = (&resolver, &options);
                    s.spawn(move || self.check_part(issuer, c * chunk, part, resolver, options))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|_| Err("verifier panicked".into())))
                .collect()
        });
        let count = entries.len();
        let mut records = Vec::with_capacity(count);
        let mut decoded = Vec::new();
        let mut checked = entries.into_iter();
        for part in parts {
            for (kind, d) in part.map_err(ApplyError::Bad)? {
                let bytes = checked
                    .next()
                    .ok_or_else(|| ApplyError::Bad("not every entry was checked".into()))?;
                records.push(NewRecord {
                    kind,
                    issuer: issuer.to_owned(),
                    bytes,
                });
                decoded.extend(d);
            }
        }
        if records.len() != count {
            return Err(ApplyError::Bad("not every entry was checked".into()));
        }
        Ok((records, decoded))
    }

    pub(super) fn check_part(
        &self,
        issuer: &str,
        first: usize,
        part: &[Vec<u8>],
        resolver: &KeyResolver,
        options: &VerifyOptions,
    ) -> Result<CheckedPart, String> {
        let mut docs = Vec::with_capacity(part.len());
        let mut kinds = Vec::with_capacity(part.len());
        for (j, bytes) in part.iter().enumerate() {
            let i = first + j;
            if bytes.len() > MAX_RECORD_BYTES {
                return Err(format!("entry {i} is larger than {MAX_RECORD_BYTES} bytes"));
            }
            let doc: Value =
                serde_json::from_slice(bytes).map_err(|e| format!("entry {i}: {e}"))?;
            let text = |k: &str| doc.get(k).and_then(Value::as_str);
            let kind = text("type")
                .and_then(RecordKind::parse)
                .ok_or_else(|| format!("entry {i} is not a record of a known type"))?;
            if text("issuer") != Some(issuer) {
                return Err(format!("entry {i} is not a record of {issuer}"));
            }
            if text("issued").is_none() || doc.get("body").is_none() {
                return Err(format!("entry {i} lacks `issued` or `body`"));
            }
            kinds.push(kind);
            docs.push(doc);
        }
        for (j, r) in self
            .di
            .verify_batch(docs.iter(), resolver, options)
            .into_iter()
            .enumerate()
        {
            match r {
                Ok(v) if v.issuer_proof().is_some() => {}
                Ok(_) => return Err(format!("entry {} is not signed by its issuer", first + j)),
                Err(e) => return Err(format!("entry {}: {e}", first + j)),
            }
        }
        kinds
            .into_iter()
            .zip(docs)
            .zip(part)
            .enumerate()
            .map(|(j, ((kind, doc), bytes))| {
                let d =
                    decode(kind, &doc, bytes).map_err(|e| format!("entry {}: {e}", first + j))?;
                Ok((kind, d))
            })
            .collect()
    }

    /// Adds replicated definitions, stacks and memberships to the in-memory indexes (one lock
    /// each). Returns whether trust changed.
    pub(super) fn index_replicated(&self, decoded: Vec<Decoded>) -> Result<bool, NodeError> {
        let mut trust_changed = false;
        let mut catalog = self.catalog.write()?;
        let mut memberships = Vec::new();
        let mut counted = Vec::new();
        for d in decoded {
            match d {
                Decoded::Def(id, issuer, issued, def, bytes) => {
                    catalog.insert(id, issuer, issued, def, bytes);
                }
                Decoded::Stack(id, issuer, issued, stack, bytes) => {
                    catalog.insert_stack(crate::StackEntry {
                        id,
                        issuer,
                        issued,
                        stack,
                        record: bytes,
                    })
                }
                Decoded::Membership(issuer, issued, m) => memberships.push((issuer, issued, m)),
                other => counted.push(other),
            }
        }
        drop(catalog);
        if !counted.is_empty() {
            // Revocations look their receipt up in the store (written before indexing).
            let revoked: Vec<Option<String>> = counted
                .iter()
                .map(|d| match d {
                    Decoded::Revocation(issuer, award) => self.revoked_definition(issuer, award),
                    _ => None,
                })
                .collect();
            let mut stats = self.catalog.stats_mut()?;
            for (d, def) in counted.into_iter().zip(revoked) {
                match d {
                    Decoded::Receipt(def, review) => stats.issued(&def, review),
                    Decoded::Endorsement(subject) => stats.endorsed(&subject),
                    Decoded::ReviewStatistics(issuer, issued, r) => {
                        stats.reviewed(&issuer, &issued, r)
                    }
                    _ => {
                        if let Some(def) = def {
                            stats.revoked(&def);
                        }
                    }
                }
            }
        }
        if !memberships.is_empty() {
            let mut book = self.trust.book_mut()?;
            for (issuer, issued, m) in memberships {
                trust_changed |= book.add(&self.settings().federation, &issuer, &issued, m);
            }
        }
        Ok(trust_changed)
    }
}
