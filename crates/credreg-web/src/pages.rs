//! The page handlers and the views they render.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use credreg_node::review::Actor;
use credreg_node::{CheckStatus, CredentialReport, Node, SearchQuery, Verdict};
use serde::Deserialize;
use std::sync::Arc;

/// What every page shows around its content.
struct Site {
    node_name: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    site: Site,
    kind: String,
    needs_setup: bool,
    definitions: usize,
    awards: usize,
}

struct Hit {
    id: String,
    name: String,
    description: String,
    issuer: String,
}

#[derive(Template)]
#[template(path = "catalog.html")]
struct CatalogPage {
    site: Site,
    q: String,
    federation: bool,
    total: usize,
    items: Vec<Hit>,
}

#[derive(Template)]
#[template(path = "credential.html")]
struct CredentialPage {
    site: Site,
    name: String,
    description: String,
    competency: String,
    issuer: String,
    version: String,
    value: String,
    review: String,
    issued: u64,
    revoked: u64,
    criteria: String,
    rubric: Vec<(String, String)>,
    standards: Vec<String>,
}

/// One badge's verification, in words.
struct ReportView {
    name: String,
    verdict: &'static str,
    verdict_words: &'static str,
    summary: String,
    checks: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage {
    site: Site,
    csrf: String,
    error: String,
    pasted: String,
    reports: Vec<ReportView>,
}

#[derive(Template)]
#[template(path = "award.html")]
struct AwardPage {
    site: Site,
    id: String,
    report: ReportView,
}

#[derive(Template)]
#[template(path = "transfer.html")]
struct TransferPage {
    site: Site,
    csrf: String,
    error: String,
    error_field: String,
    pasted: String,
    email: String,
    has_report: bool,
    district: String,
    summary: String,
    totals: String,
    generated_at: String,
    badges: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "issuers.html")]
struct IssuersPage {
    site: Site,
    issuers: Vec<(String, String, u64)>,
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    site: Site,
    csrf: String,
    error: String,
    error_field: String,
    email: String,
    sent: bool,
}

#[derive(Template)]
#[template(path = "mine.html")]
struct MinePage {
    site: Site,
    person: String,
    submissions: Vec<(String, u8, String)>,
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    site: Site,
    title: String,
    text: String,
}

/// The pages, for mounting beside the API at `/`.
pub fn router(node: Arc<Node>) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/credentials", get(catalog))
        .route("/credentials/{id}", get(credential))
        .route("/awards/{id}", get(award))
        .route("/verify", get(verify_form).post(verify_submit))
        .route("/transfer", get(transfer_form).post(transfer_submit))
        .route("/issuers", get(issuers))
        .route("/sign-in", get(sign_in_form).post(sign_in_submit))
        .route("/mine", get(mine))
        .route("/assets/site.css", get(stylesheet))
        .with_state(node)
}

/// No script at all, styles only from this node, no framing.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

fn html(status: StatusCode, page: impl Template) -> Response {
    match page.render() {
        Ok(body) => {
            let mut res = (status, body).into_response();
            let h = res.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            h.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CSP),
            );
            h.insert(
                "x-content-type-options",
                HeaderValue::from_static("nosniff"),
            );
            h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
            res
        }
        Err(e) => {
            tracing_free_log(&format!("page did not render: {e}"));
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "The page could not be shown.",
            )
                .into_response()
        }
    }
}

fn tracing_free_log(message: &str) {
    eprintln!("credreg-web: {message}");
}

fn site(node: &Node) -> Site {
    Site {
        node_name: node.settings().name.clone(),
    }
}

fn message(node: &Node, status: StatusCode, title: &str, text: &str) -> Response {
    html(
        status,
        MessagePage {
            site: site(node),
            title: title.to_owned(),
            text: text.to_owned(),
        },
    )
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    tokio::task::spawn_blocking(f).await.ok()
}

