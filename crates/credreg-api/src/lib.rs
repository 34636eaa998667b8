//! # credreg-api: the node's HTTP interface
//!
//! `router(state)` builds the whole API; it is tested with `tower::ServiceExt::oneshot`
//! without opening a socket, and served by the binary.
//!
//! Design decisions:
//! - **Only this crate knows HTTP shapes.** Request and response types here are the wire
//!   contract; the node's types stay internal.
//! - **Errors are problem+json** ([`problem::Problem`]) with a stable `type` URN per kind, and
//!   extractor rejections (bad JSON, oversized bodies, bad query strings) are converted too.
//! - **Exact bytes.** Awards, records and status lists are served as the stored bytes, never
//!   re-serialized, so a verifier sees what was signed.
//! - **Blocking work off the runtime.** Use cases (signing, sled writes with fsync) run on
//!   tokio's blocking pool.
//! - **The OpenAPI document is generated from the handlers** (`utoipa`), not maintained by hand.
#![deny(missing_docs)]

mod federation;
pub mod metrics;
pub mod problem;
mod routes;
pub mod transfer;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use credreg_node::Node;
use metrics::{Metrics, RequestLabels};
use std::sync::Arc;

pub use problem::Problem;
pub use routes::openapi;

/// Default request body limit: a 100-credential portfolio fits; a crafted 100 MB body does not.
pub const DEFAULT_BODY_LIMIT: usize = 4 * 1024 * 1024;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The node.
    pub node: Arc<Node>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Request body limit in bytes.
    pub body_limit: usize,
    /// The running federation, when the node is on the network.
    pub federation: Option<credreg_node::Federation>,
}

impl AppState {
    /// State for `node` with fresh metrics and the default body limit.
    pub fn new(node: Arc<Node>) -> Self {
        Self {
            node,
            metrics: Arc::new(Metrics::default()),
            body_limit: DEFAULT_BODY_LIMIT,
            federation: None,
        }
    }
}

/// The whole HTTP API.
pub fn router(state: AppState) -> Router {
    let limit = state.body_limit;
    let (router, _) = routes::api_router().split_for_parts();
    router
        .fallback(|| async {
            Problem::not_found("No such endpoint; see /api/v1/openapi.json for the API.")
        })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            count_requests,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(limit))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| {
                axum::response::IntoResponse::into_response(Problem::internal(
                    "The request hit a bug; nothing was changed by its failure.",
                ))
            },
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

async fn count_requests(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let res = next.run(req).await;
    state
        .metrics
        .requests
        .get_or_create(&RequestLabels {
            method,
            route,
            status: res.status().as_u16(),
        })
        .inc();
    res
}
