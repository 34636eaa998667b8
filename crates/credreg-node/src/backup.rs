//! Backups of a running node, and restoring one.
//!
//! A backup is one `tar.gz`: `manifest.json` (the node's DID, when, and the blake3 of every
//! other file), the issuer and transport keys, `credreg.toml`, the installed contexts, the
//! evidence files, and `db.export` (the database, exported under the store's snapshot lock so
//! no log-and-record transaction is split; see `credreg-store`'s `export.rs`).
//!
//! A restore unpacks into an empty directory, checks every file against the manifest, imports
//! the database, then verifies **every log it holds against its checkpoints**: each stored
//! checkpoint's signature by its issuer's `did:key`, and the Merkle root recomputed from the
//! log's entries at the checkpoint's size. Only then does it report success; on any failure the
//! half-restored directory is removed and the reason given.

use crate::home::Home;
use crate::node::Node;
use credreg_store::Store;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

/// What a backup holds (its `manifest.json`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    /// `credreg-backup/1`.
    pub format: String,
    /// The node's issuer DID.
    pub did: String,
    /// When the backup was made (RFC 3339).
    pub created: String,
    /// Every other file: its path in the archive and its blake3 (hex).
    pub files: BTreeMap<String, String>,
    /// Database rows exported.
    pub rows: u64,
}

const FORMAT: &str = "credreg-backup/1";
const DB_EXPORT: &str = "db.export";

/// Why a backup or restore failed, in words.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BackupError(pub String);

fn err(what: impl std::fmt::Display) -> BackupError {
    BackupError(what.to_string())
}

/// One verified log of a restore.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogChecked {
    /// Issuer DID.
    pub issuer: String,
    /// Checkpoint size.
    pub size: u64,
}

/// What a restore found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Restored {
    /// The node's DID.
    pub did: String,
    /// Files restored.
    pub files: usize,
    /// Database rows imported.
    pub rows: u64,
    /// Every log verified against its checkpoint.
    pub logs: Vec<LogChecked>,
}

