//! Errors of the node's use cases. Each variant maps to one HTTP problem type in `credreg-api`.

use credreg_model::Invalid;
use credreg_proof::ProofError;
use credreg_store::StoreError;
use std::path::Path;

/// Why a use case failed.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The input failed validation; every bad field is listed.
    #[error("invalid input: {0}")]
    Invalid(#[from] Invalid),
    /// Something named in the request does not exist.
    #[error("no {what} `{id}`")]
    NotFound {
        /// Kind of thing ("credential", "award", ...).
        what: &'static str,
        /// Its id as given.
        id: String,
    },
    /// The request conflicts with the current state (e.g. revoking twice).
    #[error("{0}")]
    Conflict(String),
    /// The person asking may not do this (a teacher reading another's submission, a reviewer
    /// scoring a review that is not theirs).
    #[error("{0}")]
    Forbidden(String),
    /// A JSON-LD context the operation needs is not installed.
    #[error("JSON-LD context {url} is not installed; install it with `credreg contexts install DIR` (a directory with a PROVENANCE.txt or contexts.txt manifest) or `credreg contexts fetch`")]
    ContextMissing {
        /// The context URL.
        url: String,
    },
    /// Signing failed (a bug or a context problem, never the caller's input alone).
    #[error("signing failed: {0}")]
    Signing(ProofError),
    /// A bug: an invariant the node relies on did not hold.
    #[error("internal error: {0}")]
    Internal(String),
    /// The database failed.
    #[error("storage: {0}")]
    Store(#[from] StoreError),
}

/// Problems with the node's data directory (keys, contexts, config).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HomeError(String);

impl HomeError {
    /// An error with this message.
    pub fn new(msg: impl Into<String>) -> Self {
        Self(msg.into())
    }

    /// An IO error on `path`.
    pub fn io(path: &Path, e: std::io::Error) -> Self {
        Self(format!("{}: {e}", path.display()))
    }
}

/// A bug: an invariant the node relies on did not hold.
pub(crate) fn internal(e: impl std::fmt::Display) -> NodeError {
    NodeError::Internal(e.to_string())
}

/// A lock poisoned by an earlier panic.
pub(crate) fn poisoned() -> NodeError {
    internal("a lock was poisoned by an earlier panic")
}

/// A stored record that does not decode.
pub(crate) fn corrupt(detail: String) -> NodeError {
    NodeError::Store(credreg_store::StoreError::Corrupt {
        tree: credreg_store::schema::RECORDS,
        detail,
    })
}
