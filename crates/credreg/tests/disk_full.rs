//! A node whose disk fills up: `credreg serve` runs under a file-size limit (`ulimit -f`, with
//! SIGXFSZ ignored, so a write past it fails as a full disk does) and issues awards until the
//! database cannot grow. The answer is 507 saying nothing was changed, reads keep working, and
//! after a restart without the limit every acknowledged award is there and the node issues
//! again.

mod common;

use common::{data_dir_with_contexts, json, Server, TOKEN};
use std::process::{Command, Stdio};

#[test]
fn a_full_disk_answers_507_and_loses_nothing_acknowledged() {
    let Some((_keep, data)) = data_dir_with_contexts() else {
        return;
    };
    // Set up the node (its definition) without a limit, then stop it.
    let server = Server::start(&data);
    let def = r#"{"name":"Wait Time After Discussion Questions","description":"Pausing after questions.","criteria":{"narrative":"Submit a video and a reflection."}}"#;
    let (status, body) = server.request("POST", "/api/v1/credentials", Some(TOKEN), def);
    assert_eq!(status, 201, "{body}");
    let cred = json(&body)["id"].as_str().expect("id").to_owned();
    server.stop();

    // Under a 2 MiB file-size limit.
    let bin = env!("CARGO_BIN_EXE_credreg");
    let mut child = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f 2048; exec '{bin}' --data-dir '{}' serve --http 127.0.0.1:0 --name 'Juab School District'",
            data.display()
        ))
        .env("CREDREG_ADMIN_TOKEN", TOKEN)
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let addr = common::listening_address(&mut child);
    let client = Server::client(addr);
    let mut acknowledged = Vec::new();
    let mut full = None;
    for i in 0..550 {
        let body = format!(
            r#"{{"credential_id":"{cred}","recipient":{{"email":"teacher{i}@juab.k12.ut.us"}}}}"#
        );
        match client.try_request("POST", "/api/v1/awards", Some(TOKEN), &body) {
            Some((201, award)) => {
                acknowledged.push(json(&award)["id"].as_str().expect("id").to_owned())
            }
            Some((status, answer)) => {
                full = Some((status, answer));
                break;
            }
            None => panic!("the node died after {} awards", acknowledged.len()),
        }
    }
    let (status, answer) = full.expect("the limit was reached");
    assert_eq!(status, 507, "{answer}");
    let problem = json(&answer);
    assert_eq!(problem["type"], "urn:credreg:problem:insufficient-storage");
    assert!(problem["detail"]
        .as_str()
        .is_some_and(|d| d.contains("nothing was changed")));
    assert!(!acknowledged.is_empty());
    let (status, _) = client
        .try_request("GET", "/api/v1/credentials", None, "")
        .expect("answers");
    assert_eq!(status, 200, "reads keep working");
    let _ = child.kill();
    let _ = child.wait();

    // Room again: everything acknowledged is there, and issuing works.
    let server = Server::start(&data);
    for id in &acknowledged {
        let (status, _) = server.request("GET", &format!("/api/v1/awards/{id}"), None, "");
        assert_eq!(status, 200, "acknowledged award {id} was lost");
    }
    let (status, body) = server.request(
        "POST",
        "/api/v1/awards",
        Some(TOKEN),
        &format!(r#"{{"credential_id":"{cred}","recipient":{{"email":"after@juab.k12.ut.us"}}}}"#),
    );
    assert_eq!(status, 201, "{body}");
    println!(
        "{} awards acknowledged before the disk filled; all there after the restart",
        acknowledged.len()
    );
    server.stop();
}
