//! Signing in with a mailed code, and a teacher's own credentials.

use crate::forms::{
    cookie, csrf_cookie, fresh_csrf, page_token, say, signed_in, to_sign_in, with_csrf_cookie,
    with_session_cookie, without_session_cookie, CheckedForm, Problems, SESSION_COOKIE,
};
use crate::shell::{blocking, html, message, site, site_for, Site};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use credreg_node::Node;
use serde::Deserialize;
use std::sync::Arc;

#[derive(Template)]
#[template(path = "sign_in.html")]
pub(crate) struct SignInPage {
    site: Site,
    csrf: String,
    error: String,
    error_field: String,
    email: String,
    /// A code from the mailed link, filled in (never used until the person presses the
    /// button: mail scanners that open links must not spend the code).
    code: String,
    sent: bool,
}

#[derive(Template)]
#[template(path = "mine.html")]
pub(crate) struct MinePage {
    site: Site,
    person: String,
    asked: bool,
    /// (submission id, credential, attempt, where it is)
    submissions: Vec<(String, String, u8, String)>,
    /// (award id, credential)
    badges: Vec<(String, String)>,
    /// (credential, state in words)
    requests: Vec<(String, String)>,
}

pub(crate) fn sign_in_page(node: &Node, csrf: String) -> SignInPage {
    SignInPage {
        site: site(node),
        csrf,
        error: String::new(),
        error_field: String::new(),
        email: String::new(),
        code: String::new(),
        sent: false,
    }
}

#[derive(Deserialize)]
pub(crate) struct SignInQuery {
    #[serde(default)]
    code: String,
}

pub(crate) async fn sign_in_form(
    State(node): State<Arc<Node>>,
    headers: HeaderMap,
    query: Result<Query<SignInQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let token = csrf_cookie(&headers).unwrap_or_else(fresh_csrf);
    let mut page = sign_in_page(&node, token.clone());
    if let Ok(Query(q)) = query {
        page.code = q.code.chars().take(100).collect();
    }
    with_csrf_cookie(html(StatusCode::OK, page), &token)
}

#[derive(Deserialize)]
pub(crate) struct SignInForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    step: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    code: String,
}

