//! A real `credreg serve` process: first start with no setup, publish, issue, SIGTERM,
//! restart and find everything; bulk CSV import while stopped.

mod common;

use common::{credreg, data_dir_with_contexts, json, Server, TOKEN};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[test]
fn serve_restart_and_import() {
    let Some((_keep, data)) = data_dir_with_contexts() else {
        return;
    };

    let server = Server::start(&data);
    assert!(data.join("issuer.key").is_file() && data.join("credreg.toml").is_file());
    let (status, health) = server.request("GET", "/healthz", None, "");
    assert_eq!(
        (status, json(&health)["status"].as_str()),
        (200, Some("ok"))
    );
    let def = r#"{"name":"Eliciting Thinking with Open-Ended Questions","description":"Asks questions with many possible answers.","criteria":{"narrative":"Submit two lesson plans and a reflection."},"local_value":{"amount":6,"unit":"ce_points"}}"#;
    assert_eq!(
        server.request("POST", "/api/v1/credentials", None, def).0,
        401
    );
    let cred = server.publish(def);
    let award_body =
        format!(r#"{{"credential_id":"{cred}","recipient":{{"email":"teacher@scps.k12.fl.us"}}}}"#);
    let (status, award) = server.request("POST", "/api/v1/awards", Some(TOKEN), &award_body);
    assert_eq!(status, 201, "{award}");
    let award_id = json(&award)["id"].as_str().expect("id").to_owned();
    server.stop();

    // Bulk import while stopped.
    let csv = data.parent().expect("parent").join("teachers.csv");
    std::fs::write(
        &csv,
        "email,name,evidence_url\nana@scps.k12.fl.us,Ana Ruiz,https://portfolio.example.org/ana\nben@scps.k12.fl.us,Ben Ode,\n",
    )
    .expect("csv");
    let import = || {
        credreg(&data)
            .args(["awards", "import"])
            .arg(&csv)
            .args(["--credential", &cred])
            .output()
            .expect("import")
    };
    let out = import();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("issued 2 awards"));
    // A file with a bad row issues nothing and names the line.
    std::fs::write(&csv, "email\ngood@scps.k12.fl.us\nnot-an-email\n").expect("csv");
    let out = import();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("line 3: recipient.email"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A reviewer token made while stopped: it may issue, not publish.
    let out = credreg(&data)
        .args(["token", "create", "--role", "reviewer"])
        .output()
        .expect("token create");
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let reviewer = stdout.trim().rsplit(' ').next().expect("token").to_owned();

    let server = Server::start(&data);
    assert_eq!(
        server
            .request("POST", "/api/v1/credentials", Some(&reviewer), def)
            .0,
        403
    );
    let (status, body) = server.request("POST", "/api/v1/awards", Some(&reviewer), &award_body);
    assert_eq!(status, 201, "{body}");
    let (status, again) = server.request("GET", &format!("/api/v1/awards/{award_id}"), None, "");
    assert_eq!(status, 200);
    assert_eq!(again, award, "the same bytes after a restart");
    let (_, report) = server.request("POST", "/api/v1/verify", None, &award);
    assert_eq!(
        json(&report)["credentials"][0]["verdict"],
        "valid",
        "{report}"
    );
    let (_, info) = server.request("GET", "/api/v1/node", None, "");
    assert_eq!(json(&info)["awards"], 4);
    assert_eq!(json(&info)["name"], "Seminole County Public Schools");
    server.stop();
}

/// Seminole County (6 CE points per credential of its own catalog) fetches a teacher's
/// offline bundle, asks its running node for a transfer report with `credreg
/// transfer-report`, then stops the node: `credreg verify --offline` still verifies the
/// bundle, and refuses it once a single character of it changes.
#[test]
fn offline_bundle_and_transfer_report_commands() {
    let Some((_keep, data)) = data_dir_with_contexts() else {
        return;
    };
    let server = Server::start(&data);
    let def = r#"{"name":"Checking for Understanding","description":"Uses quick checks during a lesson.","criteria":{"narrative":"Two lesson plans with checks and a reflection."},"local_value":{"amount":6,"unit":"ce_points"}}"#;
    let cred = server.publish(def);
    let award = server.award(&cred, "ana@scps.k12.fl.us");
    let award_id = json(&award)["id"].as_str().expect("id").to_owned();
    let (status, bundle) = server.request(
        "GET",
        &format!("/api/v1/awards/{award_id}/bundle"),
        None,
        "",
    );
    assert_eq!(status, 200, "{bundle}");
    let dir = data.parent().expect("parent").to_owned();
    let bundle_file = dir.join("ana-bundle.json");
    std::fs::write(&bundle_file, &bundle).expect("write bundle");

    let html = dir.join("report.html");
    let out = credreg(&data)
        .args([
            "transfer-report",
            "--node",
            &format!("http://{}", server.addr),
        ])
        .args(["--email", "ana@scps.k12.fl.us", "--html"])
        .arg(&html)
        .arg(&bundle_file)
        .output()
        .expect("transfer-report");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("Transfer report for Seminole County Public Schools"),
        "{stdout}"
    );
    assert!(stdout.contains("own"), "{stdout}");
    let page = std::fs::read_to_string(&html).expect("html written");
    assert!(page.starts_with("<!doctype html>"));
    server.stop();

    // The network is down (no node runs): the bundle verifies from its own contents.
    let verify = |file: &Path| {
        credreg(&data)
            .args(["verify", "--offline"])
            .arg(file)
            .output()
            .expect("verify")
    };
    let out = verify(&bundle_file);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.starts_with("OK "), "{stdout}");
    assert!(
        stdout.contains("included in its signed checkpoint"),
        "{stdout}"
    );
    assert!(stdout.contains("not revoked as of"), "{stdout}");
    // One changed character anywhere signed (here: a hex digit of the checkpoint's root, a
    // digit of the receipt's position, a letter of the award) fails it.
    let v = json(&bundle);
    let root = v["checkpoint"]["root"].as_str().expect("root");
    let flipped_root = format!(
        "{}{}",
        if root.starts_with('0') { '1' } else { '0' },
        &root[1..]
    );
    for altered in [
        bundle.replacen(root, &flipped_root, 1),
        bundle.replacen("\"index\":", "\"index\":1", 1),
        bundle.replacen(
            "Checking for Understanding",
            "Checking for Understandinh",
            1,
        ),
    ] {
        assert_ne!(altered, bundle);
        let file = dir.join("altered.json");
        std::fs::write(&file, &altered).expect("write");
        let out = verify(&file);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(!out.status.success(), "{stdout}");
        assert!(stdout.starts_with("FAIL "), "{stdout}");
    }
}

