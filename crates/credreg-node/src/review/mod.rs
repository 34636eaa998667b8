//! Evidence review: people and their sessions, the mail outbox, submissions, blind review
//! against the definition's rubric with a tiebreak, "not yet" with feedback, the award on a
//! pass, and the review figures the federation sees.
//!
//! Personal data (names, addresses, evidence, scores) stays in this node's private
//! documents; the log gets one `ReviewDecision` record per decision (digests only), before the
//! award it leads to, and the signed `ReviewStatistics` a coordinator publishes.
//!
//! Layer 3: it issues awards (`issue`) and reads the catalog; nothing below imports it.

mod assign;
pub mod calibration;
pub mod consent;
mod decide;
mod drafts;
mod figures;
pub mod files;
pub mod outbox;
pub mod people;
pub mod person;
mod reviewing;
pub mod roster;
mod setup;
pub(crate) mod state;
pub mod stats;
pub mod submission;
mod workflow;

pub use assign::add_business_days;
pub use calibration::{CalibrationResult, CalibrationSample, CalibrationSet, CalibrationView};
pub use outbox::Mail;
pub use people::{Actor, NewPerson, Person, PersonEmail, PersonRole, PersonView, Session};
pub use submission::{
    AccessRequest, CriterionFeedback, CriterionScore, Decision, EvidenceItem, PreApproval,
    PreApprovalState, Review, Submission, SubmissionState,
};
pub use workflow::{PoolEntry, ReviewFigures, ReviewerView, SubmissionView, MAX_ITEMS};
