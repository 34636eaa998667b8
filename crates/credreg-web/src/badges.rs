//! Pages about badges: the public award page, the verify page, the transfer report page.

use crate::forms::{
    csrf_cookie, csrf_matches, expired, fresh_csrf, page_token, with_csrf_cookie, Problems,
};
use crate::intake;
use crate::shell::{blocking, html, message, sentence, site, Site};
use crate::Web;
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use credreg_node::verify::outside::OutsideDocuments;
use credreg_node::{CheckStatus, CredentialReport, Node, Verdict};
use serde_json::Value;
use std::sync::Arc;

/// What the transfer form held, to show again.
struct TransferFields {
    badges: String,
    email: String,
}

/// One badge's verification, in words.
pub(crate) struct ReportView {
    name: String,
    verdict: &'static str,
    verdict_words: &'static str,
    summary: String,
    /// What kind of badge it is, in words.
    kind: &'static str,
    checks: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "verify.html")]
pub(crate) struct VerifyPage {
    site: Site,
    csrf: String,
    errors: Problems,
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
    errors: Problems,
    pasted: String,
    email: String,
    has_report: bool,
    district: String,
    summary: String,
    totals: String,
    generated_at: String,
    badges: Vec<(String, String, String)>,
    /// (DID, name) of every district whose recognition rules this node holds; this node first.
    districts: Vec<(String, String)>,
    district_chosen: String,
}

