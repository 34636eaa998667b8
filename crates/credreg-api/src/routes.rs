//! Handlers. Each one is annotated for the generated OpenAPI document.

use crate::problem::Problem;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use credreg_model::{CredentialDef, Stack};
use credreg_node::{AwardRequest, Role, SearchQuery};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "credreg",
        description = "A federated registry node for teacher micro-credentials: catalog, Open Badges 3.0 awards, revocation, verification."
    ),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub(crate) fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(healthz))
        .routes(routes!(node_info))
        .routes(routes!(search_credentials, publish_credential))
        .routes(routes!(get_credential))
        .routes(routes!(publish_stack))
        .routes(routes!(get_stack))
        .routes(routes!(issue_award))
        .routes(routes!(get_award))
        .routes(routes!(get_award_bundle))
        .routes(routes!(revoke_award))
        .routes(routes!(get_status_list))
        .routes(routes!(verify))
        .routes(routes!(log_checkpoint))
        .routes(routes!(log_entries))
        .routes(routes!(log_inclusion))
        .routes(routes!(log_consistency))
        .routes(routes!(crate::federation::publish_membership))
        .routes(routes!(
            crate::federation::publish_quality_standard,
            crate::federation::list_quality_standards
        ))
        .routes(routes!(crate::federation::evaluate_credential))
        .routes(routes!(crate::federation::publish_endorsement))
        .routes(routes!(crate::federation::list_issuers))
        .routes(routes!(crate::federation::list_peers))
        .routes(routes!(
            crate::transfer::publish_recognition,
            crate::transfer::list_recognitions
        ))
        .routes(routes!(crate::transfer::transfer_report))
        .routes(routes!(metrics))
        .routes(routes!(openapi_json))
}

/// The generated OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_router().split_for_parts().1
}

/// The document as served: [`openapi`] with every answer the server itself can give written
/// down, so a client (or a fuzzer) meets no undocumented status or content type. Handlers
/// declare their own answers; the layers around them add these:
/// - every operation: 400 (a malformed path or query), 414, 431 and 500, as problem+json;
/// - operations with a request body: 408 (body deadline) and 413 (body limit);
/// - operations that need a token: 401 and 403;
/// - operations with a path parameter: 404;
/// - every error answer, whoever declared it, as `application/problem+json` with the
///   `Problem` schema.
pub fn openapi_document() -> Value {
    let mut doc = serde_json::to_value(openapi()).unwrap_or(Value::Null);
    let problem = serde_json::json!({
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
    });
    let answer = |description: &str| serde_json::json!({"description": description, "content": problem.clone()});
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return doc;
    };
    for (path, item) in paths.iter_mut() {
        let has_path_param = path.contains('{');
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            if !["get", "post", "put", "delete", "patch"].contains(&method.as_str()) {
                continue;
            }
            let Some(op) = op.as_object_mut() else {
                continue;
            };
            let has_body = op.contains_key("requestBody");
            let secured = op
                .get("security")
                .and_then(Value::as_array)
                .is_some_and(|s| !s.is_empty());
            let responses = op
                .entry("responses")
                .or_insert_with(|| Value::Object(Default::default()));
            let Some(responses) = responses.as_object_mut() else {
                continue;
            };
            let mut add = |status: &str, description: &str| {
                responses
                    .entry(status.to_owned())
                    .or_insert_with(|| answer(description));
            };
            add("400", "Malformed request (path, query or body)");
            add("414", "Request target too long");
            add("431", "Request headers too large");
            add("500", "Internal error; nothing was changed");
            if has_body {
                add("408", "The request body did not arrive in time");
                add("413", "Request body too large");
            }
            if secured {
                add("401", "No valid bearer token");
                add("403", "The token's role may not do this");
            }
            if has_path_param {
                add("404", "Not found");
            }
            for (status, response) in responses.iter_mut() {
                let is_error = status.starts_with('4') || status.starts_with('5');
                if let (true, Some(r)) = (is_error, response.as_object_mut()) {
                    r.insert("content".into(), problem.clone());
                }
            }
        }
    }
    doc
}

// ---- plumbing ------------------------------------------------------------------------------

/// The caller's role, from `Authorization: Bearer <token>`.
pub(crate) struct Caller(Role);

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer_token)
            .map(str::to_owned)
            .ok_or_else(Problem::unauthorized)?;
        let node = state.node.clone();
        let role = blocking(move || Ok(node.role_for_token(&token)?)).await?;
        role.map(Caller).ok_or_else(Problem::unauthorized)
    }
}

