//! Evidence review over HTTP: people, sign-in and sessions, pre-approval, submissions,
//! reviews, figures and the outbox. Every handler names who is asking ([`Person`]) and
//! the node enforces what they may do; a teacher sees only their own submissions, a reviewer
//! only what is assigned to them.

use crate::extract::{bearer, blocking, body_bytes, read_problem};
use crate::problem::Problem;
use crate::respond::record_created;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use credreg_node::review::{Actor, CriterionScore, EvidenceItem, NewPerson};
use credreg_node::Role;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Who is asking: a signed-in person (session token `crs_...`) or the operator (an admin
/// token, which acts as a coordinator).
pub(crate) struct Person(pub(crate) Actor);

impl FromRequestParts<AppState> for Person {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let token = bearer(parts)?;
        let node = state.node.clone();
        let actor = blocking(move || {
            if token.starts_with("crs_") {
                return Ok(node.session_actor(&token)?);
            }
            Ok(match node.role_for_token(&token)? {
                Some(Role::Admin) => Some(Actor::Operator),
                Some(_) => {
                    return Err(Problem::forbidden(
                        "reviewer",
                        "a person's session (sign in) or admin",
                    ))
                }
                None => None,
            })
        })
        .await?;
        actor.map(Person).ok_or_else(Problem::unauthorized)
    }
}

fn json<T: DeserializeOwned>(body: Result<Bytes, BytesRejection>) -> Result<T, Problem> {
    credreg_model::read_json(&body_bytes(body)?).map_err(read_problem)
}

fn ok<T: Serialize>(status: StatusCode, value: T) -> Response {
    (status, Json(value)).into_response()
}

// ---- people ----

#[utoipa::path(post, path = "/api/v1/people", tag = "people",
    request_body(content = Object, description = "{name, email, school?, roles: [teacher|reviewer|coordinator|curator]}"),
    security(("bearer" = [])),
    responses((status = 201, description = "The person; a sign-in code is mailed to them"),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn invite_person(
    State(state): State<AppState>,
    Person(actor): Person,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let new: NewPerson = json(body)?;
    let node = state.node.clone();
    let p = blocking(move || Ok(node.invite_person(&actor, new)?)).await?;
    Ok(ok(StatusCode::CREATED, p))
}

#[utoipa::path(get, path = "/api/v1/people", tag = "people", security(("bearer" = [])),
    responses((status = 200, description = "Everyone (coordinators)")))]
pub(crate) async fn list_people(
    State(state): State<AppState>,
    Person(actor): Person,
) -> Result<Response, Problem> {
    let node = state.node.clone();
    let people = blocking(move || Ok(node.people(&actor)?)).await?;
    Ok(ok(StatusCode::OK, serde_json::json!({ "people": people })))
}

#[utoipa::path(get, path = "/api/v1/people/{id}", tag = "people", security(("bearer" = [])),
    params(("id" = String, Path, description = "Person id")),
    responses((status = 200, description = "The person (themself or a coordinator)")))]
pub(crate) async fn get_person(
    State(state): State<AppState>,
    Person(actor): Person,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let node = state.node.clone();
    let p = blocking(move || Ok(node.person(&actor, &id)?)).await?;
    Ok(ok(StatusCode::OK, p))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Calibration {
    credential_id: String,
    calibrated: bool,
}

#[utoipa::path(post, path = "/api/v1/people/{id}/calibrations", tag = "people", security(("bearer" = [])),
    params(("id" = String, Path, description = "Reviewer's person id")),
    request_body(content = Object, description = "{credential_id, calibrated: bool}"),
    responses((status = 200, description = "The reviewer"), (status = 422, body = Problem)))]
pub(crate) async fn set_calibration(
    State(state): State<AppState>,
    Person(actor): Person,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let c: Calibration = json(body)?;
    let node = state.node.clone();
    let p =
        blocking(move || Ok(node.set_calibrated(&actor, &id, &c.credential_id, c.calibrated)?))
            .await?;
    Ok(ok(StatusCode::OK, p))
}

