//! Transfer value, scenario by scenario (`domain.md`): a Juab-like district issues a teacher
//! several awards including a full stack; Kettle Moraine-, Lake County- and Baltimore-like
//! districts value them under their own signed rules; the reasons a badge is not recognized;
//! an offline bundle that verifies with every node stopped and fails when a byte changes.

use credreg_tests::fed::{eventually, start_federation, FedNode, Spec};
use credreg_tests::{conformance, contexts, TestNode};
use serde_json::{json, Value};
use std::time::Duration;

const PATIENCE: Duration = Duration::from_secs(60);
const ANA: &str = "ana.ruiz@juab.k12.ut.us";

fn def(name: &str, competency: &str, research: bool) -> Value {
    let mut d = json!({
        "name": name,
        "description": format!("The educator shows {competency} in daily classroom practice."),
        "criteria": {"narrative": "Submit classroom artifacts, a short video and a reflection."},
        "competency": competency,
        "local_value": {"amount": 200, "unit": "dollars"}
    });
    if research {
        d["research_basis"] = json!([{"citation": "Dweck, C. S. (2006). Mindset: The new psychology of success. Random House."}]);
    }
    d
}

async fn post_created(node: &FedNode, path: &str, body: &Value) -> String {
    let r = node.http.post_admin(path, body).await;
    assert_eq!(
        r.status,
        201,
        "{path}: {}",
        String::from_utf8_lossy(&r.body)
    );
    r.json()["id"].as_str().expect("id").to_owned()
}

/// `amount` of `unit` in a report's totals (0 if absent).
fn total(report: &Value, unit: &str) -> f64 {
    report["totals"]
        .as_array()
        .expect("totals")
        .iter()
        .find(|t| t["unit"] == unit)
        .map_or(0.0, |t| t["amount"].as_f64().expect("amount"))
}

/// (outcome, reason or "", credit amount or 0) per badge.
fn lines(report: &Value) -> Vec<(String, String, f64)> {
    report["badges"]
        .as_array()
        .expect("badges")
        .iter()
        .map(|b| {
            (
                b["outcome"].as_str().expect("outcome").to_owned(),
                b["reason"].as_str().unwrap_or("").to_owned(),
                b["credit"]["amount"].as_f64().unwrap_or(0.0),
            )
        })
        .collect()
}

fn line(outcome: &str, reason: &str, credit: f64) -> (String, String, f64) {
    (outcome.to_owned(), reason.to_owned(), credit)
}

