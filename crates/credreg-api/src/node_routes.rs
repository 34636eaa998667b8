//! `/healthz`, `/api/v1/node`, `/metrics` and the OpenAPI document.

use crate::problem::Problem;
use crate::respond::json_bytes;
use crate::AppState;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

/// Liveness and what needs the operator's attention.
#[derive(Serialize, ToSchema)]
pub(crate) struct Health {
    /// `ok`, or `degraded` when the node serves but cannot issue.
    status: &'static str,
    /// Contexts that must be installed before awards can be issued.
    missing_contexts: Vec<String>,
    /// What to do about it, if anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    hint: Option<String>,
}

#[utoipa::path(get, path = "/healthz", tag = "node",
    responses((status = 200, description = "Node is serving", body = Health)))]
pub(crate) async fn healthz(State(state): State<AppState>) -> Json<Health> {
    let missing = state.node.missing_contexts().to_vec();
    let hint = (!missing.is_empty()).then(|| {
        "Awards cannot be issued until the Open Badges context is installed: run `credreg contexts install DIR` (a directory with a PROVENANCE.txt or contexts.txt manifest) or `credreg contexts fetch`, then restart.".to_owned()
    });
    Json(Health {
        status: if missing.is_empty() { "ok" } else { "degraded" },
        missing_contexts: missing,
        hint,
    })
}

/// Who this node is.
#[derive(Serialize, ToSchema)]
pub(crate) struct NodeInfo {
    /// Issuer DID.
    did: String,
    /// District name.
    name: String,
    /// Base URL of this API.
    public_url: String,
    /// credreg version.
    version: &'static str,
    /// Definitions in the catalog.
    credentials: usize,
    /// Awards issued here.
    awards: usize,
    /// Contexts missing for issuance.
    missing_contexts: Vec<String>,
    /// `district`, `state`, `consortium` or `provider`.
    kind: String,
    /// Entries in this node's own log.
    log_size: u64,
    /// Federation name (empty when not federated).
    federation: String,
    /// libp2p peer id, when the network runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    peer_id: Option<String>,
    /// libp2p addresses to bootstrap from (`/ip4/.../tcp/.../p2p/...`).
    p2p_addresses: Vec<String>,
}

#[utoipa::path(get, path = "/api/v1/node", tag = "node",
    responses((status = 200, description = "This node", body = NodeInfo)))]
pub(crate) async fn node_info(State(state): State<AppState>) -> Result<Json<NodeInfo>, Problem> {
    let node = &state.node;
    let credentials = node.definition_count()?;
    Ok(Json(NodeInfo {
        did: node.did().to_owned(),
        name: node.settings().name.clone(),
        public_url: node.settings().public_url.clone(),
        version: env!("CARGO_PKG_VERSION"),
        credentials,
        awards: node.award_count(),
        missing_contexts: node.missing_contexts().to_vec(),
        kind: if node.settings().kind.is_empty() {
            "district".into()
        } else {
            node.settings().kind.clone()
        },
        log_size: node.log_size(node.did())?,
        federation: node.settings().federation.name.clone(),
        peer_id: state.federation.as_ref().map(|f| f.peer_id()),
        p2p_addresses: match &state.federation {
            Some(f) => f.listen_addrs().await,
            None => Vec::new(),
        },
    }))
}

#[utoipa::path(get, path = "/metrics", tag = "node",
    responses((status = 200, description = "OpenMetrics text format", content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8")))]
pub(crate) async fn metrics(State(state): State<AppState>) -> Response {
    if let Ok(n) = state.node.definition_count() {
        state.metrics.catalog_definitions.set(n as i64);
    }
    state
        .metrics
        .awards_stored
        .set(state.node.award_count() as i64);
    if let Some(f) = &state.federation {
        let fm = f.counters();
        let m = &state.metrics;
        for (reason, n) in fm.refused {
            m.federation_refused
                .get_or_create(&crate::metrics::ReasonLabels {
                    reason: reason.to_owned(),
                })
                .set(n as i64);
        }
        m.federation_accepted.set(fm.gossip_accepted as i64);
        m.federation_entries_replicated
            .set(fm.entries_replicated as i64);
        m.federation_equivocations.set(fm.equivocations as i64);
        let peers = f.peers().await;
        m.federation_peers
            .set(peers.iter().filter(|p| p.connected).count() as i64);
    }
    let mut res = state.metrics.encode().into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    res
}

#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "node",
    responses((status = 200, description = "This API's OpenAPI 3.1 document")))]
pub(crate) async fn openapi_json(State(state): State<AppState>) -> Response {
    json_bytes(StatusCode::OK, state.openapi_json.to_vec())
}

#[utoipa::path(post, path = "/api/v1/node/backup", tag = "node", security(("bearer" = [])),
    responses((status = 200, description = "A backup of the running node: one tar.gz of its keys, database (exported without splitting a transaction), contexts and evidence files, with a manifest of their blake3 hashes. `credreg restore FILE DIR` restores it and verifies every log against its checkpoints.",
        content_type = "application/gzip", body = Vec<u8>),
        (status = 404, description = "This node runs without a data directory (in-process)", body = Problem)))]
pub(crate) async fn backup(
    State(state): State<AppState>,
    caller: crate::extract::Caller,
) -> Result<Response, Problem> {
    caller.require(&[credreg_node::Role::Admin])?;
    let Some(dir) = state.data_dir.clone() else {
        return Err(Problem::not_found(
            "This node runs without a data directory, so there is nothing to back up.",
        ));
    };
    let node = state.node.clone();
    let (file, manifest) = crate::extract::blocking(move || {
        use std::io::Seek as _;
        // An unnamed temporary file beside the database: gone when the answer is sent.
        let mut file = tempfile::tempfile_in(&dir).map_err(|e| {
            tracing::error!(error = %e, "backup: no temporary file");
            Problem::internal("The backup could not be written; nothing was changed.")
        })?;
        let manifest =
            credreg_node::backup::write_backup(&node, &credreg_node::Home::new(&dir), &mut file)
                .map_err(|e| {
                    tracing::error!(error = %e, "backup failed");
                    Problem::internal("The backup could not be written; nothing was changed.")
                })?;
        file.rewind()
            .map_err(|_| Problem::internal("The backup could not be read back."))?;
        Ok((file, manifest))
    })
    .await?;
    tracing::info!(target: "credreg::audit", event = "backup", rows = manifest.rows, files = manifest.files.len());
    let stream =
        tokio_util::io::ReaderStream::with_capacity(tokio::fs::File::from_std(file), 64 * 1024);
    let mut res = Response::new(axum::body::Body::from_stream(stream));
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/gzip"),
    );
    let name = format!(
        "attachment; filename=\"credreg-backup-{}.tar.gz\"",
        manifest.created.get(..10).unwrap_or("now")
    );
    if let Ok(v) = HeaderValue::from_str(&name) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}
