//! Documents fetched from the outside world for one verification: status lists of issuers this
//! node does not replicate, `did:web` documents, and keys published at HTTPS URLs. The node
//! itself fetches nothing: the caller runs the fetcher first (on the URLs [`status_list_urls`]
//! and [`key_urls`] name) and hands the answers in, failures included, so a report can say why
//! a status or a key could not be checked.

use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// One fetch: the bytes and their age in seconds, or why nothing came (in words).
pub type Answer = Result<(Arc<Vec<u8>>, u64), String>;

/// What was fetched, by URL.
#[derive(Debug, Clone, Default)]
pub struct OutsideDocuments {
    docs: HashMap<String, Answer>,
    /// Each answer's JSON, parsed once when it is added (documents are read by several
    /// checks and fetch rounds).
    parsed: HashMap<String, Arc<Value>>,
}

impl OutsideDocuments {
    /// Nothing fetched.
    pub fn none() -> Self {
        Self::default()
    }

    /// Records the answer for `url`.
    pub fn add(&mut self, url: &str, answer: Answer) {
        // The fetcher bounds an answer's size; a document that does not parse is kept as bytes
        // only (the checks that want it say it is not JSON).
        match answer
            .as_ref()
            .ok()
            .and_then(|(bytes, _)| serde_json::from_slice::<Value>(bytes).ok())
        {
            Some(v) => self.parsed.insert(url.to_owned(), Arc::new(v)),
            None => self.parsed.remove(url),
        };
        self.docs.insert(url.to_owned(), answer);
    }

    /// The fetched document at `url` (without its fragment) as JSON, if it came and parses.
    pub fn json(&self, url: &str) -> Option<Arc<Value>> {
        let url = url.split('#').next().unwrap_or(url);
        self.parsed.get(url).cloned()
    }

    /// A key resolver holding every fetched DID or controller document whose `id` is the DID
    /// or URL it was fetched for (a server answering for another id is not believed).
    pub fn key_resolver(&self) -> credreg_proof::KeyResolver {
        let mut resolver = credreg_proof::KeyResolver::new();
        for url in self.docs.keys() {
            let Some(doc) = self.json(url) else { continue };
            let Some(id) = doc.get("id").and_then(Value::as_str) else {
                continue;
            };
            if document_url(id).as_deref() == Some(url.as_str()) {
                let _ = resolver.add_document(Value::clone(&doc));
            }
        }
        resolver
    }

    /// Why the key document for `did_or_url` is not there, in words (for a report).
    pub fn key_failure(&self, did_or_url: &str) -> Option<String> {
        let url = document_url(did_or_url)?;
        match self.docs.get(&url)? {
            Err(why) => Some(format!("{url} could not be fetched: {why}")),
            Ok(_) => match self.json(&url) {
                None => Some(format!("at {url} is not JSON")),
                Some(doc) => {
                    let id = doc.get("id").and_then(Value::as_str).unwrap_or("no id");
                    (document_url(id).as_deref() != Some(url.as_str()))
                        .then(|| format!("at {url} answers for {id}, not for {did_or_url}"))
                }
            },
        }
    }

    /// Every URL asked for.
    pub fn urls(&self) -> impl Iterator<Item = &String> {
        self.docs.keys()
    }

    /// The answer for `url`, if it was asked for.
    pub fn get(&self, url: &str) -> Option<&Answer> {
        self.docs.get(url)
    }
}

/// At most this many distinct status lists are fetched for one request.
pub const MAX_STATUS_LISTS: usize = 20;

/// At most this many Open Badges 2.0 documents (assertions, BadgeClasses, Profiles, keys,
/// revocation lists) are fetched for one request: four per badge for a 25-badge portfolio.
pub const MAX_OB2_DOCUMENTS: usize = 100;

/// At most this many key documents (DID documents, key URLs) are fetched for one request.
pub const MAX_KEY_DOCUMENTS: usize = 20;

/// Where the document for a DID or key URL is fetched from: a `did:web`'s `did.json`
/// (`did:web:host` is `https://host/.well-known/did.json`; `did:web:host:a:b` is
/// `https://host/a/b/did.json`; `%3A` in the host is a port), or an HTTPS URL without its
/// fragment. `None` for what is not fetched (did:key, did:jwk, anything else).
pub fn document_url(did_or_url: &str) -> Option<String> {
    let base = did_or_url.split('#').next().unwrap_or(did_or_url);
    if base.starts_with("https://") {
        return Some(base.to_owned());
    }
    let rest = base.strip_prefix("did:web:")?;
    let mut parts = rest.split(':');
    let host = parts.next()?.replace("%3A", ":").replace("%3a", ":");
    if host.is_empty()
        || !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'))
    {
        return None;
    }
    let path: Vec<&str> = parts.collect();
    if path
        .iter()
        .any(|p| p.is_empty() || *p == "." || *p == ".." || p.contains('/'))
    {
        return None;
    }
    Some(if path.is_empty() {
        format!("https://{host}/.well-known/did.json")
    } else {
        format!("https://{host}/{}/did.json", path.join("/"))
    })
}

/// The key documents `input`'s credentials need: for each proof's verification method (or a
/// JWT's `kid`) that is a `did:web` or an HTTPS URL, the document to fetch.
pub fn key_urls(input: &Value) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let Ok(creds) = super::credentials_of(input) else {
        return out;
    };
    for c in creds {
        let mut methods: Vec<String> = Vec::new();
        if let Some(token) = super::jose::token_of(c) {
            if let Ok(t) = super::jose::read(token) {
                methods.extend(t.kid);
            }
        } else {
            let proofs = match c.get("proof") {
                Some(Value::Array(a)) => a.iter().collect(),
                Some(v @ Value::Object(_)) => vec![v],
                _ => Vec::new(),
            };
            methods.extend(
                proofs
                    .iter()
                    .filter_map(|p| p.get("verificationMethod").and_then(Value::as_str))
                    .map(str::to_owned),
            );
        }
        for url in methods.iter().filter_map(|m| document_url(m)) {
            if !out.contains(&url) {
                out.push(url);
            }
        }
        if out.len() >= MAX_KEY_DOCUMENTS {
            out.truncate(MAX_KEY_DOCUMENTS);
            break;
        }
    }
    out
}

/// The status list URLs the credentials of `input` name (read from the JSON as given, only to
/// know what to fetch: the checks judge the signed facts, and a list the signed credential does
/// not name is never consulted).
pub fn status_list_urls(input: &Value) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let Ok(creds) = super::credentials_of(input) else {
        return out;
    };
    for c in creds {
        let entries = match c.get("credentialStatus") {
            Some(Value::Array(a)) => a.iter().collect(),
            Some(v @ Value::Object(_)) => vec![v],
            _ => Vec::new(),
        };
        for e in entries {
            let revocation_list = match e.get("type") {
                Some(Value::String(t)) => t == "1EdTechRevocationList",
                Some(Value::Array(a)) => a
                    .iter()
                    .any(|t| t.as_str() == Some("1EdTechRevocationList")),
                _ => false,
            };
            let url = if revocation_list {
                e.get("id").and_then(Value::as_str)
            } else {
                e.get("statusListCredential").and_then(Value::as_str)
            };
            if let Some(url) = url {
                if url.starts_with("https://") && !out.iter().any(|u| u == url) {
                    out.push(url.to_owned());
                }
            }
        }
        if out.len() >= MAX_STATUS_LISTS {
            out.truncate(MAX_STATUS_LISTS);
            break;
        }
    }
    out
}