async fn home(State(node): State<Arc<Node>>) -> Response {
    let n = node.clone();
    let page = blocking(move || {
        let needs_setup = n
            .people(&Actor::Operator)
            .map(|p| p.is_empty())
            .unwrap_or(false);
        HomePage {
            site: site(&n),
            kind: if n.settings().kind.is_empty() {
                "district".into()
            } else {
                n.settings().kind.clone()
            },
            needs_setup,
            definitions: n.definition_count().unwrap_or(0),
            awards: n.award_count(),
        }
    })
    .await;
    match page {
        Some(p) => html(StatusCode::OK, p),
        None => message(
            &node,
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "Please try again.",
        ),
    }
}

#[derive(Deserialize)]
struct CatalogQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    scope: String,
}

async fn catalog(
    State(node): State<Arc<Node>>,
    query: Result<Query<CatalogQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let query = query.map(|Query(q)| q).unwrap_or(CatalogQuery {
        q: String::new(),
        scope: String::new(),
    });
    let q = query.q.chars().take(200).collect::<String>();
    let federation = query.scope == "federation";
    let n = node.clone();
    let q2 = q.clone();
    let page = blocking(move || {
        let search = SearchQuery {
            q: (!q2.trim().is_empty()).then(|| q2.clone()),
            limit: 50,
            ..Default::default()
        };
        let result = n.search_scoped(search, federation).ok()?;
        let items = result
            .items
            .iter()
            .map(|e| Hit {
                id: e.id.clone(),
                name: e.def.name.clone(),
                description: e.def.description.clone(),
                issuer: n.issuer_name(&e.issuer).unwrap_or_else(|| e.issuer.clone()),
            })
            .collect();
        Some(CatalogPage {
            site: site(&n),
            q: q2,
            federation,
            total: result.total,
            items,
        })
    })
    .await
    .flatten();
    match page {
        Some(p) => html(StatusCode::OK, p),
        None => message(
            &node,
            StatusCode::INTERNAL_SERVER_ERROR,
            "Search failed",
            "Please try again.",
        ),
    }
}

