//! Node throughput against raw Ed25519, measured in the same run.
//!
//! `cargo bench -p credreg-tests --bench node` prints criterion's figures, then a summary:
//! - raw Ed25519 `verify_strict` (the baseline),
//! - bulk issuance (`Node::issue_awards`, batches of 256, on-disk sled, durable): awards/s
//!   (target >= 1,000/s on 2 cores),
//! - `POST /api/v1/verify` with 20-credential portfolios, two requests in flight (one per core):
//!   credentials/s (target >= 1,500/s),
//! - durable log appends through the node (signed record + log nodes + checkpoint, batches of
//!   500, two flushes per batch): entries/s (target >= 5,000/s), with raw blake3 as a ratio,
//! - `GET /api/v1/credentials?q=...` over 10,000 definitions: p50 and p99 latency (target p99
//!   < 10 ms).
//!
//! Memory figures come from `scripts/bench-memory` (RSS needs a separate process).

use axum::body::Body;
use axum::http::Request;
use credreg_model::{CredentialDef, Recipient};
use credreg_node::{AwardRequest, Node, NodeSettings};
use credreg_testkit::measure;
use credreg_tests::{conformance, contexts, percentile, samples, timed_get};
use criterion::{black_box, Criterion};
use ed25519_dalek::{Signer, SigningKey};
use http_body_util::BodyExt as _;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt as _;

fn node_in(dir: &std::path::Path, ctx: credreg_proof::ContextStore) -> Arc<Node> {
    Arc::new(
        Node::open(
            credreg_store::Store::open(dir).expect("store"),
            credreg_proof::SigningKey::from_bytes(&[42; 32]),
            NodeSettings {
                name: "Juab School District".into(),
                public_url: "http://127.0.0.1:8080".into(),
                ..Default::default()
            },
            ctx,
        )
        .expect("node"),
    )
}

fn requests(credential_id: &str, n: usize, offset: usize) -> Vec<AwardRequest> {
    (0..n)
        .map(|i| AwardRequest {
            credential_id: credential_id.into(),
            recipient: Recipient {
                email: format!("teacher{}@juab.k12.ut.us", offset + i),
                name: Some(format!("Teacher {}", offset + i)),
            },
            evidence: vec![],
            review: None,
            reviewed: Default::default(),
        })
        .collect()
}

