//! Replicas of other issuers' logs: what a node accepts from peers, how it checks it, and
//! what it serves to them. Synchronous and network-free (the driver in [`crate::federation`]
//! moves the bytes); every function here takes untrusted input and never panics on it.
//!
//! The rules:
//! - Only logs of trusted issuers are replicated ([`crate::trust`]); anything else is dropped
//!   and counted.
//! - A checkpoint is accepted only if it is signed by the key of its issuer's `did:key`.
//! - Entries are appended only as a verified prefix of a signed checkpoint: each page is
//!   checked record by record (shape, issuer, `eddsa-jcs-2022` signature) and then as a tree,
//!   either against the checkpoint's root (last page) or with a consistency proof from the
//!   page's end to the checkpoint (earlier pages). Each page is one atomic write. Because the
//!   new tree is computed on top of the stored one, a page that verifies is also consistent
//!   with every checkpoint stored before.
//! - Two checkpoints that cannot both be true become evidence anyone can check
//!   ([`credreg_log::verify_evidence`]), stored and gossiped.

mod pages;
mod serve;
pub(crate) mod state;

use crate::catalog::{SearchPage, SearchQuery};
use crate::error::{internal, NodeError};
use crate::ledger::CheckpointJson;
use crate::node::{decode_record, Node};
use crate::trust::Trust;
use credreg_log::{Hash, NodeSource, SignedCheckpoint};
use credreg_model::{CredentialDef, Membership, RecordKind, Stack};
use credreg_proof::{KeyResolver, VerifyOptions};
use credreg_store::{LogNodes, NewRecord, StoreError};
use credreg_wire::sync::{self as wire, SyncRequest, SyncResponse};
pub use pages::CheckedPage;
use pages::{Decoded, Overlay};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;

pub use credreg_wire::gossip::{
    Announcement, EvidenceJson, GossipMessage, ANNOUNCE_MAX_BYTES, ANNOUNCE_MAX_ENTRIES,
    MAX_CLOCK_SKEW_SECS, MAX_GOSSIP_AGE_SECS, MAX_RECORD_BYTES,
};

/// Why a checkpoint from outside was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// Not a checkpoint (fields, encodings).
    #[error(transparent)]
    Decode(#[from] credreg_wire::log::CheckpointDecodeError),
    /// Its issuer is not a `did:key`, so its key cannot be known offline.
    #[error("the issuer is not a did:key this node can check")]
    NotDidKey,
    /// Signed by a key that is not its issuer's.
    #[error("the checkpoint is not signed by its issuer's key")]
    WrongKey,
    /// The signature does not verify.
    #[error("the checkpoint's signature does not verify: {0}")]
    Signature(String),
}

/// Why equivocation evidence does not prove equivocation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvidenceError {
    /// One of its checkpoints is not genuine.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// Its checkpoints are of another issuer than it names.
    #[error("the evidence names another issuer than its checkpoints")]
    OtherIssuer,
    /// A hash is not 32 bytes of hex.
    #[error("bad hash: {0}")]
    BadHash(String),
    /// The checkpoints can both be true.
    #[error("{0}")]
    Consistent(String),
}

/// Checks equivocation evidence; returns the reason it proves equivocation.
pub fn verify_evidence(e: &EvidenceJson) -> Result<String, EvidenceError> {
    let a = checked_checkpoint(&e.first)?;
    let b = checked_checkpoint(&e.second)?;
    if a.checkpoint.issuer != e.issuer {
        return Err(EvidenceError::OtherIssuer);
    }
    let alt = e.alt_root.as_deref().map(hash_hex).transpose()?;
    let proof = e
        .proof
        .iter()
        .map(|h| hash_hex(h))
        .collect::<Result<Vec<_>, _>>()?;
    credreg_log::verify_evidence(&a, &b, alt.as_ref(), &proof)
        .map_err(|err| EvidenceError::Consistent(err.to_string()))
}

fn hash_hex(s: &str) -> Result<Hash, EvidenceError> {
    let v = hex::decode(s).map_err(|err| EvidenceError::BadHash(err.to_string()))?;
    v.try_into()
        .map_err(|_| EvidenceError::BadHash("a hash must be 32 bytes".to_owned()))
}

