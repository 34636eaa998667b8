//! Transfer value and quality speed, with raw Ed25519 measured in the same run.
//!
//! `cargo bench -p credreg-tests --bench value` (or `scripts/bench-value`) sets up a federation
//! on loopback: a state anchor, five districts with 2,000 definitions each (a 10,000-definition
//! federated catalog) and ten awards each to one teacher, and a receiving district holding
//! their replicas and its own recognition rules. It prints:
//! - raw Ed25519: `verify_strict` per signature and batch verification of 50 (the baselines);
//! - a transfer report for the teacher's 50-badge portfolio from five districts, computed on
//!   the calling thread (one core), server time without HTTP: mean, p50, p99 (target < 25 ms);
//! - federated searches with quality summaries over the 10,000 definitions through the HTTP
//!   router (word queries, a standard filter, sorting by awards and by recognitions): p50 and
//!   p99 (target p99 < 20 ms).

use credreg_model::{AppliesTo, Credit, Recipient, Recognition, ValueUnit};
use credreg_node::AwardRequest;
use credreg_testkit::measure;
use credreg_tests::fed::{eventually, numbered_definitions, start_federation, FEDERATION};
use credreg_tests::{conformance, contexts, percentile, timed_get};
use criterion::{black_box, Criterion};
use ed25519_dalek::{Signer, SigningKey};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// The allocator the `credreg` binary uses, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const PATIENCE: Duration = Duration::from_secs(600);
const TEACHER: &str = "ana.ruiz@juab.k12.ut.us";

