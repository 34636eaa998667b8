//! Property tests: generated Open Badges credentials sign and verify (both suites), and any
//! change to a signed value fails; this one needs the Open Badges context from the conformance
//! folder and skips with a printed line without it. Batch forgery, purpose/expiry and the
//! blank-node bound need only the builtin contexts and always run.

use credreg_proof::{
    keys, Canonicalizer, Check, ContextStore, DataIntegrity, KeyResolver, ProofError, SignOptions,
    Suite, Verification, VerifyOptions,
};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::sync::{Arc, OnceLock};

mod common;

fn di() -> Option<&'static DataIntegrity> {
    static DI: OnceLock<Option<DataIntegrity>> = OnceLock::new();
    DI.get_or_init(|| common::conformance().map(|root| common::conformance_di(&root)))
        .as_ref()
}

/// Enough for JCS records and inline-context documents: these tests need no conformance data.
fn builtin_di() -> DataIntegrity {
    DataIntegrity::new(Canonicalizer::new(Arc::new(ContextStore::with_builtins())))
}

/// Which check failed, if any.
fn failed_check(r: Result<Verification, ProofError>) -> Option<Check> {
    r.err().map(|e| e.check())
}

fn text() -> impl Strategy<Value = String> {
    // Names teachers and districts really have: accents, CJK, emoji, quotes, newlines.
    prop_oneof![
        "[A-Za-z][A-Za-z ,.'-]{0,40}",
        "[\\p{L}\\p{N} ]{1,30}",
        Just("Écoute active — niveau 2 “avancé”\n✓".to_string()),
        Just("思考を引き出す発問".to_string()),
    ]
}

