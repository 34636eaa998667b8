//! Verifying what a transferring teacher brings from elsewhere, with raw signature checks
//! measured in the same run.
//!
//! `cargo bench -p credreg-tests --bench foreign` (or `scripts/bench-foreign`) prints:
//! - raw Ed25519 `verify_strict` and raw P-256 ECDSA verify of one signature (baselines);
//! - one credential verified with `eddsa-rdfc-2022` and the same credential with
//!   `ecdsa-rdfc-2019` (P-256), and their ratio (target: ECDSA within 2x of EdDSA);
//! - the W3C `ecdsa-sd-2023` vectors, a derived (selectively disclosed) proof and the issuer's
//!   base proof, against the same `eddsa-rdfc-2022` credential (no target in the issue; shown
//!   so its cost, a signature per statement, is known);
//! - a mixed 50-badge portfolio verified by the node, server time without HTTP, fetches
//!   included (warm caches): 15 Data Integrity EdDSA credentials (as credreg issues them),
//!   10 ecdsa-rdfc-2019 credentials, 10 VC-JWTs (ES256 and EdDSA) and 15 Open Badges 2.0 hosted
//!   assertions served by a loopback HTTP server through the fetcher (target < 40 ms).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use credreg_node::verify::outside::OutsideDocuments;
use credreg_node::{Node, NodeSettings};
use credreg_proof::{
    keys, Canonicalizer, DataIntegrity, KeyResolver, PublicKey, SignOptions, Suite, VerifyOptions,
};
use credreg_store::Store;
use credreg_testkit::measure;
use credreg_tests::outside::{mirror_fetcher, serve_routes};
use credreg_tests::{conformance, contexts, percentile};
use criterion::{black_box, Criterion};
use ed25519_dalek::{Signer as _, SigningKey};
use p256::ecdsa::signature::Verifier as _;
use serde_json::{json, Map, Value};
use sha2::Digest as _;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The allocator the `credreg` binary uses, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn credential(issuer: &str, n: usize) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "id": format!("urn:uuid:6f0c2b8e-0000-4000-8000-{n:012}"),
        "type": ["VerifiableCredential"],
        "issuer": {"id": issuer, "name": "Juab School District"},
        "validFrom": "2026-08-15T00:00:00Z",
        "credentialSubject": {"id": "did:example:dana", "name": format!("Micro-credential {n}")}
    })
}

fn ecdsa_signed(di: &DataIntegrity, key: &p256::ecdsa::SigningKey, doc: &Value) -> Value {
    let public = PublicKey::P256(*key.verifying_key());
    let mk = public.to_multikey().expect("multikey");
    let mut config = Map::new();
    config.insert("type".into(), "DataIntegrityProof".into());
    config.insert("cryptosuite".into(), "ecdsa-rdfc-2019".into());
    config.insert("created".into(), "2026-08-15T00:00:00Z".into());
    config.insert(
        "verificationMethod".into(),
        format!("did:key:{mk}#{mk}").into(),
    );
    config.insert("proofPurpose".into(), "assertionMethod".into());
    let (c, d) = di
        .canonical_pair(
            doc.as_object().expect("object"),
            &config,
            Suite::EcdsaRdfc2019,
        )
        .expect("canonical");
    let hash = [sha2::Sha256::digest(&c), sha2::Sha256::digest(&d)].concat();
    let sig: p256::ecdsa::Signature = key.sign(&hash);
    config.insert(
        "proofValue".into(),
        keys::multibase_encode(&sig.to_bytes()).into(),
    );
    let mut out = doc.clone();
    out["proof"] = Value::Object(config);
    out
}

fn jwt(header: Value, payload: &Value, sign: impl Fn(&[u8]) -> Vec<u8>) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload.to_string())
    );
    let sig = sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
}

