//! The node as an evidence source: its own records (award states, status lists, its log) and
//! the logs it replicates of issuers it trusts.

use super::source::{BitstringEntry, DefinitionFinding, EvidenceSource, TrustFinding};
use super::{CheckResult, CheckStatus};
use crate::node::Node;
use crate::trust::{Trust, TrustStatus};
use credreg_proof::CredentialFacts;
use serde_json::Value;

/// The largest position a status list of this node holds.
const OWN_LIST_BITS: u64 = credreg_store::STATUS_LIST_BITS;

/// What one node holds about one issuer.
pub(crate) struct NodeEvidence<'a> {
    node: &'a Node,
    /// Status lists fetched for this verification.
    outside: &'a super::outside::OutsideDocuments,
    /// The issuer is this node.
    ours: bool,
    /// This node replicates the issuer's log (a trusted issuer whose entries it holds).
    replicated: bool,
    trust: Trust,
    equivocated: bool,
}

impl<'a> NodeEvidence<'a> {
    /// What `node` holds about `issuer`, looked up once for all the checks.
    pub(crate) fn about(
        node: &'a Node,
        issuer: &str,
        outside: &'a super::outside::OutsideDocuments,
    ) -> Self {
        let ours = issuer == node.did();
        let trust = node.trust_of(issuer);
        let equivocated = node.evidence_about(issuer).is_ok_and(|e| !e.is_empty());
        let replicated =
            !ours && trust.status.is_trusted() && node.store.log_size(issuer).is_ok_and(|n| n > 0);
        Self {
            node,
            outside,
            ours,
            replicated,
            trust,
            equivocated,
        }
    }
}

impl EvidenceSource for NodeEvidence<'_> {
    fn trust(&self, _issuer: &str) -> TrustFinding {
        TrustFinding {
            check: trusted_check(
                &self.trust,
                self.equivocated,
                &self.node.settings().federation.name,
            ),
            status: self.trust.status.as_str(),
            anchor: self.trust.anchor.clone(),
            equivocated: self.equivocated,
            published_name: None,
        }
    }

    fn recorded_status(&self, issuer: &str, id: &str) -> Option<CheckResult> {
        if self.ours {
            let state = self.node.store.award_state(id).ok().flatten()?;
            return Some(match state.revocation {
                Some(r) => CheckResult::new(
                    "status",
                    CheckStatus::Fail,
                    Some(format!(
                        "The issuer revoked this credential on {}: {}.",
                        r.revoked_at,
                        r.reason.trim_end_matches('.')
                    )),
                ),
                None => CheckResult::new(
                    "status",
                    CheckStatus::Pass,
                    Some("not revoked (checked against this node's own records)".to_owned()),
                ),
            });
        }
        if self.replicated {
            return self.replicated_revocation(id, issuer);
        }
        None
    }

    fn list_status(
        &self,
        facts: &CredentialFacts,
        issuer: &str,
        entry: &BitstringEntry<'_>,
    ) -> CheckResult {
        let own_list =
            credreg_wire::urls::status_list_number(&self.node.settings().public_url, entry.list);
        match (self.ours, own_list) {
            (true, Some(n)) => self.own_status(facts, n, entry.index),
            _ if self.replicated => self.replicated_not_revoked(issuer),
            _ => match self.outside.get(entry.list) {
                Some(Ok((bytes, age))) => self.fetched_status(issuer, entry, bytes, *age),
                Some(Err(why)) => CheckResult::new(
                    "status",
                    CheckStatus::Warn,
                    Some(format!(
                        "Revocation could not be checked: the status list {} could not be fetched: {why}.",
                        entry.list
                    )),
                ),
                None => CheckResult::new(
                    "status",
                    CheckStatus::Warn,
                    Some(format!(
                        "Revocation could not be checked: the status list {} is not available to this node.",
                        entry.list
                    )),
                ),
            },
        }
    }

    fn revocation_list_status(
        &self,
        facts: &CredentialFacts,
        issuer: &str,
        list: &str,
    ) -> CheckResult {
        let unsure =
            |why: String| could_not_check(format!("its 1EdTechRevocationList at {list} {why}"));
        let (bytes, age) = match self.outside.get(list) {
            Some(Ok((b, age))) => (b, *age),
            Some(Err(why)) => return unsure(format!("could not be fetched: {why}")),
            None => return unsure("is not available to this node".into()),
        };
        // The list carries no signature: it is believed only when served over HTTPS from the
        // issuer's own host (an https issuer id, or a did:web's domain).
        let host = |url: &str| {
            url.strip_prefix("https://")
                .and_then(|r| r.split(['/', ':', '?', '#']).next())
                .map(str::to_ascii_lowercase)
        };
        let issuer_host = super::outside::document_url(issuer)
            .as_deref()
            .and_then(host);
        if issuer_host.is_none() || issuer_host != host(list) {
            return unsure(format!(
                "is not signed and is not served from the issuer's own domain ({issuer})"
            ));
        }
        let doc: serde_json::Value = match credreg_model::read_json(bytes) {
            Ok(d) => d,
            Err(_) => return unsure("is not a JSON document this node reads".into()),
        };
        if let Some(named) = doc
            .get("issuer")
            .and_then(|i| i.as_str().or_else(|| i.get("id").and_then(|v| v.as_str())))
        {
            if named != issuer {
                return unsure(format!(
                    "is the list of {named}, not of the credential's issuer"
                ));
            }
        }
        let Some(revoked) = doc.get("revokedCredentials").and_then(|v| v.as_array()) else {
            return unsure("has no revokedCredentials".into());
        };
        let id = facts.id.as_deref().unwrap_or_default();
        match revoked
            .iter()
            .find(|e| e.get("id").and_then(|v| v.as_str()) == Some(id))
        {
            Some(e) => {
                let why = e
                    .get("revocationReason")
                    .and_then(|v| v.as_str())
                    .map(|r| format!(": {}", r.trim_end_matches('.')))
                    .unwrap_or_default();
                CheckResult::new(
                    "status",
                    CheckStatus::Fail,
                    Some(format!("The issuer revoked this credential (its 1EdTechRevocationList, fetched {age} s ago){why}.")),
                )
            }
            None => CheckResult::new(
                "status",
                CheckStatus::Pass,
                Some(format!(
                    "not revoked (the issuer's 1EdTechRevocationList, fetched {age} s ago)"
                )),
            ),
        }
    }

    fn holds_log(&self, _issuer: &str) -> bool {
        self.ours || self.replicated
    }

    fn receipt(&self, issuer: &str, id: &str) -> Result<(u64, Vec<u8>), String> {
        self.node.find_receipt(issuer, id)
    }

    fn receipt_included(&self, issuer: &str, index: u64, entry: &[u8]) -> Result<String, String> {
        self.node.receipt_logged(issuer, index, entry)
    }

    fn stored_canonical_digest(&self, _issuer: &str, id: &str) -> Option<String> {
        if !self.ours {
            return None;
        }
        self.stored_award_digest(id)
    }

    fn definition(&self, achievement: &str) -> DefinitionFinding {
        let known = credreg_wire::urls::credential_id(achievement)
            .and_then(|id| self.node.definition(id).ok().flatten());
        match known {
            Some(entry) => DefinitionFinding::Known {
                issuer: entry.issuer.clone(),
                name: entry.def.name.clone(),
                reason: format!(
                    "known locally: \"{}\" (version {})",
                    entry.def.name, entry.def.version
                ),
            },
            None => DefinitionFinding::Unknown(format!(
                "The achievement {achievement} is not in this node's catalog."
            )),
        }
    }
}

