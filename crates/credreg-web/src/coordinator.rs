//! A coordinator's pages: the review dashboard (pre-approvals waiting, submissions by state,
//! overdue reviews, reviewer load, agreement), people (invite one, or a CSV roster), revoking
//! a badge with a reason.

use crate::forms::{
    page_token, say, see_other, signed_in, to_sign_in, with_csrf_cookie, CheckedForm, Problems,
};
use crate::shell::{blocking, html, message, site_for, Site};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use credreg_node::review::{Actor, NewPerson, PersonRole, PreApprovalState, SubmissionState};
use credreg_node::Node;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Template)]
#[template(path = "coordinator.html")]
pub(crate) struct DashboardPage {
    site: Site,
    csrf: String,
    errors: Problems,
    notice: String,
    /// (request id, teacher, credential, plan)
    waiting: Vec<(String, String, String, String)>,
    /// (state in words, count)
    by_state: Vec<(&'static str, usize)>,
    overdue: usize,
    /// (reviewer, open reviews, late)
    load: Vec<(String, u64, u64)>,
    /// (credential, decisions, agreement in words, kappa in words)
    agreement: Vec<(String, u64, String, String)>,
    /// (name, addresses, roles)
    people: Vec<(String, String, String)>,
    invite: InviteForm,
    roster: String,
    revoke_award: String,
    revoke_reason: String,
}

fn percent(x: Option<f64>) -> String {
    x.map_or_else(
        || "not enough reviews yet".into(),
        |v| format!("{:.0}%", v * 100.0),
    )
}

fn dashboard(node: &Node, actor: &Actor, csrf: String) -> Option<DashboardPage> {
    actor.is_coordinator().then_some(())?;
    let people = node.people(actor).ok()?;
    let name_of = |id: &str| {
        people
            .iter()
            .find(|p| p.id == id)
            .map_or_else(|| id.to_owned(), |p| p.name.clone())
    };
    let credential_name = |id: &str| {
        node.definition(id)
            .ok()
            .flatten()
            .map_or_else(|| id.to_owned(), |e| e.def.name.clone())
    };
    let waiting = node
        .pre_approvals(actor)
        .ok()?
        .into_iter()
        .filter(|a| a.state == PreApprovalState::Requested)
        .map(|a| {
            (
                a.id.clone(),
                name_of(&a.teacher),
                credential_name(&a.credential_id),
                a.plan.clone(),
            )
        })
        .collect();
    let submissions = node.submissions(actor).ok()?;
    let count = |state: SubmissionState| submissions.iter().filter(|s| s.state == state).count();
    let by_state = vec![
        ("Drafts", count(SubmissionState::Draft)),
        ("With reviewers", count(SubmissionState::Submitted)),
        ("Decided", count(SubmissionState::Decided)),
        ("Withdrawn", count(SubmissionState::Withdrawn)),
    ];
    let mut credentials: Vec<String> = submissions
        .iter()
        .map(|s| s.credential_id.clone())
        .collect();
    credentials.sort();
    credentials.dedup();
    let mut load: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut agreement = Vec::new();
    let now = node.now_rfc3339();
    let mut overdue = 0;
    for s in &submissions {
        if let Ok(record) = node.submission_record(actor, &s.id) {
            overdue += record
                .reviews
                .iter()
                .filter(|r| r.is_open() && r.due_at.as_str() < now.as_str())
                .count();
        }
    }
    for c in &credentials {
        let Ok(figures) = node.review_figures(actor, c) else {
            continue;
        };
        for r in &figures.reviewers {
            let e = load.entry(name_of(&r.reviewer)).or_default();
            e.0 += r.open;
            e.1 += r.late;
        }
        let st = &figures.statistics;
        agreement.push((
            credential_name(c),
            st.decisions,
            percent(st.percent_agreement),
            st.kappa
                .map_or_else(|| "not enough reviews yet".into(), |k| format!("{k:.2}")),
        ));
    }
    Some(DashboardPage {
        site: site_for(node, actor),
        csrf,
        errors: Problems::default(),
        notice: String::new(),
        waiting,
        by_state,
        overdue,
        load: load.into_iter().map(|(k, (o, l))| (k, o, l)).collect(),
        agreement,
        people: people
            .iter()
            .map(|p| {
                (
                    p.name.clone(),
                    p.emails
                        .iter()
                        .map(|e| e.address.clone())
                        .collect::<Vec<_>>()
                        .join(", "),
                    p.roles
                        .iter()
                        .map(|r| role_word(*r))
                        .collect::<Vec<_>>()
                        .join(", "),
                )
            })
            .collect(),
        invite: InviteForm::default(),
        roster: String::new(),
        revoke_award: String::new(),
        revoke_reason: String::new(),
    })
}

fn role_word(r: PersonRole) -> &'static str {
    match r {
        PersonRole::Teacher => "teacher",
        PersonRole::Reviewer => "reviewer",
        PersonRole::Coordinator => "coordinator",
        PersonRole::Curator => "curator",
    }
}

