//! A definition's review figures, their publication, and eligibility questions.

use super::assign::ineligible;
use super::people::Actor;
use super::stats::{definition_figures, reviewer_figures};
use super::workflow::ReviewFigures;
use crate::error::{internal, NodeError};
use crate::node::{Node, Published};
use credreg_model::{Errors, RecordKind, ReviewStatistics, Validate};
use std::sync::Arc;

impl Node {
    /// A definition's review figures (coordinators).
    pub fn review_figures(
        &self,
        actor: &Actor,
        credential_id: &str,
    ) -> Result<ReviewFigures, NodeError> {
        actor.require_coordinator()?;
        let (_, rubric, _) = self.reviewable(credential_id)?;
        let book = self.review.book()?;
        let of_def = || {
            book.submissions
                .values()
                .filter(|s| s.credential_id == credential_id)
        };
        let f = definition_figures(&rubric, of_def());
        let reviewers = reviewer_figures(|_| Some(rubric.clone()), of_def());
        // Four decimals: what a reader compares, and the same figure on every platform.
        let round = |v: Option<f64>| v.map(|x| (x * 10_000.0).round() / 10_000.0);
        Ok(ReviewFigures {
            statistics: ReviewStatistics {
                credential_id: credential_id.to_owned(),
                submissions: f.submissions,
                decisions: f.decisions,
                first_attempt_pass_rate: round(f.first_attempt_pass_rate),
                mean_attempts: round(f.mean_attempts),
                percent_agreement: round(f.percent_agreement),
                kappa: round(f.kappa),
                median_turnaround_days: round(f.median_turnaround_days),
                as_of: self.now_rfc3339(),
            },
            reviewers,
        })
    }

    /// Publishes a definition's review statistics as a signed record (replicated; no
    /// personal data).
    pub fn publish_review_statistics(
        &self,
        actor: &Actor,
        credential_id: &str,
    ) -> Result<Published, NodeError> {
        let stats = self.review_figures(actor, credential_id)?.statistics;
        let mut e = Errors::default();
        stats.validate(&mut e);
        e.finish()?;
        let body = serde_json::to_value(&stats).map_err(internal)?;
        let record = self.sign_record(RecordKind::ReviewStatistics, body, &stats.as_of)?;
        let id = self.store.put_record(&record)?;
        self.catalog
            .stats_mut()?
            .reviewed(self.did(), &stats.as_of, stats.clone());
        self.sign_checkpoint()?;
        Ok(Published {
            id,
            bytes: Arc::new(record.bytes),
        })
    }

    /// Whether `reviewer` could review `submission`, and why not (coordinators).
    pub fn review_eligibility(
        &self,
        actor: &Actor,
        submission: &str,
        reviewer: &str,
    ) -> Result<Option<String>, NodeError> {
        actor.require_coordinator()?;
        let book = self.review.book()?;
        let s = book.submission(submission)?;
        let (_, _, policy) = self.reviewable(&s.credential_id)?;
        let teacher = book.person(&s.teacher)?;
        let r = book.person(reviewer)?;
        let already: Vec<String> = s.reviews.iter().map(|x| x.reviewer.clone()).collect();
        Ok(ineligible(&policy, &s.credential_id, teacher, r, &already)
            .map(|why| format!("{} {why}", r.name)))
    }
}