impl NodeEvidence<'_> {
    /// A status list fetched from outside: the issuer's own signed list, or "could not check"
    /// with the reason (unsigned, not verifiable, another issuer's, not a list).
    fn fetched_status(
        &self,
        issuer: &str,
        entry: &BitstringEntry<'_>,
        bytes: &[u8],
        age: u64,
    ) -> CheckResult {
        let unsure = |why: String| could_not_check(format!("the status list {} {why}", entry.list));
        let doc: serde_json::Value = match credreg_model::read_json(bytes) {
            Ok(d) => d,
            Err(_) => return unsure("is not a JSON document this node reads".to_owned()),
        };
        if doc.get("proof").is_none() {
            return unsure("is not signed".to_owned());
        }
        let options = credreg_proof::VerifyOptions {
            now: Some(self.node.now()),
            credential_facts: true,
            ..credreg_proof::VerifyOptions::default()
        };
        let resolver = credreg_proof::KeyResolver::new().allow_fragment_multikey(true);
        let verified = match self.node.di.verify(&doc, &resolver, &options) {
            Ok(v) if v.issuer_proof().is_some() => v,
            Ok(_) => return unsure("is not signed by its issuer".to_owned()),
            Err(e) => return unsure(format!("has a signature that does not verify ({e})")),
        };
        let list = verified
            .facts
            .unwrap_or_else(credreg_proof::CredentialFacts::empty);
        if list.issuer() != Some(issuer) {
            return unsure(format!(
                "is signed by {}, not by the credential's issuer",
                list.issuer().unwrap_or("another issuer")
            ));
        }
        if !list.types.iter().any(|t| {
            t.ends_with("#BitstringStatusListCredential")
                || t.ends_with("#StatusList2021Credential")
        }) {
            return unsure(
                "is not a BitstringStatusListCredential or StatusList2021Credential".to_owned(),
            );
        }
        super::checks::list_bit(
            &list,
            entry.index,
            &format!("the issuer's signed status list, fetched {age} s ago"),
        )
    }

    fn own_status(&self, facts: &CredentialFacts, list: u32, index: u64) -> CheckResult {
        if index >= OWN_LIST_BITS {
            return CheckResult::new(
                "status",
                CheckStatus::Fail,
                Some(format!(
                    "The status entry's index {index} lies beyond the status list ({OWN_LIST_BITS} entries)."
                )),
            );
        }
        let bits = match self.node.store.status_bits(list) {
            Ok(b) => b,
            Err(e) => {
                return CheckResult::new(
                    "status",
                    CheckStatus::Warn,
                    Some(format!("The status list could not be read: {e}.")),
                )
            }
        };
        if !credreg_store::bit_is_set(&bits, index) {
            return CheckResult::new(
                "status",
                CheckStatus::Pass,
                Some("not revoked (checked against this node's own status list)".to_owned()),
            );
        }
        let reason = facts
            .id
            .as_deref()
            .and_then(|id| self.node.store.award_state(id).ok().flatten())
            .and_then(|s| s.revocation)
            .map(|r| format!(" on {}: {}", r.revoked_at, r.reason))
            .unwrap_or_default();
        CheckResult::new(
            "status",
            CheckStatus::Fail,
            Some(format!("The issuer revoked this credential{reason}.")),
        )
    }

    /// A revocation of award `id` in `issuer`'s replicated log, as a failed check.
    fn replicated_revocation(&self, id: &str, issuer: &str) -> Option<CheckResult> {
        let (_, bytes) = self.node.store.award_record(id, true).ok().flatten()?;
        let (_, r) = crate::node::decode_record::<credreg_model::Revocation>(&bytes)
            .ok()
            .filter(|(rec, _)| rec.issuer == issuer)?;
        Some(CheckResult::new(
            "status",
            CheckStatus::Fail,
            Some(format!(
                "The issuer revoked this credential on {}: {}.",
                r.revoked_at,
                r.reason.trim_end_matches('.')
            )),
        ))
    }

    /// No revocation was found in `issuer`'s replicated log.
    fn replicated_not_revoked(&self, issuer: &str) -> CheckResult {
        let size = self
            .node
            .checkpoint(issuer)
            .ok()
            .flatten()
            .map_or(0, |c| c.size);
        CheckResult::new(
            "status",
            CheckStatus::Pass,
            Some(format!(
                "not revoked (no revocation in the issuer's log as replicated here, {size} entries)"
            )),
        )
    }

    /// SHA-256 of the canonical form of this node's stored award `id`, without its proof.
    fn stored_award_digest(&self, id: &str) -> Option<String> {
        let bytes = self.node.store.award(id).ok().flatten()?;
        let award: Value = serde_json::from_slice(&bytes).ok()?;
        self.node
            .di
            .document_digest(&award, credreg_proof::Suite::EddsaRdfc2022)
            .ok()
            .map(hex::encode)
    }
}

