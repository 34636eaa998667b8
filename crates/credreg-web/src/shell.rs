//! What every page shares: the layout data, rendering with the security headers, the
//! message page, the blocking pool, the stylesheet.

use askama::Template;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use credreg_node::review::{Actor, PersonRole};
use credreg_node::Node;

/// What every page shows around its content.
pub(crate) struct Site {
    pub(crate) node_name: String,
    /// The signed-in person's own pages in the header (or "Sign in").
    pub(crate) nav: Vec<(&'static str, &'static str)>,
}

#[derive(Template)]
#[template(path = "message.html")]
pub(crate) struct MessagePage {
    site: Site,
    title: String,
    text: String,
}

/// Scripts and styles only from this node's own files (never inline), images and media from
/// here, no framing of these pages.
pub(crate) const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

pub(crate) fn html(status: StatusCode, page: impl Template) -> Response {
    match page.render() {
        Ok(body) => {
            let mut res = (status, body).into_response();
            let h = res.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            h.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CSP),
            );
            h.insert(
                "x-content-type-options",
                HeaderValue::from_static("nosniff"),
            );
            h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
            res
        }
        Err(e) => {
            tracing::error!("page did not render: {e}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "The page could not be shown.",
            )
                .into_response()
        }
    }
}

pub(crate) fn site(node: &Node) -> Site {
    Site {
        node_name: node.settings().name.clone(),
        nav: vec![("/mine", "My credentials")],
    }
}

/// The layout for a signed-in person: the header links to what their roles do.
pub(crate) fn site_for(node: &Node, actor: &Actor) -> Site {
    let mut nav = vec![("/mine", "My credentials")];
    if actor.has(PersonRole::Reviewer) {
        nav.push(("/reviews", "My reviews"));
    }
    if actor.is_coordinator() {
        nav.push(("/coordinator", "Coordinate"));
    }
    if actor.is_coordinator() || actor.has(PersonRole::Curator) {
        nav.push(("/curate", "Curate"));
    }
    nav.push(("/sign-out", "Sign out"));
    Site {
        node_name: node.settings().name.clone(),
        nav,
    }
}

pub(crate) fn message(node: &Node, status: StatusCode, title: &str, text: &str) -> Response {
    html(
        status,
        MessagePage {
            site: site(node),
            title: title.to_owned(),
            text: text.to_owned(),
        },
    )
}

pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    tokio::task::spawn_blocking(f).await.ok()
}

pub(crate) async fn stylesheet() -> Response {
    asset(
        include_str!("../assets/site.css"),
        "text/css; charset=utf-8",
    )
}

pub(crate) async fn upload_script() -> Response {
    asset(
        include_str!("../assets/upload.js"),
        "text/javascript; charset=utf-8",
    )
}

pub(crate) async fn drop_script() -> Response {
    asset(
        include_str!("../assets/drop.js"),
        "text/javascript; charset=utf-8",
    )
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    res
}

/// Over HTTPS, every cookie the pages set is `Secure` and the answer carries HSTS; over plain
/// HTTP (a node on loopback, or behind a proxy that terminates TLS without saying so in
/// `public_url`) nothing changes.
pub(crate) async fn secure_when_https(
    axum::extract::State(https): axum::extract::State<bool>,
    mut res: Response,
) -> Response {
    if !https {
        return res;
    }
    let h = res.headers_mut();
    let cookies: Vec<HeaderValue> = h.get_all(header::SET_COOKIE).iter().cloned().collect();
    if !cookies.is_empty() {
        h.remove(header::SET_COOKIE);
        for c in cookies {
            let text = c.to_str().unwrap_or_default();
            let secured = if text.contains("; Secure") {
                text.to_owned()
            } else {
                format!("{text}; Secure")
            };
            if let Ok(v) = HeaderValue::from_str(&secured) {
                h.append(header::SET_COOKIE, v);
            }
        }
    }
    h.insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=31536000"),
    );
    res
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
