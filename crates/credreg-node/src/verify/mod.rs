//! The verification pipeline: one report per credential, each check separately, and a
//! one-sentence reason for every failure (what a hiring principal reads).

pub mod bundle;
mod checks;
mod fetch_plan;
pub mod jose;
mod judge;
mod node_source;
pub mod ob2;
mod offline;
pub mod outside;
mod pins;
pub mod read;
mod source;

use crate::node::Node;
use credreg_proof::{CredentialFacts, ProofError, VerifyOptions};
use serde::Serialize;
use serde_json::Value;

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
    /// Genuine, in its validity period, and not revoked as far as could be checked: every
    /// check passed, or had nothing to check (no status entry means nothing can revoke it).
    Valid,
    /// Genuine, but revoked by its issuer.
    Revoked,
    /// Genuine, but its validity period is over.
    Expired,
    /// Genuine, but whether it is revoked could not be checked (the status list is not
    /// available, or its method is not one this node reads). Never reported as valid.
    CouldNotCheck,
    /// Not genuine or not well-formed.
    Invalid,
}

impl Verdict {
    /// The name used in reports and metrics (`valid`, `revoked`, `expired`,
    /// `could_not_check`, `invalid`).
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Valid => "valid",
            Verdict::Revoked => "revoked",
            Verdict::Expired => "expired",
            Verdict::CouldNotCheck => "could_not_check",
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

/// How a badge was presented and secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// A JSON-LD verifiable credential with Data Integrity proofs (Open Badges 3.0 as this
    /// node issues them).
    DataIntegrity,
    /// A verifiable credential as a compact JWS (VC-JWT).
    VcJwt,
    /// An Open Badges 2.0 assertion (hosted or signed).
    #[serde(rename = "open_badges_2")]
    OpenBadges2,
}

/// The report for one credential.
#[derive(Debug, Clone, Serialize)]
pub struct CredentialReport {
    /// Position in the request.
    pub index: usize,
    /// How it was presented: `data_integrity`, `vc_jwt` or `open_badges_2`.
    pub format: Format,
    /// Whether this node's federation trusts the issuer (the `trusted` check passed). Listed
    /// before the verdict: a `valid` badge from an issuer nobody vouches for proves only
    /// that someone with that key signed it.
    pub trusted: bool,
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
    /// What the credential states, read from its signed data (when its proof verified).
    #[serde(skip)]
    pub facts: Option<std::sync::Arc<CredentialFacts>>,
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
    /// Expired ones.
    pub expired: usize,
    /// Ones whose revocation status could not be checked.
    pub could_not_check: usize,
    /// Invalid ones.
    pub invalid: usize,
    /// Valid ones whose issuer this node's federation does not trust.
    pub untrusted: usize,
}

impl Summary {
    fn count(&mut self, report: &CredentialReport) {
        self.total += 1;
        match report.verdict {
            Verdict::Valid => self.valid += 1,
            Verdict::Revoked => self.revoked += 1,
            Verdict::Expired => self.expired += 1,
            Verdict::CouldNotCheck => self.could_not_check += 1,
            Verdict::Invalid => self.invalid += 1,
        }
        if report.verdict == Verdict::Valid && !report.trusted {
            self.untrusted += 1;
        }
    }
}

/// Why a verification or transfer-report body holds no credentials to check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// The body is not a JSON object.
    #[error("the body must be a JSON object (a credential, a VerifiablePresentation or {{\"credentials\": [...]}}) or a VC-JWT")]
    NotAnObject,
    /// `credentials` is there but not an array.
    #[error("`credentials` must be an array")]
    CredentialsNotAnArray,
    /// A presentation's `verifiableCredential` is neither a credential nor a list of them.
    #[error("`verifiableCredential` must be a credential or an array of them")]
    BadPresentation,
    /// Nothing to verify.
    #[error("no credentials to verify")]
    Empty,
    /// More than [`MAX_CREDENTIALS`].
    #[error("{0} credentials given; at most {MAX_CREDENTIALS} per request")]
    TooMany(usize),
    /// A transfer report's `email` is not an e-mail address.
    #[error("`email` must be an e-mail address")]
    BadEmail,
}

