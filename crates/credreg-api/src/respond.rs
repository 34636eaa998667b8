//! Responders shared by the handlers: exact stored bytes as JSON, `201 Created` with a
//! `Location`, and the record envelope.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

pub(crate) fn json_bytes(status: StatusCode, bytes: Vec<u8>) -> Response {
    let mut res = (status, bytes).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}

pub(crate) fn record_value(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or(Value::Null)
}

pub(crate) fn created_at(location: &str, body: impl IntoResponse) -> Response {
    let mut res = (StatusCode::CREATED, body).into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// A published record (membership or quality standard).
#[derive(Serialize, ToSchema)]
pub(crate) struct RecordResponse {
    /// Record id.
    pub(crate) id: String,
    /// The signed record.
    #[schema(value_type = Object)]
    pub(crate) record: serde_json::Value,
}

/// 201 with a published record's id and its signed JSON.
pub(crate) fn record_created(
    published: credreg_node::Published,
) -> (StatusCode, Json<RecordResponse>) {
    (
        StatusCode::CREATED,
        Json(RecordResponse {
            id: published.id,
            record: serde_json::from_slice(&published.bytes).unwrap_or_default(),
        }),
    )
}
