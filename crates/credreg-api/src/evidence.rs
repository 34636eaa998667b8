//! Evidence files: uploads streamed to disk (never held whole in memory), named by the
//! blake3 of their bytes, bounded in size, typed by their first bytes; served back only to the
//! teacher, the submission's reviewers and coordinators, and never as active content.

use crate::extract::blocking;
use crate::problem::Problem;
use crate::review::Person;
use crate::AppState;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use credreg_node::review::files::{CheckedFile, EvidenceFiles, UploadCheck, UploadError};
use credreg_node::review::EvidenceItem;
use futures::StreamExt;
use serde::Deserialize;
use std::path::PathBuf;
use tokio::io::AsyncWriteExt;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct UploadQuery {
    /// The file's name as the teacher knows it (1 to 200 characters).
    name: String,
}

/// Removes a half-written upload, whatever happens to the request.
struct TempFile(Option<PathBuf>);

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

fn problem(status: StatusCode, kind: &str, title: &str, detail: impl Into<String>) -> Problem {
    Problem::new(status, kind, title, detail.into())
}

#[utoipa::path(post, path = "/api/v1/submissions/{id}/files", tag = "review", security(("bearer" = [])),
    params(("id" = String, Path, description = "Submission id (a draft of the signed-in teacher)"), UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file's bytes"),
    responses((status = 201, description = "The draft, with the file as its newest item"),
        (status = 409, body = Problem), (status = 411, body = Problem), (status = 413, body = Problem),
        (status = 415, description = "Not a document, image, audio or video file", body = Problem),
        (status = 422, body = Problem), (status = 503, body = Problem)))]
pub(crate) async fn upload_file(
    State(state): State<AppState>,
    Person(actor): Person,
    Path(id): Path<String>,
    query: Result<Query<UploadQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    let Query(q) = query.map_err(|e| Problem::malformed(format!("Bad query string: {e}")))?;
    let files = state.evidence.clone().ok_or_else(|| {
        problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "no-evidence-store",
            "Uploads are off",
            "This node has no evidence directory.",
        )
    })?;
    let declared: Option<u64> = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let Some(declared) = declared else {
        return Err(problem(
            StatusCode::LENGTH_REQUIRED,
            "length-required",
            "Length required",
            "Send the file with a Content-Length, so a cut-off upload can be told from a whole one.",
        ));
    };
    if declared > files.limit() {
        return Err(too_large(files.limit()));
    }
    // Refuse before a byte is written: only the teacher's own draft takes files.
    {
        let (node, actor, id) = (state.node.clone(), actor.clone(), id.clone());
        blocking(move || Ok(node.may_upload(&actor, &id)?)).await?;
    }
    let CheckedFile {
        digest,
        media_type,
        size,
    } = store_stream(&files, body, declared).await?;
    let node = state.node.clone();
    let (name, digest2, media2) = (q.name, digest.clone(), media_type.to_owned());
    let attached =
        blocking(move || Ok(node.attach_file(&actor, &id, &name, &digest2, &media2, size)?)).await;
    match attached {
        Ok(view) => Ok((StatusCode::CREATED, Json(view)).into_response()),
        Err(e) => {
            // Nothing left behind: the file goes unless another submission already names it.
            let node = state.node.clone();
            let d = digest.clone();
            if let Ok(false) = blocking(move || Ok(node.evidence_file_in_use(&d)?)).await {
                let _ = tokio::fs::remove_file(files.dir().join(&digest)).await;
            }
            Err(e)
        }
    }
}

fn too_large(limit: u64) -> Problem {
    problem(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload-too-large",
        "File too large",
        format!("A file may be at most {} MiB.", limit / (1024 * 1024)),
    )
}

