//! Cookies: the CSRF token every form carries (double submit: cookie and field must
//! match) and the session cookie; and the check every form submission goes through.

use crate::shell::{html, message};
use axum::extract::Form;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use credreg_node::review::Actor;
use credreg_node::{same_secret, Node, NodeError};

pub(crate) const CSRF_COOKIE: &str = "credreg_csrf";

/// The session cookie: HttpOnly, SameSite=Strict, for the whole site.
pub(crate) const SESSION_COOKIE: &str = "credreg_session";

pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

pub(crate) fn csrf_cookie(headers: &HeaderMap) -> Option<String> {
    cookie(headers, CSRF_COOKIE)
}

pub(crate) fn with_csrf_cookie(mut res: Response, token: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict"
    )) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

pub(crate) fn fresh_csrf() -> String {
    let mut b = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut b);
    hex::encode(b)
}

/// Whether a form's CSRF field matches the cookie (for multipart forms, read before this).
pub(crate) fn csrf_matches(headers: &HeaderMap, token: &str) -> bool {
    !token.is_empty() && csrf_cookie(headers).is_some_and(|c| same_secret(&c, token))
}

/// The page for a form whose CSRF token did not match.
pub(crate) fn expired(node: &Node, again: &str) -> Response {
    message(node, StatusCode::FORBIDDEN, "The form expired", again)
}

/// Forms whose CSRF token is their `csrf` field.
macro_rules! csrf_field {
    ($($form:ty),* $(,)?) => {
        $(impl crate::forms::HasCsrf for $form {
            fn csrf(&self) -> &str {
                &self.csrf
            }
        })*
    };
}
pub(crate) use csrf_field;

/// A form that carries its CSRF field.
pub(crate) trait HasCsrf {
    fn csrf(&self) -> &str;
}

impl HasCsrf for std::collections::HashMap<String, String> {
    fn csrf(&self) -> &str {
        self.get("csrf").map_or("", String::as_str)
    }
}

impl HasCsrf for Vec<(String, String)> {
    fn csrf(&self) -> &str {
        self.iter()
            .find(|(k, _)| k == "csrf")
            .map_or("", |(_, v)| v.as_str())
    }
}

/// A form that decoded and whose CSRF field matches the cookie; otherwise the handler never
/// runs and the person gets a page saying what went wrong (a broken form, or one that
/// expired).
pub(crate) struct CheckedForm<T>(pub(crate) T);

impl<S, T> axum::extract::FromRequest<S> for CheckedForm<T>
where
    S: Send + Sync,
    std::sync::Arc<Node>: axum::extract::FromRef<S>,
    T: serde::de::DeserializeOwned + HasCsrf + Send,
{
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Response> {
        let node: std::sync::Arc<Node> = axum::extract::FromRef::from_ref(state);
        let headers = req.headers().clone();
        let form = Form::<T>::from_request(req, state).await;
        checked(
            &node,
            &headers,
            form,
            |f| f.csrf(),
            "Open the page again and send the form once more.",
        )
        .map(CheckedForm)
        .map_err(|page| *page)
    }
}

/// A submitted form, checked: it decodes, and its CSRF field matches the cookie. Otherwise, the
/// page to answer with (`again` says which page to open again).
pub(crate) fn checked<T>(
    node: &Node,
    headers: &HeaderMap,
    form: Result<Form<T>, axum::extract::rejection::FormRejection>,
    csrf: impl Fn(&T) -> &str,
    again: &str,
) -> Result<T, Box<Response>> {
    let Ok(Form(form)) = form else {
        return Err(Box::new(message(
            node,
            StatusCode::BAD_REQUEST,
            "Something was wrong with the form",
            "Go back and try again.",
        )));
    };
    let token = csrf(&form);
    if !csrf_matches(headers, token) {
        return Err(Box::new(message(
            node,
            StatusCode::FORBIDDEN,
            "The form expired",
            again,
        )));
    }
    Ok(form)
}

/// The CSRF token a page's forms carry: the browser's, or a fresh one (set with
/// [`with_csrf_cookie`]).
pub(crate) fn page_token(headers: &HeaderMap) -> String {
    csrf_cookie(headers).unwrap_or_else(fresh_csrf)
}

/// Who the session cookie belongs to (blocking: reads the node).
pub(crate) fn signed_in(node: &Node, headers: &HeaderMap) -> Option<Actor> {
    let token = cookie(headers, SESSION_COOKIE)?;
    node.session_actor(&token).ok().flatten()
}

/// The session cookie for a freshly opened session.
pub(crate) fn with_session_cookie(mut res: Response, session: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={session}; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200"
    )) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// `res` with the session cookie cleared (signing out).
pub(crate) fn without_session_cookie(mut res: Response) -> Response {
    res.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_static("credreg_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    res
}

/// Where a form goes after it worked: back to a page, with a GET (303), so a reload does not
/// post the form twice.
pub(crate) fn see_other(to: &str) -> Response {
    axum::response::Redirect::to(to).into_response()
}

/// A signed-out visitor sent to sign in.
pub(crate) fn to_sign_in() -> Response {
    see_other("/sign-in")
}

/// A form page with `status`, its token `csrf` also set as the CSRF cookie (so the next submit
/// matches), or the sign-in page when there is no page (nobody signed in).
pub(crate) fn form_page<P: askama::Template>(
    shown: Option<(StatusCode, P)>,
    csrf: impl FnOnce(&P) -> String,
) -> Response {
    match shown {
        Some((status, p)) => {
            let token = csrf(&p);
            with_csrf_cookie(html(status, p), &token)
        }
        None => to_sign_in(),
    }
}

/// The words for a node error a person can act on; internal failures say only that something
/// went wrong (the detail goes to the log).
pub(crate) fn say(e: &NodeError) -> String {
    match e {
        NodeError::Invalid(invalid) => invalid
            .0
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; "),
        NodeError::NotFound { what, .. } => format!("That {what} does not exist"),
        NodeError::Conflict(m) | NodeError::Forbidden(m) => m.trim_end_matches('.').to_owned(),
        other => {
            tracing::error!("page action failed: {other}");
            "Something went wrong on our side: please try again".to_owned()
        }
    }
}

/// A form's problems, field by field: the error summary lists them all, each field shows its
/// own beside it.
#[derive(Default)]
pub(crate) struct Problems(Vec<(String, String)>);

impl Problems {
    pub(crate) fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push((field.to_owned(), message.into()));
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn items(&self) -> &[(String, String)] {
        &self.0
    }

    /// The first message for `field`.
    pub(crate) fn for_field(&self, field: impl AsRef<str>) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| f == field.as_ref())
            .map(|(_, m)| m.as_str())
    }

    /// The node's validation errors on their fields (`prefix` maps the record's field names to
    /// the form's); other errors on `fallback`.
    pub(crate) fn from_node(e: &NodeError, fallback: &str) -> Self {
        let mut p = Self::default();
        match e {
            NodeError::Invalid(invalid) => {
                for f in &invalid.0 {
                    p.add(
                        &f.field.replace(['.', '[', ']'], "-"),
                        format!("{}: {}", f.field, f.message),
                    );
                }
            }
            other => p.add(fallback, say(other)),
        }
        p
    }
}