#[utoipa::path(post, path = "/api/v1/people/roster", tag = "people",
    request_body(content = String, content_type = "text/csv", description = "A header row `name,email,school,roles`, then one person per row; roles separated by `;` (teacher, reviewer, coordinator, curator)"),
    security(("bearer" = [])),
    responses((status = 201, description = "Everyone invited (each is mailed a sign-in code); nothing is stored if any row is wrong"),
        (status = 422, body = Problem)))]
pub(crate) async fn invite_roster(
    State(state): State<AppState>,
    Person(actor): Person,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let bytes = body_bytes(body)?;
    let rows = roster_rows(&bytes)?;
    let node = state.node.clone();
    let people = blocking(move || Ok(node.invite_roster(&actor, rows)?)).await?;
    Ok(ok(
        StatusCode::CREATED,
        serde_json::json!({ "people": people }),
    ))
}

/// Reads a roster (see [`credreg_node::review::roster`]).
fn roster_rows(bytes: &[u8]) -> Result<Vec<NewPerson>, Problem> {
    use credreg_node::review::roster::{parse_roster, RosterError};
    parse_roster(bytes).map_err(|e| match e {
        RosterError::Malformed(m) => Problem::malformed(m),
        RosterError::Invalid(m) => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-input",
            "Invalid input",
            m,
        ),
    })
}

// ---- sign-in and sessions ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignInRequest {
    email: String,
}

#[utoipa::path(post, path = "/api/v1/sign-in", tag = "people",
    request_body(content = Object, description = "{email}"),
    responses((status = 202, description = "If the address belongs to someone, a single-use sign-in code (15 minutes) is mailed to it. The answer is the same either way.")))]