/// Streams `body` into the evidence directory under its blake3: a temporary file first
/// (removed on any failure), checked for size, length and type as it arrives, then renamed
/// into place.
async fn store_stream(
    files: &EvidenceFiles,
    body: Body,
    declared: u64,
) -> Result<CheckedFile, Problem> {
    tokio::fs::create_dir_all(files.dir())
        .await
        .map_err(|e| Problem::from_io("evidence directory", &e))?;
    let temp_path = files.temp_path();
    let mut temp = TempFile(Some(temp_path.clone()));
    let mut file = tokio::fs::File::create(&temp_path)
        .await
        .map_err(|e| Problem::from_io("evidence file", &e))?;
    let mut check = UploadCheck::new(files.limit(), Some(declared)).map_err(upload_problem)?;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            let timed_out = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<tower_http::timeout::TimeoutError>());
            if timed_out {
                problem(
                    StatusCode::REQUEST_TIMEOUT,
                    "request-timeout",
                    "Request timed out",
                    "The file did not arrive in time.",
                )
            } else {
                Problem::malformed(format!("The upload broke off: {e}."))
            }
        })?;
        check.feed(&chunk).map_err(upload_problem)?;
        file.write_all(&chunk)
            .await
            .map_err(|e| Problem::from_io("writing evidence", &e))?;
    }
    let checked = check.finish().map_err(upload_problem)?;
    file.sync_all()
        .await
        .map_err(|e| Problem::from_io("writing evidence", &e))?;
    drop(file);
    let (files2, temp2, checked2) = (files.clone(), temp_path.clone(), checked.clone());
    blocking(move || {
        files2
            .commit(&temp2, &checked2.digest)
            .map_err(|e| Problem::internal(format!("storing evidence: {e}")))
    })
    .await?;
    temp.0 = None;
    Ok(checked)
}

/// The answer for a refused upload.
fn upload_problem(e: UploadError) -> Problem {
    match e {
        UploadError::TooLarge { limit } => too_large(limit),
        UploadError::LongerThanDeclared | UploadError::CutOff { .. } => {
            Problem::malformed(format!("{}.", crate::extract::capitalized(&e.to_string())))
        }
        UploadError::Empty => problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-input",
            "Invalid input",
            "The file is empty.",
        ),
        UploadError::Unsupported => problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported file type",
            "Evidence may be a PDF, an office document, plain text, an image, audio or video.",
        ),
    }
}

/// Serves an item: JSON, or a file as a download (never rendered: `attachment`, `nosniff`, a
/// sandboxing CSP).
async fn serve_item(state: &AppState, item: EvidenceItem) -> Result<Response, Problem> {
    let EvidenceItem::File {
        name, digest, size, ..
    } = &item
    else {
        return Ok((StatusCode::OK, Json(item)).into_response());
    };
    let path = state
        .evidence
        .as_ref()
        .and_then(|f| f.path(digest))
        .ok_or_else(|| Problem::internal("no evidence directory"))?;
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|e| Problem::internal(format!("evidence file {digest}: {e}")))?;
    let stream = tokio_util::io::ReaderStream::with_capacity(file, 64 * 1024);
    let mut res = Response::new(Body::from_stream(stream));
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(*size));
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_ ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    Ok(res)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ShareQuery {
    /// A share token the teacher granted (from the mail answering an access request).
    #[serde(default)]
    share: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/submissions/{id}/evidence/{index}", tag = "review", security((), ("bearer" = [])),
    params(("id" = String, Path, description = "Submission id"), ("index" = usize, Path, description = "Item, from 0"), ShareQuery),
    responses((status = 200, description = "The evidence item, or the file as a download: for its teacher and coordinators, or with a share token the teacher granted"),
        (status = 303, description = "A browser (Accept: text/html) without a session or share token is sent to the page where it can ask the teacher"),
        (status = 403, description = "Private: ask the teacher (POST .../access-requests)", body = Problem)))]
