//! `/api/v1/credentials` and `/api/v1/stacks`: the catalog.

use crate::extract::{blocking, body_bytes, parse_body, Caller};
use crate::problem::Problem;
use crate::respond::{created_at, record_value};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::Json;
use credreg_model::{CredentialDef, Stack};
use credreg_node::{Role, SearchQuery};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// Search parameters.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct SearchParams {
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
pub(crate) struct DefinitionSummary {
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
    quality: credreg_node::value::quality::QualitySummary,
}

/// A page of search hits.
#[derive(Serialize, ToSchema)]
pub(crate) struct SearchResponse {
    total: usize,
    limit: usize,
    offset: usize,
    items: Vec<DefinitionSummary>,
}

#[utoipa::path(get, path = "/api/v1/credentials", tag = "catalog", params(SearchParams),
    responses((status = 200, body = SearchResponse), (status = 400, body = Problem),
        (status = 404, description = "`meets` names a quality standard this node does not hold", body = Problem)))]
pub(crate) async fn search_credentials(
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
        None => credreg_node::value::quality::SortBy::Relevance,
        Some(s) => credreg_node::value::quality::SortBy::parse(s).ok_or_else(|| {
            Problem::malformed(format!(
                "sort must be relevance, awards, endorsements, recognitions or name, not `{s}`"
            ))
        })?,
    };
    let filter = credreg_node::value::quality::QualityFilter {
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
    let credreg_node::value::quality::QualityPage { total, hits } =
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
pub(crate) struct PublishedResponse {
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
pub(crate) async fn publish_credential(
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
pub(crate) fn published_response(url: String, published: credreg_node::Published) -> Response {
    created_at(
        &url,
        Json(PublishedResponse {
            id: published.id,
            url: url.clone(),
            record: record_value(&published.bytes),
        }),
    )
}

/// A definition with its signed record.
#[derive(Serialize, ToSchema)]
pub(crate) struct DefinitionResponse {
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
    quality: Option<credreg_node::value::quality::QualityProfile>,
}

#[utoipa::path(get, path = "/api/v1/credentials/{id}", tag = "catalog",
    params(("id" = String, Path, description = "Record id")),
    responses((status = 200, body = DefinitionResponse), (status = 404, body = Problem)))]
pub(crate) async fn get_credential(
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
pub(crate) async fn publish_stack(
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
pub(crate) struct StackResponse {
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
pub(crate) async fn get_stack(
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
