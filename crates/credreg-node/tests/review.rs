//! Evidence review at Kettle Moraine: two blind reviewers, a third to break ties, "not yet"
//! with feedback and a resubmission, pre-approval, eligibility and conflicts, overdue reviews
//! reassigned on a controllable clock, figures computed by hand, the outbox, and a restart in
//! the middle of a review. Runs without HTTP over a node on a temporary (or reopened) store.

mod support;

use credreg_model::DecisionOutcome;
use credreg_node::review::{Actor, EvidenceItem, PersonRole, SubmissionState};
use credreg_node::{Node, NodeError, Verdict};
use credreg_store::Store;
use serde_json::Value;
use support::*;

#[test]
fn two_reviewers_agree_and_the_award_carries_the_rubric_result() {
    let Some(d) = district_at(None) else { return };
    let node = &d.node;
    let def = node
        .publish_definition(definition(false, false))
        .expect("publish");
    let p = people(node);
    let s = node
        .start_submission(&p.teacher, &def.id, None)
        .expect("draft");
    // Nothing to review yet: an empty draft cannot be submitted.
    assert!(matches!(
        node.submit(&p.teacher, &s.id),
        Err(NodeError::Invalid(_))
    ));
    evidence(node, &p.teacher, &s.id);
    let s = node.submit(&p.teacher, &s.id).expect("submitted");
    assert_eq!(s.reviews_assigned, 2);
    let reviews = assigned(node, &p, &s.id);
    assert_eq!(reviews.len(), 2, "two independent reviewers");
    assert!(
        reviews.iter().all(|(r, _)| r != &p.colleague),
        "a reviewer from the teacher's school is never assigned"
    );

    // Blind: the reviewer's view names neither the teacher, her address nor her school, and
    // shows no other reviewer's scores, on the bytes.
    let (first, first_review) = &reviews[0];
    let view = node.review(first, first_review).expect("view");
    let bytes = serde_json::to_string(&view).expect("json");
    for secret in [
        "Maya",
        "Lindqvist",
        "maya.lindqvist",
        "Kettle Moraine High",
        p.teacher.person().expect("id"),
    ] {
        assert!(
            !bytes.contains(secret),
            "the reviewer's view shows {secret}: {bytes}"
        );
    }
    // Another reviewer cannot open or score it.
    let (second, second_review) = &reviews[1];
    assert!(matches!(
        node.review(second, first_review),
        Err(NodeError::Forbidden(_))
    ));
    assert!(matches!(
        node.score(second, first_review, scores(&[1, 1, 1], "")),
        Err(NodeError::Forbidden(_))
    ));
    // Scores must fit the rubric: every field named.
    let Err(NodeError::Invalid(inv)) = node.score(first, first_review, scores(&[3, 1], "")) else {
        panic!("a short, out-of-range score must be refused");
    };
    assert_eq!(inv.0[0].field, "scores");
    let Err(NodeError::Invalid(inv)) = node.score(first, first_review, scores(&[3, 1, 1], ""))
    else {
        panic!("an out-of-range level must be refused");
    };
    assert_eq!(inv.0[0].field, "scores[0].level");

    node.score(first, first_review, scores(&[2, 1, 1], "Clear checks."))
        .expect("scored");
    let after_one = node.review(second, second_review).expect("view");
    assert!(
        after_one.other_scores.is_empty(),
        "no peeking before the decision"
    );
    node.score(
        second,
        second_review,
        scores(&[1, 1, 1], "Good regrouping."),
    )
    .expect("scored");

    let s = node.submission(&p.teacher, &s.id).expect("mine");
    assert_eq!(s.state, SubmissionState::Decided);
    let decision = s.decision.expect("decided");
    assert_eq!(decision.outcome, DecisionOutcome::Pass);
    assert!(decision.agreed);
    assert_eq!(
        decision.levels,
        vec![1, 1, 1],
        "the lower level of two passing scores"
    );
    let award_id = decision.award_id.expect("award issued");
    let award: Value =
        serde_json::from_slice(&node.award(&award_id).expect("read").expect("award"))
            .expect("json");
    // The rubric result, as OB 3.0 has it.
    let results = award["credentialSubject"]["result"]
        .as_array()
        .expect("results");
    assert_eq!(results.len(), 3);
    assert!(results[0]["achievedLevel"]
        .as_str()
        .expect("level")
        .ends_with("#criterion-0-level-1"));
    let descriptions = &award["credentialSubject"]["achievement"]["resultDescription"];
    assert_eq!(descriptions[1]["resultType"], "RubricCriterionLevel");
    assert_eq!(
        descriptions[1]["rubricCriterionLevel"][1]["name"],
        "Proficient"
    );
    // Evidence is listed by name, behind a private link.
    assert_eq!(
        award["evidence"][0]["name"],
        "Lesson plan with three checks"
    );
    assert!(award["evidence"][0]["id"]
        .as_str()
        .expect("id")
        .contains("/api/v1/submissions/"));
    // It verifies, and the decision record sits in the log before the award's receipt.
    let report = node.verify(&award).expect("verifies");
    assert_eq!(
        report.credentials[0].verdict,
        Verdict::Valid,
        "{:#?}",
        report.credentials[0].checks
    );
    let entries = node.log_entries(node.did(), 0, None).expect("log");
    let kinds: Vec<String> = entries
        .iter()
        .map(|e| {
            let v: Value = serde_json::from_slice(&e.1).expect("record");
            v["type"].as_str().unwrap_or("").to_owned()
        })
        .collect();
    let decision_at = kinds
        .iter()
        .position(|k| k == "ReviewDecision")
        .expect("decision logged");
    let receipt_at = kinds
        .iter()
        .position(|k| k == "AwardReceipt")
        .expect("receipt logged");
    assert!(decision_at < receipt_at, "{kinds:?}");
    // The decision record carries no personal data.
    let record = String::from_utf8(entries[decision_at].1.clone()).expect("utf-8");
    for secret in ["Maya", "maya.lindqvist", "Tomas", "Greer", "p_"] {
        assert!(!record.contains(secret), "{record}");
    }
    // The receipt's review summary is the node's own, not declared; the quality profile
    // counts it so.
    let profile = node
        .quality_profile(&def.id)
        .expect("profile")
        .expect("known");
    let review = profile.awards.review.expect("reviewed awards");
    assert_eq!((review.awards, review.declared), (1, 0));
    // The teacher is told.
    let mail = node.outbox(&Actor::Operator).expect("outbox");
    assert!(mail
        .iter()
        .any(|m| m.to == "maya.lindqvist@kmsd.edu" && m.subject.starts_with("Decision")));
    // A second submission for an earned credential is refused.
    assert!(matches!(
        node.start_submission(&p.teacher, &def.id, None),
        Err(NodeError::Conflict(_))
    ));
}