/// Pulls the credentials out of a request body: one credential, a `VerifiablePresentation`, or
/// `{"credentials": [...]}`. Borrows them: nothing is copied on the way to verification.
pub fn credentials_of(input: &Value) -> Result<Vec<&Value>, InputError> {
    if jose::token_of(input).is_some() || ob2::ob2_of(input).is_some() {
        return Ok(vec![input]);
    }
    let Some(obj) = input.as_object() else {
        return Err(InputError::NotAnObject);
    };
    let list: Vec<&Value> = if has_type(input, credreg_wire::bundle::BUNDLE_TYPE) {
        vec![input]
    } else if let Some(c) = obj.get("credentials") {
        match c {
            Value::Array(a) => a.iter().collect(),
            _ => return Err(InputError::CredentialsNotAnArray),
        }
    } else if has_type(input, "VerifiablePresentation") {
        match obj.get("verifiableCredential") {
            Some(Value::Array(a)) => a.iter().collect(),
            Some(v @ Value::Object(_)) => vec![v],
            None => vec![],
            Some(_) => return Err(InputError::BadPresentation),
        }
    } else {
        vec![input]
    };
    if list.is_empty() {
        return Err(InputError::Empty);
    }
    // An offline bundle stands for the credential it carries (a node checks it against what
    // it holds itself; `credreg verify --offline` checks the bundle's own evidence).
    let list: Vec<&Value> = list
        .into_iter()
        .map(|c| match c.get("credential") {
            Some(inner) if has_type(c, credreg_wire::bundle::BUNDLE_TYPE) => inner,
            _ => c,
        })
        .collect();
    if list.len() > MAX_CREDENTIALS {
        return Err(InputError::TooMany(list.len()));
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

/// The shape a credential must have before its proof is checked: what the JSON-LD processor
/// needs (a JSON object whose first context is the VC context) and a proof to check. Everything
/// else is judged from the signed data ([`signed_shape`]).
pub(crate) fn well_formed(v: &Value) -> Result<(), String> {
    ld_shape(v)?;
    if v.get("proof").is_none() {
        return Err("it carries no proof (it was never signed)".into());
    }
    Ok(())
}

/// A JSON object whose first context is the VC context (1.1 or 2.0).
fn ld_shape(v: &Value) -> Result<(), String> {
    let Some(obj) = v.as_object() else {
        return Err("it is not a JSON object".into());
    };
    let contexts = credreg_proof::canon::context_urls(obj.get("@context").unwrap_or(&Value::Null));
    if contexts.first().copied() != Some(credreg_model::VC_V2)
        && contexts.first().copied() != Some(VC_V1)
    {
        return Err("its first @context is not the W3C Verifiable Credentials context".into());
    }
    Ok(())
}

/// A credential as it arrived: JSON-LD with its proofs inside, or a VC-JWT read into the
/// credential its payload states.
enum Arrived<'a> {
    Ld(&'a Value),
    Jwt(Result<Box<jose::Token>, String>),
    Ob2(Box<ob2::Ob2>),
}

impl Arrived<'_> {
    /// The credential the checks read (for a JWT that could not be read, the token string).
    fn credential<'v>(&'v self, raw: &'v Value) -> &'v Value {
        match self {
            Arrived::Jwt(Ok(t)) => &t.credential,
            _ => raw,
        }
    }

    fn shape(&self) -> Result<(), String> {
        match self {
            Arrived::Ld(v) => well_formed(v),
            Arrived::Jwt(Ok(t)) => ld_shape(&t.credential).map_err(|e| format!("its payload: {e}")),
            Arrived::Jwt(Err(why)) => Err(format!("the JWT cannot be read: {why}")),
            Arrived::Ob2(_) => Ok(()),
        }
    }
}

const VC_V1: &str = "https://www.w3.org/2018/credentials/v1";

/// What a credential must state, read from the signed data.
fn signed_shape(facts: &CredentialFacts) -> Result<(), String> {
    if let Some(why) = &facts.root_problem {
        return Err(why.clone());
    }
    if facts.issuer().is_none() {
        return Err(if facts.issuers.is_empty() {
            "it names no issuer id".into()
        } else {
            "it names more than one issuer".into()
        });
    }
    if !facts.has_subject {
        return Err("it has no credentialSubject".into());
    }
    Ok(())
}

impl Node {
    /// Verifies credentials (see [`credentials_of`]). Proofs are checked with one batch
    /// signature verification across the request.
    pub fn verify(&self, input: &Value) -> Result<VerifyReport, InputError> {
        Ok(self.verify_credentials(&credentials_of(input)?))
    }

    /// [`verify`](Self::verify), with status lists fetched from outside for issuers this node
    /// does not replicate.
    pub fn verify_with(
        &self,
        input: &Value,
        outside: &outside::OutsideDocuments,
    ) -> Result<VerifyReport, InputError> {
        Ok(self.verify_credentials_with(&credentials_of(input)?, outside))
    }

    /// Verifies a list of credentials.
    pub fn verify_credentials(&self, creds: &[&Value]) -> VerifyReport {
        self.verify_credentials_with(creds, &outside::OutsideDocuments::none())
    }

    /// Verifies a list of credentials, with documents fetched from outside.
    pub fn verify_credentials_with(
        &self,
        creds: &[&Value],
        outside: &outside::OutsideDocuments,
    ) -> VerifyReport {
        let now = self.now();
        let resolver = outside.key_resolver().allow_fragment_multikey(true);
        let options = VerifyOptions {
            now: Some(now),
            credential_facts: true,
            ..VerifyOptions::default()
        };
        let arrived: Vec<Arrived> = creds
            .iter()
            .map(|c| match (ob2::ob2_of(c), jose::token_of(c)) {
                (Some(badge), _) => Arrived::Ob2(Box::new(badge)),
                (None, Some(token)) => Arrived::Jwt(jose::read(token).map(Box::new)),
                (None, None) => Arrived::Ld(c),
            })
            .collect();
        let shapes: Vec<Result<(), String>> = arrived.iter().map(Arrived::shape).collect();
        let to_check = arrived.iter().zip(&shapes).filter_map(|(a, s)| match a {
            Arrived::Ld(c) if s.is_ok() => Some(*c),
            _ => None,
        });
        let mut proofs = self
            .di
            .verify_batch(to_check, &resolver, &options)
            .into_iter();
        let key_document = |url: &str| outside.json(url).map(|v| Value::clone(&v));
        let mut reports = Vec::with_capacity(creds.len());
        let mut summary = Summary::default();
        for (index, ((raw, form), shape)) in creds.iter().zip(&arrived).zip(shapes).enumerate() {
            if let Arrived::Ob2(badge) = form {
                let report = ob2::judge(
                    index,
                    badge,
                    outside,
                    |issuer| node_source::NodeEvidence::about(self, issuer, outside),
                    now,
                );
                summary.count(&report);
                reports.push(report);
                continue;
            }
            let proof = match (form, &shape) {
                (_, Err(_)) => None,
                (Arrived::Ld(_), Ok(())) => proofs.next(),
                (Arrived::Jwt(Ok(token)), Ok(())) => Some(
                    jose::verify(token, &resolver, &key_document)
                        .and_then(|key| jose::verification(&self.di, token, key)),
                ),
                (Arrived::Jwt(Err(_)), Ok(())) | (Arrived::Ob2(_), _) => None,
            };
            // A key that had to be fetched and was not: say why, not just "no document".
            let proof = proof.map(|r| {
                r.map_err(|e| match e {
                    ProofError::KeyResolution { method, reason } => {
                        let reason = outside.key_failure(&method).unwrap_or(reason);
                        ProofError::KeyResolution { method, reason }
                    }
                    other => other,
                })
            });
            let cred = form.credential(raw);
            let report = judge::judge(
                index,
                cred,
                shape,
                proof,
                |issuer| node_source::NodeEvidence::about(self, issuer, outside),
                now,
            );
            let mut report = report;
            if matches!(form, Arrived::Jwt(_)) {
                report.format = Format::VcJwt;
            }
            self.note_issuer_document(&mut report, outside);
            summary.count(&report);
            reports.push(report);
        }
        VerifyReport {
            summary,
            credentials: reports,
        }
    }
}

impl Node {
    /// What the issuer's fetched document (`did:web`, an HTTPS controller) adds to the
    /// `issuer_key` sentence, in one place: why a key it should have confirmed is unconfirmed
    /// (the fetch failed), how old the copy that confirmed it is, and whether its keys changed
    /// since this node pinned them (then the check warns; see `pins.rs`).
    fn note_issuer_document(
        &self,
        report: &mut CredentialReport,
        outside: &outside::OutsideDocuments,
    ) {
        let Some(issuer) = report.issuer.id.clone() else {
            return;
        };
        let Some(url) = outside::document_url(&issuer) else {
            return;
        };
        let Some(c) = report.checks.iter_mut().find(|c| c.check == "issuer_key") else {
            return;
        };
        let mut said = c.reason.take().unwrap_or_default();
        match (c.status, outside.get(&url)) {
            (CheckStatus::Warn, _) => {
                if let Some(why) = outside.key_failure(&issuer) {
                    said = format!("{said} The issuer's document {why}.");
                }
            }
            (CheckStatus::Pass, Some(Ok((_, age)))) => {
                said = format!("{said} (its document fetched {age} s ago)");
            }
            _ => {}
        }
        let changed = outside
            .json(&url)
            .filter(|doc| doc.get("id").and_then(Value::as_str) == Some(issuer.as_str()))
            .and_then(|doc| self.key_change_note(&issuer, &doc));
        if let (Some(note), false) = (changed, c.status == CheckStatus::Fail) {
            c.status = CheckStatus::Warn;
            let trimmed = said.trim_end_matches('.');
            said = if trimmed.is_empty() {
                note
            } else {
                format!("{trimmed}. {note}")
            };
        }
        c.reason = (!said.is_empty()).then_some(said);
    }
}

/// The one answer a person reads, from the checks: revoked before anything else that failed
/// (the issuer said so), then not genuine, then expired; with nothing failed, a revocation
/// status that could not be checked is said as such, never as valid.
pub(crate) fn verdict_of(checks: &[CheckResult]) -> Verdict {
    let failed: Vec<&CheckResult> = checks
        .iter()
        .filter(|c| c.status == CheckStatus::Fail)
        .collect();
    if failed.iter().any(|c| c.check == "status") {
        return Verdict::Revoked;
    }
    if failed.iter().any(|c| !checks::is_expiry(c)) {
        return Verdict::Invalid;
    }
    if !failed.is_empty() {
        return Verdict::Expired;
    }
    if checks
        .iter()
        .any(|c| c.check == "status" && c.status == CheckStatus::Warn)
    {
        return Verdict::CouldNotCheck;
    }
    Verdict::Valid
}

pub(crate) fn finish(
    index: usize,
    cred: &Value,
    issuer: IssuerInfo,
    checks: Vec<CheckResult>,
) -> CredentialReport {
    let verdict = verdict_of(&checks);
    let trusted = checks
        .iter()
        .any(|c| c.check == "trusted" && c.status == CheckStatus::Pass);
    CredentialReport {
        index,
        format: Format::DataIntegrity,
        trusted,
        facts: None,
        id: cred.get("id").and_then(Value::as_str).map(str::to_owned),
        name: cred.get("name").and_then(Value::as_str).map(str::to_owned),
        verdict,
        reason: checks
            .iter()
            .find(|c| c.status == CheckStatus::Fail)
            .or_else(|| {
                (verdict == Verdict::CouldNotCheck)
                    .then(|| checks.iter().find(|c| c.check == "status"))
                    .flatten()
            })
            .and_then(|c| c.reason.clone()),
        issuer,
        checks,
    }
}
