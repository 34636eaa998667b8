//! # credreg-fetch: the one outbound fetcher
//!
//! Everything a node fetches from the outside world goes through [`Fetcher`]: status lists of
//! issuers it does not replicate now, and (as they arrive) did:web documents, hosted Open
//! Badges 2.0 assertions and JWK URLs. Its rules, whatever is fetched:
//! - HTTPS only (unless a lab mirror is configured, see [`FetchPolicy::mirror`]);
//! - no private, loopback, link-local, multicast or unspecified destination, checked on every
//!   address a name resolves to and on every redirect (loopback allowed only when
//!   [`FetchPolicy::allow_loopback`] says so, for tests and lab setups);
//! - a timeout, a size limit, a redirect limit, a content-type check;
//! - a per-host rate limit, and a switch that turns all fetching off;
//! - a cache with a time to live, whose answers say how old they are.
//!
//! Synchronous (`ureq`): callers run it on a blocking thread, and nothing is fetched that the
//! answer does not need.
#![deny(missing_docs)]

use std::collections::HashMap;
use std::io::Read;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the fetcher may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchPolicy {
    /// Off: every fetch answers [`FetchError::Off`] (then status is "could not check").
    pub enabled: bool,
    /// Allow loopback destinations (tests and lab setups only).
    pub allow_loopback: bool,
    /// Time for the whole request (connect, headers, body).
    pub timeout: Duration,
    /// Largest body read.
    pub max_bytes: u64,
    /// Redirects followed.
    pub max_redirects: u32,
    /// Requests per host per minute.
    pub per_host_per_minute: u32,
    /// How long an answer (or a failure) is reused.
    pub cache_ttl: Duration,
    /// A lab mirror: `https://host/path` is fetched from `{mirror}/host/path` instead (the
    /// mirror may be plain HTTP on loopback). Empty: fetch the URL itself.
    pub mirror: String,
}

impl Default for FetchPolicy {
    fn default() -> Self {
        Self {
            enabled: true,
            allow_loopback: false,
            timeout: Duration::from_secs(5),
            max_bytes: 1024 * 1024,
            max_redirects: 3,
            per_host_per_minute: 30,
            cache_ttl: Duration::from_secs(300),
            mirror: String::new(),
        }
    }
}

/// Why a fetch gave nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// Fetching is switched off on this node.
    #[error("fetching is switched off on this node")]
    Off,
    /// Not an `https://` URL (or not a URL).
    #[error("only https URLs are fetched, not {0}")]
    NotHttps(String),
    /// The destination is private, loopback or link-local.
    #[error("{0} is a private, loopback or link-local address")]
    Refused(String),
    /// Too many requests to this host just now.
    #[error("too many requests to {0} in the last minute")]
    RateLimited(String),
    /// The host could not be reached, or answered too slowly.
    #[error("unreachable: {0}")]
    Unreachable(String),
    /// The server answered with an error status.
    #[error("the server answered {0}")]
    Status(u16),
    /// The server answered 410: the document was withdrawn.
    #[error("the server answered 410 Gone")]
    Gone,
    /// The answer is larger than the limit.
    #[error("the answer is larger than {0} bytes")]
    TooLarge(u64),
    /// The answer is not JSON.
    #[error("the answer is {0}, not JSON")]
    NotJson(String),
}

/// A fetched document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The body.
    pub bytes: Arc<Vec<u8>>,
    /// Seconds since it was fetched (0 when fetched just now; more when from the cache).
    pub age_secs: u64,
}

type CacheEntry = (Instant, Result<Arc<Vec<u8>>, FetchError>);

/// Most answers cached (each at most `max_bytes`; documents are a few kilobytes).
pub const MAX_CACHED: usize = 2_000;

/// The fetcher (cheap to clone: the cache and rate counters are shared).
#[derive(Clone)]
pub struct Fetcher {
    policy: FetchPolicy,
    agent: ureq::Agent,
    cache: Arc<Mutex<HashMap<String, CacheEntry>>>,
    hosts: Arc<Mutex<HashMap<String, (Instant, u32)>>>,
}

/// Whether `ip` may be fetched from.
fn allowed(ip: IpAddr, allow_loopback: bool) -> bool {
    if ip.is_loopback() {
        return allow_loopback;
    }
    if ip.is_unspecified() || ip.is_multicast() {
        return false;
    }
    match ip {
        IpAddr::V4(v4) => {
            !(v4.is_private()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64)
        } // carrier-grade NAT
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            let unique_local = (first & 0xfe00) == 0xfc00;
            let link_local = (first & 0xffc0) == 0xfe80;
            let mapped = v6
                .to_ipv4_mapped()
                .is_some_and(|v4| !allowed(IpAddr::V4(v4), allow_loopback));
            !(unique_local || link_local || mapped)
        }
    }
}

