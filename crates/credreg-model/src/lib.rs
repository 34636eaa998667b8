//! # credreg-model: what a registry node stores and exchanges, as plain data
//!
//! This crate holds the record bodies (credential definitions, stacks, issuer profiles, award
//! receipts, revocations), the shape of an Open Badges 3.0 award, identity hashing, and
//! validation that reports **every** bad field at once (a coordinator fixing a form wants the
//! whole list, not one error per round trip).
//!
//! Design decisions:
//! - **No IO, no clock, no randomness.** Times and salts are parameters, so every function here
//!   is a known-answer function and tests need no fakes.
//! - **Records are JSON.** A record is `{"type", "issuer", "issued", "body", "proof"}`; its id is
//!   the blake3 of its exact stored bytes ([`record_id`]). Signing is `credreg-proof`'s job; this
//!   crate only builds the unsigned document and reads signed ones back.
//! - **Awards use only terms the VC 2.0 and OB 3.0.3 contexts define.** Catalog details such as
//!   the rubric or the research basis live in the [`CredentialDef`] record, not in the award: an
//!   undefined term would make JSON-LD safe-mode verifiers reject the badge.
#![deny(missing_docs)]

pub mod award;
pub mod baked;
pub mod definition;
pub mod identity;
pub mod quality;
pub mod recognition;
pub mod record;
pub mod review;
pub mod validate;

pub use award::{
    credential_names_email, identity_names_email, AwardDraft, AwardIssuer, Evidence, Recipient,
    StatusEntry, OB_V3, VC_V2,
};
pub use definition::{
    is_record_id, Citation, CredentialDef, Criteria, DefStatus, Effort, EvidenceKind,
    EvidenceRequirement, LocalValue, ResourceLink, ReviewPolicy, Rubric, RubricCriterion,
    RubricLevel, Stack, StackRule, ValueUnit,
};
pub use identity::{hash_identity, looks_like_email, normalize_email};
pub use quality::{Evaluation, QualityRule, QualityStandard, RuleResult};
pub use recognition::{AppliesTo, Cap, CapPeriod, Credit, Recognition};
pub use record::{
    record_id, AwardReceipt, Endorsement, IssuerProfile, Membership, RecordKind, ReviewSummary,
    Revocation, UnsignedRecord, MEMBER_ROLES,
};
pub use review::{DecisionOutcome, ReviewDecision, ReviewStatistics};
pub use validate::{
    parse_validated, read_json, read_validated, Errors, FieldError, Invalid, ReadError, Validate,
};
