//! Documents fetched from the outside world for one verification (status lists of issuers this
//! node does not replicate). The node itself fetches nothing: the caller runs the fetcher
//! first (on the URLs [`status_list_urls`] names) and hands the answers in, failures included,
//! so a report can say why a status could not be checked.

use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// One fetch: the bytes and their age in seconds, or why nothing came (in words).
pub type Answer = Result<(Arc<Vec<u8>>, u64), String>;

/// What was fetched, by URL.
#[derive(Debug, Clone, Default)]
pub struct OutsideDocuments {
    docs: HashMap<String, Answer>,
}

impl OutsideDocuments {
    /// Nothing fetched.
    pub fn none() -> Self {
        Self::default()
    }

    /// Records the answer for `url`.
    pub fn add(&mut self, url: &str, answer: Answer) {
        self.docs.insert(url.to_owned(), answer);
    }

    /// Fetches, with `fetch`, every status list `input`'s credentials name (at most
    /// [`MAX_STATUS_LISTS`]). Blocking: run it where blocking is allowed.
    pub fn fetched_for(input: &Value, fetch: impl Fn(&str) -> Answer) -> Self {
        let mut docs = Self::none();
        for url in status_list_urls(input) {
            let answer = fetch(&url);
            docs.add(&url, answer);
        }
        docs
    }

    /// [`fetched_for`](Self::fetched_for) with the node's fetcher, or nothing when it has none
    /// (then an outside list is "not available to this node").
    pub fn fetched_by(
        input: &Value,
        fetcher: Option<&dyn credreg_wire::fetch::DocumentFetcher>,
    ) -> Self {
        match fetcher {
            Some(f) => Self::fetched_for(input, |url| f.fetch_json(url)),
            None => Self::none(),
        }
    }

    /// The answer for `url`, if it was asked for.
    pub fn get(&self, url: &str) -> Option<&Answer> {
        self.docs.get(url)
    }
}

/// At most this many distinct status lists are fetched for one request.
pub const MAX_STATUS_LISTS: usize = 20;

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
            if let Some(url) = e.get("statusListCredential").and_then(Value::as_str) {
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
