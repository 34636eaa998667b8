//! First run: the setup form that makes the holder of the printed code the first coordinator.

use crate::forms::{
    page_token, say, see_other, with_csrf_cookie, with_session_cookie, CheckedForm, Problems,
};
use crate::shell::{blocking, html, site, Site};
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use credreg_node::Node;
use serde::Deserialize;
use std::sync::Arc;

#[derive(Template)]
#[template(path = "setup.html")]
pub(crate) struct SetupPage {
    site: Site,
    csrf: String,
    errors: Problems,
    name: String,
    email: String,
}

pub(crate) async fn setup_form(State(node): State<Arc<Node>>, headers: HeaderMap) -> Response {
    let n = node.clone();
    if !blocking(move || n.needs_setup().unwrap_or(false))
        .await
        .unwrap_or(false)
    {
        return see_other("/sign-in");
    }
    let token = page_token(&headers);
    let page = SetupPage {
        site: site(&node),
        csrf: token.clone(),
        errors: Problems::default(),
        name: String::new(),
        email: String::new(),
    };
    with_csrf_cookie(html(StatusCode::OK, page), &token)
}

#[derive(Deserialize)]
pub(crate) struct SetupForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
}

pub(crate) async fn setup_submit(
    State(node): State<Arc<Node>>,
    CheckedForm(form): CheckedForm<SetupForm>,
) -> Response {
    let mut errors = Problems::default();
    if form.code.trim().is_empty() {
        errors.add(
            "code",
            "Enter the setup code the node printed when it started",
        );
    }
    if form.name.trim().is_empty() {
        errors.add("name", "Enter your name");
    }
    if !credreg_model::looks_like_email(form.email.trim()) {
        errors.add("email", "Enter your e-mail address, like name@district.org");
    }
    if errors.is_empty() {
        let n = node.clone();
        let (code, name, email) = (form.code.clone(), form.name.clone(), form.email.clone());
        match blocking(move || n.complete_setup(&code, &name, email.trim())).await {
            Some(Ok((session, _))) => {
                return with_session_cookie(see_other("/coordinator"), &session)
            }
            Some(Err(e)) => errors.add("code", say(&e)),
            None => errors.add("code", "Something went wrong: try again"),
        }
    }
    let token = form.csrf.clone();
    let page = SetupPage {
        site: site(&node),
        csrf: token.clone(),
        errors,
        name: form.name,
        email: form.email,
    };
    with_csrf_cookie(html(StatusCode::UNPROCESSABLE_ENTITY, page), &token)
}

crate::forms::csrf_field!(SetupForm);
