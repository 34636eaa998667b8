//! Offline bundles: one award plus everything needed to verify it with no network, for a
//! principal checking a transferred teacher's badge on a laptop (or a node that does not
//! replicate the issuer).
//!
//! A bundle holds, all signed by the issuer unless said otherwise:
//! - the award (`eddsa-rdfc-2022`);
//! - the issuer's profile record, and the membership records anchors published for it (signed
//!   by the anchors); the key is the `did:key` itself (no key rotation exists yet, so the key
//!   history is that one key);
//! - the definition record the award is for;
//! - the award's receipt record, the issuer's checkpoint, and the receipt's inclusion proof in
//!   that checkpoint (the award is on the issuer's books, not back-dated or off the books);
//! - the issuer's signed `BitstringStatusListCredential` at bundle time (the status snapshot).
//!
//! [`verify_bundle`] (in `offline.rs`, over the same checks as a node's verification) needs only the JSON-LD contexts (pinned locally), so the CLI runs it
//! without a node. Checkpoint co-signatures (witnesses) do not exist in credreg yet; the
//! checkpoint is the issuer's own.

use crate::error::internal;
use crate::ledger::CheckpointJson;
use crate::node::Node;
use credreg_model::RecordKind;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use super::offline::verify_bundle;

/// The bundle's `type`.
pub use credreg_wire::bundle::BUNDLE_TYPE;

/// An offline verification bundle.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    /// [`BUNDLE_TYPE`].
    #[serde(rename = "type")]
    pub kind: String,
    /// Format version (1).
    pub version: u32,
    /// When it was made (RFC 3339).
    pub created: String,
    /// The signed award.
    pub credential: Value,
    /// The issuer's newest `IssuerProfile` record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer_profile: Option<Value>,
    /// `Membership` records anchors published for the issuer.
    #[serde(default)]
    pub memberships: Vec<Value>,
    /// The `CredentialDef` record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition: Option<Value>,
    /// The `AwardReceipt` record.
    pub receipt: Value,
    /// The issuer's signed checkpoint.
    pub checkpoint: CheckpointJson,
    /// The receipt's position and inclusion proof (hex hashes) at the checkpoint's size.
    pub inclusion: BundleInclusion,
    /// The signed status list credential.
    pub status_list: Value,
}

/// An inclusion proof in a bundle.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleInclusion {
    /// Entry index.
    pub index: u64,
    /// Sibling hashes, leaf to root, hex.
    pub proof: Vec<String>,
}

impl Node {
    /// The offline bundle of one of this node's awards (`None` if it has no such award).
    pub fn award_bundle(&self, award_id: &str) -> Result<Option<Bundle>, crate::NodeError> {
        let Some(award) = self.store.award(award_id)? else {
            return Ok(None);
        };
        let state = self
            .store
            .award_state(award_id)?
            .ok_or_else(|| internal("award without state"))?;
        let receipt = self
            .store
            .record(&state.receipt_id)?
            .ok_or_else(|| internal("receipt missing"))?;
        let checkpoint = self
            .checkpoint(self.did())?
            .ok_or_else(|| internal("no checkpoint"))?;
        let inclusion = self.inclusion(
            self.did(),
            None,
            Some(&state.receipt_id),
            Some(checkpoint.size),
        )?;
        let json = |b: &[u8]| serde_json::from_slice::<Value>(b).map_err(internal);
        let mut issuer_profile = None;
        for item in self.store.records_of_kind(RecordKind::IssuerProfile) {
            let (_, bytes) = item?;
            let doc = json(&bytes)?;
            if doc.get("issuer").and_then(Value::as_str) == Some(self.did()) {
                issuer_profile = Some(doc); // the newest wins
            }
        }
        let anchors = &self.settings().federation.anchors;
        let mut memberships = Vec::new();
        for item in self.store.records_of_kind(RecordKind::Membership) {
            let (_, bytes) = item?;
            let doc = json(&bytes)?;
            let by_anchor = doc
                .get("issuer")
                .and_then(Value::as_str)
                .is_some_and(|i| anchors.iter().any(|a| a == i));
            if by_anchor && doc.pointer("/body/member").and_then(Value::as_str) == Some(self.did())
            {
                memberships.push(doc);
            }
        }
        let definition = match self.definition(&state.credential_id)? {
            Some(d) => Some(json(&d.record)?),
            None => None,
        };
        Ok(Some(Bundle {
            kind: BUNDLE_TYPE.to_owned(),
            version: 1,
            created: self.now_rfc3339(),
            credential: json(&award)?,
            issuer_profile,
            memberships,
            definition,
            receipt: json(&receipt)?,
            checkpoint,
            inclusion: BundleInclusion {
                index: inclusion.index,
                proof: inclusion.proof,
            },
            status_list: json(&self.status_list_credential(state.status_list)?)?,
        }))
    }
}
