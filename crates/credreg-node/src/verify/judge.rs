//! One credential's report from its shape, its proof and an evidence source: the same steps
//! for a node's verification and an offline bundle's.

use super::checks::{definition_check, issuer_key_check, logged_check, status_check, validity};
use super::source::EvidenceSource;
use super::{finish, issuer_of, signed_shape, CheckResult, CheckStatus, CredentialReport};
use super::{IssuerInfo, CHECKS};
use credreg_proof::{ProofError, Verification};
use serde_json::Value;
use time::OffsetDateTime;

/// The report for `cred` (at `index` in the request): `shape` is the pre-proof shape check,
/// `proof` its proof's verification (`None` if it was not run), and `source` the evidence
/// the later checks consult, chosen once the signed issuer is known.
pub(crate) fn judge<S: EvidenceSource>(
    index: usize,
    cred: &Value,
    shape: Result<(), String>,
    proof: Option<Result<Verification, ProofError>>,
    source: impl FnOnce(&str) -> S,
    now: OffsetDateTime,
) -> CredentialReport {
    // Before the proof verifies, the JSON's issuer is shown as a claim; afterwards, only
    // the signed issuer counts.
    let (claimed_id, claimed_name) = issuer_of(cred);
    let unverified = IssuerInfo {
        id: claimed_id,
        name: claimed_name.clone(),
        status: "unknown",
        anchor: None,
        equivocated: false,
    };
    let mut checks = Vec::new();
    let skip_from = |checks: &mut Vec<CheckResult>, from: usize| {
        for c in CHECKS[from..].iter().copied() {
            checks.push(CheckResult::new(
                c,
                CheckStatus::Skip,
                Some("not checked because an earlier check failed".to_owned()),
            ));
        }
    };
    if let Err(why) = shape {
        checks.push(CheckResult::new(
            "well_formed",
            CheckStatus::Fail,
            Some(format!("The credential is not well-formed: {why}.")),
        ));
        skip_from(&mut checks, 1);
        return finish(index, cred, unverified, checks);
    }
    let mut verification = match proof {
        Some(Ok(v)) => v,
        Some(Err(e)) => {
            checks.push(CheckResult::new("well_formed", CheckStatus::Pass, None));
            checks.push(CheckResult::proof_failed(&e));
            skip_from(&mut checks, 2);
            return finish(index, cred, unverified, checks);
        }
        None => {
            checks.push(CheckResult::new("well_formed", CheckStatus::Pass, None));
            checks.push(CheckResult::new(
                "proof",
                CheckStatus::Fail,
                Some("The proof was not checked (internal error).".to_owned()),
            ));
            skip_from(&mut checks, 2);
            return finish(index, cred, unverified, checks);
        }
    };
    let suites: Vec<&str> = verification.proofs.iter().map(|p| p.suite.name()).collect();
    let proof_pass = CheckResult::new(
        "proof",
        CheckStatus::Pass,
        Some(format!("signature verified ({})", suites.join(", "))),
    );
    let Some(facts) = verification.facts.take() else {
        checks.push(CheckResult::new(
            "well_formed",
            CheckStatus::Fail,
            Some("The credential's signed data could not be read (internal error).".to_owned()),
        ));
        checks.push(proof_pass);
        skip_from(&mut checks, 2);
        return finish(index, cred, unverified, checks);
    };
    if let Err(why) = signed_shape(&facts) {
        checks.push(CheckResult::new(
            "well_formed",
            CheckStatus::Fail,
            Some(format!("The credential is not well-formed: {why}.")),
        ));
        checks.push(proof_pass);
        skip_from(&mut checks, 2);
        let mut report = finish(index, cred, unverified, checks);
        report.facts = Some(std::sync::Arc::new(facts));
        return report;
    }
    checks.push(CheckResult::new("well_formed", CheckStatus::Pass, None));
    checks.push(proof_pass);

    let issuer_id = facts.issuer().unwrap_or_default().to_owned();
    let source = source(&issuer_id);
    let trust = source.trust(&issuer_id);
    // The name as written is shown only beside the signed issuer id it came with; the
    // issuer's own signed profile, when the source has it, wins.
    let claimed = (unverified.id.as_deref() == Some(issuer_id.as_str()))
        .then_some(claimed_name)
        .flatten();
    let issuer = IssuerInfo {
        id: Some(issuer_id.clone()),
        name: trust.published_name.or(claimed),
        status: trust.status,
        anchor: trust.anchor,
        equivocated: trust.equivocated,
    };
    checks.push(issuer_key_check(&verification, &issuer_id));
    checks.push(trust.check);
    checks.push(validity(&facts, now));
    checks.push(status_check(&source, &facts, &issuer_id));
    let digest = verification
        .proofs
        .iter()
        .find(|p| p.key.controller == issuer_id)
        .map(|p| p.document_digest);
    checks.push(logged_check(&source, cred, &facts, &issuer_id, digest));
    checks.push(definition_check(&source, &facts, &issuer_id));
    let mut report = finish(index, cred, issuer, checks);
    report.id = facts.id.clone();
    report.facts = Some(std::sync::Arc::new(facts));
    report
}
