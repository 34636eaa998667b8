//! A reviewer's pages: the queue with due dates, the pool to claim from, and the blind review
//! screen (the evidence beside the rubric, one level and a comment per criterion).

use crate::forms::{
    page_token, say, see_other, signed_in, to_sign_in, with_csrf_cookie, CheckedForm, Problems,
};
use crate::shell::{blocking, html, message, site_for, Site};
use crate::teacher::{item_view, ItemView};
use crate::Web;
use askama::Template;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use credreg_node::review::files::shown_inline;
use credreg_node::review::{CriterionScore, EvidenceItem, ReviewerView};
use credreg_node::Node;
use std::collections::HashMap;
use std::sync::Arc;

/// Due dates on the page: the date, and "overdue" in words (never by colour alone).
fn due_words(due_at: &str, now: &str) -> (String, bool) {
    let day = due_at.get(..10).unwrap_or(due_at).to_owned();
    // Both are RFC 3339 in UTC from the node's clock: they order as strings.
    (day, due_at < now)
}

#[derive(Template)]
#[template(path = "reviews.html")]
pub(crate) struct QueuePage {
    site: Site,
    csrf: String,
    /// (review id, credential, attempt, due day, overdue, tiebreak, done)
    queue: Vec<(String, String, u8, String, bool, bool, bool)>,
    /// (submission id, credential, attempt, items)
    pool: Vec<(String, String, u8, usize)>,
    error: String,
    /// (credential id, name) of this node's credentials whose reviewers must calibrate.
    calibrations: Vec<(String, String)>,
}

pub(crate) async fn queue(State(node): State<Arc<Node>>, headers: HeaderMap) -> Response {
    queue_page(&node, &headers, String::new()).await
}

async fn queue_page(node: &Arc<Node>, headers: &HeaderMap, error: String) -> Response {
    let token = page_token(headers);
    let (n, h, t) = (node.clone(), headers.clone(), token.clone());
    let page = blocking(move || {
        let actor = signed_in(&n, &h)?;
        let list = n.review_queue(&actor).ok()?;
        let now = n.now_rfc3339();
        let queue = list
            .iter()
            .map(|r| {
                let (day, overdue) = due_words(&r.due_at, &now);
                (
                    r.review_id.clone(),
                    r.credential_name.clone(),
                    r.attempt,
                    day,
                    overdue && r.scores.is_none(),
                    r.tiebreak,
                    r.scores.is_some(),
                )
            })
            .collect();
        let pool = n
            .review_pool(&actor)
            .unwrap_or_default()
            .into_iter()
            .map(|p| (p.submission_id, p.credential_name, p.attempt, p.items))
            .collect();
        let calibrations = n
            .search(&credreg_node::SearchQuery {
                issuer: Some(n.did().to_owned()),
                limit: 500,
                ..Default::default()
            })
            .map(|p| {
                p.items
                    .iter()
                    .filter(|e| {
                        e.def
                            .review_policy
                            .as_ref()
                            .is_some_and(|p| p.calibration_required)
                    })
                    .filter(|e| n.calibration_set(&actor, &e.id).is_ok())
                    .map(|e| (e.id.clone(), e.def.name.clone()))
                    .collect()
            })
            .unwrap_or_default();
        Some(QueuePage {
            site: site_for(&n, &actor),
            csrf: t,
            queue,
            pool,
            error,
            calibrations,
        })
    })
    .await
    .flatten();
    match page {
        Some(p) => with_csrf_cookie(html(StatusCode::OK, p), &token),
        None => to_sign_in(),
    }
}

#[derive(serde::Deserialize)]
pub(crate) struct ClaimForm {
    #[serde(default)]
    csrf: String,
}

/// Claims a pooled submission: it becomes one of this reviewer's reviews.
pub(crate) async fn claim(
    State(node): State<Arc<Node>>,
    Path(submission): Path<String>,
    headers: HeaderMap,
    CheckedForm(_): CheckedForm<ClaimForm>,
) -> Response {
    let (n, h) = (node.clone(), headers.clone());
    let claimed = blocking(move || {
        let actor = signed_in(&n, &h).ok_or(None)?;
        n.claim(&actor, &submission).map_err(Some)
    })
    .await;
    match claimed {
        Some(Ok(view)) => see_other(&format!("/reviews/{}", view.review_id)),
        Some(Err(None)) => to_sign_in(),
        Some(Err(Some(e))) => queue_page(&node, &headers, say(&e)).await,
        None => to_sign_in(),
    }
}