pub(crate) async fn get_evidence(
    State(state): State<AppState>,
    person: Result<Person, Problem>,
    Path((id, index)): Path<(String, usize)>,
    query: Result<Query<ShareQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let Query(q) = query.map_err(|e| Problem::malformed(format!("Bad query string: {e}")))?;
    // Someone who followed the badge's evidence link in a browser gets the page that asks
    // the teacher, not a JSON error.
    let browser = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    let plain_id = !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if browser && q.share.is_none() && person.is_err() && plain_id {
        return Ok(
            axum::response::Redirect::to(&format!("/evidence/{id}/{index}")).into_response(),
        );
    }
    let node = state.node.clone();
    let item = blocking(move || match (q.share, person) {
        (Some(token), _) => Ok(node.shared_evidence(&id, index, &token)?),
        (None, Ok(Person(actor))) => {
            let s = node.submission(&actor, &id)?;
            s.items.get(index).cloned().ok_or_else(|| {
                Problem::not_found(format!("Submission `{id}` has no evidence item {index}."))
            })
        }
        (None, Err(_)) => Err(Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "This evidence is private",
            format!("Its teacher shares it on request: POST /api/v1/submissions/{id}/evidence/{index}/access-requests with your name, e-mail and reason."),
        )),
    })
    .await?;
    serve_item(&state, item).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccessAsk {
    name: String,
    email: String,
    reason: String,
}

#[utoipa::path(post, path = "/api/v1/submissions/{id}/evidence/{index}/access-requests", tag = "review",
    params(("id" = String, Path, description = "Submission id"), ("index" = usize, Path, description = "Item, from 0")),
    request_body(content = Object, description = "{name, email, reason}"),
    responses((status = 202, description = "The teacher is asked; a share link is mailed if they grant it"), (status = 409, body = Problem)))]
pub(crate) async fn request_access(
    State(state): State<AppState>,
    Path((id, index)): Path<(String, usize)>,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, Problem> {
    let ask: AccessAsk = credreg_model::read_json(&crate::extract::body_bytes(body)?)
        .map_err(crate::extract::read_problem)?;
    let node = state.node.clone();
    blocking(move || {
        Ok(node.request_evidence_access(&id, index, &ask.name, &ask.email, &ask.reason)?)
    })
    .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({"detail": "The teacher is asked; if they agree, a link is mailed to you."})),
    )
        .into_response())
}

#[utoipa::path(get, path = "/api/v1/submissions/{id}/access-requests", tag = "review", security(("bearer" = [])),
    params(("id" = String, Path, description = "Submission id")),
    responses((status = 200, description = "Requests to see the evidence (its teacher and coordinators)")))]
pub(crate) async fn list_access_requests(
    State(state): State<AppState>,
    Person(actor): Person,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let node = state.node.clone();
    let list = blocking(move || Ok(node.evidence_access_requests(&actor, &id)?)).await?;
    Ok((
        StatusCode::OK,
        Json(serde_json::json!({ "requests": list })),
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccessDecision {
    grant: bool,
}

#[utoipa::path(post, path = "/api/v1/submissions/{id}/access-requests/{request}/decision", tag = "review", security(("bearer" = [])),
    params(("id" = String, Path, description = "Submission id"), ("request" = String, Path, description = "Request id")),
    request_body(content = Object, description = "{grant: bool}"),
    responses((status = 200, description = "The answered request; on a grant, the asker is mailed a share link valid seven days"), (status = 409, body = Problem)))]
pub(crate) async fn decide_access(
    State(state): State<AppState>,
    Person(actor): Person,
    Path((id, request)): Path<(String, String)>,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, Problem> {
    let d: AccessDecision = credreg_model::read_json(&crate::extract::body_bytes(body)?)
        .map_err(crate::extract::read_problem)?;
    let node = state.node.clone();
    let answered =
        blocking(move || Ok(node.decide_evidence_access(&actor, &id, &request, d.grant)?)).await?;
    Ok((StatusCode::OK, Json(answered)).into_response())
}

#[utoipa::path(get, path = "/api/v1/reviews/{id}/evidence/{index}", tag = "review", security(("bearer" = [])),
    params(("id" = String, Path, description = "Review id"), ("index" = usize, Path, description = "Item, from 0")),
    responses((status = 200, description = "The evidence item, or the file as a download, for the review's reviewer")))]
pub(crate) async fn get_review_evidence(
    State(state): State<AppState>,
    Person(actor): Person,
    Path((id, index)): Path<(String, usize)>,
) -> Result<Response, Problem> {
    let node = state.node.clone();
    let item = blocking(move || Ok(node.review_evidence(&actor, &id, index)?)).await?;
    serve_item(&state, item).await
}
