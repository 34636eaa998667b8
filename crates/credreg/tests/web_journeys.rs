//! The people's journeys through the pages, end to end, with the real parts: `credreg serve`
//! as a process, Python's aiosmtpd as the mail server (invitations and sign-in links are read
//! from what it received), headless Chromium over WebDriver, axe-core on every page.
//!
//! 1. First-run setup with the printed code; the coordinator publishes a credential with a
//!    rubric and invites a teacher and three reviewers.
//! 2. The teacher signs in from the mailed link, uploads evidence (the progress-bar script
//!    sends it), adds a reflection and submits.
//! 3. Two reviewers score blind and disagree (the first by keyboard alone), the third breaks
//!    the tie, the award is issued; the teacher downloads it as JSON and as a baked PNG.
//! 4. The transfer report page values the badge; its printout is one or two pages.
//! 5. The coordinator revokes; the award page and the verify page say so, with the reason.
//! 6. The badge with one character altered is "not valid", in words.

mod common;

#[path = "../../../tests/browser/webdriver.rs"]
mod webdriver;

use common::{start_smtp, Server, TOKEN};
use fantoccini::{Client, Locator};
use std::path::Path;
use std::time::{Duration, Instant};
use webdriver::*;

const COORDINATOR: &str = "maya.lindqvist@kmsd.edu";
const TEACHER: &str = "ana.ruiz@kmsd.edu";
const REVIEWERS: [(&str, &str); 3] = [
    ("Tomas Greer", "tomas.greer@kmsd.edu"),
    ("Ruth Okafor", "ruth.okafor@kmsd.edu"),
    ("Lena Park", "lena.park@kmsd.edu"),
];

fn aiosmtpd() -> bool {
    let ok = common::aiosmtpd_available();
    if !ok {
        assert!(
            std::env::var_os("CREDREG_REQUIRE_SMTP").is_none(),
            "CREDREG_REQUIRE_SMTP is set but Python's aiosmtpd is not installed"
        );
        println!("SKIP: the web journeys need Python's aiosmtpd (pip install aiosmtpd)");
    }
    ok
}

/// The sign-in links mailed to `to`, oldest first, as the mail server received them
/// (quoted-printable soft breaks undone).
fn mailed_links(log: &Path, to: &str) -> Vec<String> {
    mailed_urls(log, to, "/sign-in?code=crl_")
}

