//! Who this node trusts: its federation's anchors (from config), the members their
//! `Membership` records vouch for, and the operator's allow and deny lists.
//!
//! Trust decides what is replicated (records of anyone else are dropped), what federated
//! search shows, and what verification reports about an award's issuer.

pub(crate) mod book;

pub(crate) use book::current;
pub use book::{FederationSettings, Trust, TrustBook, TrustStatus};

use crate::error::{internal, NodeError};
use crate::node::{decode_record, Node, Published};
use credreg_model::{Errors, IssuerProfile, Membership, RecordKind, Validate};
use credreg_wire::log::CheckpointJson;
use std::sync::Arc;

impl Node {
    pub(crate) fn load_memberships(&self) -> Result<(), NodeError> {
        let mut book = self.trust.book_mut()?;
        for item in self.store.records_of_kind(RecordKind::Membership) {
            let (_, bytes) = item?;
            let (rec, m) = decode_record::<Membership>(&bytes)?;
            book.add(&self.settings().federation, &rec.issuer, &rec.issued, m);
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
            let mut book = self.trust.book_mut()?;
            book.add(&self.settings().federation, self.did(), &issued, m);
        }
        self.sign_checkpoint()?;
        Ok(Published {
            id,
            bytes: Arc::new(record.bytes),
        })
    }

    /// The memberships this node has vouched for, the newest record per member (an ended one
    /// has `valid_until` set), oldest member first.
    pub fn memberships_vouched(&self) -> Result<Vec<Membership>, NodeError> {
        let mut newest: Vec<Membership> = Vec::new();
        for item in self
            .store
            .records_of_kind(credreg_model::RecordKind::Membership)
        {
            let (_, bytes) = item?;
            let (rec, m) = crate::node::decode_record::<Membership>(&bytes)?;
            if rec.issuer != self.did() {
                continue;
            }
            match newest
                .iter_mut()
                .find(|x| x.member == m.member && x.federation == m.federation)
            {
                Some(x) => *x = m, // stored in order: the newest wins
                None => newest.push(m),
            }
        }
        Ok(newest)
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

    /// The trust status of an issuer now.
    pub fn trust_of(&self, did: &str) -> Trust {
        // A poisoned book is still the last consistent one (every change is one `add`).
        let book = match self.trust.book.read() {
            Ok(b) => b,
            Err(p) => p.into_inner(),
        };
        book.trust_of(&self.settings().federation, self.did(), did, self.now())
    }

    /// Every issuer this node knows of: anchors, members, allow/deny-listed, and anyone whose
    /// log it holds.
    pub fn known_issuers(&self) -> Result<Vec<String>, NodeError> {
        let f = &self.settings().federation;
        let mut all: Vec<String> = vec![self.did().to_owned()];
        all.extend(f.anchors.iter().cloned());
        all.extend(f.allow.iter().cloned());
        all.extend(f.deny.iter().cloned());
        {
            let book = self.trust.book()?;
            all.extend(book.members().map(str::to_owned));
        }
        for item in self.store.checkpoints() {
            let (_, bytes) = item?;
            if let Ok(cp) = serde_json::from_slice::<CheckpointJson>(&bytes) {
                all.push(cp.issuer);
            }
        }
        all.sort();
        all.dedup();
        Ok(all)
    }
}
