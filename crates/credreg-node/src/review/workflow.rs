//! The review workflow's shared parts: the views it answers with, loading, and the helpers
//! the teacher's side (`drafts.rs`), the reviewer's side (`reviewing.rs`) and the figures
//! (`figures.rs`) share.

use super::people::{Actor, PersonRole};
use super::state::ReviewBook;
use super::stats::ReviewerFigures;
use super::submission::*;
use crate::catalog::CatalogEntry;
use crate::error::{internal, NodeError};
use crate::node::{format_time, Node};
use credreg_model::{DecisionOutcome, DefStatus, ReviewPolicy, ReviewStatistics, Rubric};
use credreg_store::Family;
use serde::Serialize;
use std::sync::Arc;
use time::OffsetDateTime;

/// Most evidence items in one submission.
pub const MAX_ITEMS: usize = 50;

/// How long before its due date a reviewer is reminded of an open review (two days).
pub const REMIND_BEFORE_SECS: i64 = 2 * 86_400;

/// A submission as its teacher (or a coordinator) sees it: no reviewer identities.
#[derive(Debug, Clone, Serialize)]
pub struct SubmissionView {
    /// Id.
    pub id: String,
    /// The definition.
    pub credential_id: String,
    /// Its name.
    pub credential_name: String,
    /// Attempt (1 = first).
    pub attempt: u8,
    /// The submission it answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    /// State.
    pub state: SubmissionState,
    /// Evidence.
    pub items: Vec<EvidenceItem>,
    /// Submitted at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submitted_at: Option<String>,
    /// Reviews scored of those assigned.
    pub reviews_done: usize,
    /// Reviews assigned (open or scored).
    pub reviews_assigned: usize,
    /// The decision, with feedback per criterion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
    /// Attempts left after a "not yet".
    pub attempts_left: u8,
}

/// What a reviewer sees of an assigned submission. Under a blind policy: nothing of the
/// teacher, and no other reviewer's scores before the decision.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewerView {
    /// The review (what the reviewer scores).
    pub review_id: String,
    /// The submission.
    pub submission_id: String,
    /// The definition.
    pub credential_id: String,
    /// Its name.
    pub credential_name: String,
    /// The rubric to score against.
    pub rubric: Rubric,
    /// The evidence.
    pub items: Vec<EvidenceItem>,
    /// Attempt.
    pub attempt: u8,
    /// Whether this review breaks a tie.
    pub tiebreak: bool,
    /// Assigned at.
    pub assigned_at: String,
    /// Due at.
    pub due_at: String,
    /// This reviewer's scores, once given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scores: Option<Vec<CriterionScore>>,
    /// The teacher's name and school (only when the policy is not blind).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub teacher: Option<String>,
    /// The other reviewers' scores (after the decision, or when not blind).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub other_scores: Vec<Vec<CriterionScore>>,
    /// The decision, once made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<DecisionOutcome>,
}

/// A pooled submission as a reviewer sees it before claiming it.
#[derive(Debug, Clone, Serialize)]
pub struct PoolEntry {
    /// The submission.
    pub submission_id: String,
    /// The definition.
    pub credential_id: String,
    /// Its name.
    pub credential_name: String,
    /// Attempt.
    pub attempt: u8,
    /// Submitted at.
    pub submitted_at: String,
    /// Whether what is needed is a tiebreak.
    pub tiebreak: bool,
    /// Evidence items.
    pub items: usize,
}

/// A definition's review figures: what is published, and per reviewer (private).
#[derive(Debug, Clone, Serialize)]
pub struct ReviewFigures {
    /// The publishable statistics.
    pub statistics: ReviewStatistics,
    /// Per reviewer.
    pub reviewers: Vec<ReviewerFigures>,
}

pub(crate) fn forbidden(why: &str) -> NodeError {
    NodeError::Forbidden(why.to_owned())
}

pub(crate) fn conflict(why: impl Into<String>) -> NodeError {
    NodeError::Conflict(why.into())
}

