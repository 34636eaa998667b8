//! One node over HTTP (router in-process): publish, search, issue, fetch, revoke, verify;
//! bad requests change nothing; a restart keeps everything.

use axum::http::StatusCode;
use credreg_tests::{conformance, contexts, samples, TestNode};
use serde_json::{json, Value};

fn node(name: &str, seed: u8) -> Option<TestNode> {
    let dir = conformance()?;
    Some(TestNode::new(name, seed, contexts(&dir)))
}

fn verdicts(report: &Value) -> Vec<String> {
    report["credentials"]
        .as_array()
        .expect("credentials")
        .iter()
        .map(|c| c["verdict"].as_str().expect("verdict").to_owned())
        .collect()
}

#[tokio::test]
async fn catalog_award_revoke_verify() {
    let Some(km) = node("Kettle Moraine School District", 1) else {
        return;
    };

    // Publish and search.
    let wait = km.publish(&samples::wait_time()).await;
    let growth = km.publish(&samples::growth_mindset()).await;
    let found = km.get("/api/v1/credentials?q=wait%20question").await.json();
    assert_eq!(found["total"], 1);
    assert_eq!(found["items"][0]["id"], wait.as_str());
    let all = km.get("/api/v1/credentials").await.json();
    assert_eq!(all["total"], 2);
    let by_issuer = km
        .get(&format!("/api/v1/credentials?issuer={}", km.node.did()))
        .await
        .json();
    assert_eq!(by_issuer["total"], 2);
    let one = km
        .get(&format!("/api/v1/credentials/{growth}"))
        .await
        .json();
    assert_eq!(one["definition"]["local_value"]["unit"], "in_service_hours");
    assert_eq!(one["record"]["proof"]["cryptosuite"], "eddsa-jcs-2022");

    // A stack of both.
    let stack = km
        .post_admin(
            "/api/v1/stacks",
            &json!({"name": "Classroom Discourse", "rule": {"kind": "all_of"}, "credentials": [wait, growth], "value": {"amount": 600, "unit": "dollars"}}),
        )
        .await;
    assert_eq!(stack.status, StatusCode::CREATED);
    let stack_id = stack.json()["id"].as_str().expect("id").to_owned();
    assert_eq!(
        km.get(&format!("/api/v1/stacks/{stack_id}")).await.json()["stack"]["name"],
        "Classroom Discourse"
    );

    // Issue, fetch the same bytes.
    let (award, bytes) = km.award(&wait, "ana.ruiz@kmsd.edu").await;
    let id = award["id"].as_str().expect("id");
    assert!(id.starts_with("urn:uuid:"));
    assert_eq!(award["proof"]["cryptosuite"], "eddsa-rdfc-2022");
    assert!(!String::from_utf8_lossy(&bytes).contains("ana.ruiz@kmsd.edu"));
    let fetched = km.get(&format!("/api/v1/awards/{id}")).await;
    assert_eq!(fetched.status, StatusCode::OK);
    assert_eq!(fetched.body, bytes, "served bytes are the issued bytes");

    // Verify: valid.
    let report = km.post("/api/v1/verify", &award).await.json();
    assert_eq!(verdicts(&report), ["valid"]);
    assert_eq!(report["credentials"][0]["issuer"]["status"], "this_node");

    // Tampered: invalid with the signature reason.
    let mut tampered = award.clone();
    tampered["credentialSubject"]["achievement"]["name"] = "Advanced Wait Time".into();
    let report = km.post("/api/v1/verify", &tampered).await.json();
    assert_eq!(verdicts(&report), ["invalid"]);
    assert_eq!(report["credentials"][0]["checks"][1]["code"], "signature");
    assert!(report["credentials"][0]["reason"]
        .as_str()
        .expect("reason")
        .contains("signature"));

    // Revoke: reason required, then revoked, then 409 on repeat.
    let path = format!("/api/v1/awards/{id}/revoke");
    km.post_admin(&path, &json!({}))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid-input");
    let r = km
        .post_admin(
            &path,
            &json!({"reason": "Evidence was submitted by another teacher."}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    km.post_admin(&path, &json!({"reason": "again"}))
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");
    let report = km.post("/api/v1/verify", &award).await.json();
    assert_eq!(verdicts(&report), ["revoked"]);
    assert!(report["credentials"][0]["reason"]
        .as_str()
        .expect("reason")
        .contains("another teacher"));

    // The status list is signed, verifies, and has the award's bit set.
    let list = km.get("/api/v1/status-lists/0").await.json();
    assert_eq!(list["type"][1], "BitstringStatusListCredential");
    let index: u64 = award["credentialStatus"]["statusListIndex"]
        .as_str()
        .expect("index")
        .parse()
        .expect("n");
    let bits = credreg_node::issue::status_list::decode_list(
        list["credentialSubject"]["encodedList"]
            .as_str()
            .expect("list"),
    )
    .expect("decode");
    assert!(bits.len() * 8 >= 131_072);
    assert!(credreg_store::bit_is_set(&bits, index));
    assert_eq!(
        verdicts(&km.post("/api/v1/verify", &list).await.json()),
        ["valid"]
    );
    km.get("/api/v1/status-lists/7")
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");

    // Presentations and lists.
    let (second, _) = km.award(&growth, "ben@kmsd.edu").await;
    let vp = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": [award, second, tampered]
    });
    assert_eq!(
        verdicts(&km.post("/api/v1/verify", &vp).await.json()),
        ["revoked", "valid", "invalid"]
    );
    let list_body = json!({"credentials": [second, {"hello": "world"}]});
    let report = km.post("/api/v1/verify", &list_body).await.json();
    assert_eq!(verdicts(&report), ["valid", "invalid"]);
    assert_eq!(
        report["credentials"][1]["checks"][0]["check"],
        "well_formed"
    );
    assert_eq!(report["summary"]["invalid"], 1);
}

