//! Where the conformance data lives, and a context store loaded from it. Shared by the
//! integration tests and the benchmark (`#[path]`), so each finds the data the same way.
#![allow(dead_code)] // each test binary uses a subset

use credreg_proof::{Canonicalizer, ContextStore, DataIntegrity};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// `$CREDREG_CONFORMANCE`, else `../shared/conformance` beside the project; `None` (with a
/// printed SKIP line) when it is absent.
pub fn conformance() -> Option<PathBuf> {
    let dir = std::env::var_os("CREDREG_CONFORMANCE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance")
        });
    if dir.join("contexts/PROVENANCE.txt").is_file() {
        Some(dir)
    } else {
        println!(
            "SKIP: conformance data not found at {} (set CREDREG_CONFORMANCE)",
            dir.display()
        );
        None
    }
}

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