impl Node {
    /// Loads people, submissions and pre-approvals (at open).
    pub(crate) fn load_review(&self) -> Result<(), NodeError> {
        let mut book = self.review.book_mut()?;
        let decode = |what: &str, e: serde_json::Error| internal(format!("stored {what}: {e}"));
        for (id, bytes) in self.store.documents(Family::People)? {
            let p = serde_json::from_slice(&bytes).map_err(|e| decode("person", e))?;
            book.people.insert(id, p);
        }
        for (_, bytes) in self.store.documents(Family::Submissions)? {
            let s: Submission =
                serde_json::from_slice(&bytes).map_err(|e| decode("submission", e))?;
            book.put_submission(s);
        }
        for item in self
            .store
            .records_of_kind(credreg_model::RecordKind::ReviewDecision)
        {
            let (id, bytes) = item?;
            let (rec, d) = crate::node::decode_record::<credreg_model::ReviewDecision>(&bytes)?;
            if rec.issuer == self.did() {
                book.decided.insert(d.submission_digest.clone(), (id, d));
            }
        }
        for (id, bytes) in self.store.documents(Family::PreApprovals)? {
            let a = serde_json::from_slice(&bytes).map_err(|e| decode("pre-approval", e))?;
            book.pre_approvals.insert(id, a);
        }
        Ok(())
    }

    /// One of this node's active definitions that can be reviewed (it has a rubric).
    pub(crate) fn reviewable(
        &self,
        credential_id: &str,
    ) -> Result<(Arc<CatalogEntry>, Rubric, ReviewPolicy), NodeError> {
        let entry = self
            .definition(credential_id)?
            .filter(|d| d.issuer == self.did())
            .ok_or_else(|| NodeError::NotFound {
                what: "credential",
                id: credential_id.to_owned(),
            })?;
        if entry.def.status != DefStatus::Active {
            return Err(conflict(format!("\"{}\" is retired.", entry.def.name)));
        }
        let rubric = entry.def.rubric.clone().ok_or_else(|| {
            conflict(format!(
                "\"{}\" has no rubric, so its evidence cannot be reviewed here.",
                entry.def.name
            ))
        })?;
        let policy = entry
            .def
            .review_policy
            .clone()
            .unwrap_or_else(ReviewPolicy::single);
        Ok((entry, rubric, policy))
    }

    pub(crate) fn teacher_id(actor: &Actor) -> Result<&str, NodeError> {
        match actor.person() {
            Some(id) if actor.has(PersonRole::Teacher) => Ok(id),
            _ => Err(forbidden("Only a teacher can do this.")),
        }
    }

    pub(crate) fn save_submission(
        &self,
        book: &mut ReviewBook,
        s: Submission,
    ) -> Result<(), NodeError> {
        let bytes = serde_json::to_vec(&s).map_err(internal)?;
        self.store
            .put_document(Family::Submissions, &s.id, &bytes)?;
        book.put_submission(s);
        Ok(())
    }

    pub(crate) fn save_pre_approval(
        &self,
        book: &mut ReviewBook,
        a: PreApproval,
    ) -> Result<(), NodeError> {
        let bytes = serde_json::to_vec(&a).map_err(internal)?;
        self.store
            .put_document(Family::PreApprovals, &a.id, &bytes)?;
        book.pre_approvals.insert(a.id.clone(), a);
        Ok(())
    }

    // ---- pre-approval ----

    // ---- submissions ----

    // ---- reviewing ----

    pub(crate) fn reviewer_id(actor: &Actor) -> Result<&str, NodeError> {
        match actor.person() {
            Some(id) if actor.has(PersonRole::Reviewer) => Ok(id),
            _ => Err(forbidden("Only a reviewer can do this.")),
        }
    }

    pub(crate) fn send_all(&self, mail: Vec<(String, String, String)>) -> Result<(), NodeError> {
        for (to, subject, body) in mail {
            self.queue_mail(&to, &subject, &body)?;
        }
        Ok(())
    }

    // ---- figures ----
}

/// The teacher asking, and a copy of their submission `id` (anyone else is refused).
pub(crate) fn teachers_own(
    book: &ReviewBook,
    actor: &Actor,
    id: &str,
) -> Result<(String, Submission), NodeError> {
    let teacher = Node::teacher_id(actor)?.to_owned();
    let s = book.submission(id)?;
    if s.teacher != teacher {
        return Err(forbidden("This is not your submission."));
    }
    Ok((teacher, s.clone()))
}

/// Whether reviews of `s` were taken back at `now` (this tick).
pub(crate) fn moved_here(s: &Submission, now: &OffsetDateTime) -> bool {
    let at = format_time(*now);
    s.reviews
        .iter()
        .any(|r| r.reassigned_at.as_deref() == Some(at.as_str()))
}

pub(crate) fn find_review<'a>(
    book: &'a ReviewBook,
    review_id: &str,
) -> Result<(&'a Submission, &'a Review), NodeError> {
    book.submissions
        .values()
        .find_map(|s| s.reviews.iter().find(|r| r.id == review_id).map(|r| (s, r)))
        .ok_or_else(|| NodeError::NotFound {
            what: "review",
            id: review_id.to_owned(),
        })
}
