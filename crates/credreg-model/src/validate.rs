//! Field-level validation: every bad field reported at once, each with a path.

use serde::de::DeserializeOwned;
use serde::Serialize;

/// One bad field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Dotted path from the document root, e.g. `rubric.criteria[0].levels`.
    pub field: String,
    /// What is wrong, as a sentence fragment a form can show beside the field.
    pub message: String,
}

/// A document that failed validation, with every bad field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} invalid field(s): {}", .0.len(), summary(.0))]
pub struct Invalid(pub Vec<FieldError>);

fn summary(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Types that check their own invariants beyond what deserialization enforces.
pub trait Validate {
    /// Pushes one [`FieldError`] per problem onto `errors`.
    fn validate(&self, errors: &mut Errors);
}

/// Collects field errors under a path prefix.
#[derive(Debug, Default)]
pub struct Errors {
    prefix: String,
    list: Vec<FieldError>,
}

impl Errors {
    /// Records that `field` (relative to the current prefix) is wrong.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        let field = if self.prefix.is_empty() {
            field.to_owned()
        } else if field.starts_with('[') {
            format!("{}{field}", self.prefix)
        } else {
            format!("{}.{field}", self.prefix)
        };
        self.list.push(FieldError {
            field,
            message: message.into(),
        });
    }

    /// Runs `f` with `field` appended to the prefix.
    pub fn nested(&mut self, field: &str, f: impl FnOnce(&mut Errors)) {
        let saved = self.prefix.clone();
        self.prefix = if saved.is_empty() {
            field.to_owned()
        } else if field.starts_with('[') {
            format!("{saved}{field}")
        } else {
            format!("{saved}.{field}")
        };
        f(self);
        self.prefix = saved;
    }

    /// Checks a required text field: not blank, at most `max` characters.
    pub fn text(&mut self, field: &str, value: &str, max: usize) {
        if value.trim().is_empty() {
            self.add(field, "is required and must not be empty");
        } else {
            self.max_len(field, value, max);
        }
    }

    /// Checks an optional text field's length.
    pub fn max_len(&mut self, field: &str, value: &str, max: usize) {
        let n = value.chars().count();
        if n > max {
            self.add(field, format!("is {n} characters; at most {max} allowed"));
        }
    }

    /// Checks a list's length.
    pub fn max_items<T>(&mut self, field: &str, list: &[T], max: usize) {
        if list.len() > max {
            self.add(
                field,
                format!("has {} items; at most {max} allowed", list.len()),
            );
        }
    }

    /// Checks an absolute `http(s)` URL (what evidence, citations and resources link to).
    pub fn url(&mut self, field: &str, value: &str) {
        let ok = (value.starts_with("https://") || value.starts_with("http://"))
            && value.len() > "http://".len() + 1
            && value.len() <= 2048
            && !value.chars().any(|c| c.is_whitespace() || c.is_control());
        if !ok {
            self.add(
                field,
                "must be an absolute http(s) URL without spaces, at most 2048 characters",
            );
        }
    }

    /// Checks a validity window: `valid_from` an RFC 3339 date-time, and `valid_until` (if
    /// given) one too, not before `valid_from` (memberships, recognitions).
    pub fn validity_window(&mut self, valid_from: &str, valid_until: Option<&str>) {
        let rfc3339 = |s: &str| {
            time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
        };
        let from = rfc3339(valid_from);
        if from.is_none() {
            self.add("valid_from", "must be an RFC 3339 date-time");
        }
        if let Some(until) = valid_until {
            match (from, rfc3339(until)) {
                (_, None) => self.add("valid_until", "must be an RFC 3339 date-time"),
                (Some(f), Some(u)) if u < f => {
                    self.add("valid_until", "must not be before valid_from")
                }
                _ => {}
            }
        }
    }

    /// The collected errors.
    pub fn finish(self) -> Result<(), Invalid> {
        if self.list.is_empty() {
            Ok(())
        } else {
            Err(Invalid(self.list))
        }
    }
}

/// Why a JSON document could not be read as a `T`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// Not JSON at all (a syntax error or a truncated document).
    Syntax(String),
    /// JSON of the wrong shape, or values that fail validation; every bad field listed.
    Invalid(Invalid),
}

impl From<ReadError> for Invalid {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::Invalid(inv) => inv,
            ReadError::Syntax(message) => Invalid(vec![FieldError {
                field: String::new(),
                message,
            }]),
        }
    }
}

/// Reads `json` as a `T` in one pass, telling a syntax error apart from a shape error (the
/// HTTP layer answers 400 for one and 422 for the other). A wrong type or an unknown field
/// yields one error naming its path.
pub fn read_json<T: DeserializeOwned>(json: &[u8]) -> Result<T, ReadError> {
    let de = &mut serde_json::Deserializer::from_slice(json);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if matches!(
            inner.classify(),
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof
        ) {
            return ReadError::Syntax(inner.to_string());
        }
        let field = if path == "." { String::new() } else { path };
        ReadError::Invalid(Invalid(vec![FieldError {
            field,
            message: inner.to_string(),
        }]))
    })
}

/// [`read_json`], then every validation problem of the value.
pub fn read_validated<T: DeserializeOwned + Validate>(json: &[u8]) -> Result<T, ReadError> {
    let value: T = read_json(json)?;
    let mut errors = Errors::default();
    value.validate(&mut errors);
    errors.finish().map_err(ReadError::Invalid)?;
    Ok(value)
}

/// Parses `json` into `T` and validates it. A JSON syntax error, a wrong type or an unknown
/// field yields one error naming its path; otherwise every validation problem is listed.
pub fn parse_validated<T: DeserializeOwned + Validate>(json: &[u8]) -> Result<T, Invalid> {
    read_validated(json).map_err(Invalid::from)
}
