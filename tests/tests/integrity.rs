//! Verification judges what was signed. Each test here is a finding of an outside probe of
//! an earlier release: a badge re-spelled in equivalent JSON-LD (same RDF, so the proof still
//! verifies) changed what the checks saw; an award that was never logged passed the `logged`
//! check; a stranger's badge naming a district's definition read as known; a deeply nested
//! request crashed the process.

use axum::http::StatusCode;
use credreg_proof::{
    keys, Canonicalizer, DataIntegrity, DocumentLimits, SignOptions, SigningKey, Suite,
};
use credreg_tests::{conformance, contexts, samples, TestNode};
use serde_json::{json, Value};
use std::sync::Arc;

const XSD_DATETIME: &str = "http://www.w3.org/2001/XMLSchema#dateTime";

fn node(name: &str, seed: u8) -> Option<TestNode> {
    let dir = conformance()?;
    Some(TestNode::new(name, seed, contexts(&dir)))
}

/// A signer without the verifier's document bounds, to make what an attacker would send.
fn signer() -> Option<DataIntegrity> {
    let dir = conformance()?;
    let unbounded = DocumentLimits {
        max_depth: 64,
        max_values: usize::MAX,
        max_array_len: usize::MAX,
        max_inline_context_bytes: usize::MAX,
        max_text_bytes: usize::MAX,
        max_contexts: usize::MAX,
        max_blank_nodes: usize::MAX,
    };
    Some(DataIntegrity::new(
        Canonicalizer::new(Arc::new(contexts(&dir))).with_limits(unbounded),
    ))
}

/// Re-signs `doc` (any proof removed) with `key`, as issuer `did:key` of that key.
fn sign(di: &DataIntegrity, key: &SigningKey, mut doc: Value) -> Value {
    doc.as_object_mut().expect("object").remove("proof");
    let opts = SignOptions::assertion(
        Suite::EddsaRdfc2022,
        keys::did_key_method(&key.verifying_key()),
        "2026-11-30T10:00:00Z",
    );
    di.sign(&doc, key, &opts).expect("signs")
}

fn report(reply: &Value) -> &Value {
    &reply["credentials"][0]
}

/// The report for `doc` verified alone by `n`.
async fn verified(n: &TestNode, doc: &Value) -> Value {
    let reply = n.post("/api/v1/verify", doc).await.json();
    report(&reply).clone()
}

fn check<'a>(c: &'a Value, name: &str) -> &'a Value {
    c["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|k| k["check"] == name)
        .unwrap_or_else(|| panic!("no {name} check in {c}"))
}

