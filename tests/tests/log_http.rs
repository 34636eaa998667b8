//! The Merkle log over HTTP, checked the way an outside program would: from the served
//! checkpoint, entries and proofs alone, with `credreg-log`'s verifiers.

use axum::http::StatusCode;
use base64::Engine as _;
use credreg_log::{verify_consistency, verify_inclusion, Hash, MemoryLog};
use credreg_tests::{conformance, contexts, samples, TestNode};
use serde_json::{json, Value};

fn hash(v: &Value) -> Hash {
    let bytes = hex::decode(v.as_str().expect("hex string")).expect("hex");
    bytes.try_into().expect("32 bytes")
}

fn hashes(v: &Value) -> Vec<Hash> {
    v.as_array().expect("array").iter().map(hash).collect()
}

async fn all_entries(n: &TestNode, issuer: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let page = n
            .get(&format!("/api/v1/log/{issuer}/entries?from={}", out.len()))
            .await
            .json();
        let entries = page["entries"].as_array().expect("entries").clone();
        if entries.is_empty() {
            return out;
        }
        for e in entries {
            assert_eq!(e["index"], out.len() as u64);
            out.push(
                base64::engine::general_purpose::STANDARD
                    .decode(e["data"].as_str().expect("data"))
                    .expect("base64"),
            );
        }
    }
}

/// Checks the served checkpoint's signature and that the served entries hash to its root.
async fn audit(n: &TestNode) -> Value {
    let did = n.node.did().to_owned();
    let cp = n.get(&format!("/api/v1/log/{did}/checkpoint")).await.json();
    let expected_message = format!(
        "credreg-checkpoint/v1\n{did}\n{}\n{}\n{}\n",
        cp["size"],
        cp["root"].as_str().expect("root"),
        cp["timestamp"]
    );
    assert_eq!(cp["signed_message"], expected_message.as_str());
    let key = credreg_proof::VerifyingKey::from_bytes(&hash(&cp["key"])).expect("key");
    let sig: [u8; 64] = hex::decode(cp["signature"].as_str().expect("sig"))
        .expect("hex")
        .try_into()
        .expect("64 bytes");
    key.verify_strict(
        expected_message.as_bytes(),
        &ed25519_dalek::Signature::from_bytes(&sig),
    )
    .expect("checkpoint signature verifies");
    assert_eq!(cp["signer"], did.as_str(), "signed by the issuer's own key");

    let entries = all_entries(n, &did).await;
    assert_eq!(entries.len() as u64, cp["size"].as_u64().expect("size"));
    let mut log = MemoryLog::new();
    for e in &entries {
        log.append(e);
    }
    assert_eq!(log.root_at(entries.len() as u64), Some(hash(&cp["root"])));
    cp
}

