//! The reviewer's side: the queue and the pool, scoring, the decision (a pass issues the
//! award), assignment and the overdue clockwork.

use super::assign::{add_business_days, ineligible, least_loaded};
use super::decide::{check_scores, feedback, next_step, Next};
use super::people::Actor;
use super::state::ReviewBook;
use super::submission::*;
use super::workflow::{
    conflict, find_review, forbidden, moved_here, PoolEntry, ReviewerView, REMIND_BEFORE_SECS,
};
use crate::catalog::CatalogEntry;
use crate::error::{internal, NodeError};
use crate::issue::AwardRequest;
use crate::node::{format_time, Node};
use credreg_model::{
    DecisionOutcome, Errors, Evidence, Recipient, RecordKind, ReviewDecision, ReviewPolicy,
    ReviewSummary, Rubric,
};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

impl Node {
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

    pub(crate) fn reviewer_view(
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
        let logged = book.decided.get(&record.submission_digest).cloned();
        if let Some((id, logged)) = logged {
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
            book.decided.insert(
                record.submission_digest.clone(),
                (signed.id(), record.clone()),
            );
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
        if outcome == DecisionOutcome::Pass {
            self.calibrate_earner(book, &teacher.id, &entry.id)?;
        }
        s.decision = Some(decision);
        Ok(mail)
    }

    /// An earner of `credential` becomes calibrated for every definition of this node whose
    /// policy names it as its calibration credential.
    fn calibrate_earner(
        &self,
        book: &mut ReviewBook,
        person: &str,
        credential: &str,
    ) -> Result<(), NodeError> {
        let page = self.search_scoped(
            crate::SearchQuery {
                limit: usize::MAX,
                ..Default::default()
            },
            false,
        )?;
        let trained_for: Vec<String> = page
            .items
            .iter()
            .filter(|d| {
                d.def
                    .review_policy
                    .as_ref()
                    .and_then(|p| p.calibration_credential.as_deref())
                    == Some(credential)
            })
            .map(|d| d.id.clone())
            .collect();
        if trained_for.is_empty() {
            return Ok(());
        }
        let mut p = book.person(person)?.clone();
        for id in trained_for {
            if !p.calibrated.contains(&id) {
                p.calibrated.push(id);
            }
        }
        self.save_person(book, p)
    }

    /// Assigns what a submission still needs (first reviewers, a tiebreak) to the least-loaded
    /// eligible reviewers. Returns the mail to send.
    pub(crate) fn fill_assignments(
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
}
