//! Driving a real headless Chromium over WebDriver (chromedriver), shared by the page tests:
//! starting the browser, axe-core checks, screenshots under `target/screenshots/`, the
//! 360 px check, and small helpers that wait with a deadline instead of sleeping.
#![allow(dead_code)] // each test binary uses some of them

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The workspace's root: the nearest directory up from the test's crate with `tests/browser`.
pub fn workspace_root() -> PathBuf {
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    while !dir.join("tests/browser/package.json").exists() {
        if !dir.pop() {
            return PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        }
    }
    dir
}

pub fn axe_source() -> Option<String> {
    let path = workspace_root().join("tests/browser/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(path).ok()
}

/// The browser parts, or a SKIP line (a failure when `CREDREG_REQUIRE_BROWSER` is set).
pub fn browser_parts() -> Option<String> {
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

pub struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

pub fn eventually(what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub async fn browser() -> (Driver, Client) {
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
pub async fn accessible(c: &Client, axe: &str, page: &str) {
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

pub async fn screenshot(c: &Client, name: &str) {
    let dir = workspace_root().join("target/screenshots");
    let _ = std::fs::create_dir_all(&dir);
    if let Ok(png) = c.screenshot().await {
        let _ = std::fs::write(dir.join(format!("{name}.png")), png);
    }
}

/// At 360 px wide, nothing is wider than the window.
pub async fn fits_narrow(c: &Client, page: &str) {
    c.set_window_size(360, 800).await.expect("resize");
    let wide = c
        .execute("return document.documentElement.scrollWidth;", vec![])
        .await
        .expect("width");
    let inner = c
        .execute("return window.innerWidth;", vec![])
        .await
        .expect("inner");
    if wide.as_i64() > inner.as_i64() {
        // Name the elements that stick out, for the failure message.
        let culprits = c
            .execute(
                r#"const w = window.innerWidth; return [...document.querySelectorAll('main *')]
                     .filter(e => e.getBoundingClientRect().right > w + 1)
                     .filter(e => !e.querySelector('*')).slice(0, 6).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().width) + 'px: ' + (e.textContent || '').slice(0, 60));"#,
                vec![],
            )
            .await
            .unwrap_or_default();
        panic!("{page} scrolls sideways at 360 px: {wide} > {inner}; sticking out: {culprits}");
    }
    c.set_window_size(1200, 900).await.expect("resize");
}

/// Sets a field's value (long JSON is pasted, not typed key by key).
pub async fn paste(c: &Client, id: &str, text: &str) {
    c.execute(
        "document.getElementById(arguments[0]).value = arguments[1];",
        vec![json!(id), json!(text)],
    )
    .await
    .expect("paste");
}

/// Types `text` into the field with `id`, key by key (as a person would).
pub async fn type_into(c: &Client, id: &str, text: &str) {
    c.find(Locator::Id(id))
        .await
        .expect(id)
        .send_keys(text)
        .await
        .expect("type");
}

/// Clicks the first element matching `css`.
pub async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .expect(css)
        .click()
        .await
        .expect("click");
}

pub async fn text_of(c: &Client, css: &str) -> String {
    text_where(c, css, |_| true).await
}

/// The text of the first element matching `css` once it satisfies `ok`, polling with a
/// deadline: a page that is still being replaced (a form posted, a script navigating) is read
/// again rather than failing on a stale element. On timeout, the last text seen is returned,
/// for the caller's assertion to show.
pub async fn text_where(c: &Client, css: &str, ok: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut last = String::new();
    loop {
        if let Ok(el) = c.find(Locator::Css(css)).await {
            if let Ok(text) = el.text().await {
                if ok(&text) {
                    return text;
                }
                last = text;
            }
        }
        if Instant::now() > deadline {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The text of `css` once it contains `needle` (or the last text seen, after the deadline).
pub async fn text_with(c: &Client, css: &str, needle: &str) -> String {
    text_where(c, css, |t| t.contains(needle)).await
}

/// GET over loopback: the status and the body's bytes (downloads, images).
pub fn http_get_bytes(addr: &str, path: &str) -> (u16, Vec<u8>) {
    use std::io::{Read, Write};
    let mut s = TcpStream::connect(addr).expect("connect");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("headers")
        + 4;
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    assert!(
        !head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "{head}"
    );
    (status, raw[split..].to_vec())
}

/// Presses one key on whatever has the focus (WebDriver actions: unlike typing into an
/// element, this is what a keyboard does, file inputs included).
pub async fn press(c: &Client, key: char) {
    use fantoccini::actions::{InputSource, KeyAction, KeyActions};
    let keys = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key });
    c.perform_actions(keys).await.expect("key press");
}

/// The id of the element with the focus ("" when it has none).
pub async fn focused_id(c: &Client) -> String {
    c.active_element()
        .await
        .expect("active element")
        .attr("id")
        .await
        .expect("id")
        .unwrap_or_default()
}

pub const TAB: char = '\u{e004}';
pub const DOWN: char = '\u{e015}';
pub const ENTER: char = '\u{e007}';
pub const SPACE: char = '\u{e00d}';
