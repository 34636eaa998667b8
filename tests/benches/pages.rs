//! Every page's server time on a 10,000-definition catalog, with a baseline from the same run.
//!
//! `cargo bench -p credreg-tests --bench pages` (or `scripts/bench-pages`) publishes 10,000
//! definitions, sets the node up (a coordinator), invites a teacher and two reviewers, has the
//! teacher submit evidence and both reviewers pass it (so an award exists), then requests each
//! page through the pages' router in process (server time, no network): 200 requests each,
//! printing mean, p50 and p99 against the baseline, the smallest page (the sign-in form), and
//! whether p99 meets the 100 ms target.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use credreg_model::{parse_validated, CredentialDef};
use credreg_node::review::files::EvidenceFiles;
use credreg_node::review::{Actor, CriterionScore, EvidenceItem, NewPerson, PersonRole};
use credreg_node::{contexts_dir, Node, NodeSettings};
use credreg_proof::{ContextStore, SigningKey};
use credreg_store::Store;
use credreg_tests::{conformance, percentile};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower::ServiceExt;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const DEFINITIONS: usize = 10_000;
const RUNS: usize = 200;
const TARGET: Duration = Duration::from_millis(100);

const TOPICS: &[&str] = &[
    "Wait Time After Discussion Questions",
    "Growth Mindset Feedback",
    "Formative Assessment Exit Tickets",
    "Culturally Responsive Read-Alouds",
    "Restorative Circles",
    "Number Talks",
    "Academic Vocabulary Routines",
    "Station Rotation",
];

fn definition(i: usize) -> CredentialDef {
    let doc = serde_json::json!({
        "name": format!("{} {i}", TOPICS[i % TOPICS.len()]),
        "description": "Plans and uses the method in class, gathers student work, and reflects on what changed.",
        "criteria": {"narrative": "Submit a lesson plan, student work and a reflection."},
        "competency": "Instruction",
        "rubric": {"criteria": [
            {"name": "Lesson plan", "levels": [{"name": "Not yet"}, {"name": "Proficient", "passing": true}]},
            {"name": "Reflection", "levels": [{"name": "Not yet"}, {"name": "Proficient", "passing": true}]}
        ]},
        "review_policy": {"reviewers": 2, "tiebreak": true},
        "local_value": {"amount": 200.0, "unit": "dollars"}
    });
    parse_validated(doc.to_string().as_bytes()).expect("definition")
}

fn code_for(node: &Node, to: &str) -> String {
    node.outbox(&Actor::Operator)
        .expect("outbox")
        .into_iter()
        .rev()
        .find(|m| m.to == to)
        .and_then(|m| {
            m.body
                .split_whitespace()
                .find(|w| w.starts_with("crl_"))
                .map(str::to_owned)
        })
        .expect("a sign-in code")
}

fn signed_in(node: &Node, email: &str) -> String {
    node.sign_in_with_link(&code_for(node, email))
        .expect("session")
        .0
}

async fn get(app: &axum::Router, path: &str, session: Option<&str>) -> (StatusCode, usize) {
    let mut req = Request::get(path);
    if let Some(s) = session {
        req = req.header(header::COOKIE, format!("credreg_session={s}"));
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::empty()).expect("request"))
        .await
        .expect("answer");
    let status = res.status();
    let body = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .expect("body");
    (status, body.len())
}

