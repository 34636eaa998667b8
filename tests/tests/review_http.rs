//! The review workflow over HTTP: a coordinator (the admin token) invites a teacher and two
//! reviewers, each signs in with the code from the outbox, the teacher submits evidence, the
//! reviewers score it blind, and the pass issues a badge that verifies. Every refusal is
//! problem+json and changes nothing.

use axum::http::StatusCode;
use credreg_tests::{conformance, contexts, TestNode};
use serde_json::{json, Value};

fn definition() -> Value {
    json!({
        "name": "Checking for Understanding",
        "description": "Uses quick formative checks to adjust instruction within a lesson.",
        "criteria": {"narrative": "Submit a lesson plan with three checks and a reflection."},
        "rubric": {"criteria": [
            {"name": "Lesson plan", "levels": [{"name": "Not yet"}, {"name": "Proficient", "passing": true}]},
            {"name": "Reflection", "levels": [{"name": "Not yet"}, {"name": "Proficient", "passing": true}]}
        ]},
        "review_policy": {"reviewers": 2, "tiebreak": true}
    })
}

async fn sign_in(n: &TestNode, email: &str) -> String {
    let outbox = n
        .send("GET", "/api/v1/outbox", Some(&n.admin), Vec::new())
        .await;
    assert_eq!(outbox.status, StatusCode::OK);
    let messages = outbox.json()["messages"]
        .as_array()
        .expect("messages")
        .clone();
    let body = messages
        .iter()
        .rev()
        .find(|m| m["to"] == email)
        .and_then(|m| m["body"].as_str())
        .expect("a message to the person")
        .to_owned();
    let code = body
        .split_whitespace()
        .find(|w| w.starts_with("crl_"))
        .expect("a code");
    let r = n.post("/api/v1/sessions", &json!({ "code": code })).await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    r.json()["token"].as_str().expect("token").to_owned()
}

