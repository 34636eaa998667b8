//! Evidence review, the people side: sign-in and addresses, roles on every call, pre-approval,
//! pools and calibration, and an address verified later matching a badge.

mod support;

use credreg_model::DecisionOutcome;
use credreg_node::review::{Actor, EvidenceItem, NewPerson, PersonRole};
use credreg_node::NodeError;
use serde_json::Value;
use support::*;

#[test]
fn pre_approval_declined_blocks_the_start_and_approval_allows_it() {
    let Some(d) = district_at(None) else { return };
    let node = &d.node;
    let def = node
        .publish_definition(definition(true, false))
        .expect("publish");
    let p = people(node);
    let Err(NodeError::Conflict(why)) = node.start_submission(&p.teacher, &def.id, None) else {
        panic!("pre-approval is required");
    };
    assert!(why.contains("pre-approval"), "{why}");
    let a = node
        .request_pre_approval(&p.teacher, &def.id, "Ratios unit, third period.")
        .expect("requested");
    // Only a coordinator decides, and a decline needs a reason.
    assert!(matches!(
        node.decide_pre_approval(&p.reviewers[0], &a.id, true, None),
        Err(NodeError::Forbidden(_))
    ));
    assert!(matches!(
        node.decide_pre_approval(&Actor::Operator, &a.id, false, None),
        Err(NodeError::Invalid(_))
    ));
    node.decide_pre_approval(
        &Actor::Operator,
        &a.id,
        false,
        Some("This year's budget covers literacy credentials only."),
    )
    .expect("declined");
    assert!(matches!(
        node.start_submission(&p.teacher, &def.id, None),
        Err(NodeError::Conflict(_))
    ));
    let mail = node.outbox(&Actor::Operator).expect("outbox");
    assert!(mail
        .iter()
        .any(|m| m.subject.contains("declined") && m.body.contains("literacy")));
    let a = node
        .request_pre_approval(&p.teacher, &def.id, "Next semester.")
        .expect("again");
    node.decide_pre_approval(&Actor::Operator, &a.id, true, None)
        .expect("approved");
    node.start_submission(&p.teacher, &def.id, None)
        .expect("now it may start");
}

#[test]
fn sign_in_by_link_and_password_and_a_second_address() {
    let Some(d) = district_at(None) else { return };
    let node = &d.node;
    let p = people(node);
    let code = |to: &str| -> String {
        let mail = node.outbox(&Actor::Operator).expect("outbox");
        let m = mail.iter().rev().find(|m| m.to == to).expect("mailed");
        m.body
            .split_whitespace()
            .find(|w| w.starts_with("crl_"))
            .expect("a code")
            .to_owned()
    };
    // The invitation carries a sign-in code; it works once.
    let first = code("maya.lindqvist@kmsd.edu");
    let (token, session) = node.sign_in_with_link(&first).expect("signed in");
    assert_eq!(Some(session.person.as_str()), p.teacher.person());
    assert!(matches!(
        node.sign_in_with_link(&first),
        Err(NodeError::Forbidden(_))
    ));
    let me = node.session_actor(&token).expect("reads").expect("open");
    assert_eq!(me, p.teacher);
    // A code expires after 15 minutes.
    node.request_sign_in("maya.lindqvist@kmsd.edu")
        .expect("asked");
    let late = code("maya.lindqvist@kmsd.edu");
    d.clock.advance(16 * 60);
    assert!(matches!(
        node.sign_in_with_link(&late),
        Err(NodeError::Forbidden(_))
    ));
    // An unknown address is told nothing, and no mail goes out.
    let before = node.outbox(&Actor::Operator).expect("outbox").len();
    node.request_sign_in("nobody@example.org").expect("quiet");
    assert_eq!(node.outbox(&Actor::Operator).expect("outbox").len(), before);
    // A password, then sign-in with it.
    assert!(matches!(
        node.set_password(&me, "short"),
        Err(NodeError::Invalid(_))
    ));
    node.set_password(&me, "ratios-and-exit-tickets")
        .expect("set");
    assert!(matches!(
        node.sign_in_with_password("maya.lindqvist@kmsd.edu", "wrong password here"),
        Err(NodeError::Forbidden(_))
    ));
    node.sign_in_with_password("Maya.Lindqvist@kmsd.edu", "ratios-and-exit-tickets")
        .expect("signed in");
    // A personal address, verified by its link, then usable to sign in.
    node.add_email(&me, "maya.l@example.org").expect("added");
    assert!(
        node.sign_in_with_password("maya.l@example.org", "ratios-and-exit-tickets")
            .is_err(),
        "not verified yet"
    );
    let verify = code("maya.l@example.org");
    let view = node.verify_email(&verify).expect("verified");
    assert!(view.emails.iter().all(|e| e.verified));
    node.sign_in_with_password("maya.l@example.org", "ratios-and-exit-tickets")
        .expect("signed in");
    // Sessions are listed and revocable.
    let sessions = node
        .sessions(&me, me.person().expect("id"))
        .expect("listed");
    assert!(sessions.len() >= 2);
    assert!(node.revoke_session(&me, &sessions[0].id).expect("revoked"));
    assert!(matches!(
        node.sessions(&p.reviewers[0], me.person().expect("id")),
        Err(NodeError::Forbidden(_))
    ));
    // Sessions end after 12 hours.
    d.clock.advance(13 * 3600);
    assert_eq!(node.session_actor(&token).expect("reads"), None);
}

