//! Review views at district scale, with a baseline measured in the same run.
//!
//! `cargo bench -p credreg-tests --bench review` builds a node holding 200 reviewers, 2,000
//! teachers and 10,000 submitted submissions over five definitions (two reviews each, about
//! 100 open reviews per reviewer), written to its store and loaded as a restart would. It
//! prints, as server time without HTTP:
//! - the baseline: serializing one submission to JSON;
//! - a reviewer's queue (every open review, blind views): mean, p50, p99 (target < 20 ms);
//! - a teacher's submission view and a teacher's list (target < 20 ms);
//! - a coordinator's figures for one definition (2,000 submissions).

use credreg_model::{parse_validated, CredentialDef};
use credreg_node::review::{
    Actor, EvidenceItem, Person, PersonEmail, PersonRole, Review, Submission, SubmissionState,
};
use credreg_node::{contexts_dir, Node, NodeSettings};
use credreg_proof::{ContextStore, SigningKey};
use credreg_store::{Family, Store};
use credreg_tests::{conformance, percentile};
use std::hint::black_box;
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const REVIEWERS: usize = 200;
const TEACHERS: usize = 2_000;
const DEFINITIONS: usize = 5;

fn definition(i: usize) -> CredentialDef {
    let doc = serde_json::json!({
        "name": format!("Formative Assessment {i}"),
        "description": "Uses quick checks for understanding to adjust instruction.",
        "criteria": {"narrative": "Submit a lesson plan, student work and a reflection."},
        "rubric": {"criteria": [
            {"name": "Lesson plan", "levels": [{"name": "Not yet"}, {"name": "Proficient", "passing": true}]},
            {"name": "Student work", "levels": [{"name": "Not yet"}, {"name": "Proficient", "passing": true}]},
            {"name": "Reflection", "levels": [{"name": "Not yet"}, {"name": "Proficient", "passing": true}]}
        ]},
        "review_policy": {"reviewers": 2, "tiebreak": true}
    });
    parse_validated(doc.to_string().as_bytes()).expect("definition")
}

fn person(id: String, name: String, role: PersonRole) -> Person {
    Person {
        emails: vec![PersonEmail {
            address: format!("{id}@district.example"),
            verified: true,
        }],
        id,
        name,
        school: Some("Dousman Elementary".into()),
        roles: vec![role],
        calibrated: Vec::new(),
        password_hash: None,
        created_at: "2026-11-02T08:00:00Z".into(),
    }
}

fn timed(n: usize, mut f: impl FnMut(usize)) -> Vec<Duration> {
    let mut v: Vec<Duration> = (0..n)
        .map(|i| {
            let t = Instant::now();
            f(i);
            t.elapsed()
        })
        .collect();
    v.sort();
    v
}

fn report(what: &str, v: &[Duration], baseline: Duration) {
    let mean = v.iter().sum::<Duration>() / v.len() as u32;
    println!(
        "{what:<42} mean {:>7.3} ms  p50 {:>7.3} ms  p99 {:>7.3} ms  = {:.0}x the baseline   target p99 < 20 ms  {}",
        mean.as_secs_f64() * 1e3,
        percentile(v, 0.50).as_secs_f64() * 1e3,
        percentile(v, 0.99).as_secs_f64() * 1e3,
        mean.as_secs_f64() / baseline.as_secs_f64(),
        if percentile(v, 0.99) < Duration::from_millis(20) { "met" } else { "NOT met" }
    );
}