pub(crate) async fn request_sign_in(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let r: SignInRequest = json(body)?;
    let node = state.node.clone();
    blocking(move || Ok(node.request_sign_in(&r.email)?)).await?;
    Ok(ok(
        StatusCode::ACCEPTED,
        serde_json::json!({"detail": "If this address has an account here, a sign-in code is on its way."}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionRequest {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/sessions", tag = "people",
    request_body(content = Object, description = "{code} (from the sign-in mail) or {email, password}"),
    responses((status = 201, description = "{token, session}: the token is shown once"),
        (status = 403, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn open_session(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let r: SessionRequest = json(body)?;
    let node = state.node.clone();
    let (token, session) = blocking(move || match (r.code, r.email, r.password) {
        (Some(code), None, None) => Ok(node.sign_in_with_link(&code)?),
        (None, Some(email), Some(password)) => Ok(node.sign_in_with_password(&email, &password)?),
        _ => Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-input",
            "Invalid input",
            "Give either `code`, or `email` and `password`.",
        )),
    })
    .await?;
    Ok(ok(
        StatusCode::CREATED,
        serde_json::json!({"token": token, "session": session}),
    ))
}

#[utoipa::path(get, path = "/api/v1/sessions", tag = "people", security(("bearer" = [])),
    responses((status = 200, description = "The signed-in person's open sessions")))]
pub(crate) async fn list_sessions(
    State(state): State<AppState>,
    Person(actor): Person,
) -> Result<Response, Problem> {
    let node = state.node.clone();
    let sessions = blocking(move || {
        let me = actor
            .person()
            .ok_or_else(|| {
                Problem::malformed("The operator has no sessions; sign in as a person.")
            })?
            .to_owned();
        Ok(node.sessions(&actor, &me)?)
    })
    .await?;
    Ok(ok(
        StatusCode::OK,
        serde_json::json!({ "sessions": sessions }),
    ))
}

#[utoipa::path(delete, path = "/api/v1/sessions/{id}", tag = "people", security(("bearer" = [])),
    params(("id" = String, Path, description = "Session id (12 hex digits)")),
    responses((status = 204, description = "Ended"), (status = 404, body = Problem)))]
pub(crate) async fn end_session(
    State(state): State<AppState>,
    Person(actor): Person,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let node = state.node.clone();
    let id2 = id.clone();
    let ended = blocking(move || Ok(node.revoke_session(&actor, &id2)?)).await?;
    if ended {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(Problem::not_found(format!("There is no session `{id}`.")))
    }
}

#[utoipa::path(post, path = "/api/v1/me/emails", tag = "people", security(("bearer" = [])),
    request_body(content = Object, description = "{email}"),
    responses((status = 202, description = "A verification code is mailed to the address"),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn add_email(
    State(state): State<AppState>,
    Person(actor): Person,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let r: SignInRequest = json(body)?;
    let node = state.node.clone();
    blocking(move || Ok(node.add_email(&actor, &r.email)?)).await?;
    Ok(ok(
        StatusCode::ACCEPTED,
        serde_json::json!({"detail": "A verification code is on its way to the address."}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeRequest {
    code: String,
}

#[utoipa::path(post, path = "/api/v1/email-verifications", tag = "people",
    request_body(content = Object, description = "{code}"),
    responses((status = 200, description = "The person, with the address verified"), (status = 403, body = Problem)))]
pub(crate) async fn verify_email(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let r: CodeRequest = json(body)?;
    let node = state.node.clone();
    let p = blocking(move || Ok(node.verify_email(&r.code)?)).await?;
    Ok(ok(StatusCode::OK, p))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordRequest {
    password: String,
}

#[utoipa::path(post, path = "/api/v1/me/password", tag = "people", security(("bearer" = [])),
    request_body(content = Object, description = "{password} (12 characters or more)"),
    responses((status = 204, description = "Set"), (status = 422, body = Problem)))]
pub(crate) async fn set_password(
    State(state): State<AppState>,
    Person(actor): Person,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let r: PasswordRequest = json(body)?;
    let node = state.node.clone();
    blocking(move || Ok(node.set_password(&actor, &r.password)?)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ---- pre-approval ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PreApprovalRequest {
    credential_id: String,
    #[serde(default)]
    plan: String,
}

#[utoipa::path(post, path = "/api/v1/pre-approvals", tag = "review", security(("bearer" = [])),
    request_body(content = Object, description = "{credential_id, plan?}"),
    responses((status = 201, description = "The request"), (status = 409, body = Problem)))]
pub(crate) async fn request_pre_approval(
    State(state): State<AppState>,
    Person(actor): Person,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let r: PreApprovalRequest = json(body)?;
    let node = state.node.clone();
    let a =
        blocking(move || Ok(node.request_pre_approval(&actor, &r.credential_id, &r.plan)?)).await?;
    Ok(ok(StatusCode::CREATED, a))
}

#[utoipa::path(get, path = "/api/v1/pre-approvals", tag = "review", security(("bearer" = [])),
    responses((status = 200, description = "A teacher's own requests; every one for a coordinator")))]
pub(crate) async fn list_pre_approvals(
    State(state): State<AppState>,
    Person(actor): Person,
) -> Result<Response, Problem> {
    let node = state.node.clone();
    let list = blocking(move || Ok(node.pre_approvals(&actor)?)).await?;
    Ok(ok(
        StatusCode::OK,
        serde_json::json!({ "pre_approvals": list }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PreApprovalDecision {
    approve: bool,
    #[serde(default)]
    note: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/pre-approvals/{id}/decision", tag = "review", security(("bearer" = [])),
    params(("id" = String, Path, description = "Request id")),
    request_body(content = Object, description = "{approve: bool, note?} (a decline needs a note)"),
    responses((status = 200, description = "The decided request"), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn decide_pre_approval(
    State(state): State<AppState>,
    Person(actor): Person,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let r: PreApprovalDecision = json(body)?;
    let node = state.node.clone();
    let a = blocking(move || {
        Ok(node.decide_pre_approval(&actor, &id, r.approve, r.note.as_deref())?)
    })
    .await?;
    Ok(ok(StatusCode::OK, a))
}

// ---- submissions ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StartRequest {
    credential_id: String,
    #[serde(default)]
    previous: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/submissions", tag = "review", security(("bearer" = [])),
    request_body(content = Object, description = "{credential_id, previous?} (previous: the \"not yet\" submission this answers)"),
    responses((status = 201, description = "The draft"), (status = 409, body = Problem)))]
pub(crate) async fn start_submission(
    State(state): State<AppState>,
    Person(actor): Person,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let r: StartRequest = json(body)?;
    let node = state.node.clone();
    let s = blocking(move || {
        Ok(node.start_submission(&actor, &r.credential_id, r.previous.as_deref())?)
    })
    .await?;
    Ok(ok(StatusCode::CREATED, s))
}

#[utoipa::path(get, path = "/api/v1/submissions", tag = "review", security(("bearer" = [])),
    responses((status = 200, description = "A teacher's own submissions; every one for a coordinator")))]
pub(crate) async fn list_submissions(
    State(state): State<AppState>,
    Person(actor): Person,
) -> Result<Response, Problem> {
    let node = state.node.clone();
    let list = blocking(move || Ok(node.submissions(&actor)?)).await?;
    Ok(ok(
        StatusCode::OK,
        serde_json::json!({ "submissions": list }),
    ))
}

#[utoipa::path(get, path = "/api/v1/submissions/{id}", tag = "review", security(("bearer" = [])),
    params(("id" = String, Path, description = "Submission id")),
    responses((status = 200, description = "The submission, with its decision and feedback")))]
pub(crate) async fn get_submission(
    State(state): State<AppState>,
    Person(actor): Person,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let node = state.node.clone();
    let s = blocking(move || Ok(node.submission(&actor, &id)?)).await?;
    Ok(ok(StatusCode::OK, s))
}

#[utoipa::path(get, path = "/api/v1/submissions/{id}/record", tag = "review", security(("bearer" = [])),
    params(("id" = String, Path, description = "Submission id")),
    responses((status = 200, description = "The whole record with its history (coordinators)")))]