fn main() {
    let Some(conf) = conformance() else {
        println!("SKIP: node benchmark needs the OB 3.0.3 context from ../shared/conformance");
        return;
    };
    let mut c = Criterion::default()
        .configure_from_args()
        .sample_size(10)
        .measurement_time(Duration::from_secs(8))
        .warm_up_time(Duration::from_secs(1));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");

    // Baseline.
    let key = SigningKey::from_bytes(&[1; 32]);
    let msg = [7u8; 64];
    let sig = key.sign(&msg);
    let vk = key.verifying_key();
    let raw = measure(&mut c, "raw ed25519 verify_strict", 1, || {
        black_box(vk.verify_strict(black_box(&msg), &sig)).expect("verifies");
    });

    // Durable log appends through the node: record signing (eddsa-jcs-2022), record + log
    // nodes in one transaction, a signed checkpoint, two flushes per batch of 500.
    let adir = tempfile::tempdir().expect("tempdir");
    let append_node = node_in(adir.path(), contexts(&conf));
    let batch: Vec<CredentialDef> = (0..500)
        .map(|i| {
            let mut d: CredentialDef =
                serde_json::from_value(samples::growth_mindset()).expect("def");
            d.name = format!("Growth mindset {i}");
            d
        })
        .collect();
    let mut round = 0u64;
    let append = measure(
        &mut c,
        "durable log append through the node (batch 500)",
        500,
        || {
            round += 1;
            let defs: Vec<CredentialDef> = batch
                .iter()
                .map(|d| {
                    let mut d = d.clone();
                    d.version = format!("{round}");
                    d
                })
                .collect();
            black_box(append_node.publish_definitions(defs).expect("publish"));
        },
    );
    let blake = [5u8; 64];
    let raw_blake3 = measure(&mut c, "raw blake3 (64 bytes)", 1, || {
        black_box(blake3::hash(black_box(&blake)));
    });

    // Bulk issuance, durable, on disk.
    let dir = tempfile::tempdir().expect("tempdir");
    let node = node_in(dir.path(), contexts(&conf));
    let def: CredentialDef = serde_json::from_value(samples::wait_time()).expect("def");
    let cred = node.publish_definition(def).expect("publish").id;
    // The bulk path (`credreg awards import`): 1,024 awards per call, batches of 256, signing
    // overlapped with the previous batch's durable write.
    let mut issued = 0usize;
    let issue = measure(
        &mut c,
        "bulk issuance (issue_bulk, 4 x 256, durable)",
        1024,
        || {
            let rows = requests(&cred, 1024, issued);
            issued += 1024;
            black_box(node.issue_bulk(&rows, 256, |_| {}).expect("issue"));
        },
    );

    // Verify portfolios over HTTP: two requests in flight.
    let portfolio: Vec<Value> = node
        .issue_awards(&requests(&cred, 20, 1_000_000))
        .expect("issue")
        .into_iter()
        .map(|a| serde_json::from_slice(&a.bytes).expect("json"))
        .collect();
    let app = credreg_api::router(credreg_api::AppState::new(node.clone()));
    let body = json!({"credentials": portfolio}).to_string();
    let post = |app: axum::Router, body: String| async move {
        let res = app
            .oneshot(
                Request::post("/api/v1/verify")
                    .header("content-type", "application/json")
                    .body(Body::from(body))
                    .expect("request"),
            )
            .await
            .expect("response");
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        let report: Value = serde_json::from_slice(&bytes).expect("report");
        assert_eq!(report["summary"]["valid"], 20, "{report}");
    };
    let verify = measure(
        &mut c,
        "POST /api/v1/verify, 20-credential portfolio x2 in flight",
        40,
        || {
            rt.block_on(async {
                tokio::join!(
                    post(app.clone(), body.clone()),
                    post(app.clone(), body.clone())
                );
            });
        },
    );

    // Search over 10,000 definitions.
    let sdir = tempfile::tempdir().expect("tempdir");
    let search_node = node_in(sdir.path(), contexts(&conf));
    let words = [
        "questioning",
        "literacy",
        "mindset",
        "design",
        "feedback",
        "discussion",
        "assessment",
        "equity",
    ];
    let defs: Vec<CredentialDef> = (0..10_000)
        .map(|i| {
            let mut d: CredentialDef = serde_json::from_value(samples::wait_time()).expect("def");
            d.name = format!("{} practice {i}", words[i % words.len()]);
            d.competency = Some(words[(i / 8) % words.len()].into());
            d
        })
        .collect();
    for chunk in defs.chunks(1_000) {
        search_node
            .publish_definitions(chunk.to_vec())
            .expect("publish");
    }
    let search_app = credreg_api::router(credreg_api::AppState::new(search_node));
    let mut latencies = Vec::new();
    let mut i = 0usize;
    measure(
        &mut c,
        "GET /api/v1/credentials?q= over 10,000 definitions",
        1,
        || {
            let q = format!(
                "/api/v1/credentials?q={}%20practice&limit=20",
                words[i % words.len()]
            );
            i += 1;
            latencies.push(timed_get(&rt, &search_app, q));
        },
    );
    latencies.sort();
    let pct = |p: f64| percentile(&latencies, p);

    println!("\n== credreg node summary (same run; 2 cores) ==");
    println!(
        "raw Ed25519 verify_strict          {:>9.1} us  ({:.0}/s)",
        raw * 1e6,
        1.0 / raw
    );
    println!(
        "bulk issuance, durable             {:>9.1} us/award  {:>7.0} awards/s  = {:.1}x raw verify rate^-1   target >= 1000/s  {}",
        issue * 1e6,
        1.0 / issue,
        issue / raw,
        if 1.0 / issue >= 1000.0 { "met" } else { "NOT met" }
    );
    println!(
        "POST /verify, 20-cred portfolios   {:>9.1} us/cred   {:>7.0} creds/s  = {:.1}x raw verify time      target >= 1500/s  {}",
        verify * 1e6,
        1.0 / verify,
        verify / raw,
        if 1.0 / verify >= 1500.0 { "met" } else { "NOT met" }
    );
    println!(
        "durable log append via node        {:>9.1} us/entry  {:>7.0} entries/s = {:.0}x raw blake3 ({:.3} us)  target >= 5000/s  {}",
        append * 1e6,
        1.0 / append,
        append / raw_blake3,
        raw_blake3 * 1e6,
        if 1.0 / append >= 5000.0 { "met" } else { "NOT met" }
    );
    println!(
        "catalog search, 10,000 defs        p50 {:>7.3} ms  p99 {:>7.3} ms  ({} samples)           target p99 < 10 ms {}",
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        latencies.len(),
        if pct(0.99) < Duration::from_millis(10) { "met" } else { "NOT met" }
    );
}
