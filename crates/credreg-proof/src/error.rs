//! Typed verification and signing errors.
//!
//! Each variant names the check that failed so that a report for a hiring principal can explain
//! the failure in one sentence (`Display`), and so that programs can branch on [`ProofError::check`].

use std::fmt;

/// The check a [`ProofError`] belongs to. Stable identifiers, used in HTTP problem types and
/// verification reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Check {
    /// The JSON is not a document this crate can process (shape, types, numbers).
    Parse,
    /// A JSON-LD context the document names is not in the local context store.
    ContextMissing,
    /// A term or type is not defined by the document's contexts.
    UndefinedTerm,
    /// JSON-LD expansion or RDF canonicalization failed.
    Canonicalization,
    /// The verification method could not be turned into an Ed25519 key.
    KeyResolution,
    /// The proof purpose is not the one required, or the key is not authorized for it.
    Purpose,
    /// `created` / `expires` rule out the proof at the given time.
    Validity,
    /// The proof type or cryptosuite is not supported.
    UnsupportedSuite,
    /// The signature does not match.
    Signature,
    /// The document exceeds a processing bound (depth, size, inline contexts).
    TooLarge,
}

impl Check {
    /// A short stable identifier (`"context-missing"`, `"signature"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Check::Parse => "parse",
            Check::ContextMissing => "context-missing",
            Check::UndefinedTerm => "undefined-term",
            Check::Canonicalization => "canonicalization",
            Check::KeyResolution => "key-resolution",
            Check::Purpose => "purpose",
            Check::Validity => "validity",
            Check::UnsupportedSuite => "unsupported-suite",
            Check::Signature => "signature",
            Check::TooLarge => "too-large",
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why signing or verifying failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The input is not well-formed.
    #[error("the document is not well-formed: {0}")]
    Malformed(String),
    /// A context URL is not in the local store. Contexts are never fetched at verify time.
    #[error("the JSON-LD context {url} is not installed in the local context store (run `credreg contexts install DIR`)")]
    ContextMissing {
        /// The URL that was asked for.
        url: String,
    },
    /// An undefined term or type: it would otherwise be dropped from the signed data.
    #[error("the term or type `{term}` is not defined by the document's JSON-LD contexts, so it would not be covered by the signature")]
    UndefinedTerm {
        /// The offending key or type value.
        term: String,
    },
    /// JSON-LD expansion or RDFC-1.0 canonicalization failed.
    #[error("the document could not be canonicalized: {0}")]
    Canonicalization(String),
    /// The verification method could not be resolved to an Ed25519 key.
    #[error("the verification method {method} could not be resolved to an Ed25519 key: {reason}")]
    KeyResolution {
        /// The verification method id.
        method: String,
        /// Why.
        reason: String,
    },
    /// The proof was made for another purpose.
    #[error("the proof's purpose is `{found}` but `{expected}` is required")]
    WrongPurpose {
        /// What the verifier requires.
        expected: String,
        /// What the proof says.
        found: String,
    },
    /// The key's controller does not authorize it for the proof's purpose.
    #[error("the key {method} is not authorized for `{purpose}` by its controller {controller}")]
    NotAuthorized {
        /// The verification method id.
        method: String,
        /// The proof purpose.
        purpose: String,
        /// The controller document that was consulted.
        controller: String,
    },
    /// The proof is outside its validity window.
    #[error("the proof is not valid at the time of verification: {0}")]
    Validity(String),
    /// Proof type or cryptosuite this crate does not implement.
    #[error("unsupported proof: {0}")]
    UnsupportedSuite(String),
    /// The signature does not verify.
    #[error("the signature does not match: the document or its proof was changed after signing, or another key signed it")]
    Signature,
    /// The document carries no proof.
    #[error("the document has no proof")]
    NoProof,
    /// The document exceeds a bound on the work spent on one document.
    #[error("the document is too large to process: {0}")]
    TooLarge(String),
}

impl ProofError {
    /// Which check failed.
    pub fn check(&self) -> Check {
        match self {
            ProofError::Malformed(_) | ProofError::NoProof => Check::Parse,
            ProofError::ContextMissing { .. } => Check::ContextMissing,
            ProofError::UndefinedTerm { .. } => Check::UndefinedTerm,
            ProofError::Canonicalization(_) => Check::Canonicalization,
            ProofError::KeyResolution { .. } => Check::KeyResolution,
            ProofError::WrongPurpose { .. } | ProofError::NotAuthorized { .. } => Check::Purpose,
            ProofError::Validity(_) => Check::Validity,
            ProofError::UnsupportedSuite(_) => Check::UnsupportedSuite,
            ProofError::Signature => Check::Signature,
            ProofError::TooLarge(_) => Check::TooLarge,
        }
    }

    pub(crate) fn malformed(msg: impl Into<String>) -> Self {
        ProofError::Malformed(msg.into())
    }

    pub(crate) fn key(method: &str, reason: impl Into<String>) -> Self {
        ProofError::KeyResolution {
            method: method.to_owned(),
            reason: reason.into(),
        }
    }
}