#[tokio::test]
async fn a_revoked_award_stays_revoked_however_it_is_spelled() {
    let Some(km) = node("Kettle Moraine School District", 21) else {
        return;
    };
    let wait = km.publish(&samples::wait_time()).await;
    let (revoked, _) = km.award(&wait, "ana.ruiz@kmsd.edu").await;
    let (kept, _) = km.award(&wait, "ben.ortiz@kmsd.edu").await;
    let id = revoked["id"].as_str().expect("id");
    let r = km
        .post_admin(
            &format!("/api/v1/awards/{id}/revoke"),
            &json!({"reason": "Evidence was submitted by another teacher."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);

    for (what, respell) in credreg_tests::respell::all() {
        for (award, want) in [(&revoked, "revoked"), (&kept, "valid")] {
            let mut edited = award.clone();
            respell(&mut edited);
            let c = &verified(&km, &edited).await;
            assert_eq!(check(c, "proof")["status"], "pass", "{what}: {c}");
            assert_eq!(c["verdict"], want, "{what}: {c}");
            assert_eq!(check(c, "logged")["status"], "pass", "{what}: {c}");
        }
    }
}

#[tokio::test]
async fn a_revoked_members_badge_earns_no_transfer_credit_when_respelled() {
    // The transfer report reads the pipeline's verdict and the signed facts: a re-spelled
    // revoked badge is `revoked`, a re-spelled valid one keeps its identity match.
    let Some(km) = node("Kettle Moraine School District", 22) else {
        return;
    };
    let wait = km.publish(&samples::wait_time()).await;
    let (award, _) = km.award(&wait, "ana.ruiz@kmsd.edu").await;
    let mut edited = award.clone();
    edited["credentialSubject"]["identifier"][0]["identityType"] =
        json!({"@value": "emailAddress"});
    // Previewed for another district, so the badge is not "own" and its identity is checked.
    let elsewhere = format!(
        "/api/v1/transfer-reports?district={}",
        keys::did_key(&SigningKey::from_bytes(&[1; 32]).verifying_key())
    );
    let body = json!({"credentials": [edited], "email": "ana.ruiz@kmsd.edu"});
    let reply = km.post(&elsewhere, &body).await.json();
    assert_eq!(reply["badges"][0]["verdict"], "valid", "{reply}");
    assert_ne!(reply["badges"][0]["reason"], "identity_mismatch", "{reply}");
    let body = json!({"credentials": [edited], "email": "someone.else@kmsd.edu"});
    let reply = km.post(&elsewhere, &body).await.json();
    assert_eq!(reply["badges"][0]["reason"], "identity_mismatch", "{reply}");

    let id = award["id"].as_str().expect("id");
    km.post_admin(
        &format!("/api/v1/awards/{id}/revoke"),
        &json!({"reason": "Plagiarized reflection."}),
    )
    .await;
    let mut respelled = award.clone();
    let t = respelled["credentialStatus"]["type"].take();
    respelled["credentialStatus"]["type"] = json!([t]);
    let body = json!({"credentials": [respelled]});
    let reply = km.post("/api/v1/transfer-reports", &body).await.json();
    assert_eq!(reply["badges"][0]["reason"], "revoked", "{reply}");
}

#[tokio::test]
async fn expiry_is_read_however_it_is_spelled() {
    let (Some(lake), Some(di)) = (node("Lake County Schools", 23), signer()) else {
        return;
    };
    let key = SigningKey::from_bytes(&[77; 32]);
    let did = keys::did_key(&key.verifying_key());
    let base = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "id": "urn:uuid:5f0c1e7e-8a57-4d0e-9a53-7b1d1c2a9e01",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": did, "type": ["Profile"], "name": "Digital Promise"},
        "validFrom": "2024-01-01T00:00:00Z",
        "name": "Classroom Discourse",
        "credentialSubject": {"type": ["AchievementSubject"], "achievement": {
            "id": "https://example.org/achievements/discourse", "type": ["Achievement"],
            "name": "Classroom Discourse", "description": "d", "criteria": {"narrative": "n"}}}
    });
    // A genuine badge whose time is over is "expired"; dates that cannot be read, or a start
    // in the future, make it not valid.
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "validUntil as a string",
            json!({"validUntil": "2025-01-01T00:00:00Z"}),
            "expired",
        ),
        (
            "validUntil as a value object",
            json!({"validUntil": {"@value": "2025-01-01T00:00:00Z"}}),
            "expired",
        ),
        (
            "validUntil as a typed value object",
            json!({"validUntil": {"@value": "2025-01-01T00:00:00Z", "@type": XSD_DATETIME}}),
            "expired",
        ),
        (
            "validFrom in the future as a value object",
            json!({"validFrom": {"@value": "2099-01-01T00:00:00Z"}}),
            "invalid",
        ),
        (
            "validUntil that is not a date",
            json!({"validUntil": {"@value": "soon"}}),
            "invalid",
        ),
        (
            "validUntil stated twice",
            json!({"validUntil": ["2099-01-01T00:00:00Z", "2025-01-01T00:00:00Z"]}),
            "invalid",
        ),
    ];
    for (what, patch, verdict) in cases {
        let mut doc = base.clone();
        for (k, v) in patch.as_object().expect("patch") {
            doc[k] = v.clone();
        }
        let signed = sign(&di, &key, doc);
        let c = &verified(&lake, &signed).await;
        assert_eq!(check(c, "proof")["status"], "pass", "{what}: {c}");
        assert_eq!(check(c, "validity")["status"], "fail", "{what}: {c}");
        assert_eq!(c["verdict"], verdict, "{what}: {c}");
    }

    // VC 1.1: `expirationDate` is read.
    let v1 = json!({
        "@context": ["https://www.w3.org/2018/credentials/v1", "https://w3id.org/security/data-integrity/v2"],
        "id": "urn:uuid:5f0c1e7e-8a57-4d0e-9a53-7b1d1c2a9e02",
        "type": ["VerifiableCredential"],
        "issuer": did,
        "issuanceDate": "2022-01-01T00:00:00Z",
        "expirationDate": "2023-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:teacher"}
    });
    let signed = sign(&di, &key, v1);
    let c = &verified(&lake, &signed).await;
    assert_eq!(check(c, "proof")["status"], "pass", "{c}");
    assert_eq!(check(c, "validity")["status"], "fail", "{c}");
    assert!(check(c, "validity")["reason"]
        .as_str()
        .expect("reason")
        .contains("expired"));
}

