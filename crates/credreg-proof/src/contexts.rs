//! The local JSON-LD context store: the only place contexts come from.
//!
//! Nothing is fetched at verify time. A store starts with the W3C contexts that
//! `ssi-contexts` ships byte-identical to the W3C copies (VC 2.0 and Data Integrity 2.0);
//! everything else (the Open Badges 3.0.3 context, Multikey, the legacy Ed25519Signature2020
//! suite) is installed by the operator from a directory, or fetched once by the node and
//! pinned by SHA-256. This crate does no IO: callers read files and hand over the text.

use crate::error::ProofError;
use iref::{Iri, IriBuf};
use json_ld::{syntax::Parse, LoadError, Loader, RemoteDocument};
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The VC 2.0 base context URL.
pub const CREDENTIALS_V2: &str = "https://www.w3.org/ns/credentials/v2";
/// The Open Badges 3.0.3 context URL.
pub const OPEN_BADGES_V3: &str = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json";
/// The Data Integrity 2.0 context URL.
pub const DATA_INTEGRITY_V2: &str = "https://w3id.org/security/data-integrity/v2";

/// One stored context document.
#[derive(Debug, Clone)]
pub struct StoredContext {
    /// The URL it answers for.
    pub url: String,
    /// The exact text.
    pub text: Arc<str>,
    /// Lowercase hex SHA-256 of the text, for pinning.
    pub sha256: String,
    /// Where it came from (`builtin:ssi-contexts`, a file path, a fetch URL).
    pub origin: String,
    parsed: RemoteDocument,
}

impl StoredContext {
    fn parse(url: &str, text: &str, origin: &str) -> Result<Self, ProofError> {
        let iri = IriBuf::new(url.to_owned())
            .map_err(|_| ProofError::malformed(format!("context URL `{url}` is not an IRI")))?;
        let (value, _) = json_ld::syntax::Value::parse_str(text)
            .map_err(|e| ProofError::malformed(format!("context {url} is not JSON: {e}")))?;
        if value
            .as_object()
            .and_then(|o| o.get_unique("@context").ok().flatten())
            .is_none()
        {
            return Err(ProofError::malformed(format!(
                "context {url} has no top-level `@context` entry"
            )));
        }
        let mime = "application/ld+json"
            .parse()
            .map_err(|_| ProofError::malformed("mime"))?;
        Ok(StoredContext {
            url: url.to_owned(),
            text: Arc::from(text),
            sha256: hex(&Sha256::digest(text.as_bytes())),
            origin: origin.to_owned(),
            parsed: RemoteDocument::new(Some(iri), Some(mime), value),
        })
    }
}

/// URL -> context document.
#[derive(Debug, Clone, Default)]
pub struct ContextStore {
    docs: BTreeMap<String, StoredContext>,
}

impl ContextStore {
    /// An empty store.
    pub fn empty() -> Self {
        Self::default()
    }

    /// A store holding the W3C contexts that `ssi-contexts` ships (VC 1.1 and 2.0, Data Integrity
    /// 1.0 and 2.0, the VC 2.0 examples context).
    pub fn with_builtins() -> Self {
        let mut store = Self::empty();
        for (url, text) in [
            (CREDENTIALS_V2, ssi_contexts::CREDENTIALS_V2),
            (DATA_INTEGRITY_V2, ssi_contexts::W3ID_DATA_INTEGRITY_V2),
            (
                "https://www.w3.org/ns/credentials/examples/v2",
                ssi_contexts::CREDENTIALS_EXAMPLES_V2,
            ),
            // VC 1.1 and Data Integrity 1.0, still used by credentials issued before 2024.
            (
                "https://www.w3.org/2018/credentials/v1",
                ssi_contexts::CREDENTIALS_V1,
            ),
            (
                "https://w3id.org/security/data-integrity/v1",
                ssi_contexts::W3ID_DATA_INTEGRITY_V1,
            ),
        ] {
            // The builtins are compiled in and known to parse.
            if let Err(e) = store.insert(url, text, "builtin:ssi-contexts") {
                debug_assert!(false, "builtin context {url} failed: {e}");
            }
        }
        store
    }

    /// Adds (or replaces) the context for `url`.
    pub fn insert(
        &mut self,
        url: &str,
        text: &str,
        origin: &str,
    ) -> Result<&StoredContext, ProofError> {
        let stored = StoredContext::parse(url, text, origin)?;
        self.docs.insert(url.to_owned(), stored);
        Ok(&self.docs[url])
    }

