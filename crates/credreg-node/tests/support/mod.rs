//! The Kettle Moraine district the review tests share: a node on a manual clock, its
//! people, a definition with a two-reviewer policy, and helpers to submit and score.
#![allow(dead_code)] // each test file uses some of them

use credreg_model::{parse_validated, CredentialDef};
use credreg_node::clock::{Environment, ManualClock, SeededEntropy};
use credreg_node::review::{Actor, CriterionScore, EvidenceItem, NewPerson, PersonRole};
use credreg_node::{contexts_dir, Node, NodeSettings};
use credreg_proof::{ContextStore, SigningKey};
use credreg_store::Store;
use std::path::Path;
use std::sync::Arc;

/// Monday 2026-11-30 09:00 UTC.
pub const MONDAY: i64 = 1_796_029_200;

pub struct District {
    pub node: Node,
    pub clock: Arc<ManualClock>,
    pub contexts: ContextStore,
}

pub fn contexts() -> Option<ContextStore> {
    let dir = credreg_testkit::conformance()?.join("contexts");
    let mut contexts = ContextStore::with_builtins();
    contexts_dir::add_from_dir(&mut contexts, &dir).expect("contexts");
    Some(contexts)
}

pub fn open(store: Store, contexts: ContextStore, clock: Arc<ManualClock>, seed: u64) -> Node {
    Node::open(
        store,
        SigningKey::from_bytes(&[41u8; 32]),
        NodeSettings {
            name: "Kettle Moraine School District".into(),
            public_url: "http://127.0.0.1:8080".into(),
            env: Environment {
                clock,
                entropy: Arc::new(SeededEntropy::new(seed)),
            },
            ..Default::default()
        },
        contexts,
    )
    .expect("node")
}

pub fn district_at(path: Option<&Path>) -> Option<District> {
    let contexts = contexts()?;
    let clock = Arc::new(ManualClock::at(MONDAY));
    let store = match path {
        Some(p) => Store::open(p).expect("store"),
        None => Store::temporary().expect("store"),
    };
    Some(District {
        node: open(store, contexts.clone(), clock.clone(), 1),
        clock,
        contexts,
    })
}

/// Kettle Moraine's policy: two reviewers, a tiebreak, pre-approval as asked.
pub fn definition(pre_approval: bool, keep_met: bool) -> CredentialDef {
    let doc = serde_json::json!({
        "name": "Checking for Understanding",
        "description": "Uses quick formative checks to adjust instruction within a lesson.",
        "criteria": {"narrative": "Submit a lesson plan with three checks, student work and a reflection."},
        "competency": "Formative assessment",
        "rubric": {"criteria": [
            {"name": "Lesson plan", "levels": [{"name": "Not yet"}, {"name": "Proficient", "passing": true}, {"name": "Exemplary", "passing": true}]},
            {"name": "Student work", "levels": [{"name": "Not yet"}, {"name": "Proficient", "passing": true}]},
            {"name": "Reflection", "levels": [{"name": "Not yet"}, {"name": "Proficient", "passing": true}]}
        ]},
        "review_policy": {
            "reviewers": 2, "tiebreak": true, "pre_approval_required": pre_approval,
            "different_school": true, "keep_met_criteria": keep_met, "attempts": 2
        },
        "local_value": {"amount": 400, "unit": "dollars"}
    });
    parse_validated::<CredentialDef>(doc.to_string().as_bytes()).expect("definition")
}

pub struct People {
    pub teacher: Actor,
    pub reviewers: Vec<Actor>,
    pub colleague: Actor,
}

pub fn actor(node: &Node, id: &str) -> Actor {
    let p = node.person(&Actor::Operator, id).expect("person");
    Actor::Person {
        id: p.id,
        roles: p.roles,
    }
}

pub fn invite(node: &Node, name: &str, email: &str, school: &str, roles: &[PersonRole]) -> Actor {
    let p = node
        .invite_person(
            &Actor::Operator,
            NewPerson {
                name: name.into(),
                email: email.into(),
                school: Some(school.into()),
                roles: roles.to_vec(),
            },
        )
        .expect("invited");
    actor(node, &p.id)
}

pub fn people(node: &Node) -> People {
    use PersonRole::*;
    People {
        teacher: invite(
            node,
            "Maya Lindqvist",
            "maya.lindqvist@kmsd.edu",
            "Kettle Moraine High",
            &[Teacher],
        ),
        reviewers: vec![
            invite(
                node,
                "Tomas Greer",
                "tomas.greer@kmsd.edu",
                "Cushing Elementary",
                &[Reviewer],
            ),
            invite(
                node,
                "Ruth Okafor",
                "ruth.okafor@kmsd.edu",
                "Dousman Elementary",
                &[Reviewer],
            ),
            invite(
                node,
                "Dana Holm",
                "dana.holm@kmsd.edu",
                "Wales Elementary",
                &[Reviewer],
            ),
        ],
        // Same school as the teacher: never her reviewer.
        colleague: invite(
            node,
            "Ben Strand",
            "ben.strand@kmsd.edu",
            "Kettle Moraine High",
            &[Reviewer, Teacher],
        ),
    }
}

pub fn evidence(node: &Node, teacher: &Actor, id: &str) {
    for item in [
        EvidenceItem::Link {
            url: "https://portfolio.kmsd.edu/maya/checks-lesson".into(),
            name: "Lesson plan with three checks".into(),
        },
        EvidenceItem::Answer {
            question: "How did the checks change your lesson?".into(),
            text:
                "Exit tickets showed half the class confused ratios with fractions, so I regrouped."
                    .into(),
        },
        EvidenceItem::Reflection {
            text: "Next time I will plan the regrouping before the lesson.".into(),
        },
    ] {
        node.add_evidence(teacher, id, item).expect("evidence");
    }
}

pub fn scores(levels: &[usize], comment: &str) -> Vec<CriterionScore> {
    levels
        .iter()
        .map(|l| CriterionScore {
            level: *l,
            comment: comment.into(),
        })
        .collect()
}

/// The reviewer actors holding open reviews on `submission`, with their review ids.
pub fn assigned(node: &Node, p: &People, submission: &str) -> Vec<(Actor, String)> {
    let mut out = Vec::new();
    for r in p.reviewers.iter().chain([&p.colleague]) {
        for v in node.review_queue(r).expect("queue") {
            if v.submission_id == submission {
                out.push((r.clone(), v.review_id));
            }
        }
    }
    out
}

/// `teacher` starts a submission for `credential`, adds the usual evidence and submits it.
pub fn submitted(
    node: &Node,
    teacher: &Actor,
    credential: &str,
) -> credreg_node::review::SubmissionView {
    let s = node
        .start_submission(teacher, credential, None)
        .expect("draft");
    evidence(node, teacher, &s.id);
    node.submit(teacher, &s.id).expect("submitted")
}

/// Every reviewer holding an open review of `submission` scores it `levels`.
pub fn score_all(node: &Node, p: &People, submission: &str, levels: &[usize]) {
    for (r, id) in assigned(node, p, submission) {
        node.score(&r, &id, scores(levels, "")).expect("scored");
    }
}