async fn credential(State(node): State<Arc<Node>>, Path(id): Path<String>) -> Response {
    let n = node.clone();
    let page = blocking(move || {
        let entry = n.definition(&id).ok().flatten()?;
        let d = &entry.def;
        let quality = n.quality_profile(&id).ok().flatten();
        let rubric = d
            .rubric
            .as_ref()
            .map(|r| {
                r.criteria
                    .iter()
                    .map(|c| {
                        let levels: Vec<String> = c
                            .levels
                            .iter()
                            .map(|l| {
                                if l.passing {
                                    format!("{} (passes)", l.name)
                                } else {
                                    l.name.clone()
                                }
                            })
                            .collect();
                        (c.name.clone(), levels.join(", "))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let review = match &d.review_policy {
            None => "One reviewer scores the evidence against the rubric.".to_owned(),
            Some(p) => format!(
                "{} reviewer{}{}{}.",
                p.reviewers,
                if p.reviewers == 1 { "" } else { "s" },
                if p.tiebreak {
                    ", a further reviewer breaks ties"
                } else {
                    ""
                },
                if p.pre_approval_required {
                    "; pre-approval needed before starting"
                } else {
                    ""
                }
            ),
        };
        let (issued, revoked, standards) = match &quality {
            Some(q) => (
                q.awards.issued,
                q.awards.revoked,
                q.standards
                    .iter()
                    .map(|s| {
                        format!(
                            "{}: {}",
                            s.evaluation.standard,
                            if s.evaluation.meets {
                                "meets it"
                            } else {
                                "does not meet it"
                            }
                        )
                    })
                    .collect(),
            ),
            None => (0, 0, Vec::new()),
        };
        Some(CredentialPage {
            site: site(&n),
            name: d.name.clone(),
            description: d.description.clone(),
            competency: d.competency.clone().unwrap_or_default(),
            issuer: n
                .issuer_name(&entry.issuer)
                .unwrap_or_else(|| entry.issuer.clone()),
            version: d.version.clone(),
            value: d
                .local_value
                .map(|v| credreg_node::value::transfer::show_amount(&v))
                .unwrap_or_default(),
            review,
            issued,
            revoked,
            criteria: d.criteria.narrative.clone(),
            rubric,
            standards,
        })
    })
    .await
    .flatten();
    match page {
        Some(p) => html(StatusCode::OK, p),
        None => message(
            &node,
            StatusCode::NOT_FOUND,
            "Credential not found",
            "There is no credential with that address in this catalog.",
        ),
    }
}

fn check_name(check: &str) -> &'static str {
    match check {
        "well_formed" => "Well formed",
        "proof" => "Signature",
        "issuer_key" => "Issuer's key",
        "trusted" => "Issuer trusted",
        "validity" => "Dates",
        "status" => "Not revoked",
        "logged" => "On the issuer's books",
        "definition" => "Credential known",
        _ => "Check",
    }
}

/// `text` as a sentence: capital first letter, a full stop.
fn sentence(text: &str) -> String {
    let mut chars = text.trim().chars();
    let mut out: String = chars
        .next()
        .map(|f| f.to_uppercase().chain(chars).collect())
        .unwrap_or_default();
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

fn report_view(r: &CredentialReport) -> ReportView {
    let (verdict, words) = match r.verdict {
        Verdict::Valid if r.trusted => ("valid", "valid"),
        Verdict::Valid => (
            "valid",
            "genuine, from an issuer this federation does not vouch for",
        ),
        Verdict::Revoked => ("revoked", "revoked"),
        Verdict::Invalid => ("invalid", "not valid"),
    };
    let summary = match (&r.reason, r.verdict) {
        (Some(reason), _) => reason.clone(),
        (None, _) => format!(
            "Issued by {}.",
            r.issuer
                .name
                .clone()
                .or_else(|| r.issuer.id.clone())
                .unwrap_or_else(|| "an unnamed issuer".into())
        ),
    };
    let checks = r
        .checks
        .iter()
        .map(|c| {
            let outcome = match c.status {
                CheckStatus::Pass => "passed",
                CheckStatus::Fail => "failed",
                CheckStatus::Warn => "could not be confirmed",
                CheckStatus::Skip => "not checked",
            };
            let text = match (&c.reason, c.status) {
                (Some(reason), CheckStatus::Skip) => sentence(reason),
                (Some(reason), _) => format!("{outcome}. {}", sentence(reason)),
                (None, _) => format!("{outcome}."),
            };
            (check_name(c.check).to_owned(), text)
        })
        .collect();
    ReportView {
        name: r.name.clone().unwrap_or_else(|| "A badge".into()),
        verdict,
        verdict_words: words,
        summary,
        checks,
    }
}

async fn award(State(node): State<Arc<Node>>, Path(id): Path<String>) -> Response {
    let n = node.clone();
    let id2 = id.clone();
    let page = blocking(move || {
        let bytes = n.award(&id2).ok().flatten()?;
        let doc: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
        let report = n.verify(&doc).ok()?;
        let r = report.credentials.first()?;
        Some(AwardPage {
            site: site(&n),
            id: id2,
            report: report_view(r),
        })
    })
    .await
    .flatten();
    match page {
        Some(p) => html(StatusCode::OK, p),
        None => message(
            &node,
            StatusCode::NOT_FOUND,
            "Badge not found",
            "This node has not issued a badge with that address.",
        ),
    }
}

const CSRF_COOKIE: &str = "credreg_csrf";

fn csrf_cookie(headers: &HeaderMap) -> Option<String> {
    cookie(headers, CSRF_COOKIE)
}

fn with_csrf_cookie(mut res: Response, token: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict"
    )) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

fn fresh_csrf() -> String {
    let mut b = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut b);
    hex::encode(b)
}

async fn verify_form(State(node): State<Arc<Node>>, headers: HeaderMap) -> Response {
    let token = csrf_cookie(&headers).unwrap_or_else(fresh_csrf);
    let page = VerifyPage {
        site: site(&node),
        csrf: token.clone(),
        error: String::new(),
        pasted: String::new(),
        reports: Vec::new(),
    };
    with_csrf_cookie(html(StatusCode::OK, page), &token)
}

#[derive(Deserialize)]
struct VerifyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    badge: String,
}

async fn verify_submit(
    State(node): State<Arc<Node>>,
    headers: HeaderMap,
    form: Result<Form<VerifyForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return message(
            &node,
            StatusCode::BAD_REQUEST,
            "Something was wrong with the form",
            "Go back and try again.",
        );
    };
    if form.csrf.is_empty() || csrf_cookie(&headers).as_deref() != Some(form.csrf.as_str()) {
        return message(
            &node,
            StatusCode::FORBIDDEN,
            "The form expired",
            "Open the verify page again and resubmit.",
        );
    }
    let token = form.csrf.clone();
    let pasted = form.badge.clone();
    let n = node.clone();
    let outcome = blocking(move || {
        if pasted.trim().is_empty() {
            return Err("Paste the badge's JSON".to_owned());
        }
        let doc: serde_json::Value =
            serde_json::from_str(&pasted).map_err(|e| format!("The badge is not JSON: {e}"))?;
        let report = n
            .verify(&doc)
            .map_err(|e| format!("Nothing to check: {e}"))?;
        Ok(report
            .credentials
            .iter()
            .map(report_view)
            .collect::<Vec<_>>())
    })
    .await
    .unwrap_or_else(|| Err("The badge could not be checked".to_owned()));
    let (status, error, reports) = match outcome {
        Ok(r) => (StatusCode::OK, String::new(), r),
        Err(e) => (StatusCode::UNPROCESSABLE_ENTITY, e, Vec::new()),
    };
    let page = VerifyPage {
        site: site(&node),
        csrf: token.clone(),
        error,
        pasted: form.badge,
        reports,
    };
    with_csrf_cookie(html(status, page), &token)
}

