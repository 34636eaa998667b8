//! `/api/v1/awards`, `/api/v1/status-lists` and `/api/v1/verify`.

use crate::extract::{
    blocking, body_bytes, heavy, parse_body, parse_json_value, read_problem, Caller,
};
use crate::problem::Problem;
use crate::respond::json_bytes;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use credreg_node::{AwardRequest, Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[utoipa::path(post, path = "/api/v1/awards", tag = "awards",
    request_body(content = Object, description = "{credential_id, recipient: {email, name?}, evidence: [{id, name?, description?}]}"),
    security(("bearer" = [])),
    responses((status = 201, description = "The signed OpenBadgeCredential"),
        (status = 422, body = Problem), (status = 503, description = "Open Badges context not installed", body = Problem)))]
pub(crate) async fn issue_award(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    caller.require(&[Role::Admin, Role::Reviewer])?;
    // Shape only here: the node checks fields and the catalog together, so every problem
    // (bad e-mail and unknown credential) is reported in one answer.
    let mut request: AwardRequest =
        credreg_model::read_json(&body_bytes(body)?).map_err(read_problem)?;
    // A review summary sent with a request is the caller's word (earlier reviews imported),
    // not a review this node ran: it is kept, marked as declared.
    if let Some(r) = &mut request.review {
        r.declared = true;
    }
    let node = state.node.clone();
    let mut issued = blocking(move || Ok(node.issue_awards(&[request])?)).await?;
    let award = issued
        .pop()
        .ok_or_else(|| Problem::internal("issuance returned no award"))?;
    state.metrics.awards_issued.inc();
    let url = format!(
        "{}/api/v1/awards/{}",
        state.node.settings().public_url,
        award.id
    );
    let mut res = json_bytes(StatusCode::CREATED, award.bytes);
    if let Ok(v) = HeaderValue::from_str(&url) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

#[utoipa::path(get, path = "/api/v1/awards/{id}", tag = "awards",
    params(("id" = String, Path, description = "Award id (urn:uuid:...)")),
    responses((status = 200, description = "The signed award, byte for byte as issued"), (status = 404, body = Problem)))]
pub(crate) async fn get_award(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let bytes = state
        .node
        .award(&id)?
        .ok_or_else(|| Problem::not_found(format!("There is no award `{id}`.")))?;
    Ok(json_bytes(StatusCode::OK, bytes))
}

#[utoipa::path(get, path = "/api/v1/awards/{id}/bundle", tag = "awards",
    params(("id" = String, Path, description = "Award id (urn:uuid:...)")),
    responses((status = 200, description = "Offline verification bundle: the award, issuer profile and memberships, definition, receipt, checkpoint, inclusion proof and signed status list"),
        (status = 404, body = Problem)))]
pub(crate) async fn get_award_bundle(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let node = state.node.clone();
    let lookup = id.clone();
    let bundle = blocking(move || Ok(node.award_bundle(&lookup)?))
        .await?
        .ok_or_else(|| Problem::not_found(format!("There is no award `{id}`.")))?;
    let mut res = Json(bundle).into_response();
    res.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"credreg-bundle.json\""),
    );
    Ok(res)
}

/// Why an award is revoked.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RevokeRequest {
    /// Shown to verifiers.
    reason: String,
}

impl credreg_model::Validate for RevokeRequest {
    fn validate(&self, e: &mut credreg_model::Errors) {
        e.text("reason", &self.reason, 1_000);
    }
}

/// A revocation.
#[derive(Serialize, ToSchema)]
pub(crate) struct RevokeResponse {
    award_id: String,
    reason: String,
    revoked_at: String,
    status_list: String,
    status_index: u64,
}

#[utoipa::path(post, path = "/api/v1/awards/{id}/revoke", tag = "awards",
    params(("id" = String, Path, description = "Award id")),
    request_body = RevokeRequest, security(("bearer" = [])),
    responses((status = 200, body = RevokeResponse), (status = 404, body = Problem),
        (status = 409, description = "Already revoked", body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn revoke_award(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<RevokeResponse>, Problem> {
    caller.require(&[Role::Admin])?;
    let request: RevokeRequest = parse_body(&body_bytes(body)?)?;
    let node = state.node.clone();
    let award_id = id.clone();
    let reason = request.reason.clone();
    let st = blocking(move || Ok(node.revoke(&award_id, &reason)?)).await?;
    state.metrics.awards_revoked.inc();
    let revocation = st
        .revocation
        .ok_or_else(|| Problem::internal("revocation not recorded"))?;
    Ok(Json(RevokeResponse {
        award_id: id,
        reason: revocation.reason,
        revoked_at: revocation.revoked_at,
        status_list: state.node.status_list_url(st.status_list),
        status_index: st.status_index,
    }))
}

#[utoipa::path(get, path = "/api/v1/status-lists/{id}", tag = "awards",
    params(("id" = u32, Path, description = "Status list number")),
    responses((status = 200, description = "Signed BitstringStatusListCredential"), (status = 404, body = Problem)))]
pub(crate) async fn get_status_list(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let n: u32 = id
        .parse()
        .map_err(|_| Problem::not_found(format!("There is no status list `{id}`.")))?;
    let node = state.node.clone();
    let bytes = blocking(move || Ok(node.status_list_credential(n)?)).await?;
    Ok(json_bytes(StatusCode::OK, bytes))
}

// ---- verification --------------------------------------------------------------------------

#[utoipa::path(post, path = "/api/v1/verify", tag = "verification",
    request_body(description = "A credential, a VerifiablePresentation, or {\"credentials\": [...]} as JSON (entries may be VC-JWT strings); a VC-JWT (compact JWS) as text; or an image with an Open Badges 3.0 badge baked in (PNG iTXt `openbadgecredential`, or SVG), JSON or JWT",
        content((Object = "application/json"), (String = "application/jwt"), (String = "application/vc+jwt"), (Vec<u8> = "image/png"), (Vec<u8> = "image/svg+xml"))),
    responses((status = 200, description = "Per-credential verdicts with each check and a reason for every failure"),
        (status = 400, body = Problem), (status = 422, description = "An image without a badge this node can check", body = Problem)))]
pub(crate) async fn verify(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let bytes = body_bytes(body)?;
    let node = state.node.clone();
    let st = state.clone();
    let report = heavy(&state, move || {
        let value = badge_body(&bytes)?;
        let outside = crate::outside_for(&st, &value);
        node.verify_with(&value, &outside)
            .map_err(|e| Problem::malformed(e.to_string()))
    })
    .await?;
    state.metrics.count_verifications(&report);
    Ok(Json(report).into_response())
}

/// The badge in a body: JSON, a VC-JWT as text, or an image with a badge baked in (422 when
/// the image holds none this node can read).
pub(crate) fn badge_body(bytes: &[u8]) -> Result<serde_json::Value, Problem> {
    use credreg_node::verify::read::{badge_in, ReadBadgeError};
    // The same bounds as any JSON body (nesting, size) before anything reads it.
    badge_in(bytes, |b| parse_json_value(b).map_err(|p| p.detail)).map_err(|e| match e {
        ReadBadgeError::Image(why) => Problem::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "no-badge",
            "No badge this node can check",
            format!("{}.", crate::extract::capitalized(&why)),
        ),
        ReadBadgeError::NotABadge(why) => Problem::malformed(why),
        ReadBadgeError::NotText => Problem::malformed(
            "The body is neither JSON, a VC-JWT, nor a PNG or SVG image with a badge baked in.",
        ),
    })
}