#[tokio::test]
async fn log_is_auditable_from_the_outside() {
    let Some(dir) = conformance() else { return };
    let n = TestNode::new("Juab School District", 21, contexts(&dir));
    let did = n.node.did().to_owned();
    let wait = n.publish(&samples::wait_time()).await;
    let (first, _) = n.award(&wait, "a@juab.org").await;
    let early = audit(&n).await;

    // More writes: definitions, stacks, awards and a revocation all go into the log.
    let growth = n.publish(&samples::growth_mindset()).await;
    let r = n
        .post_admin("/api/v1/stacks", &json!({"name": "Juab Core Two", "rule": {"kind": "all_of"}, "credentials": [wait, growth]}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let (second, _) = n.award(&growth, "b@juab.org").await;
    let id = second["id"].as_str().expect("id");
    let r = n
        .post_admin(
            &format!("/api/v1/awards/{id}/revoke"),
            &json!({"reason": "issued to the wrong teacher"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let late = audit(&n).await;
    // profile, def, receipt | def, stack, receipt, revocation
    assert_eq!(
        (early["size"].as_u64(), late["size"].as_u64()),
        (Some(3), Some(7))
    );

    // The early checkpoint is a prefix of the late one.
    let c = n
        .get(&format!(
            "/api/v1/log/{did}/proof/consistency?from={}",
            early["size"]
        ))
        .await
        .json();
    assert_eq!(c["to"], late["size"]);
    verify_consistency(
        3,
        7,
        &hash(&early["root"]),
        &hash(&late["root"]),
        &hashes(&c["proof"]),
    )
    .expect("consistent");

    // Every entry's inclusion proof verifies against the late root; one by record id.
    let entries = all_entries(&n, &did).await;
    for (i, e) in entries.iter().enumerate() {
        let p = n
            .get(&format!("/api/v1/log/{did}/proof/inclusion?index={i}"))
            .await
            .json();
        assert_eq!(hash(&p["leaf_hash"]), credreg_log::leaf_hash(e));
        verify_inclusion(
            &credreg_log::leaf_hash(e),
            i as u64,
            7,
            &hashes(&p["proof"]),
            &hash(&late["root"]),
        )
        .expect("included");
    }
    let receipt_id = credreg_model::record_id(&entries[2]);
    let p = n
        .get(&format!(
            "/api/v1/log/{did}/proof/inclusion?record={receipt_id}&size=3"
        ))
        .await
        .json();
    assert_eq!(
        (p["index"].as_u64(), p["size"].as_u64()),
        (Some(2), Some(3))
    );
    assert_eq!(p["root"], early["root"]);
    let record5 = credreg_model::record_id(&entries[5]);
    let p = n
        .get(&format!(
            "/api/v1/log/{did}/proof/inclusion?record={record5}"
        ))
        .await
        .json();
    assert_eq!(p["index"].as_u64(), Some(5));
    // Unknown query parameters are refused (leaf_hash lookups are not offered).
    n.get(&format!("/api/v1/log/{did}/proof/inclusion?leaf_hash=00"))
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "malformed-request");
    // The receipt is PII-free and names the award.
    let receipt: Value = serde_json::from_slice(&entries[2]).expect("json");
    assert_eq!(receipt["type"], "AwardReceipt");
    assert_eq!(receipt["body"]["award_id"], first["id"]);
    assert!(!String::from_utf8_lossy(&entries[2]).contains("a@juab.org"));

    // Verification now includes the log.
    let report = n.post("/api/v1/verify", &first).await.json();
    let logged = report["credentials"][0]["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["check"] == "logged")
        .expect("logged check")
        .clone();
    assert_eq!(logged["status"], "pass", "{logged}");
    assert_eq!(report["credentials"][0]["verdict"], "valid");

    // Bad questions get problems.
    n.get(&format!("/api/v1/log/{did}/entries?from=9&to=3"))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid-input");
    n.get(&format!("/api/v1/log/{did}/proof/inclusion?index=7"))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid-input");
    n.get(&format!(
        "/api/v1/log/{did}/proof/inclusion?index=1&size=99"
    ))
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid-input");
    n.get(&format!("/api/v1/log/{did}/proof/inclusion"))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid-input");
    n.get(&format!("/api/v1/log/{did}/proof/consistency?from=0"))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid-input");
    n.get(&format!("/api/v1/log/{did}/proof/consistency?from=abc"))
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "malformed-request");
    n.get("/api/v1/log/did:key:z6MkNobody/checkpoint")
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    n.get("/api/v1/log/did:key:z6MkNobody/proof/consistency?from=1")
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    assert_eq!(
        n.get("/api/v1/log/did:key:z6MkNobody/entries").await.json()["entries"],
        json!([])
    );
}

#[tokio::test]
async fn restart_keeps_the_log_and_extends_it() {
    let Some(dir) = conformance() else { return };
    let data = tempfile::tempdir().expect("tempdir");
    let db = data.path().join("db");
    let before = {
        let n = TestNode::over(
            credreg_store::Store::open(&db).expect("store"),
            "Lake County Schools",
            22,
            contexts(&dir),
            None,
        );
        let wait = n.publish(&samples::wait_time()).await;
        for i in 0..5 {
            n.award(&wait, &format!("t{i}@lake.k12.fl.us")).await;
        }
        audit(&n).await
    };
    let n = TestNode::over(
        credreg_store::Store::open(&db).expect("reopen"),
        "Lake County Schools",
        22,
        contexts(&dir),
        None,
    );
    let did = n.node.did().to_owned();
    let after_restart = audit(&n).await;
    assert_eq!(
        after_restart, before,
        "a restart neither changes nor re-signs the checkpoint"
    );
    let wait = n
        .get(&format!("/api/v1/credentials?issuer={did}"))
        .await
        .json()["items"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    n.award(&wait, "new@lake.k12.fl.us").await;
    let extended = audit(&n).await;
    assert_eq!(
        extended["size"].as_u64(),
        Some(before["size"].as_u64().expect("size") + 1)
    );
    let c = n
        .get(&format!(
            "/api/v1/log/{did}/proof/consistency?from={}",
            before["size"]
        ))
        .await
        .json();
    verify_consistency(
        before["size"].as_u64().expect("size"),
        extended["size"].as_u64().expect("size"),
        &hash(&before["root"]),
        &hash(&extended["root"]),
        &hashes(&c["proof"]),
    )
    .expect("the new checkpoint extends the old one");
}