async fn stylesheet() -> Response {
    let mut res = include_str!("../assets/site.css").into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    res
}

fn trust_words(status: credreg_node::TrustStatus) -> &'static str {
    use credreg_node::TrustStatus as T;
    match status {
        T::ThisNode => "this node",
        T::Anchor => "a trust anchor of the federation",
        T::Member => "a member, vouched for by an anchor",
        T::Allowed => "trusted by this node's operator",
        T::Denied => "not trusted (deny list)",
        T::Expired => "its membership has ended",
        T::Unknown => "not vouched for",
    }
}

async fn issuers(State(node): State<Arc<Node>>) -> Response {
    let n = node.clone();
    let page = blocking(move || {
        let list = n.issuers().ok()?;
        Some(IssuersPage {
            site: site(&n),
            issuers: list
                .into_iter()
                .map(|i| {
                    (
                        i.name.unwrap_or_else(|| i.did.clone()),
                        trust_words(i.trust.status).to_owned(),
                        i.log_size,
                    )
                })
                .collect(),
        })
    })
    .await
    .flatten();
    match page {
        Some(p) => html(StatusCode::OK, p),
        None => message(
            &node,
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "Please try again.",
        ),
    }
}

fn transfer_page(node: &Node, csrf: String) -> TransferPage {
    TransferPage {
        site: site(node),
        csrf,
        error: String::new(),
        error_field: String::new(),
        pasted: String::new(),
        email: String::new(),
        has_report: false,
        district: String::new(),
        summary: String::new(),
        totals: String::new(),
        generated_at: String::new(),
        badges: Vec::new(),
    }
}

async fn transfer_form(State(node): State<Arc<Node>>, headers: HeaderMap) -> Response {
    let token = csrf_cookie(&headers).unwrap_or_else(fresh_csrf);
    with_csrf_cookie(
        html(StatusCode::OK, transfer_page(&node, token.clone())),
        &token,
    )
}

#[derive(Deserialize)]
struct TransferForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    badges: String,
    #[serde(default)]
    email: String,
}

