//! A roster as CSV: `name,email[,school][,roles]`, the first row naming the columns (in any
//! order); roles are separated by `;` and default to teacher. Read the same way for the API's
//! upload and the coordinator's page.

use super::person::{NewPerson, PersonRole};

/// Why a roster could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RosterError {
    /// Not CSV, or without the columns it needs.
    #[error("{0}")]
    Malformed(String),
    /// CSV, but a value is not allowed (an unknown role).
    #[error("{0}")]
    Invalid(String),
}

/// The rows of a roster, every one of them, or the first problem (named by its row).
pub fn parse_roster(bytes: &[u8]) -> Result<Vec<NewPerson>, RosterError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| RosterError::Malformed(format!("The roster is not CSV: {e}.")))?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (Some(name), Some(email)) = (col("name"), col("email")) else {
        return Err(RosterError::Malformed(
            "The roster's first row must name its columns: name,email[,school][,roles].".into(),
        ));
    };
    let (school, roles) = (col("school"), col("roles"));
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| RosterError::Malformed(format!("Row {}: {e}.", i + 2)))?;
        let field = |c: Option<usize>| c.and_then(|c| record.get(c)).unwrap_or("").to_owned();
        let roles_text = field(roles);
        let mut parsed = Vec::new();
        for r in roles_text
            .split(';')
            .map(str::trim)
            .filter(|r| !r.is_empty())
        {
            let role = serde_json::from_value(serde_json::Value::String(r.to_lowercase()))
                .map_err(|_| {
                    RosterError::Invalid(format!(
                        "Row {}: `{r}` is not a role (teacher, reviewer, coordinator, curator).",
                        i + 2
                    ))
                })?;
            parsed.push(role);
        }
        if parsed.is_empty() {
            parsed.push(PersonRole::Teacher);
        }
        let school = field(school);
        out.push(NewPerson {
            name: field(Some(name)),
            email: field(Some(email)),
            school: (!school.is_empty()).then_some(school),
            roles: parsed,
        });
    }
    Ok(out)
}
