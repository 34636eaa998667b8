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
#![deny(missing_docs)]

pub mod auth;
pub mod bundle;
pub mod catalog;
pub mod clock;
pub mod contexts_dir;
pub mod error;
pub mod home;
pub mod log;
pub mod node;
pub mod quality;
pub mod recognition;
pub mod replica;
pub mod standards;
pub mod stats;
pub mod status;
pub mod transfer;
pub mod trust;
pub mod verify;

pub use auth::{
    generate_token, has_admin_token, list_tokens, register_token, register_token_with,
    revoke_token, Role, TokenEntry, TokenOptions, TokenSource,
};
pub use catalog::{CatalogEntry, SearchPage, SearchQuery, StackEntry};
pub use error::{HomeError, NodeError};
pub use home::Home;
pub use log::{CheckpointJson, ConsistencyJson, InclusionJson, MAX_ENTRIES_PAGE};
pub use node::{
    format_time, now_rfc3339, AwardRequest, BulkFailure, IssuedAward, Node, NodeSettings,
    PreparedAwards, Published, REQUIRED_CONTEXTS,
};
pub use recognition::RecognitionEntry;
pub use transfer::{TransferInput, TransferReport};
pub use trust::{FederationSettings, Trust, TrustStatus};
pub use verify::{CheckResult, CheckStatus, CredentialReport, InputError, Verdict, VerifyReport};
