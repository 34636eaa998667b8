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
    /// (id, name, issuer, quality in words): the most awarded credentials of the federation.
    highlights: Vec<(String, String, String, String)>,
}

pub(crate) struct Hit {
    id: String,
    name: String,
    description: String,
    issuer: String,
    /// Standards met, endorsements, recognitions and awards, in words ("" for none).
    quality: String,
}

#[derive(Template)]
#[template(path = "catalog.html")]
pub(crate) struct CatalogPage {
    site: Site,
    q: String,
    federation: bool,
    total: usize,
    items: Vec<Hit>,
    /// (id, name) of every quality standard this node knows.
    standards: Vec<(String, String)>,
    meets: String,
    endorsed: bool,
    recognized: bool,
    sort: String,
    sorts: &'static [(&'static str, &'static str)],
    filtered: bool,
}

const SORTS: &[(&str, &str)] = &[
    ("relevance", "Best match"),
    ("awards", "Most awarded"),
    ("endorsements", "Most endorsed"),
    ("recognitions", "Recognized by most districts"),
    ("name", "Name"),
];

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
    key_method: String,
    components: Vec<String>,
    /// (citation, url)
    research: Vec<(String, String)>,
    /// (name, url)
    resources: Vec<(String, String)>,
    effort: String,
    /// (endorser, trust in words, comment)
    endorsements: Vec<(String, String, String)>,
    recognized_by: Vec<String>,
    /// Review figures in words, when the issuer published them.
    review_figures: Vec<(String, String)>,
    /// (id, name) of the issuer's stacks that include it.
    stacks: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "issuers.html")]
