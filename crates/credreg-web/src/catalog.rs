//! The public catalog pages: home, search, a credential, the issuer directory.

use crate::forms::{page_token, signed_in, with_csrf_cookie};
use crate::shell::{blocking, html, message, site, site_for, Site};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use credreg_node::review::Actor;
use credreg_node::{Node, SearchQuery};
use serde::Deserialize;
use std::sync::Arc;

#[derive(Template)]
#[template(path = "home.html")]
pub(crate) struct HomePage {
    site: Site,
    kind: String,
    needs_setup: bool,
    definitions: usize,
    awards: usize,
}

pub(crate) struct Hit {
    id: String,
    name: String,
    description: String,
    issuer: String,
}

#[derive(Template)]
#[template(path = "catalog.html")]
pub(crate) struct CatalogPage {
    site: Site,
    q: String,
    federation: bool,
    total: usize,
    items: Vec<Hit>,
}

#[derive(Template)]
#[template(path = "credential.html")]
pub(crate) struct CredentialPage {
    site: Site,
    name: String,
    description: String,
    competency: String,
    issuer: String,
    version: String,
    value: String,
    review: String,
    issued: u64,
    revoked: u64,
    criteria: String,
    rubric: Vec<(String, String)>,
    standards: Vec<String>,
    id: String,
    csrf: String,
    signed_in: bool,
    /// This node's own credential (a teacher can start it here).
    own: bool,
    pre_approval: bool,
    requirements: Vec<String>,
}

#[derive(Template)]
#[template(path = "issuers.html")]
pub(crate) struct IssuersPage {
    site: Site,
    issuers: Vec<(String, String, u64)>,
}

pub(crate) async fn home(State(node): State<Arc<Node>>) -> Response {
    let n = node.clone();
    let page = blocking(move || {
        let needs_setup = n
            .people(&Actor::Operator)
            .map(|p| p.is_empty())
            .unwrap_or(false);
        HomePage {
            site: site(&n),
            kind: if n.settings().kind.is_empty() {
                "district".into()
            } else {
                n.settings().kind.clone()
            },
            needs_setup,
            definitions: n.definition_count().unwrap_or(0),
            awards: n.award_count(),
        }
    })
    .await;
    match page {
        Some(p) => html(StatusCode::OK, p),
        None => message(
            &node,
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "Please try again.",
        ),
    }
}

#[derive(Deserialize)]
pub(crate) struct CatalogQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    scope: String,
}

pub(crate) async fn catalog(
    State(node): State<Arc<Node>>,
    query: Result<Query<CatalogQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let query = query.map(|Query(q)| q).unwrap_or(CatalogQuery {
        q: String::new(),
        scope: String::new(),
    });
    let q = query.q.chars().take(200).collect::<String>();
    let federation = query.scope == "federation";
    let n = node.clone();
    let q2 = q.clone();
    let page = blocking(move || {
        let search = SearchQuery {
            q: (!q2.trim().is_empty()).then(|| q2.clone()),
            limit: 50,
            ..Default::default()
        };
        let result = n.search_scoped(search, federation).ok()?;
        let items = result
            .items
            .iter()
            .map(|e| Hit {
                id: e.id.clone(),
                name: e.def.name.clone(),
                description: e.def.description.clone(),
                issuer: n.issuer_name(&e.issuer).unwrap_or_else(|| e.issuer.clone()),
            })
            .collect();
        Some(CatalogPage {
            site: site(&n),
            q: q2,
            federation,
            total: result.total,
            items,
        })
    })
    .await
    .flatten();
    match page {
        Some(p) => html(StatusCode::OK, p),
        None => message(
            &node,
            StatusCode::INTERNAL_SERVER_ERROR,
            "Search failed",
            "Please try again.",
        ),
    }
}

