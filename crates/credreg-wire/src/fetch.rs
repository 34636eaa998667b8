//! The outbound fetcher as the API and the pages see it: a plain trait, so neither needs the
//! HTTP client (the binary wires `credreg-fetch` in).

use std::sync::Arc;

/// How a fetcher's answer says the server answered 410 Gone (a withdrawn document: for an
/// Open Badges 2.0 hosted assertion, its revocation). Fetchers put it in their error text.
pub const GONE: &str = "410 Gone";

/// Fetches outside documents (status lists now) under the node's fetching rules.
pub trait DocumentFetcher: Send + Sync {
    /// The JSON document at `url`: its bytes and age in seconds, or why nothing came (in
    /// words, for a report).
    fn fetch_json(&self, url: &str) -> Result<(Arc<Vec<u8>>, u64), String>;
}
