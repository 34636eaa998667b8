//! The verification pipeline: one report per credential, each check separately, and a
//! one-sentence reason for every failure (what a hiring principal reads).

use crate::node::Node;
use crate::trust::{Trust, TrustStatus};
use credreg_proof::{KeyResolver, KeySource, ProofError, Verification, VerifyOptions};
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

/// The checks, in report order.
const CHECKS: [&str; 8] = [
    "well_formed",
    "proof",
    "issuer_key",
    "trusted",
    "validity",
    "status",
    "logged",
    "definition",
];

/// Most credentials accepted in one request (a portfolio is typically under 30).
pub const MAX_CREDENTIALS: usize = 100;

/// Outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    /// Passed.
    Pass,
    /// Failed: the credential is not valid.
    Fail,
    /// Could not be confirmed; does not by itself invalidate the credential.
    Warn,
    /// Not applicable, or not run because an earlier check failed.
    Skip,
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckResult {
    /// `well_formed`, `proof`, `issuer_key`, `trusted`, `validity`, `status`, `logged`,
    /// `definition`.
    pub check: &'static str,
    /// Outcome.
    pub status: CheckStatus,
    /// One sentence (always present unless the check passed trivially).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Stable failure code (the proof crate's `Check` id for proof failures).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'static str>,
}

impl CheckResult {
    /// The `proof` check failed with `e` (its stable code kept).
    pub(crate) fn proof_failed(e: &ProofError) -> Self {
        let mut c = Self::new(
            "proof",
            CheckStatus::Fail,
            Some(format!("The proof does not verify: {e}.")),
        );
        c.code = Some(e.check().as_str());
        c
    }

    pub(crate) fn new(
        check: &'static str,
        status: CheckStatus,
        reason: impl Into<Option<String>>,
    ) -> Self {
        Self {
            check,
            status,
            reason: reason.into(),
            code: None,
        }
    }
}

/// Overall verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every check passed or only warned.
    Valid,
    /// Genuine, but revoked by its issuer.
    Revoked,
    /// Not genuine or not well-formed.
    Invalid,
}

impl Verdict {
    /// The name used in reports and metrics (`valid`, `revoked`, `invalid`).
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Valid => "valid",
            Verdict::Revoked => "revoked",
            Verdict::Invalid => "invalid",
        }
    }
}

/// What the node knows of a credential's issuer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IssuerInfo {
    /// Issuer id (DID or URL), if the credential names one.
    pub id: Option<String>,
    /// Issuer name as written in the credential.
    pub name: Option<String>,
    /// `this_node`, `anchor`, `member`, `allowed` (trusted), or `denied`, `expired`,
    /// `unknown` (not trusted by this node's federation).
    pub status: &'static str,
    /// For members: the trust anchor whose membership record vouches for the issuer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anchor: Option<String>,
    /// Whether this node holds evidence that the issuer signed inconsistent logs.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub equivocated: bool,
}

/// The report for one credential.
#[derive(Debug, Clone, Serialize)]
pub struct CredentialReport {
    /// Position in the request.
    pub index: usize,
    /// The credential's `id`, if any.
    pub id: Option<String>,
    /// The credential's `name`, if any.
    pub name: Option<String>,
    /// Verdict.
    pub verdict: Verdict,
    /// One sentence when not valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Issuer.
    pub issuer: IssuerInfo,
    /// Every check, in order.
    pub checks: Vec<CheckResult>,
}

/// The report for a request.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// Counts by verdict.
    pub summary: Summary,
    /// One per credential, in request order.
    pub credentials: Vec<CredentialReport>,
}

/// Counts by verdict.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Credentials checked.
    pub total: usize,
    /// Valid ones.
    pub valid: usize,
    /// Revoked ones.
    pub revoked: usize,
    /// Invalid ones.
    pub invalid: usize,
}