/// One rubric criterion on the review screen.
pub(crate) struct CriterionView {
    index: usize,
    name: String,
    description: String,
    /// (level index, name, description, passing, chosen)
    levels: Vec<(usize, String, String, bool, bool)>,
    comment: String,
}

/// One evidence item on the review screen, and how it is shown.
pub(crate) struct EvidenceView {
    index: usize,
    item: ItemView,
    /// `image`, `video`, `audio`, `pdf`, `text`, `link` or `download`.
    show: &'static str,
    url: String,
    text: String,
}

#[derive(Template)]
#[template(path = "review.html")]
pub(crate) struct ReviewPage {
    site: Site,
    csrf: String,
    errors: Problems,
    id: String,
    credential_name: String,
    attempt: u8,
    tiebreak: bool,
    due: String,
    overdue: bool,
    scored: bool,
    outcome: String,
    teacher: String,
    evidence: Vec<EvidenceView>,
    criteria: Vec<CriterionView>,
}

fn evidence_view(web: &Web, review: &str, index: usize, item: &EvidenceItem) -> EvidenceView {
    let url = format!("/reviews/{review}/evidence/{index}");
    let (show, text, url) = match item {
        EvidenceItem::File {
            media_type,
            digest,
            size,
            ..
        } => {
            let show = match media_type.as_str() {
                t if !shown_inline(t) => "download",
                t if t.starts_with("image/") => "image",
                t if t.starts_with("video/") => "video",
                t if t.starts_with("audio/") => "audio",
                "application/pdf" => "pdf",
                _ => "text",
            };
            // Plain text is short enough to read on the page (up to 64 KB).
            let text = if show == "text" && *size <= 64 * 1024 {
                web.evidence
                    .as_ref()
                    .and_then(|f| f.path(digest))
                    .and_then(|p| std::fs::read(p).ok())
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default()
            } else {
                String::new()
            };
            (
                if show == "text" && text.is_empty() {
                    "download"
                } else {
                    show
                },
                text,
                url,
            )
        }
        EvidenceItem::Link { url, .. } => ("link", String::new(), url.clone()),
        EvidenceItem::Answer { text, .. } | EvidenceItem::Reflection { text } => {
            ("words", text.clone(), url)
        }
    };
    EvidenceView {
        index,
        item: item_view(item),
        show,
        url,
        text,
    }
}

fn review_page(web: &Web, view: &ReviewerView, now: &str, csrf: String, site: Site) -> ReviewPage {
    let (due, overdue) = due_words(&view.due_at, now);
    let scores = view.scores.as_ref();
    ReviewPage {
        site,
        csrf,
        errors: Problems::default(),
        id: view.review_id.clone(),
        credential_name: view.credential_name.clone(),
        attempt: view.attempt,
        tiebreak: view.tiebreak,
        due,
        overdue: overdue && scores.is_none(),
        scored: scores.is_some(),
        outcome: match view.outcome {
            Some(credreg_model::DecisionOutcome::Pass) => "Decided: awarded".into(),
            Some(_) => "Decided: not yet".into(),
            None => String::new(),
        },
        teacher: view.teacher.clone().unwrap_or_default(),
        evidence: view
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| evidence_view(web, &view.review_id, i, item))
            .collect(),
        criteria: view
            .rubric
            .criteria
            .iter()
            .enumerate()
            .map(|(i, c)| CriterionView {
                index: i,
                name: c.name.clone(),
                description: c.description.clone().unwrap_or_default(),
                levels: c
                    .levels
                    .iter()
                    .enumerate()
                    .map(|(l, level)| {
                        (
                            l,
                            level.name.clone(),
                            level.description.clone().unwrap_or_default(),
                            level.passing,
                            scores.and_then(|s| s.get(i)).is_some_and(|s| s.level == l),
                        )
                    })
                    .collect(),
                comment: scores
                    .and_then(|s| s.get(i))
                    .map(|s| s.comment.clone())
                    .unwrap_or_default(),
            })
            .collect(),
    }
}

async fn show_review(
    web: &Web,
    headers: &HeaderMap,
    id: String,
    status: StatusCode,
    change: impl FnOnce(&mut ReviewPage) + Send + 'static,
) -> Response {
    let token = page_token(headers);
    let (w, h, t) = (web.clone(), headers.clone(), token.clone());
    let page = blocking(move || {
        let n = &w.node;
        let actor = signed_in(n, &h)?;
        let view = n.review(&actor, &id).ok()?;
        let mut page = review_page(&w, &view, &n.now_rfc3339(), t, site_for(n, &actor));
        change(&mut page);
        Some(page)
    })
    .await
    .flatten();
    match page {
        Some(p) => with_csrf_cookie(html(status, p), &token),
        None => message(
            &web.node,
            StatusCode::NOT_FOUND,
            "Review not found",
            "There is no review of yours at that address. Sign in, then open it from My reviews.",
        ),
    }
}

