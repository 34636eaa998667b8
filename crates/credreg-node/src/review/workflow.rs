//! The review workflow's use cases: pre-approval, drafting and submitting evidence, the
//! reviewer's queue and scoring, the decision (a pass issues the award), reassignment of
//! overdue reviews, and the figures.

use super::assign::{add_business_days, ineligible, least_loaded};
use super::decide::{check_scores, feedback, next_step, Next};
use super::people::{Actor, PersonRole};
use super::state::ReviewBook;
use super::stats::{definition_figures, reviewer_figures, ReviewerFigures};
use super::submission::*;
use crate::catalog::CatalogEntry;
use crate::error::{internal, NodeError};
use crate::issue::AwardRequest;
use crate::node::{format_time, Node, Published};
use credreg_model::{
    DecisionOutcome, DefStatus, Errors, Evidence, Recipient, RecordKind, ReviewDecision,
    ReviewPolicy, ReviewStatistics, ReviewSummary, Rubric, Validate,
};
use credreg_store::Family;
use serde::Serialize;
use std::sync::Arc;
use time::format_description::well_known::Rfc3339;
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

fn forbidden(why: &str) -> NodeError {
    NodeError::Forbidden(why.to_owned())
}

fn conflict(why: impl Into<String>) -> NodeError {
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

    fn teacher_id(actor: &Actor) -> Result<&str, NodeError> {
        match actor.person() {
            Some(id) if actor.has(PersonRole::Teacher) => Ok(id),
            _ => Err(forbidden("Only a teacher can do this.")),
        }
    }

    fn save_submission(&self, book: &mut ReviewBook, s: Submission) -> Result<(), NodeError> {
        let bytes = serde_json::to_vec(&s).map_err(internal)?;
        self.store
            .put_document(Family::Submissions, &s.id, &bytes)?;
        book.put_submission(s);
        Ok(())
    }

    fn save_pre_approval(&self, book: &mut ReviewBook, a: PreApproval) -> Result<(), NodeError> {
        let bytes = serde_json::to_vec(&a).map_err(internal)?;
        self.store
            .put_document(Family::PreApprovals, &a.id, &bytes)?;
        book.pre_approvals.insert(a.id.clone(), a);
        Ok(())
    }

    // ---- pre-approval ----

    /// A teacher asks to start a credential whose policy needs pre-approval.
    pub fn request_pre_approval(
        &self,
        actor: &Actor,
        credential_id: &str,
        plan: &str,
    ) -> Result<PreApproval, NodeError> {
        let teacher = Self::teacher_id(actor)?.to_owned();
        let (entry, _, policy) = self.reviewable(credential_id)?;
        if !policy.pre_approval_required {
            return Err(conflict(format!(
                "\"{}\" needs no pre-approval: start a submission.",
                entry.def.name
            )));
        }
        let mut e = Errors::default();
        e.max_len("plan", plan, 5_000);
        e.finish()?;
        let mut book = self.review.book_mut()?;
        if book.pre_approvals.values().any(|a| {
            a.teacher == teacher
                && a.credential_id == credential_id
                && a.state == PreApprovalState::Requested
        }) {
            return Err(conflict(
                "A request for this credential is already waiting.",
            ));
        }
        let a = PreApproval {
            id: format!("a_{}", self.settings().env.hex(8)),
            credential_id: credential_id.to_owned(),
            teacher,
            state: PreApprovalState::Requested,
            plan: plan.trim().to_owned(),
            note: None,
            requested_at: self.now_rfc3339(),
            decided: None,
        };
        self.save_pre_approval(&mut book, a.clone())?;
        Ok(a)
    }

    /// A coordinator approves or declines (with a note) a pre-approval request.
    pub fn decide_pre_approval(
        &self,
        actor: &Actor,
        id: &str,
        approve: bool,
        note: Option<&str>,
    ) -> Result<PreApproval, NodeError> {
        actor.require_coordinator()?;
        if !approve && note.is_none_or(|n| n.trim().is_empty()) {
            let mut e = Errors::default();
            e.add("note", "say why the request is declined");
            e.finish()?;
        }
        let mut book = self.review.book_mut()?;
        let mut a = book
            .pre_approvals
            .get(id)
            .cloned()
            .ok_or_else(|| NodeError::NotFound {
                what: "pre-approval request",
                id: id.to_owned(),
            })?;
        if a.state != PreApprovalState::Requested {
            return Err(conflict("This request is already decided."));
        }
        a.state = if approve {
            PreApprovalState::Approved
        } else {
            PreApprovalState::Declined
        };
        a.note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
        a.decided = Some(Event {
            at: self.now_rfc3339(),
            by: actor.label(),
            what: if approve { "approved" } else { "declined" }.to_owned(),
        });
        let teacher = book.person(&a.teacher)?.clone();
        self.save_pre_approval(&mut book, a.clone())?;
        drop(book);
        if let Some(to) = teacher.award_email() {
            let name = self
                .definition(&a.credential_id)?
                .map(|d| d.def.name.clone())
                .unwrap_or_default();
            self.queue_mail(
                to,
                &format!(
                    "Pre-approval for \"{name}\": {}",
                    if approve { "approved" } else { "declined" }
                ),
                &format!(
                    "Your request to work toward \"{name}\" was {}.{}\n",
                    if approve {
                        "approved: your submission will count"
                    } else {
                        "declined"
                    },
                    a.note
                        .as_deref()
                        .map(|n| format!("\n\nNote: {n}"))
                        .unwrap_or_default()
                ),
            )?;
        }
        Ok(a)
    }

    /// Pre-approval requests: a teacher's own, or every one for a coordinator.
    pub fn pre_approvals(&self, actor: &Actor) -> Result<Vec<PreApproval>, NodeError> {
        let book = self.review.book()?;
        Ok(book
            .pre_approvals
            .values()
            .filter(|a| actor.is_coordinator() || actor.person() == Some(a.teacher.as_str()))
            .cloned()
            .collect())
    }

    // ---- submissions ----

    /// A teacher starts a draft (a resubmission names the "not yet" it answers).
    pub fn start_submission(
        &self,
        actor: &Actor,
        credential_id: &str,
        previous: Option<&str>,
    ) -> Result<SubmissionView, NodeError> {
        let teacher = Self::teacher_id(actor)?.to_owned();
        let (entry, _, policy) = self.reviewable(credential_id)?;
        let mut book = self.review.book_mut()?;
        if policy.pre_approval_required
            && !book.pre_approvals.values().any(|a| {
                a.teacher == teacher
                    && a.credential_id == credential_id
                    && a.state == PreApprovalState::Approved
            })
        {
            return Err(conflict(format!(
                "\"{}\" needs pre-approval before you start: request it first.",
                entry.def.name
            )));
        }
        let mine: Vec<&Submission> = book
            .submissions
            .values()
            .filter(|s| s.teacher == teacher && s.credential_id == credential_id)
            .collect();
        if mine
            .iter()
            .any(|s| matches!(s.state, SubmissionState::Draft | SubmissionState::Submitted))
        {
            return Err(conflict(
                "You already have an open submission for this credential.",
            ));
        }
        if mine.iter().any(|s| {
            s.decision
                .as_ref()
                .is_some_and(|d| d.outcome == DecisionOutcome::Pass)
        }) {
            return Err(conflict("You have already earned this credential."));
        }
        let attempt = match previous {
            None => {
                if mine.iter().any(|s| s.state == SubmissionState::Decided) {
                    return Err(conflict(
                        "Answer your \"not yet\" decision: name it as the previous submission.",
                    ));
                }
                1
            }
            Some(p) => {
                let prev = mine
                    .iter()
                    .find(|s| s.id == p)
                    .ok_or_else(|| NodeError::NotFound {
                        what: "submission",
                        id: p.to_owned(),
                    })?;
                if prev.decision.as_ref().map(|d| d.outcome) != Some(DecisionOutcome::NotYet) {
                    return Err(conflict("Only a \"not yet\" decision can be answered."));
                }
                if prev.attempt >= policy.max_attempts() {
                    return Err(conflict(format!(
                        "All {} attempts for \"{}\" are used.",
                        policy.max_attempts(),
                        entry.def.name
                    )));
                }
                prev.attempt + 1
            }
        };
        let now = self.now_rfc3339();
        let mut s = Submission {
            id: format!("s_{}", self.settings().env.hex(8)),
            credential_id: credential_id.to_owned(),
            teacher: teacher.clone(),
            attempt,
            previous: previous.map(str::to_owned),
            items: Vec::new(),
            state: SubmissionState::Draft,
            created_at: now.clone(),
            submitted_at: None,
            reviews: Vec::new(),
            unassigned: 0,
            tiebreak_unassigned: false,
            decision: None,
            history: Vec::new(),
        };
        s.log(&now, &teacher, format!("started attempt {attempt}"));
        self.save_submission(&mut book, s.clone())?;
        Ok(self.view_of(&s, &entry, &policy))
    }

    /// Adds an evidence item to a draft.
    pub fn add_evidence(
        &self,
        actor: &Actor,
        id: &str,
        item: EvidenceItem,
    ) -> Result<SubmissionView, NodeError> {
        let mut e = Errors::default();
        item.validate(&mut e);
        e.finish()?;
        self.change_draft(actor, id, |s, now, by| {
            if s.items.len() >= MAX_ITEMS {
                return Err(conflict(format!(
                    "A submission holds at most {MAX_ITEMS} items."
                )));
            }
            s.items.push(item);
            s.log(now, by, format!("added evidence item {}", s.items.len()));
            Ok(())
        })
    }

    /// Attaches an uploaded file (already stored under its digest) to a draft.
    pub fn attach_file(
        &self,
        actor: &Actor,
        id: &str,
        name: &str,
        digest: &str,
        media_type: &str,
        size: u64,
    ) -> Result<SubmissionView, NodeError> {
        let mut e = Errors::default();
        e.text("name", name, 200);
        if digest.len() != 64 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
            e.add("digest", "must be 64 hex digits");
        }
        e.finish()?;
        let item = EvidenceItem::File {
            name: name.trim().to_owned(),
            digest: digest.to_owned(),
            media_type: media_type.to_owned(),
            size,
        };
        self.change_draft(actor, id, |s, now, by| {
            if s.items.len() >= MAX_ITEMS {
                return Err(conflict(format!(
                    "A submission holds at most {MAX_ITEMS} items."
                )));
            }
            s.items.push(item);
            s.log(
                now,
                by,
                format!("uploaded evidence item {} ({size} bytes)", s.items.len()),
            );
            Ok(())
        })
    }

    /// Whether the actor may upload to submission `id` now (its teacher, while a draft): asked
    /// before a file is streamed to disk, so a refused upload stores nothing.
    pub fn may_upload(&self, actor: &Actor, id: &str) -> Result<(), NodeError> {
        let book = self.review.book()?;
        let (_, s) = teachers_own(&book, actor, id)?;
        if s.state != SubmissionState::Draft {
            return Err(conflict("Only a draft can be changed."));
        }
        if s.items.len() >= MAX_ITEMS {
            return Err(conflict(format!(
                "A submission holds at most {MAX_ITEMS} items."
            )));
        }
        Ok(())
    }

    /// Evidence item `index` of the submission a reviewer's review is about.
    pub fn review_evidence(
        &self,
        actor: &Actor,
        review_id: &str,
        index: usize,
    ) -> Result<EvidenceItem, NodeError> {
        let me = Self::reviewer_id(actor)?;
        let book = self.review.book()?;
        let (s, r) = find_review(&book, review_id)?;
        if r.reviewer != me {
            return Err(forbidden("This review is not assigned to you."));
        }
        s.items
            .get(index)
            .cloned()
            .ok_or_else(|| NodeError::NotFound {
                what: "evidence item",
                id: index.to_string(),
            })
    }

    /// Whether any submission still names the file `digest` (an upload that failed to attach
    /// removes its file only when nothing does).
    pub fn evidence_file_in_use(&self, digest: &str) -> Result<bool, NodeError> {
        Ok(self.review.book()?.submissions.values().any(|s| {
            s.items
                .iter()
                .any(|i| matches!(i, EvidenceItem::File { digest: d, .. } if d == digest))
        }))
    }

    /// Removes evidence item `index` (0-based) from a draft.
    pub fn remove_evidence(
        &self,
        actor: &Actor,
        id: &str,
        index: usize,
    ) -> Result<SubmissionView, NodeError> {
        self.change_draft(actor, id, |s, now, by| {
            if index >= s.items.len() {
                return Err(NodeError::NotFound {
                    what: "evidence item",
                    id: index.to_string(),
                });
            }
            s.items.remove(index);
            s.log(now, by, format!("removed evidence item {}", index + 1));
            Ok(())
        })
    }

    fn change_draft(
        &self,
        actor: &Actor,
        id: &str,
        change: impl FnOnce(&mut Submission, &str, &str) -> Result<(), NodeError>,
    ) -> Result<SubmissionView, NodeError> {
        let mut book = self.review.book_mut()?;
        let (teacher, mut s) = teachers_own(&book, actor, id)?;
        if s.state != SubmissionState::Draft {
            return Err(conflict("Only a draft can be changed."));
        }
        change(&mut s, &self.now_rfc3339(), &teacher)?;
        let (entry, _, policy) = self.reviewable(&s.credential_id)?;
        self.save_submission(&mut book, s.clone())?;
        Ok(self.view_of(&s, &entry, &policy))
    }

    /// Submits a draft: it goes to its reviewers.
    pub fn submit(&self, actor: &Actor, id: &str) -> Result<SubmissionView, NodeError> {
        let mut book = self.review.book_mut()?;
        let (teacher, mut s) = teachers_own(&book, actor, id)?;
        if s.state != SubmissionState::Draft {
            return Err(conflict("Only a draft can be submitted."));
        }
        if s.items.is_empty() {
            let mut e = Errors::default();
            e.add(
                "items",
                "add at least one piece of evidence before submitting",
            );
            e.finish()?;
        }
        let (entry, _, policy) = self.reviewable(&s.credential_id)?;
        let now = self.now_rfc3339();
        s.state = SubmissionState::Submitted;
        s.submitted_at = Some(now.clone());
        s.log(&now, &teacher, "submitted");
        s.unassigned = policy.reviewers.max(1);
        let mail = self.fill_assignments(&book, &mut s, &entry, &policy)?;
        self.save_submission(&mut book, s.clone())?;
        drop(book);
        self.send_all(mail)?;
        Ok(self.view_of(&s, &entry, &policy))
    }

    /// Withdraws a submission before its decision.
    pub fn withdraw(&self, actor: &Actor, id: &str) -> Result<SubmissionView, NodeError> {
        let mut book = self.review.book_mut()?;
        let (teacher, mut s) = teachers_own(&book, actor, id)?;
        if !matches!(s.state, SubmissionState::Draft | SubmissionState::Submitted) {
            return Err(conflict("A decided submission cannot be withdrawn."));
        }
        let now = self.now_rfc3339();
        s.state = SubmissionState::Withdrawn;
        for r in s.reviews.iter_mut().filter(|r| r.is_open()) {
            r.reassigned_at = Some(now.clone());
        }
        s.unassigned = 0;
        s.tiebreak_unassigned = false;
        s.log(&now, &teacher, "withdrawn");
        let (entry, _, policy) = self.reviewable(&s.credential_id)?;
        self.save_submission(&mut book, s.clone())?;
        Ok(self.view_of(&s, &entry, &policy))
    }

    /// Submissions: a teacher's own, every one for a coordinator.
    pub fn submissions(&self, actor: &Actor) -> Result<Vec<SubmissionView>, NodeError> {
        let book = self.review.book()?;
        let mut out = Vec::new();
        for s in book.submissions.values() {
            if actor.is_coordinator() || actor.person() == Some(s.teacher.as_str()) {
                if let Ok((entry, _, policy)) = self.reviewable(&s.credential_id) {
                    out.push(self.view_of(s, &entry, &policy));
                }
            }
        }
        Ok(out)
    }

    /// One submission, for its teacher or a coordinator.
    pub fn submission(&self, actor: &Actor, id: &str) -> Result<SubmissionView, NodeError> {
        let book = self.review.book()?;
        let s = book.submission(id)?;
        if !actor.is_coordinator() && actor.person() != Some(s.teacher.as_str()) {
            return Err(forbidden("This is not your submission."));
        }
        let (entry, _, policy) = self.reviewable(&s.credential_id)?;
        Ok(self.view_of(s, &entry, &policy))
    }

    /// A submission's whole record with its history (coordinators).
    pub fn submission_record(&self, actor: &Actor, id: &str) -> Result<Submission, NodeError> {
        actor.require_coordinator()?;
        Ok(self.review.book()?.submission(id)?.clone())
    }

    fn view_of(
        &self,
        s: &Submission,
        entry: &CatalogEntry,
        policy: &ReviewPolicy,
    ) -> SubmissionView {
        let live: Vec<&Review> = s
            .reviews
            .iter()
            .filter(|r| r.reassigned_at.is_none())
            .collect();
        let not_yet = s
            .decision
            .as_ref()
            .is_some_and(|d| d.outcome == DecisionOutcome::NotYet);
        SubmissionView {
            id: s.id.clone(),
            credential_id: s.credential_id.clone(),
            credential_name: entry.def.name.clone(),
            attempt: s.attempt,
            previous: s.previous.clone(),
            state: s.state,
            items: s.items.clone(),
            submitted_at: s.submitted_at.clone(),
            reviews_done: live.iter().filter(|r| r.scores.is_some()).count(),
            reviews_assigned: live.len(),
            decision: s.decision.clone(),
            attempts_left: if not_yet {
                policy.max_attempts().saturating_sub(s.attempt)
            } else {
                policy
                    .max_attempts()
                    .saturating_sub(s.attempt.saturating_sub(1))
            },
        }
    }

    // ---- reviewing ----

    fn reviewer_id(actor: &Actor) -> Result<&str, NodeError> {
        match actor.person() {
            Some(id) if actor.has(PersonRole::Reviewer) => Ok(id),
            _ => Err(forbidden("Only a reviewer can do this.")),
        }
    }

    /// A reviewer's open reviews, oldest due first.
    pub fn review_queue(&self, actor: &Actor) -> Result<Vec<ReviewerView>, NodeError> {
        let me = Self::reviewer_id(actor)?;
        let book = self.review.book()?;
        let mut out = Vec::new();
        for s in book.submissions.values() {
            for r in s.reviews.iter().filter(|r| r.reviewer == me && r.is_open()) {
                out.push(self.reviewer_view(&book, s, r)?);
            }
        }
        out.sort_by(|a, b| a.due_at.cmp(&b.due_at));
        Ok(out)
    }

    /// One review, for its reviewer.
    pub fn review(&self, actor: &Actor, review_id: &str) -> Result<ReviewerView, NodeError> {
        let me = Self::reviewer_id(actor)?;
        let book = self.review.book()?;
        let (s, r) = find_review(&book, review_id)?;
        if r.reviewer != me {
            return Err(forbidden("This review is not assigned to you."));
        }
        self.reviewer_view(&book, s, r)
    }

    fn reviewer_view(
        &self,
        book: &ReviewBook,
        s: &Submission,
        r: &Review,
    ) -> Result<ReviewerView, NodeError> {
        let (entry, rubric, policy) = self.reviewable(&s.credential_id)?;
        let decided = s.decision.is_some();
        let open_view = !policy.is_blind() || decided;
        let teacher = (!policy.is_blind())
            .then(|| book.people.get(&s.teacher))
            .flatten()
            .map(|p| match &p.school {
                Some(school) => format!("{}, {school}", p.name),
                None => p.name.clone(),
            });
        let other_scores = if open_view {
            s.reviews
                .iter()
                .filter(|o| o.id != r.id)
                .filter_map(|o| o.scores.clone())
                .collect()
        } else {
            Vec::new()
        };
        Ok(ReviewerView {
            review_id: r.id.clone(),
            submission_id: s.id.clone(),
            credential_id: s.credential_id.clone(),
            credential_name: entry.def.name.clone(),
            rubric,
            items: s.items.clone(),
            attempt: s.attempt,
            tiebreak: r.tiebreak,
            assigned_at: r.assigned_at.clone(),
            due_at: r.due_at.clone(),
            scores: r.scores.clone(),
            teacher,
            other_scores,
            outcome: s.decision.as_ref().map(|d| d.outcome),
        })
    }

    /// Submissions waiting in the pool that the signed-in reviewer may claim (blind: the
    /// definition, the evidence and when it came in), oldest first.
    pub fn review_pool(&self, actor: &Actor) -> Result<Vec<PoolEntry>, NodeError> {
        let me = Self::reviewer_id(actor)?;
        let book = self.review.book()?;
        let reviewer = book.person(me)?;
        let mut out = Vec::new();
        for s in book.submissions.values() {
            if s.state != SubmissionState::Submitted
                || (s.unassigned == 0 && !s.tiebreak_unassigned)
            {
                continue;
            }
            let Ok((entry, _, policy)) = self.reviewable(&s.credential_id) else {
                continue;
            };
            let Some(teacher) = book.people.get(&s.teacher) else {
                continue;
            };
            let already: Vec<String> = s.reviews.iter().map(|r| r.reviewer.clone()).collect();
            if policy.pool
                && ineligible(&policy, &s.credential_id, teacher, reviewer, &already).is_none()
            {
                out.push(PoolEntry {
                    submission_id: s.id.clone(),
                    credential_id: s.credential_id.clone(),
                    credential_name: entry.def.name.clone(),
                    attempt: s.attempt,
                    submitted_at: s.submitted_at.clone().unwrap_or_default(),
                    tiebreak: s.unassigned == 0,
                    items: s.items.len(),
                });
            }
        }
        out.sort_by(|a, b| a.submitted_at.cmp(&b.submitted_at));
        Ok(out)
    }

    /// The signed-in reviewer claims a review of a pooled submission.
    pub fn claim(&self, actor: &Actor, submission: &str) -> Result<ReviewerView, NodeError> {
        let me = Self::reviewer_id(actor)?.to_owned();
        let mut book = self.review.book_mut()?;
        let mut s = book.submission(submission)?.clone();
        let (_, _, policy) = self.reviewable(&s.credential_id)?;
        if !policy.pool {
            return Err(conflict(
                "This credential's reviews are assigned, not claimed.",
            ));
        }
        if s.state != SubmissionState::Submitted || (s.unassigned == 0 && !s.tiebreak_unassigned) {
            return Err(conflict("This submission needs no further reviewer."));
        }
        let already: Vec<String> = s.reviews.iter().map(|r| r.reviewer.clone()).collect();
        let teacher = book.person(&s.teacher)?;
        let reviewer = book.person(&me)?;
        if let Some(why) = ineligible(&policy, &s.credential_id, teacher, reviewer, &already) {
            return Err(forbidden(&format!(
                "You may not review this submission: you {why}."
            )));
        }
        let tiebreak = s.unassigned == 0;
        if tiebreak {
            s.tiebreak_unassigned = false;
        } else {
            s.unassigned -= 1;
        }
        let now = self.now();
        let id = format!("r_{}", self.settings().env.hex(8));
        s.reviews.push(Review {
            id: id.clone(),
            reviewer: me.clone(),
            tiebreak,
            assigned_at: format_time(now),
            due_at: format_time(add_business_days(now, policy.due_days())),
            scores: None,
            scored_at: None,
            reassigned_at: None,
            reminded_at: None,
        });
        s.log(&format_time(now), &me, format!("claimed review {id}"));
        self.save_submission(&mut book, s)?;
        let (s, r) = find_review(&book, &id)?;
        self.reviewer_view(&book, s, r)
    }

    /// A reviewer scores their review; when the reviews are in, the submission is decided
    /// (or a tiebreak assigned). A pass issues the award at once.
    pub fn score(
        &self,
        actor: &Actor,
        review_id: &str,
        scores: Vec<CriterionScore>,
    ) -> Result<ReviewerView, NodeError> {
        let me = Self::reviewer_id(actor)?.to_owned();
        let mut book = self.review.book_mut()?;
        let (s, r) = find_review(&book, review_id)?;
        if r.reviewer != me {
            return Err(forbidden("This review is not assigned to you."));
        }
        if !r.is_open() {
            return Err(conflict(if r.scores.is_some() {
                "This review is already scored."
            } else {
                "This review was reassigned or withdrawn."
            }));
        }
        let mut s = s.clone();
        let (entry, rubric, policy) = self.reviewable(&s.credential_id)?;
        let mut e = Errors::default();
        check_scores(&rubric, &scores, &mut e);
        e.finish()?;
        let now = self.now_rfc3339();
        for rev in s.reviews.iter_mut().filter(|x| x.id == review_id) {
            rev.scores = Some(scores.clone());
            rev.scored_at = Some(now.clone());
        }
        s.log(&now, &me, format!("scored review {review_id}"));
        let mut mail = Vec::new();
        let kept = self.kept_levels(&book, &s, &rubric, &policy);
        match next_step(&policy, &rubric, &s.reviews, &kept) {
            Next::Wait => {}
            Next::Tiebreak => {
                if !s.reviews.iter().any(|r| r.tiebreak) && !s.tiebreak_unassigned {
                    s.tiebreak_unassigned = true;
                    s.log(&now, "node", "the reviewers disagree: a tiebreak is needed");
                    mail = self.fill_assignments(&book, &mut s, &entry, &policy)?;
                }
            }
            Next::Decide {
                outcome,
                levels,
                agreed,
                counted,
            } => {
                mail = self.decide(
                    &mut book, &mut s, &entry, &rubric, outcome, levels, agreed, &counted,
                )?;
            }
        }
        self.save_submission(&mut book, s.clone())?;
        let view = {
            let (s, r) = find_review(&book, review_id)?;
            self.reviewer_view(&book, s, r)?
        };
        drop(book);
        self.send_all(mail)?;
        Ok(view)
    }

    /// For a resubmission under a keep-met policy: the level of each criterion the previous
    /// decision found met.
    fn kept_levels(
        &self,
        book: &ReviewBook,
        s: &Submission,
        rubric: &Rubric,
        policy: &ReviewPolicy,
    ) -> Vec<Option<usize>> {
        let none = vec![None; rubric.criteria.len()];
        if !policy.keep_met_criteria {
            return none;
        }
        let Some(prev) = s.previous.as_deref().and_then(|p| book.submissions.get(p)) else {
            return none;
        };
        let Some(d) = &prev.decision else { return none };
        rubric
            .criteria
            .iter()
            .zip(&d.levels)
            .map(|(c, l)| c.levels.get(*l).is_some_and(|x| x.passing).then_some(*l))
            .collect()
    }

    /// Decides: logs the `ReviewDecision` record, and on a pass signs the award (with the
    /// rubric result), logs the decision before it and stores it. Returns the mail to send.
    #[allow(clippy::too_many_arguments)]
    fn decide(
        &self,
        book: &mut ReviewBook,
        s: &mut Submission,
        entry: &CatalogEntry,
        rubric: &Rubric,
        outcome: DecisionOutcome,
        levels: Vec<usize>,
        agreed: bool,
        counted: &[usize],
    ) -> Result<Vec<(String, String, String)>, NodeError> {
        let now = self.now_rfc3339();
        let teacher = book.person(&s.teacher)?.clone();
        let reviewers = u8::try_from(counted.len()).unwrap_or(u8::MAX);
        let mut decision = Decision {
            outcome,
            feedback: feedback(rubric, &levels, &s.reviews, counted),
            levels: levels.clone(),
            agreed,
            reviewers,
            decided_at: now.clone(),
            record_id: None,
            award_id: None,
        };
        // A pass: the award is signed first (not stored), so the decision record can name it
        // and be logged before the award's receipt.
        let prepared = if outcome == DecisionOutcome::Pass {
            let email = teacher.award_email().ok_or_else(|| {
                conflict("The teacher has no verified e-mail address to issue the award to.")
            })?;
            let evidence: Vec<Evidence> = s
                .items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let name = match item {
                        EvidenceItem::Link { name, .. } => name.clone(),
                        EvidenceItem::Answer { question, .. } => question.clone(),
                        EvidenceItem::Reflection { .. } => "Reflection".to_owned(),
                        EvidenceItem::File { name, .. } => name.clone(),
                    };
                    Evidence {
                        // Private by default: the link asks for the teacher's consent.
                        id: format!(
                            "{}/api/v1/submissions/{}/evidence/{i}",
                            self.settings().public_url,
                            s.id
                        ),
                        name: Some(name.chars().take(200).collect()),
                        description: None,
                    }
                })
                .take(20)
                .collect();
            let request = AwardRequest {
                credential_id: entry.id.clone(),
                recipient: Recipient {
                    email: email.to_owned(),
                    name: Some(teacher.name.clone()),
                },
                evidence,
                review: Some(ReviewSummary {
                    reviewers: reviewers.max(1),
                    agreed,
                    attempts: s.attempt,
                    declared: false,
                }),
                reviewed: crate::issue::Reviewed {
                    rubric_levels: levels,
                    other_emails: teacher
                        .emails
                        .iter()
                        .filter(|e| e.verified && e.address != email)
                        .map(|e| e.address.clone())
                        .collect(),
                },
            };
            let prepared = self.prepare_awards(std::slice::from_ref(&request))?;
            decision.award_id = prepared.ids().into_iter().next();
            Some(prepared)
        } else {
            None
        };
        let decision_digest = hex::encode(
            blake3::hash(
                serde_json::json!({
                    "decision": decision,
                    "scores": counted.iter().filter_map(|i| s.reviews.get(*i)).map(|r| &r.scores).collect::<Vec<_>>(),
                })
                .to_string()
                .as_bytes(),
            )
            .as_bytes(),
        );
        let record = ReviewDecision {
            credential_id: entry.id.clone(),
            submission_digest: s.digest(),
            decision_digest,
            outcome,
            reviewers: reviewers.max(1),
            agreed,
            attempt: s.attempt,
            award_id: decision.award_id.clone(),
        };
        if let Some((id, logged)) = self.logged_decision(&record.submission_digest)? {
            // Decided before a crash cut the submission's own write short: the log (and the
            // award, written in the same transaction) stand; nothing is issued twice.
            decision.record_id = Some(id);
            decision.award_id = logged.award_id;
            decision.outcome = logged.outcome;
        } else {
            let body = serde_json::to_value(&record).map_err(internal)?;
            let signed = self.sign_record(RecordKind::ReviewDecision, body, &now)?;
            decision.record_id = Some(signed.id());
            match prepared {
                // The decision and the award commit together, the decision first in the log.
                Some(prepared) => {
                    self.commit_awards_after(std::slice::from_ref(&signed), prepared)?;
                }
                None => {
                    self.store.put_record(&signed)?;
                    self.sign_checkpoint()?;
                }
            }
        }
        s.state = SubmissionState::Decided;
        s.log(
            &now,
            "node",
            match outcome {
                DecisionOutcome::Pass => format!(
                    "decided: pass; award {} issued",
                    decision.award_id.as_deref().unwrap_or("")
                ),
                DecisionOutcome::NotYet => "decided: not yet".to_owned(),
            },
        );
        let mut mail = Vec::new();
        if let Some(to) = teacher.award_email() {
            let body = match outcome {
                DecisionOutcome::Pass => format!(
                    "Congratulations: your evidence for \"{}\" met every criterion, and your badge is issued.\n",
                    entry.def.name
                ),
                DecisionOutcome::NotYet => {
                    let mut b = format!(
                        "Your evidence for \"{}\" is not there yet. Feedback per criterion:\n\n",
                        entry.def.name
                    );
                    for f in &decision.feedback {
                        b.push_str(&format!(
                            "- {}: {}{}\n",
                            f.criterion,
                            f.level,
                            if f.met { " (met)" } else { "" }
                        ));
                        for c in &f.comments {
                            b.push_str(&format!("    {c}\n"));
                        }
                    }
                    b
                }
            };
            mail.push((
                to.to_owned(),
                format!("Decision on \"{}\"", entry.def.name),
                body,
            ));
        }
        s.decision = Some(decision);
        Ok(mail)
    }

    /// This node's logged decision on the submission with `digest`, if there is one.
    fn logged_decision(&self, digest: &str) -> Result<Option<(String, ReviewDecision)>, NodeError> {
        for item in self.store.records_of_kind(RecordKind::ReviewDecision) {
            let (id, bytes) = item?;
            let (rec, d) = crate::node::decode_record::<ReviewDecision>(&bytes)?;
            if rec.issuer == self.did() && d.submission_digest == digest {
                return Ok(Some((id, d)));
            }
        }
        Ok(None)
    }

    /// Assigns what a submission still needs (first reviewers, a tiebreak) to the least-loaded
    /// eligible reviewers. Returns the mail to send.
    fn fill_assignments(
        &self,
        book: &ReviewBook,
        s: &mut Submission,
        entry: &CatalogEntry,
        policy: &ReviewPolicy,
    ) -> Result<Vec<(String, String, String)>, NodeError> {
        if policy.pool {
            // Reviewers claim these themselves (`claim`).
            return Ok(Vec::new());
        }
        let teacher = book.person(&s.teacher)?.clone();
        let now = self.now();
        let due = format_time(add_business_days(now, policy.due_days()));
        let mut mail = Vec::new();
        let mut assign = |s: &mut Submission, tiebreak: bool| -> Result<bool, NodeError> {
            // Nobody reviews a submission twice (a reassigned reviewer included); the ones
            // assigned in this call are in `s.reviews` already.
            let already: Vec<String> = s.reviews.iter().map(|r| r.reviewer.clone()).collect();
            let Some(reviewer) = least_loaded(book, policy, &s.credential_id, &teacher, &already)
            else {
                return Ok(false);
            };
            let id = format!("r_{}", self.settings().env.hex(8));
            s.reviews.push(Review {
                id: id.clone(),
                reviewer: reviewer.id.clone(),
                tiebreak,
                assigned_at: format_time(now),
                due_at: due.clone(),
                scores: None,
                scored_at: None,
                reassigned_at: None,
                reminded_at: None,
            });
            s.log(
                &format_time(now),
                "node",
                format!(
                    "assigned {} review {id} to {}",
                    if tiebreak { "tiebreak" } else { "a" },
                    reviewer.id
                ),
            );
            if let Some(to) = reviewer.award_email() {
                mail.push((
                    to.to_owned(),
                    format!("A submission for \"{}\" is assigned to you", entry.def.name),
                    format!("Please review it by {due} (review {id}).\n"),
                ));
            }
            Ok(true)
        };
        while s.unassigned > 0 {
            if !assign(s, false)? {
                break;
            }
            s.unassigned -= 1;
        }
        if s.tiebreak_unassigned && assign(s, true)? {
            s.tiebreak_unassigned = false;
        }
        Ok(mail)
    }

    fn send_all(&self, mail: Vec<(String, String, String)>) -> Result<(), NodeError> {
        for (to, subject, body) in mail {
            self.queue_mail(&to, &subject, &body)?;
        }
        Ok(())
    }

    /// Reminds reviewers of reviews due within [`REMIND_BEFORE_SECS`], takes overdue reviews
    /// away from their reviewers and gives them (and any review still unassigned) to other
    /// eligible reviewers. Run periodically by the binary; returns how many reviews were
    /// reassigned.
    pub fn reassign_overdue(&self) -> Result<usize, NodeError> {
        let now = self.now();
        let mut book = self.review.book_mut()?;
        let ids: Vec<String> = book
            .submissions
            .values()
            .filter(|s| s.state == SubmissionState::Submitted)
            .map(|s| s.id.clone())
            .collect();
        let mut moved = 0;
        let mut mail = Vec::new();
        for id in ids {
            let mut s = book.submission(&id)?.clone();
            let Ok((entry, _, policy)) = self.reviewable(&s.credential_id) else {
                continue;
            };
            let mut changed = false;
            for r in s.reviews.iter_mut().filter(|r| r.is_open()) {
                let due = OffsetDateTime::parse(&r.due_at, &Rfc3339).map_err(internal)?;
                let soon = due - time::Duration::seconds(REMIND_BEFORE_SECS);
                if due >= now && now >= soon && r.reminded_at.is_none() {
                    r.reminded_at = Some(format_time(now));
                    changed = true;
                    if let Some(to) = book.people.get(&r.reviewer).and_then(|p| p.award_email()) {
                        mail.push((
                            to.to_owned(),
                            format!(
                                "Reminder: a review for \"{}\" is due {}",
                                entry.def.name, r.due_at
                            ),
                            format!(
                                "Review {} is due {}. After that it goes to another reviewer.\n",
                                r.id, r.due_at
                            ),
                        ));
                    }
                }
                if due < now {
                    r.reassigned_at = Some(format_time(now));
                    if r.tiebreak {
                        s.tiebreak_unassigned = true;
                    } else {
                        s.unassigned += 1;
                    }
                    moved += 1;
                    changed = true;
                }
            }
            if moved_here(&s, &now) {
                s.log(&format_time(now), "node", "overdue reviews taken back");
            }
            if changed || s.unassigned > 0 || s.tiebreak_unassigned {
                let before = s.reviews.len();
                mail.extend(self.fill_assignments(&book, &mut s, &entry, &policy)?);
                if changed || s.reviews.len() != before {
                    self.save_submission(&mut book, s)?;
                }
            }
        }
        drop(book);
        self.send_all(mail)?;
        Ok(moved)
    }

    // ---- figures ----

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

/// The teacher asking, and a copy of their submission `id` (anyone else is refused).
fn teachers_own(
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
fn moved_here(s: &Submission, now: &OffsetDateTime) -> bool {
    let at = format_time(*now);
    s.reviews
        .iter()
        .any(|r| r.reassigned_at.as_deref() == Some(at.as_str()))
}

fn find_review<'a>(
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