pub(crate) async fn get_submission_record(
    State(state): State<AppState>,
    Person(actor): Person,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let node = state.node.clone();
    let s = blocking(move || Ok(node.submission_record(&actor, &id)?)).await?;
    Ok(ok(StatusCode::OK, s))
}

#[utoipa::path(post, path = "/api/v1/submissions/{id}/items", tag = "review", security(("bearer" = [])),
    params(("id" = String, Path, description = "Submission id")),
    request_body(content = Object, description = "{kind: link, url, name} | {kind: answer, question, text} | {kind: reflection, text}"),
    responses((status = 200, description = "The draft"), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn add_item(
    State(state): State<AppState>,
    Person(actor): Person,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let item: EvidenceItem = json(body)?;
    let node = state.node.clone();
    let s = blocking(move || Ok(node.add_evidence(&actor, &id, item)?)).await?;
    Ok(ok(StatusCode::OK, s))
}

#[utoipa::path(delete, path = "/api/v1/submissions/{id}/items/{index}", tag = "review", security(("bearer" = [])),
    params(("id" = String, Path, description = "Submission id"), ("index" = usize, Path, description = "Item, from 0")),
    responses((status = 200, description = "The draft"), (status = 409, body = Problem)))]
pub(crate) async fn remove_item(
    State(state): State<AppState>,
    Person(actor): Person,
    Path((id, index)): Path<(String, usize)>,
) -> Result<Response, Problem> {
    let node = state.node.clone();
    let s = blocking(move || Ok(node.remove_evidence(&actor, &id, index)?)).await?;
    Ok(ok(StatusCode::OK, s))
}

#[utoipa::path(post, path = "/api/v1/submissions/{id}/submit", tag = "review", security(("bearer" = [])),
    params(("id" = String, Path, description = "Submission id")),
    responses((status = 200, description = "Submitted: reviewers are assigned"), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn submit(
    State(state): State<AppState>,
    Person(actor): Person,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let node = state.node.clone();
    let s = blocking(move || Ok(node.submit(&actor, &id)?)).await?;
    Ok(ok(StatusCode::OK, s))
}

#[utoipa::path(post, path = "/api/v1/submissions/{id}/withdraw", tag = "review", security(("bearer" = [])),
    params(("id" = String, Path, description = "Submission id")),
    responses((status = 200, description = "Withdrawn"), (status = 409, body = Problem)))]
