//! The checks after the proof: trust, validity, status, logged and definition, each over
//! the credential's signed facts and what this node holds.

use super::{CheckResult, CheckStatus};
use crate::node::Node;
use crate::trust::{Trust, TrustStatus};
use credreg_proof::facts::{self, StatusFact};
use credreg_proof::{CredentialFacts, DateFact};
use serde_json::Value;
use time::OffsetDateTime;

/// The parts of a stored award receipt the `logged` check compares, borrowed from its bytes.
#[derive(serde::Deserialize)]
struct ReceiptDigests<'a> {
    #[serde(borrow)]
    issuer: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    body: ReceiptDigestsBody<'a>,
}

#[derive(serde::Deserialize)]
struct ReceiptDigestsBody<'a> {
    #[serde(borrow)]
    award_id: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    award_digest: std::borrow::Cow<'a, str>,
    #[serde(borrow, default)]
    canonical_digest: Option<std::borrow::Cow<'a, str>>,
}

/// The largest position a status list of this node holds.
const OWN_LIST_BITS: u64 = credreg_store::STATUS_LIST_BITS;

/// A `BitstringStatusListEntry`'s statement, understood.
struct BitstringEntry<'a> {
    purpose: &'a str,
    list: &'a str,
    index: u64,
}

/// Reads a status entry strictly: a Bitstring entry must state exactly one purpose, list
/// and index, the index a decimal number. `Ok(None)`: another status method.
fn bitstring_entry(entry: &StatusFact) -> Result<Option<BitstringEntry<'_>>, String> {
    let bitstring = format!("{}BitstringStatusListEntry", facts::STATUS);
    if !entry.types.contains(&bitstring) {
        return Ok(None);
    }
    let one = |what: &str, values: &'_ [String]| -> Result<(), String> {
        match values.len() {
            1 => Ok(()),
            0 => Err(format!("The status entry states no {what}.")),
            _ => Err(format!("The status entry states more than one {what}.")),
        }
    };
    one("statusPurpose", &entry.purposes)?;
    one("statusListCredential", &entry.lists)?;
    one("statusListIndex", &entry.indexes)?;
    let index = entry.indexes[0].parse::<u64>().map_err(|_| {
        format!(
            "The status entry's statusListIndex `{}` is not a number.",
            entry.indexes[0]
        )
    })?;
    Ok(Some(BitstringEntry {
        purpose: &entry.purposes[0],
        list: &entry.lists[0],
        index,
    }))
}

impl Node {
    pub(super) fn status_check(
        &self,
        facts: &CredentialFacts,
        issuer: &str,
        ours: bool,
        replicated: bool,
    ) -> CheckResult {
        let fail = |why: String| CheckResult::new("status", CheckStatus::Fail, Some(why));
        // A known award's revocation is decided by the issuer's records, whatever its status
        // entry says (or whether it has one).
        if let Some(id) = facts.id.as_deref() {
            if ours {
                if let Ok(Some(state)) = self.store.award_state(id) {
                    return match state.revocation {
                        Some(r) => fail(format!(
                            "The issuer revoked this credential on {}: {}.",
                            r.revoked_at,
                            r.reason.trim_end_matches('.')
                        )),
                        None => CheckResult::new(
                            "status",
                            CheckStatus::Pass,
                            Some(
                                "not revoked (checked against this node's own records)".to_owned(),
                            ),
                        ),
                    };
                }
            } else if replicated {
                if let Some(revoked) = self.replicated_revocation(id, issuer) {
                    return revoked;
                }
            }
        }
        if facts.status.is_empty() {
            return CheckResult::new(
                "status",
                CheckStatus::Skip,
                Some(
                    "The credential has no status entry, so its issuer cannot revoke it."
                        .to_owned(),
                ),
            );
        }
        let mut unsupported = Vec::new();
        let mut checked = None;
        for entry in &facts.status {
            let entry = match bitstring_entry(entry) {
                Ok(Some(e)) => e,
                Ok(None) => {
                    unsupported.push(entry.types.join(", "));
                    continue;
                }
                Err(why) => return fail(why),
            };
            if entry.purpose != "revocation" {
                unsupported.push(format!("a {} entry", entry.purpose));
                continue;
            }
            let prefix = format!("{}/api/v1/status-lists/", self.settings().public_url);
            let own_list = entry
                .list
                .strip_prefix(&prefix)
                .and_then(|n| n.parse::<u32>().ok());
            let result = match (ours, own_list) {
                (true, Some(n)) => self.own_status(facts, n, entry.index),
                _ if replicated => self.replicated_not_revoked(issuer),
                _ => CheckResult::new(
                    "status",
                    CheckStatus::Warn,
                    Some(format!(
                        "Revocation could not be checked: the status list {} is not available to this node.",
                        entry.list
                    )),
                ),
            };
            if result.status == CheckStatus::Fail {
                return result;
            }
            checked.get_or_insert(result);
        }
        checked.unwrap_or_else(|| {
            CheckResult::new(
                "status",
                CheckStatus::Warn,
                Some(format!(
                    "Revocation could not be checked: the credential's status method ({}) is not a revocation BitstringStatusListEntry.",
                    unsupported.join("; ")
                )),
            )
        })
    }