/// Why something from a peer was refused (also the metric label).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// Not JSON, or not the expected shape.
    Malformed,
    /// Too large.
    Oversized,
    /// A signature or root that does not verify.
    Forged,
    /// An old message sent again.
    Replayed,
    /// From an issuer this node does not trust.
    Untrusted,
}

impl Refusal {
    /// Metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::Oversized => "oversized",
            Self::Forged => "forged",
            Self::Replayed => "replayed",
            Self::Untrusted => "untrusted",
        }
    }
}

/// A checkpoint this node wants to catch up to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The verified checkpoint.
    pub checkpoint: SignedCheckpoint,
    /// Its JSON bytes (stored once reached).
    pub bytes: Vec<u8>,
}

impl Target {
    /// Issuer DID.
    pub fn issuer(&self) -> &str {
        &self.checkpoint.checkpoint.issuer
    }
    /// Log size.
    pub fn size(&self) -> u64 {
        self.checkpoint.checkpoint.size
    }
}

/// What handling a gossip message (or a peer's summary) led to.
#[derive(Debug, Default)]
pub struct GossipOutcome {
    /// Verdict (`None` means accept).
    pub refusal: Option<Refusal>,
    /// Not an offence, just nothing to do.
    pub ignored: bool,
    /// One sentence for logs.
    pub note: String,
    /// A checkpoint ahead of the replica: fetch up to it.
    pub fetch: Option<Target>,
    /// New evidence to gossip (JSON of a [`GossipMessage::Evidence`]).
    pub evidence: Option<Vec<u8>>,
    /// Entries stored.
    pub stored: u64,
    /// A membership changed who is trusted: compare summaries with peers again.
    pub trust_changed: bool,
}

impl GossipOutcome {
    fn refuse(refusal: Refusal, note: impl Into<String>) -> Self {
        Self {
            refusal: Some(refusal),
            note: note.into(),
            ..Self::default()
        }
    }
    fn ignore(note: impl Into<String>) -> Self {
        Self {
            ignored: true,
            note: note.into(),
            ..Self::default()
        }
    }

    /// The gossip verdict.
    pub fn verdict(&self) -> GossipVerdict {
        match (self.refusal, self.ignored) {
            (Some(_), _) => GossipVerdict::Reject,
            (None, true) => GossipVerdict::Ignore,
            (None, false) => GossipVerdict::Accept,
        }
    }
}

/// The node's judgement of a gossip message; the federation driver passes it to the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GossipVerdict {
    /// Checked and stored: forward it.
    Accept,
    /// Harmless but not worth forwarding (already known, or not ours to judge).
    Ignore,
    /// Forged, malformed, oversized or untrusted: drop it and lower the sender's score.
    Reject,
}

/// Why a page of entries could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The serving peer sent bad data (penalize it, try another).
    #[error("{0}")]
    Bad(String),
    /// The replica moved meanwhile (another sync): restart from its new size.
    #[error("the replica moved on")]
    Moved,
    /// This node failed.
    #[error(transparent)]
    Node(#[from] NodeError),
}

/// Verifies a checkpoint from outside: well-formed, key of its issuer's `did:key`, signature.
pub fn checked_checkpoint(json: &CheckpointJson) -> Result<SignedCheckpoint, CheckpointError> {
    let signed = json.to_signed()?;
    let expected = did_key_public(&signed.checkpoint.issuer).ok_or(CheckpointError::NotDidKey)?;
    if expected != signed.key {
        return Err(CheckpointError::WrongKey);
    }
    signed
        .verify()
        .map_err(|e| CheckpointError::Signature(e.to_string()))?;
    Ok(signed)
}

pub use credreg_proof::keys::did_key_public;

impl Node {
    /// Searches this node's own catalog (`federation` false) or every replicated catalog of
    /// an issuer it trusts now (`federation` true).
    pub fn search_scoped(
        &self,
        query: SearchQuery,
        federation: bool,
    ) -> Result<SearchPage, NodeError> {
        let catalog = self.catalog.read()?;
        let allowed = if federation {
            catalog
                .issuers()
                .into_iter()
                .filter(|i| self.trust_of(i).status.is_trusted())
                .collect()
        } else {
            std::iter::once(self.did().to_owned()).collect()
        };
        Ok(catalog.search(&SearchQuery {
            issuers: Some(allowed),
            ..query
        }))
    }

