//! What a file or a request body holds, read the same way by the API, the pages and the CLI:
//! a JSON document, a VC-JWT as text, or an image with a badge baked in (whose text is again
//! JSON, a JWT, or an Open Badges 2.0 assertion's URL).

use credreg_model::baked::{is_image, unbake, BakedKind};
use serde_json::Value;

/// Why bytes hold no badge to check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadBadgeError {
    /// An image without a readable badge (none, two, a truncated chunk...).
    #[error("{0}")]
    Image(String),
    /// Text that is neither JSON, a JWT nor an assertion URL (the JSON parser's words).
    #[error("{0}")]
    NotABadge(String),
    /// Bytes that are not text and not an image.
    #[error("neither JSON, a JWT, nor a PNG or SVG image with a badge baked in")]
    NotText,
}

/// Reads the badge in `bytes`. `parse_json` parses JSON under the caller's bounds (the API
/// counts values and nesting before it parses).
pub fn badge_in(
    bytes: &[u8],
    parse_json: impl Fn(&[u8]) -> Result<Value, String>,
) -> Result<Value, ReadBadgeError> {
    if is_image(bytes) {
        let baked = unbake(bytes).map_err(|e| ReadBadgeError::Image(e.to_string()))?;
        let text = baked.text.trim();
        if let Some(v) = text_form(text) {
            return Ok(v);
        }
        if baked.kind == BakedKind::OpenBadges2 && text.starts_with("http") {
            return Err(ReadBadgeError::Image(format!(
                "the image names its assertion at {}, which is not an https URL",
                short(text)
            )));
        }
        return parse_json(text.as_bytes()).map_err(|e| {
            ReadBadgeError::Image(format!("the badge baked into the image is not JSON: {e}"))
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|_| ReadBadgeError::NotText)?;
    let text = text.trim_start_matches('\u{feff}').trim();
    if let Some(v) = text_form(text) {
        return Ok(v);
    }
    parse_json(text.as_bytes()).map_err(ReadBadgeError::NotABadge)
}

/// A compact JWS, or an Open Badges 2.0 hosted assertion's https URL, as a JSON string.
fn text_form(text: &str) -> Option<Value> {
    let url =
        text.starts_with("https://") && !text.contains(char::is_whitespace) && text.len() < 2048;
    (super::jose::looks_like_jws(text) || url).then(|| Value::String(text.to_owned()))
}

fn short(s: &str) -> &str {
    match s.char_indices().nth(80) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}