/// This node, then every other issuer whose recognition rules it holds (replicated).
fn districts(node: &Node) -> Vec<(String, String)> {
    let mut out = vec![(node.did().to_owned(), node.settings().name.clone())];
    for r in node.recognitions(None).unwrap_or_default() {
        if !out.iter().any(|(d, _)| *d == r.issuer) {
            let name = node
                .issuer_name(&r.issuer)
                .unwrap_or_else(|| r.issuer.clone());
            out.push((r.issuer, name));
        }
    }
    out
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

pub(crate) fn report_view(r: &CredentialReport) -> ReportView {
    let (verdict, words) = match r.verdict {
        Verdict::Valid if r.trusted => ("valid", "valid"),
        Verdict::Valid => (
            "valid",
            "genuine, from an issuer this federation does not vouch for",
        ),
        Verdict::Revoked => ("revoked", "revoked"),
        Verdict::Expired => ("expired", "expired"),
        // Never "valid": whether the issuer revoked it is not known.
        Verdict::CouldNotCheck => (
            "unchecked",
            "genuine, but whether it is revoked could not be checked",
        ),
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
        kind: match r.format {
            credreg_node::verify::Format::DataIntegrity => {
                "A verifiable credential (Open Badges 3.0 or later) with an embedded proof."
            }
            credreg_node::verify::Format::VcJwt => "A verifiable credential signed as a JWT.",
            credreg_node::verify::Format::OpenBadges2 => "An Open Badges 2.0 badge.",
        },
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
        errors: Problems::default(),
        pasted: String::new(),
        reports: Vec::new(),
    };
    with_csrf_cookie(html(StatusCode::OK, page), &token)
}

/// Checks every badge pasted or chosen: one card per badge; files without a badge this node
/// can check are listed in the error summary, the others are still checked.
pub(crate) async fn verify_submit(
    State(web): State<Web>,
    headers: HeaderMap,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let (node, fetcher) = (web.node.clone(), web.fetcher.clone());
    let again = "Open the verify page again and resubmit.";
    let Ok(form) = form else {
        return expired(&node, again);
    };
    let intake = match intake::read(form, "badge").await {
        Ok(i) => i,
        Err(why) => {
            let mut errors = Problems::default();
            errors.add("files", why);
            return verify_page(&node, &headers, errors, String::new(), Vec::new());
        }
    };
    if !csrf_matches(&headers, intake.field("csrf")) {
        return expired(&node, again);
    }
    let mut errors = Problems::default();
    for why in &intake.refused {
        errors.add(
            if why.starts_with("The pasted") {
                "badge"
            } else {
                "files"
            },
            why.clone(),
        );
    }
    if intake.docs.is_empty() && errors.is_empty() {
        errors.add("badge", "Paste a badge's JSON, or choose its file");
    }
    let pasted = intake.field("badge").to_owned();
    let n = node.clone();
    let docs = intake.docs;
    let (reports, more) = blocking(move || {
        let mut reports = Vec::new();
        let mut more = Vec::new();
        for (from, doc) in &docs {
            let outside = OutsideDocuments::fetched_by(doc, fetcher.as_deref());
            match n.verify_with(doc, &outside) {
                Ok(report) => reports.extend(report.credentials.iter().map(report_view)),
                Err(e) => more.push(format!("{from}: nothing to check: {e}")),
            }
        }
        (reports, more)
    })
    .await
    .unwrap_or_default();
    for why in more {
        errors.add("files", why);
    }
    verify_page(&node, &headers, errors, pasted, reports)
}

fn verify_page(
    node: &Node,
    headers: &HeaderMap,
    errors: Problems,
    pasted: String,
    reports: Vec<ReportView>,
) -> Response {
    let token = page_token(headers);
    let status = if reports.is_empty() && !errors.is_empty() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = VerifyPage {
        site: site(node),
        csrf: token.clone(),
        errors,
        pasted,
        reports,
    };
    with_csrf_cookie(html(status, page), &token)
}

pub(crate) fn transfer_page(node: &Node, csrf: String) -> TransferPage {
    TransferPage {
        site: site(node),
        csrf,
        errors: Problems::default(),
        pasted: String::new(),
        email: String::new(),
        has_report: false,
        district: String::new(),
        summary: String::new(),
        totals: String::new(),
        generated_at: String::new(),
        badges: Vec::new(),
        districts: districts(node),
        district_chosen: node.did().to_owned(),
    }
}

pub(crate) async fn transfer_form(State(node): State<Arc<Node>>, headers: HeaderMap) -> Response {
    let token = csrf_cookie(&headers).unwrap_or_else(fresh_csrf);
    with_csrf_cookie(
        html(StatusCode::OK, transfer_page(&node, token.clone())),
        &token,
    )
}

/// Values every badge pasted or chosen under this district's rules.
pub(crate) async fn transfer_submit(
    State(web): State<Web>,
    headers: HeaderMap,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let (node, fetcher) = (web.node.clone(), web.fetcher.clone());
    let again = "Open the transfer page again and resubmit.";
    let Ok(form) = form else {
        return expired(&node, again);
    };
    let intake = match intake::read(form, "badges").await {
        Ok(i) => i,
        Err(why) => {
            let token = page_token(&headers);
            let mut page = transfer_page(&node, token.clone());
            page.errors.add("files", why);
            return with_csrf_cookie(html(StatusCode::UNPROCESSABLE_ENTITY, page), &token);
        }
    };
    if !csrf_matches(&headers, intake.field("csrf")) {
        return expired(&node, again);
    }
    let token = intake.field("csrf").to_owned();
    let email = intake.field("email").trim().to_owned();
    let mut errors = Problems::default();
    for why in &intake.refused {
        errors.add(
            if why.starts_with("The pasted") {
                "badges"
            } else {
                "files"
            },
            why.clone(),
        );
    }
    let n = node.clone();
    let docs: Vec<Value> = intake.docs.iter().map(|(_, d)| d.clone()).collect();
    let email2 = email.clone();
    let district = intake.field("district").trim().to_owned();
    let chosen = district.clone();
    let outcome = blocking(move || {
        if docs.is_empty() {
            return Err((
                "badges",
                "Paste the teacher's badges, or choose their files".to_owned(),
            ));
        }
        if !email2.is_empty() && !credreg_model::looks_like_email(&email2) {
            return Err((
                "email",
                "Enter an e-mail address like name@district.org".to_owned(),
            ));
        }
        let mut all = Vec::new();
        for doc in &docs {
            let found = credreg_node::verify::credentials_of(doc)
                .map_err(|e| ("badges", format!("Nothing to value: {e}")))?;
            all.extend(found.into_iter().cloned());
        }
        let mut doc = serde_json::json!({ "credentials": all });
        if !email2.is_empty() {
            doc["email"] = Value::String(email2);
        }
        let input = credreg_node::value::transfer::transfer_input(&doc)
            .map_err(|e| ("badges", format!("Nothing to value: {e}")))?;
        let under = Some(district.as_str()).filter(|d| !d.is_empty() && *d != n.did());
        if under.is_some_and(|d| !districts(&n).iter().any(|(known, _)| known == d)) {
            return Err(("district", "Choose a district from the list".to_owned()));
        }
        let outside = OutsideDocuments::fetched_by(&doc, fetcher.as_deref());
        n.transfer_report_with(&input, under, &outside)
            .map_err(|_| ("badges", "The report could not be made".to_owned()))
    })
    .await
    .unwrap_or_else(|| Err(("badges", "The report could not be made".to_owned())));
    let form = TransferFields {
        badges: intake.field("badges").to_owned(),
        email,
    };
    let mut page = transfer_page(&node, token.clone());
    page.pasted = form.badges;
    page.email = form.email;
    if !chosen.is_empty() {
        page.district_chosen = chosen;
    }
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
            page.errors.add(field, e);
            StatusCode::UNPROCESSABLE_ENTITY
        }
    };
    for (field, message) in errors.items() {
        page.errors.add(field, message.clone());
    }
    with_csrf_cookie(html(status, page), &token)
}
