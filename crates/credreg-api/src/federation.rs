//! Federation endpoints: memberships, issuers and their trust, peers.

use crate::extract::{blocking, body_bytes, parse_body, Caller};
use crate::problem::Problem;
use crate::respond::{record_created, RecordResponse};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use credreg_model::{Errors, Membership, Validate};
use credreg_node::Role;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /api/v1/memberships` body.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MembershipRequest {
    /// The member issuer's DID.
    member: String,
    /// `district`, `state`, `consortium` or `provider`.
    role: String,
    /// Federation (defaults to this node's).
    federation: Option<String>,
    /// Start (RFC 3339, default now).
    valid_from: Option<String>,
    /// End (RFC 3339), if any.
    valid_until: Option<String>,
}

impl Validate for MembershipRequest {
    fn validate(&self, e: &mut Errors) {
        e.max_len("member", &self.member, 512);
        e.max_len("role", &self.role, 32);
        if let Some(f) = &self.federation {
            e.max_len("federation", f, 100);
        }
    }
}

#[utoipa::path(post, path = "/api/v1/memberships", tag = "federation",
    request_body = MembershipRequest, security(("bearer" = [])),
    responses((status = 201, body = RecordResponse), (status = 422, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem)))]
pub(crate) async fn publish_membership(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<RecordResponse>), Problem> {
    caller.require(&[Role::Admin])?;
    let req: MembershipRequest = parse_body(&body_bytes(body)?)?;
    let node = state.node.clone();
    let published = blocking(move || {
        let federation = req
            .federation
            .unwrap_or_else(|| node.settings().federation.name.clone());
        if federation.is_empty() {
            let mut e = Errors::default();
            e.add(
                "federation",
                "this node has no federation configured; name one",
            );
            e.finish().map_err(credreg_node::NodeError::Invalid)?;
        }
        let m = Membership {
            member: req.member,
            federation,
            role: req.role,
            valid_from: req.valid_from.unwrap_or_else(credreg_node::now_rfc3339),
            valid_until: req.valid_until,
        };
        Ok(node.publish_membership(m)?)
    })
    .await?;
    Ok(record_created(published))
}

/// Known issuers.
#[derive(Serialize, ToSchema)]
pub(crate) struct IssuersResponse {
    /// This node's federation.
    federation: String,
    /// Configured trust anchors.
    anchors: Vec<String>,
    /// Every issuer this node knows of.
    #[schema(value_type = Vec<Object>)]
    issuers: Vec<credreg_node::replica::IssuerView>,
}

#[utoipa::path(get, path = "/api/v1/issuers", tag = "federation",
    responses((status = 200, body = IssuersResponse)))]
pub(crate) async fn list_issuers(
    State(state): State<AppState>,
) -> Result<Json<IssuersResponse>, Problem> {
    let node = state.node.clone();
    let issuers = blocking(move || Ok(node.issuers()?)).await?;
    let f = &state.node.settings().federation;
    Ok(Json(IssuersResponse {
        federation: f.name.clone(),
        anchors: f.anchors.clone(),
        issuers,
    }))
}

/// Peers.
#[derive(Serialize, ToSchema)]
pub(crate) struct PeersResponse {
    /// Whether this node runs the libp2p network.
    enabled: bool,
    /// This node's peer id.
    #[serde(skip_serializing_if = "Option::is_none")]
    peer_id: Option<String>,
    /// Known peers.
    #[schema(value_type = Vec<Object>)]
    peers: Vec<credreg_wire::federation::PeerView>,
}

#[utoipa::path(get, path = "/api/v1/peers", tag = "federation",
    responses((status = 200, body = PeersResponse)))]
pub(crate) async fn list_peers(State(state): State<AppState>) -> Json<PeersResponse> {
    match &state.federation {
        None => Json(PeersResponse {
            enabled: false,
            peer_id: None,
            peers: Vec::new(),
        }),
        Some(f) => Json(PeersResponse {
            enabled: true,
            peer_id: Some(f.peer_id()),
            peers: f.peers().await,
        }),
    }
}

#[utoipa::path(post, path = "/api/v1/quality-standards", tag = "quality",
    request_body(content = Object, description = "name, rules [{rule: cites_research, min} | {rule: requires_evidence, kind} | {rule: rubric_criteria, min} | {rule: reviewers, min, tiebreak} | {rule: calibrated_reviewers}]"),
    security(("bearer" = [])),
    responses((status = 201, body = RecordResponse), (status = 422, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem)))]
pub(crate) async fn publish_quality_standard(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<RecordResponse>), Problem> {
    caller.require(&[Role::Admin])?;
    let standard: credreg_model::QualityStandard = parse_body(&body_bytes(body)?)?;
    let node = state.node.clone();
    let published = blocking(move || Ok(node.publish_quality_standard(standard)?)).await?;
    Ok(record_created(published))
}

/// `POST /api/v1/endorsements` body.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EndorsementRequest {
    /// A credential definition's record id, or an issuer's DID.
    subject: String,
    /// The quality standard (record id) it was vetted against.
    standard: Option<String>,
    /// The comment.
    comment: String,
}

impl Validate for EndorsementRequest {
    fn validate(&self, e: &mut Errors) {
        e.max_len("subject", &self.subject, 512);
        e.text("comment", &self.comment, 2_000);
    }
}

#[utoipa::path(post, path = "/api/v1/endorsements", tag = "quality",
    request_body = EndorsementRequest, security(("bearer" = [])),
    responses((status = 201, body = RecordResponse), (status = 422, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 503, body = Problem)))]
pub(crate) async fn publish_endorsement(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<RecordResponse>), Problem> {
    caller.require(&[Role::Admin])?;
    let req: EndorsementRequest = parse_body(&body_bytes(body)?)?;
    let node = state.node.clone();
    let published =
        blocking(move || Ok(node.endorse(&req.subject, req.standard, &req.comment)?)).await?;
    Ok(record_created(published))
}

/// A quality standard held here.
#[derive(Serialize, ToSchema)]
pub(crate) struct StandardView {
    /// Record id.
    id: String,
    /// Publisher DID.
    issuer: String,
    /// The publisher's trust status here.
    #[schema(value_type = Object)]
    trust: credreg_node::Trust,
    /// The standard.
    #[schema(value_type = Object)]
    standard: credreg_model::QualityStandard,
}

/// Quality standards.
#[derive(Serialize, ToSchema)]
pub(crate) struct StandardsResponse {
    /// Oldest first.
    standards: Vec<StandardView>,
}

#[utoipa::path(get, path = "/api/v1/quality-standards", tag = "quality",
    responses((status = 200, body = StandardsResponse)))]
pub(crate) async fn list_quality_standards(
    State(state): State<AppState>,
) -> Result<Json<StandardsResponse>, Problem> {
    let node = state.node.clone();
    let standards = blocking(move || {
        Ok(node
            .quality_standards()?
            .into_iter()
            .map(|s| StandardView {
                trust: node.trust_of(&s.issuer),
                id: s.id,
                issuer: s.issuer,
                standard: s.standard,
            })
            .collect())
    })
    .await?;
    Ok(Json(StandardsResponse { standards }))
}

/// `GET /api/v1/credentials/{id}/evaluation` query.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct EvaluationQuery {
    /// The quality standard's record id (any standard this node holds, trusted or not).
    standard: String,
}

#[utoipa::path(get, path = "/api/v1/credentials/{id}/evaluation", tag = "quality",
    params(("id" = String, Path, description = "Definition record id"), EvaluationQuery),
    responses((status = 200, description = "The definition judged against the standard, rule by rule"),
        (status = 400, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn evaluate_credential(
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<String>,
    query: Result<axum::extract::Query<EvaluationQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<credreg_node::value::quality::StandardResult>, Problem> {
    let axum::extract::Query(q) = query.map_err(|e| Problem::malformed(e.body_text()))?;
    let node = state.node.clone();
    let lookup = id.clone();
    let standard = q.standard.clone();
    blocking(move || Ok(node.evaluate(&lookup, &standard)?))
        .await?
        .map(Json)
        .ok_or_else(|| {
            Problem::not_found(format!(
                "There is no credential `{id}` or no quality standard `{}` here.",
                q.standard
            ))
        })
}