fn main() {
    let Some(conf) = conformance() else {
        println!("SKIP: value benchmark needs the OB 3.0.3 context from ../shared/conformance");
        return;
    };
    let ctx = contexts(&conf);
    let mut c = Criterion::default()
        .configure_from_args()
        .sample_size(20)
        .measurement_time(Duration::from_secs(6))
        .warm_up_time(Duration::from_secs(1));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");

    // Baselines.
    let keys: Vec<SigningKey> = (0..50u8)
        .map(|i| SigningKey::from_bytes(&[i; 32]))
        .collect();
    let messages: Vec<Vec<u8>> = (0..50u32)
        .map(|i| format!("award {i}").into_bytes())
        .collect();
    let signatures: Vec<_> = keys.iter().zip(&messages).map(|(k, m)| k.sign(m)).collect();
    let verifying: Vec<_> = keys.iter().map(SigningKey::verifying_key).collect();
    let refs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
    let raw = measure(&mut c, "raw ed25519 verify_strict", 1, || {
        black_box(verifying[0].verify_strict(black_box(&messages[0]), &signatures[0]))
            .expect("verifies");
    });
    let raw_batch50 = measure(&mut c, "raw ed25519 batch verify of 50", 1, || {
        ed25519_dalek::verify_batch(&refs, &signatures, &verifying).expect("valid batch");
    });

    // The federation.
    let dir = tempfile::tempdir().expect("tempdir");
    let (receiver, districts, portfolio, standard) = rt.block_on(async {
        let names: Vec<String> = (0..5).map(|i| format!("District {i}")).collect();
        let mut plan: Vec<(&str, u8)> = names.iter().map(String::as_str).zip(61..).collect();
        plan.push(("Kettle Moraine School District", 70));
        let (state, mut districts) =
            start_federation(dir.path(), &ctx, ("Great Lakes Consortium", 60), &plan).await;
        let receiver = districts.pop().expect("receiver");
        let standard = state
            .node()
            .publish_quality_standard(
                serde_json::from_value(json!({"name": "Research-based",
                    "rules": [{"rule": "cites_research", "min": 1}]}))
                .expect("standard"),
            )
            .expect("standard")
            .id;
        // Each district: 2,000 definitions (every tenth research-based), ten awards to the
        // teacher (one reviewed), and more awards spread over its catalog.
        let mut portfolio: Vec<Value> = Vec::new();
        for (k, d) in districts.iter().enumerate() {
            let node = d.node().clone();
            let badges = tokio::task::spawn_blocking(move || {
                let mut defs = numbered_definitions(&format!("District {k} module"), 2_000);
                for (i, def) in defs.iter_mut().enumerate() {
                    if i.is_multiple_of(10) {
                        def.research_basis = vec![credreg_model::Citation {
                            citation: "Rowe, M. B. (1986). Wait time. JTE 37(1).".into(),
                            url: None,
                        }];
                    }
                }
                let mut ids = Vec::new();
                for chunk in defs.chunks(500) {
                    ids.extend(
                        node.publish_definitions(chunk.to_vec())
                            .expect("publish")
                            .into_iter()
                            .map(|p| p.id),
                    );
                }
                let request = |i: usize, email: String| AwardRequest {
                    credential_id: ids[i].clone(),
                    recipient: Recipient { email, name: None },
                    evidence: vec![],
                    review: i.is_multiple_of(3).then_some(credreg_model::ReviewSummary {
                        reviewers: 2,
                        agreed: i.is_multiple_of(2),
                        attempts: 1,
                        declared: false,
                    }),
                    reviewed: Default::default(),
                };
                let mine: Vec<AwardRequest> =
                    (0..10).map(|i| request(i * 7, TEACHER.into())).collect();
                let others: Vec<AwardRequest> = (0..500)
                    .map(|i| request((i * 13) % 2_000, format!("t{i}@d{k}.k12.us")))
                    .collect();
                node.issue_awards(&others).expect("issue");
                node.issue_awards(&mine)
                    .expect("issue")
                    .into_iter()
                    .map(|a| serde_json::from_slice::<Value>(&a.bytes).expect("award"))
                    .collect::<Vec<_>>()
            })
            .await
            .expect("join");
            portfolio.extend(badges);
        }
        // The receiver's rules: $200 per member credential (capped), $300 for research-based
        // ones, and an equivalence for one credential of each district.
        let own = receiver
            .node()
            .publish_definitions(numbered_definitions("Kettle Moraine module", 5))
            .expect("own");
        for (k, d) in districts.iter().enumerate() {
            let did = d.did();
            eventually(
                "the receiver holds each district's log",
                PATIENCE,
                || async { receiver.log_size(&did) == d.log_size(&did) },
            )
            .await;
            let first = portfolio[k * 10]["credentialSubject"]["achievement"]["id"]
                .as_str()
                .and_then(|a| a.rsplit('/').next())
                .expect("definition id")
                .to_owned();
            receiver
                .node()
                .publish_recognition(Recognition {
                    name: format!("District {k} module 0 = ours"),
                    applies_to: AppliesTo::Credential { id: first },
                    credit: Credit::Equivalent {
                        credential: own[k].id.clone(),
                    },
                    cap: None,
                    valid_from: "2026-01-01T00:00:00Z".into(),
                    valid_until: None,
                })
                .expect("rule");
        }
        for (amount, standard) in [(200.0, None), (300.0, Some(standard.clone()))] {
            receiver
                .node()
                .publish_recognition(Recognition {
                    name: "Member credentials".into(),
                    applies_to: AppliesTo::Federation {
                        federation: FEDERATION.into(),
                        standard,
                    },
                    credit: Credit::Amount {
                        amount,
                        unit: ValueUnit::Dollars,
                        per: 1,
                    },
                    cap: Some(credreg_model::Cap {
                        max: 20_000.0,
                        per: credreg_model::CapPeriod::Year,
                    }),
                    valid_from: "2026-01-01T00:00:00Z".into(),
                    valid_until: None,
                })
                .expect("rule");
        }
        let sid = standard.clone();
        eventually("the receiver knows the standard", PATIENCE, || async {
            receiver
                .node()
                .quality_standards()
                .is_ok_and(|s| s.iter().any(|q| q.id == sid))
        })
        .await;
        (receiver, districts, portfolio, standard)
    });
    assert_eq!(portfolio.len(), 50);
    assert_eq!(
        receiver
            .node()
            .search_scoped(
                credreg_node::SearchQuery {
                    limit: 1,
                    ..Default::default()
                },
                true
            )
            .expect("search")
            .total,
        10_005
    );

    // Transfer report, on this thread (one core).
    let node = receiver.node().clone();
    let body = json!({"credentials": portfolio, "email": TEACHER});
    let input = credreg_node::value::transfer::transfer_input(&body).expect("input");
    let first = node.transfer_report(&input, None).expect("report");
    assert_eq!(first.summary.recognized, 50, "{:#?}", first.badges[0]);
    let mut report_times = Vec::new();
    let report = measure(
        &mut c,
        "transfer report, 50 badges from 5 districts (one core)",
        1,
        || {
            let start = Instant::now();
            black_box(node.transfer_report(&input, None).expect("report"));
            report_times.push(start.elapsed());
        },
    );
    report_times.sort();

    // Federated search with quality summaries through the router.
    let app = receiver.http.app.clone();
    let queries = [
        "q=module%201&limit=20".to_owned(),
        "q=district%203&limit=20&sort=awards".to_owned(),
        format!("meets={standard}&limit=20"),
        "sort=recognitions&limit=20".to_owned(),
        "q=discussion&limit=50&sort=endorsements".to_owned(),
    ];
    let mut search_times = Vec::new();
    let mut i = 0usize;
    measure(
        &mut c,
        "GET /api/v1/credentials?scope=federation with quality, 10,000 defs",
        1,
        || {
            let uri = format!(
                "/api/v1/credentials?scope=federation&{}",
                queries[i % queries.len()]
            );
            i += 1;
            search_times.push(timed_get(&rt, &app, uri));
        },
    );
    search_times.sort();

    println!("\n== credreg value summary (same run; 2 cores) ==");
    println!(
        "raw Ed25519 verify_strict             {:>9.1} us   batch of 50: {:.3} ms",
        raw * 1e6,
        raw_batch50 * 1e3
    );
    println!(
        "transfer report, 50 badges/5 issuers  mean {:.2} ms  p50 {:.2} ms  p99 {:.2} ms  = {:.0}x a raw batch of 50   target < 25 ms  {}",
        report * 1e3,
        percentile(&report_times, 0.5).as_secs_f64() * 1e3,
        percentile(&report_times, 0.99).as_secs_f64() * 1e3,
        report / raw_batch50,
        if report < 0.025 { "met" } else { "NOT met" }
    );
    let p99 = percentile(&search_times, 0.99);
    println!(
        "federated quality search, 10,000 defs p50 {:.2} ms  p99 {:.2} ms  ({} samples) = {:.0}x raw verify   target p99 < 20 ms  {}",
        percentile(&search_times, 0.5).as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        search_times.len(),
        p99.as_secs_f64() / raw,
        if p99 < Duration::from_millis(20) { "met" } else { "NOT met" }
    );
    // The node's handles must go before it can close.
    drop((node, app));
    rt.block_on(async {
        receiver.stop().await;
        for d in districts {
            d.stop().await;
        }
    });
}
