//! Pages about badges: the public award page, the verify page, the transfer report page.

use crate::forms::{checked, csrf_cookie, fresh_csrf, with_csrf_cookie};
use crate::shell::{blocking, html, message, site, Site};
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use credreg_node::{CheckStatus, CredentialReport, Node, Verdict};
use serde::Deserialize;
use std::sync::Arc;

/// One badge's verification, in words.
pub(crate) struct ReportView {
    name: String,
    verdict: &'static str,
    verdict_words: &'static str,
    summary: String,
    checks: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "verify.html")]
pub(crate) struct VerifyPage {
    site: Site,
    csrf: String,
    error: String,
    pasted: String,
    reports: Vec<ReportView>,
}

#[derive(Template)]
#[template(path = "award.html")]
pub(crate) struct AwardPage {
    site: Site,
    id: String,
    report: ReportView,
    /// The page's own address (Open Graph, the QR code, LinkedIn).
    url: String,
    image: String,
    issuer: String,
    linkedin: String,
}

#[derive(Template)]
#[template(path = "transfer.html")]
pub(crate) struct TransferPage {
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

pub(crate) fn check_name(check: &str) -> &'static str {
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
pub(crate) fn sentence(text: &str) -> String {
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

pub(crate) fn report_view(r: &CredentialReport) -> ReportView {
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

pub(crate) async fn award(State(node): State<Arc<Node>>, Path(id): Path<String>) -> Response {
    let n = node.clone();
    let id2 = id.clone();
    let page = blocking(move || {
        let bytes = n.award(&id2).ok().flatten()?;
        let doc: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
        let report = n.verify(&doc).ok()?;
        let r = report.credentials.first()?;
        let url = format!("{}/awards/{id2}", n.settings().public_url);
        let view = report_view(r);
        let issuer = r
            .issuer
            .name
            .clone()
            .unwrap_or_else(|| n.settings().name.clone());
        let issued = doc["validFrom"].as_str().unwrap_or_default();
        let mut linkedin = form_urlencoded::Serializer::new(String::new());
        linkedin
            .append_pair("startTask", "CERTIFICATION_NAME")
            .append_pair("name", &view.name)
            .append_pair("organizationName", &issuer)
            .append_pair("issueYear", issued.get(..4).unwrap_or_default())
            .append_pair(
                "issueMonth",
                issued.get(5..7).unwrap_or_default().trim_start_matches('0'),
            )
            .append_pair("certUrl", &url)
            .append_pair("certId", &id2);
        Some(AwardPage {
            site: site(&n),
            image: format!("{url}/badge.png"),
            linkedin: format!("https://www.linkedin.com/profile/add?{}", linkedin.finish()),
            url,
            issuer,
            id: id2,
            report: view,
        })
    })
    .await
    .flatten();
    match page {
        Some(p) => html(StatusCode::OK, p),
        None => not_found(&node),
    }
}

fn not_found(node: &Node) -> Response {
    message(
        node,
        StatusCode::NOT_FOUND,
        "Badge not found",
        "This node has not issued a badge with that address.",
    )
}

fn download(body: Vec<u8>, content_type: &'static str, filename: &str) -> Response {
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    res
}

/// A file name from an award id (ids are URL-safe already; anything else becomes `_`).
fn file_stem(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The badge as the JSON the issuer signed, byte for byte.
pub(crate) async fn award_json(State(node): State<Arc<Node>>, Path(id): Path<String>) -> Response {
    let (n, i) = (node.clone(), id.clone());
    match blocking(move || n.award(&i).ok().flatten()).await.flatten() {
        Some(bytes) => download(
            bytes,
            "application/json",
            &format!("badge-{}.json", file_stem(&id)),
        ),
        None => not_found(&node),
    }
}

/// The badge baked into a PNG image.
pub(crate) async fn award_png(State(node): State<Arc<Node>>, Path(id): Path<String>) -> Response {
    let (n, i) = (node.clone(), id.clone());
    let baked = blocking(move || {
        let bytes = n.award(&i).ok().flatten()?;
        let text = String::from_utf8(bytes).ok()?;
        crate::baked::bake_png(&text).ok()
    })
    .await
    .flatten();
    match baked {
        Some(png) => download(png, "image/png", &format!("badge-{}.png", file_stem(&id))),
        None => not_found(&node),
    }
}

/// The offline bundle: everything needed to check the badge without this node.
pub(crate) async fn award_bundle(
    State(node): State<Arc<Node>>,
    Path(id): Path<String>,
) -> Response {
    let (n, i) = (node.clone(), id.clone());
    let bundle = blocking(move || {
        let b = n.award_bundle(&i).ok().flatten()?;
        serde_json::to_vec_pretty(&b).ok()
    })
    .await
    .flatten();
    match bundle {
        Some(b) => download(
            b,
            "application/json",
            &format!("badge-{}-bundle.json", file_stem(&id)),
        ),
        None => not_found(&node),
    }
}

/// A QR code of the award page's address, as SVG.
pub(crate) async fn award_qr(State(node): State<Arc<Node>>, Path(id): Path<String>) -> Response {
    let (n, i) = (node.clone(), id.clone());
    let svg = blocking(move || {
        n.award(&i).ok().flatten()?;
        let url = format!("{}/awards/{i}", n.settings().public_url);
        let code = qrcode::QrCode::new(url.as_bytes()).ok()?;
        Some(
            code.render::<qrcode::render::svg::Color>()
                .min_dimensions(200, 200)
                .build(),
        )
    })
    .await
    .flatten();
    match svg {
        Some(svg) => {
            let mut res = svg.into_response();
            let h = res.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("image/svg+xml"),
            );
            h.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'"),
            );
            res
        }
        None => not_found(&node),
    }
}

pub(crate) async fn verify_form(State(node): State<Arc<Node>>, headers: HeaderMap) -> Response {
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
pub(crate) struct VerifyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    badge: String,
}

pub(crate) async fn verify_submit(
    State(node): State<Arc<Node>>,
    headers: HeaderMap,
    form: Result<Form<VerifyForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let form = match checked(
        &node,
        &headers,
        form,
        |f| f.csrf.as_str(),
        "Open the verify page again and resubmit.",
    ) {
        Ok(f) => f,
        Err(page) => return *page,
    };
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

pub(crate) fn transfer_page(node: &Node, csrf: String) -> TransferPage {
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

pub(crate) async fn transfer_form(State(node): State<Arc<Node>>, headers: HeaderMap) -> Response {
    let token = csrf_cookie(&headers).unwrap_or_else(fresh_csrf);
    with_csrf_cookie(
        html(StatusCode::OK, transfer_page(&node, token.clone())),
        &token,
    )
}

#[derive(Deserialize)]
pub(crate) struct TransferForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    badges: String,
    #[serde(default)]
    email: String,
}

pub(crate) async fn transfer_submit(
    State(node): State<Arc<Node>>,
    headers: HeaderMap,
    form: Result<Form<TransferForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let form = match checked(
        &node,
        &headers,
        form,
        |f| f.csrf.as_str(),
        "Open the transfer page again and resubmit.",
    ) {
        Ok(f) => f,
        Err(page) => return *page,
    };
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
