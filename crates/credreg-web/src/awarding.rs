//! Issuing badges without a review: one at a time (a coordinator awarding what was earned
//! elsewhere in the district), or a CSV import for districts moving from spreadsheets, with a
//! progress page that updates itself while the awards are signed (a `refresh` every second:
//! no script needed).

use crate::forms::form_page;
use crate::forms::{
    csrf_matches, expired, page_token, say, see_other, signed_in, to_sign_in, with_csrf_cookie,
    Problems,
};
use crate::shell::{blocking, html, message, site_for, Site};
use crate::Web;
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use credreg_model::{Evidence, Recipient};
use credreg_node::issue::csv_rows::{award_rows, row_problems};
use credreg_node::review::Actor;
use credreg_node::{AwardRequest, Node};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Awards signed per batch (each batch durable before the next is stored).
const BATCH: usize = 256;
/// Rows one import may hold.
const MAX_ROWS: usize = 50_000;

/// One CSV import, running or done.
pub(crate) struct ImportJob {
    by: String,
    total: usize,
    done: Arc<AtomicUsize>,
    /// `None` while running; then the ids issued or what went wrong.
    outcome: Option<Result<Vec<String>, String>>,
}

/// Imports by id, shared by the pages.
#[derive(Clone, Default)]
pub(crate) struct Imports(Arc<Mutex<HashMap<String, ImportJob>>>);

#[derive(Template)]
#[template(path = "awards_issue.html")]
pub(crate) struct IssuePage {
    site: Site,
    csrf: String,
    errors: Problems,
    /// (id, name) of this node's active credentials.
    credentials: Vec<(String, String)>,
    form: HashMap<String, String>,
}

impl IssuePage {
    fn v(&self, name: &str) -> &str {
        self.form.get(name).map_or("", String::as_str)
    }

    fn selected(&self, name: &str, value: &str) -> bool {
        self.form.get(name).is_some_and(|v| v == value)
    }
}

fn issue_page(node: &Node, actor: &Actor, csrf: String) -> IssuePage {
    let credentials = crate::catalog::own_credentials(node, true);
    IssuePage {
        site: site_for(node, actor),
        csrf,
        errors: Problems::default(),
        credentials,
        form: HashMap::new(),
    }
}

pub(crate) async fn issue_form(State(node): State<Arc<Node>>, headers: HeaderMap) -> Response {
    let token = page_token(&headers);
    let (n, t) = (node.clone(), token.clone());
    let shown = blocking(move || {
        let actor = signed_in(&n, &headers)?;
        actor.is_coordinator().then(|| issue_page(&n, &actor, t))
    })
    .await
    .flatten();
    match shown {
        Some(p) => with_csrf_cookie(html(StatusCode::OK, p), &token),
        None => to_sign_in(),
    }
}

/// Issues one badge, or starts a CSV import (`action`).
pub(crate) async fn issue_submit(
    State(web): State<Web>,
    headers: HeaderMap,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let again = "Open the issuing page again.";
    let Ok(mut form) = form else {
        return expired(&web.node, again);
    };
    let mut fields = HashMap::new();
    let mut csv: Option<Vec<u8>> = None;
    while let Ok(Some(field)) = form.next_field().await {
        let name = field.name().unwrap_or_default().to_owned();
        if field.file_name().is_some() {
            match field.bytes().await {
                Ok(b) if !b.is_empty() => csv = Some(b.to_vec()),
                Ok(_) => {}
                Err(_) => return expired(&web.node, again),
            }
        } else if let Ok(text) = field.text().await {
            fields.insert(name, text);
        }
    }
    let token = fields.get("csrf").cloned().unwrap_or_default();
    if !csrf_matches(&headers, &token) {
        return expired(&web.node, again);
    }
    let (n, h, imports) = (web.node.clone(), headers.clone(), web.imports.clone());
    let outcome = blocking(move || {
        let actor = signed_in(&n, &h)
            .filter(Actor::is_coordinator)
            .ok_or(None)?;
        let get = |k: &str| {
            fields
                .get(k)
                .map(|v| v.trim().to_owned())
                .unwrap_or_default()
        };
        let credential = Some(get("credential")).filter(|c| !c.is_empty());
        let fail = |field: &str, why: String, fields: HashMap<String, String>| {
            let mut p = issue_page(&n, &actor, token.clone());
            p.errors.add(field, why);
            p.form = fields;
            Err(Some(Box::new(p)))
        };
        if get("action") == "import" {
            let Some(bytes) = csv else {
                return fail("csv", "Choose the CSV file to import".into(), fields);
            };
            let rows = match award_rows(&bytes, credential.as_deref()) {
                Ok(r) if r.len() > MAX_ROWS => {
                    return fail(
                        "csv",
                        format!("One import holds at most {MAX_ROWS} rows"),
                        fields,
                    )
                }
                Ok(r) => r,
                Err(e) => return fail("csv", e.to_string(), fields),
            };
            // Every row is checked before one is issued: a bad row 900 leaves nothing half done.
            if let Err(e) = n.check_award_requests(&rows) {
                let problems = row_problems(&e, 0).join("; ");
                return fail("csv", format!("Nothing was issued: {problems}"), fields);
            }
            return Ok(start_import(&n, &imports, &actor, rows));
        }
        let evidence_url = get("evidence_url");
        let request = AwardRequest {
            credential_id: credential.clone().unwrap_or_default(),
            recipient: Recipient {
                email: get("email"),
                name: Some(get("name")).filter(|s| !s.is_empty()),
            },
            evidence: if evidence_url.is_empty() {
                Vec::new()
            } else {
                vec![Evidence {
                    id: evidence_url,
                    name: Some(get("evidence_name")).filter(|s| !s.is_empty()),
                    description: None,
                }]
            },
            review: None,
            reviewed: Default::default(),
        };
        if credential.is_none() {
            return fail(
                "credential",
                "Choose the credential to award".into(),
                fields,
            );
        }
        match n.issue_awards(std::slice::from_ref(&request)) {
            Ok(issued) => Ok(format!(
                "/awards/{}",
                issued.first().map(|a| a.id.clone()).unwrap_or_default()
            )),
            Err(e) => {
                let mut p = issue_page(&n, &actor, token.clone());
                p.errors = Problems::from_node(&e, "email");
                if p.errors.is_empty() {
                    p.errors.add("email", say(&e));
                }
                p.form = fields;
                Err(Some(Box::new(p)))
            }
        }
    })
    .await;
    match outcome {
        Some(Ok(to)) => see_other(&to),
        Some(Err(Some(p))) => form_page(Some((StatusCode::UNPROCESSABLE_ENTITY, *p)), |p| {
            p.csrf.clone()
        }),
        _ => to_sign_in(),
    }
}