#[test]
fn roles_are_enforced_on_every_call() {
    let Some(d) = district_at(None) else { return };
    let node = &d.node;
    let def = node
        .publish_definition(definition(false, false))
        .expect("publish");
    let p = people(node);
    let s = node
        .start_submission(&p.teacher, &def.id, None)
        .expect("draft");
    // A reviewer cannot start submissions or read the teacher's; a teacher cannot review,
    // invite or read the outbox; another teacher cannot touch the draft.
    assert!(matches!(
        node.start_submission(&p.reviewers[0], &def.id, None),
        Err(NodeError::Forbidden(_))
    ));
    assert!(matches!(
        node.submission(&p.reviewers[0], &s.id),
        Err(NodeError::Forbidden(_))
    ));
    assert!(matches!(
        node.review_queue(&p.teacher),
        Err(NodeError::Forbidden(_))
    ));
    assert!(matches!(
        node.outbox(&p.teacher),
        Err(NodeError::Forbidden(_))
    ));
    assert!(matches!(
        node.people(&p.teacher),
        Err(NodeError::Forbidden(_))
    ));
    assert!(matches!(
        node.invite_person(
            &p.teacher,
            NewPerson {
                name: "X".into(),
                email: "x@kmsd.edu".into(),
                school: None,
                roles: vec![PersonRole::Coordinator]
            }
        ),
        Err(NodeError::Forbidden(_))
    ));
    assert!(matches!(
        node.add_evidence(
            &p.colleague,
            &s.id,
            EvidenceItem::Reflection {
                text: "mine now".into()
            }
        ),
        Err(NodeError::Forbidden(_))
    ));
    // Bad evidence is refused with its field named, and the draft keeps what it had.
    let Err(NodeError::Invalid(inv)) = node.add_evidence(
        &p.teacher,
        &s.id,
        EvidenceItem::Link {
            url: "javascript:alert(1)".into(),
            name: "x".into(),
        },
    ) else {
        panic!("a non-http link must be refused");
    };
    assert_eq!(inv.0[0].field, "url");
    assert!(node
        .submission(&p.teacher, &s.id)
        .expect("mine")
        .items
        .is_empty());
    // An address already taken is a conflict.
    assert!(matches!(
        node.invite_person(
            &Actor::Operator,
            NewPerson {
                name: "Dup".into(),
                email: "MAYA.lindqvist@kmsd.edu".into(),
                school: None,
                roles: vec![PersonRole::Teacher]
            }
        ),
        Err(NodeError::Conflict(_))
    ));
}

