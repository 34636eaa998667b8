//! A state or consortium node's curation: memberships (vouch for a district, end a
//! membership), quality standards, endorsements, and the shared repository of vetted
//! credentials across the federation. For curators and coordinators.

use crate::forms::form_page;
use crate::forms::{
    page_token, say, signed_in, to_sign_in, with_csrf_cookie, CheckedForm, Problems,
};
use crate::shell::{blocking, html, site_for, Site};
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use credreg_model::{EvidenceKind, Membership, QualityRule, QualityStandard};
use credreg_node::review::{Actor, PersonRole};
use credreg_node::value::quality::QualityFilter;
use credreg_node::{Node, SearchQuery};
use std::collections::HashMap;
use std::sync::Arc;

/// A credential in a list: (id, name, issuer's name).
type Listed = (String, String, String);

#[derive(Template)]
#[template(path = "curate.html")]
pub(crate) struct CuratePage {
    site: Site,
    csrf: String,
    errors: Problems,
    notice: String,
    federation: String,
    /// (member DID, name, federation, role, from, until, ended)
    members: Vec<(String, String, String, String, String, String, bool)>,
    /// (id, name, rules in words, ours)
    standards: Vec<(String, String, String, bool)>,
    /// Per standard of ours: its name and the credentials meeting it.
    repository: Vec<(String, Vec<Listed>)>,
    /// (id, name, issuer) of every credential in the federation, for endorsing.
    credentials: Vec<(String, String, String)>,
    form: HashMap<String, String>,
}

impl CuratePage {
    fn v(&self, name: &str) -> &str {
        self.form.get(name).map_or("", String::as_str)
    }
}

fn may_curate(actor: &Actor) -> bool {
    actor.is_coordinator() || actor.has(PersonRole::Curator)
}

fn rule_words(r: &QualityRule) -> String {
    match r {
        QualityRule::CitesResearch { min } => format!("cites at least {min} research sources"),
        QualityRule::RequiresEvidence { kind } => {
            format!("requires {kind:?} evidence").to_lowercase()
        }
        QualityRule::RubricCriteria { min } => format!("a rubric of at least {min} criteria"),
        QualityRule::Reviewers { min, tiebreak } => format!(
            "at least {min} reviewers{}",
            if *tiebreak { " and a tiebreak" } else { "" }
        ),
        QualityRule::CalibratedReviewers => "calibrated reviewers".into(),
        QualityRule::ReviewAgreement { min_percent } => {
            format!("reviewers agree at least {min_percent}% of the time")
        }
        QualityRule::ReviewTurnaround { max_days } => {
            format!("a decision within {max_days} days (median)")
        }
    }
}

fn page(node: &Node, actor: &Actor, csrf: String) -> CuratePage {
    let name_of = |did: &str| node.issuer_name(did).unwrap_or_else(|| did.to_owned());
    let members = node
        .memberships_vouched()
        .unwrap_or_default()
        .into_iter()
        .map(|m| {
            let ended = m.valid_until.is_some();
            (
                m.member.clone(),
                name_of(&m.member),
                m.federation,
                m.role,
                m.valid_from.get(..10).unwrap_or_default().to_owned(),
                m.valid_until
                    .as_deref()
                    .and_then(|u| u.get(..10))
                    .unwrap_or_default()
                    .to_owned(),
                ended,
            )
        })
        .collect();
    let all_standards = node.quality_standards().unwrap_or_default();
    let standards = all_standards
        .iter()
        .map(|s| {
            (
                s.id.clone(),
                s.standard.name.clone(),
                s.standard
                    .rules
                    .iter()
                    .map(rule_words)
                    .collect::<Vec<_>>()
                    .join("; "),
                s.issuer == node.did(),
            )
        })
        .collect();
    let repository = all_standards
        .iter()
        .filter(|s| s.issuer == node.did())
        .map(|s| {
            let filter = QualityFilter {
                meets: Some(s.id.clone()),
                ..Default::default()
            };
            let hits = node
                .search_quality(
                    SearchQuery {
                        limit: 100,
                        ..Default::default()
                    },
                    true,
                    &filter,
                )
                .map(|p| {
                    p.hits
                        .iter()
                        .map(|(e, _)| (e.id.clone(), e.def.name.clone(), name_of(&e.issuer)))
                        .collect()
                })
                .unwrap_or_default();
            (s.standard.name.clone(), hits)
        })
        .collect();
    let credentials = node
        .search_scoped(
            SearchQuery {
                limit: 300,
                ..Default::default()
            },
            true,
        )
        .map(|p| {
            p.items
                .iter()
                .map(|e| (e.id.clone(), e.def.name.clone(), name_of(&e.issuer)))
                .collect()
        })
        .unwrap_or_default();
    CuratePage {
        site: site_for(node, actor),
        csrf,
        errors: Problems::default(),
        notice: String::new(),
        federation: node.settings().federation.name.clone(),
        members,
        standards,
        repository,
        credentials,
        form: HashMap::new(),
    }
}