#[tokio::test]
async fn foreign_issuer_is_verified_and_reported_unknown() {
    let Some(juab) = node("Juab School District", 2) else {
        return;
    };
    let Some(lake) = node("Lake County Schools", 3) else {
        return;
    };
    let wait = juab.publish(&samples::wait_time()).await;
    let (award, _) = juab.award(&wait, "t@juab.org").await;
    let report = lake.post("/api/v1/verify", &award).await.json();
    let c = &report["credentials"][0];
    // Genuine, but Juab's status list is on Juab's node, which Lake County neither replicates
    // nor fetches: "could not check", never "valid".
    assert_eq!(c["verdict"], "could_not_check", "{c}");
    assert_eq!(c["issuer"]["status"], "unknown");
    let checks: Vec<(&str, &str)> = c["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|k| {
            (
                k["check"].as_str().expect("c"),
                k["status"].as_str().expect("s"),
            )
        })
        .collect();
    assert_eq!(
        checks,
        [
            ("well_formed", "pass"),
            ("proof", "pass"),
            ("issuer_key", "pass"),
            ("trusted", "warn"),
            ("validity", "pass"),
            ("status", "warn"),
            ("logged", "warn"),
            ("definition", "warn")
        ]
    );
    assert!(c["checks"][5]["reason"]
        .as_str()
        .expect("r")
        .contains("not available"));
}

#[tokio::test]
async fn conformance_credentials_verify_through_the_api() {
    let Some(dir) = conformance() else { return };
    let n = TestNode::new("Seminole County Public Schools", 4, contexts(&dir));
    let signed: Value = serde_json::from_slice(
        &std::fs::read(dir.join("ob3-examples/ldp-test-vector-obv3p0/signed.json"))
            .expect("vector"),
    )
    .expect("json");
    let report = n.post("/api/v1/verify", &signed).await.json();
    assert_eq!(
        report["credentials"][0]["checks"][1]["status"], "pass",
        "{report}"
    );
    let negative =
        dir.join("ob3-examples/dcc-verifier-core-fixtures/safeModeBreaker.NEGATIVE.json");
    // The conformance folder is present (checked above), so the fixture must be too.
    let doc: Value =
        serde_json::from_slice(&std::fs::read(&negative).expect("negative fixture")).expect("json");
    let report = n.post("/api/v1/verify", &doc).await.json();
    assert_eq!(verdicts(&report), ["invalid"]);
    assert_eq!(
        report["credentials"][0]["checks"][1]["code"],
        "undefined-term"
    );
}

