//! A reviewer's calibration: score a credential's sample submissions against its rubric; at
//! the set's agreement threshold the reviewer may review real submissions of it.

use crate::forms::form_page;
use crate::forms::{
    page_token, say, signed_in, to_sign_in, with_csrf_cookie, CheckedForm, Problems,
};
use crate::shell::{blocking, html, message, site_for, Site};
use crate::teacher::{item_view, ItemView};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use credreg_node::Node;
use std::collections::HashMap;
use std::sync::Arc;

/// A criterion's levels: (index, name).
type Levels = Vec<(usize, String)>;

#[derive(Template)]
#[template(path = "calibrate.html")]
pub(crate) struct CalibratePage {
    site: Site,
    csrf: String,
    errors: Problems,
    credential_id: String,
    credential_name: String,
    threshold: u8,
    /// Each sample's evidence.
    samples: Vec<Vec<ItemView>>,
    /// (criterion index, name, [(level index, level name)])
    criteria: Vec<(usize, String, Levels)>,
    /// The outcome, in words, after an attempt.
    outcome: String,
    chosen: HashMap<String, String>,
}

impl CalibratePage {
    fn is_chosen(&self, sample: &usize, criterion: &usize, level: &usize) -> bool {
        self.chosen
            .get(&format!("s{sample}-c{criterion}"))
            .is_some_and(|v| *v == level.to_string())
    }
}

fn page(
    node: &Node,
    actor: &credreg_node::review::Actor,
    id: &str,
    csrf: String,
) -> Result<CalibratePage, String> {
    let view = node.calibration_set(actor, id).map_err(|e| say(&e))?;
    let name = node
        .definition(id)
        .ok()
        .flatten()
        .map_or_else(|| id.to_owned(), |e| e.def.name.clone());
    Ok(CalibratePage {
        site: site_for(node, actor),
        csrf,
        errors: Problems::default(),
        credential_id: view.credential_id.clone(),
        credential_name: name,
        threshold: view.min_agreement_percent,
        samples: view
            .samples
            .iter()
            .map(|items| items.iter().map(item_view).collect())
            .collect(),
        criteria: view
            .rubric
            .criteria
            .iter()
            .enumerate()
            .map(|(i, c)| {
                (
                    i,
                    c.name.clone(),
                    c.levels
                        .iter()
                        .enumerate()
                        .map(|(l, lv)| (l, lv.name.clone()))
                        .collect(),
                )
            })
            .collect(),
        outcome: String::new(),
        chosen: HashMap::new(),
    })
}

pub(crate) async fn calibrate(
    State(node): State<Arc<Node>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let token = page_token(&headers);
    let (n, t) = (node.clone(), token.clone());
    let shown = blocking(move || {
        let actor = signed_in(&n, &headers).ok_or(None)?;
        page(&n, &actor, &id, t).map_err(Some)
    })
    .await;
    match shown {
        Some(Ok(p)) => with_csrf_cookie(html(StatusCode::OK, p), &token),
        Some(Err(Some(why))) => message(
            &node,
            StatusCode::NOT_FOUND,
            "No calibration set",
            &format!("{why}."),
        ),
        _ => to_sign_in(),
    }
}

/// Scores the set: `sN-cM` is the level for criterion M of sample N.
pub(crate) async fn attempt(
    State(node): State<Arc<Node>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    CheckedForm(form): CheckedForm<HashMap<String, String>>,
) -> Response {
    let token = form.get("csrf").cloned().unwrap_or_default();
    let (n, h) = (node.clone(), headers.clone());
    let shown = blocking(move || {
        let actor = signed_in(&n, &h)?;
        let mut p = page(&n, &actor, &id, token).ok()?;
        let mut levels = Vec::new();
        for s in 0..p.samples.len() {
            let mut row = Vec::new();
            for (c, name, options) in &p.criteria {
                match form.get(&format!("s{s}-c{c}")).and_then(|v| v.parse::<usize>().ok()).filter(|l| *l < options.len()) {
                    Some(l) => row.push(l),
                    None => p.errors.add(&format!("s{s}-c{c}-0"), format!("Sample {}: choose a level for “{name}”", s + 1)),
                }
            }
            levels.push(row);
        }
        p.chosen = form;
        if !p.errors.is_empty() {
            return Some((StatusCode::UNPROCESSABLE_ENTITY, p));
        }
        match n.attempt_calibration(&actor, &p.credential_id, levels) {
            Ok(r) => {
                let matched = r.samples_matched.iter().filter(|m| **m).count();
                p.outcome = format!(
                    "Your levels matched the reference {:.0}% of the time ({} of {} samples judged the same): {}",
                    r.agreement * 100.0,
                    matched,
                    r.samples_matched.len(),
                    if r.calibrated { "you are calibrated and may review it" } else { "not yet calibrated; look again at the rubric and try once more" }
                );
                Some((StatusCode::OK, p))
            }
            Err(e) => {
                p.errors.add("s0-c0-0", say(&e));
                Some((StatusCode::UNPROCESSABLE_ENTITY, p))
            }
        }
    })
    .await
    .flatten();
    form_page(shown, |p| p.csrf.clone())
}
