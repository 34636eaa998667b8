//! Evidence files on disk: one file per distinct content, named by the blake3 of its bytes,
//! written to a temporary name first and renamed into place whole. What a file may be (size,
//! type) is the node's rule (`credreg_node::review::files`).

use std::path::{Path, PathBuf};

/// Where evidence files live and how large one may be.
#[derive(Debug, Clone)]
pub struct EvidenceFiles {
    dir: PathBuf,
    limit: u64,
}

impl EvidenceFiles {
    /// Files in `dir`, at most `limit` bytes each.
    pub fn new(dir: PathBuf, limit: u64) -> Self {
        Self { dir, limit }
    }

    /// The per-file limit in bytes.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where a stored file with `digest` is (`digest` must be 64 hex digits).
    pub fn path(&self, digest: &str) -> Option<PathBuf> {
        (digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| self.dir.join(digest))
    }

    /// A fresh temporary name for an upload in progress (a name only: a file's identity is its
    /// digest).
    pub fn temp_path(&self) -> PathBuf {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let h = blake3::hash(format!("{t}-{n}-{}", std::process::id()).as_bytes());
        self.dir
            .join(format!(".upload-{}", &h.to_hex().as_str()[..32]))
    }

    /// Moves a fully written, checked temporary file into place under `digest` (its blake3,
    /// hex). When the same bytes are already kept (content addressing), the temporary file
    /// goes instead.
    pub fn commit(&self, temp: &Path, digest: &str) -> std::io::Result<()> {
        let target = self.dir.join(digest);
        if target.exists() {
            return std::fs::remove_file(temp);
        }
        std::fs::rename(temp, target)
    }
}