#[test]
fn an_address_added_and_verified_later_matches_the_award_in_a_transfer_report() {
    use credreg_node::value::transfer::{transfer_input, Reason};
    let Some(d) = district_at(None) else { return };
    let node = &d.node;
    let def = node
        .publish_definition(definition(false, false))
        .expect("publish");
    let p = people(node);
    // Maya adds her personal address before she moves on, and confirms it.
    node.add_email(&p.teacher, "maya.l@example.org")
        .expect("added");
    let mail = node.outbox(&Actor::Operator).expect("outbox");
    let code = mail
        .iter()
        .rev()
        .find(|m| m.to == "maya.l@example.org")
        .and_then(|m| m.body.split_whitespace().find(|w| w.starts_with("crl_")))
        .expect("verification code")
        .to_owned();
    node.verify_email(&code).expect("verified");
    let s = node
        .start_submission(&p.teacher, &def.id, None)
        .expect("draft");
    evidence(node, &p.teacher, &s.id);
    node.submit(&p.teacher, &s.id).expect("submitted");
    score_all(node, &p, &s.id, &[1, 1, 1]);
    let s = node.submission(&p.teacher, &s.id).expect("mine");
    let award = node
        .award(
            s.decision
                .and_then(|d| d.award_id)
                .as_deref()
                .expect("award"),
        )
        .expect("read")
        .expect("award");
    let award: Value = serde_json::from_slice(&award).expect("json");
    // A district previewing what transfers: her personal address matches the badge, a
    // stranger's does not.
    let elsewhere = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
    let outcome = |email: &str| {
        let body = serde_json::json!({"credentials": [award.clone()], "email": email});
        let input = transfer_input(&body).expect("input");
        let report = node
            .transfer_report(&input, Some(elsewhere))
            .expect("report");
        report.badges[0].reason
    };
    assert_eq!(outcome("maya.l@example.org"), Some(Reason::NoMatchingRule));
    assert_eq!(
        outcome("maya.lindqvist@kmsd.edu"),
        Some(Reason::NoMatchingRule)
    );
    assert_eq!(
        outcome("someone.else@example.org"),
        Some(Reason::IdentityMismatch)
    );
}

#[test]
fn reviewers_claim_pooled_submissions_they_may_review() {
    let Some(d) = district_at(None) else { return };
    let node = &d.node;
    let mut def = definition(false, false);
    def.review_policy.as_mut().expect("policy").pool = true;
    let def = node.publish_definition(def).expect("publish");
    let p = people(node);
    let s = node
        .start_submission(&p.teacher, &def.id, None)
        .expect("draft");
    evidence(node, &p.teacher, &s.id);
    let view = node.submit(&p.teacher, &s.id).expect("submitted");
    assert_eq!(view.reviews_assigned, 0, "nobody is assigned in a pool");
    // The teacher's colleague does not see it; the others do, blind.
    assert!(node.review_pool(&p.colleague).expect("pool").is_empty());
    let pool = node.review_pool(&p.reviewers[0]).expect("pool");
    assert_eq!(pool.len(), 1);
    let text = serde_json::to_string(&pool).expect("json");
    assert!(!text.contains("Maya") && !text.contains("maya."), "{text}");
    assert!(matches!(
        node.claim(&p.colleague, &s.id),
        Err(NodeError::Forbidden(_))
    ));
    let first = node.claim(&p.reviewers[0], &s.id).expect("claimed");
    assert!(
        matches!(
            node.claim(&p.reviewers[0], &s.id),
            Err(NodeError::Forbidden(_))
        ),
        "not twice"
    );
    let second = node.claim(&p.reviewers[1], &s.id).expect("claimed");
    assert!(
        matches!(
            node.claim(&p.reviewers[2], &s.id),
            Err(NodeError::Conflict(_))
        ),
        "full"
    );
    assert!(node.review_pool(&p.reviewers[2]).expect("pool").is_empty());
    // A split puts a tiebreak in the pool.
    node.score(&p.reviewers[0], &first.review_id, scores(&[1, 1, 1], ""))
        .expect("scored");
    node.score(&p.reviewers[1], &second.review_id, scores(&[0, 1, 1], ""))
        .expect("scored");
    let pool = node.review_pool(&p.reviewers[2]).expect("pool");
    assert!(pool[0].tiebreak);
    let third = node.claim(&p.reviewers[2], &s.id).expect("claimed");
    node.score(&p.reviewers[2], &third.review_id, scores(&[1, 1, 1], ""))
        .expect("scored");
    let done = node
        .submission(&p.teacher, &s.id)
        .expect("mine")
        .decision
        .expect("decided");
    assert_eq!(done.outcome, DecisionOutcome::Pass);
}

