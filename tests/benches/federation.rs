//! Federation speed, with raw Ed25519 batch verification measured in the same run.
//!
//! `cargo bench -p credreg-tests --bench federation` (or `scripts/bench-federation`) prints:
//! - raw Ed25519 batch verification (64 signatures per batch): signatures/s, the baseline;
//! - propagation: a new record published by one node until every node of a 10-node (and a
//!   30-node) federation stored it, over libp2p TCP on loopback: median and max of 15
//!   records (target median < 500 ms for 10 nodes);
//! - catch-up: a node joining late fetches, verifies and stores a district's 100,000-entry
//!   log (20 definitions, then one award receipt per award issued) from a peer: entries/s
//!   (target >= 20,000/s);
//! - partition healing: application bytes received by the nodes of both sides while they
//!   converge, against the size of the entries each side missed (target <= 2x).
//!
//! Set `BENCH_CATCHUP_ENTRIES` to change the catch-up log size, and `BENCH_ONLY` to a comma
//! list of `propagation`, `catchup`, `healing` to run only those.

use credreg_model::Recipient;
use credreg_node::AwardRequest;
use credreg_tests::fed::{eventually, numbered_definitions, vouch, FedNode, Spec};
use ed25519_dalek::{Signer, SigningKey};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

const PATIENCE: Duration = Duration::from_secs(600);

/// The allocator the `credreg` binary uses, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// User + system CPU seconds of this process so far (Linux; 0 elsewhere).
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which may contain spaces) start at index 2.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn raw_batch_rate() -> f64 {
    let keys: Vec<SigningKey> = (0..64u8)
        .map(|i| SigningKey::from_bytes(&[i; 32]))
        .collect();
    let messages: Vec<Vec<u8>> = (0..64u32)
        .map(|i| format!("checkpoint {i}").into_bytes())
        .collect();
    let signatures: Vec<_> = keys.iter().zip(&messages).map(|(k, m)| k.sign(m)).collect();
    let verifying: Vec<_> = keys.iter().map(SigningKey::verifying_key).collect();
    let refs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
    let rounds = 300;
    let start = Instant::now();
    for _ in 0..rounds {
        ed25519_dalek::verify_batch(&refs, &signatures, &verifying).expect("valid batch");
    }
    (rounds * 64) as f64 / start.elapsed().as_secs_f64()
}

/// A federation of `n` nodes: node 0 is the state anchor, the rest are member districts.
/// Each node dials the anchor and the three nodes started before it (a sparse mesh, so
/// records travel through relays).
async fn federation(n: usize, dir: &std::path::Path) -> Vec<FedNode> {
    let ctx = credreg_proof::ContextStore::with_builtins();
    let state = FedNode::start(Spec::state("Wisconsin DPI", 100, &ctx), &dir.join("n0")).await;
    let anchor = state.did();
    let mut nodes = vec![state];
    let mut addrs = vec![nodes[0].addr().await];
    for i in 1..n {
        let mut boot = vec![addrs[0].clone()];
        boot.extend(addrs.iter().skip(1).rev().take(3).cloned());
        let node = FedNode::start(
            Spec::district(&format!("District {i}"), 100 + i as u8, &anchor, &ctx).bootstrap(boot),
            &dir.join(format!("n{i}")),
        )
        .await;
        addrs.push(node.addr().await);
        nodes.push(node);
    }
    let members: Vec<String> = nodes.iter().skip(1).map(FedNode::did).collect();
    vouch(&nodes[0], &members).await;
    converge(&nodes).await;
    // Measure a settled federation: every node has compared summaries with every peer it is
    // connected to (the comparisons new connections trigger are done).
    for n in &nodes {
        eventually(
            "every connection's first comparison is done",
            PATIENCE,
            || async {
                n.fed
                    .peers()
                    .await
                    .iter()
                    .filter(|p| p.connected)
                    .all(|p| p.last_sync.is_some())
            },
        )
        .await;
    }
    nodes
}

async fn converge(nodes: &[FedNode]) {
    for origin in nodes {
        let did = origin.did();
        let size = origin.log_size(&did);
        for n in nodes {
            eventually("the federation converges", PATIENCE, || async {
                n.log_size(&did) >= size
            })
            .await;
        }
    }
}