#[test]
fn disagreement_goes_to_a_third_reviewer_and_not_yet_comes_with_feedback() {
    let Some(d) = district_at(None) else { return };
    let node = &d.node;
    let def = node
        .publish_definition(definition(false, true))
        .expect("publish");
    let p = people(node);
    let s = node
        .start_submission(&p.teacher, &def.id, None)
        .expect("draft");
    evidence(node, &p.teacher, &s.id);
    node.submit(&p.teacher, &s.id).expect("submitted");
    let reviews = assigned(node, &p, &s.id);
    node.score(&reviews[0].0, &reviews[0].1, scores(&[1, 1, 1], "Fine."))
        .expect("pass");
    node.score(
        &reviews[1].0,
        &reviews[1].1,
        scores(&[1, 0, 1], "Student work missing."),
    )
    .expect("not yet");
    // They disagree: the third reviewer (the only one left who may) breaks the tie.
    let third = assigned(node, &p, &s.id);
    assert_eq!(third.len(), 1, "one tiebreak review");
    let tb = node.review(&third[0].0, &third[0].1).expect("view");
    assert!(tb.tiebreak);
    node.score(
        &third[0].0,
        &third[0].1,
        scores(&[2, 0, 1], "No samples of student work."),
    )
    .expect("scored");
    let s1 = node.submission(&p.teacher, &s.id).expect("mine");
    let decision = s1.decision.expect("decided");
    assert_eq!(decision.outcome, DecisionOutcome::NotYet);
    assert!(!decision.agreed);
    assert_eq!(decision.reviewers, 3);
    let student_work = &decision.feedback[1];
    assert!(!student_work.met);
    assert!(
        student_work
            .comments
            .iter()
            .any(|c| c.contains("student work")),
        "{student_work:?}"
    );
    assert!(decision.feedback[0].met && decision.feedback[2].met);
    assert_eq!(s1.attempts_left, 1);
    let mail = node.outbox(&Actor::Operator).expect("outbox");
    let told = mail
        .iter()
        .find(|m| m.subject.starts_with("Decision"))
        .expect("feedback mailed");
    assert!(told.body.contains("Student work: Not yet"), "{}", told.body);

    // The resubmission answers it; with keep-met, only the student work needs to pass now.
    assert!(matches!(
        node.start_submission(&p.teacher, &def.id, None),
        Err(NodeError::Conflict(_))
    ));
    let s2 = node
        .start_submission(&p.teacher, &def.id, Some(&s.id))
        .expect("resubmission");
    assert_eq!(s2.attempt, 2);
    node.add_evidence(
        &p.teacher,
        &s2.id,
        EvidenceItem::Link {
            url: "https://portfolio.kmsd.edu/maya/exit-tickets".into(),
            name: "Exit tickets from two class periods".into(),
        },
    )
    .expect("evidence");
    node.submit(&p.teacher, &s2.id).expect("submitted");
    for (r, id) in assigned(node, &p, &s2.id) {
        // The reviewers judge the new student work; the lesson plan was already met.
        node.score(
            &r,
            &id,
            scores(&[0, 1, 0], "Student work now shows the checks."),
        )
        .expect("scored");
    }
    let s2 = node.submission(&p.teacher, &s2.id).expect("mine");
    let decision = s2.decision.expect("decided");
    assert_eq!(decision.outcome, DecisionOutcome::Pass, "{decision:?}");
    assert_eq!(
        decision.levels,
        vec![2, 1, 1],
        "met criteria kept at their level"
    );
    let award = node
        .award(decision.award_id.as_deref().expect("award"))
        .expect("read")
        .expect("award");
    let award: Value = serde_json::from_slice(&award).expect("json");
    assert_eq!(
        award["credentialSubject"]["result"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
    // No third attempt exists in this policy, and no more is needed.
    let figures = node
        .review_figures(&Actor::Operator, &def.id)
        .expect("figures");
    assert_eq!(figures.statistics.submissions, 2);
    assert_eq!(figures.statistics.decisions, 2);
    assert_eq!(figures.statistics.first_attempt_pass_rate, Some(0.0));
    assert_eq!(figures.statistics.mean_attempts, Some(2.0));
}

#[test]
fn ineligible_and_conflicted_reviewers_are_refused_and_overdue_reviews_move() {
    let Some(d) = district_at(None) else { return };
    let node = &d.node;
    let mut def = definition(false, false);
    def.review_policy
        .as_mut()
        .expect("policy")
        .calibration_required = true;
    let def = node.publish_definition(def).expect("publish");
    let p = people(node);
    // Only calibrated reviewers may review: calibrate two of the three.
    for r in &p.reviewers[..2] {
        node.set_calibrated(&Actor::Operator, r.person().expect("id"), &def.id, true)
            .expect("calibrated");
    }
    node.set_calibrated(
        &Actor::Operator,
        p.colleague.person().expect("id"),
        &def.id,
        true,
    )
    .expect("calibrated");
    let s = node
        .start_submission(&p.teacher, &def.id, None)
        .expect("draft");
    evidence(node, &p.teacher, &s.id);
    node.submit(&p.teacher, &s.id).expect("submitted");
    let reviews = assigned(node, &p, &s.id);
    assert_eq!(reviews.len(), 2);
    assert!(reviews
        .iter()
        .all(|(r, _)| r == &p.reviewers[0] || r == &p.reviewers[1]));
    let why = |r: &Actor| {
        node.review_eligibility(&Actor::Operator, &s.id, r.person().expect("id"))
            .expect("asked")
    };
    assert!(why(&p.reviewers[2])
        .expect("refused")
        .contains("not calibrated"));
    assert!(why(&p.colleague)
        .expect("refused")
        .contains("teacher's school"));
    assert!(why(&p.teacher).expect("refused").contains("not a reviewer"));

    // Day 13 (business day 9): nothing is overdue.
    d.clock.advance(13 * 86_400);
    assert_eq!(node.reassign_overdue().expect("tick"), 0);
    let reminders = |node: &Node| {
        node.outbox(&Actor::Operator)
            .expect("outbox")
            .iter()
            .filter(|m| m.subject.starts_with("Reminder"))
            .count()
    };
    assert_eq!(reminders(node), 0);
    // Day 17, the day before the due date: each reviewer is reminded once.
    d.clock.advance(4 * 86_400);
    assert_eq!(node.reassign_overdue().expect("tick"), 0);
    assert_eq!(node.reassign_overdue().expect("tick"), 0);
    assert_eq!(reminders(node), 2);
    // Calibrate the third reviewer, then let 14 business days pass: both reviews move, but
    // only one reviewer is free (nobody reviews a submission twice), so one waits.
    node.set_calibrated(
        &Actor::Operator,
        p.reviewers[2].person().expect("id"),
        &def.id,
        true,
    )
    .expect("calibrated");
    d.clock.advance(4 * 86_400);
    assert_eq!(node.reassign_overdue().expect("tick"), 2);
    let now = assigned(node, &p, &s.id);
    assert_eq!(now.len(), 1);
    assert_eq!(now[0].0, p.reviewers[2]);
    // The late reviewers can no longer score.
    assert!(matches!(
        node.score(&reviews[0].0, &reviews[0].1, scores(&[1, 1, 1], "")),
        Err(NodeError::Conflict(_))
    ));
    let record = node
        .submission_record(&Actor::Operator, &s.id)
        .expect("record");
    assert_eq!(record.unassigned, 1);
    assert!(record.history.iter().any(|e| e.what.contains("overdue")));
    let figures = node
        .review_figures(&Actor::Operator, &def.id)
        .expect("figures");
    let late: u64 = figures.reviewers.iter().map(|r| r.late).sum();
    assert_eq!(late, 2);
}

#[test]
fn statistics_on_a_constructed_set_equal_hand_computed_values() {
    let Some(d) = district_at(None) else { return };
    let node = &d.node;
    let mut def = definition(false, false);
    def.review_policy.as_mut().expect("policy").tiebreak = false;
    def.review_policy.as_mut().expect("policy").different_school = false;
    let def = node.publish_definition(def).expect("publish");
    let p = people(node);
    // Ten teachers, each one submission; the first two reviewers' pass (P) / not yet (N):
    // PP x4, NN x3, PN x2, NP x1. Without a tiebreak a split is "not yet".
    // Agreement 7/10; kappa with A's pass rate 0.6 and B's 0.5: (0.7 - 0.5) / 0.5 = 0.4.
    let plan = [(true, true); 4]
        .into_iter()
        .chain([(false, false); 3])
        .chain([(true, false); 2])
        .chain([(false, true); 1]);
    let pass = [1, 1, 1];
    let fail = [0, 1, 1];
    for (i, (first, second)) in plan.enumerate() {
        let t = invite(
            node,
            &format!("Teacher {i}"),
            &format!("t{i}@kmsd.edu"),
            "Wales Elementary",
            &[PersonRole::Teacher],
        );
        let s = node.start_submission(&t, &def.id, None).expect("draft");
        evidence(node, &t, &s.id);
        node.submit(&t, &s.id).expect("submitted");
        // Submissions take 1 to 10 days: the median is 5.5.
        d.clock.advance(86_400 * (i as i64 + 1));
        // Rater A is the first reviewer assigned, rater B the second (whoever they are).
        let record = node
            .submission_record(&Actor::Operator, &s.id)
            .expect("record");
        let reviewer = |k: usize| actor(node, &record.reviews[k].reviewer);
        node.score(
            &reviewer(0),
            &record.reviews[0].id,
            scores(if first { &pass } else { &fail }, ""),
        )
        .expect("a");
        node.score(
            &reviewer(1),
            &record.reviews[1].id,
            scores(if second { &pass } else { &fail }, ""),
        )
        .expect("b");
        d.clock.advance(-(86_400 * (i as i64 + 1)));
    }
    let f = node
        .review_figures(&Actor::Operator, &def.id)
        .expect("figures")
        .statistics;
    assert_eq!(f.submissions, 10);
    assert_eq!(f.decisions, 10);
    assert_eq!(f.percent_agreement, Some(0.7));
    let kappa = f.kappa.expect("kappa");
    assert!((kappa - 0.4).abs() < 1e-9, "kappa {kappa}");
    assert_eq!(f.first_attempt_pass_rate, Some(0.4));
    assert_eq!(f.mean_attempts, Some(1.0));
    assert_eq!(f.median_turnaround_days, Some(5.5));
    // Published as a signed record without personal data.
    let published = node
        .publish_review_statistics(&Actor::Operator, &def.id)
        .expect("published");
    let text = String::from_utf8(published.bytes.to_vec()).expect("utf-8");
    assert!(text.contains("\"kappa\":0.4"), "{text}");
    assert!(!text.contains("kmsd.edu") && !text.contains("p_"), "{text}");
    // The quality profile shows them, and a standard can ask for measured agreement.
    let profile = node
        .quality_profile(&def.id)
        .expect("profile")
        .expect("known");
    assert_eq!(profile.review.as_ref().and_then(|r| r.kappa), Some(0.4));
    let standard = |min: u8| {
        let s: credreg_model::QualityStandard = serde_json::from_value(serde_json::json!({
            "name": format!("Measured agreement {min}%"),
            "rules": [{"rule": "review_agreement", "min_percent": min}, {"rule": "review_turnaround", "max_days": 14}]
        }))
        .expect("standard");
        node.publish_quality_standard(s).expect("published").id
    };
    let (lenient, strict) = (standard(60), standard(80));
    let judged = |id: &str| {
        node.evaluate(&def.id, id)
            .expect("evaluates")
            .expect("known")
            .evaluation
    };
    assert!(judged(&lenient).meets, "{:?}", judged(&lenient));
    let strict = judged(&strict);
    assert!(!strict.meets);
    assert!(
        strict.rules[0].reason.contains("70%"),
        "{:?}",
        strict.rules[0]
    );
    // A teacher or reviewer cannot read the figures.
    assert!(matches!(
        node.review_figures(&p.reviewers[0], &def.id),
        Err(NodeError::Forbidden(_))
    ));
}

#[test]
fn a_restart_in_the_middle_of_a_review_keeps_every_step() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(d) = district_at(Some(dir.path())) else {
        return;
    };
    let def = d
        .node
        .publish_definition(definition(false, false))
        .expect("publish");
    let p = people(&d.node);
    let s = d
        .node
        .start_submission(&p.teacher, &def.id, None)
        .expect("draft");
    evidence(&d.node, &p.teacher, &s.id);
    d.node.submit(&p.teacher, &s.id).expect("submitted");
    let reviews = assigned(&d.node, &p, &s.id);
    d.node
        .score(&reviews[0].0, &reviews[0].1, scores(&[1, 1, 1], "Clear."))
        .expect("scored");
    let before = d
        .node
        .submission_record(&Actor::Operator, &s.id)
        .expect("record");
    let (contexts, clock) = (d.contexts.clone(), d.clock.clone());
    drop(d);
    let node = open(Store::open(dir.path()).expect("reopen"), contexts, clock, 2);
    assert_eq!(
        node.submission_record(&Actor::Operator, &s.id)
            .expect("record"),
        before
    );
    // The second reviewer finishes after the restart: the award is issued.
    node.score(&reviews[1].0, &reviews[1].1, scores(&[1, 1, 1], "Agreed."))
        .expect("scored");
    let done = node.submission(&p.teacher, &s.id).expect("mine");
    assert_eq!(
        done.decision.map(|d| d.outcome),
        Some(DecisionOutcome::Pass)
    );
}

/// A crash after a pass was committed (decision record and award in one transaction) but
/// before the submission's own write: reopened, the reviewer's score is asked again, and the
/// logged decision stands: no second award.
#[test]
fn a_decision_cut_short_by_a_crash_issues_no_second_award() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(d) = district_at(Some(dir.path())) else {
        return;
    };
    let def = d
        .node
        .publish_definition(definition(false, false))
        .expect("publish");
    let p = people(&d.node);
    let s = d
        .node
        .start_submission(&p.teacher, &def.id, None)
        .expect("draft");
    evidence(&d.node, &p.teacher, &s.id);
    d.node.submit(&p.teacher, &s.id).expect("submitted");
    let reviews = assigned(&d.node, &p, &s.id);
    d.node
        .score(&reviews[0].0, &reviews[0].1, scores(&[1, 1, 1], ""))
        .expect("scored");
    let before = serde_json::to_vec(
        &d.node
            .submission_record(&Actor::Operator, &s.id)
            .expect("record"),
    )
    .expect("json");
    d.node
        .score(&reviews[1].0, &reviews[1].1, scores(&[1, 1, 1], ""))
        .expect("scored");
    let first = d
        .node
        .submission(&p.teacher, &s.id)
        .expect("mine")
        .decision
        .expect("decided");
    assert_eq!(d.node.award_count(), 1);
    // The submission's last write is lost, as a crash would lose it.
    d.node
        .store()
        .put_document(credreg_store::Family::Submissions, &s.id, &before)
        .expect("rewind");
    let (contexts, clock) = (d.contexts.clone(), d.clock.clone());
    drop(d);
    let node = open(Store::open(dir.path()).expect("reopen"), contexts, clock, 3);
    node.score(&reviews[1].0, &reviews[1].1, scores(&[1, 1, 1], ""))
        .expect("scored again");
    let again = node
        .submission(&p.teacher, &s.id)
        .expect("mine")
        .decision
        .expect("decided");
    assert_eq!(again.award_id, first.award_id);
    assert_eq!(again.record_id, first.record_id);
    assert_eq!(node.award_count(), 1, "no second award");
}
