//! The HTTP/1.1 server loop: the router behind timeouts, a connection cap and a bounded
//! graceful shutdown.
//!
//! `axum::serve` sets no header-read timeout, caps nothing and waits for every connection at
//! shutdown, so an idle or slow client could hold a connection (and a SIGTERMed node)
//! forever. Here hyper's own server connection is used directly:
//! - **header timeout**: hyper starts it whenever it waits for a request head, so it closes
//!   a connection that sends its head too slowly (slowloris) and a keep-alive connection
//!   that sits idle between requests;
//! - **body deadline** ([`tower_http::timeout::RequestBodyDeadlineLayer`], in the router):
//!   a body that has not fully arrived in time is an error (408), however it trickles;
//! - **connection cap**: beyond it new connections are closed at once, before any work;
//! - **shutdown grace**: after the signal, connections in flight get this long to finish,
//!   then the server returns anyway.

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// The server's bounds (`[limits]` in the node's configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// Time a client has to send a request head, and the longest a connection may wait idle
    /// for its next request.
    pub header_timeout: Duration,
    /// Open connections at most.
    pub max_connections: usize,
    /// How long connections in flight may finish after shutdown is asked for.
    pub shutdown_grace: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            max_connections: 512,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// How the server stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// Every connection finished within the grace period.
    Drained,
    /// The grace period ran out with connections still open; they were dropped.
    GraceExpired,
}

/// Serves `app` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<Stopped> {
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::warn!(%peer, max = limits.max_connections, "connection refused: at the connection cap");
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        // The peer's address travels with each request, for per-client rate limits.
        let client = crate::rate::ClientAddr(peer.ip());
        let service = TowerToHyperService::new(tower::util::MapRequest::new(
            app.clone(),
            move |mut req: axum::http::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(client);
                req
            },
        ));
        let connection = http.serve_connection(TokioIo::new(stream), service);
        let watched = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = watched.await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => Ok(Stopped::Drained),
        () = tokio::time::sleep(limits.shutdown_grace) => Ok(Stopped::GraceExpired),
    }
}
