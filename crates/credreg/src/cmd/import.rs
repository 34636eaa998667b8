//! `credreg awards import FILE.csv`: bulk issuance for districts moving from spreadsheets.
//!
//! Columns (header row required, order free): `email`, `name`, `credential_id` (or
//! `--credential ID` for every row), `evidence_url`, `evidence_name`, `evidence_description`.
//! Every row is checked before anything is issued; then awards are signed on all cores and
//! stored in batches, each batch durable before the next starts.

use anyhow::{bail, Context as _, Result};
use credreg_node::issue::csv_rows::{award_rows, row_problems};
use credreg_node::{AwardRequest, Node, NodeError};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::Path;
use std::time::Instant;

const BATCH: usize = 256;

/// Reads every row (the format is `credreg_node::issue::csv_rows`).
pub fn read_rows(file: &Path, credential: Option<&str>) -> Result<Vec<AwardRequest>> {
    let bytes = std::fs::read(file).with_context(|| format!("opening {}", file.display()))?;
    award_rows(&bytes, credential).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))
}

/// Issues every row, printing progress; returns the issued ids in row order.
pub fn import(node: &Node, rows: &[AwardRequest], out: Option<&Path>) -> Result<Vec<String>> {
    // Check every row first (a dry run of validation), so a bad row 900 does not leave 899
    // awards issued and a coordinator guessing where to resume.
    if let Err(e) = node.check_award_requests(rows) {
        bail!("{}", describe_rows(e, 0));
    }
    if let Some(dir) = out {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let bar = ProgressBar::new(rows.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} awards  {per_sec}  eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    let issued = node
        .issue_bulk(rows, BATCH, |n| bar.inc(n as u64))
        .map_err(|f| {
            anyhow::anyhow!(
                "{} ({} awards were issued before this failure)",
                describe_rows(f.error, f.batch_offset),
                f.issued
            )
        })?;
    let mut ids = Vec::with_capacity(issued.len());
    for a in issued {
        if let Some(dir) = out {
            let file = dir.join(format!("{}.json", a.id.trim_start_matches("urn:uuid:")));
            std::fs::write(&file, &a.bytes)
                .with_context(|| format!("writing {}", file.display()))?;
        }
        ids.push(a.id);
    }
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "issued {} awards in {secs:.2} s ({:.0} awards/s, durable)",
        ids.len(),
        ids.len() as f64 / secs.max(1e-9)
    );
    Ok(ids)
}

/// Turns `[i].field` errors into CSV line numbers.
fn describe_rows(e: NodeError, offset: usize) -> String {
    match &e {
        NodeError::Invalid(inv) => format!(
            "{} problem(s) in the file, nothing was issued:\n  {}",
            inv.0.len(),
            row_problems(&e, offset).join("\n  ")
        ),
        other => other.to_string(),
    }
}