#[tokio::test]
async fn an_award_that_was_never_logged_fails_the_logged_check() {
    // The district's own key signs a copy of a real award with a different recipient, keeping
    // its id: a receipt exists for that id, but not for this credential. (A compromised or
    // careless issuing tool would do this; the log is what makes it visible.)
    let (Some(km), Some(di)) = (node("Kettle Moraine School District", 24), signer()) else {
        return;
    };
    let key = SigningKey::from_bytes(&[24; 32]);
    let wait = km.publish(&samples::wait_time()).await;
    let (award, _) = km.award(&wait, "ana.ruiz@kmsd.edu").await;
    let mut off_book = award.clone();
    off_book["credentialSubject"]["identifier"][0]["identityHash"] =
        json!("sha256$0000000000000000000000000000000000000000000000000000000000000000");
    let off_book = sign(&di, &key, off_book);
    let c = &verified(&km, &off_book).await;
    assert_eq!(check(c, "proof")["status"], "pass", "{c}");
    assert_eq!(check(c, "logged")["status"], "fail", "{c}");
    assert_eq!(c["verdict"], "invalid", "{c}");

    // Writing its type as the full IRI does not make it "not an award".
    let mut by_iri = off_book.clone();
    by_iri["type"] = json!([
        "VerifiableCredential",
        "https://purl.imsglobal.org/spec/vc/ob/vocab.html#OpenBadgeCredential"
    ]);
    let by_iri = sign(&di, &key, by_iri);
    let c = &verified(&km, &by_iri).await;
    assert_eq!(check(c, "logged")["status"], "fail", "{c}");
    assert_eq!(c["verdict"], "invalid", "{c}");

    // The real award, re-serialized with its keys in another order, is still the logged one.
    let reordered: serde_json::Map<String, Value> = award
        .as_object()
        .expect("object")
        .iter()
        .rev()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let reply = km
        .post("/api/v1/verify", &Value::Object(reordered))
        .await
        .json();
    let c = report(&reply);
    assert_eq!(c["verdict"], "valid", "{c}");
    assert!(check(c, "logged")["reason"]
        .as_str()
        .expect("reason")
        .contains("canonical form"));
}

#[tokio::test]
async fn a_strangers_badge_naming_a_districts_definition_is_not_valid() {
    let (Some(km), Some(di)) = (node("Kettle Moraine School District", 25), signer()) else {
        return;
    };
    let wait = km.publish(&samples::wait_time()).await;
    let (award, _) = km.award(&wait, "ana.ruiz@kmsd.edu").await;
    let stranger = SigningKey::from_bytes(&[99; 32]);
    let mut forged = award.clone();
    forged["issuer"]["id"] = json!(keys::did_key(&stranger.verifying_key()));
    forged["credentialSubject"]["achievement"]["creator"]["id"] = forged["issuer"]["id"].clone();
    let forged = sign(&di, &stranger, forged);
    let c = &verified(&km, &forged).await;
    assert_eq!(check(c, "proof")["status"], "pass", "{c}");
    assert_eq!(check(c, "definition")["status"], "fail", "{c}");
    assert_ne!(c["verdict"], "valid", "{c}");
    assert_eq!(c["trusted"], false, "{c}");
}

fn nested(levels: usize) -> Value {
    let mut v = json!({"name": "deep"});
    for _ in 0..levels {
        v = json!({ "type": ["Evidence"], "narrative": v });
    }
    v
}