async fn stop(nodes: Vec<FedNode>) {
    for n in nodes {
        n.stop().await;
    }
}

async fn propagation(n: usize, records: usize) -> (Duration, Duration) {
    let dir = tempfile::tempdir().expect("tempdir");
    let nodes = federation(n, dir.path()).await;
    let mut times = Vec::new();
    for r in 0..records {
        let origin = &nodes[1 + r % (n - 1)];
        let did = origin.did();
        let node = origin.node().clone();
        let start = Instant::now();
        tokio::task::spawn_blocking(move || {
            node.publish_definition(credreg_model::CredentialDef::new(
                format!("Propagation {r}"),
                "Leads a structured classroom discussion.",
                "Submit a lesson plan and a reflection.",
            ))
        })
        .await
        .expect("join")
        .expect("publish");
        let size = origin.log_size(&did);
        loop {
            if nodes.iter().all(|x| x.log_size(&did) >= size) {
                break;
            }
            assert!(start.elapsed() < PATIENCE, "record {r} did not propagate");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        times.push(start.elapsed());
    }
    stop(nodes).await;
    times.sort();
    (times[times.len() / 2], times[times.len() - 1])
}

/// A district's log as it really grows: a small catalog, then award receipts (one per award
/// issued, each a signed record). Returns the replica's rate and the origin's issuance rate.
async fn catch_up(entries: usize, ctx: credreg_proof::ContextStore) -> (f64, f64) {
    let dir = tempfile::tempdir().expect("tempdir");
    let origin = FedNode::start(
        Spec::state("Juab School District", 120, &ctx),
        &dir.path().join("o"),
    )
    .await;
    let node = origin.node().clone();
    let publish_start = Instant::now();
    tokio::task::spawn_blocking(move || {
        let defs = node
            .publish_definitions(numbered_definitions("Catch-up module", 20))
            .expect("publish");
        let mut issued = 0;
        while issued < entries {
            let n = (entries - issued).min(1_000);
            let requests: Vec<AwardRequest> = (issued..issued + n)
                .map(|i| AwardRequest {
                    credential_id: defs[i % defs.len()].id.clone(),
                    recipient: Recipient {
                        email: format!("teacher{i}@juab.k12.ut.us"),
                        name: Some(format!("Teacher {i}")),
                    },
                    evidence: vec![],
                    review: None,
                    reviewed: Default::default(),
                })
                .collect();
            node.issue_awards(&requests).expect("issue");
            issued += n;
        }
    })
    .await
    .expect("join");
    let published = publish_start.elapsed();
    // Let the origin's database finish writing the issuance out before timing the replica.
    origin.node().store().flush().expect("flush");
    let did = origin.did();
    let size = origin.log_size(&did);
    // A marker for profilers attaching to this phase only (`perf record -p`).
    println!("  (catch-up of {size} entries starts)");
    let start = Instant::now();
    let cpu0 = cpu_seconds();
    let late = FedNode::start(
        Spec::district("Kettle Moraine School District", 121, &did, &ctx)
            .bootstrap(vec![origin.addr().await]),
        &dir.path().join("late"),
    )
    .await;
    loop {
        if late.log_size(&did) >= size {
            break;
        }
        assert!(start.elapsed() < PATIENCE, "catch-up did not finish");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let rate = size as f64 / start.elapsed().as_secs_f64();
    println!(
        "  (CPU used by the process during catch-up: {:.2} s over {:.2} s)",
        cpu_seconds() - cpu0,
        start.elapsed().as_secs_f64()
    );
    late.stop().await;
    origin.stop().await;
    (rate, entries as f64 / published.as_secs_f64())
}

/// Application payload bytes all `nodes` received from peers so far.
fn received(nodes: &[FedNode]) -> u64 {
    nodes
        .iter()
        .map(|n| {
            n.fed
                .metrics()
                .payload_bytes_received
                .load(Ordering::Relaxed)
        })
        .sum()
}

async fn healing(per_side: usize) -> (u64, u64) {
    let dir = tempfile::tempdir().expect("tempdir");
    let nodes = federation(4, dir.path()).await;
    let (west, east) = nodes.split_at(2);
    for a in west {
        a.set_blocked(&east.iter().collect::<Vec<_>>(), true).await;
    }
    for b in east {
        b.set_blocked(&west.iter().collect::<Vec<_>>(), true).await;
    }
    for (side, label) in [(west, "west"), (east, "east")] {
        let node = side[1].node().clone();
        let defs = numbered_definitions(&format!("Healing {label}"), per_side);
        tokio::task::spawn_blocking(move || node.publish_definitions(defs).expect("publish"))
            .await
            .expect("join");
    }
    converge(west).await;
    converge(east).await;
    // What each node misses: the other side's new entries.
    let mut missing = 0u64;
    for (side, other) in [(west, east), (east, west)] {
        let did = other[1].did();
        let have = side[0].log_size(&did);
        let entries = other[1]
            .node()
            .store()
            .log_entries(&did, have, other[1].log_size(&did))
            .expect("entries");
        let bytes: u64 = entries.iter().map(|(_, e)| e.len() as u64).sum();
        missing += bytes * side.len() as u64;
    }
    let before = received(&nodes);
    for a in west {
        a.set_blocked(&east.iter().collect::<Vec<_>>(), false).await;
    }
    for b in east {
        b.set_blocked(&west.iter().collect::<Vec<_>>(), false).await;
    }
    converge(&nodes).await;
    let after = received(&nodes);
    stop(nodes).await;
    (after - before, missing)
}

fn main() {
    // `cargo test --benches` runs bench targets with `--bench`-less args; do the work only
    // under `cargo bench`.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let entries: usize = std::env::var("BENCH_CATCHUP_ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let run = |what: &str| only.is_empty() || only.split(',').any(|o| o == what);
    let raw = raw_batch_rate();
    println!("raw Ed25519 batch verify (64 per batch): {raw:.0} signatures/s");

    // Each scenario gets a fresh two-worker runtime, so nothing of the one before (tasks,
    // timers) runs during its measurement.
    if run("propagation") {
        propagation_report(&runtime());
    }
    if run("catchup") {
        catch_up_report(&runtime(), entries, raw);
    }
    if run("healing") {
        healing_report(&runtime());
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

fn propagation_report(runtime: &tokio::runtime::Runtime) {
    let (median10, max10) = runtime.block_on(propagation(10, 15));
    println!(
        "propagation to all of 10 nodes: median {:.0} ms, max {:.0} ms (target median < 500 ms)   {}",
        median10.as_secs_f64() * 1e3,
        max10.as_secs_f64() * 1e3,
        if median10 < Duration::from_millis(500) { "met" } else { "MISSED" }
    );
    let (median30, max30) = runtime.block_on(propagation(30, 15));
    println!(
        "propagation to all of 30 nodes: median {:.0} ms, max {:.0} ms",
        median30.as_secs_f64() * 1e3,
        max30.as_secs_f64() * 1e3
    );
}

fn catch_up_report(runtime: &tokio::runtime::Runtime, entries: usize, raw: f64) {
    let Some(conf) = credreg_tests::conformance() else {
        return;
    };
    let ctx = credreg_tests::contexts(&conf);
    let (rate, publish_rate) = runtime.block_on(catch_up(entries, ctx));
    println!(
        "catch-up of a {entries}-entry log from a peer: {rate:.0} entries/s verified and stored, {:.2}x the raw batch rate (target >= 20,000/s)   {}",
        rate / raw,
        if rate >= 20_000.0 { "met" } else { "MISSED" }
    );
    println!("  (the origin issued its {entries} awards at {publish_rate:.0} awards/s)");
}

fn healing_report(runtime: &tokio::runtime::Runtime) {
    let (bytes, missing) = runtime.block_on(healing(500));
    let ratio = bytes as f64 / missing as f64;
    println!(
        "partition healing: {bytes} payload bytes received for {missing} bytes of missed entries: {ratio:.2}x (target <= 2x)   {}",
        if ratio <= 2.0 { "met" } else { "MISSED" }
    );
}
