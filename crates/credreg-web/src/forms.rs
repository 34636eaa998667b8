//! Cookies: the CSRF token every form carries (double submit: cookie and field must
//! match) and the session cookie; and the check every form submission goes through.

use crate::shell::message;
use axum::extract::Form;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use credreg_node::Node;

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
    if token.is_empty() || csrf_cookie(headers).as_deref() != Some(token) {
        return Err(Box::new(message(
            node,
            StatusCode::FORBIDDEN,
            "The form expired",
            again,
        )));
    }
    Ok(form)
}