async fn show(
    node: &Arc<Node>,
    headers: &HeaderMap,
    status: StatusCode,
    change: impl FnOnce(&mut DashboardPage) + Send + 'static,
) -> Response {
    let token = page_token(headers);
    let (n, h, t) = (node.clone(), headers.clone(), token.clone());
    let page = blocking(move || {
        let actor = signed_in(&n, &h).ok_or(true)?;
        let mut page = dashboard(&n, &actor, t).ok_or(false)?;
        change(&mut page);
        Ok::<_, bool>(page)
    })
    .await;
    match page {
        Some(Ok(p)) => with_csrf_cookie(html(status, p), &token),
        Some(Err(false)) => message(
            node,
            StatusCode::FORBIDDEN,
            "Coordinators only",
            "This page is for the district's coordinators.",
        ),
        _ => to_sign_in(),
    }
}

pub(crate) async fn home(State(node): State<Arc<Node>>, headers: HeaderMap) -> Response {
    show(&node, &headers, StatusCode::OK, |_| {}).await
}

#[derive(Deserialize, Default, Clone)]
pub(crate) struct InviteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) email: String,
    #[serde(default)]
    pub(crate) school: String,
    #[serde(default)]
    teacher: Option<String>,
    #[serde(default)]
    reviewer: Option<String>,
    #[serde(default)]
    coordinator: Option<String>,
    #[serde(default)]
    curator: Option<String>,
    /// A pasted CSV roster instead of one person.
    #[serde(default)]
    roster: String,
}

impl InviteForm {
    pub(crate) fn has(&self, role: &str) -> bool {
        match role {
            "teacher" => self.teacher.is_some(),
            "reviewer" => self.reviewer.is_some(),
            "coordinator" => self.coordinator.is_some(),
            _ => self.curator.is_some(),
        }
    }
}

/// Invites one person (a sign-in code is mailed to them) or a whole pasted roster.
pub(crate) async fn invite(
    State(node): State<Arc<Node>>,
    headers: HeaderMap,
    CheckedForm(form): CheckedForm<InviteForm>,
) -> Response {
    let (n, h, f) = (node.clone(), headers.clone(), form.clone());
    let outcome = blocking(move || {
        let actor = signed_in(&n, &h).ok_or(None)?;
        if !f.roster.trim().is_empty() {
            let rows = credreg_node::review::roster::parse_roster(f.roster.trim().as_bytes())
                .map_err(|e| Some(one("roster", e.to_string())))?;
            return n
                .invite_roster(&actor, rows)
                .map(|p| {
                    format!(
                        "Invited {} people from the roster; each gets a sign-in code by mail",
                        p.len()
                    )
                })
                .map_err(|e| Some(Problems::from_node(&e, "roster")));
        }
        let mut roles = Vec::new();
        for (word, role) in [
            ("teacher", PersonRole::Teacher),
            ("reviewer", PersonRole::Reviewer),
            ("coordinator", PersonRole::Coordinator),
            ("curator", PersonRole::Curator),
        ] {
            if f.has(word) {
                roles.push(role);
            }
        }
        let mut errors = Problems::default();
        if f.name.trim().is_empty() {
            errors.add("invite-name", "Enter the person's name");
        }
        if !credreg_model::looks_like_email(f.email.trim()) {
            errors.add(
                "invite-email",
                "Enter an e-mail address, like name@district.org",
            );
        }
        if roles.is_empty() {
            errors.add("role-teacher", "Choose at least one role");
        }
        if !errors.is_empty() {
            return Err(Some(errors));
        }
        n.invite_person(
            &actor,
            NewPerson {
                name: f.name.trim().to_owned(),
                email: f.email.trim().to_owned(),
                school: Some(f.school.trim().to_owned()).filter(|s| !s.is_empty()),
                roles,
            },
        )
        .map(|p| format!("Invited {}: a sign-in code is on its way to them", p.name))
        .map_err(|e| Some(one("invite-email", say(&e))))
    })
    .await;
    match outcome {
        Some(Ok(notice)) => show(&node, &headers, StatusCode::OK, move |p| p.notice = notice).await,
        Some(Err(Some(errors))) => {
            show(
                &node,
                &headers,
                StatusCode::UNPROCESSABLE_ENTITY,
                move |p| {
                    p.errors = errors;
                    p.roster = form.roster.clone();
                    p.invite = form;
                },
            )
            .await
        }
        _ => to_sign_in(),
    }
}

