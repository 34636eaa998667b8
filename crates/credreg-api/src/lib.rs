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

mod awards;
mod catalog;
mod evidence;
mod extract;
mod federation;
mod json_budget;
mod log_routes;
pub mod metrics;
mod node_routes;
pub mod problem;
pub mod rate;
mod respond;
mod review;
mod router;
mod server;
pub mod transfer;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use credreg_node::Node;
use metrics::{Metrics, RequestLabels};
use std::sync::Arc;

pub use problem::Problem;
pub use router::{openapi, openapi_document};
pub use server::{serve, ServerLimits, Stopped};

/// Default request body limit: a 100-credential portfolio fits; a crafted 100 MB body does not.
pub const DEFAULT_BODY_LIMIT: usize = 4 * 1024 * 1024;

/// Longest request target accepted (path and query); longer ones get 414.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// Largest request head accepted (all header names and values); larger ones get 431.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;
/// Most headers accepted in one request; more get 431.
pub const MAX_HEADERS: usize = 64;
/// Time a request body has to arrive in full.
pub const DEFAULT_BODY_DEADLINE: std::time::Duration = std::time::Duration::from_secs(30);

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The node.
    pub node: Arc<Node>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Request body limit in bytes.
    pub body_limit: usize,
    /// The running federation, when the node is on the network: seen through plain types, so
    /// this crate needs no libp2p.
    pub federation: Option<Arc<dyn credreg_wire::federation::FederationStatus>>,
    /// Verification and transfer-report work running at once (each holds a JSON-LD
    /// processor's working set): a permit per request, others wait their turn.
    pub heavy_work: Arc<tokio::sync::Semaphore>,
    /// Time a request body has to arrive in full.
    pub body_deadline: std::time::Duration,
    /// The outbound fetcher for status lists of issuers this node does not replicate (none:
    /// their status is "could not check").
    pub fetcher: Option<Arc<dyn credreg_wire::fetch::DocumentFetcher>>,
    /// Where uploaded evidence files are kept (by blake3) and how large one may be; uploads
    /// are refused without it.
    pub evidence: Option<credreg_node::review::files::EvidenceFiles>,
    /// Time an evidence upload has to arrive in full.
    pub upload_deadline: std::time::Duration,
    /// The node's data directory, for backups (none in-process: backups are refused).
    pub data_dir: Option<std::path::PathBuf>,
    /// The served OpenAPI document, rendered once when the router is built.
    openapi_json: Arc<Vec<u8>>,
}

/// Largest evidence file by default: 200 MiB (a few minutes of classroom video).
pub const DEFAULT_UPLOAD_LIMIT: u64 = 200 * 1024 * 1024;

/// Heavy requests allowed at once by default: one per core, at least two.
pub fn default_heavy_work() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().max(2))
}

impl AppState {
    /// State for `node` with fresh metrics and the default body limit.
    pub fn new(node: Arc<Node>) -> Self {
        Self {
            node,
            metrics: Arc::new(Metrics::default()),
            evidence: None,
            fetcher: None,
            upload_deadline: std::time::Duration::from_secs(1800),
            data_dir: None,
            body_limit: DEFAULT_BODY_LIMIT,
            federation: None,
            heavy_work: Arc::new(tokio::sync::Semaphore::new(default_heavy_work())),
            body_deadline: DEFAULT_BODY_DEADLINE,
            openapi_json: Arc::default(),
        }
    }
}

/// The whole HTTP API.
pub fn router(mut state: AppState) -> Router {
    state.openapi_json = Arc::new(serde_json::to_vec(&openapi_document()).unwrap_or_default());
    let limit = state.body_limit;
    let deadline = state.body_deadline;
    let (api, _) = router::api_router().split_for_parts();
    let (uploads, _) = router::upload_router().split_for_parts();
    // Evidence uploads stream to disk under their own size bound and a longer deadline (a
    // teacher's video over a school connection); everything else keeps the small ones.
    let api = api
        .layer(axum::extract::DefaultBodyLimit::max(limit))
        .layer(tower_http::timeout::RequestBodyDeadlineLayer::new(deadline));
    let uploads = uploads.layer(tower_http::timeout::RequestBodyDeadlineLayer::new(
        state.upload_deadline,
    ));
    api.merge(uploads)
        .fallback(|| async {
            Problem::not_found("No such endpoint; see /api/v1/openapi.json for the API.")
        })
        .method_not_allowed_fallback(|method: axum::http::Method| async move {
            Problem::new(
                axum::http::StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
                format!("This endpoint does not accept {method}; see /api/v1/openapi.json."),
            )
        })
        .layer(axum::middleware::from_fn(problems_for_everything))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            count_requests,
        ))
        .layer(axum::middleware::from_fn(bounded_head))
        .layer(axum::middleware::from_fn(security_headers))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| {
                axum::response::IntoResponse::into_response(Problem::internal(
                    "The request hit a bug; nothing was changed by its failure.",
                ))
            },
        ))
        // Spans name the path only: query strings carry share tokens and sign-in codes, which
        // must never reach a log.
        .layer(
            tower_http::trace::TraceLayer::new_for_http().make_span_with(
                |req: &axum::http::Request<axum::body::Body>| {
                    tracing::debug_span!("request", method = %req.method(), path = %req.uri().path())
                },
            ),
        )
        .with_state(state)
}

