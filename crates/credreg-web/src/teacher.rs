//! A teacher's pages: starting a credential (or asking for pre-approval), a submission with
//! its evidence (files uploaded, links, a reflection), submitting and resubmitting, and the
//! teacher's e-mail addresses.

use crate::forms::{
    page_token, say, see_other, signed_in, to_sign_in, with_csrf_cookie, CheckedForm, Problems,
};
use crate::shell::{blocking, html, message, site_for, Site};
use crate::Web;
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use credreg_model::DecisionOutcome;
use credreg_node::review::files::{EvidenceFiles, UploadCheck, UploadError};
use credreg_node::review::{
    Actor, EvidenceItem, PreApprovalState, SubmissionState, SubmissionView,
};
use credreg_node::Node;
use serde::Deserialize;
use std::sync::Arc;

/// One evidence item as a line on the page.
pub(crate) struct ItemView {
    pub(crate) kind: &'static str,
    pub(crate) title: String,
    pub(crate) detail: String,
}

pub(crate) fn item_view(item: &EvidenceItem) -> ItemView {
    match item {
        EvidenceItem::Link { url, name } => ItemView {
            kind: "Link",
            title: name.clone(),
            detail: url.clone(),
        },
        EvidenceItem::Answer { question, text } => ItemView {
            kind: "Answer",
            title: question.clone(),
            detail: text.clone(),
        },
        EvidenceItem::Reflection { text } => ItemView {
            kind: "Reflection",
            title: "Your reflection".into(),
            detail: text.clone(),
        },
        EvidenceItem::File {
            name,
            media_type,
            size,
            ..
        } => ItemView {
            kind: "File",
            title: name.clone(),
            detail: format!("{}, {}", type_words(media_type), size_words(*size)),
        },
    }
}

pub(crate) fn type_words(media_type: &str) -> &'static str {
    match media_type {
        "application/pdf" => "PDF document",
        t if t.starts_with("image/") => "image",
        t if t.starts_with("video/") => "video",
        t if t.starts_with("audio/") => "audio recording",
        "text/plain" => "text file",
        _ => "office document",
    }
}

pub(crate) fn size_words(size: u64) -> String {
    match size {
        s if s >= 1024 * 1024 => format!("{:.1} MB", s as f64 / (1024.0 * 1024.0)),
        s if s >= 1024 => format!("{} KB", s.div_ceil(1024)),
        s => format!("{s} bytes"),
    }
}

/// Where a submission is, in words.
pub(crate) fn state_words(s: &SubmissionView) -> String {
    match (s.state, s.decision.as_ref().map(|d| d.outcome)) {
        (SubmissionState::Draft, _) => "Draft: add your evidence and submit".to_owned(),
        (SubmissionState::Submitted, _) => format!(
            "Submitted: with the reviewers ({} of {} reviews done)",
            s.reviews_done, s.reviews_assigned
        ),
        (SubmissionState::Decided, Some(DecisionOutcome::Pass)) => "Awarded".to_owned(),
        (SubmissionState::Decided, _) => "Not yet: read the feedback and resubmit".to_owned(),
        (SubmissionState::Withdrawn, _) => "Withdrawn".to_owned(),
    }
}

#[derive(Template)]
#[template(path = "submission.html")]
pub(crate) struct SubmissionPage {
    site: Site,
    csrf: String,
    errors: Problems,
    id: String,
    credential_id: String,
    credential_name: String,
    attempt: u8,
    state: String,
    draft: bool,
    uploads_on: bool,
    limit: String,
    requirements: Vec<String>,
    items: Vec<ItemView>,
    feedback: Vec<(String, String, bool, String)>,
    can_resubmit: bool,
    award_id: String,
    link_url: String,
    link_name: String,
    reflection: String,
    /// (request id, who, their address, why, item number, answer in words, open)
    requests: Vec<(String, String, String, String, usize, String, bool)>,
}