pub(crate) async fn sign_in_submit(
    State(node): State<Arc<Node>>,
    headers: HeaderMap,
    CheckedForm(form): CheckedForm<SignInForm>,
) -> Response {
    let token = form.csrf.clone();
    let mut page = sign_in_page(&node, token.clone());
    let n = node.clone();
    if form.step == "code" {
        let code = form.code.trim().to_owned();
        // A new session replaces whatever session this browser held (rotated at sign-in).
        let old = cookie(&headers, SESSION_COOKIE);
        let signed = blocking(move || {
            let signed = n.sign_in_with_link(&code);
            if let (Ok(_), Some(old)) = (&signed, old) {
                let _ = n.end_session(&old);
            }
            signed
        })
        .await;
        return match signed {
            Some(Ok((session, _))) => with_session_cookie(
                axum::response::Redirect::to("/mine").into_response(),
                &session,
            ),
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

#[derive(Deserialize)]
pub(crate) struct MineQuery {
    #[serde(default)]
    asked: Option<String>,
}

pub(crate) async fn mine(
    State(node): State<Arc<Node>>,
    headers: HeaderMap,
    query: Result<Query<MineQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let asked = query.is_ok_and(|Query(q)| q.asked.is_some());
    let n = node.clone();
    let page = blocking(move || {
        let actor = signed_in(&n, &headers)?;
        let id = actor.person()?.to_owned();
        let person = n.person(&actor, &id).ok()?;
        let mine = n.submissions(&actor).ok()?;
        let mine: Vec<_> = mine
            .into_iter()
            .filter(|s| !actor.is_coordinator() || s_is_own(&n, &actor, &s.id))
            .collect();
        let badges = mine
            .iter()
            .filter_map(|s| {
                let award = s.decision.as_ref()?.award_id.clone()?;
                Some((award, s.credential_name.clone()))
            })
            .collect();
        let name_of = |credential: &str| {
            n.definition(credential)
                .ok()
                .flatten()
                .map(|e| e.def.name.clone())
                .unwrap_or_else(|| credential.to_owned())
        };
        let requests = n
            .pre_approvals(&actor)
            .unwrap_or_default()
            .into_iter()
            .filter(|a| a.teacher == id)
            .map(|a| {
                use credreg_node::review::PreApprovalState as P;
                let words = match a.state {
                    P::Requested => "waiting for your coordinator".to_owned(),
                    P::Approved => "approved: open the credential and start it".to_owned(),
                    P::Declined => format!(
                        "declined: {}",
                        a.note.clone().unwrap_or_else(|| "no reason given".into())
                    ),
                };
                (name_of(&a.credential_id), words)
            })
            .collect();
        Some(MinePage {
            site: site_for(&n, &actor),
            person: person.name,
            asked,
            submissions: mine
                .iter()
                .map(|s| {
                    (
                        s.id.clone(),
                        s.credential_name.clone(),
                        s.attempt,
                        crate::teacher::state_words(s),
                    )
                })
                .collect(),
            badges,
            requests,
        })
    })
    .await
    .flatten();
    match page {
        Some(p) => html(StatusCode::OK, p),
        None => to_sign_in(),
    }
}

/// Whether a submission is the actor's own (a coordinator sees everyone's in the API; this
/// page is only theirs).
fn s_is_own(node: &Node, actor: &credreg_node::review::Actor, id: &str) -> bool {
    node.submission_record(actor, id)
        .is_ok_and(|s| Some(s.teacher.as_str()) == actor.person())
}

/// Signs out: the session ends on the node, and the cookie is cleared. (A link, not a form:
/// the cookie is `SameSite=Strict`, so another site cannot sign anyone out.)
pub(crate) async fn sign_out(State(node): State<Arc<Node>>, headers: HeaderMap) -> Response {
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        let n = node.clone();
        let _ = blocking(move || n.end_session(&token)).await;
    }
    without_session_cookie(message(
        &node,
        StatusCode::OK,
        "You are signed out",
        "Sign in again from the sign-in page when you need to.",
    ))
}

#[derive(Template)]
#[template(path = "emails.html")]
pub(crate) struct EmailsPage {
    site: Site,
    csrf: String,
    errors: Problems,
    notice: String,
    emails: Vec<(String, bool)>,
    address: String,
}

async fn emails_page(
    node: &Arc<Node>,
    headers: &HeaderMap,
    status: StatusCode,
    errors: Problems,
    notice: String,
    address: String,
) -> Response {
    let token = page_token(headers);
    let (n, h, t) = (node.clone(), headers.clone(), token.clone());
    let page = blocking(move || {
        let actor = signed_in(&n, &h)?;
        let me = n.person(&actor, actor.person()?).ok()?;
        Some(EmailsPage {
            site: site_for(&n, &actor),
            csrf: t,
            errors,
            notice,
            emails: me
                .emails
                .iter()
                .map(|e| (e.address.clone(), e.verified))
                .collect(),
            address,
        })
    })
    .await
    .flatten();
    match page {
        Some(p) => with_csrf_cookie(html(status, p), &token),
        None => to_sign_in(),
    }
}

pub(crate) async fn emails(State(node): State<Arc<Node>>, headers: HeaderMap) -> Response {
    emails_page(
        &node,
        &headers,
        StatusCode::OK,
        Problems::default(),
        String::new(),
        String::new(),
    )
    .await
}

#[derive(Deserialize)]
pub(crate) struct EmailForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    step: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    code: String,
}

/// Adds an address (a code is mailed to it) or confirms one with that code.
pub(crate) async fn emails_submit(
    State(node): State<Arc<Node>>,
    headers: HeaderMap,
    CheckedForm(form): CheckedForm<EmailForm>,
) -> Response {
    let (n, h) = (node.clone(), headers.clone());
    let (step, address, code) = (
        form.step.clone(),
        form.address.trim().to_owned(),
        form.code.trim().to_owned(),
    );
    let outcome = blocking(move || {
        let actor = signed_in(&n, &h).ok_or(None)?;
        if step == "confirm" {
            n.verify_email(&code)
                .map(|p| format!("Confirmed: {} addresses on your record", p.emails.len()))
                .map_err(|e| Some(("code", e)))
        } else {
            n.add_email(&actor, &address)
                .map(|_| format!("A confirmation code is on its way to {address}: enter it below"))
                .map_err(|e| Some(("address", e)))
        }
    })
    .await;
    match outcome {
        Some(Ok(notice)) => {
            emails_page(
                &node,
                &headers,
                StatusCode::OK,
                Problems::default(),
                notice,
                String::new(),
            )
            .await
        }
        Some(Err(None)) => to_sign_in(),
        Some(Err(Some((field, e)))) => {
            let mut errors = Problems::default();
            errors.add(field, say(&e));
            emails_page(
                &node,
                &headers,
                StatusCode::UNPROCESSABLE_ENTITY,
                errors,
                String::new(),
                form.address,
            )
            .await
        }
        None => to_sign_in(),
    }
}

crate::forms::csrf_field!(EmailForm, SignInForm, EverywhereForm);

#[derive(Deserialize)]
pub(crate) struct EverywhereForm {
    #[serde(default)]
    csrf: String,
}

/// Ends every session of the signed-in person, this browser's included.
pub(crate) async fn sign_out_everywhere(
    State(node): State<Arc<Node>>,
    headers: HeaderMap,
    CheckedForm(_form): CheckedForm<EverywhereForm>,
) -> Response {
    let (n, h) = (node.clone(), headers.clone());
    let ended = blocking(move || {
        let actor = signed_in(&n, &h)?;
        n.end_all_sessions(&actor).ok()
    })
    .await
    .flatten();
    let Some(ended) = ended else {
        return to_sign_in();
    };
    without_session_cookie(message(
        &node,
        StatusCode::OK,
        "You are signed out everywhere",
        &if ended == 1 {
            "This was your only session, and it has ended. Sign in again from the sign-in page when you need to.".to_owned()
        } else {
            format!("{ended} sessions were ended, this one included. Sign in again from the sign-in page when you need to.")
        },
    ))
}
