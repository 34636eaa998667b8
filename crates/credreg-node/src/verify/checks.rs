//! The checks after the proof, each written once over an [`EvidenceSource`]: issuer key,
//! validity, status, logged and definition. Every fact they use is read from the signed data.

use super::source::{BitstringEntry, DefinitionFinding, EvidenceSource};
use super::{CheckResult, CheckStatus};
use credreg_proof::facts::{self, StatusFact};
use credreg_proof::{CredentialFacts, DateFact, KeySource, Verification};
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

/// Reads a status entry strictly: a Bitstring entry must state exactly one purpose, list
/// and index, the index a decimal number. `Ok(None)`: another status method.
fn bitstring_entry(entry: &StatusFact) -> Result<Option<BitstringEntry<'_>>, String> {
    let bitstring = format!("{}BitstringStatusListEntry", facts::STATUS);
    let list_2021 = format!("{}StatusList2021Entry", facts::STATUS_2021);
    if !entry.types.contains(&bitstring) && !entry.types.contains(&list_2021) {
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

/// `issuer_key` for a token signed by a key it carries in its own header.
fn self_keyed(issuer: &str) -> CheckResult {
    CheckResult::new(
        "issuer_key",
        CheckStatus::Fail,
        Some(format!("The token was signed by a key it carries itself, which proves nothing about who issued it: nothing ties that key to {issuer}.")),
    )
}

/// `issuer_key`: one of the proofs was made by a key of the signed issuer.
pub(crate) fn issuer_key_check(verification: &Verification, issuer: &str) -> CheckResult {
    let issuer_proof = verification
        .proofs
        .iter()
        .find(|p| p.key.controller == issuer);
    match issuer_proof {
        Some(p) => match p.key.source {
            KeySource::DidKey => CheckResult::new(
                "issuer_key",
                CheckStatus::Pass,
                Some(format!(
                    "signed by the key the issuer's id {} itself carries",
                    p.key.controller
                )),
            ),
            // A header key's controller is never an issuer id, so this is not reached; it
            // fails the same way should that change.
            KeySource::TokenHeader => self_keyed(issuer),
            KeySource::DidDocument => CheckResult::new(
                "issuer_key",
                CheckStatus::Pass,
                Some("signed by a key the issuer's DID document lists for assertions".to_owned()),
            ),
            KeySource::FragmentMultikey => CheckResult::new(
                "issuer_key",
                CheckStatus::Warn,
                Some(format!(
                    "The signing key is named under the issuer's id {} but nothing this node holds confirms the issuer published it.",
                    p.key.controller
                )),
            ),
        },
        None if verification
            .proofs
            .iter()
            .any(|p| p.key.source == KeySource::TokenHeader) =>
        {
            self_keyed(issuer)
        }
        None => {
            let by: Vec<&str> = verification
                .proofs
                .iter()
                .map(|p| p.key.controller.as_str())
                .collect();
            CheckResult::new(
                "issuer_key",
                CheckStatus::Fail,
                Some(format!(
                    "No proof was made by the issuer's key: it names {issuer} as issuer but was signed by {}.",
                    by.join(", ")
                )),
            )
        }
    }
}

/// `status`: the issuer's records on a known award decide; otherwise each revocation entry is
/// looked up, and the first that shows a revocation fails the check.
pub(crate) fn status_check(
    source: &impl EvidenceSource,
    facts: &CredentialFacts,
    issuer: &str,
) -> CheckResult {
    let fail = |why: String| CheckResult::new("status", CheckStatus::Fail, Some(why));
    if let Some(decided) = facts
        .id
        .as_deref()
        .and_then(|id| source.recorded_status(issuer, id))
    {
        return decided;
    }
    if facts.status.is_empty() {
        return CheckResult::new(
            "status",
            CheckStatus::Skip,
            Some("The credential has no status entry, so its issuer cannot revoke it.".to_owned()),
        );
    }
    let mut unsupported = Vec::new();
    let mut checked = None;
    for entry in &facts.status {
        if entry
            .types
            .iter()
            .any(|t| t.ends_with("1EdTechRevocationList"))
        {
            let Some(list) = entry.id.as_deref() else {
                return fail("The 1EdTechRevocationList entry names no list (no id).".into());
            };
            let result = source.revocation_list_status(facts, issuer, list);
            if result.status == CheckStatus::Fail {
                return result;
            }
            checked.get_or_insert(result);
            continue;
        }
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
        let result = source.list_status(facts, issuer, &entry);
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
                "Revocation could not be checked: the credential's status method ({}) is not a revocation BitstringStatusListEntry or StatusList2021Entry.",
                unsupported.join("; ")
            )),
        )
    })
}

