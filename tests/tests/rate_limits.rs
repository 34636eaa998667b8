//! Per-client rate limits through the real server loop on loopback: writes beyond the limit get
//! 429 with Retry-After (problem+json for a program, a page in words for a browser), reads are
//! not limited, and another limit (sign-in) keeps its own count.

use credreg_api::rate::{limit, Limiter, RateLimits};
use credreg_api::{serve, AppState, ServerLimits};
use credreg_tests::TestNode;
use std::io::{Read, Write};
use std::net::TcpStream;

fn request(addr: std::net::SocketAddr, head: &str) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.write_all(head.as_bytes()).expect("send");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    let status = out
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let (headers, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    (status, headers.to_ascii_lowercase(), body.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_over_the_limit_get_429_with_retry_after() {
    let n = TestNode::new(
        "Juab School District",
        41,
        credreg_proof::ContextStore::with_builtins(),
    );
    let app = credreg_api::router(AppState::new(n.node.clone())).layer(
        axum::middleware::from_fn_with_state(
            Limiter::new(RateLimits {
                writes_per_minute: 3,
                sign_ins_per_minute: 2,
            }),
            limit,
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, app, ServerLimits::default(), async {
        let _ = stopped.await;
    }));
    let results = tokio::task::spawn_blocking(move || {
        let post = |path: &str, accept: &str| {
            request(
                addr,
                &format!("POST {path} HTTP/1.1\r\nhost: x\r\naccept: {accept}\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{{}}"),
            )
        };
        let writes: Vec<u16> = (0..3)
            .map(|_| post("/api/v1/verify", "application/json").0)
            .collect();
        let over = post("/api/v1/verify", "application/json");
        let page = post("/api/v1/verify", "text/html");
        let read = request(addr, "GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
        let sign_in = post("/sign-in", "text/html").0;
        (writes, over, page, read.0, sign_in)
    })
    .await
    .expect("client");
    let _ = stop.send(());
    let _ = server.await;
    let (writes, over, page, read, sign_in) = results;
    assert!(writes.iter().all(|s| *s != 429), "{writes:?}");
    assert_eq!(over.0, 429, "{}", over.2);
    assert!(over.1.contains("retry-after: 20"), "{}", over.1);
    assert!(over.1.contains("application/problem+json"), "{}", over.1);
    assert!(over.2.contains("try again in 20 s"), "{}", over.2);
    assert_eq!(page.0, 429);
    assert!(page.1.contains("text/html") && page.2.contains("<h1>Too many requests</h1>"));
    assert_ne!(read, 429, "reads are not limited");
    assert_ne!(sign_in, 429, "sign-in keeps its own count");
}
