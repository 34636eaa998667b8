//! # credreg-node: what a registry node does
//!
//! The use cases behind the HTTP API and the CLI: publish definitions and stacks, issue awards
//! (Open Badges 3.0, `eddsa-rdfc-2022`), revoke them through a Bitstring Status List, and verify
//! anyone's credentials with a per-check report.
//!
//! Design decisions:
//! - **Synchronous.** Use cases are plain blocking functions over sled; the HTTP layer calls
//!   them on tokio's blocking pool. Signing is CPU-bound, and a sync core is easy to test.
//! - **Validate, sign, then one atomic write.** Nothing is stored before it has been validated
//!   and signed; an award, its receipt and the status counter commit together.
//! - **Records use `eddsa-jcs-2022`, awards `eddsa-rdfc-2022`.** Records are read by nodes (cheap
//!   JCS); awards are read by the ecosystem's verifiers, which accept only RDFC.
//! - **The catalog lives in memory** (see [`catalog`]), rebuilt from sled at start.
//!
//! ## Layout
//! `Node` ([`node`]) keeps the identity, settings, signing and store, and one state value per
//! subsystem; each subsystem is a folder that owns its state and its lock and adds its use cases
//! to `Node`. A subsystem imports only infrastructure and the subsystems below it (checked by
//! `tests/layout.rs`):
//!
//! | layer | modules |
//! |---|---|
//! | infrastructure | [`error`], [`clock`], [`home`], [`contexts_dir`], [`auth`], [`node`] |
//! | 1 | [`catalog`] (+ counts), [`trust`], [`ledger`] (this node's own log) |
//! | 2 | [`issue`] (+ revocation, status lists), [`replica`] (gossip judging, pages, serving) |
//! | 3 | [`review`] (people, submissions, blind review, decisions), [`verify`] (input, checks, offline bundles), [`backup`] (backups, and restores that verify every log) |
//! | 4 | [`value`] (standards, quality, recognition, transfer reports) |
#![deny(missing_docs)]

pub mod auth;
pub mod backup;
pub mod catalog;
pub mod clock;
pub mod contexts_dir;
pub mod error;
pub mod home;
pub mod issue;
pub mod ledger;
pub mod node;
pub mod replica;
pub mod review;
pub mod trust;
pub mod value;
pub mod verify;

pub use auth::{
    generate_token, has_admin_token, list_tokens, register_token, register_token_with,
    revoke_token, same_secret, Role, TokenEntry, TokenOptions, TokenSource,
};
pub use catalog::{CatalogEntry, SearchPage, SearchQuery, StackEntry};
pub use credreg_store::is_disk_full;
pub use error::{HomeError, NodeError};
pub use home::Home;
pub use issue::{AwardRequest, BulkFailure, IssuedAward, PreparedAwards, Reviewed};
pub use ledger::{CheckpointJson, ConsistencyJson, InclusionJson, MAX_ENTRIES_PAGE};
pub use node::{format_time, now_rfc3339, Node, NodeSettings, Published, REQUIRED_CONTEXTS};
pub use trust::{FederationSettings, Trust, TrustStatus};
pub use value::recognition::RecognitionEntry;
pub use value::transfer::{TransferInput, TransferReport};
pub use verify::{CheckResult, CheckStatus, CredentialReport, InputError, Verdict, VerifyReport};