/// Method label for metrics: a client can send any token as a method, and each distinct
/// label is a time series kept forever.
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method as M;
    match *method {
        M::GET => "GET",
        M::HEAD => "HEAD",
        M::POST => "POST",
        M::PUT => "PUT",
        M::DELETE => "DELETE",
        M::PATCH => "PATCH",
        M::OPTIONS => "OPTIONS",
        M::CONNECT => "CONNECT",
        M::TRACE => "TRACE",
        _ => "other",
    }
}

/// Refuses request targets and heads beyond this API's bounds, as problem+json (hyper's own
/// limits are far larger and answer with a bare status).
async fn bounded_head(req: Request, next: Next) -> Response {
    use axum::http::StatusCode;
    use axum::response::IntoResponse as _;
    let target = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if target > MAX_URI_BYTES {
        return Problem::new(
            StatusCode::URI_TOO_LONG,
            "uri-too-long",
            "Request target too long",
            format!("The request target is {target} bytes; at most {MAX_URI_BYTES} are accepted."),
        )
        .into_response();
    }
    let headers = req.headers();
    let head_bytes: usize = headers
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len())
        .sum();
    if headers.len() > MAX_HEADERS || head_bytes > MAX_HEADER_BYTES {
        return Problem::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers-too-large",
            "Request headers too large",
            format!(
                "The request has {} headers of {head_bytes} bytes; at most {MAX_HEADERS} headers of {MAX_HEADER_BYTES} bytes are accepted.",
                headers.len()
            ),
        )
        .into_response();
    }
    next.run(req).await
}

/// Turns every error response the framework produces itself (extractor rejections, bad paths,
/// bodies that broke off or came too slowly) into problem+json; handlers' own problems pass.
async fn problems_for_everything(req: Request, next: Next) -> Response {
    use axum::http::StatusCode;
    use axum::response::IntoResponse as _;
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let content_type = res
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type.starts_with("application/problem+json") {
        return res;
    }
    let (parts, body) = res.into_parts();
    let text = axum::body::to_bytes(body, 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let (kind, title) = match status {
        StatusCode::BAD_REQUEST => ("malformed-request", "Malformed request"),
        StatusCode::NOT_FOUND => ("not-found", "Not found"),
        StatusCode::METHOD_NOT_ALLOWED => ("method-not-allowed", "Method not allowed"),
        StatusCode::REQUEST_TIMEOUT => ("request-timeout", "Request timed out"),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload-too-large", "Request body too large"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported-media-type", "Unsupported media type"),
        StatusCode::UNPROCESSABLE_ENTITY => ("invalid-input", "Invalid input"),
        s if s.is_server_error() => ("internal", "Internal error"),
        _ => ("malformed-request", "Malformed request"),
    };
    let detail = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_owned()
    } else {
        text
    };
    let problem = if status.is_server_error() {
        // The framework's own text could name internals: it goes to the log, not the client.
        let mut p = Problem::internal(detail);
        p.status = status.as_u16();
        p
    } else {
        Problem::new(status, kind, title, detail)
    };
    let mut out = problem.into_response();
    for (name, value) in parts.headers.iter() {
        if name == axum::http::header::ALLOW {
            out.headers_mut().insert(name, value.clone());
        }
    }
    out
}

/// Headers every response carries: no content sniffing, no referrer leaking a badge's URL,
/// and (for the printable HTML pages) a policy that allows no scripts or outside assets.
async fn security_headers(req: Request, next: Next) -> Response {
    use axum::http::{header, HeaderValue};
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    let html = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if html {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
            ),
        );
    }
    res
}

async fn count_requests(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let method = method_label(req.method()).to_owned();
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

/// The documents the credentials in `value` need from outside, fetched with the node's fetcher
/// (nothing when it has none). Blocking.
pub(crate) fn outside_for(
    state: &AppState,
    value: &serde_json::Value,
) -> credreg_node::verify::outside::OutsideDocuments {
    credreg_node::verify::outside::OutsideDocuments::fetched_by(value, state.fetcher.as_deref())
}