pub(crate) async fn withdraw(
    State(state): State<AppState>,
    Person(actor): Person,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let node = state.node.clone();
    let s = blocking(move || Ok(node.withdraw(&actor, &id)?)).await?;
    Ok(ok(StatusCode::OK, s))
}

// ---- reviews ----

#[utoipa::path(get, path = "/api/v1/reviews", tag = "review", security(("bearer" = [])),
    responses((status = 200, description = "The signed-in reviewer's open reviews, oldest due first")))]
pub(crate) async fn review_queue(
    State(state): State<AppState>,
    Person(actor): Person,
) -> Result<Response, Problem> {
    let node = state.node.clone();
    let list = blocking(move || Ok(node.review_queue(&actor)?)).await?;
    Ok(ok(StatusCode::OK, serde_json::json!({ "reviews": list })))
}

#[utoipa::path(get, path = "/api/v1/reviews/{id}", tag = "review", security(("bearer" = [])),
    params(("id" = String, Path, description = "Review id")),
    responses((status = 200, description = "The review, blind as the policy says")))]
pub(crate) async fn get_review(
    State(state): State<AppState>,
    Person(actor): Person,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let node = state.node.clone();
    let r = blocking(move || Ok(node.review(&actor, &id)?)).await?;
    Ok(ok(StatusCode::OK, r))
}

#[utoipa::path(get, path = "/api/v1/reviews/pool", tag = "review", security(("bearer" = [])),
    responses((status = 200, description = "Pooled submissions the signed-in reviewer may claim, oldest first")))]
pub(crate) async fn review_pool(
    State(state): State<AppState>,
    Person(actor): Person,
) -> Result<Response, Problem> {
    let node = state.node.clone();
    let list = blocking(move || Ok(node.review_pool(&actor)?)).await?;
    Ok(ok(StatusCode::OK, serde_json::json!({ "pool": list })))
}

#[utoipa::path(post, path = "/api/v1/submissions/{id}/claim", tag = "review", security(("bearer" = [])),
    params(("id" = String, Path, description = "Submission id")),
    responses((status = 201, description = "The review, now the signed-in reviewer's"), (status = 409, body = Problem)))]
pub(crate) async fn claim(
    State(state): State<AppState>,
    Person(actor): Person,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let node = state.node.clone();
    let view = blocking(move || Ok(node.claim(&actor, &id)?)).await?;
    Ok(ok(StatusCode::CREATED, view))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScoresRequest {
    scores: Vec<CriterionScore>,
}

#[utoipa::path(post, path = "/api/v1/reviews/{id}/scores", tag = "review", security(("bearer" = [])),
    params(("id" = String, Path, description = "Review id")),
    request_body(content = Object, description = "{scores: [{level, comment?}]}, one per rubric criterion in order"),
    responses((status = 200, description = "The review; the decision (and award) follow when the reviews are in"),
        (status = 409, body = Problem), (status = 422, body = Problem), (status = 503, body = Problem)))]
pub(crate) async fn score_review(
    State(state): State<AppState>,
    Person(actor): Person,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let r: ScoresRequest = json(body)?;
    let node = state.node.clone();
    let view = blocking(move || Ok(node.score(&actor, &id, r.scores)?)).await?;
    Ok(ok(StatusCode::OK, view))
}

#[utoipa::path(post, path = "/api/v1/reviews/reassign-overdue", tag = "review", security(("bearer" = [])),
    responses((status = 200, description = "{reassigned: n} (coordinators; the node also does this every few minutes)")))]
pub(crate) async fn reassign_overdue(
    State(state): State<AppState>,
    Person(actor): Person,
) -> Result<Response, Problem> {
    let node = state.node.clone();
    let n = blocking(move || {
        if !actor.is_coordinator() {
            return Err(Problem::forbidden("teacher or reviewer", "coordinator"));
        }
        Ok(node.reassign_overdue()?)
    })
    .await?;
    Ok(ok(StatusCode::OK, serde_json::json!({ "reassigned": n })))
}

