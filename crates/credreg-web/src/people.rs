//! Signing in with a mailed code, and a teacher's own credentials.

use crate::forms::{checked, cookie, csrf_cookie, fresh_csrf, with_csrf_cookie, SESSION_COOKIE};
use crate::shell::{blocking, html, site, Site};
use askama::Template;
use axum::extract::{Form, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
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
    sent: bool,
}

#[derive(Template)]
#[template(path = "mine.html")]
pub(crate) struct MinePage {
    site: Site,
    person: String,
    submissions: Vec<(String, u8, String)>,
}

pub(crate) fn sign_in_page(node: &Node, csrf: String) -> SignInPage {
    SignInPage {
        site: site(node),
        csrf,
        error: String::new(),
        error_field: String::new(),
        email: String::new(),
        sent: false,
    }
}

pub(crate) async fn sign_in_form(State(node): State<Arc<Node>>, headers: HeaderMap) -> Response {
    let token = csrf_cookie(&headers).unwrap_or_else(fresh_csrf);
    with_csrf_cookie(
        html(StatusCode::OK, sign_in_page(&node, token.clone())),
        &token,
    )
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
    form: Result<Form<SignInForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let form = match checked(
        &node,
        &headers,
        form,
        |f| f.csrf.as_str(),
        "Open the sign-in page again.",
    ) {
        Ok(f) => f,
        Err(page) => return *page,
    };
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

pub(crate) async fn mine(State(node): State<Arc<Node>>, headers: HeaderMap) -> Response {
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
