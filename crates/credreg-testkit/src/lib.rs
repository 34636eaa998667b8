//! # credreg-testkit: what every credreg test and benchmark needs the same way
//!
//! A dev-dependency only. It depends on no credreg crate, so any of them can use it without a
//! cycle.
//! - [`conformance`] finds `../shared/conformance` (or `$CREDREG_CONFORMANCE`) and prints the
//!   SKIP line when it is absent, so every test skips with the same message.
//! - [`measure`] runs a workload under criterion and returns the mean time per item from
//!   criterion's own samples, so a benchmark's summary ratios come from the same run.
#![deny(missing_docs)]

use criterion::Criterion;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// `$CREDREG_CONFORMANCE`, else `../shared/conformance` beside the project; `None` (after a
/// printed SKIP line) when it is absent.
pub fn conformance() -> Option<PathBuf> {
    let dir = std::env::var_os("CREDREG_CONFORMANCE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance")
        });
    if dir.join("contexts/PROVENANCE.txt").is_file() {
        Some(dir)
    } else {
        println!(
            "SKIP: conformance data not found at {} (set CREDREG_CONFORMANCE)",
            dir.display()
        );
        None
    }
}

/// Runs `work` under criterion as `name` and returns its mean seconds per item
/// (`items_per_call` items per call of `work`), computed from criterion's samples.
pub fn measure(
    c: &mut Criterion,
    name: &str,
    items_per_call: usize,
    mut work: impl FnMut(),
) -> f64 {
    let (mut total, mut calls) = (Duration::ZERO, 0u64);
    c.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                work();
            }
            let elapsed = start.elapsed();
            total += elapsed;
            calls += iters;
            elapsed
        })
    });
    total.as_secs_f64() / calls.max(1) as f64 / items_per_call as f64
}