// ---- calibration ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CalibrationSetRequest {
    min_agreement_percent: u8,
    samples: Vec<credreg_node::review::CalibrationSample>,
}

#[utoipa::path(put, path = "/api/v1/credentials/{id}/calibration-set", tag = "review", security(("bearer" = [])),
    params(("id" = String, Path, description = "Credential id")),
    request_body(content = Object, description = "{min_agreement_percent, samples: [{items: [...], reference: [level per criterion]}]}"),
    responses((status = 204, description = "Set (coordinators)"), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn set_calibration_set(
    State(state): State<AppState>,
    Person(actor): Person,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let r: CalibrationSetRequest = json(body)?;
    let node = state.node.clone();
    blocking(move || {
        Ok(node.set_calibration_set(
            &actor,
            credreg_node::review::CalibrationSet {
                credential_id: id,
                min_agreement_percent: r.min_agreement_percent,
                samples: r.samples,
            },
        )?)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(get, path = "/api/v1/credentials/{id}/calibration-set", tag = "review", security(("bearer" = [])),
    params(("id" = String, Path, description = "Credential id")),
    responses((status = 200, description = "The samples to score, without their reference levels"), (status = 409, body = Problem)))]
pub(crate) async fn get_calibration_set(
    State(state): State<AppState>,
    Person(actor): Person,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let node = state.node.clone();
    let v = blocking(move || Ok(node.calibration_set(&actor, &id)?)).await?;
    Ok(ok(StatusCode::OK, v))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CalibrationAttempt {
    levels: Vec<Vec<usize>>,
}

#[utoipa::path(post, path = "/api/v1/credentials/{id}/calibration-attempts", tag = "review", security(("bearer" = [])),
    params(("id" = String, Path, description = "Credential id")),
    request_body(content = Object, description = "{levels: [[level per criterion] per sample]}"),
    responses((status = 200, description = "{agreement, calibrated, samples_matched}"), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn attempt_calibration(
    State(state): State<AppState>,
    Person(actor): Person,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let r: CalibrationAttempt = json(body)?;
    let node = state.node.clone();
    let result = blocking(move || Ok(node.attempt_calibration(&actor, &id, r.levels)?)).await?;
    Ok(ok(StatusCode::OK, result))
}

// ---- figures and outbox ----

#[utoipa::path(get, path = "/api/v1/credentials/{id}/review-figures", tag = "review", security(("bearer" = [])),
    params(("id" = String, Path, description = "Credential id")),
    responses((status = 200, description = "Statistics and per-reviewer figures (coordinators)"), (status = 409, body = Problem)))]
pub(crate) async fn review_figures(
    State(state): State<AppState>,
    Person(actor): Person,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let node = state.node.clone();
    let f = blocking(move || Ok(node.review_figures(&actor, &id)?)).await?;
    Ok(ok(StatusCode::OK, f))
}

#[utoipa::path(post, path = "/api/v1/credentials/{id}/review-statistics", tag = "review", security(("bearer" = [])),
    params(("id" = String, Path, description = "Credential id")),
    responses((status = 201, description = "The signed ReviewStatistics record (no personal data)"), (status = 409, body = Problem)))]
pub(crate) async fn publish_review_statistics(
    State(state): State<AppState>,
    Person(actor): Person,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let node = state.node.clone();
    let published = blocking(move || Ok(node.publish_review_statistics(&actor, &id)?)).await?;
    Ok(record_created(published).into_response())
}

#[utoipa::path(get, path = "/api/v1/outbox", tag = "people", security(("bearer" = [])),
    responses((status = 200, description = "Every message, oldest first (coordinators)")))]
pub(crate) async fn outbox(
    State(state): State<AppState>,
    Person(actor): Person,
) -> Result<Response, Problem> {
    let node = state.node.clone();
    let mail = blocking(move || Ok(node.outbox(&actor)?)).await?;
    Ok(ok(StatusCode::OK, serde_json::json!({ "messages": mail })))
}
