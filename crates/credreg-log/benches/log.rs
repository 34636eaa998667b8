//! Log speed against raw blake3 hashing, measured in the same run.
//!
//! `cargo bench -p credreg-log --bench log` prints criterion's figures, then a summary:
//! in-memory append rate (target >= 200,000/s), inclusion proof generation and verification
//! in a 1,000,000-entry log (target < 50 us each), consistency proofs, and each as a ratio to
//! one raw blake3 hash of a 64-byte input.

use credreg_log::{
    consistency_proof, inclusion_proof, verify_consistency, verify_inclusion, MemoryLog,
};
use credreg_testkit::measure;
use criterion::{black_box, Criterion};
use std::time::Duration;

fn main() {
    let mut c = Criterion::default()
        .configure_from_args()
        .sample_size(20)
        .measurement_time(Duration::from_secs(3));
    let input = [7u8; 64];
    let raw = measure(&mut c, "raw blake3 (64 bytes)", 1, || {
        black_box(blake3::hash(black_box(&input)));
    });

    let entry = [3u8; 200]; // about the size of an award receipt digest line
    let append = measure(&mut c, "append 10,000 entries in memory", 10_000, || {
        let mut log = MemoryLog::new();
        for _ in 0..10_000 {
            log.append(black_box(&entry));
        }
        black_box(log.size());
    });

    const N: u64 = 1_000_000;
    let mut log = MemoryLog::new();
    for i in 0..N {
        log.append(&i.to_le_bytes());
    }
    let root = log.root_at(N).expect("root");
    let mut i = 0u64;
    let prove = measure(&mut c, "inclusion proof, 1M-entry log", 1, || {
        i = (i + 7919) % N;
        black_box(inclusion_proof(&log, i, N).expect("src"));
    });
    let leaf = credreg_log::leaf_hash(&123_456u64.to_le_bytes());
    let proof = inclusion_proof(&log, 123_456, N)
        .expect("src")
        .expect("proof");
    let verify = measure(&mut c, "verify inclusion, 1M-entry log", 1, || {
        verify_inclusion(&leaf, 123_456, N, black_box(&proof), &root).expect("valid");
    });
    let old_root = log.root_at(654_321).expect("root");
    let cproof = consistency_proof(&log, 654_321, N)
        .expect("src")
        .expect("proof");
    let cons = measure(
        &mut c,
        "consistency proof + verify, 654,321 -> 1M",
        1,
        || {
            let p = consistency_proof(&log, 654_321, N)
                .expect("src")
                .expect("proof");
            verify_consistency(654_321, N, &old_root, &root, black_box(&p)).expect("valid");
        },
    );
    black_box(cproof);

    println!("\n== credreg-log summary (one core) ==");
    println!("raw blake3, 64 bytes               {:>8.3} us", raw * 1e6);
    println!("append in memory                   {:>8.3} us/entry  {:>9.0} entries/s  = {:.1}x raw blake3   target >= 200000/s {}", append * 1e6, 1.0 / append, append / raw, if 1.0 / append >= 200_000.0 { "met" } else { "NOT met" });
    println!("inclusion proof, 1M entries        {:>8.3} us        = {:.1}x raw blake3   target < 50 us {}", prove * 1e6, prove / raw, if prove < 50e-6 { "met" } else { "NOT met" });
    println!("verify inclusion, 1M entries       {:>8.3} us        = {:.1}x raw blake3   target < 50 us {}", verify * 1e6, verify / raw, if verify < 50e-6 { "met" } else { "NOT met" });
    println!(
        "consistency proof + verify, 1M     {:>8.3} us        = {:.1}x raw blake3",
        cons * 1e6,
        cons / raw
    );
}