pub(crate) async fn curate(State(node): State<Arc<Node>>, headers: HeaderMap) -> Response {
    let token = page_token(&headers);
    let (n, t) = (node.clone(), token.clone());
    let shown = blocking(move || {
        let actor = signed_in(&n, &headers)?;
        may_curate(&actor).then(|| page(&n, &actor, t))
    })
    .await
    .flatten();
    match shown {
        Some(p) => with_csrf_cookie(html(StatusCode::OK, p), &token),
        None => to_sign_in(),
    }
}

/// The standard a form describes.
fn standard_of(f: &HashMap<String, String>) -> Result<QualityStandard, Problems> {
    let get = |k: &str| f.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
    let mut errors = Problems::default();
    let mut rules = Vec::new();
    let mut number = |field: &str, what: &str| -> Option<u32> {
        let t = get(field);
        if t.is_empty() {
            return None;
        }
        match t.parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => {
                errors.add(field, format!("Enter {what} as a whole number"));
                None
            }
        }
    };
    if let Some(min) = number("research", "the fewest research sources") {
        rules.push(QualityRule::CitesResearch { min });
    }
    if let Some(min) = number("criteria", "the fewest rubric criteria") {
        rules.push(QualityRule::RubricCriteria { min });
    }
    if let Some(min) = number("reviewers", "the fewest reviewers") {
        rules.push(QualityRule::Reviewers {
            min: u8::try_from(min).unwrap_or(u8::MAX),
            tiebreak: f.contains_key("tiebreak"),
        });
    }
    if let Some(p) = number("agreement", "the least agreement in percent") {
        rules.push(QualityRule::ReviewAgreement {
            min_percent: u8::try_from(p.min(100)).unwrap_or(100),
        });
    }
    if let Some(d) = number("turnaround", "the most days to a decision") {
        rules.push(QualityRule::ReviewTurnaround {
            max_days: u16::try_from(d).unwrap_or(u16::MAX),
        });
    }
    if f.contains_key("calibrated") {
        rules.push(QualityRule::CalibratedReviewers);
    }
    if f.contains_key("video") {
        rules.push(QualityRule::RequiresEvidence {
            kind: EvidenceKind::Video,
        });
    }
    if get("standard_name").is_empty() {
        errors.add("standard_name", "Name the standard");
    }
    if rules.is_empty() && errors.is_empty() {
        errors.add("research", "Give the standard at least one rule");
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(QualityStandard {
        name: get("standard_name"),
        rules,
    })
}

/// One of the curation forms (`action`): vouch, end, standard, endorse.
pub(crate) async fn submit(
    State(node): State<Arc<Node>>,
    headers: HeaderMap,
    CheckedForm(form): CheckedForm<HashMap<String, String>>,
) -> Response {
    let (n, h) = (node.clone(), headers.clone());
    let token = form.get("csrf").cloned().unwrap_or_default();
    let outcome = blocking(move || {
        let actor = signed_in(&n, &h).filter(may_curate)?;
        let get = |k: &str| form.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
        let now = n.now_rfc3339();
        let done: Result<String, Problems> = match get("action").as_str() {
            "vouch" | "end" => {
                let ending = get("action") == "end";
                let m = Membership {
                    member: get("member"),
                    federation: Some(get("federation"))
                        .filter(|f| !f.is_empty())
                        .unwrap_or_else(|| n.settings().federation.name.clone()),
                    role: Some(get("role"))
                        .filter(|r| !r.is_empty())
                        .unwrap_or_else(|| "district".into()),
                    valid_from: if ending { get("since") } else { now.clone() },
                    valid_until: ending.then(|| now.clone()),
                };
                n.publish_membership(m)
                    .map(|_| {
                        if ending {
                            "The membership is ended".to_owned()
                        } else {
                            "The district is vouched for".to_owned()
                        }
                    })
                    .map_err(|e| one("member", &e))
            }
            "standard" => standard_of(&form).and_then(|s| {
                n.publish_quality_standard(s)
                    .map(|_| "The quality standard is published".to_owned())
                    .map_err(|e| one("standard_name", &e))
            }),
            "endorse" => {
                let standard = Some(get("endorse_standard")).filter(|s| !s.is_empty());
                n.endorse(&get("subject"), standard, &get("comment"))
                    .map(|_| "The endorsement is published".to_owned())
                    .map_err(|e| one("subject", &e))
            }
            _ => Err(one_text("member", "Choose what to do")),
        };
        let mut p = page(&n, &actor, token);
        Some(match done {
            Ok(notice) => {
                p.notice = notice;
                (StatusCode::OK, p)
            }
            Err(errors) => {
                p.errors = errors;
                p.form = form;
                (StatusCode::UNPROCESSABLE_ENTITY, p)
            }
        })
    })
    .await
    .flatten();
    form_page(outcome, |p| p.csrf.clone())
}

fn one(field: &str, e: &credreg_node::NodeError) -> Problems {
    let mut p = Problems::from_node(e, field);
    if p.is_empty() {
        p.add(field, say(e));
    }
    p
}

fn one_text(field: &str, m: &str) -> Problems {
    let mut p = Problems::default();
    p.add(field, m);
    p
}
