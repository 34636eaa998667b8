//! `credreg verify FILE...`: offline verification, one line per file.

use credreg_proof::{
    Canonicalizer, ContextStore, DataIntegrity, KeyResolver, KeySource, VerifyOptions,
};
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;

/// The verdict for one file, as printed.
pub struct FileVerdict {
    pub ok: bool,
    pub line: String,
}

pub fn verify_files(store: ContextStore, files: &[impl AsRef<Path>]) -> Vec<FileVerdict> {
    let di = DataIntegrity::new(Canonicalizer::new(Arc::new(store)));
    // URL-fragment keys are accepted for the signature, but reported as unconfirmed.
    let resolver = KeyResolver::new().allow_fragment_multikey(true);
    let options = VerifyOptions {
        now: Some(time::OffsetDateTime::now_utc()),
        ..VerifyOptions::default()
    };
    files
        .iter()
        .map(|f| {
            let path = f.as_ref();
            let name = path.display();
            let doc = match read_json(path) {
                Ok(d) => d,
                Err(v) => return v,
            };
            match di.verify(&doc, &resolver, &options) {
                Ok(v) => {
                    let p = &v.proofs[0];
                    let binding = match p.key.source {
                        KeySource::DidKey => "did:key".to_string(),
                        KeySource::DidDocument => format!("key listed by {}", p.key.controller),
                        KeySource::FragmentMultikey => {
                            format!(
                                "key named in the method URL, not confirmed as {}'s",
                                p.key.controller
                            )
                        }
                    };
                    let issuer = if v.issuer_proof().is_some() {
                        "issuer's key"
                    } else {
                        "NOT the issuer's key"
                    };
                    let skipped = if v.skipped.is_empty() {
                        String::new()
                    } else {
                        format!("; skipped unsupported {}", v.skipped.join(", "))
                    };
                    FileVerdict {
                        ok: true,
                        line: format!(
                            "OK   {name}: {} proof(s) valid ({}; {issuer}; {binding}){skipped}",
                            v.proofs.len(),
                            p.suite.name()
                        ),
                    }
                }
                Err(e) => FileVerdict {
                    ok: false,
                    line: format!("FAIL {name}: [{}] {e}", e.check()),
                },
            }
        })
        .collect()
}

/// A file's JSON, or the FAIL line saying why it cannot be read.
fn read_json(path: &Path) -> Result<Value, FileVerdict> {
    std::fs::read(path)
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| format!("not JSON: {e}")))
        .map_err(|e| FileVerdict {
            ok: false,
            line: format!("FAIL {}: cannot read it: {e}", path.display()),
        })
}

/// `credreg verify --offline`: each file is an offline bundle, checked from its own contents.
pub fn verify_bundles(
    store: ContextStore,
    anchors: &[String],
    files: &[impl AsRef<Path>],
) -> Vec<FileVerdict> {
    let di = DataIntegrity::new(Canonicalizer::new(Arc::new(store)));
    let now = time::OffsetDateTime::now_utc();
    files
        .iter()
        .map(|f| {
            let path = f.as_ref();
            let name = path.display();
            let doc = match read_json(path) {
                Ok(d) => d,
                Err(v) => return v,
            };
            let report = credreg_node::bundle::verify_bundle(&di, &doc, anchors, now);
            let issuer = report
                .issuer
                .name
                .as_deref()
                .or(report.issuer.id.as_deref())
                .unwrap_or("?");
            let mut line = match report.verdict {
                credreg_node::Verdict::Valid => format!(
                    "OK   {name}: \"{}\" from {issuer} ({})",
                    report.name.as_deref().unwrap_or(""),
                    report.issuer.status
                ),
                v => format!(
                    "FAIL {name}: {}: {}",
                    v.as_str(),
                    report.reason.as_deref().unwrap_or("")
                ),
            };
            for c in &report.checks {
                line.push_str(&format!(
                    "\n     {:<11} {:?}{}",
                    c.check,
                    c.status,
                    c.reason
                        .as_deref()
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default()
                ));
            }
            FileVerdict {
                ok: report.verdict == credreg_node::Verdict::Valid,
                line,
            }
        })
        .collect()
}
