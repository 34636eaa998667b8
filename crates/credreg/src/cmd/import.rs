//! `credreg awards import FILE.csv`: bulk issuance for districts moving from spreadsheets.
//!
//! Columns (header row required, order free): `email`, `name`, `credential_id` (or
//! `--credential ID` for every row), `evidence_url`, `evidence_name`, `evidence_description`.
//! Every row is checked before anything is issued; then awards are signed on all cores and
//! stored in batches, each batch durable before the next starts.

use anyhow::{bail, Context as _, Result};
use credreg_model::{Evidence, Recipient};
use credreg_node::{AwardRequest, Node, NodeError};
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

const BATCH: usize = 256;

/// Reads and checks every row.
pub fn read_rows(file: &Path, credential: Option<&str>) -> Result<Vec<AwardRequest>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(file)
        .with_context(|| format!("opening {}", file.display()))?;
    let headers: HashMap<String, usize> = reader
        .headers()?
        .iter()
        .enumerate()
        .map(|(i, h)| (h.to_lowercase(), i))
        .collect();
    if !headers.contains_key("email") {
        bail!("{} has no `email` column", file.display());
    }
    if credential.is_none() && !headers.contains_key("credential_id") {
        bail!(
            "{} has no `credential_id` column; add one or pass --credential ID",
            file.display()
        );
    }
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.with_context(|| format!("{} line {line}", file.display()))?;
        let field = |name: &str| {
            headers
                .get(name)
                .and_then(|&i| record.get(i))
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let evidence = match field("evidence_url") {
            Some(id) => vec![Evidence {
                id,
                name: field("evidence_name"),
                description: field("evidence_description"),
            }],
            None => vec![],
        };
        rows.push(AwardRequest {
            credential_id: field("credential_id")
                .or_else(|| credential.map(str::to_owned))
                .unwrap_or_default(),
            recipient: Recipient {
                email: field("email").unwrap_or_default(),
                name: field("name"),
            },
            evidence,
            review: None,
            reviewed: Default::default(),
        });
    }
    if rows.is_empty() {
        bail!("{} has no data rows", file.display());
    }
    Ok(rows)
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
    match e {
        NodeError::Invalid(inv) => {
            let lines: Vec<String> = inv
                .0
                .iter()
                .take(20)
                .map(|f| {
                    let (row, field) =
                        match f.field.strip_prefix('[').and_then(|s| s.split_once(']')) {
                            Some((n, rest)) => {
                                (n.parse::<usize>().ok(), rest.trim_start_matches('.'))
                            }
                            None => (Some(0), f.field.as_str()),
                        };
                    match row {
                        Some(r) => format!("line {}: {field}: {}", offset + r + 2, f.message),
                        None => format!("{}: {}", f.field, f.message),
                    }
                })
                .collect();
            format!(
                "{} problem(s) in the file, nothing was issued:\n  {}",
                inv.0.len(),
                lines.join("\n  ")
            )
        }
        other => other.to_string(),
    }
}