    /// An issuer's display name, from its newest profile held here.
    pub fn issuer_name(&self, did: &str) -> Option<String> {
        if did == self.did() {
            return Some(self.settings().name.clone());
        }
        self.profile_of(did).ok().flatten().map(|p| p.name)
    }

    /// Every known issuer with its profile, trust, replica and any equivocation evidence.
    pub fn issuers(&self) -> Result<Vec<IssuerView>, NodeError> {
        let mut profiles: HashMap<String, credreg_model::IssuerProfile> = HashMap::new();
        for item in self.store.records_of_kind(RecordKind::IssuerProfile) {
            let (_, bytes) = item?;
            let (rec, p) = decode_record::<credreg_model::IssuerProfile>(&bytes)?;
            profiles.insert(rec.issuer, p); // stored in order: the newest wins
        }
        let mut out = Vec::new();
        for did in self.known_issuers()? {
            let profile = profiles.remove(&did);
            let checkpoint = self.checkpoint(&did)?;
            out.push(IssuerView {
                trust: self.trust_of(&did),
                name: profile.as_ref().map(|p| p.name.clone()),
                kind: profile.as_ref().map(|p| p.kind.clone()),
                peer_id: profile.as_ref().and_then(|p| p.peer_id.clone()),
                url: profile.and_then(|p| p.url),
                log_size: self.store.log_size(&did)?,
                checkpoint_size: checkpoint.as_ref().map(|c| c.size),
                checkpoint_time: checkpoint.map(|c| c.timestamp),
                equivocations: self.evidence_about(&did)?,
                did,
            });
        }
        Ok(out)
    }

    /// Handles a gossip message (already size-capped by the transport).
    pub fn on_gossip(&self, data: &[u8]) -> GossipOutcome {
        let message: GossipMessage = match serde_json::from_slice(data) {
            Ok(m) => m,
            Err(e) => {
                return GossipOutcome::refuse(
                    Refusal::Malformed,
                    format!("not a credreg message: {e}"),
                )
            }
        };
        match message {
            GossipMessage::Evidence(e) => self.on_evidence(&e),
            GossipMessage::Announce(a) => self.on_announcement(a),
        }
    }

    fn on_announcement(&self, a: Announcement) -> GossipOutcome {
        let total: usize = a.entries.iter().map(String::len).sum();
        if a.entries.len() as u64 > ANNOUNCE_MAX_ENTRIES
            || total > ANNOUNCE_MAX_BYTES
            || a.entries.iter().any(|e| e.len() > MAX_RECORD_BYTES)
        {
            return GossipOutcome::refuse(
                Refusal::Oversized,
                format!(
                    "{} entries, {total} bytes: more than an announcement may carry",
                    a.entries.len()
                ),
            );
        }
        let now = self.settings().env.unix_now();
        let ts = a.checkpoint.timestamp;
        if ts.saturating_add(MAX_GOSSIP_AGE_SECS) < now {
            return GossipOutcome::refuse(
                Refusal::Replayed,
                format!("a checkpoint signed {}s ago, gossiped again", now - ts),
            );
        }
        if ts > now.saturating_add(MAX_CLOCK_SKEW_SECS) {
            return GossipOutcome::refuse(Refusal::Forged, "a checkpoint dated in the future");
        }
        let mut outcome = self.on_checkpoint(&a.checkpoint);
        let Some(target) = outcome.fetch.take() else {
            return outcome;
        };
        let (Some(from), false) = (a.from, a.entries.is_empty()) else {
            // A bare checkpoint: signature and trust checked, so it may travel on.
            outcome.fetch = Some(target);
            return outcome;
        };
        let entries: Vec<Vec<u8>> = a.entries.into_iter().map(String::into_bytes).collect();
        if from.checked_add(entries.len() as u64) != Some(target.size()) {
            return GossipOutcome::refuse(
                Refusal::Malformed,
                "the entries do not end at the checkpoint's size",
            );
        }
        let (from, entries) = match self.store.log_size(target.issuer()) {
            Ok(size) if size == from => (from, entries),
            Ok(size) if from < size => match self.overlapping(&target, from, &entries, size) {
                Ok(Overlap::Extends) => {
                    let skip = (size - from) as usize;
                    (size, entries.into_iter().skip(skip).collect())
                }
                Ok(Overlap::Conflict(evidence)) => return self.record_evidence(evidence),
                Ok(Overlap::Unsure) => {
                    let mut o = GossipOutcome::ignore("overlaps a catch-up in progress");
                    o.fetch = Some(target);
                    return o;
                }
                Err(why) => return GossipOutcome::refuse(Refusal::Forged, why),
            },
            Ok(_) => {
                // Behind `from`: this node cannot check the entries, so it does not forward
                // them, but it fetches what it misses.
                let mut o = GossipOutcome::ignore("entries start after the end of this replica");
                o.fetch = Some(target);
                return o;
            }
            Err(e) => return GossipOutcome::ignore(format!("store: {e}")),
        };
        match self.apply_entries(&target, from, entries, &[]) {
            Ok(o) => o,
            Err(ApplyError::Bad(why)) => GossipOutcome::refuse(Refusal::Forged, why),
            Err(ApplyError::Moved) => {
                let mut o = GossipOutcome::ignore("replica moved meanwhile");
                o.fetch = Some(target);
                o
            }
            Err(ApplyError::Node(e)) => GossipOutcome::ignore(format!("this node failed: {e}")),
        }
    }