/// The token of an `Authorization: Bearer <token>` value; the scheme is case-insensitive
/// (RFC 9110 section 11.1).
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

impl Caller {
    pub(crate) fn require(&self, allowed: &[Role]) -> Result<(), Problem> {
        if allowed.contains(&self.0) {
            Ok(())
        } else {
            let needed: Vec<&str> = allowed.iter().map(|r| r.as_str()).collect();
            Err(Problem::forbidden(self.0.as_str(), &needed.join(" or ")))
        }
    }
}

pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Problem> + Send + 'static,
) -> Result<T, Problem> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Problem::internal(format!("worker failed: {e}")))?
}

/// Runs verification-sized work on the blocking pool once a heavy-work permit is free (see
/// [`AppState::heavy_work`]); requests beyond the limit wait their turn instead of all
/// holding a JSON-LD working set at once.
pub(crate) async fn heavy<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce() -> Result<T, Problem> + Send + 'static,
) -> Result<T, Problem> {
    let _permit = state
        .heavy_work
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| Problem::internal("the node is shutting down"))?;
    blocking(f).await
}

pub(crate) fn body_bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, Problem> {
    body.map_err(|rejection| {
        if is_timeout(&rejection) {
            Problem::new(
                StatusCode::REQUEST_TIMEOUT,
                "request-timeout",
                "Request timed out",
                "The request body did not arrive in time.",
            )
        } else if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Request body too large",
                "The request body is larger than this node accepts.",
            )
        } else {
            Problem::malformed(format!("The request body could not be read: {rejection}"))
        }
    })
}

/// Whether a body rejection was the body deadline running out.
fn is_timeout(rejection: &BytesRejection) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(rejection);
    while let Some(e) = source {
        if e.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        source = e.source();
    }
    false
}

/// Most JSON values in a verification or transfer-report body: 100 credentials of about a
/// hundred values each fit ten times over; parsed, the bound is about 8 MB.
pub(crate) const MAX_BODY_VALUES: usize = 100_000;

