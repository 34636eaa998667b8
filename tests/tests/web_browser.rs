//! The pages in a real headless Chromium, driven over WebDriver (chromedriver), against a node
//! served over loopback HTTP: the home page, catalog search, a credential page with its rubric,
//! award pages saying valid and revoked in words, and the verify page refusing an altered badge.
//! Every page is checked with axe-core (no serious or critical WCAG 2.1 A/AA violation), at
//! 360 px wide nothing scrolls sideways, the keyboard reaches the skip link first, and each page
//! is saved as a screenshot under `target/screenshots/` for a person to look at.

use credreg_tests::{conformance, contexts, samples, TestNode};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

fn axe_source() -> Option<String> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("browser/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(path).ok()
}

/// The browser parts, or a SKIP line (a failure when `CREDREG_REQUIRE_BROWSER` is set).
fn browser_parts() -> Option<String> {
    let missing: Vec<&str> = [
        (!Path::new(CHROMIUM).exists()).then_some("chromium"),
        (!Path::new(CHROMEDRIVER).exists()).then_some("chromium-driver"),
        axe_source()
            .is_none()
            .then_some("axe-core (npm install --prefix tests/browser)"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if missing.is_empty() {
        return axe_source();
    }
    assert!(
        std::env::var_os("CREDREG_REQUIRE_BROWSER").is_none(),
        "CREDREG_REQUIRE_BROWSER is set but these are missing: {missing:?}"
    );
    println!("SKIP: browser tests need {}", missing.join(", "));
    None
}

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

fn eventually(what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

async fn browser() -> (Driver, Client) {
    // The WebDriver client is built with rustls; the workspace links more than one crypto
    // provider, so name one (the session itself is plain HTTP on loopback).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let port = free_port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn chromedriver");
    let driver = Driver(child);
    eventually("chromedriver listens", || {
        TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    let profile = tempfile::tempdir().expect("profile").keep();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1200,900",
                format!("--user-data-dir={}", profile.display()),
            ]
        }),
    );
    let client = ClientBuilder::rustls()
        .expect("tls")
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("WebDriver session");
    (driver, client)
}

/// Runs axe-core on the current page: no serious or critical WCAG 2.1 A/AA violation.
async fn accessible(c: &Client, axe: &str, page: &str) {
    c.execute(axe, vec![]).await.expect("inject axe-core");
    let found = c
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})
                 .then(r => done(r.violations
                   .filter(v => v.impact === 'serious' || v.impact === 'critical')
                   .map(v => v.id + ': ' + v.help + ' (' + v.nodes.length + ')')))
                 .catch(e => done(['axe failed: ' + e]));"#,
            vec![],
        )
        .await
        .expect("axe runs");
    assert_eq!(found, json!([]), "accessibility violations on {page}");
}

async fn screenshot(c: &Client, name: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    let _ = std::fs::create_dir_all(&dir);
    if let Ok(png) = c.screenshot().await {
        let _ = std::fs::write(dir.join(format!("{name}.png")), png);
    }
}

/// At 360 px wide, nothing is wider than the window.
async fn fits_narrow(c: &Client, page: &str) {
    c.set_window_size(360, 800).await.expect("resize");
    let wide = c
        .execute("return document.documentElement.scrollWidth;", vec![])
        .await
        .expect("width");
    let inner = c
        .execute("return window.innerWidth;", vec![])
        .await
        .expect("inner");
    assert!(
        wide.as_i64() <= inner.as_i64(),
        "{page} scrolls sideways at 360 px: {wide} > {inner}"
    );
    c.set_window_size(1200, 900).await.expect("resize");
}

/// The text of the first element matching `css`, waiting (with a deadline) for it to appear:
/// a click that submits a form returns before the next page has loaded.
/// Sets a field's value (long JSON is pasted, not typed key by key).
async fn paste(c: &Client, id: &str, text: &str) {
    c.execute(
        "document.getElementById(arguments[0]).value = arguments[1];",
        vec![json!(id), json!(text)],
    )
    .await
    .expect("paste");
}

/// Clicks the first element matching `css`.
async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .expect(css)
        .click()
        .await
        .expect("click");
}

async fn text_of(c: &Client, css: &str) -> String {
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css(css))
        .await
        .expect(css)
        .text()
        .await
        .expect("text")
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
    let app = n.app.clone().merge(credreg_web::router(n.node.clone(), None));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });

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
    c.find(Locator::Id("q"))
        .await
        .expect("search box")
        .send_keys("wait time")
        .await
        .expect("type");
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
        .contains("Paste the badge"));
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

    // A hiring principal values the badges; a bad address is an error summary naming the field.
    c.goto(&format!("{base}/transfer")).await.expect("transfer");
    accessible(&c, &axe, "the transfer page").await;
    paste(&c, "badges", &valid.to_string()).await;
    c.find(Locator::Id("email"))
        .await
        .expect("email")
        .send_keys("not an address")
        .await
        .expect("type");
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
    use credreg_node::review::{Actor, NewPerson, PersonRole};
    let maya = n
        .node
        .invite_person(
            &Actor::Operator,
            NewPerson {
                name: "Maya Lindqvist".into(),
                email: "maya.lindqvist@juab.k12.ut.us".into(),
                school: None,
                roles: vec![PersonRole::Teacher],
            },
        )
        .expect("invited");
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
    c.find(Locator::Id("email"))
        .await
        .expect("email")
        .send_keys("maya.lindqvist@juab.k12.ut.us")
        .await
        .expect("type");
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
    c.find(Locator::Id("code"))
        .await
        .expect("code")
        .send_keys(&code)
        .await
        .expect("type");
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
    c.close().await.expect("close");
}