/// `trusted`, by this node's federation.
fn trusted_check(trust: &Trust, equivocated: bool, federation: &str) -> CheckResult {
    let status = if trust.status.is_trusted() && !equivocated {
        CheckStatus::Pass
    } else {
        CheckStatus::Warn
    };
    let reason = match (&trust.status, trust.anchor.as_deref()) {
        (TrustStatus::ThisNode, _) => "issued by this node".to_owned(),
        (TrustStatus::Anchor, _) => format!("the issuer is a trust anchor of {federation}"),
        (TrustStatus::Member, anchor) => format!(
            "the issuer is a member of {federation}, vouched for by {}",
            anchor.unwrap_or("an anchor")
        ),
        (TrustStatus::Allowed, _) => "the issuer is on this node's allow list".to_owned(),
        (TrustStatus::Denied, _) => {
            "This node's operator does not trust the issuer (deny list).".to_owned()
        }
        (TrustStatus::Expired, _) => {
            format!("The issuer's membership of {federation} has ended.")
        }
        (TrustStatus::Unknown, _) => "The issuer is not a member of this node's federation; its badges are genuine only as far as the proof shows.".to_owned(),
    };
    let reason = if equivocated {
        format!("{reason}; but this node holds evidence that the issuer signed inconsistent logs")
    } else {
        reason
    };
    CheckResult::new("trusted", status, Some(reason))
}

/// The `status` check when revocation could not be checked: `what` says why.
fn could_not_check(what: String) -> CheckResult {
    CheckResult::new(
        "status",
        CheckStatus::Warn,
        Some(format!("Revocation could not be checked: {what}.")),
    )
}