pub(crate) async fn credential(
    State(node): State<Arc<Node>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let n = node.clone();
    let token = page_token(&headers);
    let csrf = token.clone();
    let page = blocking(move || {
        let actor = signed_in(&n, &headers);
        let entry = n.definition(&id).ok().flatten()?;
        let d = &entry.def;
        let quality = n.quality_profile(&id).ok().flatten();
        let rubric = d
            .rubric
            .as_ref()
            .map(|r| {
                r.criteria
                    .iter()
                    .map(|c| {
                        let levels: Vec<String> = c
                            .levels
                            .iter()
                            .map(|l| {
                                if l.passing {
                                    format!("{} (passes)", l.name)
                                } else {
                                    l.name.clone()
                                }
                            })
                            .collect();
                        (c.name.clone(), levels.join(", "))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let review = match &d.review_policy {
            None => "One reviewer scores the evidence against the rubric.".to_owned(),
            Some(p) => format!(
                "{} reviewer{}{}{}.",
                p.reviewers,
                if p.reviewers == 1 { "" } else { "s" },
                if p.tiebreak {
                    ", a further reviewer breaks ties"
                } else {
                    ""
                },
                if p.pre_approval_required {
                    "; pre-approval needed before starting"
                } else {
                    ""
                }
            ),
        };
        let (issued, revoked, standards) = match &quality {
            Some(q) => (
                q.awards.issued,
                q.awards.revoked,
                q.standards
                    .iter()
                    .map(|s| {
                        format!(
                            "{}: {}",
                            s.evaluation.standard,
                            if s.evaluation.meets {
                                "meets it"
                            } else {
                                "does not meet it"
                            }
                        )
                    })
                    .collect(),
            ),
            None => (0, 0, Vec::new()),
        };
        Some(CredentialPage {
            site: actor.as_ref().map_or_else(|| site(&n), |a| site_for(&n, a)),
            id: id.clone(),
            csrf,
            signed_in: actor.is_some(),
            own: entry.issuer == n.did(),
            pre_approval: d
                .review_policy
                .as_ref()
                .is_some_and(|p| p.pre_approval_required),
            requirements: d
                .evidence_requirements
                .iter()
                .map(|r| r.description.clone())
                .collect(),
            name: d.name.clone(),
            description: d.description.clone(),
            competency: d.competency.clone().unwrap_or_default(),
            issuer: n
                .issuer_name(&entry.issuer)
                .unwrap_or_else(|| entry.issuer.clone()),
            version: d.version.clone(),
            value: d
                .local_value
                .map(|v| credreg_node::value::transfer::show_amount(&v))
                .unwrap_or_default(),
            review,
            issued,
            revoked,
            criteria: d.criteria.narrative.clone(),
            rubric,
            standards,
        })
    })
    .await
    .flatten();
    match page {
        Some(p) => with_csrf_cookie(html(StatusCode::OK, p), &token),
        None => message(
            &node,
            StatusCode::NOT_FOUND,
            "Credential not found",
            "There is no credential with that address in this catalog.",
        ),
    }
}

pub(crate) fn trust_words(status: credreg_node::TrustStatus) -> &'static str {
    use credreg_node::TrustStatus as T;
    match status {
        T::ThisNode => "this node",
        T::Anchor => "a trust anchor of the federation",
        T::Member => "a member, vouched for by an anchor",
        T::Allowed => "trusted by this node's operator",
        T::Denied => "not trusted (deny list)",
        T::Expired => "its membership has ended",
        T::Unknown => "not vouched for",
    }
}

pub(crate) async fn issuers(State(node): State<Arc<Node>>) -> Response {
    let n = node.clone();
    let page = blocking(move || {
        let list = n.issuers().ok()?;
        Some(IssuersPage {
            site: site(&n),
            issuers: list
                .into_iter()
                .map(|i| {
                    (
                        i.name.unwrap_or_else(|| i.did.clone()),
                        trust_words(i.trust.status).to_owned(),
                        i.log_size,
                    )
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
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "Please try again.",
        ),
    }
}