/// The URLs containing `needle` in the mail to `to`, oldest first.
fn mailed_urls(log: &Path, to: &str, needle: &str) -> Vec<String> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.split("---------- MESSAGE FOLLOWS ----------")
        .filter(|m| m.contains(&format!("To: {to}")))
        .flat_map(|m| {
            let body = m
                .replace("=\r\n", "")
                .replace("=\n", "")
                .replace("=3D", "=");
            body.split_whitespace()
                .filter(|w| w.starts_with("http://") && w.contains(needle))
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Waits for the `n`th link mailed to `to`.
fn nth_link(log: &Path, to: &str, n: usize) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    let links = loop {
        let links = mailed_links(log, to);
        if links.len() >= n {
            break links;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for mail number {n} to {to}; the mail server received:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    links[n - 1].clone()
}

/// Polls the neighbour's verify endpoint until the badge is valid, trusted and found in its
/// replica of the issuer's log (a minute at most).
fn wait_until_replicated(node: &Server, ask: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, body) = node.request("POST", "/api/v1/verify", None, ask);
        let r = common::json(&body);
        let c = &r["credentials"][0];
        let logged = c["checks"].as_array().is_some_and(|checks| {
            checks
                .iter()
                .any(|k| k["check"] == "logged" && k["status"] == "pass")
        });
        if status == 200 && c["verdict"] == "valid" && c["trusted"] == true && logged {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the neighbour never replicated the badge: {body}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// From the top of the page, Tab alone reaches the fields with `ids` in this order.
async fn keyboard_order(c: &Client, ids: &[&str]) {
    c.execute(
        "document.activeElement && document.activeElement.blur(); window.scrollTo(0,0);",
        vec![],
    )
    .await
    .expect("blur");
    let mut next = 0;
    for _ in 0..60 {
        if next == ids.len() {
            return;
        }
        press(c, TAB).await;
        if focused_id(c).await == ids[next] {
            next += 1;
        }
    }
    panic!("Tab did not reach {:?} in order", &ids[next..]);
}

/// Opens a page, checks it with axe-core and at 360 px wide, and saves a screenshot.
async fn visit(c: &Client, axe: &str, url: &str, shot: &str) {
    c.goto(url).await.expect("goto");
    accessible(c, axe, shot).await;
    fits_narrow(c, shot).await;
    screenshot(c, &format!("journey-{shot}")).await;
}

async fn fill(c: &Client, id: &str, text: &str) {
    paste(c, id, text).await;
}

/// Chooses the option with `value` in the select with `id`.
async fn choose(c: &Client, id: &str, value: &str) {
    c.find(Locator::Css(&format!("#{id} option[value='{value}']")))
        .await
        .unwrap_or_else(|_| panic!("#{id} offers {value}"))
        .click()
        .await
        .expect("choose");
}

/// Chooses files (newline-separated paths) in the file input with `id`.
async fn attach(c: &Client, id: &str, paths: &str) {
    c.find(Locator::Id(id))
        .await
        .expect("a file input")
        .send_keys(paths)
        .await
        .expect("choose the files");
}

async fn fill_all(c: &Client, fields: &[(&str, &str)]) {
    for (id, text) in fields {
        paste(c, id, text).await;
    }
}

/// Signs out, asks the sign-in page for a fresh code for `email`, and follows the link that
/// arrives (the `n`th mailed to that address).
async fn sign_in_by_email(c: &Client, axe: &str, base: &str, log: &Path, email: &str, who: &str) {
    c.goto(&format!("{base}/sign-out")).await.expect("sign out");
    let before = mailed_links(log, email).len();
    c.goto(&format!("{base}/sign-in")).await.expect("sign-in");
    fill(c, "email", email).await;
    click(c, "button[value=send]").await;
    text_with(c, ".notice", "sign-in code").await;
    let fresh = nth_link(log, email, before + 1);
    sign_in_from(c, axe, &fresh, who).await;
}

/// Signs in from a mailed link: the code is filled in, the person presses the button.
async fn sign_in_from(c: &Client, axe: &str, link: &str, who: &str) {
    c.goto(&format!("{}/sign-out", origin(link)))
        .await
        .expect("sign out");
    visit(c, axe, link, &format!("sign-in-{who}")).await;
    click(c, "#sign-in").await;
    let h1 = text_with(c, "h1", "My credentials").await;
    assert!(h1.contains("My credentials"), "signed in as {who}: {h1}");
}

fn origin(link: &str) -> String {
    let rest = link.trim_start_matches("http://");
    format!("http://{}", rest.split('/').next().unwrap_or(rest))
}

async fn body_text(c: &Client) -> String {
    text_of(c, "main").await
}

/// Scores the open review page by keyboard alone: Tab into each criterion's radio group,
/// Space and arrow keys to the level, Tab to the comment, type it, and Enter on the button.
async fn score_by_keyboard(c: &Client, level: usize, criteria: usize) {
    c.execute(
        "document.activeElement && document.activeElement.blur(); window.scrollTo(0,0);",
        vec![],
    )
    .await
    .expect("blur");
    for i in 0..criteria {
        let mut tabs = 0;
        while focused_id(c).await != format!("level-{i}-0") {
            press(c, TAB).await;
            tabs += 1;
            assert!(tabs < 80, "Tab never reached criterion {i}'s first level");
        }
        press(c, SPACE).await;
        for _ in 0..level {
            press(c, DOWN).await;
        }
        assert_eq!(focused_id(c).await, format!("level-{i}-{level}"));
        press(c, TAB).await;
        assert_eq!(focused_id(c).await, format!("comment-{i}"));
        for ch in "Planned, and the pauses were visible.".chars() {
            press(c, ch).await;
        }
    }
    let mut tabs = 0;
    while focused_id(c).await != "send-scores" {
        press(c, TAB).await;
        tabs += 1;
        assert!(tabs < 20, "Tab never reached the send button");
    }
    press(c, ENTER).await;
}

/// Scores the open review page with the mouse: `level` for every criterion.
async fn score_by_mouse(c: &Client, level: usize, criteria: usize) {
    for i in 0..criteria {
        click(c, &format!("#level-{i}-{level}")).await;
        fill(
            c,
            &format!("comment-{i}"),
            "Wait time was short after most questions.",
        )
        .await;
    }
    click(c, "#send-scores").await;
}

/// The reviewer with an open review, if this reviewer has one: its page address.
async fn open_review(c: &Client, base: &str) -> Option<String> {
    c.goto(&format!("{base}/reviews")).await.expect("reviews");
    for row in c
        .find_all(Locator::Css("table tbody tr"))
        .await
        .expect("rows")
    {
        let text = row.text().await.expect("row");
        if text.contains("To do") || text.contains("Overdue") {
            let a = row.find(Locator::Css("a")).await.expect("a");
            return a
                .attr("href")
                .await
                .expect("href")
                .map(|h| format!("{base}{h}"));
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coordinators_teachers_reviewers_and_principals_do_their_work_in_the_browser() {
    let Some(axe) = browser_parts() else { return };
    if !aiosmtpd() {
        return;
    }
    let Some((_dir, data)) = common::data_dir_with_contexts() else {
        println!("SKIP: the web journeys need ../shared/conformance (its JSON-LD contexts)");
        return;
    };
    let smtp_port = free_port();
    let mail_log = data.parent().expect("parent").join("mail.log");
    let _smtp = start_smtp(smtp_port, &mail_log);
    // The first start writes the configuration; the mail server is set, then it starts again.
    Server::start_as(&data, TOKEN, "Kettle Moraine School District").stop();
    let config = std::fs::read_to_string(data.join("credreg.toml")).expect("config");
    let config = config
        .replace(
            "smtp_host = \"\"\nsmtp_port = 587\n",
            &format!("smtp_host = \"127.0.0.1\"\nsmtp_port = {smtp_port}\n"),
        )
        .replace("tls = \"starttls\"", "tls = \"none\"")
        .replace(
            "from = \"credreg@localhost\"",
            "from = \"registry@kmsd.edu\"",
        )
        .replace("poll_secs = 10", "poll_secs = 1");
    std::fs::write(data.join("credreg.toml"), config).expect("write config");
    let federated = ["--federation", "wi-cesa1", "--p2p", "/ip4/127.0.0.1/tcp/0"];
    let server_log = data.parent().expect("parent").join("kettle-moraine.log");
    let server = Server::start_logging(
        &data,
        TOKEN,
        "Kettle Moraine School District",
        &federated,
        Some(&server_log),
    );
    let setup_line = server.printed("credreg first run: ");
    // A neighbouring district's node: it trusts Kettle Moraine and replicates its log.
    let (_other_dir, other_data) = common::data_dir_with_contexts().expect("contexts");
    Server::start_as(&other_data, TOKEN, "Oconomowoc Area School District").stop();
    let other_config = std::fs::read_to_string(other_data.join("credreg.toml")).expect("config");
    let other_config = other_config.replace("allow = []", &format!("allow = [\"{}\"]", server.did));
    std::fs::write(other_data.join("credreg.toml"), other_config).expect("write config");
    let (status, node) = server.request("GET", "/api/v1/node", None, "");
    assert_eq!(status, 200, "{node}");
    let p2p = common::json(&node)["p2p_addresses"][0]
        .as_str()
        .expect("a p2p address")
        .to_owned();
    let mut with_peer = federated.to_vec();
    with_peer.extend(["--bootstrap", p2p.as_str()]);
    let other = Server::start_with(
        &other_data,
        TOKEN,
        "Oconomowoc Area School District",
        &with_peer,
    );
    let other_base = format!("http://{}", other.addr);
    let other_setup = other.printed("credreg first run: ");
    let code = setup_line
        .split_whitespace()
        .last()
        .expect("code")
        .to_owned();
    let base = format!("http://{}", server.addr);
    let (_driver, c) = browser().await;

    // 1. First run: the home page offers setup; the code makes Maya the coordinator.
    visit(&c, &axe, &format!("{base}/"), "1-home-first-run").await;
    assert!(body_text(&c).await.contains("Set up this node"));
    click(&c, "a[href='/setup']").await;
    text_of(&c, "#code").await;
    accessible(&c, &axe, "setup").await;
    fill(&c, "code", "crsetup_wrong").await;
    fill(&c, "name", "Maya Lindqvist").await;
    fill(&c, "email", COORDINATOR).await;
    click(&c, "form button[type=submit]").await;
    let summary = text_with(&c, ".error-summary", "not the one").await;
    assert!(
        summary.contains("not the one this node printed"),
        "{summary}"
    );
    accessible(&c, &axe, "setup-error").await;
    fill(&c, "code", &code).await;
    click(&c, "form button[type=submit]").await;
    assert_eq!(text_with(&c, "h1", "Coordinate").await, "Coordinate");
    accessible(&c, &axe, "coordinator").await;
    screenshot(&c, "journey-1-coordinator").await;

    // The catalog editor: a rubric of two criteria, two blind reviewers and a tiebreak.
    visit(
        &c,
        &axe,
        &format!("{base}/coordinator/credentials/new"),
        "1-editor",
    )
    .await;
    fill_all(
        &c,
        &[
            ("name", "Wait Time After Discussion Questions"),
            ("description", "The teacher pauses three to five seconds after a discussion question, so more students answer and answers are longer."),
            ("narrative", "Plan five discussion questions, record a lesson, and reflect on what changed."),
            ("r0-description", "A recorded lesson segment of at least ten minutes"),
            ("c0-name", "Planned questions"),
            ("c0-levels", "Not yet; Developing; Proficient; Exemplary"),
            ("c0-pass", "3"),
            ("c1-name", "Wait time observed"),
            ("c1-levels", "Not yet; Developing; Proficient; Exemplary"),
            // Level 5 of 4: the editor must name this row.
            ("c1-pass", "5"),
            ("value-amount", "200"),
        ],
    )
    .await;
    click(&c, "#publish").await;
    let summary = text_with(&c, ".error-summary", "Criterion").await;
    assert!(
        summary.contains("Criterion 2"),
        "the editor names the wrong row: {summary}"
    );
    accessible(&c, &axe, "editor-error").await;
    screenshot(&c, "journey-1-editor-error").await;
    fill(&c, "c1-pass", "3").await;
    click(&c, "#publish").await;
    assert_eq!(
        text_with(&c, "h1", "Wait Time").await,
        "Wait Time After Discussion Questions"
    );
    let credential_url = c.current_url().await.expect("url").to_string();
    assert!(body_text(&c).await.contains("Planned questions"));
    accessible(&c, &axe, "credential").await;

    // Badges earned before credreg: a CSV import, checked row by row first, then issued with a
    // progress page that updates itself.
    let roster = data.parent().expect("parent").join("summer-cohort.csv");
    std::fs::write(
        &roster,
        "email,name\nben.ortiz@kmsd.edu,Ben Ortiz\nnot-an-address,Cara Diaz\n",
    )
    .expect("csv");
    visit(&c, &axe, &format!("{base}/coordinator/awards"), "1-issue").await;
    let credential_id = credential_url.rsplit('/').next().expect("id").to_owned();
    choose(&c, "credential", &credential_id).await;
    attach(&c, "csv", &roster.display().to_string()).await;
    click(&c, "#import").await;
    let summary = text_with(&c, ".error-summary", "line 3").await;
    assert!(
        summary.contains("Nothing was issued") && summary.contains("line 3"),
        "{summary}"
    );
    accessible(&c, &axe, "import-error").await;
    std::fs::write(
        &roster,
        "email,name\nben.ortiz@kmsd.edu,Ben Ortiz\ncara.diaz@kmsd.edu,Cara Diaz\ndev.shah@kmsd.edu,Dev Shah\n",
    )
    .expect("csv");
    choose(&c, "credential", &credential_id).await;
    attach(&c, "csv", &roster.display().to_string()).await;
    click(&c, "#import").await;
    let status = text_with(&c, "#import-status", "3 of 3 badges issued.").await;
    assert_eq!(status, "3 of 3 badges issued.");
    assert_eq!(text_of(&c, "h1").await, "Badges issued");
    accessible(&c, &axe, "import-done").await;
    screenshot(&c, "journey-1-import-done").await;

    // Invitations: a teacher and three reviewers, each mailed a sign-in link.
    let mut people = vec![("Ana Ruiz", TEACHER, "teacher")];
    people.extend(REVIEWERS.iter().map(|(n, e)| (*n, *e, "reviewer")));
    for (name, email, role) in &people {
        c.goto(&format!("{base}/coordinator"))
            .await
            .expect("coordinator");
        fill(&c, "invite-name", name).await;
        fill(&c, "invite-email", email).await;
        click(&c, &format!("#role-{role}")).await;
        click(&c, "#invite").await;
        let notice = text_with(&c, ".notice", &format!("Invited {name}")).await;
        assert!(notice.contains(&format!("Invited {name}")), "{notice}");
    }
    accessible(&c, &axe, "coordinator-invited").await;

    // 2. The teacher follows the mailed link, starts the credential, uploads and submits.
    let link = nth_link(&mail_log, TEACHER, 1);
    assert!(
        link.starts_with(&base),
        "the link points at this node: {link}"
    );
    sign_in_from(&c, &axe, &link, "teacher").await;
    visit(&c, &axe, &credential_url, "2-credential-signed-in").await;
    click(&c, "form[action$='/start'] button").await;
    assert!(text_with(&c, "#state", "Draft").await.starts_with("Draft"));
    accessible(&c, &axe, "submission-draft").await;
    let plan = data.parent().expect("parent").join("lesson-plan.txt");
    std::fs::write(
        &plan,
        "Five discussion questions for the water cycle lesson, with planned pauses.\n",
    )
    .expect("plan");
    attach(&c, "file", &plan.display().to_string()).await;
    click(&c, "form[data-upload] button").await;
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::XPath("//li[contains(., 'lesson-plan.txt')]"))
        .await
        .expect("the uploaded file is listed");
    fill(
        &c,
        "text",
        "Students answered in fuller sentences once I waited; two quiet students spoke.",
    )
    .await;
    click(&c, "#add-reflection").await;
    text_with(&c, "ol.items", "Reflection").await;
    let listed = body_text(&c).await;
    assert!(
        listed.contains("lesson-plan.txt") && listed.contains("text file"),
        "{listed}"
    );
    screenshot(&c, "journey-2-evidence").await;
    click(&c, "#submit").await;
    let state = text_with(&c, "#state", "Submitted").await;
    assert!(state.starts_with("Submitted"), "{state}");
    accessible(&c, &axe, "submission-submitted").await;

    // 3. Reviewers: the first scores by keyboard (passing), the second disagrees, the third
    // breaks the tie.
    let mut scored = 0;
    for (i, (name, email)) in REVIEWERS.iter().enumerate() {
        if scored == 2 {
            // The third reviewer's turn comes with the tiebreak, below.
            break;
        }
        let link = nth_link(&mail_log, email, 1);
        sign_in_from(&c, &axe, &link, &format!("reviewer-{i}")).await;
        let Some(review) = open_review(&c, &base).await else {
            continue;
        };
        accessible(&c, &axe, "reviews-queue").await;
        visit(&c, &axe, &review, &format!("3-review-{i}")).await;
        let page = body_text(&c).await;
        assert!(
            !page.contains("Ana Ruiz") && !page.contains(TEACHER),
            "blind review shows the teacher to {name}"
        );
        assert!(
            page.contains("Five discussion questions"),
            "the text evidence is shown inline"
        );
        if scored == 0 {
            score_by_keyboard(&c, 2, 2).await;
        } else {
            score_by_mouse(&c, 1, 2).await;
        }
        let after = text_with(&c, "dl.summary", "Sent").await;
        assert!(after.contains("Sent"), "{after}");
        scored += 1;
    }
    assert_eq!(scored, 2, "two reviewers were assigned");
    // The tiebreak goes to the reviewer who has not scored yet.
    let mut tiebreak = None;
    for (i, (_, email)) in REVIEWERS.iter().enumerate() {
        // Their first link is spent (or was never used): ask for a new one by e-mail.
        sign_in_by_email(&c, &axe, &base, &mail_log, email, &format!("tiebreak-{i}")).await;
        if let Some(review) = open_review(&c, &base).await {
            c.goto(&review).await.expect("review");
            assert!(body_text(&c).await.contains("break a tie"));
            accessible(&c, &axe, "tiebreak").await;
            screenshot(&c, "journey-3-tiebreak").await;
            score_by_mouse(&c, 2, 2).await;
            let after = text_with(&c, "dl.summary", "awarded").await;
            assert!(after.contains("awarded"), "{after}");
            tiebreak = Some(i);
            break;
        }
    }
    assert!(tiebreak.is_some(), "a tiebreak review was assigned");

    // The teacher's badge: downloads as JSON and as a PNG with the same JSON baked in.
    sign_in_by_email(&c, &axe, &base, &mail_log, TEACHER, "teacher-again").await;
    accessible(&c, &axe, "mine-awarded").await;
    screenshot(&c, "journey-3-my-badges").await;
    let award_href = c
        .find(Locator::Css("a[href$='/badge.json']"))
        .await
        .expect("download link")
        .attr("href")
        .await
        .expect("href")
        .expect("href");
    let (status, json_bytes) = http_get_bytes(&server.addr, &award_href);
    assert_eq!(status, 200);
    let badge: serde_json::Value = serde_json::from_slice(&json_bytes).expect("badge JSON");
    let (status, png_bytes) =
        http_get_bytes(&server.addr, &award_href.replace("badge.json", "badge.png"));
    assert_eq!(status, 200);
    let reader = png::Decoder::new(std::io::Cursor::new(png_bytes))
        .read_info()
        .expect("a PNG");
    let baked = reader
        .info()
        .utf8_text
        .iter()
        .find(|t| t.keyword == "openbadgecredential")
        .expect("the iTXt chunk")
        .get_text()
        .expect("text");
    assert_eq!(
        baked.as_bytes(),
        &json_bytes[..],
        "the PNG holds the badge byte for byte"
    );
    let award_page = format!("{base}{}", award_href.trim_end_matches("/badge.json"));
    visit(&c, &axe, &award_page, "3-award-valid").await;
    assert!(text_of(&c, "#verdict").await.contains("valid"));

    // The badge's evidence is private: a principal who follows its link asks the teacher,
    // the teacher agrees on her submission page, and the principal is mailed a share link.
    const PRINCIPAL: &str = "grace.holm@oasd.org";
    let evidence_url = badge["evidence"]
        .as_array()
        .and_then(|e| e.iter().find_map(|x| x["id"].as_str()))
        .expect("the badge lists its evidence")
        .to_owned();
    c.goto(&format!("{base}/sign-out")).await.expect("sign out");
    visit(&c, &axe, &evidence_url, "3-evidence-private").await;
    assert_eq!(text_of(&c, "h1").await, "This evidence is private");
    fill_all(
        &c,
        &[
            ("name", "Grace Holm"),
            ("email", PRINCIPAL),
            (
                "reason",
                "I am hiring for a grade 5 position at Greenland Elementary.",
            ),
        ],
    )
    .await;
    click(&c, "#ask").await;
    assert!(text_with(&c, ".notice", "teacher is asked")
        .await
        .contains("seven days"));
    sign_in_by_email(&c, &axe, &base, &mail_log, TEACHER, "teacher-consents").await;
    click(&c, "table a[href^='/mine/submissions/']").await;
    let asked = text_with(&c, "main", "Grace Holm").await;
    assert!(asked.contains("grade 5 position"), "{asked}");
    accessible(&c, &axe, "submission-access-request").await;
    click(&c, "button[value=grant]").await;
    text_with(&c, "main", "you agreed").await;
    let mut shared = Vec::new();
    for _ in 0..1200 {
        shared = mailed_urls(&mail_log, PRINCIPAL, "share=");
        if !shared.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let link = shared
        .first()
        .expect("the principal is mailed a share link");
    let path = link.trim_start_matches(&base);
    let (status, file) = http_get_bytes(&server.addr, path);
    assert_eq!(status, 200, "the share link opens the evidence");
    assert!(String::from_utf8_lossy(&file).contains("Five discussion questions"));

    // 4. At the neighbouring district, a principal drops the teacher's files on the transfer
    // report page: recognized under Oconomowoc's rule, with its local value.
    // Replication is the event to wait for: the neighbour checks the badge against its replica.
    let ask = serde_json::json!({ "credentials": [badge] }).to_string();
    wait_until_replicated(&other, &ask);
    let files = data.parent().expect("parent").join("downloads");
    std::fs::create_dir_all(&files).expect("downloads");
    std::fs::write(files.join("ana-ruiz-wait-time.json"), &json_bytes).expect("json");
    let (_, png_again) =
        http_get_bytes(&server.addr, &award_href.replace("badge.json", "badge.png"));
    std::fs::write(files.join("ana-ruiz-wait-time.png"), &png_again).expect("png");
    // Oconomowoc's coordinator sets it up, writes the rule, previews it on the badge, publishes.
    let other_code = other_setup
        .split_whitespace()
        .last()
        .expect("code")
        .to_owned();
    c.goto(&format!("{other_base}/setup")).await.expect("setup");
    fill_all(
        &c,
        &[
            ("code", other_code.as_str()),
            ("name", "Joel Brandt"),
            ("email", "joel.brandt@oasd.org"),
        ],
    )
    .await;
    click(&c, "form button[type=submit]").await;
    text_with(&c, "h1", "Coordinate").await;
    visit(
        &c,
        &axe,
        &format!("{other_base}/coordinator/recognitions"),
        "4-rules",
    )
    .await;
    let credential_id = credential_url.rsplit('/').next().expect("id").to_owned();
    choose(&c, "credential", &credential_id).await;
    fill_all(
        &c,
        &[
            ("name", "Kettle Moraine wait time"),
            ("amount", "150"),
            ("valid_from", "2026-01-01"),
        ],
    )
    .await;
    attach(
        &c,
        "sample-files",
        &files.join("ana-ruiz-wait-time.png").display().to_string(),
    )
    .await;
    click(&c, "#preview").await;
    let preview = text_with(&c, ".result-card", "Recognized").await;
    assert!(preview.contains("Recognized: $150"), "{preview}");
    accessible(&c, &axe, "rules-preview").await;
    screenshot(&c, "journey-4-rule-preview").await;
    click(&c, "#publish-rule").await;
    let published = text_with(&c, ".notice", "published").await;
    assert!(published.contains("published and signed"), "{published}");
    assert!(body_text(&c).await.contains("Kettle Moraine wait time"));
    // Its view of the federation: the peer, and Kettle Moraine's log replicated and trusted.
    visit(
        &c,
        &axe,
        &format!("{other_base}/coordinator/node"),
        "4-node",
    )
    .await;
    let view = body_text(&c).await;
    assert!(
        view.contains("Kettle Moraine School District")
            && view.contains("trusted by this node's operator")
            && view.contains("connected"),
        "{view}"
    );
    click(&c, "#create-token").await;
    let token = c
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Id("new-token"))
        .await
        .expect("the new token is shown once")
        .prop("value")
        .await
        .expect("value")
        .unwrap_or_default();
    assert!(token.len() >= 32, "{token}");
    let (status, _) = other.request("GET", "/api/v1/people", Some(&token), "");
    assert_eq!(status, 200, "the token made on the page works with the API");
    accessible(&c, &axe, "node-token").await;
    screenshot(&c, "journey-4-node").await;
    visit(&c, &axe, &format!("{other_base}/transfer"), "4-transfer").await;
    let chosen = [files.join("ana-ruiz-wait-time.png")]
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join("\n");
    attach(&c, "files", &chosen).await;
    fill(&c, "email", TEACHER).await;
    click(&c, "#value").await;
    let report = text_with(&c, "main", "Recognized").await;
    assert!(
        report.contains("Wait Time After Discussion Questions")
            && report.contains("Recognized: $150"),
        "{report}"
    );
    assert!(
        report.contains("Oconomowoc Area School District"),
        "{report}"
    );
    accessible(&c, &axe, "transfer-report").await;
    screenshot(&c, "journey-4-transfer-report").await;
    // Keyboard alone: from the top of the page, Tab reaches the files, the text, the e-mail
    // and the button in that order.
    keyboard_order(&c, &["files", "badges", "email", "district", "value"]).await;
    let pdf = c.print(Default::default()).await.expect("print");
    let text = String::from_utf8_lossy(&pdf);
    let pages = text.matches("/Type /Page").count() - text.matches("/Type /Pages").count();
    assert!((1..=2).contains(&pages), "the printout is {pages} pages");

    // 5. The coordinator revokes, with a reason; the award and verify pages say so.
    sign_in_by_email(&c, &axe, &base, &mail_log, COORDINATOR, "coordinator-again").await;
    c.goto(&format!("{base}/coordinator"))
        .await
        .expect("coordinator");
    fill(&c, "revoke-award", &award_page).await;
    fill(
        &c,
        "revoke-reason",
        "The recorded lesson was not the teacher's own class.",
    )
    .await;
    click(&c, "#revoke").await;
    let verdict = text_with(&c, "#verdict", "revoked").await;
    assert!(verdict.contains("revoked"), "{verdict}");
    let page = body_text(&c).await;
    assert!(
        page.contains("not the teacher's own class"),
        "the reason is shown: {page}"
    );
    accessible(&c, &axe, "award-revoked").await;
    screenshot(&c, "journey-5-award-revoked").await;
    visit(&c, &axe, &format!("{base}/verify"), "5-verify").await;
    paste(&c, "badge", &String::from_utf8_lossy(&json_bytes)).await;
    click(&c, "form button[type=submit]").await;
    let card = text_with(&c, ".result-card", "revoked").await;
    assert!(
        card.contains("revoked") && card.contains("not the teacher's own class"),
        "{card}"
    );
    accessible(&c, &axe, "verify-revoked").await;
    screenshot(&c, "journey-5-verify-revoked").await;

    // 6. One altered character: not valid, in words.
    let name = badge["credentialSubject"]["achievement"]["name"]
        .as_str()
        .expect("name")
        .to_owned();
    let altered =
        String::from_utf8_lossy(&json_bytes).replacen(&name, &name.replacen("Wait", "Wail", 1), 1);
    assert_ne!(altered.as_bytes(), &json_bytes[..]);
    c.goto(&format!("{base}/verify")).await.expect("verify");
    paste(&c, "badge", &altered).await;
    click(&c, "form button[type=submit]").await;
    let card = text_with(&c, ".result-card", "not valid").await;
    assert!(
        card.contains("not valid") && card.contains("Signature: failed"),
        "{card}"
    );
    accessible(&c, &axe, "verify-altered").await;
    screenshot(&c, "journey-6-verify-altered").await;

    c.close().await.expect("close");
    other.stop();
    server.stop();
    // Nothing secret or personal reached the node's log, at debug: no sign-in, setup or share
    // code, no session or API token, no teacher's address.
    let log = std::fs::read_to_string(&server_log).expect("the node's log");
    assert!(log.contains("serving"), "the log was written: {log}");
    for secret in [
        "crl_", "crs_", "crsetup_", "crx_", "crt_", "share=", "code=",
    ] {
        assert!(!log.contains(secret), "the log holds {secret}: {log}");
    }
    for address in [
        TEACHER,
        COORDINATOR,
        REVIEWERS[0].1,
        REVIEWERS[1].1,
        REVIEWERS[2].1,
    ] {
        let lines: Vec<&str> = log
            .lines()
            .filter(|l| l.contains(address))
            .take(3)
            .collect();
        assert!(lines.is_empty(), "the log holds {address}: {lines:#?}");
    }
}
