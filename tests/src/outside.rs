//! The outside world on loopback: a real HTTP server answering fixed documents by path, laid
//! out as the fetcher's lab mirror expects (`/{host}/{path}`), and the fetcher pointed at it.

use credreg_fetch::{FetchPolicy, Fetcher};
use credreg_node::verify::outside::OutsideDocuments;
use serde_json::Value;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;

/// Answers by path: status line and body.
pub type Routes = HashMap<String, (&'static str, Vec<u8>)>;

/// Serves `routes` (404 elsewhere) as `content_type` on a loopback port, one thread, until the
/// test process ends. Returns the mirror's base URL.
pub fn serve_routes(routes: Routes, content_type: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 8192];
            let n = s.read(&mut buf).unwrap_or(0);
            let request = String::from_utf8_lossy(&buf[..n]);
            let path = request.split_whitespace().nth(1).unwrap_or("/").to_owned();
            let (status, body) = routes
                .get(&path)
                .cloned()
                .unwrap_or(("404 Not Found", b"{}".to_vec()));
            let _ = write!(
                s,
                "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(&body);
        }
    });
    format!("http://{addr}")
}

/// A fetcher reading `https://host/path` from `mirror` (loopback allowed).
pub fn mirror_fetcher(mirror: &str) -> Fetcher {
    Fetcher::new(FetchPolicy {
        allow_loopback: true,
        mirror: mirror.to_owned(),
        per_host_per_minute: 100_000,
        ..Default::default()
    })
}

/// Everything `input` needs, fetched with `fetcher`.
pub fn fetched(input: &Value, fetcher: &Fetcher) -> OutsideDocuments {
    OutsideDocuments::fetched_for(input, |url| answer(fetcher, url))
}

fn answer(fetcher: &Fetcher, url: &str) -> Result<(Arc<Vec<u8>>, u64), String> {
    fetcher
        .fetch_json(url)
        .map(|f| (f.bytes, f.age_secs))
        .map_err(|e| e.to_string())
}

/// The fetcher as the API and the pages see it (what the binary's adapter does).
pub struct FetcherAdapter(pub Fetcher);

impl credreg_wire::fetch::DocumentFetcher for FetcherAdapter {
    fn fetch_json(&self, url: &str) -> Result<(Arc<Vec<u8>>, u64), String> {
        answer(&self.0, url)
    }
}
