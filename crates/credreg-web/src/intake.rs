//! Badges handed to the verify and transfer pages: pasted JSON and chosen (or dropped) files,
//! each JSON (a credential, a presentation, an offline bundle) or an image with a badge baked
//! in (PNG or SVG). Read whole but bounded: a few megabytes per file, fifty files at most.

use axum::extract::Multipart;
use serde_json::Value;
use std::collections::HashMap;

/// Largest file taken, in bytes (a baked PNG of a badge is a few hundred kilobytes).
pub(crate) const FILE_LIMIT: usize = 5 * 1024 * 1024;
/// Files taken at once.
pub(crate) const FILES: usize = 50;
/// The whole form's limit, for the route's body limit.
pub(crate) const FORM_LIMIT: usize = 20 * 1024 * 1024;

/// What a form brought.
#[derive(Default)]
pub(crate) struct Intake {
    /// Its text fields (the CSRF token, pasted JSON, the e-mail address).
    pub(crate) fields: HashMap<String, String>,
    /// Each badge document found, with where it came from ("pasted", or the file's name).
    pub(crate) docs: Vec<(String, Value)>,
    /// Files that held no badge this node can check, and why, in words.
    pub(crate) refused: Vec<String>,
}

impl Intake {
    pub(crate) fn field(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }
}

/// Reads the form; `pasted` names the text area that may hold JSON. `Err` means the form
/// itself could not be read (not multipart, broken off, over the limits).
pub(crate) async fn read(mut form: Multipart, pasted: &str) -> Result<Intake, String> {
    let mut intake = Intake::default();
    let mut files = 0;
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| format!("The form could not be read: {e}"))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        if let Some(file_name) = file_name {
            let bytes = read_bounded(field).await?;
            if bytes.is_empty() && file_name.is_empty() {
                continue; // the file input, with nothing chosen
            }
            files += 1;
            if files > FILES {
                return Err(format!("Choose at most {FILES} files at once"));
            }
            match badge_in(&bytes) {
                Ok(doc) => intake.docs.push((file_name, doc)),
                Err(why) => intake.refused.push(format!("{file_name}: {why}")),
            }
        } else {
            let text = field
                .text()
                .await
                .map_err(|e| format!("The form could not be read: {e}"))?;
            intake.fields.insert(name, text);
        }
    }
    let text = intake.field(pasted).trim().to_owned();
    if !text.is_empty() {
        match badge_in(text.as_bytes()) {
            Ok(doc) => intake.docs.insert(0, ("pasted".into(), doc)),
            Err(e) => intake.refused.insert(0, format!("The pasted text is {e}")),
        }
    }
    Ok(intake)
}

async fn read_bounded(mut field: axum::extract::multipart::Field<'_>) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|e| format!("The upload broke off: {e}"))?
    {
        if out.len() + chunk.len() > FILE_LIMIT {
            return Err(format!(
                "A file may be at most {} MB",
                FILE_LIMIT / (1024 * 1024)
            ));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// The badge document in a file's bytes, or why there is none this node can check.
fn badge_in(bytes: &[u8]) -> Result<Value, String> {
    use credreg_node::verify::read::{badge_in, ReadBadgeError};
    badge_in(bytes, |b| {
        serde_json::from_slice(b).map_err(|e| e.to_string())
    })
    .map_err(|e| match e {
        ReadBadgeError::Image(why) => crate::shell::sentence(&why),
        ReadBadgeError::NotABadge(why) => format!("not JSON: {why}."),
        ReadBadgeError::NotText => format!("not a badge: {e}."),
    })
}