    /// Checks announced entries `from..n` that overlap this replica (`from < size`): they are
    /// laid over the stored tree from `from` on. If they produce the signed root, the issuer
    /// signed that tree; then either its prefix at this node's checkpoint matches (the
    /// announcement extends the replica) or it does not (equivocation, with evidence anyone can
    /// check). `Err` means the entries do not produce the signed root.
    fn overlapping(
        &self,
        target: &Target,
        from: u64,
        entries: &[Vec<u8>],
        size: u64,
    ) -> Result<Overlap, String> {
        let issuer = target.issuer();
        let n = target.size();
        let mut overlay = Overlay {
            base: self.store.log_nodes(issuer),
            added: HashMap::new(),
        };
        let failed = |e: StoreError| format!("this node's tree: {e}");
        for (i, e) in entries.iter().enumerate() {
            for (level, index, hash) in
                credreg_log::appended_nodes(&overlay, from + i as u64, credreg_log::leaf_hash(e))
                    .map_err(failed)?
            {
                overlay.added.insert((level, index), hash);
            }
        }
        if credreg_log::root(&overlay, n).map_err(failed)? != target.checkpoint.checkpoint.root {
            return Err("the entries do not produce the checkpoint's root".into());
        }
        let ours = match self.checkpoint(issuer) {
            Ok(Some(c)) => c,
            _ => return Ok(Overlap::Unsure),
        };
        if ours.size > size || ours.size > n || ours.size == 0 {
            return Ok(Overlap::Unsure);
        }
        let Ok(our_signed) = ours.to_signed() else {
            return Ok(Overlap::Unsure);
        };
        let alt = credreg_log::root(&overlay, ours.size).map_err(failed)?;
        if alt == our_signed.checkpoint.root {
            // The signed tree extends our checkpoint; the stored entries between our
            // checkpoint and `size` were verified against another signed tree of the same
            // issuer, so compare them too.
            let stored = credreg_log::root(&self.store.log_nodes(issuer), size).map_err(failed)?;
            return if credreg_log::root(&overlay, size).map_err(failed)? == stored {
                Ok(Overlap::Extends)
            } else {
                Ok(Overlap::Unsure)
            };
        }
        let proof = credreg_log::consistency_proof(&overlay, ours.size, n)
            .map_err(failed)?
            .unwrap_or_default();
        let sizes_differ = ours.size != n;
        Ok(Overlap::Conflict(Box::new(EvidenceJson {
            issuer: issuer.to_owned(),
            first: ours,
            second: CheckpointJson::of(&target.checkpoint),
            alt_root: sizes_differ.then(|| hex::encode(alt)),
            proof: if sizes_differ {
                proof.iter().map(hex::encode).collect()
            } else {
                Vec::new()
            },
            reason: String::new(),
        })))
    }

