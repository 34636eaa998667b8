//! Bounds on the work one document may cause, checked before any JSON-LD processing.
//!
//! JSON-LD expansion recurses once per nesting level (through async frames several KB deep),
//! processes every inline `@context` it meets against the whole active context, and builds
//! several copies of the document on the way to RDF. Without bounds a 3.5 KB document nested
//! a hundred levels deep overflows a thread's stack (which aborts the process: a stack
//! overflow cannot be caught), and a 2 MB inline context costs a minute of CPU. Real
//! credentials are shallow (an Open Badges 3.0 award is 6 levels deep and holds about 80 JSON
//! values), so the bounds are far above them and far below harm.

use crate::error::ProofError;
use serde_json::Value;

/// What a document may hold. [`DocumentLimits::default`] is what the node applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocumentLimits {
    /// Deepest nesting of objects and arrays (the document itself is level 1).
    pub max_depth: usize,
    /// JSON values in all (objects, arrays, strings, numbers, ...).
    pub max_values: usize,
    /// Elements of any one array.
    pub max_array_len: usize,
    /// Total serialized size of inline (object) `@context`s, anywhere in the document.
    pub max_inline_context_bytes: usize,
    /// Total bytes of text (keys and strings): a per-credential size bound (a badge with its
    /// image inlined as a data URL is a few hundred KB).
    pub max_text_bytes: usize,
    /// Number of `@context` entries anywhere in the document (each is processed against the
    /// whole active context; remote ones are served from the local store).
    pub max_contexts: usize,
    /// Objects without an `id` (each becomes a blank node, which RDFC-1.0 must label: its cost
    /// grows with their number and how alike they are). An Open Badges award has about ten.
    pub max_blank_nodes: usize,
}

impl Default for DocumentLimits {
    fn default() -> Self {
        Self {
            max_depth: 32,
            max_values: 5_000,
            max_array_len: 2_000,
            max_inline_context_bytes: 8 * 1024,
            max_text_bytes: 1024 * 1024,
            max_contexts: 16,
            max_blank_nodes: 500,
        }
    }
}

impl DocumentLimits {
    /// Checks a JSON object given as its entries (the caller's view of it).
    pub fn check_entries<'a>(
        &self,
        entries: impl IntoIterator<Item = (&'a str, &'a Value)>,
    ) -> Result<(), ProofError> {
        let mut tally = Tally::default();
        for (k, v) in entries {
            self.visit_entry(k, v, 2, false, &mut tally)?;
        }
        Ok(())
    }

    /// Checks a whole JSON value (for callers that hold one, such as request bodies).
    pub fn check_value(&self, v: &Value) -> Result<(), ProofError> {
        let mut tally = Tally::default();
        self.visit(v, 1, false, &mut tally)
    }

    fn visit_entry(
        &self,
        key: &str,
        v: &Value,
        depth: usize,
        in_context: bool,
        tally: &mut Tally,
    ) -> Result<(), ProofError> {
        self.text(key.len(), tally)?;
        let in_context = in_context || key == "@context";
        if key == "@context" {
            tally.contexts += 1;
            if tally.contexts > self.max_contexts {
                return Err(ProofError::TooLarge(format!(
                    "it has more than {} @context entries",
                    self.max_contexts
                )));
            }
            tally.inline_bytes += inline_context_bytes(v);
            if tally.inline_bytes > self.max_inline_context_bytes {
                return Err(ProofError::TooLarge(format!(
                    "its inline @context definitions exceed {} bytes; install the context and refer to it by URL",
                    self.max_inline_context_bytes
                )));
            }
        }
        self.visit(v, depth, in_context, tally)
    }

    fn visit(
        &self,
        v: &Value,
        depth: usize,
        in_context: bool,
        tally: &mut Tally,
    ) -> Result<(), ProofError> {
        tally.values += 1;
        if tally.values > self.max_values {
            return Err(ProofError::TooLarge(format!(
                "it holds more than {} JSON values",
                self.max_values
            )));
        }
        match v {
            Value::Object(o) => {
                self.deeper(depth)?;
                let node = !in_context
                    && !["id", "@id", "@value", "@list"]
                        .iter()
                        .any(|k| o.contains_key(*k));
                if node {
                    tally.blank_nodes += 1;
                    if tally.blank_nodes > self.max_blank_nodes {
                        return Err(ProofError::TooLarge(format!(
                            "it holds more than {} objects without an id",
                            self.max_blank_nodes
                        )));
                    }
                }
                for (k, v) in o {
                    self.visit_entry(k, v, depth + 1, in_context, tally)?;
                }
            }
            Value::Array(a) => {
                self.deeper(depth)?;
                if a.len() > self.max_array_len {
                    return Err(ProofError::TooLarge(format!(
                        "an array has {} elements, more than {}",
                        a.len(),
                        self.max_array_len
                    )));
                }
                for v in a {
                    self.visit(v, depth + 1, in_context, tally)?;
                }
            }
            Value::String(text) => self.text(text.len(), tally)?,
            _ => {}
        }
        Ok(())
    }

    fn text(&self, len: usize, tally: &mut Tally) -> Result<(), ProofError> {
        tally.text_bytes += len;
        if tally.text_bytes > self.max_text_bytes {
            return Err(ProofError::TooLarge(format!(
                "it holds more than {} bytes of text",
                self.max_text_bytes
            )));
        }
        Ok(())
    }

    fn deeper(&self, depth: usize) -> Result<(), ProofError> {
        if depth > self.max_depth {
            return Err(ProofError::TooLarge(format!(
                "it is nested more than {} levels deep",
                self.max_depth
            )));
        }
        Ok(())
    }
}

