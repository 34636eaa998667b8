//! A node whose disk fills up: `credreg serve` runs under a file-size limit (`ulimit -f`, with
//! SIGXFSZ ignored, so a write past it fails as a full disk does) and issues awards until the
//! database cannot grow. The answer is 507 saying nothing was changed, reads keep working, and
//! after a restart without the limit every acknowledged award is there and the node issues
//! again. A teacher's evidence upload that does not fit is refused the same way, through the
//! API (507) and the upload form (its error summary says so in words), and leaves nothing.

mod common;

use common::{data_dir_with_contexts, invite_and_sign_in, json, Client, Server, TOKEN};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// `credreg serve` for `data` under a file-size limit of `kib` KiB (SIGXFSZ ignored, so a
/// write past it fails with EFBIG, as a write to a full disk fails with ENOSPC).
fn serve_under_file_limit(data: &Path, kib: u64, name: &str) -> (Child, Client) {
    let bin = env!("CARGO_BIN_EXE_credreg");
    let mut child = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f {kib}; exec '{bin}' --data-dir '{}' serve --http 127.0.0.1:0 --name '{name}'",
            data.display()
        ))
        .env("CREDREG_ADMIN_TOKEN", TOKEN)
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let addr = common::listening_address(&mut child);
    (child, Server::client(addr))
}

/// The 507 problem says nothing was changed.
fn assert_disk_full(status: u16, answer: &str) {
    assert_eq!(status, 507, "{answer}");
    let problem = json(answer);
    assert_eq!(problem["type"], "urn:credreg:problem:insufficient-storage");
    assert!(problem["detail"]
        .as_str()
        .is_some_and(|d| d.contains("nothing was changed")));
}

#[test]
fn a_full_disk_answers_507_and_loses_nothing_acknowledged() {
    let Some((_keep, data)) = data_dir_with_contexts() else {
        return;
    };
    // Set up the node (its definition) without a limit, then stop it.
    let server = Server::start(&data);
    let def = r#"{"name":"Wait Time After Discussion Questions","description":"Pausing after questions.","criteria":{"narrative":"Submit a video and a reflection."}}"#;
    let cred = server.publish(def);
    server.stop();

    // Under a 2 MiB file-size limit.
    let (mut child, client) = serve_under_file_limit(&data, 2048, "Juab School District");
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
    assert_disk_full(status, &answer);
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
    server.award(&cred, "after@juab.k12.ut.us");
    println!(
        "{} awards acknowledged before the disk filled; all there after the restart",
        acknowledged.len()
    );
    server.stop();
}

/// A PDF of `bytes` bytes (a header, then padding): evidence the node accepts by its type.
fn pdf(bytes: usize) -> Vec<u8> {
    let mut v = b"%PDF-1.7\n%lesson video transcript\n".to_vec();
    v.resize(bytes, b' ');
    v
}

/// Files in the evidence directory, temporary ones included.
fn evidence_files(data: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(data.join("evidence"))
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// A teacher's upload that does not fit: 507, no part of the file left on disk, the draft
/// unchanged; a file that fits still goes in, and once there is room the large one does too.
#[test]
fn a_full_disk_refuses_an_upload_with_507_and_keeps_nothing_of_it() {
    let Some((_keep, data)) = data_dir_with_contexts() else {
        return;
    };
    let name = "Kettle Moraine School District";
    let server = Server::start_as(&data, TOKEN, name);
    let def = serde_json::json!({
        "name": "Wait Time After Discussion Questions",
        "description": "Pausing three to five seconds after a discussion question.",
        "criteria": {"narrative": "Submit a recorded lesson and a reflection."},
        "rubric": {"criteria": [{"name": "Wait time observed", "levels": [
            {"name": "Not yet"}, {"name": "Proficient", "passing": true}]}]},
        "review_policy": {"reviewers": 1}
    });
    let cred = server.publish(&def.to_string());
    let teacher = invite_and_sign_in(
        &server,
        &serde_json::json!({"name": "Maya Lindqvist", "email": "maya.lindqvist@kmsd.edu",
            "school": "Kettle Moraine High", "roles": ["teacher"]}),
    );
    let (status, body) = server.request(
        "POST",
        "/api/v1/submissions",
        Some(&teacher),
        &format!(r#"{{"credential_id":"{cred}"}}"#),
    );
    assert_eq!(status, 201, "{body}");
    let sub = json(&body)["id"].as_str().expect("id").to_owned();
    server.stop();
    let items = |client: &Client| {
        let (status, body) = client
            .try_request(
                "GET",
                &format!("/api/v1/submissions/{sub}"),
                Some(&teacher),
                "",
            )
            .expect("answers");
        assert_eq!(status, 200, "{body}");
        json(&body)["items"].as_array().map(Vec::len).unwrap_or(0)
    };
    let upload = |client: &Client, file: &str, bytes: usize| {
        client
            .try_send(
                "POST",
                &format!("/api/v1/submissions/{sub}/files?name={file}"),
                Some(&teacher),
                "application/octet-stream",
                &pdf(bytes),
            )
            .expect("answers")
    };

    // Files may be at most 1 MiB on this "disk".
    let (mut child, client) = serve_under_file_limit(&data, 1024, name);
    let (status, answer) = upload(&client, "lesson-recording.pdf", 3 * 1024 * 1024);
    assert_disk_full(status, &answer);
    assert_eq!(
        evidence_files(&data),
        Vec::<String>::new(),
        "no part of the file is left"
    );
    assert_eq!(items(&client), 0, "the draft is unchanged");
    // The same through the teacher's upload form: the page says why in words.
    let big = data.parent().expect("parent").join("lesson-recording.pdf");
    std::fs::write(&big, pdf(3 * 1024 * 1024)).expect("file");
    let page = std::process::Command::new("curl")
        .args(["-s", "-w", "\n%{http_code}", "-b"])
        .arg(format!(
            "credreg_session={teacher}; credreg_csrf=csrf-disk-full-test"
        ))
        .args(["-F", "csrf=csrf-disk-full-test", "-F"])
        .arg(format!("file=@{};type=application/pdf", big.display()))
        .arg(format!(
            "http://{}/mine/submissions/{sub}/files",
            client.addr
        ))
        .output()
        .expect("curl runs");
    let page = String::from_utf8_lossy(&page.stdout).into_owned();
    assert!(page.ends_with("\n422"), "{page}");
    assert!(
        page.contains("storage is full, so your file was not saved"),
        "{page}"
    );
    assert_eq!(
        evidence_files(&data),
        Vec::<String>::new(),
        "no part of the file is left"
    );
    assert_eq!(items(&client), 0, "the draft is unchanged");
    let (status, answer) = upload(&client, "reflection.pdf", 40 * 1024);
    assert_eq!(status, 201, "a file that fits still goes in: {answer}");
    assert_eq!(items(&client), 1);
    let _ = child.kill();
    let _ = child.wait();

    let server = Server::start_as(&data, TOKEN, name);
    let client = Server::client(server.addr.clone());
    let (status, answer) = upload(&client, "lesson-recording.pdf", 3 * 1024 * 1024);
    assert_eq!(status, 201, "with room again the file goes in: {answer}");
    assert_eq!(items(&client), 2);
    assert_eq!(
        evidence_files(&data).len(),
        2,
        "{:?}",
        evidence_files(&data)
    );
    server.stop();
}
