//! W3C Data Integrity proofs for Open Badges 3.0 credentials and node-to-node records.
//!
//! # Design decisions
//! - **Pure.** No IO, no clock, no async runtime: callers hand over context texts, DID
//!   documents and the verification time. `json-ld` is async (its loader trait); since our
//!   loader only reads memory its futures never wait, and `futures::executor::block_on` drives
//!   them on the calling thread.
//! - **Standard pieces from well-kept crates.** JSON-LD expansion and RDF conversion from
//!   `json-ld` 0.21, RDFC-1.0 from `rdf-canon`, JCS from `serde_json_canonicalizer`, Ed25519
//!   from `ed25519-dalek` (`verify_strict`, batch verification). Hand-written here: the proof
//!   procedures of the suites (a page of code each in the W3C specs), Multikey/`did:key`
//!   decoding and DID-document key lookup.
//! - **Contexts only from the local [`ContextStore`].** A missing context is an error naming
//!   its URL ([`ProofError::ContextMissing`]). Sites install the Open Badges 3.0.3 context
//!   once from a directory (`credreg contexts install DIR`, reading a `URL -> file` manifest
//!   such as the conformance folder's `PROVENANCE.txt`); it is pinned by SHA-256 thereafter.
//! - **Strict expansion.** Undefined terms and relative types are errors
//!   ([`ProofError::UndefinedTerm`]), matching jsonld.js safe mode as used by the DCC verifier.
//! - **Interop quirks handled in [`canon`]:** lowercase language tags, JavaScript number
//!   semantics, a bound on RDFC-1.0's blank-node work.
//! - **Fast.** Processed top-level contexts are cached per `@context` value, and type- and
//!   property-scoped contexts per derivation through a patched `json-ld-expansion`
//!   (`vendor/json-ld-expansion`, `[patch.crates-io]`; upstream re-processes them on every node
//!   and that was ~90% of an award's verification). `tests/scoped_cache.rs` compares it with
//!   the unpatched path on every conformance document and on crafted colliding contexts. `did:key` points are cached; [`DataIntegrity::verify_batch`] checks all
//!   signatures with one batch equation.
//!
//! # Example
//! ```
//! use credreg_proof::{keys, Canonicalizer, ContextStore, DataIntegrity, KeyResolver, SignOptions, Suite, VerifyOptions};
//! use std::sync::Arc;
//! let di = DataIntegrity::new(Canonicalizer::new(Arc::new(ContextStore::with_builtins())));
//! let key = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
//! let record = serde_json::json!({"type": "Membership", "member": "did:key:z6Mk..."});
//! let opts = SignOptions::assertion(Suite::EddsaJcs2022, keys::did_key_method(&key.verifying_key()), "2026-11-22T00:00:00Z");
//! let signed = di.sign(&record, &key, &opts).unwrap();
//! assert!(di.verify(&signed, &KeyResolver::new(), &VerifyOptions::default()).is_ok());
//! ```
#![deny(missing_docs)]

pub mod canon;
pub mod contexts;
pub mod error;
pub mod facts;
pub mod keys;
pub mod limits;
pub mod multibase;
pub mod public_key;
mod sd;
pub mod suite;
mod validity;

pub use canon::Canonicalizer;
pub use contexts::{parse_manifest, ContextStore, ManifestEntry, StoredContext};
pub use error::{Check, ProofError};
pub use facts::{CredentialFacts, DateFact, SignedGraph};
pub use keys::{KeyResolver, KeySource, ResolvedKey};
pub use limits::DocumentLimits;
pub use public_key::PublicKey;
pub use suite::{DataIntegrity, SignOptions, Suite, Verification, VerifiedProof, VerifyOptions};

pub use ed25519_dalek::{SigningKey, VerifyingKey};