impl Fetcher {
    /// A fetcher following `policy`.
    pub fn new(policy: FetchPolicy) -> Self {
        let allow_loopback = policy.allow_loopback;
        // Every address a name resolves to is checked, on every connection (redirects too).
        let resolver = move |netloc: &str| -> std::io::Result<Vec<SocketAddr>> {
            let addrs: Vec<SocketAddr> = netloc.to_socket_addrs()?.collect();
            let ok: Vec<SocketAddr> = addrs
                .iter()
                .copied()
                .filter(|a| allowed(a.ip(), allow_loopback))
                .collect();
            if ok.is_empty() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::PermissionDenied,
                    format!("refused destination {netloc}"),
                ));
            }
            Ok(ok)
        };
        let agent = ureq::AgentBuilder::new()
            .timeout(policy.timeout)
            .redirects(policy.max_redirects)
            .https_only(policy.mirror.is_empty())
            .resolver(resolver)
            .build();
        Self {
            policy,
            agent,
            cache: Arc::default(),
            hosts: Arc::default(),
        }
    }

    /// The policy it follows.
    pub fn policy(&self) -> &FetchPolicy {
        &self.policy
    }

    /// Fetches a JSON document (from the cache while it is fresh).
    pub fn fetch_json(&self, url: &str) -> Result<Fetched, FetchError> {
        if !self.policy.enabled {
            return Err(FetchError::Off);
        }
        let parsed = url::Url::parse(url).map_err(|_| FetchError::NotHttps(url.to_owned()))?;
        if parsed.scheme() != "https" {
            return Err(FetchError::NotHttps(url.to_owned()));
        }
        let host = parsed.host_str().unwrap_or_default().to_owned();
        if let Some((at, answer)) = self.cache_get(url) {
            return answer.map(|bytes| Fetched {
                bytes,
                age_secs: at.elapsed().as_secs(),
            });
        }
        self.count(&host)?;
        let target = if self.policy.mirror.is_empty() {
            url.to_owned()
        } else {
            let path = parsed.path().trim_start_matches('/');
            format!("{}/{host}/{path}", self.policy.mirror.trim_end_matches('/'))
        };
        let answer = self.get(&target);
        if let Ok(mut cache) = self.cache.lock() {
            // Bounded: expired answers go first, then (a flood of distinct URLs) all of them.
            if cache.len() >= MAX_CACHED {
                let ttl = self.policy.cache_ttl;
                cache.retain(|_, (at, _)| at.elapsed() < ttl);
                if cache.len() >= MAX_CACHED {
                    cache.clear();
                }
            }
            cache.insert(url.to_owned(), (Instant::now(), answer.clone()));
        }
        answer.map(|bytes| Fetched { bytes, age_secs: 0 })
    }

    fn cache_get(&self, url: &str) -> Option<CacheEntry> {
        let cache = self.cache.lock().ok()?;
        let (at, answer) = cache.get(url)?;
        (at.elapsed() < self.policy.cache_ttl).then(|| (*at, answer.clone()))
    }

    fn count(&self, host: &str) -> Result<(), FetchError> {
        let Ok(mut hosts) = self.hosts.lock() else {
            return Ok(());
        };
        let now = Instant::now();
        if hosts.len() >= MAX_CACHED {
            // Hosts whose minute is over hold nothing worth keeping.
            hosts.retain(|_, (at, _)| now.duration_since(*at) < Duration::from_secs(60));
        }
        let entry = hosts.entry(host.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= Duration::from_secs(60) {
            *entry = (now, 0);
        }
        if entry.1 >= self.policy.per_host_per_minute {
            return Err(FetchError::RateLimited(host.to_owned()));
        }
        entry.1 += 1;
        Ok(())
    }

    fn get(&self, target: &str) -> Result<Arc<Vec<u8>>, FetchError> {
        let res = match self
            .agent
            .get(target)
            .set(
                "accept",
                "application/json, application/ld+json, application/vc+ld+json",
            )
            .call()
        {
            Ok(r) => r,
            Err(ureq::Error::Status(410, _)) => return Err(FetchError::Gone),
            Err(ureq::Error::Status(code, _)) => return Err(FetchError::Status(code)),
            Err(ureq::Error::Transport(t)) => {
                let text = t.to_string();
                return Err(if text.contains("refused destination") {
                    FetchError::Refused(target.to_owned())
                } else {
                    FetchError::Unreachable(text)
                });
            }
        };
        let content_type = res.content_type().to_ascii_lowercase();
        if !(content_type.ends_with("json") || content_type.contains("+json")) {
            return Err(FetchError::NotJson(content_type));
        }
        let limit = self.policy.max_bytes;
        let mut body = Vec::new();
        res.into_reader()
            .take(limit + 1)
            .read_to_end(&mut body)
            .map_err(|e| FetchError::Unreachable(format!("the answer broke off: {e}")))?;
        if body.len() as u64 > limit {
            return Err(FetchError::TooLarge(limit));
        }
        Ok(Arc::new(body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_loopback_and_link_local_destinations_are_refused() {
        for ip in [
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "127.0.0.1",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:10.0.0.1",
            "224.0.0.1",
        ] {
            let ip: IpAddr = ip.parse().expect("ip");
            assert!(!allowed(ip, false), "{ip}");
        }
        assert!(allowed("127.0.0.1".parse().expect("ip"), true));
        assert!(
            !allowed("10.0.0.1".parse().expect("ip"), true),
            "loopback only, not private"
        );
        assert!(allowed("93.184.216.34".parse().expect("ip"), false));
        assert!(allowed("2606:4700::1111".parse().expect("ip"), false));
    }

    #[test]
    fn only_https_and_only_when_switched_on() {
        let f = Fetcher::new(FetchPolicy::default());
        assert_eq!(
            f.fetch_json("http://example.org/x"),
            Err(FetchError::NotHttps("http://example.org/x".into()))
        );
        assert!(matches!(
            f.fetch_json("not a url"),
            Err(FetchError::NotHttps(_))
        ));
        let off = Fetcher::new(FetchPolicy {
            enabled: false,
            ..Default::default()
        });
        assert_eq!(
            off.fetch_json("https://example.org/x"),
            Err(FetchError::Off)
        );
    }
}
