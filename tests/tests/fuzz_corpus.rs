//! The fuzz targets (`credreg_tests::decoders`) run briefly in the suite: every committed seed
//! and regression input under `fuzz/corpus/<target>/` and `fuzz/regressions/<target>/`, and a
//! fixed set of mutations of each seed (truncations, bit flips, repeated spans) from a seeded
//! generator, so the run is the same on every machine. Coverage-guided runs are
//! `scripts/fuzz`; what they find is added to `fuzz/regressions/` and replayed here.

use credreg_tests::decoders::TARGETS;
use std::path::{Path, PathBuf};

fn inputs(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<(PathBuf, Vec<u8>)> = entries
        .flatten()
        .filter_map(|e| std::fs::read(e.path()).ok().map(|b| (e.path(), b)))
        .collect();
    out.sort();
    out
}

/// A small deterministic generator (xorshift), so every run mutates the same way.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutations(seed: &[u8], rng: &mut Rng, count: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::with_capacity(count);
    for k in 0..count {
        let mut m = seed.to_vec();
        match k % 4 {
            0 => m.truncate(rng.below(seed.len() + 1)),
            1 => {
                for _ in 0..1 + rng.below(8) {
                    if !m.is_empty() {
                        let i = rng.below(m.len());
                        m[i] ^= 1 << rng.below(8);
                    }
                }
            }
            2 if !m.is_empty() => {
                let a = rng.below(m.len());
                let b = (a + 1 + rng.below(64)).min(m.len());
                let span = m[a..b].to_vec();
                for _ in 0..1 + rng.below(16) {
                    m.splice(a..a, span.iter().copied());
                }
            }
            _ => {
                let i = rng.below(m.len() + 1);
                let byte = [b'{', b'[', b'"', b'\\', 0, 0xff, b'.', b'<'][rng.below(8)];
                m.insert(i, byte);
            }
        }
        out.push(m);
    }
    out
}

#[test]
fn every_fuzz_target_survives_its_corpus_and_mutations() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for (name, target) in TARGETS {
        let seeds = inputs(&root.join("corpus").join(name));
        assert!(!seeds.is_empty(), "fuzz/corpus/{name} has no seeds");
        for (path, bytes) in inputs(&root.join("regressions").join(name)) {
            println!("regression {}", path.display());
            target(&bytes);
        }
        let mut runs = 0;
        for (_, bytes) in &seeds {
            target(bytes);
            for m in mutations(bytes, &mut rng, 12) {
                target(&m);
                runs += 1;
            }
        }
        println!("{name}: {} seeds, {runs} mutations", seeds.len());
    }
}

/// The form targets' seeds reach the forms themselves: a seed turned away at the door (the
/// CSRF check's 403, or a redirect to sign in) would leave the fuzzer decoding nothing.
#[test]
fn the_form_seeds_get_past_sign_in_and_the_csrf_check() {
    use credreg_tests::decoders::{form_answer, upload_answer};
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    for (target, answer) in [
        (
            "form_body",
            form_answer as fn(&[u8]) -> Option<(u16, Option<String>)>,
        ),
        ("multipart_upload", upload_answer),
    ] {
        let seeds = inputs(&corpus.join(target));
        assert!(!seeds.is_empty(), "no seeds for {target}");
        for (path, bytes) in seeds {
            let (status, location) = answer(&bytes).expect("an answer");
            assert_ne!(
                status,
                403,
                "{}: turned away by the CSRF check",
                path.display()
            );
            assert!(
                !location.as_deref().unwrap_or("").starts_with("/sign-in"),
                "{}: sent to sign in",
                path.display()
            );
        }
    }
}
