//! The pages in a real headless Chromium, driven over WebDriver (chromedriver), against a node
//! served over loopback HTTP: the home page, catalog search, a credential page with its rubric,
//! award pages saying valid and revoked in words, and the verify page refusing an altered badge.
//! Every page is checked with axe-core (no serious or critical WCAG 2.1 A/AA violation), at
//! 360 px wide nothing scrolls sideways, the keyboard reaches the skip link first, and each page
//! is saved as a screenshot under `target/screenshots/` for a person to look at.

use credreg_tests::{conformance, contexts, samples, TestNode};
use fantoccini::Locator;
use serde_json::{json, Value};

#[path = "../browser/webdriver.rs"]
mod webdriver;

use webdriver::*;

/// Serves the API and the pages over loopback HTTP, as `credreg serve` mounts them.
async fn serve_pages(n: &TestNode) -> String {
    let app = n
        .app
        .clone()
        .merge(credreg_web::router(n.node.clone(), Default::default()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

/// Invites a person (as the operator), who is mailed a sign-in code.
fn invite(
    n: &TestNode,
    name: &str,
    email: &str,
    roles: &[credreg_node::review::PersonRole],
) -> credreg_node::review::PersonView {
    n.node
        .invite_person(
            &credreg_node::review::Actor::Operator,
            credreg_node::review::NewPerson {
                name: name.into(),
                email: email.into(),
                school: None,
                roles: roles.to_vec(),
            },
        )
        .expect("invited")
}

/// The sign-in code in the first invitation the node mailed.
fn first_code(n: &TestNode) -> String {
    n.node
        .outbox(&credreg_node::review::Actor::Operator)
        .expect("outbox")
        .iter()
        .find_map(|m| {
            m.body
                .split_whitespace()
                .find(|w| w.starts_with("crl_"))
                .map(str::to_owned)
        })
        .expect("a code")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_finds_a_credential_checks_badges_and_is_told_in_words() {
    let Some(dir) = conformance() else { return };
    let Some(axe) = browser_parts() else { return };
    let n = TestNode::new("Juab School District", 71, contexts(&dir));
    let id = n.publish(&samples::wait_time()).await;
    let (valid, _) = n.award(&id, "ana.ruiz@juab.k12.ut.us").await;
    let (revoked, _) = n.award(&id, "ben.strand@juab.k12.ut.us").await;
    let revoked_id = revoked["id"].as_str().expect("id").to_owned();
    let r = n
        .post_admin(
            &format!("/api/v1/awards/{revoked_id}/revoke"),
            &json!({"reason": "The evidence was not the teacher's own."}),
        )
        .await;
    assert_eq!(
        r.status,
        axum::http::StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    // A real HTTP server on loopback: the API and the pages, as `credreg serve` mounts them.
    let base = serve_pages(&n).await;

    let (_driver, c) = browser().await;
    // Home.
    c.goto(&format!("{base}/")).await.expect("home");
    assert_eq!(text_of(&c, "h1").await, "Juab School District");
    assert!(text_of(&c, "main").await.contains("Set up this node"));
    accessible(&c, &axe, "the home page").await;
    fits_narrow(&c, "the home page").await;
    screenshot(&c, "home").await;
    // The keyboard reaches the skip link first.
    c.execute("document.activeElement.blur();", vec![])
        .await
        .expect("blur");
    c.find(Locator::Css("body"))
        .await
        .expect("body")
        .send_keys("\u{E004}")
        .await
        .expect("tab");
    let focused = c
        .execute("return document.activeElement.className;", vec![])
        .await
        .expect("focus");
    assert_eq!(focused, json!("skip-link"));

    // Search, then the credential page.
    type_into(&c, "q", "wait time").await;
    click(&c, "form.search button").await;
    assert!(
        text_of(&c, "p.count")
            .await
            .starts_with("1 credential match"),
        "{}",
        text_of(&c, "p.count").await
    );
    accessible(&c, &axe, "the catalog").await;
    screenshot(&c, "catalog").await;
    click(&c, ".results a").await;
    assert!(text_of(&c, "table.rubric").await.contains("(passes)"));
    assert_eq!(
        text_of(&c, "h1").await,
        "Wait Time After Discussion Questions"
    );
    accessible(&c, &axe, "the credential page").await;
    fits_narrow(&c, "the credential page").await;
    screenshot(&c, "credential").await;

    // Award pages say it in words.
    let valid_id = valid["id"].as_str().expect("id");
    c.goto(&format!("{base}/awards/{valid_id}"))
        .await
        .expect("award");
    assert!(
        text_of(&c, ".status-line")
            .await
            .contains("This badge is valid"),
        "{}",
        text_of(&c, "main").await
    );
    accessible(&c, &axe, "a valid award's page").await;
    screenshot(&c, "award-valid").await;
    c.goto(&format!("{base}/awards/{revoked_id}"))
        .await
        .expect("award");
    assert!(text_of(&c, ".status-line").await.contains("revoked"));
    assert!(text_of(&c, "main").await.contains("not the teacher's own"));
    accessible(&c, &axe, "a revoked award's page").await;
    screenshot(&c, "award-revoked").await;

    // The verify page: an altered badge is not valid, in words; an empty form is an error
    // summary pointing at the field.
    c.goto(&format!("{base}/verify")).await.expect("verify");
    accessible(&c, &axe, "the verify page").await;
    click(&c, "form button").await;
    assert!(text_of(&c, ".error-summary")
        .await
        .contains("Paste a badge"));
    accessible(&c, &axe, "the verify page with an error").await;
    let mut altered: Value = valid.clone();
    altered["name"] = json!("Wait Time After Discussion Questions!");
    let field = c.find(Locator::Id("badge")).await.expect("field");
    field.clear().await.expect("clear");
    paste(&c, "badge", &altered.to_string()).await;
    click(&c, "form button").await;
    let card = text_of(&c, ".result-card").await;
    assert!(card.contains("not valid"), "{card}");
    assert!(card.contains("Signature: failed"), "{card}");
    accessible(&c, &axe, "the verify page with a result").await;
    fits_narrow(&c, "the verify page").await;
    screenshot(&c, "verify-altered").await;

    // Files: JSON, a baked PNG (as the award page offers it) and a baked SVG each get a card;
    // a cut-off PNG and an SVG without a badge are named in the error summary.
    let files = tempfile::tempdir().expect("files");
    let addr = base.trim_start_matches("http://");
    let (status, png) = http_get_bytes(addr, &format!("/awards/{valid_id}/badge.png"));
    assert_eq!(status, 200);
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:openbadges=\"https://purl.imsglobal.org/ob/v3p0\" width=\"10\" height=\"10\"><openbadges:credential><![CDATA[{valid}]]></openbadges:credential><circle r=\"4\"/></svg>"
    );
    let chosen = [
        ("ana-ruiz.json", valid.to_string().into_bytes()),
        ("ana-ruiz.png", png.clone()),
        ("ana-ruiz.svg", svg.into_bytes()),
        ("cut-off.png", png[..png.len() / 2].to_vec()),
        (
            "plain.svg",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"><circle r=\"4\"/></svg>".to_vec(),
        ),
    ];
    let paths: Vec<String> = chosen
        .iter()
        .map(|(name, bytes)| {
            let p = files.path().join(name);
            std::fs::write(&p, bytes).expect("write");
            p.display().to_string()
        })
        .collect();
    c.goto(&format!("{base}/verify")).await.expect("verify");
    type_into(&c, "files", &paths.join("\n")).await;
    click(&c, "form button").await;
    let summary = text_with(&c, ".error-summary", "cut-off.png").await;
    assert!(
        summary.contains("cut-off.png: The image is damaged")
            && summary.contains("plain.svg: The image has no badge"),
        "{summary}"
    );
    let cards = c
        .find_all(Locator::Css(".result-card"))
        .await
        .expect("cards");
    assert_eq!(cards.len(), 3, "one card per badge file");
    for card in cards {
        let text = card.text().await.expect("text");
        assert!(text.contains(": valid"), "{text}");
    }
    accessible(&c, &axe, "the verify page with files").await;
    screenshot(&c, "verify-files").await;

    // A hiring principal values the badges; a bad address is an error summary naming the field.
    c.goto(&format!("{base}/transfer")).await.expect("transfer");
    accessible(&c, &axe, "the transfer page").await;
    paste(&c, "badges", &valid.to_string()).await;
    type_into(&c, "email", "not an address").await;
    click(&c, "form button").await;
    assert!(text_of(&c, ".error-summary a[href='#email']")
        .await
        .contains("e-mail address"));
    accessible(&c, &axe, "the transfer page with an error").await;
    let email = c.find(Locator::Id("email")).await.expect("email");
    email.clear().await.expect("clear");
    email
        .send_keys("ana.ruiz@juab.k12.ut.us")
        .await
        .expect("type");
    click(&c, "form button").await;
    let report = text_of(&c, "section").await;
    assert!(report.contains("Own credential"), "{report}");
    assert!(
        report.contains("1 badge: 0 recognized, 1 this district's own"),
        "{report}"
    );
    accessible(&c, &axe, "a transfer report").await;
    fits_narrow(&c, "a transfer report").await;
    screenshot(&c, "transfer-report").await;
    c.goto(&format!("{base}/issuers")).await.expect("issuers");
    assert!(text_of(&c, "table").await.contains("this node"));
    accessible(&c, &axe, "the issuer directory").await;

    // A teacher signs in with the mailed code and sees where her credential is.
    use credreg_node::review::{Actor, PersonRole};
    let maya = invite(
        &n,
        "Maya Lindqvist",
        "maya.lindqvist@juab.k12.ut.us",
        &[PersonRole::Teacher],
    );
    let teacher = Actor::Person {
        id: maya.id.clone(),
        roles: maya.roles.clone(),
    };
    n.node.start_submission(&teacher, &id, None).expect("draft");
    c.goto(&format!("{base}/mine")).await.expect("mine");
    assert_eq!(
        text_of(&c, "h1").await,
        "Sign in",
        "signed out, /mine asks to sign in"
    );
    accessible(&c, &axe, "the sign-in page").await;
    type_into(&c, "email", "maya.lindqvist@juab.k12.ut.us").await;
    click(&c, "button[value=send]").await;
    assert!(text_of(&c, ".notice")
        .await
        .contains("sign-in code is on its way"));
    let code = n
        .node
        .outbox(&Actor::Operator)
        .expect("outbox")
        .iter()
        .rev()
        .find(|m| m.to == "maya.lindqvist@juab.k12.ut.us")
        .and_then(|m| {
            m.body
                .split_whitespace()
                .find(|w| w.starts_with("crl_"))
                .map(str::to_owned)
        })
        .expect("a code");
    type_into(&c, "code", &code).await;
    click(&c, "button[value=code]").await;
    assert!(
        text_of(&c, "table").await.contains("Draft"),
        "{}",
        text_of(&c, "main").await
    );
    assert!(text_of(&c, "main")
        .await
        .contains("Signed in as Maya Lindqvist"));
    accessible(&c, &axe, "a teacher's credentials").await;
    fits_narrow(&c, "a teacher's credentials").await;
    screenshot(&c, "mine").await;
    // Her addresses, and signing out everywhere (a shared computer, a lost phone).
    c.goto(&format!("{base}/mine/emails"))
        .await
        .expect("emails");
    assert!(text_of(&c, "main").await.contains("Signed in elsewhere?"));
    accessible(&c, &axe, "a person's addresses").await;
    fits_narrow(&c, "a person's addresses").await;
    screenshot(&c, "emails").await;
    click(&c, "form[action='/sign-out/everywhere'] button").await;
    assert_eq!(
        text_with(&c, "h1", "everywhere").await,
        "You are signed out everywhere"
    );
    accessible(&c, &axe, "signed out everywhere").await;
    screenshot(&c, "signed-out-everywhere").await;
    c.goto(&format!("{base}/mine")).await.expect("mine");
    assert_eq!(text_of(&c, "h1").await, "Sign in", "the session has ended");
    c.close().await.expect("close");
}

/// A state node's curator vouches for a district, publishes a quality standard, endorses a
/// credential, finds it in the shared repository, and ends the membership.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_curator_vouches_publishes_a_standard_and_endorses() {
    use credreg_node::review::PersonRole;
    let Some(dir) = conformance() else { return };
    let Some(axe) = browser_parts() else { return };
    let n = TestNode::new("Wisconsin DPI", 73, contexts(&dir));
    let id = n.publish(&samples::wait_time()).await;
    let second = n.publish(&samples::growth_mindset()).await;
    invite(
        &n,
        "Rosa Vang",
        "rosa.vang@dpi.wi.gov",
        &[PersonRole::Curator, PersonRole::Coordinator],
    );
    let code = first_code(&n);
    let base = serve_pages(&n).await;
    let (_driver, c) = browser().await;
    c.goto(&format!("{base}/sign-in?code={code}"))
        .await
        .expect("sign-in link");
    click(&c, "#sign-in").await;
    text_with(&c, "h1", "My credentials").await;
    c.goto(&format!("{base}/curate")).await.expect("curate");
    assert_eq!(text_of(&c, "h1").await, "Curate the federation");
    accessible(&c, &axe, "the curation page").await;

    let district = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
    paste(&c, "member", district).await;
    paste(&c, "federation", "wi-cesa1").await;
    click(&c, "#vouch").await;
    assert!(text_with(&c, ".notice", "vouched")
        .await
        .contains("vouched for"));
    assert!(text_of(&c, "table").await.contains("Member"));

    click(&c, "#publish-standard").await;
    let summary = text_with(&c, ".error-summary", "Name").await;
    assert!(summary.contains("Name the standard"), "{summary}");
    accessible(&c, &axe, "the curation page with an error").await;
    paste(&c, "standard_name", "Wisconsin vetted").await;
    paste(&c, "criteria", "2").await;
    paste(&c, "reviewers", "1").await;
    click(&c, "#publish-standard").await;
    assert!(text_with(&c, ".notice", "standard")
        .await
        .contains("published"));
    let repository = text_of(&c, "main").await;
    assert!(
        repository.contains("Meets “Wisconsin vetted”")
            && repository.contains("Wait Time After Discussion Questions"),
        "{repository}"
    );

    c.find(Locator::Css(&format!("#subject option[value='{id}']")))
        .await
        .expect("the credential is offered")
        .click()
        .await
        .expect("choose");
    paste(
        &c,
        "comment",
        "Reviewed against the state's rubric guidance.",
    )
    .await;
    click(&c, "#endorse").await;
    assert!(text_with(&c, ".notice", "endorsement")
        .await
        .contains("published"));
    c.goto(&format!("{base}/credentials/{id}"))
        .await
        .expect("credential");
    let page = text_of(&c, "main").await;
    assert!(
        page.contains("Endorsements") && page.contains("state's rubric guidance"),
        "{page}"
    );

    // A stack of both credentials, worth more together.
    c.goto(&format!("{base}/coordinator/stacks/new"))
        .await
        .expect("stack form");
    accessible(&c, &axe, "the stack form").await;
    paste(&c, "name", "Classroom Discourse Pathway").await;
    click(&c, "#publish-stack").await;
    let summary = text_with(&c, ".error-summary", "two").await;
    assert!(summary.contains("at least two credentials"), "{summary}");
    paste(&c, "name", "Classroom Discourse Pathway").await;
    for cid in [&id, &second] {
        click(&c, &format!("input[name=credential][value='{cid}']")).await;
    }
    paste(&c, "amount", "600").await;
    click(&c, "#publish-stack").await;
    let stack = text_with(&c, "main", "Earn all").await;
    assert!(
        stack.contains("Earn all 2 of these credentials") && stack.contains("$600"),
        "{stack}"
    );
    accessible(&c, &axe, "a stack page").await;
    c.goto(&format!("{base}/credentials/{second}"))
        .await
        .expect("credential");
    assert!(text_of(&c, "main")
        .await
        .contains("Classroom Discourse Pathway"));

    c.goto(&format!("{base}/curate")).await.expect("curate");
    click(&c, "form.inline-form button").await;
    assert!(text_with(&c, ".notice", "ended")
        .await
        .contains("membership is ended"));
    assert!(text_of(&c, "table").await.contains("Ended"));
    accessible(&c, &axe, "the curation page after ending").await;
    fits_narrow(&c, "the curation page").await;
    screenshot(&c, "curate").await;
    c.close().await.expect("close");
}

/// A reviewer calibrates on a credential's sample submissions before reviewing it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_calibrates_on_sample_submissions() {
    use credreg_node::review::{
        Actor, CalibrationSample, CalibrationSet, EvidenceItem, PersonRole,
    };
    let Some(dir) = conformance() else { return };
    let Some(axe) = browser_parts() else { return };
    let n = TestNode::new("Kettle Moraine School District", 74, contexts(&dir));
    let mut def = samples::wait_time();
    def["review_policy"]["calibration_required"] = json!(true);
    let id = n.publish(&def).await;
    let sample = |text: &str, reference: Vec<usize>| CalibrationSample {
        items: vec![EvidenceItem::Reflection { text: text.into() }],
        reference,
    };
    n.node
        .set_calibration_set(
            &Actor::Operator,
            CalibrationSet {
                credential_id: id.clone(),
                min_agreement_percent: 75,
                samples: vec![
                    sample(
                        "Pauses planned after every question; students' answers doubled in length.",
                        vec![1, 1],
                    ),
                    sample(
                        "No pauses marked in the plan; the reflection describes a lecture.",
                        vec![0, 0],
                    ),
                ],
            },
        )
        .expect("calibration set");
    invite(
        &n,
        "Tomas Greer",
        "tomas.greer@kmsd.edu",
        &[PersonRole::Reviewer],
    );
    let code = first_code(&n);
    let base = serve_pages(&n).await;
    let (_driver, c) = browser().await;
    c.goto(&format!("{base}/sign-in?code={code}"))
        .await
        .expect("sign-in link");
    click(&c, "#sign-in").await;
    text_with(&c, "h1", "My credentials").await;
    c.goto(&format!("{base}/reviews")).await.expect("reviews");
    click(&c, &format!("a[href='/reviews/calibration/{id}']")).await;
    text_with(&c, "h1", "Calibrate").await;
    accessible(&c, &axe, "the calibration page").await;
    click(&c, "#calibrate").await;
    let summary = text_with(&c, ".error-summary", "Sample 1").await;
    assert!(summary.contains("Sample 1: choose a level"), "{summary}");
    // Sample 1 passes on both criteria, sample 2 on neither: three of four levels right.
    for (s, c_, l) in [(0, 0, 1), (0, 1, 1), (1, 0, 0), (1, 1, 1)] {
        click(&c, &format!("#s{s}-c{c_}-{l}")).await;
    }
    click(&c, "#calibrate").await;
    let outcome = text_with(&c, "#calibration-outcome", "matched").await;
    assert!(
        outcome.contains("75%") && outcome.contains("you are calibrated"),
        "{outcome}"
    );
    accessible(&c, &axe, "the calibration result").await;
    fits_narrow(&c, "the calibration page").await;
    screenshot(&c, "calibration").await;
    c.close().await.expect("close");
}