pub(crate) async fn review(
    State(web): State<Web>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    show_review(&web, &headers, id, StatusCode::OK, |_| {}).await
}

/// Scores a review: `level-N` (a level index) and `comment-N` for criterion N.
pub(crate) async fn score(
    State(web): State<Web>,
    Path(id): Path<String>,
    headers: HeaderMap,
    CheckedForm(form): CheckedForm<HashMap<String, String>>,
) -> Response {
    let (n, h, id2, f2) = (web.node.clone(), headers.clone(), id.clone(), form.clone());
    let outcome = blocking(move || {
        let actor = signed_in(&n, &h).ok_or(Problems::default())?;
        let view = n
            .review(&actor, &id2)
            .map_err(|e| Problems::from_node(&e, "criterion-0"))?;
        let mut errors = Problems::default();
        let mut scores = Vec::new();
        for (i, c) in view.rubric.criteria.iter().enumerate() {
            let level = f2
                .get(&format!("level-{i}"))
                .and_then(|v| v.parse::<usize>().ok())
                .filter(|l| *l < c.levels.len());
            match level {
                Some(level) => scores.push(CriterionScore {
                    level,
                    comment: f2
                        .get(&format!("comment-{i}"))
                        .map(|c| c.trim().to_owned())
                        .unwrap_or_default(),
                }),
                None => errors.add(
                    &format!("criterion-{i}"),
                    format!("Choose a level for “{}”", c.name),
                ),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        n.score(&actor, &id2, scores)
            .map_err(|e| Problems::from_node(&e, "criterion-0"))
    })
    .await;
    match outcome {
        Some(Ok(_)) => see_other(&format!("/reviews/{id}")),
        Some(Err(errors)) if errors.is_empty() => to_sign_in(),
        Some(Err(errors)) => {
            show_review(
                &web,
                &headers,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                move |p| {
                    // Keep what the reviewer chose and wrote.
                    for c in &mut p.criteria {
                        let chosen = form
                            .get(&format!("level-{}", c.index))
                            .and_then(|v| v.parse::<usize>().ok());
                        for l in &mut c.levels {
                            l.4 = chosen == Some(l.0);
                        }
                        c.comment = form
                            .get(&format!("comment-{}", c.index))
                            .cloned()
                            .unwrap_or_default();
                    }
                    p.errors = errors;
                },
            )
            .await
        }
        None => to_sign_in(),
    }
}

/// An evidence file for the reviewer: shown inline only for types that cannot run script
/// (with `nosniff` and a sandboxing CSP), otherwise as a download.
pub(crate) async fn evidence(
    State(web): State<Web>,
    Path((id, index)): Path<(String, usize)>,
    headers: HeaderMap,
) -> Response {
    let (n, h) = (web.node.clone(), headers.clone());
    let item = blocking(move || {
        let actor = signed_in(&n, &h)?;
        n.review_evidence(&actor, &id, index).ok()
    })
    .await
    .flatten();
    let Some(EvidenceItem::File {
        name,
        digest,
        media_type,
        size,
    }) = item
    else {
        return message(
            &web.node,
            StatusCode::NOT_FOUND,
            "Evidence not found",
            "There is no such file in a review of yours.",
        );
    };
    let Some(path) = web.evidence.as_ref().and_then(|f| f.path(&digest)) else {
        return message(
            &web.node,
            StatusCode::NOT_FOUND,
            "Evidence not found",
            "This node keeps no evidence files.",
        );
    };
    let Ok(file) = tokio::fs::File::open(path).await else {
        return message(
            &web.node,
            StatusCode::NOT_FOUND,
            "Evidence not found",
            "The file is missing from this node's evidence store.",
        );
    };
    let inline = shown_inline(&media_type);
    let mut res = Body::from_stream(tokio_util::io::ReaderStream::with_capacity(file, 64 * 1024))
        .into_response();
    let h = res.headers_mut();
    let shown = if inline {
        media_type.as_str()
    } else {
        "application/octet-stream"
    };
    if let Ok(v) = HeaderValue::from_str(shown) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
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
    let disposition = if inline { "inline" } else { "attachment" };
    if let Ok(v) = HeaderValue::from_str(&format!("{disposition}; filename=\"{safe}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'; img-src 'self'; media-src 'self'"),
    );
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    res
}

crate::forms::csrf_field!(ClaimForm);
