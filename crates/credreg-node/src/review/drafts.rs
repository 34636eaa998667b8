//! The teacher's side: pre-approval, drafts and their evidence, submitting and withdrawing,
//! and the views a teacher (or coordinator) reads.

use super::people::Actor;
use super::submission::*;
use super::workflow::{conflict, forbidden, teachers_own, SubmissionView, MAX_ITEMS};
use crate::catalog::CatalogEntry;
use crate::error::NodeError;
use crate::node::Node;
use credreg_model::{DecisionOutcome, Errors, ReviewPolicy, Validate};

impl Node {
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
            access: Vec::new(),
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

    pub(crate) fn change_draft(
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

    pub(crate) fn view_of(
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
}
