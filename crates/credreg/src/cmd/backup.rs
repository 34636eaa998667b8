//! `credreg backup FILE` and `credreg restore FILE DIR`.
//!
//! A backup of a stopped node is made from its data directory directly; a running node holds
//! its database, so the backup is asked of it (`POST /api/v1/node/backup`, an admin token),
//! which exports without splitting a transaction. Either way FILE appears only once complete.

use anyhow::{bail, Context as _, Result};
use credreg_node::backup::{restore as restore_archive, write_store_backup};
use credreg_node::Home;
use credreg_store::Store;
use std::path::Path;
use std::time::Duration;

/// Writes a backup of the node in `data_dir` to `file`.
pub fn backup(data_dir: &Path, file: &Path, node_url: &str, token: Option<&str>) -> Result<()> {
    let home = Home::new(data_dir);
    if !home.is_initialized() {
        bail!("there is no node in {}", data_dir.display());
    }
    let partial = file.with_extension("partial");
    let result = match Store::open(&home.db_dir()) {
        Ok(store) => {
            let key = home.load_key()?;
            let did = credreg_proof::keys::did_key(&key.verifying_key());
            let out = std::fs::File::create(&partial)
                .with_context(|| format!("creating {}", partial.display()))?;
            let manifest = write_store_backup(
                &store,
                &home,
                &did,
                credreg_node::format_time(time::OffsetDateTime::now_utc()),
                std::io::BufWriter::new(out),
            )?;
            format!(
                "backed up {did} (stopped): {} files, {} database rows",
                manifest.files.len(),
                manifest.rows
            )
        }
        // A running node holds the database: ask it.
        Err(_) => {
            let token = token
                .map(str::to_owned)
                .or_else(|| std::env::var("CREDREG_ADMIN_TOKEN").ok())
                .context("the node is running: give an admin token (--token or CREDREG_ADMIN_TOKEN) to ask it for the backup")?;
            let url = format!("{}/api/v1/node/backup", node_url.trim_end_matches('/'));
            let agent = ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(3600))
                .build();
            let answer = match agent
                .post(&url)
                .set("authorization", &format!("Bearer {token}"))
                .call()
            {
                Ok(r) => r,
                Err(ureq::Error::Status(code, r)) => {
                    let text = r.into_string().unwrap_or_default();
                    bail!("the node answered {code}: {text}")
                }
                Err(e) => {
                    return Err(e).with_context(|| format!("asking {url} for the backup"));
                }
            };
            let mut out = std::fs::File::create(&partial)
                .with_context(|| format!("creating {}", partial.display()))?;
            let bytes = std::io::copy(&mut answer.into_reader(), &mut out)
                .context("the backup broke off")?;
            out.sync_all()?;
            format!("backed up the running node at {node_url}: {bytes} bytes")
        }
    };
    std::fs::rename(&partial, file)
        .with_context(|| format!("moving the backup to {}", file.display()))?;
    println!("{result}, in {}", file.display());
    Ok(())
}

/// Restores `file` into `dir` and verifies it.
pub fn restore(file: &Path, dir: &Path) -> Result<()> {
    let archive =
        std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let restored = restore_archive(std::io::BufReader::new(archive), dir)
        .map_err(|e| anyhow::anyhow!("the restore failed, nothing was kept: {e}"))?;
    println!(
        "restored {} into {}: {} files, {} database rows",
        restored.did,
        dir.display(),
        restored.files,
        restored.rows
    );
    for log in &restored.logs {
        println!(
            "  log of {} verified against its signed checkpoint (size {})",
            log.issuer, log.size
        );
    }
    Ok(())
}
