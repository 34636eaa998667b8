//! The recognition rules editor: what other districts' credentials are worth here. A
//! coordinator writes a rule, previews it on a sample portfolio ("what would these badges be
//! worth here with this rule"), and publishes it as a signed record.

use crate::forms::form_page;
use crate::forms::{
    csrf_matches, expired, page_token, say, signed_in, to_sign_in, with_csrf_cookie, Problems,
};
use crate::intake;
use crate::shell::{blocking, html, site_for, Site};
use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use credreg_model::Recognition;
use credreg_node::value::transfer::{show_amount, Outcome};
use credreg_node::Node;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Template)]
#[template(path = "rules.html")]
pub(crate) struct RulesPage {
    site: Site,
    csrf: String,
    errors: Problems,
    notice: String,
    /// (name, applies to, credit, in force from)
    rules: Vec<(String, String, String, String)>,
    /// (id, name, issuer) of credentials from other districts this node knows.
    foreign: Vec<(String, String, String)>,
    form: HashMap<String, String>,
    /// The preview: (badge, outcome) and the total.
    preview: Vec<(String, String)>,
    preview_total: String,
    previewed: bool,
}

impl RulesPage {
    fn v(&self, name: &str) -> &str {
        self.form.get(name).map_or("", String::as_str)
    }

    fn selected(&self, name: &str, value: &str) -> bool {
        self.form.get(name).is_some_and(|v| v == value)
    }
}

fn applies_words(node: &Node, a: &credreg_model::AppliesTo) -> String {
    use credreg_model::AppliesTo as A;
    match a {
        A::Credential { id } => node
            .definition(id)
            .ok()
            .flatten()
            .map_or_else(|| format!("credential {id}"), |e| e.def.name.clone()),
        A::Stack { id } => format!("the stack {id}"),
        A::Federation {
            federation,
            standard,
        } => match standard {
            Some(s) => format!("any member credential of {federation} that meets {s}"),
            None => format!("any member credential of {federation}"),
        },
        A::Outside {
            issuer,
            achievement,
        } => match achievement {
            Some(a) => format!("the badge {a} of {issuer} (outside the federation)"),
            None => format!("any badge of {issuer} (outside the federation)"),
        },
    }
}

fn credit_words(c: &credreg_model::Credit) -> String {
    use credreg_model::Credit as C;
    match c {
        C::Equivalent { credential } => format!("counts as our {credential}"),
        C::Amount { amount, unit, per } => {
            let one = show_amount(&credreg_model::LocalValue {
                amount: *amount,
                unit: *unit,
            });
            if *per == 1 {
                one
            } else {
                format!("{one} per {per} credentials")
            }
        }
    }
}

