//! The fetcher against a real HTTP server on loopback (the lab mirror setting points it there):
//! JSON is fetched and cached with its age; non-JSON, oversized, failing and slow answers are
//! refused with their reason; loopback is refused unless allowed; the rate limit holds.

use credreg_fetch::{FetchError, FetchPolicy, Fetcher};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Serves until the test ends: `/json`, `/html`, `/big`, `/missing` (404), `/slow` (never
/// finishes its body). Counts requests.
fn server() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            counter.fetch_add(1, Ordering::SeqCst);
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let n = s.read(&mut buf).unwrap_or(0);
                let req = String::from_utf8_lossy(&buf[..n]).to_string();
                let path = req.split_whitespace().nth(1).unwrap_or("/").to_owned();
                let reply = |s: &mut std::net::TcpStream,
                             status: &str,
                             ctype: &str,
                             body: &[u8]| {
                    let _ = write!(s, "HTTP/1.1 {status}\r\ncontent-type: {ctype}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n", body.len());
                    let _ = s.write_all(body);
                };
                match path.as_str() {
                    p if p.ends_with("/json") => {
                        reply(&mut s, "200 OK", "application/json", br#"{"ok": true}"#)
                    }
                    p if p.ends_with("/html") => {
                        reply(&mut s, "200 OK", "text/html", b"<html></html>")
                    }
                    p if p.ends_with("/big") => {
                        reply(&mut s, "200 OK", "application/json", &vec![b' '; 64 * 1024])
                    }
                    p if p.ends_with("/slow") => {
                        let _ = write!(s, "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{{");
                        std::thread::sleep(Duration::from_secs(10));
                    }
                    _ => reply(&mut s, "404 Not Found", "text/plain", b"no"),
                }
            });
        }
    });
    (format!("http://{addr}"), hits)
}

fn lab(mirror: &str) -> FetchPolicy {
    FetchPolicy {
        allow_loopback: true,
        mirror: mirror.to_owned(),
        timeout: Duration::from_millis(800),
        max_bytes: 16 * 1024,
        ..Default::default()
    }
}

#[test]
fn fetches_json_and_caches_it_with_its_age() {
    let (base, hits) = server();
    let f = Fetcher::new(lab(&base));
    let got = f
        .fetch_json("https://status.example.org/lists/json")
        .expect("fetched");
    assert_eq!(got.bytes.as_slice(), br#"{"ok": true}"#);
    assert_eq!(got.age_secs, 0);
    let again = f
        .fetch_json("https://status.example.org/lists/json")
        .expect("cached");
    assert_eq!(again.bytes, got.bytes);
    assert_eq!(
        hits.load(Ordering::SeqCst),
        1,
        "the second answer came from the cache"
    );
}

#[test]
fn refuses_what_it_must_with_the_reason() {
    let (base, _) = server();
    let f = Fetcher::new(lab(&base));
    assert!(
        matches!(f.fetch_json("https://a.example.org/html"), Err(FetchError::NotJson(t)) if t == "text/html")
    );
    assert_eq!(
        f.fetch_json("https://a.example.org/big"),
        Err(FetchError::TooLarge(16 * 1024))
    );
    assert_eq!(
        f.fetch_json("https://a.example.org/missing"),
        Err(FetchError::Status(404))
    );
    let started = std::time::Instant::now();
    assert!(matches!(
        f.fetch_json("https://a.example.org/slow"),
        Err(FetchError::Unreachable(_))
    ));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the timeout holds: {:?}",
        started.elapsed()
    );
}

#[test]
fn loopback_is_refused_unless_allowed() {
    let (base, hits) = server();
    let f = Fetcher::new(FetchPolicy {
        allow_loopback: false,
        ..lab(&base)
    });
    assert!(matches!(
        f.fetch_json("https://a.example.org/json"),
        Err(FetchError::Refused(_))
    ));
    assert_eq!(hits.load(Ordering::SeqCst), 0, "nothing was sent");
}

#[test]
fn the_rate_limit_holds_per_host() {
    let (base, _) = server();
    let f = Fetcher::new(FetchPolicy {
        per_host_per_minute: 2,
        cache_ttl: Duration::ZERO,
        ..lab(&base)
    });
    f.fetch_json("https://a.example.org/json").expect("one");
    f.fetch_json("https://a.example.org/json").expect("two");
    assert_eq!(
        f.fetch_json("https://a.example.org/json"),
        Err(FetchError::RateLimited("a.example.org".into()))
    );
    f.fetch_json("https://b.example.org/json")
        .expect("another host has its own budget");
}
