//! The node's context store on disk: `<data-dir>/contexts/`, one file per context plus
//! `index.json` mapping each URL to its file, SHA-256 and origin.
//!
//! `credreg contexts install DIR` reads a directory with a `URL -> file` manifest
//! (`PROVENANCE.txt` or `contexts.txt`), checks every file is a JSON-LD context, and copies
//! them in. The pinned SHA-256 is checked again on every load, so an edited file is refused
//! rather than silently changing what signatures mean.

use crate::error::HomeError;
use credreg_proof::ContextStore;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const INDEX: &str = "index.json";
const MANIFESTS: [&str; 2] = ["PROVENANCE.txt", "contexts.txt"];

#[derive(Debug, Serialize, Deserialize)]
struct IndexEntry {
    file: String,
    sha256: String,
    origin: String,
}

/// `<data_dir>/contexts`.
pub fn store_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("contexts")
}

/// Loads the builtins plus everything installed under `data_dir`.
pub fn load(data_dir: &Path) -> Result<ContextStore, HomeError> {
    let mut store = ContextStore::with_builtins();
    let dir = store_dir(data_dir);
    let index_path = dir.join(INDEX);
    if !index_path.exists() {
        return Ok(store);
    }
    let bytes = std::fs::read(&index_path).map_err(|e| HomeError::io(&index_path, e))?;
    let index: BTreeMap<String, IndexEntry> = serde_json::from_slice(&bytes).map_err(|e| {
        HomeError::new(format!(
            "{} is not a context index: {e}",
            index_path.display()
        ))
    })?;
    for (url, entry) in index {
        let path = dir.join(&entry.file);
        let text = std::fs::read_to_string(&path).map_err(|e| HomeError::io(&path, e))?;
        let stored = store
            .insert(&url, &text, &entry.origin)
            .map_err(|e| HomeError::new(format!("context {url} in {}: {e}", path.display())))?;
        if stored.sha256 != entry.sha256 {
            return Err(HomeError::new(format!(
                "context file {} for {url} changed since it was installed (sha256 {}, pinned {}); reinstall it",
                path.display(),
                stored.sha256,
                entry.sha256
            )));
        }
    }
    Ok(store)
}

/// Adds every context listed in `src`'s manifest to `store` (all or nothing). Returns the URLs.
pub fn add_from_dir(store: &mut ContextStore, src: &Path) -> Result<Vec<String>, HomeError> {
    let manifest = MANIFESTS
        .iter()
        .map(|m| src.join(m))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            HomeError::new(format!(
                "{} has no PROVENANCE.txt or contexts.txt (lines `URL -> file`)",
                src.display()
            ))
        })?;
    let text = std::fs::read_to_string(&manifest).map_err(|e| HomeError::io(&manifest, e))?;
    store
        .insert_manifest(&text, |file| {
            std::fs::read_to_string(src.join(file)).map_err(|e| e.to_string())
        })
        .map_err(|e| {
            HomeError::new(format!(
                "installing contexts from {}: {e}",
                manifest.display()
            ))
        })
}

/// Installs every context listed in `src`'s manifest into `data_dir`. Returns the URLs.
pub fn install(data_dir: &Path, src: &Path) -> Result<Vec<String>, HomeError> {
    // Validate everything before writing anything.
    let mut staged = ContextStore::empty();
    let urls = add_from_dir(&mut staged, src)?;
    write_staged(data_dir, &staged, |c| {
        src.join(&c.origin).display().to_string()
    })?;
    Ok(urls)
}

/// Installs contexts given as `(url, text)` pairs, e.g. fetched from their canonical
/// addresses; `origin` says where each came from. All are validated before any is written.
pub fn install_texts(
    data_dir: &Path,
    texts: &[(String, String, String)],
) -> Result<Vec<String>, HomeError> {
    let mut staged = ContextStore::empty();
    for (url, text, origin) in texts {
        staged
            .insert(url, text, origin)
            .map_err(|e| HomeError::new(format!("{url} ({origin}): {e}")))?;
    }
    write_staged(data_dir, &staged, |c| c.origin.clone())?;
    Ok(texts.iter().map(|(u, _, _)| u.clone()).collect())
}

/// Copies `staged` into `data_dir`'s store and index (SHA-256 pinned).
fn write_staged(
    data_dir: &Path,
    staged: &ContextStore,
    origin: impl Fn(&credreg_proof::StoredContext) -> String,
) -> Result<(), HomeError> {
    let dir = store_dir(data_dir);
    std::fs::create_dir_all(&dir).map_err(|e| HomeError::io(&dir, e))?;
    let index_path = dir.join(INDEX);
    let mut index: BTreeMap<String, IndexEntry> = match std::fs::read(&index_path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
            HomeError::new(format!(
                "{} is not a context index: {e}",
                index_path.display()
            ))
        })?,
        Err(_) => BTreeMap::new(),
    };
    for stored in staged.iter() {
        let file = format!("{}.jsonld", &stored.sha256[..16]);
        write_atomically(&dir.join(&file), stored.text.as_bytes())?;
        index.insert(
            stored.url.clone(),
            IndexEntry {
                file,
                sha256: stored.sha256.clone(),
                origin: origin(stored),
            },
        );
    }
    let encoded = serde_json::to_vec_pretty(&index)
        .map_err(|e| HomeError::new(format!("encoding context index: {e}")))?;
    write_atomically(&index_path, &encoded)
}

/// Writes `bytes` to `path` through a temporary file and a rename, so a crash leaves the old
/// file or the new one, never half of one.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), HomeError> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(|e| HomeError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| HomeError::io(path, e))?;
    Ok(())
}