fn main() {
    let Some(conf) = conformance() else {
        println!("SKIP: the pages benchmark needs the conformance contexts");
        return;
    };
    let mut contexts = ContextStore::with_builtins();
    contexts_dir::add_from_dir(&mut contexts, &conf.join("contexts")).expect("contexts");
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = NodeSettings {
        name: "Kettle Moraine School District".into(),
        public_url: "http://127.0.0.1:8080".into(),
        ..Default::default()
    };
    let node = Arc::new(
        Node::open(
            Store::open(&dir.path().join("db")).expect("store"),
            SigningKey::from_bytes(&[62; 32]),
            settings,
            contexts,
        )
        .expect("node"),
    );
    let t = Instant::now();
    let ids: Vec<String> = node
        .publish_definitions((0..DEFINITIONS).map(definition).collect())
        .expect("publish")
        .into_iter()
        .map(|p| p.id)
        .collect();
    println!(
        "published {DEFINITIONS} definitions in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    // People and one reviewed submission, so the signed-in pages have content.
    let code = node.new_setup_code().expect("code").expect("needs setup");
    let (coordinator, _) = node
        .complete_setup(&code, "Maya Lindqvist", "maya.lindqvist@kmsd.edu")
        .expect("setup");
    let coord = node
        .session_actor(&coordinator)
        .expect("actor")
        .expect("open");
    for (name, email, role) in [
        ("Ana Ruiz", "ana.ruiz@kmsd.edu", PersonRole::Teacher),
        ("Tomas Greer", "tomas.greer@kmsd.edu", PersonRole::Reviewer),
        ("Ruth Okafor", "ruth.okafor@kmsd.edu", PersonRole::Reviewer),
    ] {
        node.invite_person(
            &coord,
            NewPerson {
                name: name.into(),
                email: email.into(),
                school: None,
                roles: vec![role],
            },
        )
        .expect("invite");
    }
    let teacher = signed_in(&node, "ana.ruiz@kmsd.edu");
    let reviewers = [
        signed_in(&node, "tomas.greer@kmsd.edu"),
        signed_in(&node, "ruth.okafor@kmsd.edu"),
    ];
    let ta = node.session_actor(&teacher).expect("actor").expect("open");
    let credential = &ids[0];
    let draft = node.start_submission(&ta, credential, None).expect("draft");
    node.add_evidence(
        &ta,
        &draft.id,
        EvidenceItem::Reflection {
            text: "Students answered in fuller sentences once I waited.".into(),
        },
    )
    .expect("evidence");
    node.submit(&ta, &draft.id).expect("submit");
    let mut review_id = String::new();
    for r in &reviewers {
        let ra = node.session_actor(r).expect("actor").expect("open");
        let queue = node.review_queue(&ra).expect("queue");
        let view = queue.first().expect("a review");
        review_id = view.review_id.clone();
        let pass = CriterionScore {
            level: 1,
            comment: "Seen in the recording.".into(),
        };
        node.score(&ra, &view.review_id, vec![pass.clone(), pass])
            .expect("score");
    }
    let decided = node.submission(&ta, &draft.id).expect("submission");
    let award = decided
        .decision
        .and_then(|d| d.award_id)
        .expect("the submission passed and the award was issued");

    let stack = node
        .publish_stack(
            serde_json::from_value(serde_json::json!({
                "name": "Questioning Pathway",
                "rule": {"kind": "all_of"},
                "credentials": [ids[0], ids[1], ids[2]],
                "value": {"amount": 600.0, "unit": "dollars"}
            }))
            .expect("stack"),
        )
        .expect("publish stack")
        .id;
    let evidence = EvidenceFiles::new(dir.path().join("evidence"), 200 * 1024 * 1024);
    let app = credreg_web::router(
        node.clone(),
        credreg_web::Options {
            evidence: Some(evidence),
            federation: None,
            fetcher: None,
        },
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let pages: Vec<(&str, String, Option<&str>)> = vec![
        ("sign-in form (baseline)", "/sign-in".into(), None),
        ("home", "/".into(), None),
        (
            "catalog search \"wait time\"",
            "/credentials?q=wait+time".into(),
            None,
        ),
        ("catalog, everything", "/credentials".into(), None),
        (
            "catalog, federation scope",
            "/credentials?q=number&scope=federation".into(),
            None,
        ),
        (
            "credential page",
            format!("/credentials/{credential}"),
            Some(&teacher),
        ),
        (
            "award page (verifies the badge)",
            format!("/awards/{award}"),
            None,
        ),
        (
            "baked PNG download",
            format!("/awards/{award}/badge.png"),
            None,
        ),
        ("QR code", format!("/awards/{award}/qr.svg"), None),
        ("issuer directory", "/issuers".into(), None),
        ("verify form", "/verify".into(), None),
        ("transfer form", "/transfer".into(), None),
        ("my credentials", "/mine".into(), Some(&teacher)),
        (
            "my submission",
            format!("/mine/submissions/{}", draft.id),
            Some(&teacher),
        ),
        ("my reviews", "/reviews".into(), Some(&reviewers[1])),
        (
            "review screen",
            format!("/reviews/{review_id}"),
            Some(&reviewers[1]),
        ),
        (
            "coordinator dashboard",
            "/coordinator".into(),
            Some(&coordinator),
        ),
        (
            "catalog editor",
            "/coordinator/credentials/new".into(),
            Some(&coordinator),
        ),
        ("stack page", format!("/stacks/{stack}"), None),
        (
            "ask to see evidence",
            format!("/evidence/{}/0", draft.id),
            None,
        ),
        (
            "issue badges",
            "/coordinator/awards".into(),
            Some(&coordinator),
        ),
        (
            "recognition rules",
            "/coordinator/recognitions".into(),
            Some(&coordinator),
        ),
        ("this node", "/coordinator/node".into(), Some(&coordinator)),
        ("curation", "/curate".into(), Some(&coordinator)),
    ];
    runtime.block_on(async {
        let mut baseline = Duration::ZERO;
        let mut missed = 0;
        for (what, path, session) in &pages {
            let (status, bytes) = get(&app, path, *session).await;
            assert_eq!(status, StatusCode::OK, "{what} at {path}");
            let mut times = Vec::with_capacity(RUNS);
            for _ in 0..RUNS {
                let t = Instant::now();
                std::hint::black_box(get(&app, path, *session).await);
                times.push(t.elapsed());
            }
            times.sort();
            let mean = times.iter().sum::<Duration>() / RUNS as u32;
            if baseline.is_zero() {
                baseline = mean;
            }
            let p99 = percentile(&times, 0.99);
            let met = p99 < TARGET;
            missed += usize::from(!met);
            println!(
                "{what:<34} {bytes:>7} B  mean {:>7.3} ms  p50 {:>7.3} ms  p99 {:>7.3} ms  = {:>5.1}x the baseline  target p99 < 100 ms {}",
                mean.as_secs_f64() * 1e3,
                percentile(&times, 0.50).as_secs_f64() * 1e3,
                p99.as_secs_f64() * 1e3,
                mean.as_secs_f64() / baseline.as_secs_f64(),
                if met { "met" } else { "NOT met" }
            );
        }
        println!("{} pages, {missed} over the target", pages.len());
    });
}