#[tokio::test]
async fn a_deeply_nested_credential_is_refused_and_the_node_keeps_serving() {
    let Some(km) = node("Kettle Moraine School District", 26) else {
        return;
    };
    let wait = km.publish(&samples::wait_time()).await;
    let (award, _) = km.award(&wait, "ana.ruiz@kmsd.edu").await;
    for levels in [40, 107, 120] {
        let mut deep = award.clone();
        deep["evidence"] = nested(levels);
        let reply = km.post("/api/v1/verify", &deep).await;
        assert_eq!(reply.status, StatusCode::OK);
        let c = report(&reply.json()).clone();
        assert_eq!(c["verdict"], "invalid", "{c}");
        assert_eq!(check(&c, "proof")["code"], "too-large", "{c}");
        let reply = km
            .post("/api/v1/transfer-reports", &json!({"credentials": [deep]}))
            .await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.json()["badges"][0]["reason"], "invalid");
    }
    // Still serving, and still verifying.
    let reply = km.post("/api/v1/verify", &award).await.json();
    assert_eq!(report(&reply)["verdict"], "valid");
}

#[tokio::test]
async fn an_oversized_inline_context_is_refused_before_it_is_processed() {
    let (Some(km), Some(di)) = (node("Kettle Moraine School District", 27), signer()) else {
        return;
    };
    let wait = km.publish(&samples::wait_time()).await;
    let (award, _) = km.award(&wait, "ana.ruiz@kmsd.edu").await;
    // 20,000 terms (about 1 MB) in an inline context; an earlier release spent most of a
    // minute of CPU on such a request and cached the result.
    let terms: serde_json::Map<String, Value> = (0..20_000)
        .map(|i| (format!("t{i}"), json!(format!("https://example.org/v#{i}"))))
        .collect();
    let mut doc = award.clone();
    doc["@context"] = json!([
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        terms
    ]);
    let reply = km
        .send(
            "POST",
            "/api/v1/verify",
            None,
            serde_json::to_vec(&doc).expect("json"),
        )
        .await;
    // The test node's body limit is 256 KiB: refused as too large before parsing...
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    // ...and one that fits is refused by the inline-context bound.
    let terms: serde_json::Map<String, Value> = (0..2_000)
        .map(|i| (format!("t{i}"), json!(format!("https://example.org/v#{i}"))))
        .collect();
    doc["@context"][2] = Value::Object(terms);
    let signed = sign(&di, &SigningKey::from_bytes(&[27; 32]), doc);
    let c = &verified(&km, &signed).await;
    assert_eq!(check(c, "proof")["code"], "too-large", "{c}");
}

/// Found by fuzzing offline bundles: an IRI with a percent-encoded byte that is not UTF-8
/// (`%d8`, valid in an IRI) panicked JSON-LD expansion when it hashed the node. Such a badge,
/// signed, now verifies like any other, and with its signature broken it is invalid for that.
#[tokio::test]
async fn a_badge_with_a_non_utf8_percent_encoded_iri_is_judged_not_a_panic() {
    let (Some(km), Some(di)) = (node("Kettle Moraine School District", 28), signer()) else {
        return;
    };
    let wait = km.publish(&samples::wait_time()).await;
    let (award, _) = km.award(&wait, "ana.ruiz@kmsd.edu").await;
    let mut doc = award.clone();
    doc["evidence"] = json!([{"id": "https://portfolio.kmsd.edu/ana/%d8%ff", "type": ["Evidence"], "name": "Lesson video"}]);
    // As the district signed it: the proof no longer covers it.
    let c = verified(&km, &doc).await;
    assert_eq!(c["verdict"], "invalid", "{c}");
    assert_eq!(check(&c, "proof")["status"], "fail", "{c}");
    // Signed by a stranger over the odd IRI: the proof holds; the issuer is unknown.
    let signed = sign(&di, &SigningKey::from_bytes(&[28; 32]), doc);
    let c = verified(&km, &signed).await;
    assert_eq!(check(&c, "proof")["status"], "pass", "{c}");
    // Still serving, and still verifying.
    let reply = km.post("/api/v1/verify", &award).await.json();
    assert_eq!(report(&reply)["verdict"], "valid");
}