/// Pulls the credentials out of a request body: one credential, a `VerifiablePresentation`, or
/// `{"credentials": [...]}`. Borrows them: nothing is copied on the way to verification.
pub fn credentials_of(input: &Value) -> Result<Vec<&Value>, String> {
    let Some(obj) = input.as_object() else {
        return Err("the body must be a JSON object: a credential, a VerifiablePresentation or {\"credentials\": [...]}".into());
    };
    let list: Vec<&Value> = if has_type(input, crate::bundle::BUNDLE_TYPE) {
        vec![input]
    } else if let Some(c) = obj.get("credentials") {
        match c {
            Value::Array(a) => a.iter().collect(),
            _ => return Err("`credentials` must be an array".into()),
        }
    } else if has_type(input, "VerifiablePresentation") {
        match obj.get("verifiableCredential") {
            Some(Value::Array(a)) => a.iter().collect(),
            Some(v @ Value::Object(_)) => vec![v],
            None => vec![],
            Some(_) => {
                return Err(
                    "`verifiableCredential` must be a credential or an array of them".into(),
                )
            }
        }
    } else {
        vec![input]
    };
    if list.is_empty() {
        return Err("no credentials to verify".into());
    }
    // An offline bundle stands for the credential it carries (a node checks it against what
    // it holds itself; `credreg verify --offline` checks the bundle's own evidence).
    let list: Vec<&Value> = list
        .into_iter()
        .map(|c| match c.get("credential") {
            Some(inner) if has_type(c, crate::bundle::BUNDLE_TYPE) => inner,
            _ => c,
        })
        .collect();
    if list.len() > MAX_CREDENTIALS {
        return Err(format!(
            "{} credentials given; at most {MAX_CREDENTIALS} per request",
            list.len()
        ));
    }
    Ok(list)
}

fn has_type(v: &Value, t: &str) -> bool {
    match v.get("type") {
        Some(Value::String(s)) => s == t,
        Some(Value::Array(a)) => a.iter().any(|x| x.as_str() == Some(t)),
        _ => false,
    }
}

pub(crate) fn issuer_of(v: &Value) -> (Option<String>, Option<String>) {
    match v.get("issuer") {
        Some(Value::String(s)) => (Some(s.clone()), None),
        Some(Value::Object(o)) => (
            o.get("id").and_then(Value::as_str).map(str::to_owned),
            o.get("name").and_then(Value::as_str).map(str::to_owned),
        ),
        _ => (None, None),
    }
}

pub(crate) fn well_formed(v: &Value) -> Result<(), String> {
    let Some(obj) = v.as_object() else {
        return Err("it is not a JSON object".into());
    };
    let contexts = credreg_proof::canon::context_urls(obj.get("@context").unwrap_or(&Value::Null));
    if contexts.first().copied() != Some(credreg_model::VC_V2)
        && contexts.first().copied() != Some("https://www.w3.org/2018/credentials/v1")
    {
        return Err("its first @context is not the W3C Verifiable Credentials context".into());
    }
    if !has_type(v, "VerifiableCredential") {
        return Err("its type does not include VerifiableCredential".into());
    }
    if issuer_of(v).0.is_none() {
        return Err("it names no issuer id".into());
    }
    if !obj.contains_key("credentialSubject") {
        return Err("it has no credentialSubject".into());
    }
    if !obj.contains_key("proof") {
        return Err("it carries no proof (it was never signed)".into());
    }
    Ok(())
}

impl Node {
    /// Verifies credentials (see [`credentials_of`]). Proofs are checked with one batch
    /// signature verification across the request.
    pub fn verify(&self, input: &Value) -> Result<VerifyReport, String> {
        Ok(self.verify_credentials(&credentials_of(input)?))
    }