    /// Judges a checkpoint (from gossip or a peer's summaries): verified, trusted, then
    /// compared with the replica. `fetch` is set when it is ahead.
    pub fn on_checkpoint(&self, json: &CheckpointJson) -> GossipOutcome {
        let signed = match checked_checkpoint(json) {
            Ok(s) => s,
            Err(why) => return GossipOutcome::refuse(Refusal::Forged, why.to_string()),
        };
        let issuer = signed.checkpoint.issuer.clone();
        if issuer == self.did() {
            return GossipOutcome::ignore("this node's own checkpoint");
        }
        let trust = self.trust_of(&issuer);
        if !trust.status.is_trusted() {
            return GossipOutcome::refuse(
                Refusal::Untrusted,
                format!("{issuer} is {}", trust.status.as_str()),
            );
        }
        let bytes = match serde_json::to_vec(json) {
            Ok(b) => b,
            Err(e) => return GossipOutcome::ignore(format!("cannot encode: {e}")),
        };
        match self.compare(&signed) {
            Ok(Compared::Ahead) => GossipOutcome {
                fetch: Some(Target {
                    checkpoint: signed,
                    bytes,
                }),
                note: "ahead of the replica".into(),
                ..GossipOutcome::default()
            },
            Ok(Compared::Known) => GossipOutcome::ignore("already known"),
            Ok(Compared::Unsure) => GossipOutcome::ignore("inside a catch-up in progress"),
            Ok(Compared::Conflict(evidence)) => self.record_evidence(evidence),
            Err(e) => GossipOutcome::ignore(format!("this node failed: {e}")),
        }
    }

    fn compare(&self, theirs: &SignedCheckpoint) -> Result<Compared, NodeError> {
        let issuer = &theirs.checkpoint.issuer;
        let n = theirs.checkpoint.size;
        let size = self.store.log_size(issuer)?;
        if n > size {
            return Ok(Compared::Ahead);
        }
        let ours = match self.checkpoint(issuer)? {
            Some(c) => c,
            None if n == 0 => return Ok(Compared::Known),
            None => return Ok(Compared::Unsure),
        };
        let our_signed = ours.to_signed().map_err(internal)?;
        let nodes = self.store.log_nodes(issuer);
        let root_n = credreg_log::root(&nodes, n)?;
        if root_n == theirs.checkpoint.root {
            return Ok(Compared::Known);
        }
        if n > ours.size {
            // Between our signed checkpoint and a catch-up's verified pages.
            return Ok(Compared::Unsure);
        }
        let (alt_root, proof) = if n == ours.size {
            (None, Vec::new())
        } else {
            let proof = credreg_log::consistency_proof(&nodes, n, ours.size)?
                .ok_or_else(|| internal("no consistency proof"))?;
            (Some(root_n), proof)
        };
        let evidence = EvidenceJson {
            issuer: issuer.clone(),
            first: CheckpointJson::of(theirs),
            second: CheckpointJson::of(&our_signed),
            alt_root: alt_root.map(hex::encode),
            proof: proof.iter().map(hex::encode).collect(),
            reason: String::new(),
        };
        Ok(Compared::Conflict(Box::new(evidence)))
    }

    fn on_evidence(&self, e: &EvidenceJson) -> GossipOutcome {
        if e.proof.len() > 128 {
            return GossipOutcome::refuse(Refusal::Oversized, "a proof longer than any log's");
        }
        match verify_evidence(e) {
            Ok(_) => self.record_evidence(Box::new(e.clone())),
            Err(why) => GossipOutcome::refuse(Refusal::Forged, format!("not evidence: {why}")),
        }
    }