async fn transfer_submit(
    State(node): State<Arc<Node>>,
    headers: HeaderMap,
    form: Result<Form<TransferForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return message(
            &node,
            StatusCode::BAD_REQUEST,
            "Something was wrong with the form",
            "Go back and try again.",
        );
    };
    if form.csrf.is_empty() || csrf_cookie(&headers).as_deref() != Some(form.csrf.as_str()) {
        return message(
            &node,
            StatusCode::FORBIDDEN,
            "The form expired",
            "Open the transfer page again and resubmit.",
        );
    }
    let token = form.csrf.clone();
    let n = node.clone();
    let (badges_text, email) = (form.badges.clone(), form.email.trim().to_owned());
    let outcome = blocking(move || {
        if badges_text.trim().is_empty() {
            return Err(("badges", "Paste the teacher's badges".to_owned()));
        }
        let mut doc: serde_json::Value = serde_json::from_str(&badges_text)
            .map_err(|e| ("badges", format!("The badges are not JSON: {e}")))?;
        if !email.is_empty() {
            if !credreg_model::looks_like_email(&email) {
                return Err((
                    "email",
                    "Enter an e-mail address like name@district.org".to_owned(),
                ));
            }
            if !doc.is_object() || doc.get("credentials").is_none() {
                doc = serde_json::json!({"credentials": [doc]});
            }
            doc["email"] = serde_json::Value::String(email.clone());
        }
        let input = credreg_node::value::transfer::transfer_input(&doc)
            .map_err(|e| ("badges", format!("Nothing to value: {e}")))?;
        n.transfer_report(&input, None)
            .map_err(|_| ("badges", "The report could not be made".to_owned()))
    })
    .await
    .unwrap_or_else(|| Err(("badges", "The report could not be made".to_owned())));
    let mut page = transfer_page(&node, token.clone());
    page.pasted = form.badges;
    page.email = form.email;
    let status = match outcome {
        Ok(report) => {
            use credreg_node::value::transfer::{show_amount, Outcome};
            page.has_report = true;
            page.district = report
                .district
                .name
                .clone()
                .unwrap_or_else(|| report.district.did.clone());
            page.summary = format!(
                "{} badge{}: {} recognized, {} this district's own, {} not recognized.",
                report.summary.badges,
                if report.summary.badges == 1 { "" } else { "s" },
                report.summary.recognized,
                report.summary.own,
                report.summary.not_recognized
            );
            page.totals = report
                .totals
                .iter()
                .map(show_amount)
                .collect::<Vec<_>>()
                .join(", ");
            page.generated_at = report.generated_at.clone();
            page.badges = report
                .badges
                .iter()
                .map(|b| {
                    let outcome = match b.outcome {
                        Outcome::Recognized => match &b.credit {
                            Some(c) => format!("Recognized: {}", show_amount(c)),
                            None => "Recognized".to_owned(),
                        },
                        Outcome::Counted => "Counted toward a rule".to_owned(),
                        Outcome::Own => "Own credential".to_owned(),
                        Outcome::NotRecognized => "Not recognized".to_owned(),
                    };
                    (
                        b.name.clone().unwrap_or_else(|| "A badge".into()),
                        outcome,
                        b.note.clone(),
                    )
                })
                .collect();
            StatusCode::OK
        }
        Err((field, e)) => {
            page.error = e;
            page.error_field = field.to_owned();
            StatusCode::UNPROCESSABLE_ENTITY
        }
    };
    with_csrf_cookie(html(status, page), &token)
}

/// The session cookie: HttpOnly, SameSite=Strict, for the whole site.
const SESSION_COOKIE: &str = "credreg_session";

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

fn sign_in_page(node: &Node, csrf: String) -> SignInPage {
    SignInPage {
        site: site(node),
        csrf,
        error: String::new(),
        error_field: String::new(),
        email: String::new(),
        sent: false,
    }
}

async fn sign_in_form(State(node): State<Arc<Node>>, headers: HeaderMap) -> Response {
    let token = csrf_cookie(&headers).unwrap_or_else(fresh_csrf);
    with_csrf_cookie(
        html(StatusCode::OK, sign_in_page(&node, token.clone())),
        &token,
    )
}