    /// Verifies a list of credentials.
    pub fn verify_credentials(&self, creds: &[&Value]) -> VerifyReport {
        let now = OffsetDateTime::now_utc();
        let resolver = KeyResolver::new().allow_fragment_multikey(true);
        let options = VerifyOptions {
            now: Some(now),
            ..VerifyOptions::default()
        };
        let shapes: Vec<Result<(), String>> = creds.iter().map(|c| well_formed(c)).collect();
        let to_check = creds
            .iter()
            .zip(&shapes)
            .filter(|(_, s)| s.is_ok())
            .map(|(c, _)| *c);
        let mut proofs = self
            .di
            .verify_batch(to_check, &resolver, &options)
            .into_iter();
        let mut reports = Vec::with_capacity(creds.len());
        let mut summary = Summary::default();
        for (index, (cred, shape)) in creds.iter().zip(shapes).enumerate() {
            let proof = match shape {
                Ok(()) => proofs.next(),
                Err(_) => None,
            };
            let report = self.report(index, cred, shape, proof, now);
            summary.total += 1;
            match report.verdict {
                Verdict::Valid => summary.valid += 1,
                Verdict::Revoked => summary.revoked += 1,
                Verdict::Invalid => summary.invalid += 1,
            }
            reports.push(report);
        }
        VerifyReport {
            summary,
            credentials: reports,
        }
    }

