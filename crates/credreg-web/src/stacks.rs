//! Stacks: a pathway of credentials (all of them, or at least n) worth more together. The
//! public stack page, and the coordinator's form to publish one.

use crate::forms::form_page;
use crate::forms::{
    page_token, see_other, signed_in, to_sign_in, with_csrf_cookie, CheckedForm, Problems,
};
use crate::shell::{blocking, html, message, site, site_for, Site};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use credreg_model::{LocalValue, Stack, StackRule, ValueUnit};
use credreg_node::review::Actor;
use credreg_node::value::transfer::show_amount;
use credreg_node::Node;
use std::sync::Arc;

#[derive(Template)]
#[template(path = "stack.html")]
pub(crate) struct StackPage {
    site: Site,
    name: String,
    description: String,
    issuer: String,
    rule: String,
    value: String,
    /// (id, name) of its credentials ("" name when this node does not hold the definition).
    credentials: Vec<(String, String)>,
}

pub(crate) async fn stack(State(node): State<Arc<Node>>, Path(id): Path<String>) -> Response {
    let n = node.clone();
    let page = blocking(move || {
        let e = n.stack(&id).ok().flatten()?;
        let s = &e.stack;
        let count = s.credentials.len();
        Some(StackPage {
            site: site(&n),
            name: s.name.clone(),
            description: s.description.clone().unwrap_or_default(),
            issuer: n.issuer_name(&e.issuer).unwrap_or_else(|| e.issuer.clone()),
            rule: match s.rule {
                StackRule::AllOf => format!("Earn all {count} of these credentials."),
                StackRule::AnyOf { n } => {
                    format!("Earn at least {n} of these {count} credentials.")
                }
            },
            value: s.value.as_ref().map(show_amount).unwrap_or_default(),
            credentials: s
                .credentials
                .iter()
                .map(|c| {
                    let name = n
                        .definition(c)
                        .ok()
                        .flatten()
                        .map(|d| d.def.name.clone())
                        .unwrap_or_default();
                    (c.clone(), name)
                })
                .collect(),
        })
    })
    .await
    .flatten();
    match page {
        Some(p) => html(StatusCode::OK, p),
        None => message(
            &node,
            StatusCode::NOT_FOUND,
            "Stack not found",
            "There is no stack with that address here.",
        ),
    }
}

#[derive(Template)]
#[template(path = "stack_new.html")]
pub(crate) struct NewStackPage {
    site: Site,
    csrf: String,
    errors: Problems,
    /// (id, name, chosen) of this node's credentials.
    credentials: Vec<(String, String, bool)>,
    name: String,
    description: String,
    n: String,
    amount: String,
}

fn new_page(node: &Node, actor: &Actor, csrf: String) -> NewStackPage {
    let credentials = crate::catalog::own_credentials(node, false)
        .into_iter()
        .map(|(id, name)| (id, name, false))
        .collect();
    NewStackPage {
        site: site_for(node, actor),
        csrf,
        errors: Problems::default(),
        credentials,
        name: String::new(),
        description: String::new(),
        n: String::new(),
        amount: String::new(),
    }
}

pub(crate) async fn new_form(State(node): State<Arc<Node>>, headers: HeaderMap) -> Response {
    let token = page_token(&headers);
    let (n, t) = (node.clone(), token.clone());
    let shown = blocking(move || {
        let actor = signed_in(&n, &headers).filter(Actor::is_coordinator)?;
        Some(new_page(&n, &actor, t))
    })
    .await
    .flatten();
    match shown {
        Some(p) => with_csrf_cookie(html(StatusCode::OK, p), &token),
        None => to_sign_in(),
    }
}

/// Publishes a stack from the form: `credential` repeated (checkboxes), `n` for "at least n".
pub(crate) async fn publish(
    State(node): State<Arc<Node>>,
    headers: HeaderMap,
    CheckedForm(form): CheckedForm<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| {
        form.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let chosen: Vec<String> = form
        .iter()
        .filter(|(k, _)| k == "credential")
        .map(|(_, v)| v.clone())
        .collect();
    let (name, description, n_text, amount) =
        (get("name"), get("description"), get("n"), get("amount"));
    let token = get("csrf");
    let (nd, h) = (node.clone(), headers.clone());
    let outcome = blocking(move || {
        let actor = signed_in(&nd, &h)
            .filter(Actor::is_coordinator)
            .ok_or(None)?;
        let mut errors = Problems::default();
        if chosen.len() < 2 {
            errors.add("credentials", "Choose at least two credentials");
        }
        let rule = if n_text.is_empty() {
            StackRule::AllOf
        } else {
            match n_text.parse::<u32>() {
                Ok(k) if k >= 1 && (k as usize) <= chosen.len() => StackRule::AnyOf { n: k },
                _ => {
                    errors.add(
                        "n",
                        "Enter how many must be earned, at most the number chosen",
                    );
                    StackRule::AllOf
                }
            }
        };
        let value = if amount.is_empty() {
            None
        } else {
            match amount.parse::<f64>() {
                Ok(a) => Some(LocalValue {
                    amount: a,
                    unit: ValueUnit::Dollars,
                }),
                Err(_) => {
                    errors.add("amount", "Enter the amount as a number, like 600");
                    None
                }
            }
        };
        if errors.is_empty() {
            let stack = Stack {
                name: name.clone(),
                description: Some(description.clone()).filter(|d| !d.is_empty()),
                rule,
                credentials: chosen.clone(),
                value,
            };
            match nd.publish_stack(stack) {
                Ok(p) => return Ok(p.id),
                Err(e) => errors = Problems::from_node(&e, "name"),
            }
        }
        let mut p = new_page(&nd, &actor, token);
        for c in &mut p.credentials {
            c.2 = chosen.contains(&c.0);
        }
        p.errors = errors;
        p.name = name;
        p.description = description;
        p.n = n_text;
        p.amount = amount;
        Err(Some(Box::new(p)))
    })
    .await;
    match outcome {
        Some(Ok(id)) => see_other(&format!("/stacks/{id}")),
        Some(Err(Some(p))) => form_page(Some((StatusCode::UNPROCESSABLE_ENTITY, *p)), |p| {
            p.csrf.clone()
        }),
        _ => to_sign_in(),
    }
}