#[derive(Deserialize)]
struct SignInForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    step: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    code: String,
}

async fn sign_in_submit(
    State(node): State<Arc<Node>>,
    headers: HeaderMap,
    form: Result<Form<SignInForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return message(
            &node,
            StatusCode::BAD_REQUEST,
            "Something was wrong with the form",
            "Go back and try again.",
        );
    };
    if form.csrf.is_empty() || csrf_cookie(&headers).as_deref() != Some(form.csrf.as_str()) {
        return message(
            &node,
            StatusCode::FORBIDDEN,
            "The form expired",
            "Open the sign-in page again.",
        );
    }
    let token = form.csrf.clone();
    let mut page = sign_in_page(&node, token.clone());
    let n = node.clone();
    if form.step == "code" {
        let code = form.code.trim().to_owned();
        let signed = blocking(move || n.sign_in_with_link(&code)).await;
        return match signed {
            Some(Ok((session, _))) => {
                let mut res = axum::response::Redirect::to("/mine").into_response();
                if let Ok(v) = HeaderValue::from_str(&format!(
                    "{SESSION_COOKIE}={session}; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200"
                )) {
                    res.headers_mut().insert(header::SET_COOKIE, v);
                }
                res
            }
            _ => {
                page.error = "That code is unknown, used or expired: ask for a new one".into();
                page.error_field = "code".into();
                with_csrf_cookie(html(StatusCode::UNPROCESSABLE_ENTITY, page), &token)
            }
        };
    }
    let email = form.email.trim().to_owned();
    page.email = email.clone();
    if !credreg_model::looks_like_email(&email) {
        page.error = "Enter your e-mail address, like name@district.org".into();
        page.error_field = "email".into();
        return with_csrf_cookie(html(StatusCode::UNPROCESSABLE_ENTITY, page), &token);
    }
    let _ = blocking(move || n.request_sign_in(&email)).await;
    page.sent = true;
    with_csrf_cookie(html(StatusCode::OK, page), &token)
}

async fn mine(State(node): State<Arc<Node>>, headers: HeaderMap) -> Response {
    let Some(session) = cookie(&headers, SESSION_COOKIE) else {
        return axum::response::Redirect::to("/sign-in").into_response();
    };
    let n = node.clone();
    let page = blocking(move || {
        let actor = n.session_actor(&session).ok().flatten()?;
        let id = actor.person()?.to_owned();
        let person = n.person(&actor, &id).ok()?;
        let submissions = n
            .submissions(&actor)
            .ok()?
            .into_iter()
            .map(|s| {
                use credreg_model::DecisionOutcome;
                use credreg_node::review::SubmissionState as S;
                let where_ = match (s.state, s.decision.as_ref().map(|d| d.outcome)) {
                    (S::Draft, _) => "Draft: add your evidence and submit".to_owned(),
                    (S::Submitted, _) => format!(
                        "With the reviewers ({} of {} reviews done)",
                        s.reviews_done, s.reviews_assigned
                    ),
                    (S::Decided, Some(DecisionOutcome::Pass)) => "Awarded".to_owned(),
                    (S::Decided, _) => format!(
                        "Not yet: {}",
                        s.decision
                            .as_ref()
                            .map(|d| d
                                .feedback
                                .iter()
                                .filter(|f| !f.met)
                                .map(|f| f.criterion.clone())
                                .collect::<Vec<_>>()
                                .join(", "))
                            .unwrap_or_default()
                    ),
                    (S::Withdrawn, _) => "Withdrawn".to_owned(),
                };
                (s.credential_name, s.attempt, where_)
            })
            .collect();
        Some(MinePage {
            site: site(&n),
            person: person.name,
            submissions,
        })
    })
    .await
    .flatten();
    match page {
        Some(p) => html(StatusCode::OK, p),
        None => axum::response::Redirect::to("/sign-in").into_response(),
    }
}
