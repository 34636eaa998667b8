//! The outbound fetcher, wired for the API and the pages (which see it as a plain trait).

use crate::config::FetchConfig;
use credreg_fetch::Fetcher;
use credreg_wire::fetch::DocumentFetcher;
use std::sync::Arc;

struct OutsideFetcher(Fetcher);

impl DocumentFetcher for OutsideFetcher {
    fn fetch_json(&self, url: &str) -> Result<(Arc<Vec<u8>>, u64), String> {
        self.0
            .fetch_json(url)
            .map(|f| (f.bytes, f.age_secs))
            .map_err(|e| e.to_string())
    }
}

/// The node's fetcher under `[fetch]` (when switched off, it answers so, and reports say
/// "could not check: fetching is switched off on this node").
pub fn fetcher(config: &FetchConfig) -> Arc<dyn DocumentFetcher> {
    Arc::new(OutsideFetcher(Fetcher::new(config.policy())))
}
