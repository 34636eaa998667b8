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
//! [`verify_bundle`] needs only the JSON-LD contexts (pinned locally), so the CLI runs it
//! without a node. Checkpoint co-signatures (witnesses) do not exist in credreg yet; the
//! checkpoint is the issuer's own.

use crate::ledger::CheckpointJson;
use crate::node::{internal, Node};
use crate::verify::{finish, CheckResult, CheckStatus, CredentialReport, IssuerInfo};
use credreg_model::{AwardReceipt, Membership, RecordKind, UnsignedRecord};
use credreg_proof::{CredentialFacts, DataIntegrity, KeyResolver, VerifyOptions};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

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

/// Verifies a bundle with nothing but `di`'s local contexts. `anchors` are the trust anchors
/// the verifier accepts (DIDs); a membership signed by one of them makes the issuer trusted.
pub fn verify_bundle(
    di: &DataIntegrity,
    doc: &Value,
    anchors: &[String],
    now: OffsetDateTime,
) -> CredentialReport {
    let bundle: Result<Bundle, String> = Bundle::deserialize(doc)
        .map_err(|e| e.to_string())
        .and_then(|b| {
            if b.kind == BUNDLE_TYPE && b.version == 1 {
                Ok(b)
            } else {
                Err(format!("it is not a {BUNDLE_TYPE} of version 1"))
            }
        });
    let empty = Value::Null;
    let cred = bundle.as_ref().map_or(&empty, |b| &b.credential);
    let (issuer_id, issuer_name) = crate::verify::issuer_of(cred);
    let mut issuer = IssuerInfo {
        id: issuer_id.clone(),
        name: issuer_name,
        status: "unknown",
        anchor: None,
        equivocated: false,
    };
    let mut checks = Vec::new();
    let bundle = match &bundle {
        Ok(b) => b,
        Err(why) => {
            checks.push(CheckResult::new(
                "well_formed",
                CheckStatus::Fail,
                Some(format!("The bundle is not well-formed: {why}.")),
            ));
            return finish(0, cred, issuer, checks);
        }
    };
    if let Err(why) = crate::verify::well_formed(cred) {
        checks.push(CheckResult::new(
            "well_formed",
            CheckStatus::Fail,
            Some(format!("The credential is not well-formed: {why}.")),
        ));
        return finish(0, cred, issuer, checks);
    }
    checks.push(CheckResult::new("well_formed", CheckStatus::Pass, None));
    let issuer_did = issuer_id.unwrap_or_default();
    let resolver = KeyResolver::new();
    let options = VerifyOptions {
        now: Some(now),
        ..VerifyOptions::default()
    };
    // The award's proof, by the issuer's own did:key (offline: no DID documents); its facts
    // are read from the signed data, as the node's own pipeline reads them.
    let award_options = VerifyOptions {
        credential_facts: true,
        ..options.clone()
    };
    let facts = match di.verify(cred, &resolver, &award_options) {
        Ok(v) if v.issuer_proof().is_some() => {
            checks.push(CheckResult::new(
                "proof",
                CheckStatus::Pass,
                Some("signature verified (eddsa-rdfc-2022)".to_owned()),
            ));
            checks.push(CheckResult::new(
                "issuer_key",
                CheckStatus::Pass,
                Some(format!("signed by the issuer's own did:key {issuer_did}")),
            ));
            v.facts.unwrap_or_else(CredentialFacts::empty)
        }
        Ok(_) => {
            checks.push(CheckResult::new(
                "proof",
                CheckStatus::Pass,
                Some("signature verified".to_owned()),
            ));
            checks.push(CheckResult::new(
                "issuer_key",
                CheckStatus::Fail,
                Some("No proof was made by the issuer's key.".to_owned()),
            ));
            return finish(0, cred, issuer, checks);
        }
        Err(e) => {
            checks.push(CheckResult::proof_failed(&e));
            return finish(0, cred, issuer, checks);
        }
    };
    // A record signed by `by` (the JCS suite), decoded.
    let record = |doc: &Value, by: &str, kind: RecordKind| -> Result<UnsignedRecord, String> {
        let rec = UnsignedRecord::from_json(doc)?;
        if rec.kind != kind || rec.issuer != by {
            return Err(format!("it is not a {} record of {by}", kind.as_str()));
        }
        match di.verify(doc, &resolver, &options) {
            Ok(v) if v.issuer_proof().is_some() => Ok(rec),
            Ok(_) => Err("it is not signed by its issuer".into()),
            Err(e) => Err(format!("its signature does not verify: {e}")),
        }
    };
    // Everything bundled must be genuine, even what only informs (profile, memberships): a
    // bundle with any altered record is refused, not quietly trimmed. Each is verified once.
    let mut memberships = Vec::with_capacity(bundle.memberships.len());
    let mut forged = None;
    for m in &bundle.memberships {
        let anchor = m.get("issuer").and_then(Value::as_str).unwrap_or("");
        match record(m, anchor, RecordKind::Membership) {
            Ok(rec) => memberships.push((anchor, rec)),
            Err(why) => forged = forged.or(Some(why)),
        }
    }
    let profile = match bundle
        .issuer_profile
        .as_ref()
        .map(|p| record(p, &issuer_did, RecordKind::IssuerProfile))
    {
        Some(Err(why)) => {
            forged = forged.or(Some(why));
            None
        }
        Some(Ok(rec)) => Some(rec),
        None => None,
    };
    if let Some(why) = forged {
        checks.push(CheckResult::new(
            "trusted",
            CheckStatus::Fail,
            Some(format!(
                "A bundled profile or membership record is not genuine: {why}."
            )),
        ));
        return finish(0, cred, issuer, checks);
    }
    // Trust: a current membership signed by an anchor the verifier named.
    let mut trust = CheckResult::new(
        "trusted",
        CheckStatus::Warn,
        Some(if anchors.is_empty() {
            "No trust anchor was given, so membership of a federation was not checked.".to_owned()
        } else {
            "No membership signed by a given trust anchor vouches for the issuer.".to_owned()
        }),
    );
    let vouching = memberships
        .into_iter()
        .filter(|(anchor, _)| anchors.iter().any(|a| a == anchor))
        .filter_map(|(anchor, rec)| Some((anchor, Membership::deserialize(&rec.body).ok()?)))
        .find(|(_, m)| m.member == issuer_did && crate::trust::current(m, now));
    if let Some((anchor, m)) = vouching {
        issuer.status = "member";
        issuer.anchor = Some(anchor.to_owned());
        trust = CheckResult::new(
            "trusted",
            CheckStatus::Pass,
            Some(format!(
                "the issuer is a member of {}, vouched for by {anchor} (signed membership in the bundle)",
                m.federation
            )),
        );
    }
    if let Some(name) = profile
        .as_ref()
        .and_then(|rec| rec.body.get("name"))
        .and_then(Value::as_str)
    {
        issuer.name = Some(name.to_owned());
    }
    checks.push(trust);
    checks.push(crate::verify::validity(&facts, now));
    checks.push(status_check(di, bundle, &issuer_did, &resolver, &options));
    checks.push(logged_check(bundle, &issuer_did, |d| {
        record(d, &issuer_did, RecordKind::AwardReceipt)
    }));
    checks.push(match &bundle.definition {
        None => CheckResult::new(
            "definition",
            CheckStatus::Warn,
            Some("The bundle carries no credential definition.".to_owned()),
        ),
        Some(d) => match record(d, &issuer_did, RecordKind::CredentialDef) {
            Err(why) => CheckResult::new(
                "definition",
                CheckStatus::Fail,
                Some(format!("The bundled definition is not genuine: {why}.")),
            ),
            Ok(rec) => {
                let id = credreg_proof::canon::jcs(d)
                    .map(|b| credreg_model::record_id(&b))
                    .unwrap_or_default();
                let named = cred
                    .pointer("/credentialSubject/achievement/id")
                    .and_then(Value::as_str)
                    .is_some_and(|a| a.ends_with(&format!("/api/v1/credentials/{id}")));
                if named {
                    CheckResult::new(
                        "definition",
                        CheckStatus::Pass,
                        Some(format!(
                            "the issuer's signed definition \"{}\"",
                            rec.body.get("name").and_then(Value::as_str).unwrap_or("")
                        )),
                    )
                } else {
                    CheckResult::new(
                        "definition",
                        CheckStatus::Fail,
                        Some("The bundled definition is not the one the award names.".to_owned()),
                    )
                }
            }
        },
    });
    finish(0, cred, issuer, checks)
}

