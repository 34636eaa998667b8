//! The patched expansion (scoped contexts memoized per derivation, `vendor/json-ld-expansion`)
//! must produce exactly what upstream json-ld produces. One canonicalizer canonicalizes many
//! documents in sequence, so later documents hit entries earlier ones created, and every result
//! is compared with the uncached upstream path.

use credreg_proof::{Canonicalizer, ContextStore};
use serde_json::{json, Value};
use std::path::Path;
use std::sync::Arc;

mod common;

fn check_same(canon: &Canonicalizer, doc: &Value, what: &str) {
    let cached = canon.rdfc(doc).map_err(|e| e.to_string());
    let upstream = canon.rdfc_uncached(doc).map_err(|e| e.to_string());
    assert_eq!(
        cached, upstream,
        "cached and upstream expansion differ for {what}"
    );
}

/// Documents whose scoped contexts interact: a type-scoped context that does not propagate
/// (so nested nodes revert to the previous context), property-scoped contexts that redefine a
/// term differently under different properties, two types on one node, and the same type under
/// different parents.
fn crafted() -> Vec<Value> {
    let ctx = json!({
        "@version": 1.1,
        "@vocab": "https://vocab.example/",
        "name": "https://schema.org/name",
        "Outer": {"@id": "https://vocab.example/Outer", "@context": {
            "name": "https://outer.example/name",
            "inner": {"@id": "https://vocab.example/inner"}
        }},
        "Marked": {"@id": "https://vocab.example/Marked", "@context": {
            "mark": "https://marked.example/mark"
        }},
        "left": {"@id": "https://vocab.example/left", "@context": {"name": "https://left.example/name"}},
        "right": {"@id": "https://vocab.example/right", "@context": {"name": "https://right.example/name",
            "Outer": {"@id": "https://right.example/Outer", "@context": {"name": "https://right-outer.example/name"}}}},
        "deep": {"@id": "https://vocab.example/deep", "@context": {"@propagate": true, "name": "https://deep.example/name"}}
    });
    let reverted = json!({
        "@version": 1.1,
        "@vocab": "https://vocab.example/",
        "name": "https://schema.org/name",
        "p": {"@id": "https://vocab.example/p", "@context": {"name": "https://outer-p.example/name"}},
        "Typed": {"@id": "https://vocab.example/Typed", "@context": {
            "p": {"@id": "https://vocab.example/p", "@context": {"name": "https://typed-p.example/name"}}
        }}
    });
    vec![
        json!({"@context": ctx, "@type": "Outer", "name": "a", "inner": {"name": "b", "@type": "Outer", "inner": {"name": "c"}}}),
        json!({"@context": ctx, "left": {"name": "l", "@type": "Outer", "inner": {"name": "x"}}, "right": {"name": "r", "@type": "Outer", "inner": {"name": "y"}}}),
        json!({"@context": ctx, "@type": ["Outer", "Marked"], "name": "both", "mark": "m", "inner": {"mark": "n", "name": "o"}}),
        json!({"@context": ctx, "deep": {"name": "d1", "left": {"name": "d2", "inner": {"name": "d3"}}}}),
        json!({"@context": ctx, "right": [{"@type": "Outer", "name": "r1"}, {"@type": "Marked", "name": "r2", "mark": "r3"}]}),
        json!({"@context": ctx, "inner": {"@context": {"name": "https://inline.example/name"}, "@type": "Outer", "name": "i", "inner": {"name": "j"}}}),
        json!({"@context": ctx, "left": "just a string", "right": {"@value": "v"}, "deep": {"@id": "https://x.example/n"}}),
        // The same property with different scoped contexts: one from a non-propagating type's
        // context (the value node reverts to the outer context), one from the outer context.
        json!({"@context": reverted, "@type": "Typed", "p": {"name": "from the type's p"}}),
        json!({"@context": reverted, "p": {"name": "from the outer p"}}),
        json!({"@context": reverted, "@type": "Typed", "p": {"name": "again", "p": {"name": "nested"}}}),
    ]
}

fn json_files(dir: &Path, out: &mut Vec<(String, Value)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            json_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "json" || e == "jsonld") {
            if let Ok(v) = serde_json::from_slice::<Value>(&std::fs::read(&p).unwrap_or_default()) {
                if v.get("@context").is_some() && !p.to_string_lossy().contains("/contexts/") {
                    out.push((p.display().to_string(), v));
                }
            }
        }
    }
}

#[test]
fn crafted_scoped_contexts_match_upstream() {
    let canon = Canonicalizer::new(Arc::new(ContextStore::with_builtins()));
    let docs = crafted();
    for round in 0..2 {
        for (i, d) in docs.iter().enumerate() {
            check_same(&canon, d, &format!("crafted #{i} (round {round})"));
        }
        for (i, d) in docs.iter().enumerate().rev() {
            check_same(&canon, d, &format!("crafted #{i} reversed (round {round})"));
        }
    }
}

#[test]
fn conformance_documents_match_upstream() {
    let Some(root) = common::conformance() else {
        return;
    };
    let canon = Canonicalizer::new(Arc::new(common::conformance_store(&root)));
    let mut docs = Vec::new();
    json_files(&root, &mut docs);
    assert!(docs.len() > 10, "found only {} documents", docs.len());
    // Forwards then backwards: each document meets a cache warmed by different ones.
    for (name, d) in docs.iter().chain(docs.iter().rev()) {
        check_same(&canon, d, name);
        // Each proof's configuration too (it is canonicalized under the document's context).
        if let (Some(ctx), Some(proof)) = (d.get("@context"), d.get("proof")) {
            let proofs = match proof {
                Value::Array(a) => a.clone(),
                p => vec![p.clone()],
            };
            for p in proofs {
                let mut config = p.clone();
                if let Some(o) = config.as_object_mut() {
                    o.remove("proofValue");
                    o.insert("@context".into(), ctx.clone());
                }
                check_same(&canon, &config, &format!("{name} proof configuration"));
            }
        }
    }
}
