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

/// A fresh incident id: the process start and a counter, enough to find one line in a log.
fn incident_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::OnceLock;
    static START: OnceLock<u64> = OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let start = *START.get_or_init(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    });
    format!("{start:x}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
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

    /// 500 `internal`. `cause` goes to the node's log under a fresh incident id; the answer
    /// carries only the id (the cause can name files, keys or internal state).
    pub fn internal(cause: impl Into<String>) -> Self {
        let incident = incident_id();
        tracing::error!(%incident, cause = %cause.into(), "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            format!(
                "The node could not answer this request; nothing was changed by the failure. Its log records the cause under incident {incident}."
            ),
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
            NodeError::Forbidden(msg) => {
                Problem::new(StatusCode::FORBIDDEN, "forbidden", "Not allowed", msg)
            }
            e @ NodeError::ContextMissing { .. } => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "context-missing",
                "A JSON-LD context is not installed",
                e.to_string(),
            ),
            NodeError::Store(ref s) if s.is_disk_full() => Problem::disk_full(),
            other => Problem::internal(other.to_string()),
        }
    }
}

impl Problem {
    /// 507: the disk is full. Nothing was stored (sled writes a transaction whole or not at
    /// all; an upload's temporary file is removed).
    pub fn disk_full() -> Self {
        tracing::error!("the disk is full: writes are refused until space is freed");
        Problem::new(
            StatusCode::INSUFFICIENT_STORAGE,
            "insufficient-storage",
            "The node's disk is full",
            "The node has no room to store this; nothing was changed. Its operator must free space.",
        )
    }

    /// 507 for a full disk, else an internal error (whose cause is logged, never sent).
    pub fn from_io(what: &str, e: &std::io::Error) -> Self {
        if credreg_node::is_disk_full(e) {
            Problem::disk_full()
        } else {
            Problem::internal(format!("{what}: {e}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_is_507_and_says_nothing_was_changed() {
        let full = std::io::Error::from_raw_os_error(28);
        let p = Problem::from(NodeError::Store(credreg_store::StoreError::Sled(
            sled::Error::Io(full),
        )));
        assert_eq!(p.status, StatusCode::INSUFFICIENT_STORAGE.as_u16());
        assert!(p.detail.contains("nothing was changed"));
        let p = Problem::from_io("writing evidence", &std::io::Error::from_raw_os_error(122));
        assert_eq!(p.status, 507);
        let p = Problem::from_io("writing evidence", &std::io::Error::other("bad sector"));
        assert_eq!(p.status, 500);
        assert!(!p.detail.contains("bad sector"), "causes stay in the log");
    }

    #[test]
    fn internal_errors_name_an_incident_not_their_cause() {
        let a = Problem::internal("sled: /srv/credreg/data/db/conf: permission denied");
        let b = Problem::internal("another");
        assert_eq!(a.status, 500);
        assert!(!a.detail.contains("/srv/credreg"), "{}", a.detail);
        assert!(a.detail.contains("incident"), "{}", a.detail);
        assert_ne!(a.detail, b.detail, "each failure gets its own incident id");
        let from_node = Problem::from(NodeError::Store(credreg_store::StoreError::Corrupt {
            tree: "records-2",
            detail: "bad bytes at key 0x00ff".into(),
        }));
        assert!(!from_node.detail.contains("0x00ff"), "{}", from_node.detail);
    }
}
