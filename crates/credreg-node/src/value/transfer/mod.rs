//! Transfer reports: "this teacher is transferring to us: are these badges genuine, and what are
//! they worth here?" Every badge goes through the verification pipeline, then the receiving
//! district's recognition rules are applied to the ones that are genuine, unrevoked, from a
//! trusted issuer and (when an e-mail is given) issued to that teacher.
//!
//! How rules combine (the brief is silent; this is what a hiring office expects):
//! - each badge gets at most one rule: the most specific one in force (one credential, then a
//!   federation with a quality standard, then a whole federation); among equals the newest,
//!   since a district revises its schedule by publishing a new rule;
//! - stack rules are granted once, in addition, when the badges complete the foreign stack;
//! - a badge of an issuer outside the federation (an Open Badges 2.0 provider, a university)
//!   counts only under a rule naming that issuer (and perhaps its BadgeClass); without one it
//!   stays "issuer not a member";
//! - "counts as our credential Y" grants Y's own local value and counts Y toward local stacks,
//!   whose values are granted too;
//! - `per: N` grants the amount on every N-th matching badge, so per-badge credits add up to
//!   the totals exactly; caps apply per rule, per teacher or per calendar year of issuance,
//!   taking badges in issuance order.

mod eligibility;
mod rules;
mod stacks;

use crate::node::Node;
use crate::value::recognition::RuleMatcher;
use crate::verify::outside::OutsideDocuments;
use crate::verify::{
    credentials_of, CredentialReport, InputError, IssuerInfo, Verdict, VerifyReport,
};
use crate::CatalogEntry;
use credreg_model::{AppliesTo, CapPeriod, Credit, LocalValue, Recognition, ValueUnit};
use credreg_proof::{CredentialFacts, DateFact};
use rules::{apply_rule, best_rules};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// A definition or stack, by id and name.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Named {
    /// Record id.
    pub id: String,
    /// Name.
    pub name: String,
}

/// An amount in a unit: the model's `LocalValue` (what a definition or stack is worth).
pub type Amount = LocalValue;

/// What became of one badge.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A rule matched and granted credit (or an equivalence).
    Recognized,
    /// A rule matched; the badge counts toward a ratio ("1 per 2") not yet filled.
    Counted,
    /// One of the receiving district's own credentials.
    Own,
    /// Not recognized; `reason` and `note` say why.
    NotRecognized,
}

/// Why a badge was not recognized.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Not genuine: forged, altered or malformed.
    Invalid,
    /// Revoked by its issuer.
    Revoked,
    /// Its validity period is over.
    Expired,
    /// Whether it is revoked could not be checked, and the district does not credit such
    /// badges (`credit_unchecked_status`).
    StatusUnchecked,
    /// The issuer is not a member of the federation (or is denied, or its membership ended).
    UnknownIssuer,
    /// Issued to someone other than the given e-mail.
    IdentityMismatch,
    /// The credential's definition is not in the replicated catalogs.
    UnknownCredential,
    /// No recognition rule of the district matches it.
    NoMatchingRule,
    /// The rule's cap is used up.
    CapReached,
}

/// One badge's line in the report.
#[derive(Debug, Clone, Serialize)]
pub struct BadgeOutcome {
    /// Position in the request.
    pub index: usize,
    /// Award id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Award name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Issuer and its trust here.
    pub issuer: IssuerInfo,
    /// Verification verdict.
    pub verdict: Verdict,
    /// What became of it.
    pub outcome: Outcome,
    /// Why not recognized.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    /// The definition it is an award of, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<Named>,
    /// The rule that matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<Named>,
    /// The local credential it counts as.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub equivalent: Option<Named>,
    /// Credit granted for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credit: Option<Amount>,
    /// One sentence.
    pub note: String,
}

/// A stack completed (a local one through equivalences, or a recognized foreign one).
#[derive(Debug, Clone, Serialize)]
pub struct StackOutcome {
    /// The stack.
    pub stack: Named,
    /// Its issuer.
    pub issuer: String,
    /// `local` (the district's own stack) or `foreign` (recognized by a stack rule).
    pub kind: &'static str,
    /// The rule, for foreign stacks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<Named>,
    /// The local credential it counts as, if the rule is an equivalence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub equivalent: Option<Named>,
    /// What completing it is worth here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credit: Option<Amount>,
    /// Indexes of the badges that complete it (for local stacks: the badges counting as its
    /// credentials).
    pub badges: Vec<usize>,
}

/// Counts of a report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TransferSummary {
    /// Badges given.
    pub badges: usize,
    /// Recognized or counted toward a ratio.
    pub recognized: usize,
    /// The district's own badges.
    pub own: usize,
    /// Not recognized.
    pub not_recognized: usize,
}

