//! What the federation sees of a district's evidence review: one record per decision (digests,
//! no personal data) logged before the award it leads to, and signed statistics per definition.
//! Everything personal (who submitted, who reviewed, the evidence) stays at the district.

use crate::validate::{Errors, Validate};
use serde::{Deserialize, Serialize};

/// A decision's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionOutcome {
    /// Every criterion at a passing level: the award is issued.
    Pass,
    /// Feedback per criterion; the teacher may resubmit.
    NotYet,
}

/// Body of a [`crate::RecordKind::ReviewDecision`]: proof that a review happened, and when,
/// before the award it led to. The digests commit to the local submission and decision
/// (blake3 of their JSON), so a district can later show an auditor which review an award
/// followed without publishing it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewDecision {
    /// The definition reviewed against.
    pub credential_id: String,
    /// blake3 (hex) of the submission as reviewed.
    pub submission_digest: String,
    /// blake3 (hex) of the decision (levels, feedback, reviewers' scores).
    pub decision_digest: String,
    /// Pass or not yet.
    pub outcome: DecisionOutcome,
    /// Reviewers who scored it (a tiebreaker included).
    pub reviewers: u8,
    /// Whether the first reviewers agreed on pass / not yet.
    pub agreed: bool,
    /// Which submission this was (1 = first).
    pub attempt: u8,
    /// The award issued on a pass (`urn:uuid:...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub award_id: Option<String>,
}

impl Validate for ReviewDecision {
    fn validate(&self, e: &mut Errors) {
        if !crate::is_record_id(&self.credential_id) {
            e.add("credential_id", "must be a credential id");
        }
        for (field, v) in [
            ("submission_digest", &self.submission_digest),
            ("decision_digest", &self.decision_digest),
        ] {
            if v.len() != 64 || !v.bytes().all(|b| b.is_ascii_hexdigit()) {
                e.add(field, "must be 64 hex digits");
            }
        }
        if !(1..=10).contains(&self.reviewers) {
            e.add("reviewers", "must be from 1 to 10");
        }
        if !(1..=20).contains(&self.attempt) {
            e.add("attempt", "must be from 1 to 20");
        }
    }
}

/// Body of a [`crate::RecordKind::ReviewStatistics`]: how a definition's reviews went, as its
/// issuer measured them (no names, no scores of individuals).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewStatistics {
    /// The definition.
    pub credential_id: String,
    /// Submissions received (resubmissions included).
    pub submissions: u64,
    /// Decisions made.
    pub decisions: u64,
    /// Of first submissions decided, the share that passed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_attempt_pass_rate: Option<f64>,
    /// Mean submissions a teacher needed to pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_attempts: Option<f64>,
    /// Share of double-reviewed submissions whose first two reviewers agreed on pass / not yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent_agreement: Option<f64>,
    /// Cohen's kappa between the first two reviewers' pass / not yet judgements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kappa: Option<f64>,
    /// Median days from submission to decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub median_turnaround_days: Option<f64>,
    /// When the figures were computed (RFC 3339).
    pub as_of: String,
}

impl Validate for ReviewStatistics {
    fn validate(&self, e: &mut Errors) {
        if !crate::is_record_id(&self.credential_id) {
            e.add("credential_id", "must be a credential id");
        }
        let share = |e: &mut Errors, field: &str, v: Option<f64>| {
            if v.is_some_and(|x| !(0.0..=1.0).contains(&x)) {
                e.add(field, "must be between 0 and 1");
            }
        };
        share(e, "first_attempt_pass_rate", self.first_attempt_pass_rate);
        share(e, "percent_agreement", self.percent_agreement);
        if self.kappa.is_some_and(|k| !(-1.0..=1.0).contains(&k)) {
            e.add("kappa", "must be between -1 and 1");
        }
        if self
            .mean_attempts
            .is_some_and(|m| !(1.0..=20.0).contains(&m))
        {
            e.add("mean_attempts", "must be between 1 and 20");
        }
        if self
            .median_turnaround_days
            .is_some_and(|d| !(0.0..=3650.0).contains(&d))
        {
            e.add("median_turnaround_days", "must be between 0 and 3650");
        }
        if self.decisions > self.submissions {
            e.add("decisions", "cannot exceed submissions");
        }
    }
}