/// Parses a verification-sized JSON body, counting its values first (see `json_budget`).
pub(crate) fn parse_json_value(bytes: &[u8]) -> Result<Value, Problem> {
    crate::json_budget::check(bytes, MAX_BODY_VALUES)
        .map_err(|e| Problem::malformed(format!("{}.", capitalized(&e))))?;
    serde_json::from_slice(bytes)
        .map_err(|e| Problem::malformed(format!("The body is not valid JSON: {e}.")))
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// A body that could not be read: syntax errors are 400, field errors 422.
fn read_problem(e: credreg_model::ReadError) -> Problem {
    match e {
        credreg_model::ReadError::Syntax(e) => {
            Problem::malformed(format!("The body is not valid JSON: {e}."))
        }
        credreg_model::ReadError::Invalid(inv) => credreg_node::NodeError::Invalid(inv).into(),
    }
}

/// Parses (once) and validates a JSON body.
pub(crate) fn parse_body<T: serde::de::DeserializeOwned + credreg_model::Validate>(
    bytes: &[u8],
) -> Result<T, Problem> {
    credreg_model::read_validated(bytes).map_err(read_problem)
}

fn json_bytes(status: StatusCode, bytes: Vec<u8>) -> Response {
    let mut res = (status, bytes).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}

fn record_value(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or(Value::Null)
}

// ---- node ----------------------------------------------------------------------------------

/// Liveness and what needs the operator's attention.
#[derive(Serialize, ToSchema)]
struct Health {
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
async fn healthz(State(state): State<AppState>) -> Json<Health> {
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
struct NodeInfo {
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
async fn node_info(State(state): State<AppState>) -> Result<Json<NodeInfo>, Problem> {
    let node = &state.node;
    let credentials = node.definition_count()?;
    Ok(Json(NodeInfo {
        did: node.did().to_owned(),
        name: node.settings().name.clone(),
        public_url: node.settings().public_url.clone(),
        version: env!("CARGO_PKG_VERSION"),
        credentials,
        awards: node.store().award_count(),
        missing_contexts: node.missing_contexts().to_vec(),
        kind: if node.settings().kind.is_empty() {
            "district".into()
        } else {
            node.settings().kind.clone()
        },
        log_size: node
            .store()
            .log_size(node.did())
            .map_err(credreg_node::NodeError::from)?,
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
async fn metrics(State(state): State<AppState>) -> Response {
    if let Ok(n) = state.node.definition_count() {
        state.metrics.catalog_definitions.set(n as i64);
    }
    state
        .metrics
        .awards_stored
        .set(state.node.store().award_count() as i64);
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
async fn openapi_json() -> Response {
    match serde_json::to_vec(&openapi_document()) {
        Ok(bytes) => json_bytes(StatusCode::OK, bytes),
        Err(e) => Problem::internal(e.to_string()).into_response(),
    }
}

// ---- catalog -------------------------------------------------------------------------------

/// Search parameters.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct SearchParams {
    /// Words that must all appear in name, description, competency or tags.
    q: Option<String>,
    /// Only this issuer's definitions (DID).
    issuer: Option<String>,
    /// `local` (default: this node's own catalog) or `federation` (every replicated catalog
    /// of an issuer this node trusts).
    scope: Option<String>,
    /// Page size (1..=200, default 50).
    limit: Option<usize>,
    /// Results to skip.
    offset: Option<usize>,
    /// Only definitions meeting this quality standard (record id).
    meets: Option<String>,
    /// Only definitions with at least this many endorsements.
    min_endorsements: Option<u32>,
    /// Only definitions some district's recognition rules give value (`true`).
    recognized: Option<bool>,
    /// `relevance` (default), `awards`, `endorsements`, `recognitions` or `name`.
    sort: Option<String>,
}

/// One search hit.
#[derive(Serialize, ToSchema)]
struct DefinitionSummary {
    id: String,
    url: String,
    issuer: String,
    /// The issuer's trust status here (`this_node`, `anchor`, `member`, `allowed`) and the
    /// anchor that vouches for it.
    #[schema(value_type = Object)]
    trust: credreg_node::Trust,
    name: String,
    description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    competency: Option<String>,
    version: String,
    #[schema(value_type = String)]
    status: credreg_model::DefStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    local_value: Option<credreg_model::LocalValue>,
    /// Standards met, endorsements, recognizing districts, awards issued and revoked.
    #[schema(value_type = Object)]
    quality: credreg_node::quality::QualitySummary,
}

/// A page of search hits.
#[derive(Serialize, ToSchema)]
struct SearchResponse {
    total: usize,
    limit: usize,
    offset: usize,
    items: Vec<DefinitionSummary>,
}

#[utoipa::path(get, path = "/api/v1/credentials", tag = "catalog", params(SearchParams),
    responses((status = 200, body = SearchResponse), (status = 400, body = Problem),
        (status = 404, description = "`meets` names a quality standard this node does not hold", body = Problem)))]
async fn search_credentials(
    State(state): State<AppState>,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Result<Json<SearchResponse>, Problem> {
    let Query(p) = params.map_err(|e| Problem::malformed(format!("Bad query string: {e}")))?;
    let federation = match p.scope.as_deref() {
        None | Some("local") => false,
        Some("federation") => true,
        Some(other) => {
            return Err(Problem::malformed(format!(
                "scope must be `local` or `federation`, not `{other}`"
            )))
        }
    };
    let limit = p.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(Problem::malformed("limit must be between 1 and 200"));
    }
    if p.q.as_deref().is_some_and(|q| q.len() > 500) {
        return Err(Problem::malformed("q is longer than 500 characters"));
    }
    let offset = p.offset.unwrap_or(0);
    let sort = match p.sort.as_deref() {
        None => credreg_node::quality::SortBy::Relevance,
        Some(s) => credreg_node::quality::SortBy::parse(s).ok_or_else(|| {
            Problem::malformed(format!(
                "sort must be relevance, awards, endorsements, recognitions or name, not `{s}`"
            ))
        })?,
    };
    let filter = credreg_node::quality::QualityFilter {
        meets: p.meets,
        min_endorsements: p.min_endorsements.unwrap_or(0),
        recognized: p.recognized.unwrap_or(false),
        sort,
    };
    let query = SearchQuery {
        q: p.q,
        issuer: p.issuer,
        issuers: None,
        limit,
        offset,
    };
    let node = state.node.clone();
    let credreg_node::quality::QualityPage { total, hits } =
        blocking(move || Ok(node.search_quality(query, federation, &filter)?)).await?;
    let mut trust = std::collections::HashMap::new();
    let items = hits
        .into_iter()
        .map(|(e, quality)| DefinitionSummary {
            id: e.id.clone(),
            url: state.node.credential_url(&e.id),
            issuer: e.issuer.clone(),
            trust: trust
                .entry(e.issuer.clone())
                .or_insert_with(|| state.node.trust_of(&e.issuer))
                .clone(),
            name: e.def.name.clone(),
            description: e.def.description.clone(),
            competency: e.def.competency.clone(),
            version: e.def.version.clone(),
            status: e.def.status,
            local_value: e.def.local_value,
            quality,
        })
        .collect();
    Ok(Json(SearchResponse {
        total,
        limit,
        offset,
        items,
    }))
}

/// A published record.
#[derive(Serialize, ToSchema)]
struct PublishedResponse {
    /// Record id (blake3 of the signed record's bytes).
    id: String,
    /// Where to read it.
    url: String,
    /// The signed record.
    #[schema(value_type = Object)]
    record: Value,
}

#[utoipa::path(post, path = "/api/v1/credentials", tag = "catalog",
    request_body(content = Object, description = "A credential definition: name, description, criteria.narrative; optional competency, key_method, method_components, research_basis, resources, evidence_requirements, rubric, review_policy, estimated_effort, local_value, tags, version, status"),
    security(("bearer" = [])),
    responses((status = 201, body = PublishedResponse), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn publish_credential(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    caller.require(&[Role::Admin])?;
    let def: CredentialDef = parse_body(&body_bytes(body)?)?;
    let node = state.node.clone();
    let published = blocking(move || Ok(node.publish_definition(def)?)).await?;
    let url = state.node.credential_url(&published.id);
    Ok(published_response(url, published))
}

/// 201 with `Location` and the signed record.
fn published_response(url: String, published: credreg_node::Published) -> Response {
    created(
        &url,
        Json(PublishedResponse {
            id: published.id,
            url: url.clone(),
            record: record_value(&published.bytes),
        }),
    )
}

fn created(location: &str, body: impl IntoResponse) -> Response {
    let mut res = (StatusCode::CREATED, body).into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// A definition with its signed record.
#[derive(Serialize, ToSchema)]
struct DefinitionResponse {
    id: String,
    issuer: String,
    issued: String,
    #[schema(value_type = Object)]
    definition: CredentialDef,
    #[schema(value_type = Object)]
    record: Value,
    /// The quality profile: the definition judged against every quality standard of a
    /// trusted publisher, and its endorsements.
    #[schema(value_type = Object)]
    quality: Option<credreg_node::quality::QualityProfile>,
}

#[utoipa::path(get, path = "/api/v1/credentials/{id}", tag = "catalog",
    params(("id" = String, Path, description = "Record id")),
    responses((status = 200, body = DefinitionResponse), (status = 404, body = Problem)))]
async fn get_credential(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<DefinitionResponse>, Problem> {
    let e = state
        .node
        .definition(&id)?
        .ok_or_else(|| Problem::not_found(format!("There is no credential `{id}`.")))?;
    let node = state.node.clone();
    let lookup = id.clone();
    let quality = blocking(move || Ok(node.quality_profile(&lookup)?)).await?;
    Ok(Json(DefinitionResponse {
        id: e.id.clone(),
        issuer: e.issuer.clone(),
        issued: e.issued.clone(),
        definition: e.def.clone(),
        record: record_value(&e.record),
        quality,
    }))
}

#[utoipa::path(post, path = "/api/v1/stacks", tag = "catalog",
    request_body(content = Object, description = "name, description?, rule {kind: all_of | any_of, n}, credentials [ids], value?"),
    security(("bearer" = [])),
    responses((status = 201, body = PublishedResponse), (status = 422, body = Problem)))]
async fn publish_stack(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    caller.require(&[Role::Admin])?;
    let stack: Stack = parse_body(&body_bytes(body)?)?;
    let node = state.node.clone();
    let published = blocking(move || Ok(node.publish_stack(stack)?)).await?;
    let url = format!(
        "{}/api/v1/stacks/{}",
        state.node.settings().public_url,
        published.id
    );
    Ok(published_response(url, published))
}

/// A stack with its signed record.
#[derive(Serialize, ToSchema)]
struct StackResponse {
    id: String,
    issuer: String,
    issued: String,
    #[schema(value_type = Object)]
    stack: Stack,
    #[schema(value_type = Object)]
    record: Value,
}

#[utoipa::path(get, path = "/api/v1/stacks/{id}", tag = "catalog",
    params(("id" = String, Path, description = "Record id")),
    responses((status = 200, body = StackResponse), (status = 404, body = Problem)))]
async fn get_stack(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<StackResponse>, Problem> {
    let e = state
        .node
        .stack(&id)?
        .ok_or_else(|| Problem::not_found(format!("There is no stack `{id}`.")))?;
    Ok(Json(StackResponse {
        id: e.id.clone(),
        issuer: e.issuer.clone(),
        issued: e.issued.clone(),
        stack: e.stack.clone(),
        record: record_value(&e.record),
    }))
}

// ---- awards --------------------------------------------------------------------------------

#[utoipa::path(post, path = "/api/v1/awards", tag = "awards",
    request_body(content = Object, description = "{credential_id, recipient: {email, name?}, evidence: [{id, name?, description?}]}"),
    security(("bearer" = [])),
    responses((status = 201, description = "The signed OpenBadgeCredential"),
        (status = 422, body = Problem), (status = 503, description = "Open Badges context not installed", body = Problem)))]
async fn issue_award(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    caller.require(&[Role::Admin, Role::Reviewer])?;
    // Shape only here: the node checks fields and the catalog together, so every problem
    // (bad e-mail and unknown credential) is reported in one answer.
    let request: AwardRequest =
        credreg_model::read_json(&body_bytes(body)?).map_err(read_problem)?;
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
async fn get_award(
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
async fn get_award_bundle(
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
struct RevokeRequest {
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
struct RevokeResponse {
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
async fn revoke_award(
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
async fn get_status_list(
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
    request_body(content = Object, description = "A credential, a VerifiablePresentation, or {\"credentials\": [...]}"),
    responses((status = 200, description = "Per-credential verdicts with each check and a reason for every failure"),
        (status = 400, body = Problem)))]
async fn verify(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let bytes = body_bytes(body)?;
    let node = state.node.clone();
    let report = heavy(&state, move || {
        let value = parse_json_value(&bytes)?;
        node.verify(&value).map_err(Problem::malformed)
    })
    .await?;
    state.metrics.count_verifications(&report);
    Ok(Json(report).into_response())
}

// ---- log -----------------------------------------------------------------------------------

/// A signed checkpoint, with the exact message that was signed.
#[derive(Serialize, ToSchema)]
struct CheckpointResponse {
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
async fn log_checkpoint(
    State(state): State<AppState>,
    Path(issuer): Path<String>,
) -> Result<Json<CheckpointResponse>, Problem> {
    let cp = state
        .node
        .checkpoint(&issuer)?
        .ok_or_else(|| Problem::not_found(format!("This node holds no log for `{issuer}`.")))?;
    let signed = cp.to_signed().map_err(Problem::internal)?;
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
struct RangeParams {
    /// First index (default 0).
    from: Option<u64>,
    /// One past the last index (default: the log size; at most 256 entries per page).
    to: Option<u64>,
}

/// One log entry.
#[derive(Serialize, ToSchema)]
struct EntryJson {
    index: u64,
    /// The entry's exact bytes, base64 (standard alphabet, padded).
    data: String,
}

/// A page of entries.
#[derive(Serialize, ToSchema)]
struct EntriesResponse {
    size: u64,
    entries: Vec<EntryJson>,
}

#[utoipa::path(get, path = "/api/v1/log/{issuer}/entries", tag = "log",
    params(("issuer" = String, Path, description = "Issuer DID"), RangeParams),
    responses((status = 200, body = EntriesResponse), (status = 400, body = Problem), (status = 422, body = Problem)))]
async fn log_entries(
    State(state): State<AppState>,
    Path(issuer): Path<String>,
    params: Result<Query<RangeParams>, QueryRejection>,
) -> Result<Json<EntriesResponse>, Problem> {
    use base64::Engine as _;
    let Query(p) = params.map_err(|e| Problem::malformed(format!("Bad query string: {e}")))?;
    let node = state.node.clone();
    let issuer2 = issuer.clone();
    let (size, entries) = blocking(move || {
        let size = node
            .store()
            .log_size(&issuer2)
            .map_err(credreg_node::NodeError::from)?;
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
struct InclusionParams {
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
async fn log_inclusion(
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
struct ConsistencyParams {
    /// Older size (at least 1).
    from: u64,
    /// Newer size (default: the newest checkpoint's).
    to: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/log/{issuer}/proof/consistency", tag = "log",
    params(("issuer" = String, Path, description = "Issuer DID"), ConsistencyParams),
    responses((status = 200, description = "from, to, from_root, to_root, proof (hex)"),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn log_consistency(
    State(state): State<AppState>,
    Path(issuer): Path<String>,
    params: Result<Query<ConsistencyParams>, QueryRejection>,
) -> Result<Response, Problem> {
    let Query(p) = params.map_err(|e| Problem::malformed(format!("Bad query string: {e}")))?;
    let node = state.node.clone();
    let proof = blocking(move || Ok(node.consistency(&issuer, p.from, p.to)?)).await?;
    Ok(Json(proof).into_response())
}