/// `logged`: an award's receipt is in the issuer's log, records this very credential, and is
/// covered by a checkpoint the issuer signed.
pub(crate) fn logged_check(
    source: &impl EvidenceSource,
    cred: &Value,
    facts: &CredentialFacts,
    issuer: &str,
    digest: Option<[u8; 32]>,
) -> CheckResult {
    if !facts.is_open_badge() {
        return CheckResult::new(
            "logged",
            CheckStatus::Skip,
            Some("Not an award: only awards have receipts in the issuer's log.".to_owned()),
        );
    }
    if !source.holds_log(issuer) {
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
    let checked = source.receipt(issuer, id).and_then(|(index, entry)| {
        let how = receipt_matches(source, issuer, id, &entry, cred, digest)?;
        let what = source.receipt_included(issuer, index, &entry)?;
        Ok(format!("{what}; {how}"))
    });
    match checked {
        Ok(what) => CheckResult::new("logged", CheckStatus::Pass, Some(what)),
        Err(why) => fail(why),
    }
}

/// Whether the presented credential is the award the receipt for `id` records: its
/// exact bytes (compact JSON, as issued) or, for receipts that record it, its canonical
/// form. For receipts written before they recorded the canonical form, the source computes it
/// from the stored award when it can.
fn receipt_matches(
    source: &impl EvidenceSource,
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
        None => source.stored_canonical_digest(issuer, id),
    };
    match recorded {
        Some(d) if d == digest => {
            Ok("the receipt's digest matches the award's canonical form")
        }
        Some(_) => Err("the presented credential differs from the award its receipt records".into()),
        None => Err("the presented credential's bytes differ from the award its receipt records (the receipt predates canonical digests)".into()),
    }
}

/// `definition`: the achievement the credential names is a definition of its signed issuer.
pub(crate) fn definition_check(
    source: &impl EvidenceSource,
    facts: &CredentialFacts,
    issuer: &str,
) -> CheckResult {
    if facts.achievements.len() > 1 {
        return CheckResult::new(
            "definition",
            CheckStatus::Warn,
            Some("The credential names more than one achievement.".to_owned()),
        );
    }
    let Some(achievement) = facts.achievement() else {
        return CheckResult::new(
            "definition",
            CheckStatus::Warn,
            Some("The achievement (no id) is not in this node's catalog.".to_owned()),
        );
    };
    match source.definition(achievement) {
        DefinitionFinding::Known {
            issuer: publisher,
            reason,
            ..
        } if publisher == issuer => {
            CheckResult::new("definition", CheckStatus::Pass, Some(reason))
        }
        DefinitionFinding::Known {
            issuer: publisher,
            name,
            ..
        } => CheckResult::new(
            "definition",
            CheckStatus::Fail,
            Some(format!(
                "It names \"{name}\", a credential of {publisher}, but was issued by {issuer}, which does not publish it."
            )),
        ),
        DefinitionFinding::Refused(why) => {
            CheckResult::new("definition", CheckStatus::Fail, Some(why))
        }
        DefinitionFinding::Unknown(why) => {
            CheckResult::new("definition", CheckStatus::Warn, Some(why))
        }
    }
}

/// How the validity check says a credential's time is over ([`is_expiry`] reads it back).
const EXPIRED: &str = "The credential expired on ";

/// Whether a failed check is the credential's validity period having ended.
pub(crate) fn is_expiry(c: &CheckResult) -> bool {
    c.check == "validity"
        && c.status == CheckStatus::Fail
        && c.reason.as_deref().is_some_and(|r| r.starts_with(EXPIRED))
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
        (_, DateFact::At(until)) if *until < now => fail(format!("{EXPIRED}{until}.")),
        _ => CheckResult::new("validity", CheckStatus::Pass, None),
    }
}

/// The `status` answer from an issuer's signed status list (`list`, its signed facts): revoked
/// when the entry's bit is set; `whence` says where the list came from.
pub(crate) fn list_bit(list: &CredentialFacts, index: u64, whence: &str) -> CheckResult {
    let fail = |why: String| CheckResult::new("status", CheckStatus::Fail, Some(why));
    let bits = match list.encoded_lists.as_slice() {
        [one] => crate::issue::status_list::decode_list(one).map_err(|e| e.to_string()),
        [] => Err("it has no encodedList".to_owned()),
        _ => Err("it has more than one encodedList".to_owned()),
    };
    let bits = match bits {
        Ok(b) => b,
        Err(e) => return fail(format!("The status list cannot be read: {e}.")),
    };
    let as_of = match &list.valid_from {
        credreg_proof::DateFact::At(t) => crate::node::format_time(*t),
        _ => "?".to_owned(),
    };
    if index >= bits.len() as u64 * 8 {
        return fail(format!(
            "The status entry's index {index} lies beyond the status list ({} entries).",
            bits.len() * 8
        ));
    }
    if credreg_store::bit_is_set(&bits, index) {
        fail(format!(
            "The issuer revoked this credential (status list as of {as_of})."
        ))
    } else {
        CheckResult::new(
            "status",
            CheckStatus::Pass,
            Some(format!("not revoked as of {as_of} ({whence})")),
        )
    }
}
