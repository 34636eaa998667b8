//! The whole database as one stream, for backups, and a database made from such a stream.
//!
//! sled's own `export`/`import` panic on any IO error; these return errors instead. The format
//! is ours and simple: `credreg-db-export/1\n`, then per tree `T` + name, `R` + key + value per
//! row and `E`; the stream ends with `Z`. Lengths are u32 big-endian. The export holds the
//! snapshot lock exclusively, so no log-and-record transaction is half in it; the account and
//! review trees are copied as they are at that moment.

use super::*;
use std::io::{Read, Write};

const MAGIC: &[u8] = b"credreg-db-export/1\n";
/// Longest key or value read back (a record is at most a few MB; an evidence file is not in
/// the database).
const MAX_FIELD: u32 = 64 * 1024 * 1024;

/// Counts of an export.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportCounts {
    /// Trees written.
    pub trees: u64,
    /// Rows written.
    pub rows: u64,
}

fn put(w: &mut dyn Write, bytes: &[u8]) -> std::io::Result<()> {
    let len = u32::try_from(bytes.len())
        .map_err(|_| std::io::Error::other("a database value over 4 GiB"))?;
    w.write_all(&len.to_be_bytes())?;
    w.write_all(bytes)
}

fn get(r: &mut dyn Read) -> Result<Vec<u8>, StoreError> {
    let mut len = [0u8; 4];
    r.read_exact(&mut len).map_err(io)?;
    let len = u32::from_be_bytes(len);
    if len > MAX_FIELD {
        return Err(corrupt(
            "export",
            "a field longer than any the database holds",
        ));
    }
    let mut out = vec![0u8; len as usize];
    r.read_exact(&mut out).map_err(io)?;
    Ok(out)
}

fn io(e: std::io::Error) -> StoreError {
    StoreError::Io(e.to_string())
}

impl Store {
    /// Writes every tree to `w` (see the module comment).
    pub fn export_database(&self, w: &mut dyn Write) -> Result<ExportCounts, StoreError> {
        let _quiet = self.snapshot.write().unwrap_or_else(|p| p.into_inner());
        self.flush()?;
        let mut counts = ExportCounts::default();
        w.write_all(MAGIC).map_err(io)?;
        for name in self.db.tree_names() {
            let tree = self.db.open_tree(&name)?;
            w.write_all(b"T").map_err(io)?;
            put(w, &name).map_err(io)?;
            for item in tree.iter() {
                let (k, v) = item?;
                w.write_all(b"R").map_err(io)?;
                put(w, &k).map_err(io)?;
                put(w, &v).map_err(io)?;
                counts.rows += 1;
            }
            w.write_all(b"E").map_err(io)?;
            counts.trees += 1;
        }
        w.write_all(b"Z").map_err(io)?;
        Ok(counts)
    }

    /// Makes a new database at `dir` (which must not hold one) from an export, and opens it.
    pub fn import_database(dir: &std::path::Path, r: &mut dyn Read) -> Result<Store, StoreError> {
        let mut magic = vec![0u8; MAGIC.len()];
        r.read_exact(&mut magic).map_err(io)?;
        if magic != MAGIC {
            return Err(corrupt("export", "not a credreg database export"));
        }
        let db = sled::Config::new().path(dir).open()?;
        if db
            .tree_names()
            .iter()
            .any(|n| db.open_tree(n).map(|t| !t.is_empty()).unwrap_or(true))
        {
            return Err(corrupt("export", "the target database is not empty"));
        }
        loop {
            let mut tag = [0u8; 1];
            r.read_exact(&mut tag).map_err(io)?;
            match &tag {
                b"Z" => break,
                b"T" => {
                    let name = get(r)?;
                    let tree = db.open_tree(&name)?;
                    let mut batch = sled::Batch::default();
                    let mut pending = 0;
                    loop {
                        r.read_exact(&mut tag).map_err(io)?;
                        match &tag {
                            b"E" => break,
                            b"R" => {
                                let k = get(r)?;
                                let v = get(r)?;
                                batch.insert(k, v);
                                pending += 1;
                                if pending == 10_000 {
                                    tree.apply_batch(std::mem::take(&mut batch))?;
                                    pending = 0;
                                }
                            }
                            _ => return Err(corrupt("export", "a row without its tag")),
                        }
                    }
                    tree.apply_batch(batch)?;
                }
                _ => return Err(corrupt("export", "a tree without its tag")),
            }
        }
        db.flush()?;
        Self::from_db(db)
    }
}