#[tokio::test]
async fn bad_requests_get_problems_and_change_nothing() {
    let Some(n) = node("Baltimore County Public Schools", 5) else {
        return;
    };
    let wait = n.publish(&samples::wait_time()).await;
    n.award(&wait, "a@bcps.org").await;
    let before = n.counts();

    // Unauthorized and wrong role.
    n.post("/api/v1/credentials", &samples::growth_mindset())
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    n.send(
        "POST",
        "/api/v1/credentials",
        Some("crt_not-a-real-token"),
        samples::growth_mindset().to_string().into_bytes(),
    )
    .await
    .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    n.send(
        "POST",
        "/api/v1/credentials",
        Some(&n.reviewer),
        samples::growth_mindset().to_string().into_bytes(),
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    n.send(
        "POST",
        "/api/v1/awards/x/revoke",
        Some(&n.reviewer),
        br#"{"reason":"r"}"#.to_vec(),
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");

    // Malformed JSON, wrong shapes, invalid fields (each listed).
    n.send(
        "POST",
        "/api/v1/credentials",
        Some(&n.admin),
        b"{\"name\": ".to_vec(),
    )
    .await
    .assert_problem(StatusCode::BAD_REQUEST, "malformed-request");
    let p = n
        .post_admin(
            "/api/v1/credentials",
            &json!({"criteria": {}, "local_value": {"amount": -5, "unit": "dollars"}}),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid-input");
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("f"))
        .collect();
    assert_eq!(
        fields,
        [
            "name",
            "description",
            "criteria.narrative",
            "local_value.amount"
        ]
    );
    n.post_admin(
        "/api/v1/credentials",
        &json!({"name": "x", "description": "d", "criteria": {"narrative": "n"}, "salary": 1}),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid-input");
    let p = n
        .post_admin(
            "/api/v1/awards",
            &json!({"credential_id": "0".repeat(64), "recipient": {"email": "nope"}}),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid-input");
    assert_eq!(p["errors"].as_array().expect("errors").len(), 2, "{p}");
    n.post_admin(
        "/api/v1/stacks",
        &json!({"name": "s", "rule": {"kind": "any_of", "n": 1}, "credentials": ["a".repeat(64)]}),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid-input");

    // Oversized bodies (limit is 256 KiB in tests).
    let huge =
        json!({"name": "x".repeat(300 * 1024), "description": "d", "criteria": {"narrative": "n"}});
    n.post_admin("/api/v1/credentials", &huge)
        .await
        .assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large");
    n.post("/api/v1/verify", &huge)
        .await
        .assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large");

    // Garbage to verify: not JSON, not an object, too many.
    n.send("POST", "/api/v1/verify", None, b"\xff\xfe garbage".to_vec())
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "malformed-request");
    n.post("/api/v1/verify", &json!([1, 2]))
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "malformed-request");
    n.post(
        "/api/v1/verify",
        &json!({"credentials": vec![json!({}); 101]}),
    )
    .await
    .assert_problem(StatusCode::BAD_REQUEST, "malformed-request");

    // Unknown things.
    n.get("/api/v1/awards/urn:uuid:00000000-0000-0000-0000-000000000000")
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    n.get("/api/v1/credentials/nope")
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    n.get("/no/such/route")
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    n.get("/api/v1/credentials?limit=0")
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "malformed-request");
    n.get("/api/v1/credentials?limit=abc")
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "malformed-request");
    n.post_admin("/api/v1/awards/urn:uuid:0/revoke", &json!({"reason": "r"}))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");

    assert_eq!(n.counts(), before, "failed requests changed nothing");
}

#[tokio::test]
async fn reviewer_issues_and_node_reports_itself() {
    let Some(n) = node("Lake County Schools", 6) else {
        return;
    };
    let wait = n.publish(&samples::wait_time()).await;
    let r = n
        .send(
            "POST",
            "/api/v1/awards",
            Some(&n.reviewer),
            json!({"credential_id": wait, "recipient": {"email": "r@lake.k12.fl.us"}})
                .to_string()
                .into_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let info = n.get("/api/v1/node").await.json();
    assert_eq!(info["name"], "Lake County Schools");
    assert_eq!(info["awards"], 1);
    assert_eq!(info["credentials"], 1);
    assert_eq!(n.get("/healthz").await.json()["status"], "ok");
    let metrics = String::from_utf8(n.get("/metrics").await.body).expect("utf8");
    assert!(
        metrics.contains("credreg_awards_issued_total 1"),
        "{metrics}"
    );
    assert!(metrics.contains("credreg_awards_stored 1"), "{metrics}");
    let api = n.get("/api/v1/openapi.json").await.json();
    for path in [
        "/healthz",
        "/api/v1/node",
        "/api/v1/credentials",
        "/api/v1/credentials/{id}",
        "/api/v1/stacks",
        "/api/v1/stacks/{id}",
        "/api/v1/awards",
        "/api/v1/awards/{id}",
        "/api/v1/awards/{id}/revoke",
        "/api/v1/status-lists/{id}",
        "/api/v1/verify",
        "/metrics",
        "/api/v1/openapi.json",
    ] {
        assert!(api["paths"].get(path).is_some(), "OpenAPI lacks {path}");
    }
}

#[tokio::test]
async fn node_without_badge_context_serves_and_explains() {
    let n = TestNode::new(
        "Arkansas Pilot District",
        7,
        credreg_proof::ContextStore::with_builtins(),
    );
    let health = n.get("/healthz").await.json();
    assert_eq!(health["status"], "degraded");
    assert_eq!(health["missing_contexts"][0], credreg_model::OB_V3);
    assert!(health["hint"]
        .as_str()
        .expect("hint")
        .contains("credreg contexts install"));
    let wait = n.publish(&samples::wait_time()).await;
    let p = n
        .post_admin(
            "/api/v1/awards",
            &json!({"credential_id": wait, "recipient": {"email": "a@b.org"}}),
        )
        .await
        .assert_problem(StatusCode::SERVICE_UNAVAILABLE, "context-missing");
    assert!(p["detail"]
        .as_str()
        .expect("detail")
        .contains(credreg_model::OB_V3));
    assert_eq!(n.counts(), (1, 0));
}

#[tokio::test]
async fn restart_keeps_catalog_awards_and_revocations() {
    let Some(dir) = conformance() else { return };
    let data = tempfile::tempdir().expect("tempdir");
    let (wait, award_id, bytes, revoked_id) = {
        let store = credreg_store::Store::open(&data.path().join("db")).expect("store");
        let n = TestNode::over(store, "Juab School District", 8, contexts(&dir), None);
        let wait = n.publish(&samples::wait_time()).await;
        let (a, bytes) = n.award(&wait, "a@juab.org").await;
        let (b, _) = n.award(&wait, "b@juab.org").await;
        let revoked = b["id"].as_str().expect("id").to_owned();
        let r = n
            .post_admin(
                &format!("/api/v1/awards/{revoked}/revoke"),
                &json!({"reason": "issued in error"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        (
            wait,
            a["id"].as_str().expect("id").to_owned(),
            bytes,
            revoked,
        )
    };
    let store = credreg_store::Store::open(&data.path().join("db")).expect("reopen");
    let n = TestNode::over(store, "Juab School District", 8, contexts(&dir), None);
    assert_eq!(
        n.get(&format!("/api/v1/credentials/{wait}")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        n.get(&format!("/api/v1/awards/{award_id}")).await.body,
        bytes
    );
    let revoked = n.get(&format!("/api/v1/awards/{revoked_id}")).await.json();
    assert_eq!(
        verdicts(&n.post("/api/v1/verify", &revoked).await.json()),
        ["revoked"]
    );
    // New awards continue the status list instead of reusing revoked positions.
    let (c, _) = n.award(&wait, "c@juab.org").await;
    assert_eq!(c["credentialStatus"]["statusListIndex"], "2");
}

/// `POST /api/v1/verify` takes a badge baked into an image (the PNG a badge page offers) and
/// checks it like its JSON; an image without a badge is a 422 that says so.
#[tokio::test]
async fn a_baked_image_is_verified_like_its_json() {
    let Some(n) = node("Juab School District", 2) else {
        return;
    };
    let wait = n.publish(&samples::wait_time()).await;
    let (_, bytes) = n.award(&wait, "t@juab.org").await;
    let text = String::from_utf8(bytes).expect("utf8");
    let png = |chunk: Option<&str>| {
        let mut out = Vec::new();
        {
            let mut e = png::Encoder::new(&mut out, 1, 1);
            e.set_color(png::ColorType::Rgba);
            if let Some(t) = chunk {
                e.add_itxt_chunk("openbadgecredential".into(), t.into())
                    .expect("itxt");
            }
            let mut w = e.write_header().expect("header");
            w.write_image_data(&[0, 0, 0, 0]).expect("pixels");
        }
        out
    };
    let r = n
        .send_with(
            "POST",
            "/api/v1/verify",
            &[("content-type", "image/png")],
            png(Some(&text)),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(r.json()["credentials"][0]["verdict"], "valid");
    let r = n
        .send_with(
            "POST",
            "/api/v1/verify",
            &[("content-type", "image/png")],
            png(None),
        )
        .await;
    let p = r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "no-badge");
    assert!(
        p["detail"]
            .as_str()
            .is_some_and(|d| d.contains("no badge baked into it")),
        "{p}"
    );
}

/// A definition that passes every field's limit but signs to more than other districts accept
/// (a 64 KiB record) is refused when published, naming why, and nothing is logged: logged, it
/// would have stopped every replica of this district's log (and got the district's node
/// blamed for serving it).
#[tokio::test]
async fn a_definition_too_large_to_replicate_is_refused_and_nothing_is_logged() {
    let Some(km) = node("Kettle Moraine School District", 57) else {
        return;
    };
    let level = |i: usize, j: usize| json!({"name": format!("Level {j} of criterion {i}: {}", "observed in the recorded lesson, ".repeat(5)), "passing": j == 9});
    let criteria: Vec<Value> = (0..30)
        .map(|i| json!({"name": format!("Criterion {i}"), "levels": (0..10).map(|j| level(i, j)).collect::<Vec<_>>()}))
        .collect();
    let def = json!({
        "name": "Wait Time After Discussion Questions, the long version",
        "description": "Pauses after questions. ".repeat(400),
        "criteria": {"narrative": "Record a lesson and reflect. ".repeat(340)},
        "rubric": {"criteria": criteria},
        "review_policy": {"reviewers": 1}
    });
    let size_before = km.node.log_size(km.node.did()).expect("size");
    let p = km
        .post_admin("/api/v1/credentials", &def)
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid-input");
    let text = p.to_string();
    assert!(
        text.contains("record") && text.contains("65536 bytes"),
        "{p}"
    );
    assert_eq!(km.node.log_size(km.node.did()).expect("size"), size_before);
    let listed = km.get("/api/v1/credentials").await.json();
    assert!(!listed.to_string().contains("the long version"), "{listed}");
    // A definition of ordinary size still publishes.
    km.publish(&samples::wait_time()).await;
    assert_eq!(
        km.node.log_size(km.node.did()).expect("size"),
        size_before + 1
    );
}