async fn invite(n: &TestNode, name: &str, email: &str, school: &str, role: &str) -> String {
    let r = n
        .post_admin(
            "/api/v1/people",
            &json!({"name": name, "email": email, "school": school, "roles": [role]}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    sign_in(n, email).await
}

async fn call(
    n: &TestNode,
    method: &str,
    path: &str,
    token: &str,
    body: Value,
) -> credreg_tests::Reply {
    n.send(method, path, Some(token), body.to_string().into_bytes())
        .await
}

#[tokio::test]
async fn a_submission_is_reviewed_blind_and_its_pass_issues_a_badge() {
    let Some(dir) = conformance() else { return };
    let n = TestNode::new("Kettle Moraine School District", 51, contexts(&dir));
    let def = n.publish(&definition()).await;
    let teacher = invite(
        &n,
        "Maya Lindqvist",
        "maya.lindqvist@kmsd.edu",
        "Kettle Moraine High",
        "teacher",
    )
    .await;
    let tomas = invite(
        &n,
        "Tomas Greer",
        "tomas.greer@kmsd.edu",
        "Cushing Elementary",
        "reviewer",
    )
    .await;
    let ruth = invite(
        &n,
        "Ruth Okafor",
        "ruth.okafor@kmsd.edu",
        "Dousman Elementary",
        "reviewer",
    )
    .await;

    // Who may call what.
    n.send("GET", "/api/v1/reviews", None, Vec::new())
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    n.send(
        "GET",
        "/api/v1/reviews",
        Some("crs_not-a-session"),
        Vec::new(),
    )
    .await
    .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    n.send("GET", "/api/v1/reviews", Some(&n.reviewer), Vec::new())
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    call(&n, "GET", "/api/v1/reviews", &teacher, Value::Null)
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    call(&n, "GET", "/api/v1/people", &teacher, Value::Null)
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");

    let r = call(
        &n,
        "POST",
        "/api/v1/submissions",
        &teacher,
        json!({"credential_id": def}),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    let id = r.json()["id"].as_str().expect("id").to_owned();
    // Bad evidence: 422 naming the field; the draft stays empty.
    call(
        &n,
        "POST",
        &format!("/api/v1/submissions/{id}/items"),
        &teacher,
        json!({"kind": "link", "url": "ftp://x", "name": "x"}),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid-input");
    call(
        &n,
        "POST",
        &format!("/api/v1/submissions/{id}/items"),
        &teacher,
        json!({"kind": "video"}),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid-input");
    let r = call(
        &n,
        "GET",
        &format!("/api/v1/submissions/{id}"),
        &teacher,
        Value::Null,
    )
    .await;
    assert_eq!(r.json()["items"], json!([]));
    for item in [
        json!({"kind": "link", "url": "https://portfolio.kmsd.edu/maya/checks", "name": "Lesson plan with three checks"}),
        json!({"kind": "reflection", "text": "The exit tickets changed my second period."}),
    ] {
        let r = call(
            &n,
            "POST",
            &format!("/api/v1/submissions/{id}/items"),
            &teacher,
            item,
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&r.body)
        );
    }
    let r = call(
        &n,
        "POST",
        &format!("/api/v1/submissions/{id}/submit"),
        &teacher,
        Value::Null,
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(r.json()["reviews_assigned"], 2);
    // A reviewer cannot read the teacher's submission directly.
    call(
        &n,
        "GET",
        &format!("/api/v1/submissions/{id}"),
        &tomas,
        Value::Null,
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");

    for (reviewer, comment) in [(&tomas, "Clear checks."), (&ruth, "Good reflection.")] {
        let q = call(&n, "GET", "/api/v1/reviews", reviewer, Value::Null).await;
        let text = String::from_utf8_lossy(&q.body).into_owned();
        for secret in ["Maya", "Lindqvist", "maya.lindqvist", "Kettle Moraine High"] {
            assert!(!text.contains(secret), "the queue shows {secret}: {text}");
        }
        let review = q.json()["reviews"][0]["review_id"]
            .as_str()
            .expect("a review")
            .to_owned();
        call(
            &n,
            "POST",
            &format!("/api/v1/reviews/{review}/scores"),
            reviewer,
            json!({"scores": [{"level": 5}]}),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid-input");
        let r = call(
            &n,
            "POST",
            &format!("/api/v1/reviews/{review}/scores"),
            reviewer,
            json!({"scores": [{"level": 1, "comment": comment}, {"level": 1}]}),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&r.body)
        );
        call(
            &n,
            "POST",
            &format!("/api/v1/reviews/{review}/scores"),
            reviewer,
            json!({"scores": [{"level": 1}, {"level": 1}]}),
        )
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");
    }
    let r = call(
        &n,
        "GET",
        &format!("/api/v1/submissions/{id}"),
        &teacher,
        Value::Null,
    )
    .await;
    let s = r.json();
    assert_eq!(s["state"], "decided");
    assert_eq!(s["decision"]["outcome"], "pass");
    let award_id = s["decision"]["award_id"]
        .as_str()
        .expect("award")
        .to_owned();
    let award = n.get(&format!("/api/v1/awards/{award_id}")).await;
    assert_eq!(award.status, StatusCode::OK);
    let report = n.post("/api/v1/verify", &award.json()).await;
    assert_eq!(
        report.json()["credentials"][0]["verdict"],
        "valid",
        "{}",
        report.json()
    );
    // The evidence link in the badge is private: its teacher reads it, the public does not.
    let link = award.json()["evidence"][0]["id"]
        .as_str()
        .expect("link")
        .to_owned();
    let path = link.split_once(".test").expect("node url").1.to_owned();
    let r = call(&n, "GET", &path, &teacher, Value::Null).await;
    assert_eq!(r.json()["name"], "Lesson plan with three checks");
    n.get(&path)
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    call(&n, "GET", &path, &tomas, Value::Null)
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    // The coordinator reads the figures and publishes them.
    let f = n
        .send(
            "GET",
            &format!("/api/v1/credentials/{def}/review-figures"),
            Some(&n.admin),
            Vec::new(),
        )
        .await;
    assert_eq!(f.json()["statistics"]["percent_agreement"], 1.0);
    let published = n
        .send(
            "POST",
            &format!("/api/v1/credentials/{def}/review-statistics"),
            Some(&n.admin),
            Vec::new(),
        )
        .await;
    assert_eq!(published.status, StatusCode::CREATED);
    assert_eq!(published.json()["record"]["type"], "ReviewStatistics");
}

#[tokio::test]
async fn sign_in_answers_the_same_for_unknown_addresses_and_codes_work_once() {
    let Some(dir) = conformance() else { return };
    let n = TestNode::new("Juab School District", 52, contexts(&dir));
    let r = n
        .post("/api/v1/sign-in", &json!({"email": "nobody@example.org"}))
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let r2 = n
        .post_admin(
            "/api/v1/people",
            &json!({"name": "Ana Ruiz", "email": "ana.ruiz@juab.k12.ut.us", "roles": ["teacher"]}),
        )
        .await;
    assert_eq!(r2.status, StatusCode::CREATED);
    let known = n
        .post(
            "/api/v1/sign-in",
            &json!({"email": "ana.ruiz@juab.k12.ut.us"}),
        )
        .await;
    assert_eq!(
        (known.status, known.body.clone()),
        (r.status, r.body.clone()),
        "same answer"
    );
    let token = sign_in(&n, "ana.ruiz@juab.k12.ut.us").await;
    assert!(token.starts_with("crs_"));
    n.post("/api/v1/sessions", &json!({"code": "crl_0000"}))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    n.post(
        "/api/v1/sessions",
        &json!({"email": "ana.ruiz@juab.k12.ut.us"}),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid-input");
    n.post("/api/v1/sessions", &json!({"code": 5}))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid-input");
    let s = call(&n, "GET", "/api/v1/sessions", &token, Value::Null).await;
    let sid = s.json()["sessions"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(
        call(
            &n,
            "DELETE",
            &format!("/api/v1/sessions/{sid}"),
            &token,
            Value::Null
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    call(&n, "GET", "/api/v1/sessions", &token, Value::Null)
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
}