/// Files under `dir` (relative paths with `/`), sorted, symlinks skipped.
fn files_under(dir: &Path) -> Vec<(String, PathBuf)> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            let Ok(meta) = std::fs::symlink_metadata(&p) else {
                continue;
            };
            if meta.is_dir() {
                walk(base, &p, out);
            } else if meta.is_file() {
                if let Ok(rel) = p.strip_prefix(base) {
                    let rel: Vec<String> = rel
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect();
                    out.push((rel.join("/"), p));
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Writes a backup of `node` (whose data directory is `home`) to `out`.
pub fn write_backup(node: &Node, home: &Home, out: impl Write) -> Result<Manifest, BackupError> {
    write_store_backup(node.store(), home, node.did(), node.now_rfc3339(), out)
}

/// Writes a backup of the database `store` of the node `did` in `home` (the CLI, when no node
/// is running there, opens the store itself).
pub fn write_store_backup(
    store: &Store,
    home: &Home,
    did: &str,
    created: String,
    out: impl Write,
) -> Result<Manifest, BackupError> {
    let gz = flate2::write::GzEncoder::new(out, flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    let mut files = BTreeMap::new();
    let mut add_file =
        |tar: &mut tar::Builder<_>, name: &str, path: &Path| -> Result<(), BackupError> {
            let bytes = std::fs::read(path).map_err(|e| err(format!("{}: {e}", path.display())))?;
            files.insert(name.to_owned(), blake3::hash(&bytes).to_hex().to_string());
            append(tar, name, &bytes)
        };
    for (name, path) in [
        ("issuer.key", home.key_file()),
        ("transport.key", home.transport_key_file()),
        ("credreg.toml", home.config_file()),
    ] {
        if path.is_file() {
            add_file(&mut tar, name, &path)?;
        }
    }
    for dir in ["contexts", "evidence"] {
        for (rel, path) in files_under(&home.root().join(dir)) {
            add_file(&mut tar, &format!("{dir}/{rel}"), &path)?;
        }
    }
    // The database, streamed through a temporary file beside it (it may be large).
    let mut export = tempfile::tempfile_in(home.root()).map_err(err)?;
    let counts = store
        .export_database(&mut std::io::BufWriter::new(&mut export))
        .map_err(err)?;
    use std::io::Seek as _;
    export.seek(std::io::SeekFrom::Start(0)).map_err(err)?;
    let mut hasher = blake3::Hasher::new();
    let len = std::io::copy(&mut (&export), &mut hasher).map_err(err)?;
    files.insert(DB_EXPORT.into(), hasher.finalize().to_hex().to_string());
    export.seek(std::io::SeekFrom::Start(0)).map_err(err)?;
    let mut header = tar::Header::new_gnu();
    header.set_size(len);
    header.set_mode(0o600);
    header.set_cksum();
    tar.append_data(&mut header, DB_EXPORT, &export)
        .map_err(err)?;
    let manifest = Manifest {
        format: FORMAT.into(),
        did: did.to_owned(),
        created,
        files,
        rows: counts.rows,
    };
    let json = serde_json::to_vec_pretty(&manifest).map_err(err)?;
    append(&mut tar, "manifest.json", &json)?;
    tar.into_inner()
        .and_then(|gz| gz.finish())
        .and_then(|mut w| w.flush())
        .map_err(err)?;
    Ok(manifest)
}

fn append<W: Write>(
    tar: &mut tar::Builder<W>,
    name: &str,
    bytes: &[u8],
) -> Result<(), BackupError> {
    let mut header = tar::Header::new_gnu();
    header.set_size(bytes.len() as u64);
    header.set_mode(0o600);
    header.set_cksum();
    tar.append_data(&mut header, name, bytes).map_err(err)
}

/// Restores the backup read from `archive` into `dir` (absent or empty), verifying it; on
/// failure nothing is left in `dir`.
pub fn restore(archive: impl Read, dir: &Path) -> Result<Restored, BackupError> {
    if dir.exists()
        && std::fs::read_dir(dir)
            .map_err(|e| err(format!("{}: {e}", dir.display())))?
            .next()
            .is_some()
    {
        return Err(err(format!(
            "{} is not empty: restore into a new directory",
            dir.display()
        )));
    }
    let result = restore_into(archive, dir);
    if result.is_err() {
        let _ = std::fs::remove_dir_all(dir);
    }
    result
}

/// A path inside the archive that stays inside the restore directory.
fn safe_path(name: &Path) -> bool {
    name.components().all(|c| matches!(c, Component::Normal(_)))
}

fn restore_into(archive: impl Read, dir: &Path) -> Result<Restored, BackupError> {
    std::fs::create_dir_all(dir).map_err(|e| err(format!("{}: {e}", dir.display())))?;
    let staging = dir.join(".restore");
    let mut hashes = BTreeMap::new();
    let mut manifest: Option<Manifest> = None;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(archive));
    for entry in tar
        .entries()
        .map_err(|e| err(format!("not a backup archive: {e}")))?
    {
        let mut entry = entry.map_err(|e| err(format!("the archive is damaged: {e}")))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = entry.path().map_err(err)?.into_owned();
        if !safe_path(&name) {
            return Err(err(format!(
                "the archive names a path outside its directory: {}",
                name.display()
            )));
        }
        let key = name.to_string_lossy().replace('\\', "/");
        if key == "manifest.json" {
            let mut text = Vec::new();
            entry.read_to_end(&mut text).map_err(err)?;
            manifest = Some(
                serde_json::from_slice(&text).map_err(|e| err(format!("manifest.json: {e}")))?,
            );
            continue;
        }
        let target = if key == DB_EXPORT {
            staging.join(DB_EXPORT)
        } else {
            dir.join(&name)
        };
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(err)?;
        }
        let mut file = std::fs::File::create(&target).map_err(err)?;
        let mut hasher = blake3::Hasher::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = entry
                .read(&mut buf)
                .map_err(|e| err(format!("{key}: the archive is damaged: {e}")))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            file.write_all(&buf[..n]).map_err(err)?;
        }
        file.sync_all().map_err(err)?;
        hashes.insert(key, hasher.finalize().to_hex().to_string());
    }
    let manifest = manifest.ok_or_else(|| err("the archive has no manifest.json"))?;
    if manifest.format != FORMAT {
        return Err(err(format!("unknown backup format {}", manifest.format)));
    }
    if hashes != manifest.files {
        let bad: Vec<&String> = manifest
            .files
            .keys()
            .chain(hashes.keys())
            .filter(|k| manifest.files.get(*k) != hashes.get(*k))
            .collect();
        return Err(err(format!(
            "files differ from the manifest (damaged or edited): {}",
            bad.iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let home = Home::new(dir);
    let key = home.load_key().map_err(err)?;
    let did = credreg_proof::keys::did_key(&key.verifying_key());
    if did != manifest.did {
        return Err(err(format!(
            "issuer.key is the key of {did}, not of {}",
            manifest.did
        )));
    }
    let export = std::fs::File::open(staging.join(DB_EXPORT)).map_err(err)?;
    let store = Store::import_database(&home.db_dir(), &mut std::io::BufReader::new(export))
        .map_err(|e| err(format!("the database could not be restored: {e}")))?;
    let _ = std::fs::remove_dir_all(&staging);
    let logs = verify_logs(&store)?;
    store.flush().map_err(err)?;
    home.make_private().map_err(err)?;
    Ok(Restored {
        did,
        files: hashes.len(),
        rows: manifest.rows,
        logs,
    })
}

/// Every stored checkpoint verified: signed by its issuer's key, and its root recomputed from
/// the log's entries.
pub fn verify_logs(store: &Store) -> Result<Vec<LogChecked>, BackupError> {
    let mut out = Vec::new();
    for item in store.checkpoints() {
        let (size, bytes) = item.map_err(err)?;
        let json: crate::CheckpointJson = serde_json::from_slice(&bytes)
            .map_err(|e| err(format!("a stored checkpoint does not parse: {e}")))?;
        let signed = crate::replica::checked_checkpoint(&json).map_err(|e| {
            err(format!(
                "the checkpoint of {} is not signed by it: {e}",
                json.issuer
            ))
        })?;
        let issuer = signed.checkpoint.issuer.clone();
        if signed.checkpoint.size != size {
            return Err(err(format!(
                "the checkpoint of {issuer} is filed under another size"
            )));
        }
        let entries = store.log_entries(&issuer, 0, size).map_err(err)?;
        if entries.len() as u64 != size {
            return Err(err(format!(
                "the log of {issuer} holds {} entries, its checkpoint says {size}",
                entries.len()
            )));
        }
        let mut log = credreg_log::MemoryLog::new();
        for (_, e) in &entries {
            log.append(e);
        }
        let root = credreg_log::root(&log, size).map_err(|e| err(format!("{e:?}")))?;
        if root != signed.checkpoint.root {
            return Err(err(format!(
                "the log of {issuer} does not match its signed checkpoint of size {size}"
            )));
        }
        out.push(LogChecked { issuer, size });
    }
    Ok(out)
}
