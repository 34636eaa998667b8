//! # credreg-web: the pages
//!
//! Server-rendered HTML for the people a registry serves, beside the JSON API: the home page,
//! catalog search, credential pages, public award pages and the verify page. Templates are
//! compiled and auto-escaping (askama); the stylesheet is embedded in the binary; pages work
//! without JavaScript. Handlers call the node's use cases directly, on the blocking pool.
//!
//! Forms carry a CSRF token bound to a `SameSite=Strict; HttpOnly` cookie (double submit);
//! every page is sent with a Content-Security-Policy that allows no script.
#![deny(missing_docs)]

mod badges;
mod catalog;
mod forms;
mod people;
mod shell;

use axum::extract::FromRef;
use axum::routing::get;
use axum::Router;
use credreg_node::review::files::EvidenceFiles;
use credreg_node::Node;
use std::sync::Arc;

/// What the pages' handlers share.
#[derive(Clone)]
pub(crate) struct Web {
    pub(crate) node: Arc<Node>,
    /// Where evidence files go; without it the upload form says uploads are off.
    pub(crate) evidence: Option<EvidenceFiles>,
}

impl FromRef<Web> for Arc<Node> {
    fn from_ref(web: &Web) -> Self {
        web.node.clone()
    }
}

/// The pages, for mounting beside the API at `/`. `evidence` is where teachers' uploaded
/// files are kept (the same place the API keeps them).
pub fn router(node: Arc<Node>, evidence: Option<EvidenceFiles>) -> Router {
    Router::new()
        .route("/", get(catalog::home))
        .route("/credentials", get(catalog::catalog))
        .route("/credentials/{id}", get(catalog::credential))
        .route("/awards/{id}", get(badges::award))
        .route(
            "/verify",
            get(badges::verify_form).post(badges::verify_submit),
        )
        .route(
            "/transfer",
            get(badges::transfer_form).post(badges::transfer_submit),
        )
        .route("/issuers", get(catalog::issuers))
        .route(
            "/sign-in",
            get(people::sign_in_form).post(people::sign_in_submit),
        )
        .route("/mine", get(people::mine))
        .route("/assets/site.css", get(shell::stylesheet))
        .with_state(Web { node, evidence })
}
