//! The catalog editor: a coordinator publishes a credential from one form (what it is, what a
//! teacher submits, a rubric of up to six criteria, the review policy, what it is worth here).
//! The form is turned into the same definition record the API takes, so the node's
//! validation speaks for both and its field names map back onto the form's fields.

use crate::forms::{
    page_token, see_other, signed_in, to_sign_in, with_csrf_cookie, CheckedForm, Problems,
};
use crate::shell::{blocking, html, message, site_for, Site};
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use credreg_model::CredentialDef;
use credreg_node::Node;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// Rubric rows the form offers (a criterion left empty is skipped).
const CRITERIA: usize = 6;
/// Evidence requirement rows.
const REQUIREMENTS: usize = 4;

const KINDS: &[(&str, &str)] = &[
    ("artifact", "Classroom artifact (lesson plan, student work)"),
    ("video", "Classroom video"),
    ("reflection", "The teacher's reflection"),
    ("student_reflection", "Students' reflections"),
    ("overview", "Answers to overview questions"),
    ("other", "Something else"),
];

const UNITS: &[(&str, &str)] = &[
    ("dollars", "Dollars added to base pay"),
    ("in_service_hours", "In-service hours"),
    ("ce_points", "Continuing-education points"),
    ("cpd_units", "CPD units"),
];

#[derive(Template)]
#[template(path = "editor.html")]
pub(crate) struct EditorPage {
    site: Site,
    csrf: String,
    errors: Problems,
    form: HashMap<String, String>,
    criteria: Vec<usize>,
    requirements: Vec<usize>,
    kinds: &'static [(&'static str, &'static str)],
    units: &'static [(&'static str, &'static str)],
}

impl EditorPage {
    /// What the person typed in a field (kept when the form comes back with errors).
    fn v(&self, name: &str) -> &str {
        self.form.get(name).map_or("", String::as_str)
    }

    fn checked(&self, name: &str) -> bool {
        self.form.contains_key(name)
    }

    fn selected(&self, name: &str, value: &str) -> bool {
        self.form.get(name).is_some_and(|v| v == value)
    }
}

fn page(
    node: &Node,
    actor: &credreg_node::review::Actor,
    csrf: String,
    form: HashMap<String, String>,
    errors: Problems,
) -> EditorPage {
    EditorPage {
        site: site_for(node, actor),
        csrf,
        errors,
        form,
        criteria: (0..CRITERIA).collect(),
        requirements: (0..REQUIREMENTS).collect(),
        kinds: KINDS,
        units: UNITS,
    }
}

pub(crate) async fn new_form(State(node): State<Arc<Node>>, headers: HeaderMap) -> Response {
    let token = page_token(&headers);
    let (n, t) = (node.clone(), token.clone());
    let shown = blocking(move || {
        let actor = signed_in(&n, &headers)?;
        actor.is_coordinator().then_some(())?;
        let mut defaults = HashMap::new();
        defaults.insert("reviewers".to_owned(), "2".to_owned());
        defaults.insert("tiebreak".to_owned(), "on".to_owned());
        defaults.insert("blind".to_owned(), "on".to_owned());
        Some(page(&n, &actor, t, defaults, Problems::default()))
    })
    .await
    .flatten();
    match shown {
        Some(p) => with_csrf_cookie(html(StatusCode::OK, p), &token),
        None => to_sign_in(),
    }
}

fn text(form: &HashMap<String, String>, name: &str) -> String {
    form.get(name)
        .map(|v| v.trim().to_owned())
        .unwrap_or_default()
}

fn optional(form: &HashMap<String, String>, name: &str) -> Value {
    let t = text(form, name);
    if t.is_empty() {
        Value::Null
    } else {
        Value::String(t)
    }
}