/// Starts signing `rows` on the blocking pool; the answer is the progress page's address.
fn start_import(
    node: &Arc<Node>,
    imports: &Imports,
    actor: &Actor,
    rows: Vec<AwardRequest>,
) -> String {
    let id = format!("i{}", node.settings().env.hex(8));
    let done = Arc::new(AtomicUsize::new(0));
    if let Ok(mut jobs) = imports.0.lock() {
        jobs.insert(
            id.clone(),
            ImportJob {
                by: actor.person().unwrap_or_default().to_owned(),
                total: rows.len(),
                done: done.clone(),
                outcome: None,
            },
        );
    }
    let (n, jobs, job) = (node.clone(), imports.clone(), id.clone());
    tokio::task::spawn_blocking(move || {
        let result = n
            .issue_bulk(&rows, BATCH, |count| {
                done.fetch_add(count, Ordering::Relaxed);
            })
            .map(|issued| issued.into_iter().map(|a| a.id).collect())
            .map_err(|f| {
                format!(
                    "{} ({} badges were issued before this failure)",
                    row_problems(&f.error, f.batch_offset).join("; "),
                    f.issued
                )
            });
        if let Ok(mut all) = jobs.0.lock() {
            if let Some(j) = all.get_mut(&job) {
                j.outcome = Some(result);
            }
        }
    });
    format!("/coordinator/imports/{id}")
}

#[derive(Template)]
#[template(path = "import.html")]
pub(crate) struct ImportPage {
    site: Site,
    total: usize,
    done: usize,
    running: bool,
    error: String,
    /// The first issued badges' ids (the page links them).
    first: Vec<String>,
}

pub(crate) async fn import(
    State(web): State<Web>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let (n, h) = (web.node.clone(), headers.clone());
    let Some(actor) = blocking(move || signed_in(&n, &h)).await.flatten() else {
        return to_sign_in();
    };
    let page = web.imports.0.lock().ok().and_then(|jobs| {
        let j = jobs.get(&id)?;
        if Some(j.by.as_str()) != actor.person() && !actor.is_coordinator() {
            return None;
        }
        let (error, first) = match &j.outcome {
            Some(Ok(ids)) => (String::new(), ids.iter().take(20).cloned().collect()),
            Some(Err(e)) => (e.clone(), Vec::new()),
            None => (String::new(), Vec::new()),
        };
        Some(ImportPage {
            site: site_for(&web.node, &actor),
            total: j.total,
            done: j.done.load(Ordering::Relaxed).min(j.total),
            running: j.outcome.is_none(),
            error,
            first,
        })
    });
    match page {
        Some(p) => html(StatusCode::OK, p),
        None => message(&web.node, StatusCode::NOT_FOUND, "Import not found", "There is no import of yours at that address (imports are kept until the node restarts)."),
    }
}