    /// Adds every context a `URL -> file` manifest lists (see [`parse_manifest`]), reading each
    /// file with `read` (this crate does no IO). All or nothing: if any file is unreadable or
    /// not a context, the store is unchanged. Returns the URLs added.
    pub fn insert_manifest(
        &mut self,
        manifest: &str,
        mut read: impl FnMut(&str) -> Result<String, String>,
    ) -> Result<Vec<String>, ProofError> {
        let entries = parse_manifest(manifest);
        if entries.is_empty() {
            return Err(ProofError::malformed(
                "the context manifest lists no `URL -> file` lines",
            ));
        }
        let parsed = entries
            .iter()
            .map(|e| {
                let text = read(&e.file)
                    .map_err(|why| ProofError::malformed(format!("{}: {why}", e.file)))?;
                StoredContext::parse(&e.url, &text, &e.file)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(parsed
            .into_iter()
            .map(|stored| {
                let url = stored.url.clone();
                self.docs.insert(url.clone(), stored);
                url
            })
            .collect())
    }

    /// The stored context for `url`.
    pub fn get(&self, url: &str) -> Option<&StoredContext> {
        self.docs.get(url)
    }

    /// Whether `url` is installed.
    pub fn contains(&self, url: &str) -> bool {
        self.docs.contains_key(url)
    }

    /// All stored contexts, by URL.
    pub fn iter(&self) -> impl Iterator<Item = &StoredContext> {
        self.docs.values()
    }

    /// Of `urls`, those not installed.
    pub fn missing<'a>(&self, urls: impl IntoIterator<Item = &'a str>) -> Vec<String> {
        urls.into_iter()
            .filter(|u| !self.contains(u))
            .map(str::to_owned)
            .collect()
    }

    pub(crate) fn loader(&self) -> StoreLoader<'_> {
        StoreLoader {
            store: self,
            missing: RefCell::new(None),
        }
    }
}

/// One line of a `PROVENANCE.txt`-style manifest: `URL -> file [-> source...]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestEntry {
    /// The context URL.
    pub url: String,
    /// The file name, relative to the manifest's directory.
    pub file: String,
}

/// Parses a context manifest: lines `URL -> file [-> anything]`; other lines are ignored.
/// When two files answer for one URL the first wins (the conformance folder lists the
/// 1EdTech validator's Open Badges context, a superset, first).
pub fn parse_manifest(text: &str) -> Vec<ManifestEntry> {
    let mut out: Vec<ManifestEntry> = Vec::new();
    for line in text.lines() {
        let mut parts = line.split(" -> ");
        let (Some(url_part), Some(file)) = (parts.next(), parts.next()) else {
            continue;
        };
        // The URL may be followed by a parenthesised remark.
        let url = url_part.split_whitespace().next().unwrap_or("");
        let file = file.trim();
        if !(url.starts_with("https://") || url.starts_with("http://"))
            || file.is_empty()
            || file.contains('/')
        {
            continue;
        }
        if out.iter().any(|e| e.url == url) {
            continue;
        }
        out.push(ManifestEntry {
            url: url.to_owned(),
            file: file.to_owned(),
        });
    }
    out
}

pub(crate) struct StoreLoader<'a> {
    store: &'a ContextStore,
    /// The first URL that was asked for and not found, to name it in the error.
    pub(crate) missing: RefCell<Option<String>>,
}

#[derive(Debug, thiserror::Error)]
#[error("context not installed")]
struct NotInstalled;

impl Loader for StoreLoader<'_> {
    async fn load(&self, url: &Iri) -> Result<RemoteDocument<IriBuf>, LoadError> {
        match self.store.docs.get(url.as_str()) {
            Some(doc) => Ok(doc.parsed.clone()),
            None => {
                self.missing
                    .borrow_mut()
                    .get_or_insert_with(|| url.as_str().to_owned());
                Err(LoadError::new(url.to_owned(), NotInstalled))
            }
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_first_wins_and_ignores_prose() {
        let m = parse_manifest(
            "Intro line -> not a url\n\
             https://a.example/ctx -> a.json -> src\n\
             https://b.example/ctx (remark) -> b.json -> src\n\
             https://a.example/ctx -> other.json -> src\n",
        );
        assert_eq!(
            m,
            vec![
                ManifestEntry {
                    url: "https://a.example/ctx".into(),
                    file: "a.json".into()
                },
                ManifestEntry {
                    url: "https://b.example/ctx".into(),
                    file: "b.json".into()
                },
            ]
        );
    }

    #[test]
    fn builtins_hold_vc2_not_open_badges() {
        let s = ContextStore::with_builtins();
        assert!(s.contains(CREDENTIALS_V2));
        assert_eq!(
            s.missing([OPEN_BADGES_V3, CREDENTIALS_V2]),
            vec![OPEN_BADGES_V3.to_string()]
        );
    }

    #[test]
    fn manifest_install_is_all_or_nothing() {
        let manifest = "https://a.example/c -> a.json\nhttps://b.example/c -> b.json\n";
        let mut s = ContextStore::empty();
        let bad = s.insert_manifest(manifest, |f| match f {
            "a.json" => Ok("{\"@context\":{}}".into()),
            _ => Err("missing".into()),
        });
        assert!(bad.is_err());
        assert!(
            !s.contains("https://a.example/c"),
            "nothing added on failure"
        );
        let good = s.insert_manifest(manifest, |_| Ok("{\"@context\":{}}".into()));
        assert_eq!(
            good,
            Ok(vec![
                "https://a.example/c".to_string(),
                "https://b.example/c".to_string()
            ])
        );
        assert_eq!(
            s.get("https://b.example/c").map(|c| c.origin.as_str()),
            Some("b.json")
        );
        assert!(s
            .insert_manifest("no manifest lines", |_| Ok(String::new()))
            .is_err());
    }

    #[test]
    fn rejects_non_context_documents() {
        let mut s = ContextStore::empty();
        assert!(s
            .insert("https://x.example/c", "{\"a\":1}", "test")
            .is_err());
        assert!(s.insert("https://x.example/c", "not json", "test").is_err());
        assert!(s
            .insert("https://x.example/c", "{\"@context\":{}}", "test")
            .is_ok());
    }
}
