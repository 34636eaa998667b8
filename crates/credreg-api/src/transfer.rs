//! Transfer value endpoints: recognition rules (publish, list) and transfer reports (JSON, or a
//! printable HTML page for the hiring office when the client asks for `text/html`).

use crate::extract::{blocking, body_bytes, heavy, parse_body, parse_json_value, Caller};
use crate::problem::Problem;
use crate::respond::{record_created, RecordResponse};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use credreg_model::Recognition;
use credreg_node::value::transfer::{show_amount, Outcome, TransferReport};
use credreg_node::{RecognitionEntry, Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[utoipa::path(post, path = "/api/v1/recognitions", tag = "transfer",
    request_body(content = Object, description = "name, applies_to {kind: credential, id} | {kind: stack, id} | {kind: federation, federation, standard?}, credit {kind: equivalent, credential} | {kind: amount, amount, unit: dollars|in_service_hours|ce_points|cpd_units, per?}, cap? {max, per: teacher|year}, valid_from, valid_until?"),
    security(("bearer" = [])),
    responses((status = 201, body = RecordResponse), (status = 422, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem)))]
pub(crate) async fn publish_recognition(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<RecordResponse>), Problem> {
    caller.require(&[Role::Admin])?;
    let recognition: Recognition = parse_body(&body_bytes(body)?)?;
    let node = state.node.clone();
    let published = blocking(move || Ok(node.publish_recognition(recognition)?)).await?;
    Ok(record_created(published))
}

/// `GET /api/v1/recognitions` query.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct RecognitionQuery {
    /// Only this district's rules (DID).
    issuer: Option<String>,
}

/// Recognition rules.
#[derive(Serialize, ToSchema)]
pub(crate) struct RecognitionsResponse {
    /// Oldest first.
    #[schema(value_type = Vec<Object>)]
    recognitions: Vec<RecognitionEntry>,
}

#[utoipa::path(get, path = "/api/v1/recognitions", tag = "transfer",
    params(RecognitionQuery),
    responses((status = 200, body = RecognitionsResponse), (status = 400, body = Problem)))]
pub(crate) async fn list_recognitions(
    State(state): State<AppState>,
    query: Result<Query<RecognitionQuery>, QueryRejection>,
) -> Result<Json<RecognitionsResponse>, Problem> {
    let Query(q) = query.map_err(|e| Problem::malformed(e.body_text()))?;
    let node = state.node.clone();
    let recognitions = blocking(move || Ok(node.recognitions(q.issuer.as_deref())?)).await?;
    Ok(Json(RecognitionsResponse { recognitions }))
}

/// `POST /api/v1/transfer-reports` query.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct TransferQuery {
    /// Apply this district's replicated rules instead of this node's (a teacher's preview of
    /// what would transfer there).
    district: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/transfer-reports", tag = "transfer",
    params(TransferQuery),
    request_body(content = Object, description = "{\"credentials\": [credentials or offline bundles], \"email\"?: the teacher's e-mail}, or a VerifiablePresentation"),
    responses((status = 200, description = "Per badge: verdict, matched rule, credit; totals per unit; stacks completed; what was not recognized and why. `Accept: text/html` gives a printable page."),
        (status = 400, body = Problem)))]
pub(crate) async fn transfer_report(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<TransferQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let Query(q) = query.map_err(|e| Problem::malformed(e.body_text()))?;
    if q.district
        .as_deref()
        .is_some_and(|d| !d.starts_with("did:") || d.len() > 512)
    {
        return Err(Problem::malformed(
            "district must be the DID of the district whose rules to apply",
        ));
    }
    let bytes = body_bytes(body)?;
    let node = state.node.clone();
    let st = state.clone();
    let report = heavy(&state, move || {
        let value = parse_json_value(&bytes)?;
        let input = credreg_node::value::transfer::transfer_input(&value)
            .map_err(|e| Problem::malformed(e.to_string()))?;
        let outside = crate::outside_for(&st, &value);
        Ok(node.transfer_report_with(&input, q.district.as_deref(), &outside)?)
    })
    .await?;
    // Every badge of a report was verified: counted like `POST /api/v1/verify`'s.
    state.metrics.count_verifications(&report.verification);
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if wants_html {
        let mut res = render_html(&report).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        return Ok(res);
    }
    Ok(Json(report).into_response())
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The report as one self-contained printable page (no scripts, no external assets).
pub fn render_html(r: &TransferReport) -> String {
    let district = r.district.name.as_deref().unwrap_or(&r.district.did);
    let mut h = String::new();
    h.push_str("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">");
    h.push_str(&format!(
        "<title>Transfer report: {}</title>",
        esc(district)
    ));
    h.push_str("<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;color:#111}\
        table{border-collapse:collapse;width:100%}td,th{border:1px solid #999;padding:.3rem;text-align:left;vertical-align:top}\
        .no{color:#900}.ok{color:#060}@media print{body{margin:0}}</style></head><body>");
    h.push_str(&format!(
        "<h1>Transfer report for {}</h1><p>Generated {} from signed records. {} badge(s): {} recognized, {} already ours, {} not recognized.{}</p>",
        esc(district),
        esc(&r.generated_at),
        r.summary.badges,
        r.summary.recognized,
        r.summary.own,
        r.summary.not_recognized,
        if r.email_checked { " Each badge was matched against the teacher's e-mail." } else { " No e-mail was given, so the badges' recipient was not checked." }
    ));
    h.push_str("<h2>Totals</h2><ul>");
    if r.totals.is_empty() {
        h.push_str("<li>No credit.</li>");
    }
    for t in &r.totals {
        h.push_str(&format!(
            "<li><strong>{}</strong></li>",
            esc(&show_amount(t))
        ));
    }
    h.push_str("</ul><h2>Badges</h2><table><tr><th>#</th><th>Badge</th><th>Issuer</th><th>Outcome</th><th>Credit</th></tr>");
    for b in &r.badges {
        let class = if b.outcome == Outcome::NotRecognized {
            "no"
        } else {
            "ok"
        };
        let outcome = match b.outcome {
            Outcome::Recognized => "recognized",
            Outcome::Counted => "counted",
            Outcome::Own => "ours",
            Outcome::NotRecognized => "not recognized",
        };
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{} ({})</td><td class=\"{class}\">{}: {}</td><td>{}</td></tr>",
            b.index + 1,
            esc(b.name.as_deref().unwrap_or("(unnamed)")),
            esc(b.issuer.name.as_deref().or(b.issuer.id.as_deref()).unwrap_or("?")),
            esc(b.issuer.status),
            outcome,
            esc(&b.note),
            b.credit.as_ref().map(|c| esc(&show_amount(c))).unwrap_or_default()
        ));
    }
    h.push_str("</table>");
    if !r.stacks.is_empty() {
        h.push_str("<h2>Stacks completed</h2><ul>");
        for s in &r.stacks {
            h.push_str(&format!(
                "<li>{} ({}){}</li>",
                esc(&s.stack.name),
                s.kind,
                s.credit
                    .as_ref()
                    .map(|c| format!(": {}", esc(&show_amount(c))))
                    .unwrap_or_default()
            ));
        }
        h.push_str("</ul>");
    }
    h.push_str("</body></html>");
    h
}