/// The district whose rules were applied.
#[derive(Debug, Clone, Serialize)]
pub struct District {
    /// DID.
    pub did: String,
    /// Name, from its issuer profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A transfer report.
#[derive(Debug, Clone, Serialize)]
pub struct TransferReport {
    /// Whose rules.
    pub district: District,
    /// When (RFC 3339).
    pub generated_at: String,
    /// Whether the badges were matched against a given e-mail.
    pub email_checked: bool,
    /// Counts.
    pub summary: TransferSummary,
    /// Totals per unit (badges, equivalences' local values and stacks).
    pub totals: Vec<Amount>,
    /// Per badge, in request order.
    pub badges: Vec<BadgeOutcome>,
    /// Stacks completed.
    pub stacks: Vec<StackOutcome>,
    /// Every check of every badge.
    pub verification: VerifyReport,
}

/// A rule with its id, as the engine uses it.
struct Rule<'a> {
    id: &'a str,
    issued: &'a str,
    r: &'a Recognition,
}

impl Rule<'_> {
    fn named(&self) -> Named {
        Named {
            id: self.id.to_owned(),
            name: self.r.name.clone(),
        }
    }
}

/// The parts of a transfer-report request.
pub struct TransferInput<'a> {
    /// The badges.
    pub credentials: Vec<&'a Value>,
    /// The e-mail they should have been issued to.
    pub email: Option<String>,
}

/// Reads a transfer-report body: what [`credentials_of`] accepts (bundles included), plus an
/// optional top-level `email`.
pub fn transfer_input(body: &Value) -> Result<TransferInput<'_>, InputError> {
    let email = match body.get("email") {
        None | Some(Value::Null) => None,
        Some(Value::String(e)) if credreg_model::looks_like_email(e) => Some(e.clone()),
        Some(_) => return Err(InputError::BadEmail),
    };
    Ok(TransferInput {
        credentials: credentials_of(body)?,
        email,
    })
}

/// The definition record id an award names (`.../api/v1/credentials/<id>`), as signed.
fn definition_id(facts: &CredentialFacts) -> Option<&str> {
    facts
        .achievement()
        .and_then(credreg_wire::urls::credential_id)
        .filter(|id| credreg_model::is_record_id(id))
}

fn issuance_year(facts: &CredentialFacts) -> i32 {
    match facts.valid_from {
        DateFact::At(t) => t.year(),
        _ => 0,
    }
}

/// Whether the signed identity objects name `email` (each must state one type and one hash).
fn names_email(facts: &CredentialFacts, email: &str) -> bool {
    fn one(v: &[String]) -> Option<&str> {
        match v {
            [x] => Some(x.as_str()),
            _ => None,
        }
    }
    facts.identifiers.iter().any(|id| {
        let (Some(kind), Some(hash)) = (one(&id.identity_type), one(&id.hash)) else {
            return false;
        };
        let hashed = matches!(one(&id.hashed), Some("true") | Some("1"));
        credreg_model::identity_names_email(kind, hash, hashed, one(&id.salt).unwrap_or(""), email)
    })
}

fn unit_name(unit: ValueUnit) -> &'static str {
    match unit {
        ValueUnit::Dollars => "dollars",
        ValueUnit::InServiceHours => "in-service hours",
        ValueUnit::CePoints => "CE points",
        ValueUnit::CpdUnits => "CPD units",
    }
}

/// `$400` or `4 in-service hours`.
pub fn show_amount(a: &Amount) -> String {
    let n = if a.amount.fract() == 0.0 {
        format!("{}", a.amount as i64)
    } else {
        format!("{:.2}", a.amount)
    };
    match a.unit {
        ValueUnit::Dollars => format!("${n}"),
        u => format!("{n} {}", unit_name(u)),
    }
}

impl Node {
    /// The transfer report for `input` under `district`'s recognition rules (default: this
    /// node's). Another district's replicated rules give a teacher a preview of what would
    /// transfer there; membership is judged by this node's federation.
    ///
    /// In four steps: which badges may earn credit (`eligibility.rs`), each one's best rule
    /// and that rule's credits and caps (`rules.rs`), then the stacks they complete
    /// (`stacks.rs`).
    pub fn transfer_report(
        &self,
        input: &TransferInput<'_>,
        district: Option<&str>,
    ) -> Result<TransferReport, crate::NodeError> {
        self.report_under(input, district, None, &OutsideDocuments::none())
    }

    /// [`transfer_report`](Self::transfer_report), with status lists fetched from outside.
    pub fn transfer_report_with(
        &self,
        input: &TransferInput<'_>,
        district: Option<&str>,
        outside: &OutsideDocuments,
    ) -> Result<TransferReport, crate::NodeError> {
        self.report_under(input, district, None, outside)
    }

    /// The report this node's rules would give if `draft` were published too: a coordinator's
    /// preview of a rule before signing it ("what would this sample portfolio be worth here").
    /// Nothing is stored.
    pub fn transfer_report_preview(
        &self,
        input: &TransferInput<'_>,
        draft: &credreg_model::Recognition,
    ) -> Result<TransferReport, crate::NodeError> {
        self.transfer_report_preview_with(input, draft, &OutsideDocuments::none())
    }

