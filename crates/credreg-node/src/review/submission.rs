//! A teacher's evidence submission and everything that happens to it: its items, its
//! reviews, the decision, and a history of every change (who, when, what).

use credreg_model::DecisionOutcome;
use serde::{Deserialize, Serialize};

/// One piece of evidence, as the definition's evidence requirements ask.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", deny_unknown_fields)]
pub enum EvidenceItem {
    /// A link to an artifact (a portfolio page, a shared video).
    Link {
        /// URL.
        url: String,
        /// Title.
        name: String,
    },
    /// An answer to one of the overview questions.
    Answer {
        /// The question.
        question: String,
        /// The answer.
        text: String,
    },
    /// The teacher's reflection.
    Reflection {
        /// Text.
        text: String,
    },
    /// An uploaded file (a lesson plan, student work, a video), stored under the data
    /// directory by the blake3 of its bytes. Added only by an upload, never by a client's JSON.
    File {
        /// The name the teacher gave it.
        name: String,
        /// blake3 of its bytes (hex).
        digest: String,
        /// Its type, sniffed from its first bytes.
        media_type: String,
        /// Bytes.
        size: u64,
    },
}

impl credreg_model::Validate for EvidenceItem {
    fn validate(&self, e: &mut credreg_model::Errors) {
        match self {
            EvidenceItem::Link { url, name } => {
                e.url("url", url);
                e.text("name", name, 200);
            }
            EvidenceItem::Answer { question, text } => {
                e.text("question", question, 1_000);
                e.text("text", text, 20_000);
            }
            EvidenceItem::Reflection { text } => e.text("text", text, 20_000),
            EvidenceItem::File { .. } => e.add(
                "kind",
                "upload a file with POST /api/v1/submissions/{id}/files",
            ),
        }
    }
}

/// Where a submission is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubmissionState {
    /// Being put together by the teacher.
    Draft,
    /// With the reviewers.
    Submitted,
    /// Decided (pass or not yet).
    Decided,
    /// Taken back by the teacher before a decision.
    Withdrawn,
}

/// One criterion's score by one reviewer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CriterionScore {
    /// Index into the criterion's levels (lowest first).
    pub level: usize,
    /// What the reviewer saw.
    #[serde(default)]
    pub comment: String,
}

/// One reviewer's assignment on a submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Review {
    /// `r_` and 16 hex digits.
    pub id: String,
    /// The reviewer (person id).
    pub reviewer: String,
    /// Whether this is the tiebreaking review.
    pub tiebreak: bool,
    /// Assigned at (RFC 3339).
    pub assigned_at: String,
    /// Due at (RFC 3339).
    pub due_at: String,
    /// One score per rubric criterion, once scored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scores: Option<Vec<CriterionScore>>,
    /// Scored at (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scored_at: Option<String>,
    /// Taken away (overdue) at (RFC 3339); another reviewer got the work.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reassigned_at: Option<String>,
    /// When the reviewer was reminded that the review is nearly due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminded_at: Option<String>,
}

impl Review {
    /// Waiting for its reviewer.
    pub fn is_open(&self) -> bool {
        self.scores.is_none() && self.reassigned_at.is_none()
    }
}

/// Feedback on one criterion, consolidated from the reviewers who decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CriterionFeedback {
    /// The criterion's name.
    pub criterion: String,
    /// The level reached (its name).
    pub level: String,
    /// Whether it is at a passing level.
    pub met: bool,
    /// The reviewers' comments (unsigned: the teacher does not learn who wrote which).
    pub comments: Vec<String>,
}

/// The decision on a submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// Pass or not yet.
    pub outcome: DecisionOutcome,
    /// The level reached per criterion.
    pub levels: Vec<usize>,
    /// Per criterion: level, whether met, comments.
    pub feedback: Vec<CriterionFeedback>,
    /// Whether the first reviewers agreed.
    pub agreed: bool,
    /// Reviewers whose scores counted.
    pub reviewers: u8,
    /// Decided at (RFC 3339).
    pub decided_at: String,
    /// The `ReviewDecision` record logged for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_id: Option<String>,
    /// The award issued on a pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub award_id: Option<String>,
}

/// One change in a submission's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// When (RFC 3339).
    pub at: String,
    /// Who (person id, `operator` or `node`).
    pub by: String,
    /// What, in words.
    pub what: String,
}

/// A submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Submission {
    /// `s_` and 16 hex digits.
    pub id: String,
    /// The definition.
    pub credential_id: String,
    /// The teacher (person id).
    pub teacher: String,
    /// 1 for a first submission.
    pub attempt: u8,
    /// The "not yet" submission this one answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    /// The evidence.
    pub items: Vec<EvidenceItem>,
    /// Where it is.
    pub state: SubmissionState,
    /// Created at (RFC 3339).
    pub created_at: String,
    /// Submitted at (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitted_at: Option<String>,
    /// Reviews, in assignment order.
    #[serde(default)]
    pub reviews: Vec<Review>,
    /// Reviews still to assign (no eligible reviewer was free).
    #[serde(default)]
    pub unassigned: u8,
    /// Whether a tiebreak is still to assign.
    #[serde(default)]
    pub tiebreak_unassigned: bool,
    /// The decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
    /// Every change.
    pub history: Vec<Event>,
    /// Requests to see its evidence (from the private links in the award).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access: Vec<AccessRequest>,
}

/// Someone who followed an award's private evidence link asks the teacher to see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessRequest {
    /// `x_` and 16 hex digits.
    pub id: String,
    /// The evidence item asked for.
    pub item: usize,
    /// Who asks (as they say).
    pub name: String,
    /// Where the answer goes.
    pub email: String,
    /// Why, in their words.
    pub reason: String,
    /// When.
    pub requested_at: String,
    /// The teacher's answer: granted or not, and when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granted: Option<bool>,
    /// blake3 of the share token mailed on a grant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_hash: Option<String>,
    /// The share token works until (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<i64>,
}

impl Submission {
    /// blake3 (hex) of what was submitted: definition, attempt and evidence (the digest a
    /// `ReviewDecision` record commits to).
    pub fn digest(&self) -> String {
        let v = serde_json::json!({
            "id": self.id,
            "credential_id": self.credential_id,
            "attempt": self.attempt,
            "previous": self.previous,
            "items": self.items,
            "submitted_at": self.submitted_at,
        });
        hex::encode(blake3::hash(v.to_string().as_bytes()).as_bytes())
    }

    pub(crate) fn log(&mut self, at: &str, by: &str, what: impl Into<String>) {
        self.history.push(Event {
            at: at.to_owned(),
            by: by.to_owned(),
            what: what.into(),
        });
    }
}

/// A pre-approval request: the teacher asks before starting; a coordinator decides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreApproval {
    /// `a_` and 16 hex digits.
    pub id: String,
    /// The definition.
    pub credential_id: String,
    /// The teacher.
    pub teacher: String,
    /// `requested`, `approved` or `declined`.
    pub state: PreApprovalState,
    /// The teacher's plan, in words.
    #[serde(default)]
    pub plan: String,
    /// The coordinator's note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Requested at.
    pub requested_at: String,
    /// Decided at and by whom.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided: Option<Event>,
}

/// Where a pre-approval request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PreApprovalState {
    /// Waiting for a coordinator.
    Requested,
    /// Approved: the teacher's submission counts toward pay.
    Approved,
    /// Declined, with a note.
    Declined,
}