async fn report(node: &FedNode, badges: &[Value], query: &str) -> Value {
    let r = node
        .http
        .post(
            &format!("/api/v1/transfer-reports{query}"),
            &json!({"credentials": badges, "email": ANA}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transferring_teachers_badges_are_valued_by_each_districts_rules() {
    let Some(conf) = conformance() else { return };
    let ctx = contexts(&conf);
    let dir = tempfile::tempdir().expect("tempdir");
    let (state, mut districts) = start_federation(
        dir.path(),
        &ctx,
        ("Great Lakes Micro-credential Consortium", 40),
        &[
            ("Juab School District", 41),
            ("Kettle Moraine School District", 42),
            ("Lake County Schools", 43),
            ("Baltimore County Public Schools", 44),
        ],
    )
    .await;
    let anchor = state.did();
    let [juab, km, lake, baltimore] = &districts[..] else {
        unreachable!()
    };

    // Juab's catalog and its teacher-leader stack (three of its credentials).
    let mut juab_defs = Vec::new();
    for (name, competency, research) in [
        ("Fostering a Growth Mindset", "growth mindset", true),
        ("Questioning for Discussion", "questioning", false),
        ("Data-Driven Instruction", "data use", false),
        ("Positive Classroom Culture", "classroom culture", false),
        ("Formative Assessment", "formative assessment", false),
    ] {
        juab_defs.push(juab.http.publish(&def(name, competency, research)).await);
    }
    let juab_stack = post_created(
        juab,
        "/api/v1/stacks",
        &json!({"name": "Teacher-Leader Pathway", "rule": {"kind": "all_of"},
                "credentials": [juab_defs[0], juab_defs[1], juab_defs[2]]}),
    )
    .await;
    // Ana's badges: five from Juab (the last one revoked), one Juab badge issued to a
    // colleague, a forged copy, and one from a provider outside the federation.
    let mut portfolio = Vec::new();
    for id in &juab_defs {
        portfolio.push(juab.http.award(id, ANA).await.0);
    }
    let revoked_id = portfolio[4]["id"].as_str().expect("id").to_owned();
    let r = juab
        .http
        .post_admin(
            &format!("/api/v1/awards/{revoked_id}/revoke"),
            &json!({"reason": "Issued in error: the evidence belonged to another submission."}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    // Ben's submission took two tries and a tiebreak; the receipt records that (no names).
    let r = juab
        .http
        .post_admin(
            "/api/v1/awards",
            &json!({"credential_id": juab_defs[1], "recipient": {"email": "ben.ortiz@juab.k12.ut.us"},
                    "review": {"reviewers": 3, "agreed": false, "attempts": 2}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    portfolio.push(r.json());
    let mut forged = portfolio[3].clone();
    forged["name"] = json!("Positive Classroom Culture (National Board)");
    portfolio.push(forged);
    let outsider = TestNode::new("Acme Professional Learning", 49, ctx.clone());
    let acme_def = outsider
        .publish(&def(
            "Acme Classroom Management",
            "classroom management",
            true,
        ))
        .await;
    portfolio.push(outsider.award(&acme_def, ANA).await.0);

    // Every district holds Juab's whole log (definitions, stack, receipts, revocation).
    let juab_size = juab.log_size(&juab.did());
    for d in [km, lake, baltimore] {
        eventually(
            &format!("node {} replicates Juab", d.seed),
            PATIENCE,
            || async {
                d.log_size(&juab.did()) == juab_size
                    && d.node().stack(&juab_stack).ok().flatten().is_some()
            },
        )
        .await;
    }

    // Kettle Moraine: its own credentials and dollar values, equivalences for two of Juab's,
    // $200 for any other member's credential (at most $300 per teacher), $1,000 for Juab's
    // full stack, and a local stack completed through the equivalences.
    let km_questioning = km
        .http
        .publish(&json!({"name": "Questioning and Discussion Techniques", "description": "Plans and leads discussion with open questions.",
            "criteria": {"narrative": "Lesson plan, video, reflection."}, "local_value": {"amount": 400, "unit": "dollars"}}))
        .await;
    let km_data = km
        .http
        .publish(&json!({"name": "Using Data to Differentiate", "description": "Groups students by formative data.",
            "criteria": {"narrative": "Data protocol, lesson, reflection."}, "local_value": {"amount": 600, "unit": "dollars"}}))
        .await;
    let km_stack = post_created(
        km,
        "/api/v1/stacks",
        &json!({"name": "Instructional Leadership", "rule": {"kind": "all_of"},
                "credentials": [km_questioning, km_data], "value": {"amount": 200, "unit": "dollars"}}),
    )
    .await;
    let from = "2026-01-01T00:00:00Z";
    for rule in [
        json!({"name": "Juab questioning = ours", "applies_to": {"kind": "credential", "id": juab_defs[1]},
               "credit": {"kind": "equivalent", "credential": km_questioning}, "valid_from": from}),
        json!({"name": "Juab data = ours", "applies_to": {"kind": "credential", "id": juab_defs[2]},
               "credit": {"kind": "equivalent", "credential": km_data}, "valid_from": from}),
        json!({"name": "Member credentials", "applies_to": {"kind": "federation", "federation": "wi-test"},
               "credit": {"kind": "amount", "amount": 200, "unit": "dollars"},
               "cap": {"max": 300, "per": "teacher"}, "valid_from": from}),
        json!({"name": "Juab teacher-leader pathway", "applies_to": {"kind": "stack", "id": juab_stack},
               "credit": {"kind": "amount", "amount": 1000, "unit": "dollars"}, "valid_from": from}),
        json!({"name": "Expired schedule", "applies_to": {"kind": "federation", "federation": "wi-test"},
               "credit": {"kind": "amount", "amount": 5000, "unit": "dollars"},
               "valid_from": "2024-01-01T00:00:00Z", "valid_until": "2025-01-01T00:00:00Z"}),
    ] {
        post_created(km, "/api/v1/recognitions", &rule).await;
    }
    let r = report(km, &portfolio, "").await;
    assert_eq!(
        lines(&r),
        vec![
            line("recognized", "", 200.0), // growth mindset: member rule
            line("recognized", "", 400.0), // = our questioning credential
            line("recognized", "", 600.0), // = our data credential
            line("recognized", "", 100.0), // member rule, capped at $300
            line("not_recognized", "revoked", 0.0),
            line("not_recognized", "identity_mismatch", 0.0),
            line("not_recognized", "invalid", 0.0),
            line("not_recognized", "unknown_issuer", 0.0),
        ],
        "{r:#}"
    );
    assert_eq!(r["badges"][1]["equivalent"]["id"], km_questioning.as_str());
    assert!(r["badges"][4]["note"]
        .as_str()
        .expect("note")
        .contains("Issued in error"));
    let stacks: Vec<(&str, &str, f64)> = r["stacks"]
        .as_array()
        .expect("stacks")
        .iter()
        .map(|s| {
            (
                s["kind"].as_str().expect("kind"),
                s["stack"]["id"].as_str().expect("id"),
                s["credit"]["amount"].as_f64().expect("credit"),
            )
        })
        .collect();
    assert_eq!(
        stacks,
        vec![
            ("foreign", juab_stack.as_str(), 1000.0),
            ("local", km_stack.as_str(), 200.0)
        ]
    );
    // 200 + 400 + 600 + 100 + 1,000 (Juab stack) + 200 (our stack).
    assert_eq!(total(&r, "dollars"), 2500.0);
    assert_eq!(r["summary"]["not_recognized"], 4);

    // A teacher previews Kettle Moraine's rules from Juab's node, once they have replicated.
    let km_did = km.did();
    eventually("Juab holds Kettle Moraine's rules", PATIENCE, || async {
        juab.node()
            .recognitions(Some(&km_did))
            .is_ok_and(|r| r.len() == 5)
            && juab.log_size(&km_did) == km.log_size(&km_did)
    })
    .await;
    let preview = report(juab, &portfolio, &format!("?district={km_did}")).await;
    assert_eq!(lines(&preview), lines(&r));
    assert_eq!(total(&preview, "dollars"), 2500.0);

    // Lake County: 4 in-service hours per member credential, 6 for one meeting the
    // consortium's research standard (the more specific rule wins).
    let standard = post_created(
        &state,
        "/api/v1/quality-standards",
        &json!({"name": "Research-based", "rules": [{"rule": "cites_research", "min": 1}]}),
    )
    .await;
    eventually("Lake County knows the standard", PATIENCE, || async {
        lake.node()
            .quality_standards()
            .is_ok_and(|s| s.iter().any(|q| q.id == standard))
    })
    .await;
    for rule in [
        json!({"name": "In-service hours", "applies_to": {"kind": "federation", "federation": "wi-test"},
               "credit": {"kind": "amount", "amount": 4, "unit": "in_service_hours"}, "valid_from": from}),
        json!({"name": "Research-based credentials", "applies_to": {"kind": "federation", "federation": "wi-test", "standard": standard},
               "credit": {"kind": "amount", "amount": 6, "unit": "in_service_hours"}, "valid_from": from}),
    ] {
        post_created(lake, "/api/v1/recognitions", &rule).await;
    }
    let r = report(lake, &portfolio, "").await;
    let credits: Vec<f64> = lines(&r).iter().map(|l| l.2).collect();
    assert_eq!(credits, vec![6.0, 4.0, 4.0, 4.0, 0.0, 0.0, 0.0, 0.0]);
    assert_eq!(total(&r, "in_service_hours"), 18.0);
    assert_eq!(total(&r, "dollars"), 0.0);

    // The quality profile at a third node (Lake County): who recognizes Juab's questioning
    // credential, its awards and review statistics from the replicated receipts.
    eventually(
        "Lake County holds Kettle Moraine's rules",
        PATIENCE,
        || async {
            lake.node()
                .recognitions(Some(&km_did))
                .is_ok_and(|r| r.len() == 5)
        },
    )
    .await;
    let questioning = lake
        .http
        .get(&format!("/api/v1/credentials/{}", juab_defs[1]))
        .await
        .json();
    let q = &questioning["quality"];
    let mut by: Vec<String> = serde_json::from_value(q["recognized_by"].clone()).expect("list");
    by.sort();
    let mut expected = vec![km.did(), lake.did()];
    expected.sort();
    assert_eq!(by, expected, "{q:#}");
    assert_eq!(q["awards"]["issued"], 2);
    assert_eq!(q["awards"]["revoked"], 0);
    assert_eq!(
        q["awards"]["review"],
        json!({"awards": 1, "mean_reviewers": 3.0, "agreement_rate": 0.0, "mean_attempts": 2.0, "first_attempt_rate": 0.0, "declared": 1})
    );
    let revoked = lake
        .http
        .get(&format!("/api/v1/credentials/{}", juab_defs[4]))
        .await
        .json();
    assert_eq!(revoked["quality"]["awards"]["revoked"], 1);
    assert_eq!(revoked["quality"]["features"]["research_citations"], 0);
    // Federated search filters and sorts by quality.
    let search = |query: String| async move {
        let r = lake
            .http
            .get(&format!("/api/v1/credentials?scope=federation&{query}"))
            .await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        r.json()
    };
    let r = search(format!("meets={standard}")).await;
    let names: Vec<&str> = r["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["Fostering a Growth Mindset"]);
    assert_eq!(r["items"][0]["quality"]["meets"], json!([standard]));
    let r = search("sort=awards&limit=1".into()).await;
    assert_eq!(r["items"][0]["id"], juab_defs[1].as_str());
    assert_eq!(r["items"][0]["quality"]["awards"]["issued"], 2);
    let r = search("recognized=true&sort=recognitions&limit=1".into()).await;
    assert_eq!(r["items"][0]["quality"]["recognized_by"], 2, "{r:#}");
    let r = lake
        .http
        .get("/api/v1/credentials?scope=federation&sort=popularity")
        .await;
    r.assert_problem(axum::http::StatusCode::BAD_REQUEST, "malformed-request");

    // Any definition against any known standard, rule by rule.
    let listed = lake.http.get("/api/v1/quality-standards").await.json();
    assert!(listed["standards"]
        .as_array()
        .expect("standards")
        .iter()
        .any(|s| s["id"] == standard.as_str() && s["trust"]["status"] == "anchor"));
    let r = lake
        .http
        .get(&format!(
            "/api/v1/credentials/{}/evaluation?standard={standard}",
            juab_defs[1]
        ))
        .await
        .json();
    assert_eq!(r["evaluation"]["meets"], false);
    assert_eq!(
        r["evaluation"]["rules"][0]["reason"],
        "cites 0 research source(s); the standard asks for at least 1"
    );
    let r = lake
        .http
        .get(&format!(
            "/api/v1/credentials/{}/evaluation?standard={}",
            juab_defs[1], juab_defs[0]
        ))
        .await;
    r.assert_problem(axum::http::StatusCode::NOT_FOUND, "not-found");

    // Baltimore County: 1 CPD unit per 2 credentials.
    post_created(
        baltimore,
        "/api/v1/recognitions",
        &json!({"name": "CPD units", "applies_to": {"kind": "federation", "federation": "wi-test"},
                "credit": {"kind": "amount", "amount": 1, "unit": "cpd_units", "per": 2}, "valid_from": from}),
    )
    .await;
    let r = report(baltimore, &portfolio, "").await;
    assert_eq!(total(&r, "cpd_units"), 2.0, "{r:#}");
    let r = report(baltimore, &portfolio[..3], "").await;
    assert_eq!(total(&r, "cpd_units"), 1.0);
    assert_eq!(
        lines(&r),
        vec![
            line("counted", "", 0.0),
            line("recognized", "", 1.0),
            line("counted", "", 0.0)
        ]
    );

    // Bad input: a problem, and nothing stored.
    let before = km.log_size(&km_did);
    let r = km
        .http
        .post_admin(
            "/api/v1/recognitions",
            &json!({"name": "Other federation", "applies_to": {"kind": "federation", "federation": "md-consortium"},
                    "credit": {"kind": "equivalent", "credential": juab_defs[0]}, "valid_from": from}),
        )
        .await;
    let p = r.assert_problem(
        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-input",
    );
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field"))
        .collect();
    assert_eq!(fields, ["applies_to.federation", "credit.credential"]);
    let r = km
        .http
        .post(
            "/api/v1/transfer-reports?district=kettle-moraine",
            &json!({"credentials": [portfolio[0]]}),
        )
        .await;
    r.assert_problem(axum::http::StatusCode::BAD_REQUEST, "malformed-request");
    let r = km
        .http
        .post(
            "/api/v1/transfer-reports",
            &json!({"credentials": [], "email": ANA}),
        )
        .await;
    r.assert_problem(axum::http::StatusCode::BAD_REQUEST, "malformed-request");
    let r = km
        .http
        .post(
            "/api/v1/transfer-reports",
            &json!({"credentials": [portfolio[0]], "email": "not an address"}),
        )
        .await;
    r.assert_problem(axum::http::StatusCode::BAD_REQUEST, "malformed-request");
    assert_eq!(km.log_size(&km_did), before);

    // The printable view.
    let r = km
        .http
        .send_with(
            "POST",
            "/api/v1/transfer-reports",
            &[("accept", "text/html")],
            json!({"credentials": portfolio, "email": ANA})
                .to_string()
                .into_bytes(),
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.content_type.starts_with("text/html"));
    let html = String::from_utf8(r.body).expect("utf-8");
    assert!(html.contains("Transfer report for Kettle Moraine School District"));
    assert!(html.contains("$2500"));
    assert!(!html.contains("<script"));
    // The badges of reports count among the node's verifications.
    let metrics = String::from_utf8(km.http.get("/metrics").await.body).expect("utf-8");
    assert!(
        metrics.contains("credreg_verifications_total{verdict=\"revoked\"}"),
        "{metrics}"
    );

    // Award counts survive a restart: they are rebuilt from the replicated receipts and
    // revocations (which a replica indexes by award only).
    let (juab_q, juab_r) = (juab_defs[1].clone(), juab_defs[4].clone());
    let baltimore = districts.pop().expect("baltimore");
    let path = baltimore.stop().await;
    let baltimore = FedNode::start(
        Spec::district("Baltimore County Public Schools", 44, &anchor, &ctx),
        &path,
    )
    .await;
    let awards = |id: String| {
        let b = &baltimore;
        async move {
            b.http
                .get(&format!("/api/v1/credentials/{id}"))
                .await
                .json()["quality"]["awards"]
                .clone()
        }
    };
    let q = awards(juab_q).await;
    assert_eq!(
        (q["issued"].as_u64(), q["review"]["awards"].as_u64()),
        (Some(2), Some(1)),
        "{q}"
    );
    assert_eq!(awards(juab_r).await["revoked"], 1);
}

/// Replaces the character at `i` with another of its class (digit, lowercase, uppercase) so
/// the text stays the same kind of token; `None` for punctuation.
fn altered_at(text: &str, i: usize) -> Option<String> {
    let b = text.as_bytes()[i];
    let c = match b {
        b'0'..=b'9' => b'0' + (b - b'0' + 1) % 10,
        b'a'..=b'z' => b'a' + (b - b'a' + 1) % 26,
        b'A'..=b'Z' => b'A' + (b - b'A' + 1) % 26,
        _ => return None,
    };
    let mut bytes = text.as_bytes().to_vec();
    bytes[i] = c;
    String::from_utf8(bytes).ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offline_bundle_verifies_with_the_network_down_and_fails_when_altered() {
    let Some(conf) = conformance() else { return };
    let ctx = contexts(&conf);
    let dir = tempfile::tempdir().expect("tempdir");
    let (state, mut districts) = start_federation(
        dir.path(),
        &ctx,
        ("Utah State Board of Education", 50),
        &[("Juab School District", 51)],
    )
    .await;
    let anchor = state.did();
    let juab = districts.pop().expect("juab");
    eventually("Juab holds its membership", PATIENCE, || async {
        juab.log_size(&anchor) == state.log_size(&anchor)
    })
    .await;
    let id = juab
        .http
        .publish(&def("Fostering a Growth Mindset", "growth mindset", true))
        .await;
    let (award, _) = juab.http.award(&id, ANA).await;
    let award_id = award["id"].as_str().expect("id");
    let r = juab
        .http
        .get(&format!("/api/v1/awards/{award_id}/bundle"))
        .await;
    assert_eq!(r.status, 200);
    let text = String::from_utf8(r.body).expect("utf-8");
    let r = juab.http.get("/api/v1/awards/urn:uuid:nope/bundle").await;
    r.assert_problem(axum::http::StatusCode::NOT_FOUND, "not-found");
    // The network goes down: both nodes stop.
    juab.stop().await;
    state.stop().await;

    let di = credreg_proof::DataIntegrity::new(credreg_proof::Canonicalizer::new(
        std::sync::Arc::new(ctx.clone()),
    ));
    let now = time::OffsetDateTime::now_utc();
    let check = |text: &str, anchors: &[String]| {
        let doc: Value = serde_json::from_str(text).expect("JSON");
        credreg_node::verify::bundle::verify_bundle(&di, &doc, anchors, now)
    };
    let anchors = vec![anchor.clone()];
    let report = check(&text, &anchors);
    let checks: Vec<(&str, credreg_node::CheckStatus)> =
        report.checks.iter().map(|c| (c.check, c.status)).collect();
    use credreg_node::CheckStatus::Pass;
    assert_eq!(
        checks,
        [
            ("well_formed", Pass),
            ("proof", Pass),
            ("issuer_key", Pass),
            ("trusted", Pass),
            ("validity", Pass),
            ("status", Pass),
            ("logged", Pass),
            ("definition", Pass)
        ],
        "{report:#?}"
    );
    assert_eq!(report.issuer.status, "member");
    assert_eq!(report.issuer.anchor.as_deref(), Some(anchor.as_str()));
    assert_eq!(report.issuer.name.as_deref(), Some("Juab School District"));
    // Without the anchor the badge is genuine but its issuer's trust is not established.
    let report = check(&text, &[]);
    assert_eq!(report.verdict, credreg_node::Verdict::Valid);
    assert_eq!(report.checks[3].status, credreg_node::CheckStatus::Warn);

    // Alter one character at a time across the whole bundle (every 29th position; all but the
    // unsigned `created` time of the bundle itself): each altered bundle is refused.
    let created = serde_json::from_str::<Value>(&text).expect("JSON")["created"]
        .as_str()
        .expect("created")
        .to_owned();
    let skip = text.find(&created).expect("created");
    let mut tried = 0;
    for i in (0..text.len()).step_by(29) {
        if (skip..skip + created.len()).contains(&i) {
            continue;
        }
        let Some(altered) = altered_at(&text, i) else {
            continue;
        };
        let Ok(doc) = serde_json::from_str::<Value>(&altered) else {
            continue;
        };
        tried += 1;
        let report = credreg_node::verify::bundle::verify_bundle(&di, &doc, &anchors, now);
        assert_ne!(
            report.verdict,
            credreg_node::Verdict::Valid,
            "changing byte {i} ({:?}) went unnoticed",
            &text[i.saturating_sub(20)..(i + 20).min(text.len())]
        );
    }
    assert!(tried > 150, "{tried} alterations tried");
}
