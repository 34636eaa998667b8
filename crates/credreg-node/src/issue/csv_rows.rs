//! Award rows from a CSV file, for districts moving from spreadsheets: read the same way by
//! `credreg awards import` and by the coordinator's import page.
//!
//! Columns (header row required, order free): `email`, `name`, `credential_id` (or one
//! credential for every row), `evidence_url`, `evidence_name`, `evidence_description`.

use super::AwardRequest;
use credreg_model::{Evidence, Recipient};
use std::collections::HashMap;

/// Why a CSV could not be read as award rows (the message names the line).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RowsError(pub String);

/// Every row of `bytes` as an award request; `credential` is used where a row names none.
pub fn award_rows(bytes: &[u8], credential: Option<&str>) -> Result<Vec<AwardRequest>, RowsError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let headers: HashMap<String, usize> = reader
        .headers()
        .map_err(|e| RowsError(format!("The file is not CSV: {e}.")))?
        .iter()
        .enumerate()
        .map(|(i, h)| (h.to_lowercase(), i))
        .collect();
    if !headers.contains_key("email") {
        return Err(RowsError("The first row has no `email` column.".into()));
    }
    if credential.is_none() && !headers.contains_key("credential_id") {
        return Err(RowsError(
            "The first row has no `credential_id` column; add one or choose the credential.".into(),
        ));
    }
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| RowsError(format!("Line {line}: {e}.")))?;
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
        return Err(RowsError("The file has no data rows.".into()));
    }
    Ok(rows)
}

/// A row error (`[i].field`, from checking the requests) as lines of the file, at most 20;
/// `offset` is the first row's index. Other errors are one line.
pub fn row_problems(e: &crate::NodeError, offset: usize) -> Vec<String> {
    match e {
        crate::NodeError::Invalid(inv) => inv
            .0
            .iter()
            .take(20)
            .map(|f| {
                let (row, field) = match f.field.strip_prefix('[').and_then(|s| s.split_once(']')) {
                    Some((n, rest)) => (n.parse::<usize>().ok(), rest.trim_start_matches('.')),
                    None => (Some(0), f.field.as_str()),
                };
                match row {
                    Some(r) => format!("line {}: {field}: {}", offset + r + 2, f.message),
                    None => format!("{}: {}", f.field, f.message),
                }
            })
            .collect(),
        other => vec![other.to_string()],
    }
}
