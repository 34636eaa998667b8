//! # credreg-web: the pages
//!
//! Server-rendered HTML for the people a registry serves, beside the JSON API: public pages
//! (catalog, credentials, stacks, issuers, awards, verify, transfer reports) and the pages of
//! teachers, reviewers, coordinators and curators. Templates are compiled and auto-escaping
//! (askama); the stylesheet and two small scripts are embedded in the binary; pages work
//! without JavaScript. Handlers call the node's use cases directly, on the blocking pool.
//!
//! Forms carry a CSRF token bound to a `SameSite=Strict; HttpOnly` cookie (double submit,
//! checked by the `CheckedForm` extractor); every page is sent with a Content-Security-Policy that
//! allows scripts only from the node's own files, never inline.
#![deny(missing_docs)]

mod awarding;
mod badges;
mod baked;
mod calibrating;
mod catalog;
mod consent;
mod coordinator;
mod curator;
mod editor;
mod forms;
mod intake;
mod node_page;
mod people;
mod reviewer;
mod rules;
mod setup;
mod shell;
mod stacks;
mod teacher;

use axum::extract::FromRef;
use axum::routing::{get, post};
use axum::Router;
use credreg_node::review::files::EvidenceFiles;
use credreg_node::Node;
use credreg_wire::federation::FederationStatus;
use std::sync::Arc;

/// What the pages' handlers share.
#[derive(Clone)]
pub(crate) struct Web {
    pub(crate) node: Arc<Node>,
    /// Where evidence files go; without it the upload form says uploads are off.
    pub(crate) evidence: Option<EvidenceFiles>,
    /// CSV imports running or done since the node started.
    pub(crate) imports: awarding::Imports,
    /// The running federation, when the node is on the network.
    pub(crate) federation: Option<Arc<dyn FederationStatus>>,
    /// The outbound fetcher (none: outside status lists are "could not check").
    pub(crate) fetcher: Option<Arc<dyn credreg_wire::fetch::DocumentFetcher>>,
}

/// What the pages need besides the node.
#[derive(Clone, Default)]
pub struct Options {
    /// Where teachers' uploaded files are kept (the same place the API keeps them); without
    /// it the upload form says uploads are off.
    pub evidence: Option<EvidenceFiles>,
    /// The running federation, for the coordinator's view of peers and replication.
    pub federation: Option<Arc<dyn FederationStatus>>,
    /// The outbound fetcher, for status lists of issuers this node does not replicate.
    pub fetcher: Option<Arc<dyn credreg_wire::fetch::DocumentFetcher>>,
}

impl FromRef<Web> for Arc<Node> {
    fn from_ref(web: &Web) -> Self {
        web.node.clone()
    }
}

/// The pages, for mounting beside the API at `/`.
pub fn router(node: Arc<Node>, options: Options) -> Router {
    let Options {
        evidence,
        federation,
        fetcher,
    } = options;
    // Served over HTTPS (the public URL says so): cookies are `Secure`, browsers keep to HTTPS.
    let https = node.settings().public_url.starts_with("https://");
    // Evidence uploads may be large: the form's body limit is the file limit plus room for
    // the form's other fields.
    let upload_limit = evidence
        .as_ref()
        .map_or(1024 * 1024, |e| e.limit())
        .saturating_add(64 * 1024);
    let upload_limit = usize::try_from(upload_limit).unwrap_or(usize::MAX);
    Router::new()
        .route("/", get(catalog::home))
        .route("/setup", get(setup::setup_form).post(setup::setup_submit))
        .route("/credentials", get(catalog::catalog))
        .route("/credentials/{id}", get(catalog::credential))
        .route("/credentials/{id}/start", post(teacher::start))
        .route("/stacks/{id}", get(stacks::stack))
        .route(
            "/coordinator/stacks/new",
            get(stacks::new_form).post(stacks::publish),
        )
        .route("/awards/{id}", get(badges::award))
        .route("/awards/{id}/badge.json", get(badges::award_json))
        .route("/awards/{id}/badge.png", get(badges::award_png))
        .route("/awards/{id}/bundle.json", get(badges::award_bundle))
        .route("/awards/{id}/qr.svg", get(badges::award_qr))
        .route(
            "/verify",
            get(badges::verify_form)
                .post(badges::verify_submit)
                .layer(axum::extract::DefaultBodyLimit::max(intake::FORM_LIMIT)),
        )
        .route(
            "/transfer",
            get(badges::transfer_form)
                .post(badges::transfer_submit)
                .layer(axum::extract::DefaultBodyLimit::max(intake::FORM_LIMIT)),
        )
        .route("/issuers", get(catalog::issuers))
        .route(
            "/sign-in",
            get(people::sign_in_form).post(people::sign_in_submit),
        )
        .route("/sign-out", get(people::sign_out))
        .route("/sign-out/everywhere", post(people::sign_out_everywhere))
        .route("/mine", get(people::mine))
        .route(
            "/mine/emails",
            get(people::emails).post(people::emails_submit),
        )
        .route("/mine/submissions/{id}", get(teacher::submission))
        .route(
            "/mine/submissions/{id}/files",
            post(teacher::upload).layer(axum::extract::DefaultBodyLimit::max(upload_limit)),
        )
        .route("/mine/submissions/{id}/items", post(teacher::add_item))
        .route("/mine/submissions/{id}/submit", post(teacher::submit))
        .route(
            "/mine/submissions/{id}/access/{request}",
            post(consent::decide),
        )
        .route(
            "/evidence/{id}/{index}",
            get(consent::ask_form).post(consent::ask_submit),
        )
        .route("/mine/submissions/{id}/resubmit", post(teacher::resubmit))
        .route("/reviews", get(reviewer::queue))
        .route("/reviews/pool/{submission}/claim", post(reviewer::claim))
        .route(
            "/reviews/calibration/{credential}",
            get(calibrating::calibrate).post(calibrating::attempt),
        )
        .route("/reviews/{id}", get(reviewer::review).post(reviewer::score))
        .route("/reviews/{id}/evidence/{index}", get(reviewer::evidence))
        .route("/coordinator", get(coordinator::home))
        .route("/coordinator/people", post(coordinator::invite))
        .route("/coordinator/pre-approvals/{id}", post(coordinator::decide))
        .route("/coordinator/revoke", post(coordinator::revoke))
        .route(
            "/coordinator/awards",
            get(awarding::issue_form)
                .post(awarding::issue_submit)
                .layer(axum::extract::DefaultBodyLimit::max(intake::FORM_LIMIT)),
        )
        .route("/coordinator/imports/{id}", get(awarding::import))
        .route("/coordinator/node", get(node_page::node))
        .route("/coordinator/tokens", post(node_page::tokens))
        .route(
            "/coordinator/recognitions",
            get(rules::rules)
                .post(rules::submit)
                .layer(axum::extract::DefaultBodyLimit::max(intake::FORM_LIMIT)),
        )
        .route(
            "/coordinator/credentials/new",
            get(editor::new_form).post(editor::publish),
        )
        .route("/curate", get(curator::curate).post(curator::submit))
        .route("/assets/site.css", get(shell::stylesheet))
        .route("/assets/upload.js", get(shell::upload_script))
        .route("/assets/drop.js", get(shell::drop_script))
        .layer(axum::middleware::map_response_with_state(
            https,
            shell::secure_when_https,
        ))
        .with_state(Web {
            node,
            evidence,
            imports: Default::default(),
            federation,
            fetcher,
        })
}
