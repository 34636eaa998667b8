//! An offline bundle as an evidence source: everything it carries is checked with nothing but
//! the local JSON-LD contexts (no node, no network), by the same checks a node runs.

use super::bundle::{Bundle, BUNDLE_TYPE};
use super::judge::judge;
use super::source::{BitstringEntry, DefinitionFinding, EvidenceSource, TrustFinding};
use super::IssuerInfo;
use super::{finish, issuer_of, well_formed, CheckResult, CheckStatus, CredentialReport};
use credreg_model::{Membership, RecordKind, UnsignedRecord};
use credreg_proof::{CredentialFacts, DataIntegrity, KeyResolver, VerifyOptions};
use serde::Deserialize;
use serde_json::Value;
use time::OffsetDateTime;

/// Verifies a bundle with nothing but `di`'s local contexts. `anchors` are the trust anchors
/// the verifier accepts (DIDs); a membership signed by one of them makes the issuer trusted.
pub fn verify_bundle(
    di: &DataIntegrity,
    doc: &Value,
    anchors: &[String],
    now: OffsetDateTime,
) -> CredentialReport {
    let bundle = Bundle::deserialize(doc)
        .map_err(|e| e.to_string())
        .and_then(|b| {
            if b.kind == BUNDLE_TYPE && b.version == 1 {
                Ok(b)
            } else {
                Err(format!("it is not a {BUNDLE_TYPE} of version 1"))
            }
        });
    let bundle = match bundle {
        Ok(b) => b,
        Err(why) => {
            let (id, name) = issuer_of(doc.get("credential").unwrap_or(&Value::Null));
            let issuer = IssuerInfo {
                id,
                name,
                status: "unknown",
                anchor: None,
                equivocated: false,
            };
            let check = CheckResult::new(
                "well_formed",
                CheckStatus::Fail,
                Some(format!("The bundle is not well-formed: {why}.")),
            );
            return finish(0, &Value::Null, issuer, vec![check]);
        }
    };
    let cred = &bundle.credential;
    let resolver = KeyResolver::new();
    let options = VerifyOptions {
        now: Some(now),
        ..VerifyOptions::default()
    };
    let shape = well_formed(cred);
    // The award's proof, by the issuer's own did:key (offline: no DID documents).
    let proof = shape.is_ok().then(|| {
        let award_options = VerifyOptions {
            credential_facts: true,
            ..options.clone()
        };
        di.verify(cred, &resolver, &award_options)
    });
    judge(
        0,
        cred,
        shape,
        proof,
        |issuer| BundleEvidence::new(di, &bundle, anchors, issuer, now),
        now,
    )
}

/// What one bundle proves about its issuer, its records verified once.
struct BundleEvidence<'a> {
    di: &'a DataIntegrity,
    bundle: &'a Bundle,
    resolver: KeyResolver,
    options: VerifyOptions,
    /// A bundled profile or membership that is not genuine (the whole bundle is suspect).
    forged: Option<String>,
    /// The verifier's anchor that vouches for the issuer, with its federation's name.
    vouching: Option<(String, String)>,
    anchors_given: bool,
    profile_name: Option<String>,
}

impl<'a> BundleEvidence<'a> {
    fn new(
        di: &'a DataIntegrity,
        bundle: &'a Bundle,
        anchors: &[String],
        issuer: &str,
        now: OffsetDateTime,
    ) -> Self {
        let mut me = Self {
            di,
            bundle,
            resolver: KeyResolver::new(),
            options: VerifyOptions {
                now: Some(now),
                ..VerifyOptions::default()
            },
            forged: None,
            vouching: None,
            anchors_given: !anchors.is_empty(),
            profile_name: None,
        };
        // Everything bundled must be genuine, even what only informs (profile, memberships):
        // a bundle with any altered record is refused, not quietly trimmed.
        let mut memberships = Vec::with_capacity(bundle.memberships.len());
        for m in &bundle.memberships {
            let anchor = m.get("issuer").and_then(Value::as_str).unwrap_or("");
            match me.record(m, anchor, RecordKind::Membership) {
                Ok(rec) => memberships.push((anchor, rec)),
                Err(why) => me.forged = me.forged.take().or(Some(why)),
            }
        }
        if let Some(p) = &bundle.issuer_profile {
            match me.record(p, issuer, RecordKind::IssuerProfile) {
                Ok(rec) => {
                    me.profile_name = rec
                        .body
                        .get("name")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                }
                Err(why) => me.forged = me.forged.take().or(Some(why)),
            }
        }
        // Trust: a current membership signed by an anchor the verifier named.
        me.vouching = memberships
            .into_iter()
            .filter(|(anchor, _)| anchors.iter().any(|a| a == anchor))
            .filter_map(|(anchor, rec)| Some((anchor, Membership::deserialize(&rec.body).ok()?)))
            .find(|(_, m)| m.member == issuer && crate::trust::current(m, now))
            .map(|(anchor, m)| (anchor.to_owned(), m.federation));
        me
    }

    /// A bundled record signed by `by` (the JCS suite), decoded.
    fn record(&self, doc: &Value, by: &str, kind: RecordKind) -> Result<UnsignedRecord, String> {
        let rec = UnsignedRecord::from_json(doc)?;
        if rec.kind != kind || rec.issuer != by {
            return Err(format!("it is not a {} record of {by}", kind.as_str()));
        }
        match self.di.verify(doc, &self.resolver, &self.options) {
            Ok(v) if v.issuer_proof().is_some() => Ok(rec),
            Ok(_) => Err("it is not signed by its issuer".into()),
            Err(e) => Err(format!("its signature does not verify: {e}")),
        }
    }