pub(crate) struct IssuersPage {
    site: Site,
    /// (name, trust in words, who vouches, log entries held)
    issuers: Vec<(String, String, String, u64)>,
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
            highlights: {
                use credreg_node::value::quality::{QualityFilter, SortBy};
                let filter = QualityFilter {
                    sort: SortBy::Awards,
                    ..Default::default()
                };
                let query = SearchQuery {
                    limit: 5,
                    ..Default::default()
                };
                n.search_quality(query, true, &filter)
                    .map(|p| {
                        p.hits
                            .iter()
                            .map(|(e, q)| {
                                (
                                    e.id.clone(),
                                    e.def.name.clone(),
                                    n.issuer_name(&e.issuer).unwrap_or_else(|| e.issuer.clone()),
                                    quality_words(q),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default()
            },
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

#[derive(Deserialize, Default)]
pub(crate) struct CatalogQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    meets: String,
    #[serde(default)]
    endorsed: Option<String>,
    #[serde(default)]
    recognized: Option<String>,
    #[serde(default)]
    sort: String,
}

fn quality_words(q: &credreg_node::value::quality::QualitySummary) -> String {
    let mut parts = Vec::new();
    if !q.meets.is_empty() {
        parts.push(format!("meets {}", q.meets.join(", ")));
    }
    if q.endorsements > 0 {
        parts.push(format!(
            "{} endorsement{}",
            q.endorsements,
            if q.endorsements == 1 { "" } else { "s" }
        ));
    }
    if q.recognized_by > 0 {
        parts.push(format!(
            "recognized by {} district{}",
            q.recognized_by,
            if q.recognized_by == 1 { "" } else { "s" }
        ));
    }
    if q.awards.issued > 0 {
        parts.push(format!("{} awarded", q.awards.issued));
    }
    parts.join(" · ")
}

pub(crate) async fn catalog(
    State(node): State<Arc<Node>>,
    query: Result<Query<CatalogQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let q = query.q.chars().take(200).collect::<String>();
    let federation = query.scope == "federation";
    let n = node.clone();
    let page = blocking(move || {
        use credreg_node::value::quality::{QualityFilter, SortBy};
        let standards: Vec<(String, String)> = n
            .quality_standards()
            .unwrap_or_default()
            .into_iter()
            .map(|s| (s.id, s.standard.name))
            .collect();
        let meets = Some(query.meets.clone()).filter(|m| standards.iter().any(|(id, _)| id == m));
        let filter = QualityFilter {
            meets: meets.clone(),
            min_endorsements: u32::from(query.endorsed.is_some()),
            recognized: query.recognized.is_some(),
            sort: SortBy::parse(&query.sort).unwrap_or(SortBy::Relevance),
        };
        let search = SearchQuery {
            q: (!q.trim().is_empty()).then(|| q.clone()),
            limit: 50,
            ..Default::default()
        };
        let result = n.search_quality(search, federation, &filter).ok()?;
        let standard_name = |id: &str| {
            standards
                .iter()
                .find(|(s, _)| s == id)
                .map_or_else(|| id.to_owned(), |(_, name)| name.clone())
        };
        let items = result
            .hits
            .iter()
            .map(|(e, quality)| {
                let mut quality = quality.clone();
                quality.meets = quality.meets.iter().map(|m| standard_name(m)).collect();
                Hit {
                    id: e.id.clone(),
                    name: e.def.name.clone(),
                    description: e.def.description.clone(),
                    issuer: n.issuer_name(&e.issuer).unwrap_or_else(|| e.issuer.clone()),
                    quality: quality_words(&quality),
                }
            })
            .collect();
        let filtered = meets.is_some() || !filter.is_plain() || !query.sort.is_empty();
        Some(CatalogPage {
            site: site(&n),
            q,
            federation,
            total: result.total,
            items,
            standards,
            meets: meets.unwrap_or_default(),
            endorsed: query.endorsed.is_some(),
            recognized: query.recognized.is_some(),
            sort: SortBy::parse(&query.sort).map_or("relevance".into(), |_| query.sort.clone()),
            sorts: SORTS,
            filtered,
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
        let name_of = |did: &str| n.issuer_name(did).unwrap_or_else(|| did.to_owned());
        let pct = |x: Option<f64>| {
            x.map_or_else(|| "not enough yet".into(), |v| format!("{:.0}%", v * 100.0))
        };
        let review_figures = quality
            .as_ref()
            .and_then(|q| q.review.as_ref())
            .map(|r| {
                vec![
                    ("Decisions".to_owned(), r.decisions.to_string()),
                    (
                        "Passed on the first attempt".to_owned(),
                        pct(r.first_attempt_pass_rate),
                    ),
                    ("Reviewers agreed".to_owned(), pct(r.percent_agreement)),
                    (
                        "Cohen's kappa".to_owned(),
                        r.kappa
                            .map_or_else(|| "not enough yet".into(), |k| format!("{k:.2}")),
                    ),
                    (
                        "Median days to a decision".to_owned(),
                        r.median_turnaround_days
                            .map_or_else(|| "not enough yet".into(), |d| format!("{d:.1}")),
                    ),
                ]
            })
            .unwrap_or_default();
        let effort = d
            .estimated_effort
            .as_ref()
            .map(|e| match (e.hours, e.weeks) {
                (Some(h), Some(w)) => format!("about {h} hours over {w} weeks"),
                (Some(h), None) => format!("about {h} hours"),
                (None, Some(w)) => format!("about {w} weeks"),
                (None, None) => String::new(),
            })
            .unwrap_or_default();
        Some(CredentialPage {
            key_method: d.key_method.clone().unwrap_or_default(),
            components: d.method_components.clone(),
            research: d
                .research_basis
                .iter()
                .map(|c| (c.citation.clone(), c.url.clone().unwrap_or_default()))
                .collect(),
            resources: d
                .resources
                .iter()
                .map(|r| (r.name.clone(), r.url.clone()))
                .collect(),
            effort,
            endorsements: quality
                .as_ref()
                .map(|q| {
                    q.endorsements
                        .iter()
                        .map(|e| {
                            (
                                name_of(&e.endorser),
                                trust_words(&e.trust.status).to_owned(),
                                e.comment.clone(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default(),
            recognized_by: quality
                .as_ref()
                .map(|q| q.recognized_by.iter().map(|d| name_of(d)).collect())
                .unwrap_or_default(),
            review_figures,
            stacks: n
                .stacks_of(&entry.issuer)
                .unwrap_or_default()
                .iter()
                .filter(|s| s.stack.credentials.iter().any(|c| c == &id))
                .map(|s| (s.id.clone(), s.stack.name.clone()))
                .collect(),
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

pub(crate) fn trust_words(status: &credreg_node::TrustStatus) -> &'static str {
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
                .iter()
                .map(|i| {
                    let anchor = i.trust.anchor.as_deref().map_or_else(String::new, |a| {
                        n.issuer_name(a).unwrap_or_else(|| a.to_owned())
                    });
                    (
                        i.name.clone().unwrap_or_else(|| i.did.clone()),
                        trust_words(&i.trust.status).to_owned(),
                        anchor,
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

/// This node's own credentials (id and name, at most 500), active ones only when `active`:
/// the choices the coordinator's forms offer.
pub(crate) fn own_credentials(node: &Node, active: bool) -> Vec<(String, String)> {
    node.search(&SearchQuery {
        issuer: Some(node.did().to_owned()),
        limit: 500,
        ..Default::default()
    })
    .map(|p| {
        p.items
            .iter()
            .filter(|e| !active || e.def.status == credreg_model::DefStatus::Active)
            .map(|e| (e.id.clone(), e.def.name.clone()))
            .collect()
    })
    .unwrap_or_default()
}