fn submission_page(
    node: &Node,
    evidence: Option<&EvidenceFiles>,
    actor: &Actor,
    id: &str,
    csrf: String,
) -> Option<SubmissionPage> {
    let s = node.submission(actor, id).ok()?;
    let entry = node.definition(&s.credential_id).ok().flatten();
    let requirements = entry
        .as_ref()
        .map(|e| {
            e.def
                .evidence_requirements
                .iter()
                .map(|r| r.description.clone())
                .collect()
        })
        .unwrap_or_default();
    let decision = s.decision.as_ref();
    let feedback = decision
        .filter(|d| d.outcome != DecisionOutcome::Pass)
        .map(|d| {
            d.feedback
                .iter()
                .map(|f| {
                    (
                        f.criterion.clone(),
                        f.level.clone(),
                        f.met,
                        f.comments.join(" "),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    Some(SubmissionPage {
        site: site_for(node, actor),
        csrf,
        errors: Problems::default(),
        id: s.id.clone(),
        credential_id: s.credential_id.clone(),
        credential_name: s.credential_name.clone(),
        attempt: s.attempt,
        state: state_words(&s),
        draft: s.state == SubmissionState::Draft,
        uploads_on: evidence.is_some(),
        limit: evidence.map(|e| size_words(e.limit())).unwrap_or_default(),
        requirements,
        items: s.items.iter().map(item_view).collect(),
        feedback,
        can_resubmit: s.state == SubmissionState::Decided
            && decision.is_some_and(|d| d.outcome != DecisionOutcome::Pass)
            && s.attempts_left > 0,
        award_id: decision
            .and_then(|d| d.award_id.clone())
            .unwrap_or_default(),
        link_url: String::new(),
        link_name: String::new(),
        reflection: String::new(),
        requests: node
            .evidence_access_requests(actor, id)
            .unwrap_or_default()
            .into_iter()
            .map(|r| {
                let answer = match r.granted {
                    None => "waiting for your answer".to_owned(),
                    Some(true) => "you agreed: a link was mailed".to_owned(),
                    Some(false) => "you declined".to_owned(),
                };
                (
                    r.id,
                    r.name,
                    r.email,
                    r.reason,
                    r.item + 1,
                    answer,
                    r.granted.is_none(),
                )
            })
            .collect(),
    })
}

async fn show_submission(
    web: &Web,
    headers: &HeaderMap,
    id: String,
    status: StatusCode,
    change: impl FnOnce(&mut SubmissionPage) + Send + 'static,
) -> Response {
    let token = page_token(headers);
    let (n, h, ev, t) = (
        web.node.clone(),
        headers.clone(),
        web.evidence.clone(),
        token.clone(),
    );
    let page = blocking(move || {
        let actor = signed_in(&n, &h)?;
        let mut page = submission_page(&n, ev.as_ref(), &actor, &id, t)?;
        change(&mut page);
        Some(page)
    })
    .await
    .flatten();
    match page {
        Some(p) => with_csrf_cookie(html(status, p), &token),
        None => not_yours(&web.node),
    }
}

fn not_yours(node: &Node) -> Response {
    message(
        node,
        StatusCode::NOT_FOUND,
        "Submission not found",
        "There is no submission of yours at that address. Sign in, then open it from My credentials.",
    )
}

pub(crate) async fn submission(
    State(web): State<Web>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    show_submission(&web, &headers, id, StatusCode::OK, |_| {}).await
}

#[derive(Deserialize)]
pub(crate) struct StartForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    plan: String,
}

/// Starts a credential: a draft, or (when the policy asks for it and none is approved yet) a
/// pre-approval request.
pub(crate) async fn start(
    State(node): State<Arc<Node>>,
    Path(credential): Path<String>,
    headers: HeaderMap,
    CheckedForm(form): CheckedForm<StartForm>,
) -> Response {
    let n = node.clone();
    let outcome = blocking(move || {
        let Some(actor) = signed_in(&n, &headers) else {
            return Ok(None);
        };
        let needs = n
            .definition(&credential)
            .ok()
            .flatten()
            .and_then(|e| e.def.review_policy.clone())
            .is_some_and(|p| p.pre_approval_required);
        let approved = n.pre_approvals(&actor).is_ok_and(|list| {
            list.iter()
                .any(|a| a.credential_id == credential && a.state == PreApprovalState::Approved)
        });
        if needs && !approved {
            n.request_pre_approval(&actor, &credential, &form.plan)
                .map(|_| Some("/mine?asked=1".to_owned()))
        } else {
            n.start_submission(&actor, &credential, None)
                .map(|s| Some(format!("/mine/submissions/{}", s.id)))
        }
    })
    .await;
    match outcome {
        Some(Ok(Some(to))) => see_other(&to),
        Some(Ok(None)) => to_sign_in(),
        Some(Err(e)) => message(
            &node,
            StatusCode::CONFLICT,
            "The credential could not be started",
            &format!("{}.", say(&e)),
        ),
        None => message(
            &node,
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "Please try again.",
        ),
    }
}

#[derive(Deserialize)]
pub(crate) struct ItemForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    text: String,
}

/// Adds a link or the reflection to a draft.
pub(crate) async fn add_item(
    State(web): State<Web>,
    Path(id): Path<String>,
    headers: HeaderMap,
    CheckedForm(form): CheckedForm<ItemForm>,
) -> Response {
    let (field, item) = if form.kind == "reflection" {
        (
            "text",
            EvidenceItem::Reflection {
                text: form.text.trim().to_owned(),
            },
        )
    } else {
        (
            "url",
            EvidenceItem::Link {
                url: form.url.trim().to_owned(),
                name: form.name.trim().to_owned(),
            },
        )
    };
    let (n, h, id2) = (web.node.clone(), headers.clone(), id.clone());
    let added = blocking(move || {
        let actor = signed_in(&n, &h).ok_or(None)?;
        n.add_evidence(&actor, &id2, item).map_err(Some)
    })
    .await;
    match added {
        Some(Ok(_)) => see_other(&format!("/mine/submissions/{id}")),
        Some(Err(None)) => to_sign_in(),
        Some(Err(Some(e))) => {
            let errors = Problems::from_node(&e, field);
            show_submission(
                &web,
                &headers,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                move |p| {
                    p.errors = errors;
                    p.link_url = form.url;
                    p.link_name = form.name;
                    p.reflection = form.text;
                },
            )
            .await
        }
        None => not_yours(&web.node),
    }
}

/// What an upload from the form came to.
enum Upload {
    Stored(String, &'static str, String, u64),
    Refused(String),
}

fn refusal(e: UploadError) -> String {
    match e {
        UploadError::TooLarge { .. } => format!("The file is too large: {e}"),
        UploadError::Empty => "The file is empty: choose the file again".to_owned(),
        UploadError::Unsupported => format!("That type of file cannot be evidence: {e}"),
        _ => "The upload broke off: try again".to_owned(),
    }
}

/// The refusal when writing the file failed: a full disk is said as such (trying again would
/// not help, and the coordinator is the one who can act), anything else may pass.
fn not_saved(e: &std::io::Error) -> Upload {
    if credreg_node::is_disk_full(e) {
        Upload::Refused(
            "This node's storage is full, so your file was not saved and your draft is unchanged. Tell your coordinator: trying again will not work until space is freed".into(),
        )
    } else {
        Upload::Refused("The file could not be saved: try again".into())
    }
}

/// Reads the upload form: the CSRF field, then the file, streamed to a temporary file while
/// it is checked.
async fn receive(
    files: &EvidenceFiles,
    headers: &HeaderMap,
    mut form: Multipart,
) -> Result<Upload, &'static str> {
    use tokio::io::AsyncWriteExt;
    let mut csrf_ok = false;
    while let Ok(Some(mut field)) = form.next_field().await {
        match field.name() {
            Some("csrf") => {
                let value = field.text().await.unwrap_or_default();
                csrf_ok = crate::forms::csrf_matches(headers, &value);
            }
            Some("file") if csrf_ok => {
                let name = field.file_name().unwrap_or_default().trim().to_owned();
                if tokio::fs::create_dir_all(files.dir()).await.is_err() {
                    return Ok(Upload::Refused(
                        "Uploads are not working on this node: tell your coordinator".into(),
                    ));
                }
                let temp = files.temp_path();
                let _cleanup = RemoveOnDrop(temp.clone());
                let Ok(mut out) = tokio::fs::File::create(&temp).await else {
                    return Ok(Upload::Refused(
                        "Uploads are not working on this node: tell your coordinator".into(),
                    ));
                };
                let mut check = match UploadCheck::new(files.limit(), None) {
                    Ok(c) => c,
                    Err(e) => return Ok(Upload::Refused(refusal(e))),
                };
                loop {
                    match field.chunk().await {
                        Ok(Some(chunk)) => {
                            if let Err(e) = check.feed(&chunk) {
                                return Ok(Upload::Refused(refusal(e)));
                            }
                            if let Err(e) = out.write_all(&chunk).await {
                                return Ok(not_saved(&e));
                            }
                        }
                        Ok(None) => break,
                        Err(_) => {
                            return Ok(Upload::Refused("The upload broke off: try again".into()))
                        }
                    }
                }
                let checked = match check.finish() {
                    Ok(c) => c,
                    Err(UploadError::Empty) if name.is_empty() => {
                        return Ok(Upload::Refused("Choose a file to upload".into()))
                    }
                    Err(e) => return Ok(Upload::Refused(refusal(e))),
                };
                if let Err(e) = out.sync_all().await {
                    return Ok(not_saved(&e));
                }
                drop(out);
                let (f, t, c) = (files.clone(), temp.clone(), checked.clone());
                // `None` from the blocking pool is a task that panicked: not saved either.
                let committed = blocking(move || f.commit(&t, &c.digest))
                    .await
                    .unwrap_or_else(|| Err(std::io::Error::other("the commit task failed")));
                if let Err(e) = committed {
                    return Ok(not_saved(&e));
                }
                let name = if name.is_empty() {
                    "evidence".to_owned()
                } else {
                    name
                };
                return Ok(Upload::Stored(
                    name,
                    checked.media_type,
                    checked.digest,
                    checked.size,
                ));
            }
            _ => {}
        }
    }
    if csrf_ok {
        Ok(Upload::Refused("Choose a file to upload".into()))
    } else {
        Err("The form expired")
    }
}

struct RemoveOnDrop(std::path::PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Uploads one evidence file to a draft (a `multipart/form-data` form; the page's script
/// only adds a progress bar to the same form).
pub(crate) async fn upload(
    State(web): State<Web>,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let Some(files) = web.evidence.clone() else {
        return message(
            &web.node,
            StatusCode::SERVICE_UNAVAILABLE,
            "Uploads are off",
            "This node keeps no evidence files.",
        );
    };
    let Ok(form) = form else {
        return message(
            &web.node,
            StatusCode::BAD_REQUEST,
            "Something was wrong with the form",
            "Go back and try again.",
        );
    };
    // Refused before a byte is written: only the teacher's own draft takes files.
    let (n, h, id2) = (web.node.clone(), headers.clone(), id.clone());
    let may = blocking(move || {
        let actor = signed_in(&n, &h).ok_or(None)?;
        n.may_upload(&actor, &id2).map(|_| actor).map_err(Some)
    })
    .await;
    let actor = match may {
        Some(Ok(a)) => a,
        Some(Err(None)) => return to_sign_in(),
        Some(Err(Some(e))) => return refused(&web, &headers, id, say(&e)).await,
        None => return not_yours(&web.node),
    };
    let (name, media_type, digest, size) = match receive(&files, &headers, form).await {
        Ok(Upload::Stored(n, m, d, s)) => (n, m, d, s),
        Ok(Upload::Refused(why)) => return refused(&web, &headers, id, why).await,
        Err(why) => {
            return message(
                &web.node,
                StatusCode::FORBIDDEN,
                why,
                "Open your submission again and choose the file again.",
            )
        }
    };
    let (n, id2, d2) = (web.node.clone(), id.clone(), digest.clone());
    let attached =
        blocking(move || n.attach_file(&actor, &id2, &name, &d2, media_type, size)).await;
    match attached {
        Some(Ok(_)) => see_other(&format!("/mine/submissions/{id}")),
        other => {
            // Nothing left behind: the file goes unless another submission already names it.
            let (n, d) = (web.node.clone(), digest.clone());
            if let Some(false) = blocking(move || n.evidence_file_in_use(&d).unwrap_or(true)).await
            {
                if let Some(p) = files.path(&digest) {
                    let _ = tokio::fs::remove_file(p).await;
                }
            }
            let why = match other {
                Some(Err(e)) => say(&e),
                _ => "The file could not be attached: try again".to_owned(),
            };
            refused(&web, &headers, id, why).await
        }
    }
}

async fn refused(web: &Web, headers: &HeaderMap, id: String, why: String) -> Response {
    show_submission(
        web,
        headers,
        id,
        StatusCode::UNPROCESSABLE_ENTITY,
        move |p| {
            p.errors.add("file", why);
        },
    )
    .await
}

#[derive(Deserialize)]
pub(crate) struct PlainForm {
    #[serde(default)]
    csrf: String,
}

/// Submits a draft for review.
pub(crate) async fn submit(
    State(web): State<Web>,
    Path(id): Path<String>,
    headers: HeaderMap,
    CheckedForm(_): CheckedForm<PlainForm>,
) -> Response {
    on_submission(web, id, headers, "submit", |n, actor, id| {
        n.submit(actor, id)
    })
    .await
}

/// Starts the next attempt after a "not yet".
pub(crate) async fn resubmit(
    State(web): State<Web>,
    Path(id): Path<String>,
    headers: HeaderMap,
    CheckedForm(_): CheckedForm<PlainForm>,
) -> Response {
    on_submission(web, id, headers, "resubmit", |n, actor, id| {
        let s = n.submission(actor, id)?;
        n.start_submission(actor, &s.credential_id, Some(id))
    })
    .await
}

/// A button on the submission page (its form already checked): runs `act` as the signed-in teacher,
/// then opens the submission it leads to, or shows the page again with the problem beside
/// the button (`field`).
async fn on_submission(
    web: Web,
    id: String,
    headers: HeaderMap,
    field: &'static str,
    act: impl FnOnce(&Node, &Actor, &str) -> Result<SubmissionView, credreg_node::NodeError>
        + Send
        + 'static,
) -> Response {
    let (n, h, id2) = (web.node.clone(), headers.clone(), id.clone());
    let done = blocking(move || {
        let actor = signed_in(&n, &h).ok_or(None)?;
        act(&n, &actor, &id2).map_err(Some)
    })
    .await;
    match done {
        Some(Ok(s)) => see_other(&format!("/mine/submissions/{}", s.id)),
        Some(Err(None)) => to_sign_in(),
        Some(Err(Some(e))) => {
            let why = say(&e);
            show_submission(
                &web,
                &headers,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                move |p| {
                    p.errors.add(field, why);
                },
            )
            .await
        }
        None => not_yours(&web.node),
    }
}

crate::forms::csrf_field!(ItemForm, PlainForm, StartForm);