    /// [`transfer_report_preview`](Self::transfer_report_preview), with documents fetched
    /// from outside (Open Badges 2.0 badges, did:web keys, status lists).
    pub fn transfer_report_preview_with(
        &self,
        input: &TransferInput<'_>,
        draft: &credreg_model::Recognition,
        outside: &OutsideDocuments,
    ) -> Result<TransferReport, crate::NodeError> {
        let mut errors = credreg_model::Errors::default();
        credreg_model::Validate::validate(draft, &mut errors);
        errors.finish()?;
        self.report_under(input, None, Some(draft), outside)
    }

    fn report_under(
        &self,
        input: &TransferInput<'_>,
        district: Option<&str>,
        draft: Option<&credreg_model::Recognition>,
        outside: &OutsideDocuments,
    ) -> Result<TransferReport, crate::NodeError> {
        let now = self.now();
        let district = district.unwrap_or(self.did()).to_owned();
        let verification = self.verify_credentials_with(&input.credentials, outside);
        let entries = self.rules_in_force(Some(&district))?;
        let draft_issued = self.now_rfc3339();
        let mut rules: Vec<Rule<'_>> = entries
            .iter()
            .map(|e| Rule {
                id: &e.id,
                issued: &e.issued,
                r: &e.recognition,
            })
            .collect();
        if let Some(r) = draft {
            rules.push(Rule {
                id: "draft",
                issued: &draft_issued,
                r,
            });
        }
        let mut matcher = RuleMatcher::new(self)?;

        let mut tally = self.eligibility(&verification, &district, input.email.as_deref());
        let by_rule = best_rules(&rules, &mut matcher, &mut tally);
        for (k, matched) in by_rule {
            let (credits, counts_as) = apply_rule(&rules[k], matched, &mut tally.badges, &|id| {
                self.local_named(id)
            });
            for c in &credits {
                tally.add(c);
            }
            for (local, index) in counts_as {
                tally.held.entry(local).or_default().push(index);
            }
        }
        let mut stacks = self.foreign_stacks(&rules, &mut tally)?;
        stacks.extend(self.local_stacks(&district, &mut tally)?);

        let Tally { badges, totals, .. } = tally;
        let mut summary = TransferSummary {
            badges: badges.len(),
            ..TransferSummary::default()
        };
        for b in &badges {
            match b.outcome {
                Outcome::Recognized | Outcome::Counted => summary.recognized += 1,
                Outcome::Own => summary.own += 1,
                Outcome::NotRecognized => summary.not_recognized += 1,
            }
        }
        let name = self.issuer_name(&district);
        Ok(TransferReport {
            district: District {
                did: district,
                name,
            },
            generated_at: crate::node::format_time(now),
            email_checked: input.email.is_some(),
            summary,
            totals: totals
                .into_iter()
                .map(|(unit, amount)| Amount { amount, unit })
                .collect(),
            badges,
            stacks,
            verification,
        })
    }

    /// A local definition by id, with its own value (for equivalences).
    fn local_named(&self, id: &str) -> (Named, Option<LocalValue>) {
        match self.definition(id).ok().flatten() {
            Some(d) => (
                Named {
                    id: d.id.clone(),
                    name: d.def.name.clone(),
                },
                d.def.local_value,
            ),
            None => (
                Named {
                    id: id.to_owned(),
                    name: String::new(),
                },
                None,
            ),
        }
    }
}

/// A report being built: each badge's line, the badges that may earn credit, what local
/// credentials the teacher now holds, and the totals so far.
struct Tally {
    badges: Vec<BadgeOutcome>,
    /// Badges that may earn credit: (badge index, definition, year of issuance).
    eligible: Vec<(usize, Arc<CatalogEntry>, i32)>,
    /// Genuine badges of issuers outside the federation: they earn credit only under a rule
    /// naming their issuer.
    outside: Vec<OutsideBadge>,
    /// Local definition id -> badges that count as it.
    held: BTreeMap<String, Vec<usize>>,
    totals: BTreeMap<ValueUnit, f64>,
}

/// A genuine badge of an issuer outside the federation.
struct OutsideBadge {
    index: usize,
    issuer: String,
    achievement: Option<String>,
    year: i32,
    /// Issued to the given e-mail (true when none was given).
    recipient_matches: bool,
}

impl Tally {
    fn add(&mut self, a: &Amount) {
        *self.totals.entry(a.unit).or_default() += a.amount;
    }
}

fn outcome_of(report: &CredentialReport) -> BadgeOutcome {
    BadgeOutcome::undecided(
        report.index,
        report.id.clone(),
        report.name.clone(),
        report.issuer.clone(),
        report.verdict,
    )
}

impl BadgeOutcome {
    /// A badge not (yet) recognized, with nothing decided about it.
    pub(crate) fn undecided(
        index: usize,
        id: Option<String>,
        name: Option<String>,
        issuer: IssuerInfo,
        verdict: Verdict,
    ) -> Self {
        BadgeOutcome {
            index,
            id,
            name,
            issuer,
            verdict,
            outcome: Outcome::NotRecognized,
            reason: None,
            credential: None,
            rule: None,
            equivalent: None,
            credit: None,
            note: String::new(),
        }
    }
}
