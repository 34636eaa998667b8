//! Where the conformance data lives, and a context store loaded from it. Shared by the
//! integration tests and the benchmark (`#[path]`), so each finds the data the same way.
#![allow(dead_code)] // each test binary uses a subset

use credreg_proof::{Canonicalizer, ContextStore, DataIntegrity};
use std::path::Path;
use std::sync::Arc;

pub use credreg_testkit::conformance;

/// The builtins plus every context the conformance folder's manifest lists.
pub fn conformance_store(root: &Path) -> ContextStore {
    let dir = root.join("contexts");
    let manifest = std::fs::read_to_string(dir.join("PROVENANCE.txt")).expect("manifest");
    let mut store = ContextStore::with_builtins();
    store
        .insert_manifest(&manifest, |file| {
            std::fs::read_to_string(dir.join(file)).map_err(|e| e.to_string())
        })
        .expect("conformance contexts load");
    store
}

/// A signer/verifier over [`conformance_store`].
pub fn conformance_di(root: &Path) -> DataIntegrity {
    DataIntegrity::new(Canonicalizer::new(Arc::new(conformance_store(root))))
}
