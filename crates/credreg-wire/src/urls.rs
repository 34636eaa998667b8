//! The URL scheme of what a node signs: every `/api/v1/...` URL that ends up inside a signed
//! award or status list is built and read back here, so the node that writes an achievement
//! id and the checks that read it cannot drift apart. (The HTTP router's route table lists the
//! same paths for axum; `tests/tests/http_contract.rs` fetches URLs built here.)

/// The API's path prefix.
pub const API_V1: &str = "/api/v1";

const CREDENTIALS: &str = "/api/v1/credentials/";
const STATUS_LISTS: &str = "/api/v1/status-lists/";

/// The URL of a credential definition under `base` (the OB `Achievement.id`).
pub fn credential(base: &str, id: &str) -> String {
    format!("{base}{CREDENTIALS}{id}")
}

/// The definition id in a credential URL of any node (`.../api/v1/credentials/<id>`).
pub fn credential_id(url: &str) -> Option<&str> {
    url.rsplit_once(CREDENTIALS).map(|(_, id)| id)
}

/// The URL of status list `n` under `base`.
pub fn status_list(base: &str, n: u32) -> String {
    format!("{base}{STATUS_LISTS}{n}")
}

/// The number of a status list of the node at `base`, if `url` is one of its lists.
pub fn status_list_number(base: &str, url: &str) -> Option<u32> {
    url.strip_prefix(base)?
        .strip_prefix(STATUS_LISTS)?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_round_trip() {
        let base = "https://badges.kmsd.edu";
        let id = "ab".repeat(32);
        assert_eq!(credential_id(&credential(base, &id)), Some(id.as_str()));
        assert_eq!(status_list_number(base, &status_list(base, 7)), Some(7));
        assert_eq!(
            status_list_number("https://other.example", &status_list(base, 7)),
            None
        );
        assert_eq!(
            status_list_number(base, &format!("{base}/api/v1/status-lists/x")),
            None
        );
        assert_eq!(credential_id("https://badges.kmsd.edu/awards/1"), None);
    }
}