fn status_check(
    di: &DataIntegrity,
    bundle: &Bundle,
    issuer: &str,
    resolver: &KeyResolver,
    options: &VerifyOptions,
) -> CheckResult {
    let fail = |why: String| CheckResult::new("status", CheckStatus::Fail, Some(why));
    let entry = match bundle.credential.get("credentialStatus") {
        Some(Value::Array(a)) => a.first(),
        other => other,
    };
    let Some(entry) = entry else {
        return CheckResult::new(
            "status",
            CheckStatus::Skip,
            Some("The credential has no status entry, so its issuer cannot revoke it.".to_owned()),
        );
    };
    let list_url = entry.get("statusListCredential").and_then(Value::as_str);
    let Some(index) = entry
        .get("statusListIndex")
        .and_then(Value::as_str)
        .and_then(|s| s.parse::<u64>().ok())
    else {
        return fail("The status entry's statusListIndex is not a number.".to_owned());
    };
    let list = &bundle.status_list;
    if list.get("id").and_then(Value::as_str) != list_url {
        return fail("The bundled status list is not the one the credential names.".to_owned());
    }
    if crate::verify::issuer_of(list).0.as_deref() != Some(issuer) {
        return fail("The bundled status list is not the issuer's.".to_owned());
    }
    match di.verify(list, resolver, options) {
        Ok(v) if v.issuer_proof().is_some() => {}
        Ok(_) => return fail("The status list is not signed by the issuer.".to_owned()),
        Err(e) => return fail(format!("The status list's signature does not verify: {e}.")),
    }
    let bits = list
        .pointer("/credentialSubject/encodedList")
        .and_then(Value::as_str)
        .ok_or_else(|| "it has no encodedList".to_owned())
        .and_then(crate::issue::status_list::decode_list);
    let bits = match bits {
        Ok(b) => b,
        Err(e) => return fail(format!("The status list cannot be read: {e}.")),
    };
    let as_of = list.get("validFrom").and_then(Value::as_str).unwrap_or("?");
    if credreg_store::bit_is_set(&bits, index) {
        fail(format!(
            "The issuer revoked this credential (status list as of {as_of})."
        ))
    } else {
        CheckResult::new(
            "status",
            CheckStatus::Pass,
            Some(format!(
                "not revoked as of {as_of} (the issuer's signed status list in the bundle)"
            )),
        )
    }
}