    fn report(
        &self,
        index: usize,
        cred: &Value,
        shape: Result<(), String>,
        proof: Option<Result<Verification, ProofError>>,
        now: OffsetDateTime,
    ) -> CredentialReport {
        let (issuer_id, issuer_name) = issuer_of(cred);
        let ours = issuer_id.as_deref() == Some(self.did());
        let trust = issuer_id.as_deref().map(|i| self.trust_of(i));
        let equivocated = issuer_id
            .as_deref()
            .is_some_and(|i| self.evidence_about(i).is_ok_and(|e| !e.is_empty()));
        let issuer = IssuerInfo {
            id: issuer_id.clone(),
            name: issuer_name,
            status: trust.as_ref().map_or("unknown", |t| t.status.as_str()),
            anchor: trust.as_ref().and_then(|t| t.anchor.clone()),
            equivocated,
        };
        // Logs this node holds: its own, and replicas of trusted issuers.
        let replicated = !ours
            && trust.as_ref().is_some_and(|t| t.status.is_trusted())
            && issuer_id
                .as_deref()
                .is_some_and(|i| self.store.log_size(i).is_ok_and(|n| n > 0));
        let mut checks = Vec::new();
        let skip = |check| {
            CheckResult::new(
                check,
                CheckStatus::Skip,
                Some("not checked because an earlier check failed".to_owned()),
            )
        };
        match shape {
            Ok(()) => checks.push(CheckResult::new("well_formed", CheckStatus::Pass, None)),
            Err(why) => {
                checks.push(CheckResult::new(
                    "well_formed",
                    CheckStatus::Fail,
                    Some(format!("The credential is not well-formed: {why}.")),
                ));
                for c in CHECKS[1..].iter().copied() {
                    checks.push(skip(c));
                }
                return finish(index, cred, issuer, checks);
            }
        }
        let verification = match proof {
            Some(Ok(v)) => {
                let suites: Vec<&str> = v.proofs.iter().map(|p| p.suite.name()).collect();
                checks.push(CheckResult::new(
                    "proof",
                    CheckStatus::Pass,
                    Some(format!("signature verified ({})", suites.join(", "))),
                ));
                v
            }
            Some(Err(e)) => {
                checks.push(CheckResult::proof_failed(&e));
                for c in CHECKS[2..].iter().copied() {
                    checks.push(skip(c));
                }
                return finish(index, cred, issuer, checks);
            }
            None => {
                checks.push(CheckResult::new(
                    "proof",
                    CheckStatus::Fail,
                    Some("The proof was not checked (internal error).".to_owned()),
                ));
                return finish(index, cred, issuer, checks);
            }
        };
        checks.push(match verification.issuer_proof() {
            Some(p) => match p.key.source {
                KeySource::DidKey => CheckResult::new(
                    "issuer_key",
                    CheckStatus::Pass,
                    Some(format!("signed by the issuer's own did:key {}", p.key.controller)),
                ),
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
                        "No proof was made by the issuer's key: it names {} as issuer but was signed by {}.",
                        issuer_id.as_deref().unwrap_or("nobody"),
                        by.join(", ")
                    )),
                )
            }
        });
        checks.push(trusted_check(
            trust.as_ref(),
            equivocated,
            self.settings().federation.name.as_str(),
        ));
        checks.push(validity(cred, now));
        checks.push(self.status_check(cred, ours, replicated));
        checks.push(self.logged_check(cred, ours, replicated));
        checks.push(self.definition_check(cred));
        finish(index, cred, issuer, checks)
    }

    fn status_check(&self, cred: &Value, ours: bool, replicated: bool) -> CheckResult {
        let entries: Vec<&Value> = match cred.get("credentialStatus") {
            None => {
                return CheckResult::new(
                    "status",
                    CheckStatus::Skip,
                    Some(
                        "The credential has no status entry, so its issuer cannot revoke it."
                            .to_owned(),
                    ),
                )
            }
            Some(Value::Array(a)) => a.iter().collect(),
            Some(v) => vec![v],
        };
        for entry in entries {
            if entry.get("type").and_then(Value::as_str) != Some("BitstringStatusListEntry")
                || entry.get("statusPurpose").and_then(Value::as_str) != Some("revocation")
            {
                continue;
            }
            let list_url = entry
                .get("statusListCredential")
                .and_then(Value::as_str)
                .unwrap_or("");
            let Some(index) = entry
                .get("statusListIndex")
                .and_then(Value::as_str)
                .and_then(|s| s.parse::<u64>().ok())
            else {
                return CheckResult::new(
                    "status",
                    CheckStatus::Fail,
                    Some("The status entry's statusListIndex is not a number.".to_owned()),
                );
            };
            let prefix = format!("{}/api/v1/status-lists/", self.settings().public_url);
            let own_list = list_url
                .strip_prefix(&prefix)
                .and_then(|n| n.parse::<u32>().ok());
            return match (ours, own_list) {
                (true, Some(n)) => self.own_status(cred, n, index),
                _ if replicated => self.replicated_status(cred),
                _ => CheckResult::new(
                    "status",
                    CheckStatus::Warn,
                    Some(format!(
                        "Revocation could not be checked: the status list {list_url} is not available to this node."
                    )),
                ),
            };
        }
        CheckResult::new(
            "status",
            CheckStatus::Warn,
            Some("The credential's status method is not a revocation BitstringStatusListEntry, which this node cannot check.".to_owned()),
        )
    }

    fn own_status(&self, cred: &Value, list: u32, index: u64) -> CheckResult {
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
        let reason = cred
            .get("id")
            .and_then(Value::as_str)
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

    /// Revocation of a member's award, from the revocations replicated from its log (the
    /// issuer is not contacted).
    fn replicated_status(&self, cred: &Value) -> CheckResult {
        let Some(id) = cred.get("id").and_then(Value::as_str) else {
            return CheckResult::new(
                "status",
                CheckStatus::Warn,
                Some("The credential has no id, so its revocation cannot be looked up.".to_owned()),
            );
        };
        let issuer = issuer_of(cred).0.unwrap_or_default();
        let revocation = self
            .store
            .award_record(id, true)
            .ok()
            .flatten()
            .and_then(|(_, bytes)| {
                crate::node::decode_record::<credreg_model::Revocation>(&bytes)
                    .ok()
                    .filter(|(rec, _)| rec.issuer == issuer)
            });
        match revocation {
            Some((_, r)) => CheckResult::new(
                "status",
                CheckStatus::Fail,
                Some(format!(
                    "The issuer revoked this credential on {}: {}.",
                    r.revoked_at,
                    r.reason.trim_end_matches('.')
                )),
            ),
            None => {
                let size = self
                    .checkpoint(&issuer)
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
        }
    }

    fn logged_check(&self, cred: &Value, ours: bool, replicated: bool) -> CheckResult {
        if !has_type(cred, "OpenBadgeCredential") && !has_type(cred, "AchievementCredential") {
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
        let Some(id) = cred.get("id").and_then(Value::as_str) else {
            return CheckResult::new(
                "logged",
                CheckStatus::Fail,
                Some(
                    "The credential has no id, so its receipt cannot be found in the issuer's log."
                        .to_owned(),
                ),
            );
        };
        let issuer = issuer_of(cred).0.unwrap_or_default();
        match self.receipt_logged(&issuer, id) {
            Ok(what) => CheckResult::new("logged", CheckStatus::Pass, Some(what)),
            Err(why) => CheckResult::new(
                "logged",
                CheckStatus::Fail,
                Some(format!("The award is not on the issuer's books: {why}.")),
            ),
        }
    }

    fn definition_check(&self, cred: &Value) -> CheckResult {
        let achievement_id = cred
            .pointer("/credentialSubject/achievement/id")
            .and_then(Value::as_str);
        let known = achievement_id
            .and_then(|a| a.rsplit_once("/api/v1/credentials/"))
            .and_then(|(_, id)| self.definition(id).ok().flatten());
        match known {
            Some(entry) => CheckResult::new(
                "definition",
                CheckStatus::Pass,
                Some(format!(
                    "known locally: \"{}\" (version {})",
                    entry.def.name, entry.def.version
                )),
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

fn trusted_check(trust: Option<&Trust>, equivocated: bool, federation: &str) -> CheckResult {
    let status = match trust {
        Some(t) if t.status.is_trusted() && !equivocated => CheckStatus::Pass,
        _ => CheckStatus::Warn,
    };
    let reason = match trust.map(|t| (&t.status, t.anchor.as_deref())) {
        Some((TrustStatus::ThisNode, _)) => "issued by this node".to_owned(),
        Some((TrustStatus::Anchor, _)) => format!("the issuer is a trust anchor of {federation}"),
        Some((TrustStatus::Member, anchor)) => format!(
            "the issuer is a member of {federation}, vouched for by {}",
            anchor.unwrap_or("an anchor")
        ),
        Some((TrustStatus::Allowed, _)) => "the issuer is on this node's allow list".to_owned(),
        Some((TrustStatus::Denied, _)) => {
            "This node's operator does not trust the issuer (deny list).".to_owned()
        }
        Some((TrustStatus::Expired, _)) => {
            format!("The issuer's membership of {federation} has ended.")
        }
        Some((TrustStatus::Unknown, _)) | None => "The issuer is not a member of this node's federation; its badges are genuine only as far as the proof shows.".to_owned(),
    };
    let reason = if equivocated {
        format!("{reason}; but this node holds evidence that the issuer signed inconsistent logs")
    } else {
        reason
    };
    CheckResult::new("trusted", status, Some(reason))
}

pub(crate) fn validity(cred: &Value, now: OffsetDateTime) -> CheckResult {
    let parse = |k: &str| {
        cred.get(k)
            .and_then(Value::as_str)
            .map(|s| OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339))
    };
    match (parse("validFrom"), parse("validUntil")) {
        (Some(Err(_)), _) => CheckResult::new(
            "validity",
            CheckStatus::Fail,
            Some("validFrom is not an RFC 3339 date-time.".to_owned()),
        ),
        (_, Some(Err(_))) => CheckResult::new(
            "validity",
            CheckStatus::Fail,
            Some("validUntil is not an RFC 3339 date-time.".to_owned()),
        ),
        (Some(Ok(from)), _) if from > now + time::Duration::minutes(5) => CheckResult::new(
            "validity",
            CheckStatus::Fail,
            Some(format!("The credential is not valid until {from}.")),
        ),
        (_, Some(Ok(until))) if until < now => CheckResult::new(
            "validity",
            CheckStatus::Fail,
            Some(format!("The credential expired on {until}.")),
        ),
        _ => CheckResult::new("validity", CheckStatus::Pass, None),
    }
}

pub(crate) fn finish(
    index: usize,
    cred: &Value,
    issuer: IssuerInfo,
    checks: Vec<CheckResult>,
) -> CredentialReport {
    let first_fail = checks.iter().find(|c| c.status == CheckStatus::Fail);
    let verdict = match first_fail {
        None => Verdict::Valid,
        Some(c) if c.check == "status" => Verdict::Revoked,
        Some(_) => Verdict::Invalid,
    };
    CredentialReport {
        index,
        id: cred.get("id").and_then(Value::as_str).map(str::to_owned),
        name: cred.get("name").and_then(Value::as_str).map(str::to_owned),
        verdict,
        reason: first_fail.and_then(|c| c.reason.clone()),
        issuer,
        checks,
    }
}