/// The form as a definition record, or the form's own problems (numbers that are not
/// numbers, levels without a passing one).
fn definition(form: &HashMap<String, String>) -> Result<CredentialDef, Problems> {
    let mut errors = Problems::default();
    let mut criteria = Vec::new();
    for i in 0..CRITERIA {
        let name = text(form, &format!("c{i}-name"));
        let levels_text = text(form, &format!("c{i}-levels"));
        if name.is_empty() && levels_text.is_empty() {
            continue;
        }
        let levels: Vec<&str> = levels_text
            .split(';')
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        if levels.len() < 2 {
            errors.add(
                &format!("c{i}-levels"),
                format!(
                    "Criterion {}: give at least two levels, lowest first, separated by ;",
                    i + 1
                ),
            );
            continue;
        }
        let pass_from = text(form, &format!("c{i}-pass"))
            .parse::<usize>()
            .ok()
            .filter(|p| (1..=levels.len()).contains(p));
        let Some(pass_from) = pass_from else {
            errors.add(
                &format!("c{i}-pass"),
                format!(
                    "Criterion {}: say from which level (1 to {}) it passes",
                    i + 1,
                    levels.len()
                ),
            );
            continue;
        };
        criteria.push(json!({
            "name": name,
            "description": optional(form, &format!("c{i}-description")),
            "levels": levels.iter().enumerate().map(|(l, n)| json!({"name": n, "passing": l + 1 >= pass_from})).collect::<Vec<_>>(),
        }));
    }
    let requirements: Vec<Value> = (0..REQUIREMENTS)
        .filter_map(|i| {
            let d = text(form, &format!("r{i}-description"));
            (!d.is_empty())
                .then(|| json!({"kind": text(form, &format!("r{i}-kind")), "description": d}))
        })
        .collect();
    let reviewers = text(form, "reviewers");
    let reviewers = match reviewers.parse::<u8>() {
        Ok(n) if (1..=5).contains(&n) => n,
        _ => {
            errors.add(
                "reviewers",
                "Enter how many reviewers score each submission, 1 to 5",
            );
            1
        }
    };
    let amount = text(form, "value-amount");
    let local_value = if amount.is_empty() {
        Value::Null
    } else {
        match amount.parse::<f64>() {
            Ok(a) => json!({"amount": a, "unit": text(form, "value-unit")}),
            Err(_) => {
                errors.add("value-amount", "Enter the amount as a number, like 200");
                Value::Null
            }
        }
    };
    let hours = text(form, "hours");
    let effort = if hours.is_empty() {
        Value::Null
    } else {
        match hours.parse::<u32>() {
            Ok(h) => json!({"hours": h}),
            Err(_) => {
                errors.add("hours", "Enter the hours as a whole number, like 15");
                Value::Null
            }
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut def = json!({
        "name": text(form, "name"),
        "description": text(form, "description"),
        "criteria": {"narrative": text(form, "narrative")},
        "competency": optional(form, "competency"),
        "key_method": optional(form, "key_method"),
        "evidence_requirements": requirements,
        "review_policy": {
            "reviewers": reviewers,
            "tiebreak": form.contains_key("tiebreak"),
            "calibration_required": false,
            "pre_approval_required": form.contains_key("pre_approval"),
            "blind": form.contains_key("blind"),
        },
        "local_value": local_value,
        "estimated_effort": effort,
    });
    if !criteria.is_empty() {
        def["rubric"] = json!({ "criteria": criteria });
    }
    strip_nulls(&mut def);
    serde_json::from_value(def).map_err(|e| {
        let mut p = Problems::default();
        p.add("name", format!("The form could not be read: {e}"));
        p
    })
}

fn strip_nulls(v: &mut Value) {
    if let Value::Object(map) = v {
        map.retain(|_, x| !x.is_null());
        map.values_mut().for_each(strip_nulls);
    } else if let Value::Array(items) = v {
        items.iter_mut().for_each(strip_nulls);
    }
}

/// The record's field names on the form's fields.
fn form_field(record_field: &str) -> String {
    let f = record_field;
    if let Some(rest) = f.strip_prefix("rubric.criteria[") {
        let i = rest.split(']').next().unwrap_or("0");
        return if rest.contains("levels") {
            format!("c{i}-levels")
        } else {
            format!("c{i}-name")
        };
    }
    if let Some(rest) = f.strip_prefix("evidence_requirements[") {
        return format!("r{}-description", rest.split(']').next().unwrap_or("0"));
    }
    match f {
        "criteria.narrative" => "narrative".into(),
        "record" => "description".into(),
        "rubric" | "rubric.criteria" => "c0-name".into(),
        f if f.starts_with("review_policy") => "reviewers".into(),
        f if f.starts_with("local_value") => "value-amount".into(),
        f if f.starts_with("estimated_effort") => "hours".into(),
        f => f.split('.').next().unwrap_or("name").to_owned(),
    }
}

pub(crate) async fn publish(
    State(node): State<Arc<Node>>,
    headers: HeaderMap,
    CheckedForm(form): CheckedForm<HashMap<String, String>>,
) -> Response {
    let token = page_token(&headers);
    let (n, t) = (node.clone(), token.clone());
    let outcome = blocking(move || {
        let Some(actor) = signed_in(&n, &headers) else {
            return Err(None);
        };
        if !actor.is_coordinator() {
            return Err(None);
        }
        let published = definition(&form).and_then(|def| {
            n.publish_definition(def).map_err(|e| {
                let mut p = Problems::default();
                match &e {
                    credreg_node::NodeError::Invalid(invalid) => {
                        for f in &invalid.0 {
                            // The whole record too large to replicate: said of the credential,
                            // pointing at its longest text.
                            let message = if f.field == "record" {
                                format!("This credential {}", f.message)
                            } else {
                                format!("{}: {}", f.field.replace('_', " "), f.message)
                            };
                            p.add(&form_field(&f.field), message);
                        }
                    }
                    other => p.add("name", crate::forms::say(other)),
                }
                p
            })
        });
        match published {
            Ok(p) => Ok(p.id),
            Err(errors) => Err(Some(Box::new(page(&n, &actor, t, form, errors)))),
        }
    })
    .await;
    match outcome {
        Some(Ok(id)) => see_other(&format!("/credentials/{id}")),
        Some(Err(Some(p))) => with_csrf_cookie(html(StatusCode::UNPROCESSABLE_ENTITY, *p), &token),
        Some(Err(None)) => to_sign_in(),
        None => message(
            &node,
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "Please try again.",
        ),
    }
}