fn credential() -> impl Strategy<Value = Value> {
    (text(), text(), text(), 0u32..200, prop::collection::vec((text(), "[a-z0-9]{1,12}"), 0..4), any::<bool>())
        .prop_map(|(name, description, narrative, credits, evidence, with_result)| {
            let evidence: Vec<Value> = evidence
                .into_iter()
                .map(|(n, slug)| json!({"id": format!("https://district.example/evidence/{slug}"), "type": ["Evidence"], "name": n}))
                .collect();
            let mut subject = json!({
                "type": ["AchievementSubject"],
                "achievement": {
                    "id": "https://district.example/credentials/wait-time",
                    "type": ["Achievement"],
                    "name": name,
                    "description": description,
                    "criteria": {"narrative": narrative},
                    "creditsAvailable": (credits as f64) / 4.0
                }
            });
            if with_result {
                subject["creditsEarned"] = json!(credits as f64 / 2.0);
            }
            json!({
                "@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
                "id": "urn:uuid:2f1d0c5e-8a57-4d0b-9a38-1c2d3e4f5a6b",
                "type": ["VerifiableCredential", "OpenBadgeCredential"],
                "issuer": {"id": "did:key:placeholder", "type": ["Profile"], "name": "Lake County Schools"},
                "validFrom": "2026-11-22T10:00:00Z",
                "name": "Wait time after a discussion question",
                "credentialSubject": subject,
                "evidence": evidence
            })
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn sign_then_verify_and_tamper(mut doc in credential(), seed in any::<[u8; 32]>(), jcs in any::<bool>()) {
        let Some(di) = di() else {
            return Ok(()); // common::conformance printed the SKIP line
        };
        let sk = credreg_proof::SigningKey::from_bytes(&seed);
        doc["issuer"]["id"] = json!(keys::did_key(&sk.verifying_key()));
        let suite = if jcs { Suite::EddsaJcs2022 } else { Suite::EddsaRdfc2022 };
        let opts = SignOptions::assertion(suite, keys::did_key_method(&sk.verifying_key()), "2026-11-22T10:00:00Z");
        let signed = di.sign(&doc, &sk, &opts).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let v = di.verify(&signed, &KeyResolver::new(), &VerifyOptions::default()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(v.proofs[0].signed_by_issuer);

        // Any signed value changed: the name, a number, the narrative, the proof's date.
        for (pointer, replacement) in [
            ("/credentialSubject/achievement/name", json!(format!("{}!", doc["credentialSubject"]["achievement"]["name"].as_str().unwrap_or("")))),
            ("/credentialSubject/achievement/creditsAvailable", json!(1000.25)),
            ("/credentialSubject/achievement/criteria/narrative", json!("changed")),
            ("/proof/created", json!("2026-11-22T10:00:01Z")),
        ] {
            let mut t = signed.clone();
            if let Some(slot) = t.pointer_mut(pointer) {
                if *slot == replacement { continue; }
                *slot = replacement;
            }
            let err = di.verify(&t, &KeyResolver::new(), &VerifyOptions::default());
            prop_assert_eq!(err.map_err(|e| e.check()).err(), Some(Check::Signature), "{}", pointer);
        }
    }
}

#[test]
fn batch_verification_finds_the_one_forgery() {
    let di = &builtin_di();
    let sk = credreg_proof::SigningKey::from_bytes(&[11; 32]);
    let other = credreg_proof::SigningKey::from_bytes(&[12; 32]);
    let method = keys::did_key_method(&sk.verifying_key());
    let mut docs: Vec<Value> = (0..10)
        .map(|i| {
            let rec =
                json!({"type": "AwardReceipt", "award": format!("urn:uuid:{i}"), "statusIndex": i});
            di.sign(
                &rec,
                &sk,
                &SignOptions::assertion(Suite::EddsaJcs2022, &method, "2026-11-22T10:00:00Z"),
            )
            .expect("sign")
        })
        .collect();
    // Signed by another key but claiming ours.
    let forged = di
        .sign(
            &json!({"type": "AwardReceipt", "award": "urn:uuid:x"}),
            &other,
            &SignOptions::assertion(Suite::EddsaJcs2022, &method, "2026-11-22T10:00:00Z"),
        )
        .expect("sign");
    docs.insert(4, forged);
    let results = di.verify_batch(&docs, &KeyResolver::new(), &VerifyOptions::default());
    for (i, r) in results.iter().enumerate() {
        if i == 4 {
            assert_eq!(failed_check(r.clone()), Some(Check::Signature));
        } else {
            assert!(r.is_ok(), "doc {i}: {r:?}");
        }
    }
}

#[test]
fn purpose_and_expiry_are_checked() {
    let di = &builtin_di();
    let sk = credreg_proof::SigningKey::from_bytes(&[13; 32]);
    let method = keys::did_key_method(&sk.verifying_key());
    let mut opts = SignOptions::assertion(Suite::EddsaJcs2022, &method, "2026-11-22T10:00:00Z");
    opts.expires = Some("2026-12-01T00:00:00Z".into());
    opts.proof_purpose = "authentication".into();
    let signed = di.sign(&json!({"type": "Note"}), &sk, &opts).expect("sign");
    let err = di
        .verify(&signed, &KeyResolver::new(), &VerifyOptions::default())
        .expect_err("purpose");
    assert_eq!(err.check(), Check::Purpose);
    let mut v = VerifyOptions {
        proof_purpose: "authentication".into(),
        ..VerifyOptions::default()
    };
    v.now = Some(time::macros::datetime!(2026-11-25 00:00 UTC));
    assert!(di.verify(&signed, &KeyResolver::new(), &v).is_ok());
    v.now = Some(time::macros::datetime!(2026-12-02 00:00 UTC));
    assert_eq!(
        failed_check(di.verify(&signed, &KeyResolver::new(), &v)),
        Some(Check::Validity)
    );
    v.now = Some(time::macros::datetime!(2026-11-01 00:00 UTC));
    assert_eq!(
        failed_check(di.verify(&signed, &KeyResolver::new(), &v)),
        Some(Check::Validity)
    );
}

#[test]
fn crafted_blank_node_graph_is_bounded() {
    let di = &builtin_di();
    // A ring of indistinguishable blank nodes forces RDFC-1.0's hash-n-degree-quads recursion.
    let n = 40;
    let nodes: Vec<Value> = (0..n)
        .map(|i| json!({"@id": format!("_:b{i}"), "https://ex.example/p": [{"@id": format!("_:b{}", (i + 1) % n)}, {"@id": format!("_:b{}", (i + 7) % n)}]}))
        .collect();
    let doc = json!({"@context": {"@vocab": "https://ex.example/"}, "@graph": nodes});
    let canon =
        Canonicalizer::new(Arc::new(di.canonicalizer().store().clone())).with_hndq_call_limit(50);
    let err = canon.rdfc(&doc).expect_err("bounded");
    assert_eq!(err.check(), Check::Canonicalization);
    // The bound, not some other canonicalization failure, is what stopped it.
    assert!(err.to_string().contains("Hash N-degree Quads"), "{err}");
}

#[test]
fn an_undefined_type_is_named_at_any_depth() {
    let di = builtin_di();
    let sk = credreg_proof::SigningKey::from_bytes(&[14; 32]);
    let method = keys::did_key_method(&sk.verifying_key());
    let opts = SignOptions::assertion(Suite::EddsaRdfc2022, &method, "2026-11-22T10:00:00Z");
    let base = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:district",
        "credentialSubject": {"id": "did:example:teacher"}
    });
    let mut at_root = base.clone();
    at_root["type"] = json!(["VerifiableCredential", "MicroCredentialBadge"]);
    let mut nested = base;
    nested["credentialStatus"] =
        json!({"id": "https://d.example/s#1", "type": "StatusList2021Entry"});
    for (doc, term) in [
        (at_root, "MicroCredentialBadge"),
        (nested, "StatusList2021Entry"),
    ] {
        assert_eq!(
            di.sign(&doc, &sk, &opts).err(),
            Some(ProofError::UndefinedTerm { term: term.into() })
        );
    }
}
