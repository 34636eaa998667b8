//! # credreg-wire: what crosses a wire, and nothing else
//!
//! Pure serde types with no IO and no runtime, so the node (which judges what arrives), the
//! network crate (which moves it) and the HTTP API (which shows it) agree on one definition:
//! - [`bundle`]: the offline bundle's type name;
//! - [`log`]: signed checkpoints and the inclusion and consistency proofs, as JSON;
//! - [`sync`]: the `/credreg/sync/1` request-response messages and their size limits;
//! - [`federation`]: what a running federation reports about itself (peers, counters), as the
//!   API shows it, behind a small trait the federation driver implements.
#![deny(missing_docs)]

pub mod bundle;
pub mod federation;
pub mod fetch;
pub mod gossip;
pub mod log;
pub mod sync;
pub mod urls;

pub use sync::{SyncRequest, SyncResponse};
