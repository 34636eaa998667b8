//! Extractors and helpers shared by the handlers: the caller's role from its bearer token,
//! bodies read with their limits and deadline, JSON parsed once, blocking and heavy work off
//! the runtime.

use crate::problem::Problem;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use credreg_node::Role;
use serde_json::Value;

/// The caller's role, from `Authorization: Bearer <token>`.
pub(crate) struct Caller(Role);

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let token = bearer(parts)?;
        let node = state.node.clone();
        let role = blocking(move || Ok(node.role_for_token(&token)?)).await?;
        role.map(Caller).ok_or_else(Problem::unauthorized)
    }
}

/// The request's bearer token (401 without one).
pub(crate) fn bearer(parts: &Parts) -> Result<String, Problem> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer_token)
        .map(str::to_owned)
        .ok_or_else(Problem::unauthorized)
}

/// The token of an `Authorization: Bearer <token>` value; the scheme is case-insensitive
/// (RFC 9110 section 11.1).
pub(crate) fn bearer_token(value: &str) -> Option<&str> {
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
pub(crate) fn is_timeout(rejection: &BytesRejection) -> bool {
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

pub(crate) fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// A body that could not be read: syntax errors are 400, field errors 422.
pub(crate) fn read_problem(e: credreg_model::ReadError) -> Problem {
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