    /// The bundled status list's signed facts, if it is the issuer's genuine list `url`.
    fn status_list(&self, issuer: &str, url: &str) -> Result<CredentialFacts, String> {
        let options = VerifyOptions {
            credential_facts: true,
            ..self.options.clone()
        };
        let verified = match self
            .di
            .verify(&self.bundle.status_list, &self.resolver, &options)
        {
            Ok(v) if v.issuer_proof().is_some() => v,
            Ok(_) => return Err("The status list is not signed by the issuer.".to_owned()),
            Err(e) => return Err(format!("The status list's signature does not verify: {e}.")),
        };
        let facts = verified.facts.unwrap_or_else(CredentialFacts::empty);
        if facts.id.as_deref() != Some(url) {
            return Err("The bundled status list is not the one the credential names.".to_owned());
        }
        if facts.issuer() != Some(issuer) {
            return Err("The bundled status list is not the issuer's.".to_owned());
        }
        Ok(facts)
    }
}

impl EvidenceSource for BundleEvidence<'_> {
    fn trust(&self, _issuer: &str) -> TrustFinding {
        let (check, status, anchor) = if let Some(why) = &self.forged {
            let check = CheckResult::new(
                "trusted",
                CheckStatus::Fail,
                Some(format!(
                    "A bundled profile or membership record is not genuine: {why}."
                )),
            );
            (check, "unknown", None)
        } else if let Some((anchor, federation)) = &self.vouching {
            let check = CheckResult::new(
                "trusted",
                CheckStatus::Pass,
                Some(format!(
                    "the issuer is a member of {federation}, vouched for by {anchor} (signed membership in the bundle)"
                )),
            );
            (check, "member", Some(anchor.clone()))
        } else {
            let why = if self.anchors_given {
                "No membership signed by a given trust anchor vouches for the issuer."
            } else {
                "No trust anchor was given, so membership of a federation was not checked."
            };
            let check = CheckResult::new("trusted", CheckStatus::Warn, Some(why.to_owned()));
            (check, "unknown", None)
        };
        TrustFinding {
            check,
            status,
            anchor,
            equivocated: false,
            published_name: self.profile_name.clone(),
        }
    }

    fn recorded_status(&self, _issuer: &str, _id: &str) -> Option<CheckResult> {
        None
    }

    fn list_status(
        &self,
        _facts: &CredentialFacts,
        issuer: &str,
        entry: &BitstringEntry<'_>,
    ) -> CheckResult {
        let fail = |why: String| CheckResult::new("status", CheckStatus::Fail, Some(why));
        let list = match self.status_list(issuer, entry.list) {
            Ok(l) => l,
            Err(why) => return fail(why),
        };
        super::checks::list_bit(
            &list,
            entry.index,
            "the issuer's signed status list in the bundle",
        )
    }

    fn holds_log(&self, _issuer: &str) -> bool {
        true
    }

    fn receipt(&self, issuer: &str, _id: &str) -> Result<(u64, Vec<u8>), String> {
        self.record(&self.bundle.receipt, issuer, RecordKind::AwardReceipt)
            .map_err(|why| format!("the bundled receipt is not genuine: {why}"))?;
        let entry = credreg_proof::canon::jcs(&self.bundle.receipt)
            .map_err(|e| format!("the receipt cannot be canonicalized: {e}"))?;
        Ok((self.bundle.inclusion.index, entry))
    }

    fn receipt_included(&self, issuer: &str, index: u64, entry: &[u8]) -> Result<String, String> {
        let cp = self
            .bundle
            .checkpoint
            .to_signed()
            .map_err(|e| format!("the checkpoint does not decode: {e}"))?;
        if cp.checkpoint.issuer != issuer
            || Some(cp.key) != credreg_proof::keys::did_key_public(issuer)
        {
            return Err("the checkpoint is not signed by the issuer's key".to_owned());
        }
        cp.verify()
            .map_err(|e| format!("the checkpoint's signature does not verify: {e}"))?;
        let mut proof = Vec::with_capacity(self.bundle.inclusion.proof.len());
        for h in &self.bundle.inclusion.proof {
            let hash = hex::decode(h)
                .ok()
                .and_then(|v| <[u8; 32]>::try_from(v).ok())
                .ok_or("the inclusion proof holds a malformed hash")?;
            proof.push(hash);
        }
        crate::ledger::inclusion_verified(entry, index, &proof, &cp.checkpoint)
    }

    fn stored_canonical_digest(&self, _issuer: &str, _id: &str) -> Option<String> {
        None
    }

    fn definition(&self, achievement: &str) -> DefinitionFinding {
        let Some(d) = &self.bundle.definition else {
            return DefinitionFinding::Unknown(
                "The bundle carries no credential definition.".to_owned(),
            );
        };
        let issuer = d.get("issuer").and_then(Value::as_str).unwrap_or("");
        let rec = match self.record(d, issuer, RecordKind::CredentialDef) {
            Ok(rec) => rec,
            Err(why) => {
                return DefinitionFinding::Refused(format!(
                    "The bundled definition is not genuine: {why}."
                ))
            }
        };
        let id = credreg_proof::canon::jcs(d)
            .map(|b| credreg_model::record_id(&b))
            .unwrap_or_default();
        if credreg_wire::urls::credential_id(achievement) != Some(id.as_str()) {
            return DefinitionFinding::Refused(
                "The bundled definition is not the one the award names.".to_owned(),
            );
        }
        let name = rec
            .body
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        DefinitionFinding::Known {
            issuer: rec.issuer,
            reason: format!("the issuer's signed definition \"{name}\""),
            name,
        }
    }
}