/// Reads from `s` until the server closes the connection (or `limit` passes): how long it
/// kept the connection open.
fn open_for(s: &mut TcpStream, limit: Duration) -> Duration {
    let start = Instant::now();
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    let mut buf = [0u8; 1024];
    while start.elapsed() < limit {
        match s.read(&mut buf) {
            Ok(0) => return start.elapsed(),
            Ok(_) => {}
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => return start.elapsed(),
        }
    }
    start.elapsed()
}

#[test]
fn idle_slow_and_stuck_clients_are_cut_off() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("dir");
    std::fs::write(
        data.join("credreg.toml"),
        "name = \"Juab School District\"\n[limits]\nheader_timeout_secs = 1\nbody_timeout_secs = 2\nshutdown_grace_secs = 1\n",
    )
    .expect("config");
    let server = Server::start(&data);
    let limit = Duration::from_secs(15);

    // An idle connection is closed after the header timeout.
    let mut idle = TcpStream::connect(&server.addr).expect("connect");
    assert!(
        open_for(&mut idle, limit) < limit,
        "idle connection kept open"
    );

    // So is one that sends its head a byte at a time (slowloris).
    let mut slow = TcpStream::connect(&server.addr).expect("connect");
    let start = Instant::now();
    let head = b"GET /healthz HTTP/1.1\r\nHost: juab\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let mut closed = false;
    for byte in head.iter().cycle() {
        if slow.write_all(&[*byte]).is_err() {
            closed = true;
            break;
        }
        if start.elapsed() > limit {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        closed,
        "a slow header kept the connection open for {limit:?}"
    );

    // A body that trickles in is cut off by the body deadline, as problem+json.
    let mut trickle = TcpStream::connect(&server.addr).expect("connect");
    write!(
        trickle,
        "POST /api/v1/verify HTTP/1.1\r\nHost: juab\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{{"
    )
    .expect("head");
    trickle.set_read_timeout(Some(limit)).expect("read timeout");
    let mut answer = String::new();
    let _ = trickle.read_to_string(&mut answer);
    assert!(
        answer.starts_with("HTTP/1.1 408") && answer.contains("application/problem+json"),
        "{answer}"
    );

    // A client stuck mid-request does not keep a stopped node alive past its grace period.
    let mut stuck = TcpStream::connect(&server.addr).expect("connect");
    write!(
        stuck,
        "POST /api/v1/verify HTTP/1.1\r\nHost: juab\r\nContent-Length: 100\r\n\r\n{{\"a\":"
    )
    .expect("head");
    let (status, _) = server.request("GET", "/healthz", None, "");
    assert_eq!(status, 200, "the node still serves others");
    server.stop();
    drop(stuck);
}