#[test]
fn a_reviewer_calibrates_on_the_calibration_set_before_reviewing() {
    use credreg_node::review::{CalibrationSample, CalibrationSet};
    let Some(d) = district_at(None) else { return };
    let node = &d.node;
    let mut def = definition(false, false);
    def.review_policy
        .as_mut()
        .expect("policy")
        .calibration_required = true;
    let def = node.publish_definition(def).expect("publish");
    let p = people(node);
    let sample = |text: &str, reference: Vec<usize>| CalibrationSample {
        items: vec![EvidenceItem::Reflection { text: text.into() }],
        reference,
    };
    let set = CalibrationSet {
        credential_id: def.id.clone(),
        min_agreement_percent: 80,
        samples: vec![
            sample("A strong lesson with three checks.", vec![2, 1, 1]),
            sample("No checks at all.", vec![0, 0, 1]),
        ],
    };
    assert!(matches!(
        node.set_calibration_set(&p.reviewers[0], set.clone()),
        Err(NodeError::Forbidden(_))
    ));
    let mut wrong = set.clone();
    wrong.samples[1].reference = vec![0, 5, 1];
    let Err(NodeError::Invalid(inv)) = node.set_calibration_set(&Actor::Operator, wrong) else {
        panic!("a reference level the rubric lacks must be refused");
    };
    assert_eq!(inv.0[0].field, "samples[1].reference.scores[1].level");
    node.set_calibration_set(&Actor::Operator, set)
        .expect("set");
    // The reviewer sees the samples, not the references.
    let view = node
        .calibration_set(&p.reviewers[0], &def.id)
        .expect("view");
    assert_eq!(view.samples.len(), 2);
    assert!(!serde_json::to_string(&view)
        .expect("json")
        .contains("reference"));
    // Half right: not calibrated, so never assigned.
    let r = node
        .attempt_calibration(&p.reviewers[0], &def.id, vec![vec![1, 1, 1], vec![1, 1, 1]])
        .expect("attempt");
    assert_eq!((r.agreement, r.calibrated), (0.5, false));
    assert_eq!(r.samples_matched, vec![true, false]);
    // Five of six: calibrated.
    let r = node
        .attempt_calibration(&p.reviewers[0], &def.id, vec![vec![2, 1, 1], vec![0, 1, 1]])
        .expect("attempt");
    assert!(r.calibrated, "{r:?}");
    let r = node
        .attempt_calibration(&p.reviewers[1], &def.id, vec![vec![2, 1, 1], vec![0, 0, 1]])
        .expect("attempt");
    assert_eq!((r.agreement, r.calibrated), (1.0, true));
    let s = node
        .start_submission(&p.teacher, &def.id, None)
        .expect("draft");
    evidence(node, &p.teacher, &s.id);
    node.submit(&p.teacher, &s.id).expect("submitted");
    let who: Vec<Actor> = assigned(node, &p, &s.id)
        .into_iter()
        .map(|(a, _)| a)
        .collect();
    assert_eq!(who.len(), 2);
    assert!(
        who.contains(&p.reviewers[0]) && who.contains(&p.reviewers[1]),
        "only the calibrated"
    );
}

#[test]
fn a_granted_share_link_works_for_its_item_for_seven_days() {
    let Some(d) = district_at(None) else { return };
    let node = &d.node;
    let def = node
        .publish_definition(definition(false, false))
        .expect("publish");
    let p = people(node);
    let s = node
        .start_submission(&p.teacher, &def.id, None)
        .expect("draft");
    evidence(node, &p.teacher, &s.id);
    node.request_evidence_access(
        &s.id,
        0,
        "Dr. Ines Ortiz",
        "ortiz@lake.k12.fl.us",
        "Hiring.",
    )
    .expect("asked");
    let request = node
        .evidence_access_requests(&p.teacher, &s.id)
        .expect("list")[0]
        .id
        .clone();
    assert!(matches!(
        node.evidence_access_requests(&p.reviewers[0], &s.id),
        Err(NodeError::Forbidden(_))
    ));
    node.decide_evidence_access(&p.teacher, &s.id, &request, true)
        .expect("granted");
    let mail = node.outbox(&Actor::Operator).expect("outbox");
    let body = &mail
        .iter()
        .rev()
        .find(|m| m.to == "ortiz@lake.k12.fl.us")
        .expect("mailed")
        .body;
    let token = body
        .split("share=")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .expect("token")
        .to_owned();
    assert!(node.shared_evidence(&s.id, 0, &token).is_ok());
    assert!(
        node.shared_evidence(&s.id, 1, &token).is_err(),
        "only the item asked for"
    );
    d.clock.advance(8 * 86_400);
    assert!(matches!(
        node.shared_evidence(&s.id, 0, &token),
        Err(NodeError::Forbidden(_))
    ));
}

