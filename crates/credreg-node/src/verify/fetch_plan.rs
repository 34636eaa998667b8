//! What to fetch for a request, in rounds: status lists and key documents first, then the
//! controllers those name, then each Open Badges 2.0 badge's assertion, BadgeClass, Profile
//! and revocation list, as each round reveals the next. Apart from `outside.rs` so that file,
//! which only holds answers, depends on no badge format.

use super::outside::{Answer, OutsideDocuments};
use serde_json::Value;

impl OutsideDocuments {
    /// Fetches, with `fetch`, every status list `input`'s credentials name (at most
    /// [`MAX_STATUS_LISTS`]). Blocking: run it where blocking is allowed.
    pub fn fetched_for(input: &Value, fetch: impl Fn(&str) -> Answer) -> Self {
        let mut docs = Self::none();
        for url in super::outside::status_list_urls(input)
            .into_iter()
            .chain(super::outside::key_urls(input))
        {
            let answer = fetch(&url);
            docs.add(&url, answer);
        }
        // A verification method published at its own URL names its controller, whose
        // document must list it: one more round for those.
        let controllers: Vec<String> = docs
            .urls()
            .filter_map(|url| docs.json(url))
            .filter_map(|d| {
                d.get("controller")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .filter_map(|c| super::outside::document_url(&c))
            .filter(|u| docs.get(u).is_none())
            .take(super::outside::MAX_KEY_DOCUMENTS)
            .collect();
        for url in controllers {
            let answer = fetch(&url);
            docs.add(&url, answer);
        }
        // Open Badges 2.0: the assertion, then its BadgeClass, then the issuer Profile, then
        // (signed) the revocation list: each round names what the last one revealed.
        let badges: Vec<super::ob2::Ob2> = super::credentials_of(input)
            .map(|cs| cs.into_iter().filter_map(super::ob2::ob2_of).collect())
            .unwrap_or_default();
        let mut fetched = 0;
        for _round in 0..4 {
            let mut next: Vec<String> = Vec::new();
            for b in &badges {
                for url in super::ob2::wanted(b, &docs) {
                    if !next.contains(&url) {
                        next.push(url);
                    }
                }
            }
            if next.is_empty() {
                break;
            }
            for url in next {
                if fetched >= super::outside::MAX_OB2_DOCUMENTS {
                    break;
                }
                fetched += 1;
                let answer = fetch(&url);
                docs.add(&url, answer);
            }
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
}