    /// Decides whether entries `0..n` a peer served for `target` (whose pages did not fit this
    /// replica) are a fork the issuer signed (evidence: `Ok(Some)`, the peer is innocent) or
    /// not (`Err`: the peer served bad data). `Ok(None)`: they extend this replica after all.
    pub fn fork_evidence(
        &self,
        target: &Target,
        entries: &[Vec<u8>],
    ) -> Result<Option<GossipOutcome>, String> {
        let n = target.size();
        if entries.len() as u64 != n {
            return Err(format!("{} entries served for a log of {n}", entries.len()));
        }
        let mut fork = credreg_log::MemoryLog::new();
        for e in entries {
            fork.append(e);
        }
        if fork.root_at(n) != Some(target.checkpoint.checkpoint.root) {
            return Err("the entries do not produce the checkpoint's root".into());
        }
        let ours = match self.checkpoint(target.issuer()) {
            Ok(Some(c)) if c.size > 0 && c.size <= n => c,
            _ => return Ok(None),
        };
        let alt = fork.root_at(ours.size).ok_or("the fork is shorter")?;
        let signed = ours.to_signed().map_err(|e| e.to_string())?;
        if alt == signed.checkpoint.root {
            return Ok(None);
        }
        let sizes_differ = ours.size != n;
        let proof = if sizes_differ {
            credreg_log::consistency_proof(&fork, ours.size, n)
                .map_err(|_| "no proof in the fork")?
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        Ok(Some(self.record_evidence(Box::new(EvidenceJson {
            issuer: target.issuer().to_owned(),
            first: ours,
            second: CheckpointJson::of(&target.checkpoint),
            alt_root: sizes_differ.then(|| hex::encode(alt)),
            proof: proof.iter().map(hex::encode).collect(),
            reason: String::new(),
        }))))
    }

    fn record_evidence(&self, mut evidence: Box<EvidenceJson>) -> GossipOutcome {
        let reason = match verify_evidence(&evidence) {
            Ok(r) => r,
            Err(why) => return GossipOutcome::ignore(format!("could not build evidence: {why}")),
        };
        evidence.reason = reason.clone();
        // Stored in a canonical order so the same conflict found twice is stored once.
        if (evidence.first.size, &evidence.first.root)
            > (evidence.second.size, &evidence.second.root)
        {
            let e = &mut *evidence;
            std::mem::swap(&mut e.first, &mut e.second);
        }
        let Ok(bytes) = serde_json::to_vec(&GossipMessage::Evidence(*evidence.clone())) else {
            return GossipOutcome::ignore("cannot encode evidence");
        };
        match self.store.put_evidence(&evidence.issuer, &bytes) {
            Ok(true) => GossipOutcome {
                refusal: None,
                ignored: false,
                note: format!("{} equivocated: {reason}", evidence.issuer),
                evidence: Some(bytes),
                ..GossipOutcome::default()
            },
            Ok(false) => GossipOutcome::ignore("evidence already held"),
            Err(e) => GossipOutcome::ignore(format!("store: {e}")),
        }
    }

    /// Equivocation evidence held about `issuer`.
    pub fn evidence_about(&self, issuer: &str) -> Result<Vec<EvidenceJson>, NodeError> {
        let mut out = Vec::new();
        for bytes in self.store.evidence_about(issuer)? {
            if let Ok(GossipMessage::Evidence(e)) = serde_json::from_slice(&bytes) {
                out.push(e);
            }
        }
        Ok(out)
    }
}

/// An issuer as `GET /api/v1/issuers` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct IssuerView {
    /// DID.
    pub did: String,
    /// Trust status and who vouches.
    pub trust: Trust,
    /// Name from its newest replicated profile.
    pub name: Option<String>,
    /// Kind from its profile.
    pub kind: Option<String>,
    /// Its node's web address.
    pub url: Option<String>,
    /// Its node's libp2p peer id, as its signed profile states.
    pub peer_id: Option<String>,
    /// Entries of its log held here.
    pub log_size: u64,
    /// Size of the newest checkpoint held.
    pub checkpoint_size: Option<u64>,
    /// Its time (Unix seconds).
    pub checkpoint_time: Option<u64>,
    /// Evidence that it signed inconsistent checkpoints (empty for honest issuers).
    pub equivocations: Vec<EvidenceJson>,
}

/// Each checked record's kind, and its decoded body when the indexes need it.
type CheckedPart = Vec<(RecordKind, Option<Decoded>)>;

enum Overlap {
    Extends,
    Conflict(Box<EvidenceJson>),
    Unsure,
}

enum Compared {
    Ahead,
    Known,
    Unsure,
    Conflict(Box<EvidenceJson>),
}
