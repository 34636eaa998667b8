//! `credreg verify FILE...`: offline verification, one line per file.

use credreg_node::{
    CheckStatus, CredentialReport, FederationSettings, Node, NodeSettings, Verdict,
};
use credreg_proof::{Canonicalizer, ContextStore, DataIntegrity, SigningKey};
use credreg_store::Store;
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;

/// The verdict for one file, as printed.
pub struct FileVerdict {
    pub ok: bool,
    pub line: String,
}

/// Runs the node's verification pipeline (every check `POST /api/v1/verify` runs, minus the
/// federation's knowledge) on each file, with a throwaway node that trusts only the issuers
/// named in `trust`. A line per credential; `ok` only for valid credentials from a trusted
/// issuer. Checks that could not be run (revocation of a foreign badge, say) are named on the
/// line, never reported as passed.
pub fn verify_files(
    store: ContextStore,
    trust: &[String],
    files: &[impl AsRef<Path>],
) -> anyhow::Result<Vec<FileVerdict>> {
    let node = throwaway_node(store, trust)?;
    let mut out = Vec::new();
    for f in files {
        let path = f.as_ref();
        let name = path.display().to_string();
        let doc = match read_json(path) {
            Ok(d) => d,
            Err(v) => {
                out.push(v);
                continue;
            }
        };
        let report = match node.verify(&doc) {
            Ok(r) => r,
            Err(why) => {
                out.push(FileVerdict {
                    ok: false,
                    line: format!("FAIL {name}: [well_formed] {why}"),
                });
                continue;
            }
        };
        let several = report.credentials.len() > 1;
        for c in &report.credentials {
            let label = if several {
                format!("{name}#{}", c.index)
            } else {
                name.clone()
            };
            out.push(line_for(&label, c));
        }
    }
    Ok(out)
}

fn throwaway_node(store: ContextStore, trust: &[String]) -> anyhow::Result<Node> {
    // A random key: nothing anyone else signs can pass for this verifier's own.
    let key = SigningKey::from_bytes(&rand::random::<[u8; 32]>());
    let settings = NodeSettings {
        name: "credreg verify".into(),
        public_url: "http://verify.invalid".into(),
        federation: FederationSettings {
            allow: trust.to_vec(),
            ..FederationSettings::default()
        },
        ..NodeSettings::default()
    };
    Ok(Node::open(Store::temporary()?, key, settings, store)?)
}

fn line_for(name: &str, c: &CredentialReport) -> FileVerdict {
    let issuer = c.issuer.id.as_deref().unwrap_or("an unnamed issuer");
    let unchecked: Vec<&str> = c
        .checks
        .iter()
        .filter(|k| k.status == CheckStatus::Warn)
        .map(|k| k.check)
        .collect();
    let first_fail = c.checks.iter().find(|k| k.status == CheckStatus::Fail);
    let line = match (c.verdict, first_fail) {
        (Verdict::Valid, _) if c.trusted => {
            let mut l = format!(
                "OK   {name}: valid: \"{}\" from {issuer} ({})",
                c.name.as_deref().unwrap_or(""),
                c.issuer.status
            );
            if !unchecked.is_empty() {
                l.push_str(&format!("; could not check: {}", unchecked.join(", ")));
            }
            l
        }
        (Verdict::CouldNotCheck, _) if c.trusted => format!(
            "FAIL {name}: could not check: \"{}\" from {issuer} is genuine, but whether it is revoked is not known: {}",
            c.name.as_deref().unwrap_or(""),
            c.reason.as_deref().unwrap_or("")
        ),
        (Verdict::Valid | Verdict::CouldNotCheck, _) => {
            let why = c
                .checks
                .iter()
                .find(|k| k.check == "trusted")
                .and_then(|k| k.reason.as_deref())
                .unwrap_or("");
            format!(
                "FAIL {name}: untrusted: the signature is valid, but {issuer} is not an issuer this verifier trusts (--trust DID): [trusted] {why}"
            )
        }
        (v, Some(k)) => format!(
            "FAIL {name}: {}: [{}] {}",
            v.as_str(),
            k.code.unwrap_or(k.check),
            k.reason.as_deref().unwrap_or("")
        ),
        (v, None) => format!("FAIL {name}: {}", v.as_str()),
    };
    FileVerdict {
        ok: c.verdict == Verdict::Valid && c.trusted,
        line,
    }
}

/// A file's JSON (a badge baked into a PNG or SVG is read out of it), or the FAIL line saying
/// why it cannot be read.
fn read_json(path: &Path) -> Result<Value, FileVerdict> {
    std::fs::read(path)
        .map_err(|e| e.to_string())
        .and_then(|b| {
            credreg_node::verify::read::badge_in(&b, |j| {
                serde_json::from_slice(j).map_err(|e| format!("not JSON: {e}"))
            })
            .map_err(|e| e.to_string())
        })
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
            let report = credreg_node::verify::bundle::verify_bundle(&di, &doc, anchors, now);
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
