//! `/api/v1/log/{issuer}/...`: the issuer logs, their checkpoints and proofs.

use crate::extract::blocking;
use crate::problem::Problem;
use crate::AppState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A signed checkpoint, with the exact message that was signed.
#[derive(Serialize, ToSchema)]
pub(crate) struct CheckpointResponse {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    checkpoint: credreg_node::CheckpointJson,
    /// The exact signed bytes (`credreg-checkpoint/v1` encoding), as text.
    signed_message: String,
    /// `did:key` of the signing key.
    signer: String,
}

#[utoipa::path(get, path = "/api/v1/log/{issuer}/checkpoint", tag = "log",
    params(("issuer" = String, Path, description = "Issuer DID")),
    responses((status = 200, body = CheckpointResponse), (status = 404, body = Problem)))]
pub(crate) async fn log_checkpoint(
    State(state): State<AppState>,
    Path(issuer): Path<String>,
) -> Result<Json<CheckpointResponse>, Problem> {
    let cp = state
        .node
        .checkpoint(&issuer)?
        .ok_or_else(|| Problem::not_found(format!("This node holds no log for `{issuer}`.")))?;
    let signed = cp
        .to_signed()
        .map_err(|e| Problem::internal(e.to_string()))?;
    let signed_message = signed
        .checkpoint
        .signed_bytes()
        .map_err(|e| Problem::internal(e.to_string()))?;
    let key = credreg_proof::VerifyingKey::from_bytes(&signed.key)
        .map_err(|e| Problem::internal(e.to_string()))?;
    Ok(Json(CheckpointResponse {
        checkpoint: cp,
        signed_message: String::from_utf8_lossy(&signed_message).into_owned(),
        signer: credreg_proof::keys::did_key(&key),
    }))
}

/// Range query.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct RangeParams {
    /// First index (default 0).
    from: Option<u64>,
    /// One past the last index (default: the log size; at most 256 entries per page).
    to: Option<u64>,
}

/// One log entry.
#[derive(Serialize, ToSchema)]
pub(crate) struct EntryJson {
    index: u64,
    /// The entry's exact bytes, base64 (standard alphabet, padded).
    data: String,
}

/// A page of entries.
#[derive(Serialize, ToSchema)]
pub(crate) struct EntriesResponse {
    size: u64,
    entries: Vec<EntryJson>,
}

#[utoipa::path(get, path = "/api/v1/log/{issuer}/entries", tag = "log",
    params(("issuer" = String, Path, description = "Issuer DID"), RangeParams),
    responses((status = 200, body = EntriesResponse), (status = 400, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn log_entries(
    State(state): State<AppState>,
    Path(issuer): Path<String>,
    params: Result<Query<RangeParams>, QueryRejection>,
) -> Result<Json<EntriesResponse>, Problem> {
    use base64::Engine as _;
    let Query(p) = params.map_err(|e| Problem::malformed(format!("Bad query string: {e}")))?;
    let node = state.node.clone();
    let issuer2 = issuer.clone();
    let (size, entries) = blocking(move || {
        let size = node.log_size(&issuer2)?;
        Ok((size, node.log_entries(&issuer2, p.from.unwrap_or(0), p.to)?))
    })
    .await?;
    Ok(Json(EntriesResponse {
        size,
        entries: entries
            .into_iter()
            .map(|(index, bytes)| EntryJson {
                index,
                data: base64::engine::general_purpose::STANDARD.encode(bytes),
            })
            .collect(),
    }))
}

/// Inclusion proof query.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct InclusionParams {
    /// Entry index (or give `record`).
    index: Option<u64>,
    /// Record id (hex blake3 of the entry's bytes) whose entry to prove.
    record: Option<String>,
    /// Tree size (default: the newest checkpoint's).
    size: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/log/{issuer}/proof/inclusion", tag = "log",
    params(("issuer" = String, Path, description = "Issuer DID"), InclusionParams),
    responses((status = 200, description = "index, size, leaf_hash, root, proof (hex, leaf to root)"),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn log_inclusion(
    State(state): State<AppState>,
    Path(issuer): Path<String>,
    params: Result<Query<InclusionParams>, QueryRejection>,
) -> Result<Response, Problem> {
    let Query(p) = params.map_err(|e| Problem::malformed(format!("Bad query string: {e}")))?;
    let node = state.node.clone();
    let proof =
        blocking(move || Ok(node.inclusion(&issuer, p.index, p.record.as_deref(), p.size)?))
            .await?;
    Ok(Json(proof).into_response())
}

/// Consistency proof query.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConsistencyParams {
    /// Older size (at least 1).
    from: u64,
    /// Newer size (default: the newest checkpoint's).
    to: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/log/{issuer}/proof/consistency", tag = "log",
    params(("issuer" = String, Path, description = "Issuer DID"), ConsistencyParams),
    responses((status = 200, description = "from, to, from_root, to_root, proof (hex)"),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn log_consistency(
    State(state): State<AppState>,
    Path(issuer): Path<String>,
    params: Result<Query<ConsistencyParams>, QueryRejection>,
) -> Result<Response, Problem> {
    let Query(p) = params.map_err(|e| Problem::malformed(format!("Bad query string: {e}")))?;
    let node = state.node.clone();
    let proof = blocking(move || Ok(node.consistency(&issuer, p.from, p.to)?)).await?;
    Ok(Json(proof).into_response())
}
