//! The node's context store on disk: `<data-dir>/contexts/`, one file per context plus
//! `index.json` mapping each URL to its file, SHA-256 and origin.
//!
//! `credreg contexts install DIR` reads a directory with a `URL -> file` manifest
//! (`PROVENANCE.txt` or `contexts.txt`), checks every file is a JSON-LD context, and copies
//! them in. The pinned SHA-256 is checked again on every load, so an edited file is refused
//! rather than silently changing what signatures mean.

use anyhow::{bail, Context as _, Result};
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
pub fn load(data_dir: &Path) -> Result<ContextStore> {
    let mut store = ContextStore::with_builtins();
    let dir = store_dir(data_dir);
    let index_path = dir.join(INDEX);
    if !index_path.exists() {
        return Ok(store);
    }
    let index: BTreeMap<String, IndexEntry> = serde_json::from_slice(
        &std::fs::read(&index_path).with_context(|| format!("reading {}", index_path.display()))?,
    )
    .with_context(|| format!("{} is not a context index", index_path.display()))?;
    for (url, entry) in index {
        let path = dir.join(&entry.file);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let stored = store.insert(&url, &text, &entry.origin)?;
        if stored.sha256 != entry.sha256 {
            bail!(
                "context file {} for {url} changed since it was installed (sha256 {}, pinned {}); reinstall it",
                path.display(),
                stored.sha256,
                entry.sha256
            );
        }
    }
    Ok(store)
}

/// Adds every context listed in `src`'s manifest to `store` (all or nothing). Returns the URLs.
pub fn add_from_dir(store: &mut ContextStore, src: &Path) -> Result<Vec<String>> {
    let manifest = MANIFESTS
        .iter()
        .map(|m| src.join(m))
        .find(|p| p.is_file())
        .with_context(|| {
            format!(
                "{} has no PROVENANCE.txt or contexts.txt (lines `URL -> file`)",
                src.display()
            )
        })?;
    let text = std::fs::read_to_string(&manifest)?;
    store
        .insert_manifest(&text, |file| {
            std::fs::read_to_string(src.join(file)).map_err(|e| e.to_string())
        })
        .with_context(|| format!("installing contexts from {}", manifest.display()))
}

/// Installs every context listed in `src`'s manifest into `data_dir`. Returns the URLs.
pub fn install(data_dir: &Path, src: &Path) -> Result<Vec<String>> {
    // Validate everything before writing anything.
    let mut staged = ContextStore::empty();
    let urls = add_from_dir(&mut staged, src)?;
    let dir = store_dir(data_dir);
    std::fs::create_dir_all(&dir)?;
    let index_path = dir.join(INDEX);
    let mut index: BTreeMap<String, IndexEntry> = match std::fs::read(&index_path) {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_default(),
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
                origin: src.join(&stored.origin).display().to_string(),
            },
        );
    }
    write_atomically(&index_path, &serde_json::to_vec_pretty(&index)?)?;
    Ok(urls)
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}
