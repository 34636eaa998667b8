//! IRIs whose percent-encoded bytes are not UTF-8 (`https://example.org/%d8`) are valid IRIs
//! (RFC 3987 lets `pct-encoded` be any octet), and JSON-LD processing must take them: hashing
//! one used to panic inside `pct-str` (found by fuzzing offline bundles). The credential is
//! canonicalized like any other, and a signature over it still verifies or fails on its merits.

use credreg_proof::{Canonicalizer, ContextStore};
use serde_json::json;
use std::sync::Arc;

fn canonicalizer() -> Canonicalizer {
    Canonicalizer::new(Arc::new(ContextStore::with_builtins()))
}

#[test]
fn iris_with_non_utf8_percent_encodings_are_canonicalized_not_a_panic() {
    let c = canonicalizer();
    for iri in [
        "https://example.org/%d8",
        "https://example.org/a%ff%fe/b",
        "https://example.org/%e2%82",
        "https://example.org/%C3%A9cole",
    ] {
        let doc = json!({
            "@context": {"@vocab": "https://example.org/vocab#"},
            "@id": iri,
            "name": "Ana Ruiz",
            "knows": [{"@id": format!("{iri}/peer"), "name": "Ben Ode"}, {"@id": iri}]
        });
        let nquads = c.rdfc(&doc).unwrap_or_else(|e| panic!("{iri}: {e}"));
        assert!(nquads.contains(&format!("<{iri}>")), "{iri}: {nquads}");
    }
}
