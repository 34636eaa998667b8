//! Verification speed against raw Ed25519, measured in the same run.
//!
//! `cargo bench -p credreg-proof --bench verify` prints criterion's figures, then a summary
//! computed from the same samples:
//! raw Ed25519 verify, per-credential eddsa-rdfc-2022 verify of an Open Badges credential,
//! eddsa-jcs-2022 record verify one by one and in batches of 64, and the ratios the issue sets
//! (rdfc <= 350 us; jcs >= 0.8x raw single, >= 1.3x raw on batches).

use credreg_proof::{
    keys, Canonicalizer, ContextStore, DataIntegrity, KeyResolver, SignOptions, Suite,
    VerifyOptions,
};
use credreg_testkit::measure;
use criterion::{black_box, Criterion};
use ed25519_dalek::{Signer, SigningKey};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

#[path = "../tests/common/mod.rs"]
mod common;

/// A realistic district award: the shape credreg-node issues.
fn award(issuer: &str, n: usize) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "id": format!("urn:uuid:6b1c1f58-2c57-4a8e-9d6e-{:012}", n),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer, "type": ["Profile"], "name": "Juab School District"},
        "validFrom": "2026-11-22T10:00:00Z",
        "name": "Fostering a Growth Mindset",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [{"type": "IdentityObject", "identityHash": "sha256$1f0c7a8f3b9e43d1ae2bf1d0d8c5a0b6a0c9b8e7f6a5d4c3b2a1908f7e6d5c4b", "identityType": "emailAddress", "hashed": true, "salt": "k2f9a"}],
            "achievement": {
                "id": "https://juab.example/credentials/growth-mindset",
                "type": ["Achievement"],
                "name": "Fostering a Growth Mindset",
                "description": "Uses praise of process and strategy to build students' belief that ability grows with effort.",
                "criteria": {"narrative": "Submit a lesson plan, two student work samples and a written reflection; reviewers score each rubric criterion at 'proficient' or above."}
            }
        },
        "evidence": [{"id": "https://juab.example/evidence/1", "type": ["Evidence"], "name": "Lesson plan and reflection"}]
    })
}

fn main() {
    let mut c = Criterion::default()
        .configure_from_args()
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    let sk = SigningKey::from_bytes(&[5; 32]);
    let vk = sk.verifying_key();
    let method = keys::did_key_method(&vk);
    let msg = [7u8; 64];
    let sig = sk.sign(&msg);
    let raw = measure(&mut c, "ed25519_verify_strict_raw", 1, || {
        vk.verify_strict(black_box(&msg), black_box(&sig))
            .expect("ok")
    });

    let di = match common::conformance() {
        Some(root) => common::conformance_di(&root),
        None => DataIntegrity::new(Canonicalizer::new(Arc::new(ContextStore::with_builtins()))),
    };
    let resolver = KeyResolver::new();
    let opts = VerifyOptions::default();

    let record = json!({"type": "AwardReceipt", "issuer": keys::did_key(&vk), "award": "urn:uuid:1", "credential": "b3:ab12", "digest": "b3:cd34", "issued": "2026-11-22T10:00:00Z", "statusIndex": 17});
    let jcs_signed = di
        .sign(
            &record,
            &sk,
            &SignOptions::assertion(Suite::EddsaJcs2022, &method, "2026-11-22T10:00:00Z"),
        )
        .expect("sign jcs");
    let jcs = measure(&mut c, "eddsa_jcs_2022_verify_record", 1, || {
        di.verify(black_box(&jcs_signed), &resolver, &opts)
            .expect("ok");
    });
    let batch: Vec<Value> = (0..64)
        .map(|i| {
            let mut r = record.clone();
            r["statusIndex"] = json!(i);
            di.sign(
                &r,
                &sk,
                &SignOptions::assertion(Suite::EddsaJcs2022, &method, "2026-11-22T10:00:00Z"),
            )
            .expect("sign")
        })
        .collect();
    let jcs_batch = measure(&mut c, "eddsa_jcs_2022_verify_batch64", batch.len(), || {
        for r in di.verify_batch(black_box(&batch), &resolver, &opts) {
            r.expect("ok");
        }
    });

    let have_ob = di
        .canonicalizer()
        .store()
        .contains(credreg_proof::contexts::OPEN_BADGES_V3);
    let rdfc = if have_ob {
        let a = award(&keys::did_key(&vk), 1);
        let s = di
            .sign(
                &a,
                &sk,
                &SignOptions::assertion(Suite::EddsaRdfc2022, &method, "2026-11-22T10:00:00Z"),
            )
            .expect("sign rdfc");
        Some(measure(
            &mut c,
            "eddsa_rdfc_2022_verify_ob3_award",
            1,
            || {
                di.verify(black_box(&s), &resolver, &opts).expect("ok");
            },
        ))
    } else {
        println!("SKIP rdfc benchmark: the Open Badges context is not available (conformance folder absent)");
        None
    };

    println!("\n== credreg-proof verification summary (one core) ==");
    println!("raw Ed25519 verify_strict        {:>9.1} us", raw * 1e6);
    println!("eddsa-jcs-2022 record            {:>9.1} us   rate vs raw single: {:.2}x (target >= 0.80x)", jcs * 1e6, raw / jcs);
    println!("eddsa-jcs-2022 record, batch 64  {:>9.1} us   rate vs raw single: {:.2}x (target >= 1.30x)", jcs_batch * 1e6, raw / jcs_batch);
    if let Some(rdfc) = rdfc {
        println!("eddsa-rdfc-2022 OB 3.0 award     {:>9.1} us   = {:.1}x raw Ed25519 (target <= 350 us; JS stack ~7400 us)", rdfc * 1e6, rdfc / raw);
    }
    c.final_summary();
}
