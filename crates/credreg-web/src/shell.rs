//! What every page shares: the layout data, rendering with the security headers, the
//! message page, the blocking pool, the stylesheet.

use askama::Template;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use credreg_node::Node;

/// What every page shows around its content.
pub(crate) struct Site {
    pub(crate) node_name: String,
}

#[derive(Template)]
#[template(path = "message.html")]
pub(crate) struct MessagePage {
    site: Site,
    title: String,
    text: String,
}

/// No script at all, styles only from this node, no framing.
pub(crate) const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

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
    let mut res = include_str!("../assets/site.css").into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    res
}
