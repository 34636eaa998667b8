//! Per-client rate limits (`[limits]` in the node's configuration): writes (any method but
//! GET, HEAD and OPTIONS) and sign-in attempts, counted per client address with a token bucket.
//! Over the limit the answer is 429 with `Retry-After`, as problem+json, before any handler
//! runs. Verification is a POST too: a principal checking a 50-badge portfolio is one request.
//!
//! The client is the TCP peer the server loop recorded ([`ClientAddr`]); behind a reverse proxy
//! every request comes from the proxy, so the proxy should rate-limit (README, "Running it
//! for real"). Requests without a recorded peer (in-process tests) share one bucket.

use crate::problem::Problem;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The peer address of the connection a request came on (set by [`crate::serve`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// Requests allowed per client per minute; 0 turns a limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Writes (POST, PUT, PATCH, DELETE) per minute.
    pub writes_per_minute: u32,
    /// Sign-in attempts (`POST /sign-in`, `/setup`, `/api/v1/sign-in`, `/api/v1/sessions`:
    /// mailed codes and passwords alike) per minute.
    pub sign_ins_per_minute: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            writes_per_minute: 600,
            // A school's staff behind one NAT address signing in at 8 am: generous per
            // address; each e-mail address also gets at most 5 codes per 15 minutes.
            sign_ins_per_minute: 30,
        }
    }
}

/// Most clients tracked; past it, idle ones are forgotten first (a flood of addresses cannot
/// grow the table without bound).
pub const MAX_CLIENTS: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Write,
    SignIn,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The shared counters.
#[derive(Debug)]
pub struct Limiter {
    limits: RateLimits,
    buckets: Mutex<HashMap<(Option<IpAddr>, Kind), Bucket>>,
}

impl Limiter {
    /// A limiter enforcing `limits`.
    pub fn new(limits: RateLimits) -> Arc<Self> {
        Arc::new(Self {
            limits,
            buckets: Mutex::new(HashMap::new()),
        })
    }

    /// Takes a token for `client`'s `kind`, or says how many seconds until one is free.
    fn take(&self, client: Option<IpAddr>, kind: Kind, now: Instant) -> Result<(), u64> {
        let per_minute = match kind {
            Kind::Write => self.limits.writes_per_minute,
            Kind::SignIn => self.limits.sign_ins_per_minute,
        };
        if per_minute == 0 {
            return Ok(());
        }
        let capacity = f64::from(per_minute);
        let per_second = capacity / 60.0;
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(());
        };
        if buckets.len() >= MAX_CLIENTS && !buckets.contains_key(&(client, kind)) {
            // Forget clients whose buckets have refilled (they are idle), then, if a flood of
            // addresses still fills the table, half of the rest.
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.at).as_secs_f64() * per_second < capacity
            });
            if buckets.len() >= MAX_CLIENTS {
                let drop: Vec<_> = buckets.keys().take(MAX_CLIENTS / 2).copied().collect();
                for k in drop {
                    buckets.remove(&k);
                }
            }
        }
        let b = buckets.entry((client, kind)).or_insert(Bucket {
            tokens: capacity,
            at: now,
        });
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * per_second).min(capacity);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - b.tokens) / per_second).ceil().max(1.0) as u64)
        }
    }
}

fn kind_of(req: &Request) -> Option<Kind> {
    let method = req.method();
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return None;
    }
    let path = req.uri().path();
    Some(
        if matches!(
            path,
            "/sign-in" | "/setup" | "/api/v1/sign-in" | "/api/v1/sessions"
        ) {
            Kind::SignIn
        } else {
            Kind::Write
        },
    )
}

/// The middleware: 429 with `Retry-After` over the limit.
pub async fn limit(State(limiter): State<Arc<Limiter>>, req: Request, next: Next) -> Response {
    if let Some(kind) = kind_of(&req) {
        let client = req.extensions().get::<ClientAddr>().map(|c| c.0);
        if let Err(wait) = limiter.take(client, kind, Instant::now()) {
            tracing::warn!(target: "credreg::audit", event = "rate_limited", kind = ?kind, client = ?client, retry_after = wait);
            let what = match kind {
                Kind::Write => "changes or checks",
                Kind::SignIn => "sign-in attempts",
            };
            let detail =
                format!("Too many {what} from this address just now; try again in {wait} s.");
            let wants_html = req
                .headers()
                .get(axum::http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|a| a.contains("text/html"));
            // A person at a form gets a page in words; a program gets problem+json.
            let mut res = if wants_html {
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
                    format!("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Too many requests</title></head><body><main><h1>Too many requests</h1><p>{detail}</p><p>Wait, then go back to the form and send it again: nothing you entered was lost.</p></main></body></html>"),
                )
                    .into_response()
            } else {
                Problem::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate-limited",
                    "Too many requests",
                    detail,
                )
                .into_response()
            };
            if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
                res.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
            }
            return res;
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_bucket_empties_refills_and_says_when() {
        let l = Limiter::new(RateLimits {
            writes_per_minute: 3,
            sign_ins_per_minute: 0,
        });
        let t0 = Instant::now();
        let a = Some(IpAddr::from([192, 0, 2, 1]));
        for _ in 0..3 {
            assert_eq!(l.take(a, Kind::Write, t0), Ok(()));
        }
        assert_eq!(l.take(a, Kind::Write, t0), Err(20), "one token per 20 s");
        // Another client is not held back by the first; sign-ins are unlimited here.
        assert_eq!(
            l.take(Some(IpAddr::from([192, 0, 2, 2])), Kind::Write, t0),
            Ok(())
        );
        assert_eq!(l.take(a, Kind::SignIn, t0), Ok(()));
        assert_eq!(l.take(a, Kind::Write, t0 + Duration::from_secs(20)), Ok(()));
    }

    #[test]
    fn a_flood_of_addresses_stays_bounded() {
        let l = Limiter::new(RateLimits::default());
        let t0 = Instant::now();
        for i in 0..(MAX_CLIENTS as u32 * 3) {
            let _ = l.take(Some(IpAddr::from(i.to_be_bytes())), Kind::Write, t0);
        }
        let held = l.buckets.lock().map(|b| b.len()).unwrap_or(usize::MAX);
        assert!(held <= MAX_CLIENTS, "{held}");
    }
}