#[derive(Default)]
struct Tally {
    values: usize,
    contexts: usize,
    inline_bytes: usize,
    text_bytes: usize,
    blank_nodes: usize,
}

/// Serialized size of the object parts of a `@context` value (URLs are free: they name
/// installed contexts).
fn inline_context_bytes(v: &Value) -> usize {
    match v {
        Value::Object(_) => serde_json::to_string(v).map_or(usize::MAX / 2, |s| s.len()),
        Value::Array(a) => a.iter().map(inline_context_bytes).sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn nested(levels: usize) -> Value {
        let mut v = json!("leaf");
        for _ in 0..levels {
            v = json!({ "a": v });
        }
        v
    }

    #[test]
    fn every_json_ld_caller_meets_the_bounds() {
        // Whoever asks (verification, signing, a replicated record's embedded credential), the
        // canonicalizer refuses before expanding: a 200-level document would overflow a
        // worker's stack inside the expansion.
        let canon =
            crate::Canonicalizer::new(std::sync::Arc::new(crate::ContextStore::with_builtins()));
        let mut doc = nested(200);
        doc["@context"] = json!("https://www.w3.org/ns/credentials/v2");
        let e = canon.rdfc(&doc).expect_err("refused");
        assert_eq!(e.check(), crate::Check::TooLarge, "{e}");
    }

    #[test]
    fn depth_values_arrays_and_inline_contexts_are_bounded() {
        let l = DocumentLimits::default();
        assert!(l.check_value(&nested(31)).is_ok());
        let e = l.check_value(&nested(200)).expect_err("refused");
        assert!(e.to_string().contains("nested more than 32"), "{e}");
        assert!(l.check_value(&json!(vec![1; 2_001])).is_err());
        assert!(l.check_value(&json!(vec![vec![1; 1_000]; 6])).is_err());
        let big: serde_json::Map<String, Value> = (0..500)
            .map(|i| {
                (
                    format!("term{i}"),
                    json!(format!("https://example.org/{i}")),
                )
            })
            .collect();
        let e = l
            .check_value(&json!({"@context": [ "https://www.w3.org/ns/credentials/v2", big ]}))
            .expect_err("refused");
        assert!(e.to_string().contains("inline @context"), "{e}");
        assert!(l
            .check_value(&json!({"@context": ["https://www.w3.org/ns/credentials/v2", {"x": "https://e.org/x"}]}))
            .is_ok());
        // Objects without an id are blank nodes; objects with one, and contexts, are not.
        let blank: Vec<Value> = (0..501).map(|i| json!({"name": i})).collect();
        let e = l
            .check_value(&json!({"evidence": blank}))
            .expect_err("refused");
        assert!(e.to_string().contains("without an id"), "{e}");
        let named: Vec<Value> = (0..600)
            .map(|i| json!({"id": format!("urn:x:{i}")}))
            .collect();
        assert!(l.check_value(&json!({"evidence": named})).is_ok());
    }
}
