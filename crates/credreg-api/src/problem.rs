//! RFC 9457 problem details: every error the API returns, with a stable `type` per kind.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use credreg_model::FieldError;
use credreg_node::NodeError;
use serde::Serialize;

/// Prefix of every problem `type` (a URN: stable, never dereferenced).
pub const PROBLEM_PREFIX: &str = "urn:credreg:problem:";

/// An error response.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// `urn:credreg:problem:<kind>`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary of the kind.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What exactly went wrong, in one sentence.
    pub detail: String,
    /// Bad fields (for `invalid-input`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub errors: Vec<FieldError>,
}

impl Problem {
    /// A problem of `kind` with `status`.
    pub fn new(status: StatusCode, kind: &str, title: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("{PROBLEM_PREFIX}{kind}"),
            title: title.into(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    /// 400 `malformed-request`.
    pub fn malformed(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "malformed-request",
            "Malformed request",
            detail,
        )
    }

    /// 404 `not-found`.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }

    /// 401 `unauthorized`.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Authentication required",
            "This request changes the registry and needs `Authorization: Bearer <token>` with a valid token.",
        )
    }

    /// 403 `forbidden`.
    pub fn forbidden(role: &str, needed: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Not allowed for this role",
            format!("A {role} token cannot do this; it needs the {needed} role."),
        )
    }

    /// 500 `internal`.
    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            detail,
        )
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_else(|_| b"{}".to_vec());
        let mut res = (status, body).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        res
    }
}

impl From<NodeError> for Problem {
    fn from(e: NodeError) -> Self {
        match e {
            NodeError::Invalid(inv) => {
                let mut p = Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid-input",
                    "Invalid input",
                    inv.to_string(),
                );
                p.errors = inv.0;
                p
            }
            NodeError::NotFound { what, id } => {
                Problem::not_found(format!("There is no {what} `{id}`."))
            }
            NodeError::Conflict(msg) => Problem::new(
                StatusCode::CONFLICT,
                "conflict",
                "Conflict with current state",
                msg,
            ),
            e @ NodeError::ContextMissing { .. } => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "context-missing",
                "A JSON-LD context is not installed",
                e.to_string(),
            ),
            other => {
                tracing::error!(error = %other, "request failed");
                Problem::internal(other.to_string())
            }
        }
    }
}
