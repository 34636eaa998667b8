//! Per-definition counts for quality profiles and federated search: awards issued and revoked
//! (from the receipts and revocations of every log the node holds), review statistics from
//! receipts that carry them, and endorsements. Kept in memory (a few numbers per definition),
//! updated as records are stored and rebuilt from sled at start, so a search over a
//! 10,000-definition federated catalog never scans the logs.

use credreg_model::ReviewSummary;
use serde::Serialize;
use std::collections::HashMap;

/// What the federation's logs say about one definition's awards.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct AwardCounts {
    issued: u64,
    revoked: u64,
    reviewed: u64,
    reviewers: u64,
    agreed: u64,
    attempts: u64,
    first_try: u64,
    declared: u64,
}

/// Award counts as shown.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct AwardStats {
    /// Awards issued (receipts seen).
    pub issued: u64,
    /// Of which revoked.
    pub revoked: u64,
    /// Review statistics, when receipts carry them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review: Option<ReviewStats>,
}

/// Review statistics over the awards whose receipts recorded their review.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct ReviewStats {
    /// Awards with a review summary.
    pub awards: u64,
    /// Mean reviewers per award.
    pub mean_reviewers: f64,
    /// Share of awards whose first reviewers agreed without a tiebreak.
    pub agreement_rate: f64,
    /// Mean submissions until passing.
    pub mean_attempts: f64,
    /// Share passed on the first submission.
    pub first_attempt_rate: f64,
    /// Of the awards counted, those whose review summary was declared by the issuer (imported
    /// history) rather than produced by a review the node ran.
    pub declared: u64,
}

impl AwardCounts {
    /// As shown.
    pub fn stats(&self) -> AwardStats {
        let n = self.reviewed as f64;
        let round = |x: f64| (x * 100.0).round() / 100.0;
        AwardStats {
            issued: self.issued,
            revoked: self.revoked,
            review: (self.reviewed > 0).then(|| ReviewStats {
                awards: self.reviewed,
                mean_reviewers: round(self.reviewers as f64 / n),
                agreement_rate: round(self.agreed as f64 / n),
                mean_attempts: round(self.attempts as f64 / n),
                first_attempt_rate: round(self.first_try as f64 / n),
                declared: self.declared,
            }),
        }
    }
}

/// The index.
#[derive(Debug, Default)]
pub struct QualityIndex {
    awards: HashMap<String, AwardCounts>,
    endorsements: HashMap<String, u32>,
    /// Per definition: the newest signed review statistics, with their issuer and time.
    reviews: HashMap<String, (String, String, credreg_model::ReviewStatistics)>,
}

impl QualityIndex {
    /// Counts an award receipt for definition `def`.
    pub fn issued(&mut self, def: &str, review: Option<ReviewSummary>) {
        let c = self.awards.entry(def.to_owned()).or_default();
        c.issued += 1;
        if let Some(r) = review {
            c.reviewed += 1;
            c.reviewers += u64::from(r.reviewers);
            c.agreed += u64::from(r.agreed);
            c.attempts += u64::from(r.attempts);
            c.first_try += u64::from(r.attempts == 1);
            c.declared += u64::from(r.declared);
        }
    }

    /// Counts a revocation of an award of `def`.
    pub fn revoked(&mut self, def: &str) {
        self.awards.entry(def.to_owned()).or_default().revoked += 1;
    }

    /// Counts an endorsement of `subject` (a definition id or a DID).
    pub fn endorsed(&mut self, subject: &str) {
        *self.endorsements.entry(subject.to_owned()).or_default() += 1;
    }

    /// Award counts of `def`.
    pub fn awards(&self, def: &str) -> AwardStats {
        self.awards.get(def).copied().unwrap_or_default().stats()
    }

    /// Awards issued of `def` (for sorting).
    pub fn issued_count(&self, def: &str) -> u64 {
        self.awards.get(def).map_or(0, |c| c.issued)
    }

    /// Keeps `stats` (signed by `issuer` at `issued`) if they are the newest for their
    /// definition.
    pub fn reviewed(&mut self, issuer: &str, issued: &str, stats: credreg_model::ReviewStatistics) {
        let newer = self
            .reviews
            .get(&stats.credential_id)
            .is_none_or(|(_, at, _)| at.as_str() <= issued);
        if newer {
            self.reviews.insert(
                stats.credential_id.clone(),
                (issuer.to_owned(), issued.to_owned(), stats),
            );
        }
    }

    /// The newest review statistics of `def` signed by `issuer` (a definition's figures count
    /// only when its own issuer publishes them).
    pub fn review_statistics(
        &self,
        def: &str,
        issuer: &str,
    ) -> Option<&credreg_model::ReviewStatistics> {
        self.reviews
            .get(def)
            .filter(|(by, _, _)| by == issuer)
            .map(|(_, _, s)| s)
    }

    /// Every definition's newest review statistics, with their issuer.
    pub fn review_snapshot(&self) -> HashMap<String, (String, credreg_model::ReviewStatistics)> {
        self.reviews
            .iter()
            .map(|(def, (by, _, s))| (def.clone(), (by.clone(), s.clone())))
            .collect()
    }

    /// Endorsements of `subject`.
    pub fn endorsement_count(&self, subject: &str) -> u32 {
        self.endorsements.get(subject).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_review_rates() {
        let mut q = QualityIndex::default();
        assert_eq!(q.awards("d"), AwardStats::default());
        q.issued("d", None);
        q.issued(
            "d",
            Some(ReviewSummary {
                reviewers: 2,
                agreed: true,
                attempts: 1,
                declared: false,
            }),
        );
        q.issued(
            "d",
            Some(ReviewSummary {
                reviewers: 3,
                agreed: false,
                attempts: 2,
                declared: false,
            }),
        );
        q.revoked("d");
        let s = q.awards("d");
        assert_eq!((s.issued, s.revoked), (3, 1));
        let r = s.review.expect("reviewed");
        assert_eq!(r.awards, 2);
        assert_eq!(r.mean_reviewers, 2.5);
        assert_eq!(r.agreement_rate, 0.5);
        assert_eq!(r.mean_attempts, 1.5);
        assert_eq!(r.first_attempt_rate, 0.5);
        q.endorsed("d");
        assert_eq!(q.endorsement_count("d"), 1);
        assert_eq!(q.endorsement_count("e"), 0);
    }
}

/// What the award counts need of a receipt record: its issuer, definition and review
/// summary. Read from bytes (start-up) or from an already parsed record (replication) by the
/// same derive, without decoding the rest.
#[derive(serde::Deserialize)]
pub(crate) struct ReceiptFacts {
    pub(crate) issuer: String,
    pub(crate) body: ReceiptFactsBody,
}

/// See [`ReceiptFacts`].
#[derive(serde::Deserialize)]
pub(crate) struct ReceiptFactsBody {
    pub(crate) credential_id: String,
    #[serde(default)]
    pub(crate) review: Option<credreg_model::ReviewSummary>,
}
