//! The outbox against a real SMTP server process (Python's aiosmtpd): while the server is
//! down every message waits and is retried; once it is up, every message is delivered
//! exactly once.

mod common;

use common::{aiosmtpd_available, free_port, json, start_smtp, Server, TOKEN};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Polls `ok` until it holds, failing after a minute.
fn eventually(what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn outbox(server: &Server) -> Vec<serde_json::Value> {
    let (status, body) = server.request("GET", "/api/v1/outbox", Some(TOKEN), "");
    assert_eq!(status, 200, "{body}");
    json(&body)["messages"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn invite(server: &Server, name: &str, email: &str) {
    let body = serde_json::json!({"name": name, "email": email, "roles": ["teacher"]}).to_string();
    let (status, reply) = server.request("POST", "/api/v1/people", Some(TOKEN), &body);
    assert_eq!(status, 201, "{reply}");
}

#[test]
fn smtp_down_then_up_delivers_every_message_exactly_once() {
    if !aiosmtpd_available() {
        assert!(
            std::env::var_os("CREDREG_REQUIRE_SMTP").is_none(),
            "CREDREG_REQUIRE_SMTP is set but Python's aiosmtpd is not installed"
        );
        println!("SKIP: Python's aiosmtpd is not installed (pip install aiosmtpd)");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let port = free_port();
    // First start writes the data directory; then the mail section is set and it restarts.
    Server::start(&data).stop();
    let config = std::fs::read_to_string(data.join("credreg.toml")).expect("config");
    let config = config.replace(
        "smtp_host = \"\"\nsmtp_port = 587\n",
        &format!("smtp_host = \"127.0.0.1\"\nsmtp_port = {port}\n"),
    );
    let config = config
        .replace("tls = \"starttls\"", "tls = \"none\"")
        .replace(
            "from = \"credreg@localhost\"",
            "from = \"registry@kmsd.edu\"",
        )
        .replace("poll_secs = 10", "poll_secs = 1")
        .replace("retry_base_secs = 60", "retry_base_secs = 1");
    assert!(config.contains(&format!("smtp_port = {port}")), "{config}");
    std::fs::write(data.join("credreg.toml"), config).expect("write config");
    let server = Server::start(&data);

    // The mail server is down: invitations wait, with their failures recorded.
    let people = [
        ("Maya Lindqvist", "maya.lindqvist@kmsd.edu"),
        ("Tomas Greer", "tomas.greer@kmsd.edu"),
        ("Ruth Okafor", "ruth.okafor@kmsd.edu"),
    ];
    for (name, email) in people {
        invite(&server, name, email);
    }
    eventually("every message tried and failed", || {
        let m = outbox(&server);
        m.len() == 3
            && m.iter().all(|m| {
                m["attempts"].as_u64() >= Some(1)
                    && m["last_error"].is_string()
                    && m["sent_at"].is_null()
            })
    });

    // It comes up: every message goes out.
    let log = dir.path().join("smtp.log");
    let _smtp = start_smtp(port, &log);
    eventually("every message delivered", || {
        outbox(&server).iter().all(|m| m["sent_at"].is_string())
    });
    // One more afterwards: once it is delivered, any repeat of the first three would be too.
    invite(&server, "Dana Holm", "dana.holm@kmsd.edu");
    eventually("the fourth message delivered", || {
        let m = outbox(&server);
        m.len() == 4 && m.iter().all(|m| m["sent_at"].is_string())
    });
    let received = std::fs::read_to_string(&log).expect("smtp log");
    for (_, email) in people.iter().chain([&("Dana Holm", "dana.holm@kmsd.edu")]) {
        let copies = received.matches(&format!("To: {email}")).count();
        assert_eq!(copies, 1, "{email} got {copies} copies:\n{received}");
    }
    assert_eq!(received.matches("From: registry@kmsd.edu").count(), 4);
    server.stop();
}

#[test]
fn the_first_coordinators_sign_in_code_is_printed_without_a_mail_server() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let mut child = common::credreg(&data)
        .env("CREDREG_FIRST_COORDINATOR", "coordinator@kmsd.edu")
        .args(["serve", "--http", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn credreg serve");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut code = None;
    let addr = loop {
        let line = lines.next().expect("serve exited early").expect("read");
        if let Some(rest) = line.strip_prefix("credreg first coordinator coordinator@kmsd.edu: ") {
            code = rest
                .split('"')
                .find(|w| w.starts_with("crl_"))
                .map(str::to_owned);
        }
        if let Some(rest) = line.strip_prefix("credreg listening on http://") {
            break rest.split_whitespace().next().expect("addr").to_owned();
        }
    };
    let (_tx, output) = std::sync::mpsc::channel();
    std::thread::spawn(move || for _ in lines {});
    let server = Server {
        child,
        addr,
        did: String::new(),
        output,
    };
    let code = code.expect("the sign-in code was printed");
    let (status, body) = server.request(
        "POST",
        "/api/v1/sessions",
        None,
        &format!("{{\"code\": \"{code}\"}}"),
    );
    assert_eq!(status, 201, "{body}");
    let token = json(&body)["token"].as_str().expect("token").to_owned();
    let (status, body) = server.request("GET", "/api/v1/people", Some(&token), "");
    assert_eq!(
        status, 200,
        "the first coordinator runs the program: {body}"
    );
    assert_eq!(
        json(&body)["people"][0]["roles"],
        serde_json::json!(["coordinator"])
    );
    server.stop();
}