fn main() {
    let Some(conf) = conformance() else {
        println!("SKIP: foreign-badge benchmark needs the contexts in ../shared/conformance");
        return;
    };
    let mut c = Criterion::default()
        .configure_from_args()
        .sample_size(20)
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_secs(1));

    // Baselines.
    let ed = SigningKey::from_bytes(&[3; 32]);
    let ed_sig = ed.sign(b"award");
    let ed_pub = ed.verifying_key();
    let raw_ed = measure(&mut c, "raw ed25519 verify_strict", 1, || {
        black_box(ed_pub.verify_strict(black_box(b"award"), &ed_sig)).expect("verifies");
    });
    let p = p256::ecdsa::SigningKey::from_slice(&[4; 32]).expect("scalar");
    let p_sig: p256::ecdsa::Signature = p.sign(b"award");
    let p_pub = *p.verifying_key();
    let raw_p256 = measure(&mut c, "raw p256 ecdsa verify", 1, || {
        black_box(p_pub.verify(black_box(b"award"), &p_sig)).expect("verifies");
    });
    // What the verifier uses for P-256 (ring), on the same signature.
    let ring_key = PublicKey::P256(p_pub);
    let p_sig_bytes = p_sig.to_bytes();
    let raw_p256_ring = measure(&mut c, "raw p256 ecdsa verify (ring)", 1, || {
        assert!(black_box(&ring_key).verify(black_box(b"award"), &p_sig_bytes));
    });

    // One credential, two suites.
    let di = DataIntegrity::new(Canonicalizer::new(Arc::new(contexts(&conf))));
    let ed_did = keys::did_key(&ed_pub);
    let eddsa = di
        .sign(
            &credential(&ed_did, 0),
            &ed,
            &SignOptions::assertion(
                Suite::EddsaRdfc2022,
                keys::did_key_method(&ed_pub),
                "2026-08-15T00:00:00Z",
            ),
        )
        .expect("sign");
    let p_did = format!(
        "did:key:{}",
        PublicKey::P256(p_pub).to_multikey().expect("multikey")
    );
    let ecdsa = ecdsa_signed(&di, &p, &credential(&p_did, 0));
    let resolver = KeyResolver::new();
    let options = VerifyOptions::default();
    let t_eddsa = measure(&mut c, "eddsa-rdfc-2022 credential", 1, || {
        black_box(di.verify(&eddsa, &resolver, &options)).expect("verifies");
    });
    let t_ecdsa = measure(&mut c, "ecdsa-rdfc-2019 credential", 1, || {
        black_box(di.verify(&ecdsa, &resolver, &options)).expect("verifies");
    });
    let sd_vector = |name: &str| -> Value {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../crates/credreg-proof/tests/vectors/ecdsa-sd-2023")
            .join(name);
        serde_json::from_slice(&std::fs::read(path).expect("vector")).expect("JSON")
    };
    let (derived, base) = (
        sd_vector("derivedRevealDocument.json"),
        sd_vector("addSignedSDBase.json"),
    );
    let t_derived = measure(&mut c, "ecdsa-sd-2023 derived credential", 1, || {
        black_box(di.verify(&derived, &resolver, &options)).expect("verifies");
    });
    let t_base = measure(&mut c, "ecdsa-sd-2023 base credential", 1, || {
        black_box(di.verify(&base, &resolver, &options)).expect("verifies");
    });

    // The portfolio.
    let node = Node::open(
        Store::temporary().expect("store"),
        SigningKey::from_bytes(&[9; 32]),
        NodeSettings {
            name: "Oconomowoc Area School District".into(),
            public_url: "http://127.0.0.1:8080".into(),
            ..Default::default()
        },
        contexts(&conf),
    )
    .expect("node");
    let mut badges: Vec<Value> = Vec::new();
    for n in 0..15 {
        badges.push(
            di.sign(
                &credential(&ed_did, n),
                &ed,
                &SignOptions::assertion(
                    Suite::EddsaRdfc2022,
                    keys::did_key_method(&ed_pub),
                    "2026-08-15T00:00:00Z",
                ),
            )
            .expect("sign"),
        );
    }
    for n in 0..10 {
        badges.push(ecdsa_signed(&di, &p, &credential(&p_did, 100 + n)));
    }
    let p_mk = PublicKey::P256(p_pub).to_multikey().expect("multikey");
    for n in 0..10 {
        let token = if n % 2 == 0 {
            jwt(
                json!({"alg": "ES256", "kid": format!("{p_did}#{p_mk}")}),
                &credential(&p_did, 200 + n),
                |m| {
                    let s: p256::ecdsa::Signature = p.sign(m);
                    s.to_bytes().to_vec()
                },
            )
        } else {
            jwt(
                json!({"alg": "EdDSA", "kid": keys::did_key_method(&ed_pub)}),
                &credential(&ed_did, 200 + n),
                |m| ed.sign(m).to_bytes().to_vec(),
            )
        };
        badges.push(Value::String(token));
    }
    let host = "badges.bloomboard.example";
    let mut routes = HashMap::new();
    let mut add = |path: String, doc: Value| {
        routes.insert(path, ("200 OK", doc.to_string().into_bytes()));
    };
    add(
        format!("/{host}/issuers/1"),
        json!({"@context": "https://w3id.org/openbadges/v2", "type": "Issuer",
            "id": format!("https://{host}/issuers/1"), "name": "BloomBoard"}),
    );
    add(
        format!("/{host}/badges/1"),
        json!({"@context": "https://w3id.org/openbadges/v2", "type": "BadgeClass",
            "id": format!("https://{host}/badges/1"), "name": "Formative Assessment",
            "issuer": format!("https://{host}/issuers/1")}),
    );
    for n in 0..15 {
        let id = format!("https://{host}/assertions/{n}");
        add(
            format!("/{host}/assertions/{n}"),
            json!({"@context": "https://w3id.org/openbadges/v2", "type": "Assertion", "id": id,
                "recipient": {"type": "email", "hashed": false, "identity": "dana@kmsd.example"},
                "badge": format!("https://{host}/badges/1"), "verification": {"type": "hosted"},
                "issuedOn": "2024-05-01T00:00:00Z"}),
        );
        badges.push(Value::String(id));
    }
    let fetcher = mirror_fetcher(&serve_routes(routes, "application/json"));
    let input = json!({ "credentials": badges });
    let fetch = |url: &str| {
        fetcher
            .fetch_json(url)
            .map(|f| (f.bytes, f.age_secs))
            .map_err(|e| e.to_string())
    };
    // Warm the caches, and check every badge is judged as expected.
    let first = node
        .verify_with(&input, &OutsideDocuments::fetched_for(&input, fetch))
        .expect("verify");
    assert_eq!(
        first.summary.valid,
        50,
        "{:?}",
        first
            .credentials
            .iter()
            .filter(|r| r.verdict != credreg_node::Verdict::Valid)
            .map(|r| (&r.index, &r.reason))
            .collect::<Vec<_>>()
    );
    let mut times = Vec::with_capacity(200);
    for _ in 0..200 {
        let start = Instant::now();
        let outside = OutsideDocuments::fetched_for(&input, fetch);
        black_box(node.verify_with(&input, &outside).expect("verify"));
        times.push(start.elapsed());
    }
    times.sort();
    let mean = times.iter().sum::<Duration>().as_secs_f64() / times.len() as f64;
    let ms = |s: f64| s * 1e3;
    let us = |s: f64| s * 1e6;
    println!();
    println!("foreign badges (baselines measured in this run)");
    println!("  raw ed25519 verify_strict      {:8.1} us", us(raw_ed));
    println!(
        "  raw p256 ecdsa verify (p256)   {:8.1} us  ({:.2}x ed25519)",
        us(raw_p256),
        raw_p256 / raw_ed
    );
    println!(
        "  raw p256 ecdsa verify (ring)   {:8.1} us  ({:.2}x ed25519; what the verifier uses)",
        us(raw_p256_ring),
        raw_p256_ring / raw_ed
    );
    println!(
        "  eddsa-rdfc-2022 credential     {:8.1} us  ({:.1}x raw ed25519)",
        us(t_eddsa),
        t_eddsa / raw_ed
    );
    println!(
        "  ecdsa-rdfc-2019 credential     {:8.1} us  ({:.2}x eddsa-rdfc-2022; target <= 2x)",
        us(t_ecdsa),
        t_ecdsa / t_eddsa
    );
    println!(
        "  ecdsa-sd-2023 derived          {:8.1} us  ({:.2}x eddsa-rdfc-2022; 20 statements: 14 mandatory, 6 signed one by one)",
        us(t_derived),
        t_derived / t_eddsa
    );
    println!(
        "  ecdsa-sd-2023 base             {:8.1} us  ({:.2}x eddsa-rdfc-2022; 14 statements signed one by one, the mandatory ones found by selection)",
        us(t_base),
        t_base / t_eddsa
    );
    println!(
        "  mixed 50-badge portfolio       mean {:.2} ms, p50 {:.2} ms, p99 {:.2} ms  ({:.0}x 50 raw ed25519; target < 40 ms)",
        ms(mean),
        ms(percentile(&times, 0.50).as_secs_f64()),
        ms(percentile(&times, 0.99).as_secs_f64()),
        mean / (50.0 * raw_ed)
    );
}
