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
    // A hiring principal following the link is told to ask; the teacher decides.
    let p = n
        .get(&path)
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    assert!(
        p["detail"]
            .as_str()
            .expect("detail")
            .contains("access-requests"),
        "{p}"
    );
    call(&n, "GET", &path, &tomas, Value::Null)
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let ask = n
        .post(
            &format!("{path}/access-requests"),
            &json!({"name": "Dr. Ines Ortiz", "email": "ortiz@lake.k12.fl.us", "reason": "Hiring for a math position."}),
        )
        .await;
    assert_eq!(
        ask.status,
        StatusCode::ACCEPTED,
        "{}",
        String::from_utf8_lossy(&ask.body)
    );
    n.post(
        &format!("{path}/access-requests"),
        &json!({"name": "x", "email": "nope", "reason": "r"}),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid-input");
    let list = call(
        &n,
        "GET",
        &format!("/api/v1/submissions/{id}/access-requests"),
        &teacher,
        Value::Null,
    )
    .await;
    assert!(list.json()["requests"][0].get("token_hash").is_none());
    let request = list.json()["requests"][0]["id"]
        .as_str()
        .expect("request")
        .to_owned();
    let decide = format!("/api/v1/submissions/{id}/access-requests/{request}/decision");
    call(&n, "POST", &decide, &tomas, json!({"grant": true}))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let r = call(&n, "POST", &decide, &teacher, json!({"grant": true})).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    let outbox = n
        .send("GET", "/api/v1/outbox", Some(&n.admin), Vec::new())
        .await
        .json();
    let mail = outbox["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .rev()
        .find(|m| m["to"] == "ortiz@lake.k12.fl.us")
        .expect("the principal is mailed")
        .clone();
    let link = mail["body"]
        .as_str()
        .expect("body")
        .split_whitespace()
        .find(|w| w.contains("share="))
        .expect("a share link")
        .to_owned();
    let shared = link.split_once(".test").expect("node url").1.to_owned();
    let got = n.get(&shared).await;
    assert_eq!(
        got.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&got.body)
    );
    assert_eq!(got.json()["name"], "Lesson plan with three checks");
    n.get(&format!("{path}?share=crx_forged"))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    n.get(&shared.replace("/evidence/0?", "/evidence/1?"))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    call(&n, "POST", &decide, &teacher, json!({"grant": false}))
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");
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

/// Files in the evidence directory (uploads' temporary files included).
fn stored_files(n: &TestNode) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(n.evidence.path())
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

async fn upload(
    n: &TestNode,
    token: &str,
    id: &str,
    name: &str,
    bytes: Vec<u8>,
    length: Option<usize>,
) -> credreg_tests::Reply {
    let auth = format!("Bearer {token}");
    let len = length.unwrap_or(bytes.len()).to_string();
    let path = format!("/api/v1/submissions/{id}/files?name={name}");
    n.send_with(
        "POST",
        &path,
        &[("authorization", &auth), ("content-length", &len)],
        bytes,
    )
    .await
}

#[tokio::test]
async fn evidence_files_are_streamed_typed_bounded_and_served_only_as_downloads() {
    let Some(dir) = conformance() else { return };
    let n = TestNode::new("Kettle Moraine School District", 53, contexts(&dir));
    let def = n.publish(&definition()).await;
    let teacher = invite(
        &n,
        "Maya Lindqvist",
        "maya.lindqvist@kmsd.edu",
        "Kettle Moraine High",
        "teacher",
    )
    .await;
    let other = invite(
        &n,
        "Ben Strand",
        "ben.strand@kmsd.edu",
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
    let _ruth = invite(
        &n,
        "Ruth Okafor",
        "ruth.okafor@kmsd.edu",
        "Dousman Elementary",
        "reviewer",
    )
    .await;
    let r = call(
        &n,
        "POST",
        "/api/v1/submissions",
        &teacher,
        json!({"credential_id": def}),
    )
    .await;
    let id = r.json()["id"].as_str().expect("id").to_owned();
    let mut pdf = b"%PDF-1.7\n% lesson plan with three checks\n".to_vec();
    pdf.extend(std::iter::repeat_n(b'x', 100_000));

    // Refused, each with nothing left behind and the draft unchanged.
    let items = |r: credreg_tests::Reply| r.json()["items"].as_array().map(Vec::len);
    upload(&n, &other, &id, "plan.pdf", pdf.clone(), None)
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    upload(
        &n,
        &teacher,
        &id,
        "big.pdf",
        vec![b'%'; 5 * 1024 * 1024],
        None,
    )
    .await
    .assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large");
    upload(
        &n,
        &teacher,
        &id,
        "page.html",
        b"<html><script>alert(1)</script></html>".to_vec(),
        None,
    )
    .await
    .assert_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type");
    upload(
        &n,
        &teacher,
        &id,
        "tool.exe",
        [b"MZ".as_slice(), &[0x90; 200]].concat(),
        None,
    )
    .await
    .assert_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type");
    upload(
        &n,
        &teacher,
        &id,
        "cut.pdf",
        pdf[..5_000].to_vec(),
        Some(pdf.len()),
    )
    .await
    .assert_problem(StatusCode::BAD_REQUEST, "malformed-request");
    upload(&n, &teacher, &id, "empty.txt", Vec::new(), None)
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid-input");
    assert!(
        stored_files(&n).is_empty(),
        "left behind: {:?}",
        stored_files(&n)
    );
    assert_eq!(
        items(
            call(
                &n,
                "GET",
                &format!("/api/v1/submissions/{id}"),
                &teacher,
                Value::Null
            )
            .await
        ),
        Some(0)
    );
    // A client cannot claim a file by JSON.
    call(&n, "POST", &format!("/api/v1/submissions/{id}/items"), &teacher,
        json!({"kind": "file", "name": "x", "digest": "00".repeat(32), "media_type": "application/pdf", "size": 1}))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid-input");

    // Accepted: stored once under its digest, typed from its bytes.
    let r = upload(&n, &teacher, &id, "plan.pdf", pdf.clone(), None).await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    let item = r.json()["items"][0].clone();
    assert_eq!(item["kind"], "file");
    assert_eq!(item["media_type"], "application/pdf");
    assert_eq!(item["size"], pdf.len());
    assert_eq!(item["digest"], blake3::hash(&pdf).to_hex().to_string());
    assert_eq!(
        stored_files(&n),
        vec![blake3::hash(&pdf).to_hex().to_string()]
    );
    let r = upload(
        &n,
        &teacher,
        &id,
        "reflection.txt",
        "I regrouped after the exit tickets.".as_bytes().to_vec(),
        None,
    )
    .await;
    assert_eq!(r.json()["items"][1]["media_type"], "text/plain");

    // Served back as a download only.
    let got = call(
        &n,
        "GET",
        &format!("/api/v1/submissions/{id}/evidence/0"),
        &teacher,
        Value::Null,
    )
    .await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body, pdf);
    assert_eq!(got.content_type, "application/octet-stream");
    assert!(got.headers["content-disposition"].starts_with("attachment"));
    assert!(got.headers["content-security-policy"].contains("sandbox"));
    assert_eq!(got.headers["x-content-type-options"], "nosniff");
    call(
        &n,
        "GET",
        &format!("/api/v1/submissions/{id}/evidence/0"),
        &other,
        Value::Null,
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    // Its reviewers read it once it is submitted.
    call(
        &n,
        "POST",
        &format!("/api/v1/submissions/{id}/submit"),
        &teacher,
        Value::Null,
    )
    .await;
    let q = call(&n, "GET", "/api/v1/reviews", &tomas, Value::Null).await;
    let review = q.json()["reviews"][0]["review_id"]
        .as_str()
        .expect("assigned")
        .to_owned();
    let got = call(
        &n,
        "GET",
        &format!("/api/v1/reviews/{review}/evidence/0"),
        &tomas,
        Value::Null,
    )
    .await;
    assert_eq!(got.body, pdf);
    call(
        &n,
        "GET",
        &format!("/api/v1/reviews/{review}/evidence/0"),
        &teacher,
        Value::Null,
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");
}

#[tokio::test]
async fn a_roster_is_invited_whole_or_not_at_all() {
    let Some(dir) = conformance() else { return };
    let n = TestNode::new("Lake County Schools", 54, contexts(&dir));
    let roster = |rows: &str| format!("name,email,school,roles\n{rows}").into_bytes();
    let bad = roster(
        "Rosa Diaz,rosa.diaz@lake.k12.fl.us,Umatilla Elementary,teacher\nSam Park,not-an-address,Tavares Middle,reviewer\nLi Wen,rosa.diaz@lake.k12.fl.us,,teacher;reviewer\n",
    );
    let r = n
        .send("POST", "/api/v1/people/roster", Some(&n.admin), bad)
        .await;
    let p = r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid-input");
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, ["[1].email", "[2].email"], "{p}");
    let people = n
        .send("GET", "/api/v1/people", Some(&n.admin), Vec::new())
        .await;
    assert_eq!(people.json()["people"], json!([]), "nothing stored");
    n.send(
        "POST",
        "/api/v1/people/roster",
        Some(&n.admin),
        roster("Rosa Diaz,rosa.diaz@lake.k12.fl.us,,coach\n"),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid-input");
    let good = roster(
        "Rosa Diaz,rosa.diaz@lake.k12.fl.us,Umatilla Elementary,teacher\nSam Park,sam.park@lake.k12.fl.us,Tavares Middle,reviewer\nLi Wen,li.wen@lake.k12.fl.us,,teacher;reviewer\n",
    );
    let r = n
        .send("POST", "/api/v1/people/roster", Some(&n.admin), good)
        .await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(r.json()["people"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        r.json()["people"][2]["roles"],
        json!(["teacher", "reviewer"])
    );
    // Each can sign in with the code the invitation carries.
    sign_in(&n, "li.wen@lake.k12.fl.us").await;
}