fn page(node: &Node, actor: &credreg_node::review::Actor, csrf: String) -> RulesPage {
    let rules = node
        .recognitions(Some(node.did()))
        .unwrap_or_default()
        .into_iter()
        .map(|r| {
            (
                r.recognition.name.clone(),
                applies_words(node, &r.recognition.applies_to),
                credit_words(&r.recognition.credit),
                r.recognition
                    .valid_from
                    .get(..10)
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect();
    let foreign = node
        .search_scoped(
            credreg_node::SearchQuery {
                limit: 200,
                ..Default::default()
            },
            true,
        )
        .map(|p| {
            p.items
                .iter()
                .filter(|e| e.issuer != node.did())
                .map(|e| {
                    (
                        e.id.clone(),
                        e.def.name.clone(),
                        node.issuer_name(&e.issuer)
                            .unwrap_or_else(|| e.issuer.clone()),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let mut form = HashMap::new();
    form.insert("valid_from".to_owned(), node.now_rfc3339()[..10].to_owned());
    form.insert("unit".to_owned(), "dollars".to_owned());
    RulesPage {
        site: site_for(node, actor),
        csrf,
        errors: Problems::default(),
        notice: String::new(),
        rules,
        foreign,
        form,
        preview: Vec::new(),
        preview_total: String::new(),
        previewed: false,
    }
}

pub(crate) async fn rules(State(node): State<Arc<Node>>, headers: HeaderMap) -> Response {
    let token = page_token(&headers);
    let (n, t) = (node.clone(), token.clone());
    let shown = blocking(move || {
        let actor = signed_in(&n, &headers)?;
        actor.is_coordinator().then(|| page(&n, &actor, t))
    })
    .await
    .flatten();
    match shown {
        Some(p) => with_csrf_cookie(html(StatusCode::OK, p), &token),
        None => to_sign_in(),
    }
}

/// The form as a rule, or its problems.
fn rule_of(form: &HashMap<String, String>) -> Result<Recognition, Problems> {
    let get = |k: &str| form.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
    let mut errors = Problems::default();
    let applies = match get("applies").as_str() {
        "federation" => json!({"kind": "federation", "federation": get("federation")}),
        "outside" => {
            if get("outside_issuer").is_empty() {
                errors.add(
                    "applies_to-issuer",
                    "Enter the issuer's id, like https://badges.example.org/issuers/1",
                );
            }
            let achievement = get("outside_achievement");
            json!({"kind": "outside", "issuer": get("outside_issuer"),
                "achievement": (!achievement.is_empty()).then_some(achievement)})
        }
        _ => {
            if get("credential").is_empty() {
                errors.add("credential", "Choose the credential the rule is for");
            }
            json!({"kind": "credential", "id": get("credential")})
        }
    };
    let amount = match get("amount").parse::<f64>() {
        Ok(a) if a >= 0.0 => a,
        _ => {
            errors.add("amount", "Enter what it is worth as a number, like 150");
            0.0
        }
    };
    let from = get("valid_from");
    if from.len() != 10 {
        errors.add(
            "valid_from",
            "Enter the date the rule starts, like 2026-08-01",
        );
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let doc = json!({
        "name": get("name"),
        "applies_to": applies,
        "credit": {"kind": "amount", "amount": amount, "unit": get("unit")},
        "valid_from": format!("{from}T00:00:00Z"),
    });
    serde_json::from_value(doc).map_err(|e| {
        let mut p = Problems::default();
        p.add("name", format!("The rule could not be read: {e}"));
        p
    })
}

/// Previews the rule on the sample portfolio, or publishes it (`action`).
pub(crate) async fn submit(
    State(web): State<crate::Web>,
    headers: HeaderMap,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let (node, fetcher) = (web.node.clone(), web.fetcher.clone());
    let again = "Open the recognition rules again.";
    let Ok(form) = form else {
        return expired(&node, again);
    };
    let intake = match intake::read(form, "sample").await {
        Ok(i) => i,
        Err(_) => return expired(&node, again),
    };
    if !csrf_matches(&headers, intake.field("csrf")) {
        return expired(&node, again);
    }
    let token = intake.field("csrf").to_owned();
    let (n, h) = (node.clone(), headers.clone());
    let shown = blocking(move || {
        let actor = signed_in(&n, &h)?;
        if !actor.is_coordinator() {
            return None;
        }
        let mut p = page(&n, &actor, token);
        p.form.extend(intake.fields.clone());
        let rule = match rule_of(&intake.fields) {
            Ok(r) => r,
            Err(errors) => {
                p.errors = errors;
                return Some((StatusCode::UNPROCESSABLE_ENTITY, p));
            }
        };
        for why in &intake.refused {
            p.errors.add("sample", why.clone());
        }
        if intake.field("action") == "publish" {
            return Some(match n.publish_recognition(rule) {
                Ok(_) => {
                    let mut fresh = page(&n, &actor, p.csrf.clone());
                    fresh.notice =
                        "The rule is published and signed: transfer reports use it now".into();
                    (StatusCode::OK, fresh)
                }
                Err(e) => {
                    p.errors = Problems::from_node(&e, "name");
                    if p.errors.is_empty() {
                        p.errors.add("name", say(&e));
                    }
                    (StatusCode::UNPROCESSABLE_ENTITY, p)
                }
            });
        }
        let mut all = Vec::new();
        for (_, doc) in &intake.docs {
            if let Ok(found) = credreg_node::verify::credentials_of(doc) {
                all.extend(found.into_iter().cloned());
            }
        }
        if all.is_empty() {
            p.errors.add(
                "sample",
                "Paste or choose a sample portfolio to preview the rule on",
            );
            return Some((StatusCode::UNPROCESSABLE_ENTITY, p));
        }
        let doc = json!({ "credentials": all });
        // Open Badges 2.0 and did:web samples need their documents, as a real report would.
        let outside =
            credreg_node::verify::outside::OutsideDocuments::fetched_by(&doc, fetcher.as_deref());
        let report = credreg_node::value::transfer::transfer_input(&doc)
            .map_err(|e| e.to_string())
            .and_then(|input| {
                n.transfer_report_preview_with(&input, &rule, &outside)
                    .map_err(|e| say(&e))
            });
        match report {
            Ok(r) => {
                p.previewed = true;
                p.preview = r
                    .badges
                    .iter()
                    .map(|b| {
                        let outcome = match (b.outcome, &b.credit) {
                            (Outcome::Recognized, Some(c)) => {
                                format!("Recognized: {}", show_amount(c))
                            }
                            (Outcome::Recognized, None) => "Recognized".into(),
                            (Outcome::Counted, _) => "Counted toward a rule".into(),
                            (Outcome::Own, _) => "Our own credential".into(),
                            (Outcome::NotRecognized, _) => format!("Not recognized: {}", b.note),
                        };
                        (b.name.clone().unwrap_or_else(|| "A badge".into()), outcome)
                    })
                    .collect();
                p.preview_total = r
                    .totals
                    .iter()
                    .map(show_amount)
                    .collect::<Vec<_>>()
                    .join(", ");
                Some((StatusCode::OK, p))
            }
            Err(why) => {
                p.errors.add("sample", why);
                Some((StatusCode::UNPROCESSABLE_ENTITY, p))
            }
        }
    })
    .await
    .flatten();
    form_page(shown, |p| p.csrf.clone())
}