fn main() {
    let Some(conf) = conformance() else {
        println!("SKIP: review benchmark needs the conformance contexts");
        return;
    };
    let mut contexts = ContextStore::with_builtins();
    contexts_dir::add_from_dir(&mut contexts, &conf.join("contexts")).expect("contexts");
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = || NodeSettings {
        name: "Kettle Moraine School District".into(),
        public_url: "http://127.0.0.1:8080".into(),
        ..Default::default()
    };
    let key = SigningKey::from_bytes(&[61; 32]);
    let defs: Vec<String> = {
        let node = Node::open(
            Store::open(dir.path()).expect("store"),
            key.clone(),
            settings(),
            contexts.clone(),
        )
        .expect("node");
        (0..DEFINITIONS)
            .map(|i| node.publish_definition(definition(i)).expect("publish").id)
            .collect()
    };
    let t = Instant::now();
    let store = Store::open(dir.path()).expect("store");
    let reviewers: Vec<Person> = (0..REVIEWERS)
        .map(|i| {
            person(
                format!("p_r{i:05}"),
                format!("Reviewer {i}"),
                PersonRole::Reviewer,
            )
        })
        .collect();
    let teachers: Vec<Person> = (0..TEACHERS)
        .map(|i| {
            person(
                format!("p_t{i:05}"),
                format!("Teacher {i}"),
                PersonRole::Teacher,
            )
        })
        .collect();
    let people: Vec<(String, Vec<u8>)> = reviewers
        .iter()
        .chain(&teachers)
        .map(|p| (p.id.clone(), serde_json::to_vec(p).expect("json")))
        .collect();
    store
        .put_documents(Family::People, &people)
        .expect("people");
    let mut submissions = Vec::with_capacity(TEACHERS * DEFINITIONS);
    for (t, teacher) in teachers.iter().enumerate() {
        for (d, def) in defs.iter().enumerate() {
            let n = t * DEFINITIONS + d;
            let review = |k: usize| Review {
                id: format!("r_{n:06}_{k}"),
                reviewer: reviewers[(2 * n + k) % REVIEWERS].id.clone(),
                tiebreak: false,
                assigned_at: "2026-11-20T09:00:00Z".into(),
                due_at: "2026-12-10T09:00:00Z".into(),
                scores: None,
                scored_at: None,
                reassigned_at: None,
                reminded_at: None,
            };
            let s = Submission {
                id: format!("s_{n:06}"),
                credential_id: def.clone(),
                teacher: teacher.id.clone(),
                attempt: 1,
                previous: None,
                items: vec![
                    EvidenceItem::Link {
                        url: format!("https://portfolio.example.org/{n}"),
                        name: "Lesson plan with three checks".into(),
                    },
                    EvidenceItem::Reflection {
                        text: "Exit tickets showed half the class confused ratios with fractions, so I regrouped them the next day.".into(),
                    },
                ],
                state: SubmissionState::Submitted,
                created_at: "2026-11-19T15:00:00Z".into(),
                submitted_at: Some("2026-11-20T09:00:00Z".into()),
                reviews: vec![review(0), review(1)],
                unassigned: 0,
                tiebreak_unassigned: false,
                decision: None,
                history: Vec::new(),
                access: Vec::new(),
            };
            submissions.push((s.id.clone(), serde_json::to_vec(&s).expect("json")));
        }
    }
    store
        .put_documents(Family::Submissions, &submissions)
        .expect("submissions");
    let node = Node::open(store, key, settings(), contexts).expect("node");
    println!(
        "setup: {} reviewers, {} teachers, {} submissions, written and loaded in {:.1} s",
        REVIEWERS,
        TEACHERS,
        submissions.len(),
        t.elapsed().as_secs_f64()
    );

    let one: Submission = serde_json::from_slice(&submissions[0].1).expect("json");
    let base = timed(2_000, |_| {
        black_box(serde_json::to_vec(black_box(&one)).expect("json"));
    });
    let baseline = base.iter().sum::<Duration>() / base.len() as u32;
    println!(
        "== credreg review summary (same run; 2 cores) ==\nbaseline: one submission to JSON       {:>7.1} us",
        baseline.as_secs_f64() * 1e6
    );
    let actor = |p: &Person| Actor::Person {
        id: p.id.clone(),
        roles: p.roles.clone(),
    };
    let queue = timed(400, |i| {
        let q = node
            .review_queue(&actor(&reviewers[i % REVIEWERS]))
            .expect("queue");
        assert_eq!(q.len(), 2 * submissions.len() / REVIEWERS);
        black_box(serde_json::to_vec(&q).expect("json"));
    });
    report("reviewer queue (100 open reviews)", &queue, baseline);
    let view = timed(2_000, |i| {
        let s = node
            .submission(
                &actor(&teachers[i % TEACHERS]),
                &format!("s_{:06}", (i % TEACHERS) * DEFINITIONS),
            )
            .expect("view");
        black_box(serde_json::to_vec(&s).expect("json"));
    });
    report("teacher's submission view", &view, baseline);
    let list = timed(2_000, |i| {
        let l = node
            .submissions(&actor(&teachers[i % TEACHERS]))
            .expect("list");
        assert_eq!(l.len(), DEFINITIONS);
        black_box(serde_json::to_vec(&l).expect("json"));
    });
    report("teacher's list (5 submissions)", &list, baseline);
    let figures = timed(50, |_| {
        black_box(
            node.review_figures(&Actor::Operator, &defs[0])
                .expect("figures"),
        );
    });
    report(
        "coordinator's figures, 2,000 submissions",
        &figures,
        baseline,
    );
}
