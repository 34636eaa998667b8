//! `credreg backup` of a running node and of a stopped one, and `credreg restore`: the restored
//! node serves the same checkpoint and the same award bytes. A damaged archive, a log edited
//! inside a backup (with its manifest rewritten to match), and a restore into a directory that
//! holds something are each refused, leaving nothing behind.

mod common;

use common::{credreg, data_dir_with_contexts, json, Server, TOKEN};
use std::io::Read as _;
use std::path::Path;

fn run(data: &Path, args: &[&str]) -> (bool, String) {
    let out = credreg(data).args(args).output().expect("credreg runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// The backup's files, with `db.export` passed through `edit` and the manifest's hash of it
/// rewritten: a backup whose manifest agrees with an edited database.
fn edited(backup: &Path, out: &Path, edit: impl Fn(&mut Vec<u8>)) {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(
        std::fs::File::open(backup).expect("backup"),
    ));
    for e in tar.entries().expect("entries") {
        let mut e = e.expect("entry");
        let name = e.path().expect("path").to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        e.read_to_end(&mut bytes).expect("read");
        files.push((name, bytes));
    }
    let mut db_hash = String::new();
    for (name, bytes) in files.iter_mut() {
        if name == "db.export" {
            edit(bytes);
            db_hash = blake3::hash(bytes).to_hex().to_string();
        }
    }
    for (name, bytes) in files.iter_mut() {
        if name == "manifest.json" {
            let mut m: serde_json::Value = serde_json::from_slice(bytes).expect("manifest");
            m["files"]["db.export"] = db_hash.clone().into();
            *bytes = serde_json::to_vec(&m).expect("json");
        }
    }
    let gz = flate2::write::GzEncoder::new(
        std::fs::File::create(out).expect("out"),
        flate2::Compression::fast(),
    );
    let mut b = tar::Builder::new(gz);
    for (name, bytes) in &files {
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o600);
        h.set_cksum();
        b.append_data(&mut h, name, bytes.as_slice())
            .expect("append");
    }
    b.into_inner().expect("tar").finish().expect("gz");
}

#[test]
fn backup_a_running_node_restore_it_and_serve_the_same_log() {
    let Some((keep, data)) = data_dir_with_contexts() else {
        return;
    };
    // A fixed public URL, so the restored node (on another port) has nothing to re-publish.
    const NAME: &str = "Juab School District";
    let public = ["--public-url", "https://badges.juab.k12.ut.us"];
    let server = Server::start_with(&data, TOKEN, NAME, &public);
    let def = r#"{"name":"Eliciting Thinking with Open-Ended Questions","description":"Asks questions with many possible answers.","criteria":{"narrative":"Submit two lesson plans and a reflection."}}"#;
    let cred = server.publish(def);
    let mut awards = Vec::new();
    for email in ["ana.ruiz@juab.k12.ut.us", "dana.whitfield@kmsd.example"] {
        let award = server.award(&cred, email);
        awards.push(json(&award)["id"].as_str().expect("id").to_owned());
    }
    let revoked = awards[1].rsplit('/').next().expect("id").to_owned();
    let (status, _) = server.request(
        "POST",
        &format!("/api/v1/awards/{revoked}/revoke"),
        Some(TOKEN),
        r#"{"reason":"Issued to the wrong teacher"}"#,
    );
    assert_eq!(status, 200);
    let did = server.did.clone();
    let checkpoint_path = format!("/api/v1/log/{did}/checkpoint");
    let (_, checkpoint) = server.request("GET", &checkpoint_path, None, "");
    let first = awards[0].rsplit('/').next().expect("id").to_owned();
    let (_, award_bytes) = server.request("GET", &format!("/api/v1/awards/{first}"), None, "");

    // Backup while running: asked of the node.
    let file = keep.path().join("running.tar.gz");
    let url = format!("http://{}", server.addr);
    let (ok, out) = run(
        &data,
        &[
            "backup",
            file.to_str().expect("utf8"),
            "--node",
            &url,
            "--token",
            TOKEN,
        ],
    );
    assert!(ok, "{out}");
    assert!(out.contains("running node"), "{out}");
    let (status, _) = server.request("POST", "/api/v1/node/backup", None, "");
    assert_eq!(status, 401, "a backup needs an admin token");
    server.stop();

    // Restore, then the restored node serves the same log and award.
    let restored = keep.path().join("restored");
    let (ok, out) = run(
        &data,
        &[
            "restore",
            file.to_str().expect("utf8"),
            restored.to_str().expect("utf8"),
        ],
    );
    assert!(ok, "{out}");
    assert!(
        out.contains("verified against its signed checkpoint"),
        "{out}"
    );
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |p: &Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
        assert_eq!(
            mode(&restored.join("issuer.key")),
            0o600,
            "restored key stays private"
        );
        assert_eq!(mode(&restored), 0o700);
    }
    let again = Server::start_with(&restored, TOKEN, NAME, &public);
    assert_eq!(again.did, did);
    assert_eq!(
        again.request("GET", &checkpoint_path, None, "").1,
        checkpoint
    );
    assert_eq!(
        again
            .request("GET", &format!("/api/v1/awards/{first}"), None, "")
            .1,
        award_bytes
    );
    let (_, status_list) = again.request(
        "POST",
        "/api/v1/verify",
        None,
        &again
            .request("GET", &format!("/api/v1/awards/{revoked}"), None, "")
            .1,
    );
    assert_eq!(json(&status_list)["credentials"][0]["verdict"], "revoked");
    again.stop();

    // A stopped node is backed up from its directory.
    let stopped = keep.path().join("stopped.tar.gz");
    let (ok, out) = run(&data, &["backup", stopped.to_str().expect("utf8")]);
    assert!(ok && out.contains("(stopped)"), "{out}");

    // Refusals, each leaving nothing.
    let (ok, out) = run(
        &data,
        &[
            "restore",
            file.to_str().expect("utf8"),
            restored.to_str().expect("utf8"),
        ],
    );
    assert!(!ok && out.contains("not empty"), "{out}");
    let damaged = keep.path().join("damaged.tar.gz");
    let mut bytes = std::fs::read(&file).expect("backup");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&damaged, bytes).expect("write");
    let target = keep.path().join("from-damaged");
    let (ok, out) = run(
        &data,
        &[
            "restore",
            damaged.to_str().expect("utf8"),
            target.to_str().expect("utf8"),
        ],
    );
    assert!(!ok, "{out}");
    assert!(!target.exists(), "nothing is left behind");

    // A log entry edited inside the database export, the manifest made to agree: the log no
    // longer matches its signed checkpoint.
    let forged = keep.path().join("forged.tar.gz");
    edited(&stopped, &forged, |db| {
        // Wherever the revocation's reason is stored (its record and its log entry).
        let needle = b"Issued to the wrong teacher";
        let mut at = 0;
        while let Some(found) = db[at..].windows(needle.len()).position(|w| w == needle) {
            db[at + found] = b'i';
            at += found + needle.len();
        }
    });
    let target = keep.path().join("from-forged");
    let (ok, out) = run(
        &data,
        &[
            "restore",
            forged.to_str().expect("utf8"),
            target.to_str().expect("utf8"),
        ],
    );
    assert!(!ok, "{out}");
    assert!(
        out.contains("does not match its signed checkpoint"),
        "{out}"
    );
    assert!(!target.exists());
}