fn logged_check(
    bundle: &Bundle,
    issuer: &str,
    record: impl Fn(&Value) -> Result<UnsignedRecord, String>,
) -> CheckResult {
    let fail = |why: String| {
        CheckResult::new(
            "logged",
            CheckStatus::Fail,
            Some(format!("The award is not on the issuer's books: {why}.")),
        )
    };
    let rec = match record(&bundle.receipt) {
        Ok(r) => r,
        Err(why) => return fail(format!("the bundled receipt is not genuine: {why}")),
    };
    let Ok(receipt) = serde_json::from_value::<AwardReceipt>(rec.body) else {
        return fail("the bundled receipt does not decode".to_owned());
    };
    if bundle.credential.get("id").and_then(Value::as_str) != Some(receipt.award_id.as_str()) {
        return fail("the receipt is for another award".to_owned());
    }
    let digest = serde_json::to_vec(&bundle.credential)
        .map(|b| credreg_model::record_id(&b))
        .unwrap_or_default();
    if digest != receipt.award_digest {
        return fail("the award's bytes differ from the ones its receipt records".to_owned());
    }
    let cp = match bundle.checkpoint.to_signed() {
        Ok(c) => c,
        Err(e) => return fail(format!("the checkpoint does not decode: {e}")),
    };
    if cp.checkpoint.issuer != issuer || Some(cp.key) != credreg_proof::keys::did_key_public(issuer)
    {
        return fail("the checkpoint is not signed by the issuer's key".to_owned());
    }
    if let Err(e) = cp.verify() {
        return fail(format!("the checkpoint's signature does not verify: {e}"));
    }
    let entry = match credreg_proof::canon::jcs(&bundle.receipt) {
        Ok(b) => b,
        Err(e) => return fail(format!("the receipt cannot be canonicalized: {e}")),
    };
    let mut proof = Vec::with_capacity(bundle.inclusion.proof.len());
    for h in &bundle.inclusion.proof {
        match hex::decode(h)
            .ok()
            .and_then(|v| <[u8; 32]>::try_from(v).ok())
        {
            Some(x) => proof.push(x),
            None => return fail("the inclusion proof holds a malformed hash".to_owned()),
        }
    }
    let size = cp.checkpoint.size;
    match credreg_log::verify_inclusion(
        &credreg_log::leaf_hash(&entry),
        bundle.inclusion.index,
        size,
        &proof,
        &cp.checkpoint.root,
    ) {
        Ok(()) => CheckResult::new(
            "logged",
            CheckStatus::Pass,
            Some(format!(
                "receipt is entry {} of the issuer's log, included in its signed checkpoint of size {size}",
                bundle.inclusion.index
            )),
        ),
        Err(e) => fail(format!("the inclusion proof fails: {e}")),
    }
}