#[cfg(unix)]
#[test]
fn data_directory_is_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let server = Server::start(&data);
    let (status, _) = server.request("GET", "/healthz", None, "");
    assert_eq!(status, 200);
    server.stop();
    let mode = |p: &Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700, "data directory");
    assert_eq!(mode(&data.join("db")), 0o700, "database directory");
    assert_eq!(mode(&data.join("issuer.key")), 0o600, "issuer key");
    assert_eq!(mode(&data.join("credreg.toml")), 0o600, "configuration");
    for entry in walk(&data.join("db")) {
        let m = mode(&entry);
        if entry.is_dir() {
            assert_eq!(m, 0o700, "{}", entry.display());
        } else {
            assert_eq!(m, 0o600, "{}", entry.display());
        }
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(walk(&p));
        }
        out.push(p);
    }
    out
}

/// The token `credreg token create` printed.
fn created_token(data: &Path, role: &str) -> String {
    let out = credreg(data)
        .args(["token", "create", "--role", role, "--days", "30"])
        .output()
        .expect("token create");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("expires"), "{text}");
    text.split_whitespace().last().expect("token").to_owned()
}

/// The id `credreg token list` shows for the token of `role` from `source`.
fn token_id(data: &Path, role: &str, source: &str) -> String {
    let out = credreg(data)
        .args(["token", "list"])
        .output()
        .expect("list");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines()
        .find(|l| l.split_whitespace().nth(1) == Some(role) && l.contains(source))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("no {role} {source} token in:\n{text}"))
        .to_owned()
}

#[test]
fn tokens_are_listed_revoked_and_rotated() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let reviewer = created_token(&data, "reviewer");
    // An authorized caller with an empty definition gets 422; anyone else 401.
    let probe = |server: &Server, token: &str| {
        server
            .request("POST", "/api/v1/credentials", Some(token), "{}")
            .0
    };

    let server = Server::start(&data);
    assert_eq!(probe(&server, TOKEN), 422);
    assert_eq!(probe(&server, &reviewer), 403, "a reviewer cannot publish");
    server.stop();

    let id = token_id(&data, "reviewer", "created");
    let out = credreg(&data)
        .args(["token", "revoke", &id])
        .output()
        .expect("revoke");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let again = credreg(&data)
        .args(["token", "revoke", &id])
        .output()
        .expect("revoke");
    assert!(!again.status.success(), "revoking twice must fail");

    // A changed CREDREG_ADMIN_TOKEN retires the previous one.
    let rotated = "rotated-admin-token-9876543210";
    let server = Server::start_with_token(&data, rotated);
    assert_eq!(
        probe(&server, &reviewer),
        401,
        "a revoked token still works"
    );
    assert_eq!(
        probe(&server, TOKEN),
        401,
        "the previous environment token still works"
    );
    assert_eq!(probe(&server, rotated), 422);
    server.stop();
}

#[test]
fn a_signal_right_after_listening_stops_the_node_cleanly() {
    // The signal handlers exist before the "listening" line: a SIGTERM sent the moment it
    // appears is a clean shutdown (exit 0), never the default action.
    for _ in 0..5 {
        let dir = tempfile::tempdir().expect("tempdir");
        Server::start(&dir.path().join("data")).stop();
    }
}
