//! Evidence behind a badge's links is private: someone who follows one (a hiring principal,
//! another district's coordinator) asks the teacher here, and the teacher grants or declines
//! from the submission page. A grant mails the asker a share link valid seven days.

use crate::forms::{
    page_token, say, see_other, signed_in, to_sign_in, with_csrf_cookie, CheckedForm, Problems,
};
use crate::shell::{blocking, html, site, Site};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use credreg_node::Node;
use serde::Deserialize;
use std::sync::Arc;

#[derive(Template)]
#[template(path = "ask.html")]
pub(crate) struct AskPage {
    site: Site,
    csrf: String,
    errors: Problems,
    id: String,
    index: usize,
    sent: bool,
    name: String,
    email: String,
    reason: String,
}

fn ask_page(node: &Node, csrf: String, id: String, index: usize) -> AskPage {
    AskPage {
        site: site(node),
        csrf,
        errors: Problems::default(),
        id,
        index,
        sent: false,
        name: String::new(),
        email: String::new(),
        reason: String::new(),
    }
}

pub(crate) async fn ask_form(
    State(node): State<Arc<Node>>,
    Path((id, index)): Path<(String, usize)>,
    headers: HeaderMap,
) -> Response {
    let token = page_token(&headers);
    with_csrf_cookie(
        html(StatusCode::OK, ask_page(&node, token.clone(), id, index)),
        &token,
    )
}

#[derive(Deserialize)]
pub(crate) struct AskForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    reason: String,
}

pub(crate) async fn ask_submit(
    State(node): State<Arc<Node>>,
    Path((id, index)): Path<(String, usize)>,
    CheckedForm(form): CheckedForm<AskForm>,
) -> Response {
    let (n, id2) = (node.clone(), id.clone());
    let (name, email, reason) = (
        form.name.trim().to_owned(),
        form.email.trim().to_owned(),
        form.reason.trim().to_owned(),
    );
    let (nm, em, rs) = (name.clone(), email.clone(), reason.clone());
    let asked = blocking(move || n.request_evidence_access(&id2, index, &nm, &em, &rs)).await;
    let mut page = ask_page(&node, form.csrf.clone(), id, index);
    let status = match asked {
        Some(Ok(())) => {
            page.sent = true;
            StatusCode::OK
        }
        Some(Err(e)) => {
            page.errors = Problems::from_node(&e, "reason");
            if page.errors.is_empty() {
                page.errors.add("reason", say(&e));
            }
            page.name = name;
            page.email = email;
            page.reason = reason;
            StatusCode::UNPROCESSABLE_ENTITY
        }
        None => StatusCode::INTERNAL_SERVER_ERROR,
    };
    with_csrf_cookie(html(status, page), &form.csrf)
}

#[derive(Deserialize)]
pub(crate) struct DecideForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    decision: String,
}

/// The teacher grants or declines one request.
pub(crate) async fn decide(
    State(node): State<Arc<Node>>,
    Path((id, request)): Path<(String, String)>,
    headers: HeaderMap,
    CheckedForm(form): CheckedForm<DecideForm>,
) -> Response {
    let (n, h, id2) = (node.clone(), headers.clone(), id.clone());
    let grant = form.decision == "grant";
    let done = blocking(move || {
        let actor = signed_in(&n, &h).ok_or(None)?;
        n.decide_evidence_access(&actor, &id2, &request, grant)
            .map_err(Some)
    })
    .await;
    match done {
        Some(Ok(_)) => see_other(&format!("/mine/submissions/{id}")),
        Some(Err(Some(e))) => crate::shell::message(
            &node,
            StatusCode::CONFLICT,
            "The request could not be answered",
            &format!("{}.", say(&e)),
        ),
        _ => to_sign_in(),
    }
}

crate::forms::csrf_field!(AskForm, DecideForm);
