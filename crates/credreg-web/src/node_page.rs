//! "This node", for coordinators: its settings (read from `credreg.toml`; changed there), the
//! federation as this node sees it (peers, issuers with their trust and any equivocation,
//! replication progress), and API tokens (create one, shown once; revoke).

use crate::forms::{
    page_token, say, signed_in, to_sign_in, with_csrf_cookie, CheckedForm, Problems,
};
use crate::shell::{blocking, html, site_for, Site};
use crate::Web;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use credreg_node::auth::{
    list_tokens, register_token_with, revoke_token, Role, TokenOptions, TokenSource,
};
use credreg_node::review::Actor;
use credreg_node::Node;
use credreg_wire::federation::PeerView;
use std::collections::HashMap;

#[derive(Template)]
#[template(path = "node.html")]
pub(crate) struct NodePage {
    site: Site,
    csrf: String,
    errors: Problems,
    notice: String,
    new_token: String,
    settings: Vec<(&'static str, String)>,
    federated: bool,
    /// (peer, connected in words, score, last compared, blocked)
    peers: Vec<(String, String, String, String, bool)>,
    /// (issuer, trust in words, log size, what peers hold of it, equivocations)
    issuers: Vec<(String, String, u64, String, usize)>,
    equivocations: u64,
    /// (id, role, source, created, expires, expired)
    tokens: Vec<(String, String, String, String, String, bool)>,
}

fn page(
    node: &Node,
    actor: &Actor,
    peers: Option<Vec<PeerView>>,
    equivocations: u64,
    csrf: String,
) -> NodePage {
    let s = node.settings();
    let list = |l: &[String]| {
        if l.is_empty() {
            "none".to_owned()
        } else {
            l.join(", ")
        }
    };
    let settings = vec![
        ("Name", s.name.clone()),
        (
            "Kind",
            if s.kind.is_empty() {
                "district".into()
            } else {
                s.kind.clone()
            },
        ),
        ("Issuer id (DID)", node.did().to_owned()),
        ("Public address", s.public_url.clone()),
        (
            "Federation",
            if s.federation.name.is_empty() {
                "none: this node runs alone".into()
            } else {
                s.federation.name.clone()
            },
        ),
        ("Trust anchors", list(&s.federation.anchors)),
        ("Always trusted", list(&s.federation.allow)),
        ("Never trusted", list(&s.federation.deny)),
    ];
    let peers = peers.unwrap_or_default();
    let held_by_peers = |did: &str| -> String {
        let sizes: Vec<String> = peers
            .iter()
            .filter_map(|p| {
                p.replicates
                    .iter()
                    .find(|r| r.issuer == did)
                    .map(|r| r.size.to_string())
            })
            .collect();
        if sizes.is_empty() {
            "no peer reports it".into()
        } else {
            format!("peers hold {}", sizes.join(", "))
        }
    };
    let issuers = node
        .issuers()
        .unwrap_or_default()
        .into_iter()
        .map(|i| {
            (
                i.name.clone().unwrap_or_else(|| i.did.clone()),
                crate::catalog::trust_words(&i.trust.status).to_owned(),
                i.log_size,
                held_by_peers(&i.did),
                i.equivocations.len(),
            )
        })
        .collect();
    let tokens = list_tokens(node.store())
        .unwrap_or_default()
        .into_iter()
        .map(|t| {
            (
                t.id,
                t.role,
                format!("{:?}", t.source).to_lowercase(),
                t.created.unwrap_or_default(),
                t.expires.unwrap_or_else(|| "never".into()),
                t.expired,
            )
        })
        .collect();
    NodePage {
        site: site_for(node, actor),
        csrf,
        errors: Problems::default(),
        notice: String::new(),
        new_token: String::new(),
        settings,
        federated: !s.federation.name.is_empty(),
        peers: peers
            .iter()
            .map(|p| {
                (
                    p.agent
                        .clone()
                        .map_or_else(|| p.peer_id.clone(), |a| format!("{} ({a})", p.peer_id)),
                    if p.connected {
                        "connected".into()
                    } else {
                        "not connected".into()
                    },
                    p.score
                        .map_or_else(|| "no score yet".into(), |s| format!("{s:.1}")),
                    p.last_sync.clone().unwrap_or_else(|| "never".into()),
                    p.blocked,
                )
            })
            .collect(),
        issuers,
        equivocations,
        tokens,
    }
}

async fn show(
    web: &Web,
    headers: &HeaderMap,
    change: impl FnOnce(&mut NodePage) + Send + 'static,
) -> Response {
    let token = page_token(headers);
    let (peers, equivocations) = match &web.federation {
        Some(f) => (Some(f.peers().await), f.counters().equivocations),
        None => (None, 0),
    };
    let (n, h, t) = (web.node.clone(), headers.clone(), token.clone());
    let shown = blocking(move || {
        let actor = signed_in(&n, &h).filter(Actor::is_coordinator)?;
        let mut p = page(&n, &actor, peers, equivocations, t);
        change(&mut p);
        Some(p)
    })
    .await
    .flatten();
    match shown {
        Some(p) => {
            let status = if p.errors.is_empty() {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            with_csrf_cookie(html(status, p), &token)
        }
        None => to_sign_in(),
    }
}

pub(crate) async fn node(State(web): State<Web>, headers: HeaderMap) -> Response {
    show(&web, &headers, |_| {}).await
}

/// Creates (shown once) or revokes an API token.
pub(crate) async fn tokens(
    State(web): State<Web>,
    headers: HeaderMap,
    CheckedForm(form): CheckedForm<HashMap<String, String>>,
) -> Response {
    let (n, h) = (web.node.clone(), headers.clone());
    let done = blocking(move || {
        signed_in(&n, &h).filter(Actor::is_coordinator)?;
        let get = |k: &str| form.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
        Some(if get("action") == "revoke" {
            revoke_token(n.store(), &get("id"))
                .map(|t| (format!("Token {} is revoked", t.id), String::new()))
                .map_err(|e| say(&e))
        } else {
            let role = if get("role") == "reviewer" {
                Role::Reviewer
            } else {
                Role::Admin
            };
            let days = get("days");
            let expires = if days.is_empty() {
                Ok(None)
            } else {
                days.parse::<i64>()
                    .ok()
                    .filter(|d| (1..=3650).contains(d))
                    .map(|d| Some(n.now() + time_days(d)))
                    .ok_or_else(|| {
                        "Enter the days it works as a whole number from 1 to 3650".to_owned()
                    })
            };
            expires.and_then(|expires| {
                let token = credreg_node::auth::generate_token();
                register_token_with(
                    n.store(),
                    &token,
                    TokenOptions {
                        role,
                        source: TokenSource::Created,
                        expires,
                    },
                )
                .map(|_| {
                    (
                        "A new token: copy it now, it is not shown again".to_owned(),
                        token,
                    )
                })
                .map_err(|e| say(&e))
            })
        })
    })
    .await
    .flatten();
    match done {
        Some(Ok((notice, token))) => {
            show(&web, &headers, move |p| {
                p.notice = notice;
                p.new_token = token;
            })
            .await
        }
        Some(Err(why)) => show(&web, &headers, move |p| p.errors.add("days", why)).await,
        None => to_sign_in(),
    }
}

fn time_days(d: i64) -> std::time::Duration {
    std::time::Duration::from_secs(u64::try_from(d).unwrap_or(1) * 86_400)
}