fn one(field: &str, message: impl Into<String>) -> Problems {
    let mut p = Problems::default();
    p.add(field, message);
    p
}

#[derive(Deserialize)]
pub(crate) struct DecideForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    note: String,
}

/// Approves or declines a pre-approval request.
pub(crate) async fn decide(
    State(node): State<Arc<Node>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    CheckedForm(form): CheckedForm<DecideForm>,
) -> Response {
    let (n, h) = (node.clone(), headers.clone());
    let approve = form.decision == "approve";
    let outcome = blocking(move || {
        let actor = signed_in(&n, &h).ok_or(None)?;
        let note = Some(form.note.trim()).filter(|n| !n.is_empty());
        n.decide_pre_approval(&actor, &id, approve, note)
            .map_err(|e| Some(one(&format!("note-{id}"), say(&e))))
    })
    .await;
    match outcome {
        Some(Ok(_)) => see_other("/coordinator"),
        Some(Err(Some(errors))) => {
            show(
                &node,
                &headers,
                StatusCode::UNPROCESSABLE_ENTITY,
                move |p| p.errors = errors,
            )
            .await
        }
        _ => to_sign_in(),
    }
}

#[derive(Deserialize)]
pub(crate) struct RevokeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    award: String,
    #[serde(default)]
    reason: String,
}

/// Revokes a badge this node issued, with the reason its public page will show.
pub(crate) async fn revoke(
    State(node): State<Arc<Node>>,
    headers: HeaderMap,
    CheckedForm(form): CheckedForm<RevokeForm>,
) -> Response {
    // The award page's address or its id both work.
    let award = form
        .award
        .trim()
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let (n, h, a, reason) = (
        node.clone(),
        headers.clone(),
        award.clone(),
        form.reason.trim().to_owned(),
    );
    let outcome = blocking(move || {
        let actor = signed_in(&n, &h).ok_or(None)?;
        if !actor.is_coordinator() {
            return Err(None);
        }
        let mut errors = Problems::default();
        if a.is_empty() {
            errors.add(
                "revoke-award",
                "Enter the badge's id or the address of its page",
            );
        }
        if reason.is_empty() {
            errors.add(
                "revoke-reason",
                "Say why the badge is revoked: its page shows the reason",
            );
        }
        if !errors.is_empty() {
            return Err(Some(errors));
        }
        n.revoke(&a, &reason)
            .map_err(|e| Some(one("revoke-award", say(&e))))
    })
    .await;
    match outcome {
        Some(Ok(_)) => see_other(&format!("/awards/{award}")),
        Some(Err(Some(errors))) => {
            show(
                &node,
                &headers,
                StatusCode::UNPROCESSABLE_ENTITY,
                move |p| {
                    p.errors = errors;
                    p.revoke_award = form.award;
                    p.revoke_reason = form.reason;
                },
            )
            .await
        }
        _ => to_sign_in(),
    }
}

crate::forms::csrf_field!(DecideForm, InviteForm, RevokeForm);
