//! What the server itself answers: problem+json for every error it produces, bounded metric
//! labels, security headers, the Bearer scheme in any case.

use axum::http::StatusCode;
use credreg_tests::{conformance, contexts, samples, TestNode};
use serde_json::json;

fn node(seed: u8) -> TestNode {
    // The contract holds without the Open Badges context too.
    let store = match conformance() {
        Some(dir) => contexts(&dir),
        None => credreg_proof::ContextStore::with_builtins(),
    };
    TestNode::new("Baltimore County Public Schools", seed, store)
}

#[tokio::test]
async fn framework_errors_are_problems() {
    let n = node(41);
    // 405, with the methods that are allowed.
    let r = n.send("DELETE", "/api/v1/verify", None, Vec::new()).await;
    r.assert_problem(StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed");
    // 414.
    let long = format!("/api/v1/credentials?q={}", "a".repeat(9 * 1024));
    n.get(&long)
        .await
        .assert_problem(StatusCode::URI_TOO_LONG, "uri-too-long");
    // 431.
    let names: Vec<String> = (0..70).map(|i| format!("x-filler-{i}")).collect();
    let headers: Vec<(&str, &str)> = names.iter().map(|k| (k.as_str(), "1")).collect();
    n.send_with("GET", "/healthz", &headers, Vec::new())
        .await
        .assert_problem(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers-too-large",
        );
    // A path that is not UTF-8 once decoded.
    n.get("/api/v1/awards/%FF%FE")
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "malformed-request");
    // 413 for an oversized body, 400 for a non-JSON one.
    n.send("POST", "/api/v1/verify", None, vec![b' '; 300 * 1024])
        .await
        .assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large");
    n.send("POST", "/api/v1/verify", None, b"{not json".to_vec())
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "malformed-request");
}

#[tokio::test]
async fn bearer_is_case_insensitive() {
    let n = node(42);
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let auth = format!("{scheme} {}", n.admin);
        let r = n
            .send_with(
                "POST",
                "/api/v1/credentials",
                &[("authorization", auth.as_str())],
                b"{}".to_vec(),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{scheme}");
    }
    let r = n
        .send_with(
            "POST",
            "/api/v1/credentials",
            &[("authorization", "Basic YWRtaW46YWRtaW4=")],
            b"{}".to_vec(),
        )
        .await;
    r.assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn many_methods_do_not_grow_metrics() {
    let n = node(43);
    let size = |text: &str| text.len();
    n.send("BREW", "/healthz", None, Vec::new()).await;
    let before = String::from_utf8(n.get("/metrics").await.body).expect("text");
    for i in 0..500 {
        n.send(&format!("M{i}"), "/healthz", None, Vec::new()).await;
    }
    let after = String::from_utf8(n.get("/metrics").await.body).expect("text");
    assert!(after.contains("method=\"other\""), "{after}");
    assert!(!after.contains("method=\"M1\""));
    // Only counters changed: the text grows by a few digits, not by 500 series.
    assert!(
        size(&after) < size(&before) + 200,
        "{} -> {}",
        size(&before),
        size(&after)
    );
}

#[tokio::test]
async fn html_answers_carry_a_content_security_policy() {
    let Some(_) = conformance() else { return };
    let n = node(44);
    let wait = n.publish(&samples::wait_time()).await;
    let (award, _) = n.award(&wait, "dana@bcps.org").await;
    let body = serde_json::to_vec(&json!({"credentials": [award]})).expect("json");
    let res = n
        .send_with(
            "POST",
            "/api/v1/transfer-reports",
            &[("accept", "text/html")],
            body,
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.content_type.starts_with("text/html"));
    let csp = res.headers.get("content-security-policy").expect("CSP");
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(!csp.contains("script-src"), "{csp}");
    for r in [&res, &n.get("/healthz").await] {
        assert_eq!(
            r.headers.get("x-content-type-options").map(String::as_str),
            Some("nosniff")
        );
        assert!(r.headers.contains_key("referrer-policy"));
    }
}
