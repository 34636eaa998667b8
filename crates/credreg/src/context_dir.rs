//! The node's context store on disk: `<data-dir>/contexts/`, one file per context plus
//! `index.json` mapping each URL to its file, SHA-256 and origin.
//!
//! `credreg contexts install DIR` reads a directory with a `URL -> file` manifest
//! (`PROVENANCE.txt` or `contexts.txt`), checks every file is a JSON-LD context, and copies
//! them in. The pinned SHA-256 is checked again on every load, so an edited file is refused
//! rather than silently changing what signatures mean.

use anyhow::{bail, Context as _, Result};
use credreg_proof::{parse_manifest, ContextStore};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
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
        let sha = hex(&Sha256::digest(text.as_bytes()));
        if sha != entry.sha256 {
            bail!(
                "context file {} for {url} changed since it was installed (sha256 {sha}, pinned {}); reinstall it",
                path.display(),
                entry.sha256
            );
        }
        store.insert(&url, &text, &entry.origin)?;
    }
    Ok(store)
}

/// Reads contexts from a manifest directory (without installing them).
pub fn read_manifest_dir(src: &Path) -> Result<Vec<(String, String, PathBuf)>> {
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
    let entries = parse_manifest(&text);
    if entries.is_empty() {
        bail!("{} lists no `URL -> file` lines", manifest.display());
    }
    let mut out = Vec::new();
    for e in entries {
        let path = src.join(&e.file);
        let body = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        out.push((e.url, body, path));
    }
    Ok(out)
}

/// Installs every context listed in `src`'s manifest into `data_dir`. Returns the URLs.
pub fn install(data_dir: &Path, src: &Path) -> Result<Vec<String>> {
    let contexts = read_manifest_dir(src)?;
    // Validate everything before writing anything.
    let mut probe = ContextStore::empty();
    for (url, body, path) in &contexts {
        probe
            .insert(url, body, &path.display().to_string())
            .with_context(|| format!("{} is not a usable JSON-LD context", path.display()))?;
    }
    let dir = store_dir(data_dir);
    std::fs::create_dir_all(&dir)?;
    let index_path = dir.join(INDEX);
    let mut index: BTreeMap<String, IndexEntry> = match std::fs::read(&index_path) {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_default(),
        Err(_) => BTreeMap::new(),
    };
    let mut installed = Vec::new();
    for (url, body, path) in contexts {
        let sha = hex(&Sha256::digest(body.as_bytes()));
        let file = format!("{}.jsonld", &sha[..16]);
        write_atomically(&dir.join(&file), body.as_bytes())?;
        index.insert(
            url.clone(),
            IndexEntry {
                file,
                sha256: sha,
                origin: path.display().to_string(),
            },
        );
        installed.push(url);
    }
    write_atomically(&index_path, &serde_json::to_vec_pretty(&index)?)?;
    Ok(installed)
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