#[test]
fn earning_the_named_calibration_credential_calibrates_a_reviewer() {
    let Some(d) = district_at(None) else { return };
    let node = &d.node;
    let training = node
        .publish_definition(definition(false, false))
        .expect("publish");
    let mut def = definition(false, false);
    def.name = "Checking for Understanding II".into();
    let policy = def.review_policy.as_mut().expect("policy");
    policy.calibration_required = true;
    policy.calibration_credential = Some(training.id.clone());
    let def = node.publish_definition(def).expect("publish");
    let p = people(node);
    let priya = invite(
        node,
        "Priya Nair",
        "priya.nair@kmsd.edu",
        "Wales Elementary",
        &[PersonRole::Reviewer, PersonRole::Teacher],
    );
    // Priya earns the training credential through review.
    let s = node
        .start_submission(&priya, &training.id, None)
        .expect("draft");
    evidence(node, &priya, &s.id);
    node.submit(&priya, &s.id).expect("submitted");
    for r in [&p.reviewers[0], &p.reviewers[1], &p.reviewers[2]] {
        for v in node.review_queue(r).expect("queue") {
            if v.submission_id == s.id {
                node.score(r, &v.review_id, scores(&[1, 1, 1], ""))
                    .expect("scored");
            }
        }
    }
    let earned = node
        .submission(&priya, &s.id)
        .expect("mine")
        .decision
        .expect("decided");
    assert_eq!(earned.outcome, DecisionOutcome::Pass);
    let view = node
        .person(&Actor::Operator, priya.person().expect("id"))
        .expect("person");
    assert_eq!(view.calibrated, vec![def.id.clone()]);
    // Only she may review the second credential.
    let s = node
        .start_submission(&p.teacher, &def.id, None)
        .expect("draft");
    evidence(node, &p.teacher, &s.id);
    node.submit(&p.teacher, &s.id).expect("submitted");
    let record = node
        .submission_record(&Actor::Operator, &s.id)
        .expect("record");
    let who: Vec<&str> = record.reviews.iter().map(|r| r.reviewer.as_str()).collect();
    assert_eq!(who, vec![priya.person().expect("id")]);
    assert_eq!(
        record.unassigned, 1,
        "the second review waits for another calibrated reviewer"
    );
}

/// The sign-in page cannot flood a mailbox: at most five codes go to one address in fifteen
/// minutes; asking more changes nothing in the answer (it tells nobody who has an account);
/// after the window, codes go out again.
#[test]
fn sign_in_codes_to_one_address_are_limited() {
    let Some(d) = district_at(None) else { return };
    invite(
        &d.node,
        "Ana Ruiz",
        "ana.ruiz@kmsd.edu",
        "Dousman Elementary",
        &[PersonRole::Teacher],
    );
    let sign_in_mails = || {
        d.node
            .outbox(&Actor::Operator)
            .expect("outbox")
            .iter()
            .filter(|m| m.to == "ana.ruiz@kmsd.edu" && m.subject.starts_with("Sign in to"))
            .count()
    };
    for _ in 0..8 {
        d.node.request_sign_in("ana.ruiz@kmsd.edu").expect("asked");
        d.clock.advance(10);
    }
    assert_eq!(sign_in_mails(), 5);
    d.node
        .request_sign_in("nobody@kmsd.edu")
        .expect("the same answer");
    d.clock.advance(15 * 60);
    d.node.request_sign_in("ana.ruiz@kmsd.edu").expect("asked");
    assert_eq!(sign_in_mails(), 6, "a new window lets one more through");
}