    pub(super) fn own_status(&self, facts: &CredentialFacts, list: u32, index: u64) -> CheckResult {
        if index >= OWN_LIST_BITS {
            return CheckResult::new(
                "status",
                CheckStatus::Fail,
                Some(format!(
                    "The status entry's index {index} lies beyond the status list ({OWN_LIST_BITS} entries)."
                )),
            );
        }
        let bits = match self.store.status_bits(list) {
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
            .and_then(|id| self.store.award_state(id).ok().flatten())
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
    pub(super) fn replicated_revocation(&self, id: &str, issuer: &str) -> Option<CheckResult> {
        let (_, bytes) = self.store.award_record(id, true).ok().flatten()?;
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
    pub(super) fn replicated_not_revoked(&self, issuer: &str) -> CheckResult {
        let size = self.checkpoint(issuer).ok().flatten().map_or(0, |c| c.size);
        CheckResult::new(
            "status",
            CheckStatus::Pass,
            Some(format!(
                "not revoked (no revocation in the issuer's log as replicated here, {size} entries)"
            )),
        )
    }

    pub(super) fn logged_check(
        &self,
        cred: &Value,
        facts: &CredentialFacts,
        issuer: &str,
        digest: Option<[u8; 32]>,
        ours: bool,
        replicated: bool,
    ) -> CheckResult {
        if !facts.is_open_badge() {
            return CheckResult::new(
                "logged",
                CheckStatus::Skip,
                Some("Not an award: only awards have receipts in the issuer's log.".to_owned()),
            );
        }
        if !ours && !replicated {
            return CheckResult::new(
                "logged",
                CheckStatus::Warn,
                Some("The issuer's log is not held by this node, so the award's receipt could not be checked.".to_owned()),
            );
        }
        let fail = |why: String| {
            CheckResult::new(
                "logged",
                CheckStatus::Fail,
                Some(format!("The award is not on the issuer's books: {why}.")),
            )
        };
        let Some(id) = facts.id.as_deref() else {
            return fail("it has no id, so its receipt cannot be found in the issuer's log".into());
        };
        let checked = self.find_receipt(issuer, id).and_then(|(index, entry)| {
            let how = self.receipt_matches(issuer, id, &entry, cred, digest)?;
            let what = self.receipt_logged(issuer, index, &entry)?;
            Ok(format!("{what}; {how}"))
        });
        match checked {
            Ok(what) => CheckResult::new("logged", CheckStatus::Pass, Some(what)),
            Err(why) => fail(why),
        }
    }

    /// Whether the presented credential is the award the receipt for `id` records: its
    /// exact bytes (compact JSON, as issued) or, for receipts that record it, its canonical
    /// form. For this node's own awards written before receipts recorded the canonical form,
    /// the stored award's canonical form is computed.
    pub(super) fn receipt_matches(
        &self,
        issuer: &str,
        id: &str,
        receipt_bytes: &[u8],
        cred: &Value,
        digest: Option<[u8; 32]>,
    ) -> Result<&'static str, String> {
        let receipt: ReceiptDigests<'_> = serde_json::from_slice(receipt_bytes)
            .map_err(|e| format!("its receipt cannot be read: {e}"))?;
        if receipt.issuer != issuer || receipt.body.award_id != id {
            return Err("the receipt found is not this issuer's receipt for it".into());
        }
        let digest = digest.map(hex::encode);
        // The canonical digest first: it is already computed (the proof's), and it holds
        // however a wallet re-serialized the award.
        if let (Some(recorded), Some(presented)) = (&receipt.body.canonical_digest, &digest) {
            return if recorded == presented {
                Ok("the receipt's digest matches the award's canonical form")
            } else {
                Err("the presented credential differs from the award its receipt records".into())
            };
        }
        let exact = serde_json::to_vec(cred).map(|b| credreg_model::record_id(&b));
        if exact.as_deref().ok() == Some(&*receipt.body.award_digest) {
            return Ok("the receipt's digest matches the award's exact bytes");
        }
        let Some(digest) = digest else {
            return Err("no proof by the issuer's key to compare with the receipt".into());
        };
        let recorded = match receipt.body.canonical_digest {
            Some(d) => Some(d.into_owned()),
            None if issuer == self.did() => self.stored_canonical_digest(id),
            None => None,
        };
        match recorded {
            Some(d) if d == digest => {
                Ok("the receipt's digest matches the award's canonical form")
            }
            Some(_) => Err("the presented credential differs from the award its receipt records".into()),
            None => Err("the presented credential's bytes differ from the award its receipt records (the receipt predates canonical digests)".into()),
        }
    }

    /// SHA-256 of the canonical form of this node's stored award `id`, without its proof.
    pub(super) fn stored_canonical_digest(&self, id: &str) -> Option<String> {
        let bytes = self.store.award(id).ok().flatten()?;
        let award: Value = serde_json::from_slice(&bytes).ok()?;
        self.di
            .document_digest(&award, credreg_proof::Suite::EddsaRdfc2022)
            .ok()
            .map(hex::encode)
    }

    pub(super) fn definition_check(&self, facts: &CredentialFacts, issuer: &str) -> CheckResult {
        let achievement_id = facts.achievement();
        let known = achievement_id
            .and_then(|a| a.rsplit_once("/api/v1/credentials/"))
            .and_then(|(_, id)| self.definition(id).ok().flatten());
        match known {
            Some(entry) if entry.issuer == issuer => CheckResult::new(
                "definition",
                CheckStatus::Pass,
                Some(format!(
                    "known locally: \"{}\" (version {})",
                    entry.def.name, entry.def.version
                )),
            ),
            Some(entry) => CheckResult::new(
                "definition",
                CheckStatus::Fail,
                Some(format!(
                    "It names \"{}\", a credential of {}, but was issued by {issuer}, which does not publish it.",
                    entry.def.name, entry.issuer
                )),
            ),
            None if facts.achievements.len() > 1 => CheckResult::new(
                "definition",
                CheckStatus::Warn,
                Some("The credential names more than one achievement.".to_owned()),
            ),
            None => CheckResult::new(
                "definition",
                CheckStatus::Warn,
                Some(format!(
                    "The achievement {} is not in this node's catalog.",
                    achievement_id.unwrap_or("(no id)")
                )),
            ),
        }
    }
}

pub(super) fn trusted_check(trust: &Trust, equivocated: bool, federation: &str) -> CheckResult {
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

/// `validFrom` / `validUntil` (or VC 1.1's `issuanceDate` / `expirationDate`) as signed.
pub(crate) fn validity(facts: &CredentialFacts, now: OffsetDateTime) -> CheckResult {
    let fail = |why: String| CheckResult::new("validity", CheckStatus::Fail, Some(why));
    match (&facts.valid_from, &facts.valid_until) {
        (DateFact::Unreadable(why), _) | (_, DateFact::Unreadable(why)) => {
            fail(format!("Its validity period cannot be read: {why}."))
        }
        (DateFact::At(from), _) if *from > now + time::Duration::minutes(5) => {
            fail(format!("The credential is not valid until {from}."))
        }
        (_, DateFact::At(until)) if *until < now => {
            fail(format!("The credential expired on {until}."))
        }
        _ => CheckResult::new("validity", CheckStatus::Pass, None),
    }
}
