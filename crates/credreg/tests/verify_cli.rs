//! `credreg verify` and `credreg contexts install` as a user runs them.

use std::path::{Path, PathBuf};
use std::process::Command;

use credreg_testkit::conformance;

fn credreg(data: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_credreg"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .output()
        .expect("run credreg");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

fn install_conformance_contexts(data: &Path, conformance: &Path) {
    let dir = conformance.join("contexts");
    let (code, out) = credreg(data, &["contexts", "install", dir.to_str().expect("utf8")]);
    assert_eq!(code, 0, "{out}");
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("credreg-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

#[test]
fn verify_names_missing_context_then_passes_after_install() {
    let Some(c) = conformance() else { return };
    let data = temp_dir("install");
    let good = c.join("ob3-examples/dcc-verifier-core-fixtures/v2EddsaWithValidStatus.json");
    let good = good.to_str().expect("utf8 path");
    let (code, out) = credreg(&data, &["verify", good]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("context-3.0.3.json is not installed"), "{out}");

    // `--contexts DIR` loads a manifest directory for this run only, installing nothing.
    // The DCC fixture's issuer is trusted only when named: a valid signature from an issuer
    // nobody vouches for is not a pass.
    let dcc = "did:key:z6MknNQD1WHLGGraFi6zcbGevuAgkVfdyCdtZnQTGWVVvR5Q";
    let dir = c.join("contexts");
    let (code, out) = credreg(
        &data,
        &["verify", "--contexts", dir.to_str().expect("utf8"), good],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("untrusted") && out.contains("[trusted]"),
        "{out}"
    );
    let (code, out) = credreg(
        &data,
        &[
            "verify",
            "--contexts",
            dir.to_str().expect("utf8"),
            "--trust",
            dcc,
            good,
        ],
    );
    // Trusted and genuine, but its status list is on the issuer's site, which this node does
    // not fetch: said as "could not check", never as valid.
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("could not check"), "{out}");
    assert!(!data.join("contexts").exists(), "nothing installed");

    install_conformance_contexts(&data, &c);
    let (code, out) = credreg(&data, &["verify", "--trust", dcc, good]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("could not check") && out.contains("e5WK8CbZ1GjycuPombrj"),
        "{out}"
    );

    // One bad file makes the exit code non-zero, and every file gets its own line.
    let bad = c.join("ob3-examples/dcc-verifier-core-fixtures/safeModeBreaker.NEGATIVE.json");
    let tampered = data.join("tampered.json");
    let text = std::fs::read_to_string(good).expect("read").replacen(
        "Teamwork Badge",
        "Teamwork Badgf",
        1,
    );
    std::fs::write(&tampered, text).expect("write");
    let garbage = data.join("garbage.json");
    std::fs::write(&garbage, "{not json").expect("write");
    let (code, out) = credreg(
        &data,
        &[
            "verify",
            "--trust",
            dcc,
            good,
            bad.to_str().expect("utf8"),
            tampered.to_str().expect("utf8"),
            garbage.to_str().expect("utf8"),
        ],
    );
    assert_eq!(code, 1, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert!(lines[0].contains("could not check"), "{out}");
    assert!(
        lines[1].contains("[undefined-term]") && lines[1].contains("StatusList2021Entry"),
        "{out}"
    );
    assert!(lines[2].contains("[signature]"), "{out}");
    assert!(lines[3].contains("not JSON"), "{out}");
}

#[test]
fn an_edited_installed_context_is_refused() {
    let Some(c) = conformance() else { return };
    let data = temp_dir("pin");
    install_conformance_contexts(&data, &c);
    let store = data.join("contexts");
    let victim = std::fs::read_dir(&store)
        .expect("dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "jsonld"))
        .expect("a context file");
    let text = std::fs::read_to_string(&victim).expect("read");
    std::fs::write(&victim, text.replacen("\"@id\"", " \"@id\"", 1)).expect("write");
    let (code, out) = credreg(&data, &["contexts", "list"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("changed since it was installed"), "{out}");
}

/// Serves files under `root` at `/<path>` on an ephemeral loopback port, for `requests`
/// requests; returns the base URL.
fn serve_files(root: PathBuf, requests: usize) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let Ok(mut stream) = stream else { continue };
            let mut line = String::new();
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            // Drain the headers.
            let mut header = String::new();
            while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                header.clear();
            }
            let path = line.split_whitespace().nth(1).unwrap_or("/");
            let reply = match std::fs::read(root.join(path.trim_start_matches('/'))) {
                Ok(body) => {
                    let mut r = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/ld+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    r.extend(body);
                    r
                }
                Err(_) => {
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        .to_vec()
                }
            };
            let _ = stream.write_all(&reply);
        }
    });
    base
}

#[test]
fn contexts_fetch_installs_once_and_pins() {
    let Some(c) = conformance() else { return };
    let data = temp_dir("fetch");
    // A mirror laid out as <host>/<path>, holding the OB 3.0.3 context and extensions.
    let mirror = data.join("mirror/purl.imsglobal.org/spec/ob/v3p0");
    std::fs::create_dir_all(&mirror).expect("mirror dir");
    std::fs::copy(
        c.join("contexts/ob-v3p0-context-3.0.3.validator.json"),
        mirror.join("context-3.0.3.json"),
    )
    .expect("copy");
    std::fs::copy(
        c.join("contexts/ob-v3p0-extensions.json"),
        mirror.join("extensions.json"),
    )
    .expect("copy");
    let base = serve_files(data.join("mirror"), 2);
    let (code, out) = credreg(&data, &["contexts", "fetch", "--mirror", &base]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("installed https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"),
        "{out}"
    );
    // Once: a second fetch does not go to the network (the server is gone) and keeps the pin.
    let (code, out) = credreg(&data, &["contexts", "fetch", "--mirror", &base]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("already installed (pinned)"), "{out}");
    let (_, list) = credreg(&data, &["contexts", "list"]);
    assert!(
        list.contains(&format!(
            "({base}/purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json)"
        )),
        "{list}"
    );
    // A 1EdTech fixture that needs exactly the two fetched contexts now verifies: genuine,
    // though its 1EdTech revocation list is not a method this node reads yet, which it says.
    let good = c.join("ob3-examples/1edtech-validator-fixtures/complete.json");
    let (code, out) = credreg(
        &data,
        &[
            "verify",
            "--trust",
            "https://1edtech.edu/issuers/565049",
            good.to_str().expect("utf8"),
        ],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("is genuine, but whether it is revoked is not known")
            && out.contains("1EdTechRevocationList"),
        "{out}"
    );
    // Something that is not a context is refused and nothing is installed.
    let other = temp_dir("fetch-bad");
    let junk = other.join("mirror/example.org");
    std::fs::create_dir_all(&junk).expect("dir");
    std::fs::write(junk.join("ctx.json"), "<html>not json</html>").expect("write");
    let base = serve_files(other.join("mirror"), 1);
    let (code, out) = credreg(
        &other,
        &[
            "contexts",
            "fetch",
            "--mirror",
            &base,
            "--url",
            "https://example.org/ctx.json",
        ],
    );
    assert_eq!(code, 2, "{out}");
    assert!(!other.join("contexts/index.json").exists());
}

#[test]
fn an_expired_credential_fails_with_the_check_named() {
    use credreg_proof::{keys, Canonicalizer, ContextStore, DataIntegrity, SignOptions, Suite};
    let data = temp_dir("expired");
    let key = credreg_proof::SigningKey::from_bytes(&[5; 32]);
    let did = keys::did_key(&key.verifying_key());
    let doc = serde_json::json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "urn:uuid:8d6f3f5e-2b8c-4d4a-9f49-1d1e0f7c2a11",
        "type": ["VerifiableCredential"],
        "issuer": did,
        "validFrom": "2023-08-01T00:00:00Z",
        "validUntil": {"@value": "2024-08-01T00:00:00Z"},
        "credentialSubject": {"id": "did:example:teacher"}
    });
    let di = DataIntegrity::new(Canonicalizer::new(std::sync::Arc::new(
        ContextStore::with_builtins(),
    )));
    let opts = SignOptions::assertion(
        Suite::EddsaRdfc2022,
        keys::did_key_method(&key.verifying_key()),
        "2023-08-01T00:00:00Z",
    );
    let signed = di.sign(&doc, &key, &opts).expect("signs");
    let file = data.join("expired.json");
    std::fs::write(&file, serde_json::to_vec(&signed).expect("json")).expect("write");
    let (code, out) = credreg(
        &data,
        &["verify", "--trust", &did, file.to_str().expect("utf8")],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("expired: [validity]"), "{out}");
}

/// A badge baked into a PNG or an SVG is read out of the image and checked like its JSON; an
/// image without a badge says so.
#[test]
fn verify_reads_badges_baked_into_images() {
    let Some(c) = conformance() else { return };
    let data = temp_dir("baked");
    install_conformance_contexts(&data, &c);
    let json = std::fs::read_to_string(
        c.join("ob3-examples/dcc-verifier-core-fixtures/v2EddsaWithValidStatus.json"),
    )
    .expect("fixture");
    let png = |text: Option<&str>| {
        let mut out = Vec::new();
        {
            let mut e = png::Encoder::new(&mut out, 1, 1);
            e.set_color(png::ColorType::Rgba);
            if let Some(t) = text {
                e.add_itxt_chunk("openbadgecredential".into(), t.into())
                    .expect("itxt");
            }
            let mut w = e.write_header().expect("header");
            w.write_image_data(&[0, 0, 0, 0]).expect("pixels");
        }
        out
    };
    let baked = data.join("teamwork.png");
    std::fs::write(&baked, png(Some(&json))).expect("png");
    let svg = data.join("teamwork.svg");
    std::fs::write(
        &svg,
        format!("<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:openbadges=\"https://purl.imsglobal.org/ob/v3p0\"><openbadges:credential><![CDATA[{json}]]></openbadges:credential></svg>"),
    )
    .expect("svg");
    let plain = data.join("plain.png");
    std::fs::write(&plain, png(None)).expect("png");
    let dcc = "did:key:z6MknNQD1WHLGGraFi6zcbGevuAgkVfdyCdtZnQTGWVVvR5Q";
    let (code, out) = credreg(
        &data,
        &[
            "verify",
            "--trust",
            dcc,
            baked.to_str().expect("utf8"),
            svg.to_str().expect("utf8"),
            plain.to_str().expect("utf8"),
        ],
    );
    assert_eq!(code, 1, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    for line in &lines[..2] {
        // Genuine: read out of the image and its signature checked (its status list is on
        // the issuer's site, which the CLI does not fetch).
        assert!(
            line.contains("\"Teamwork Badge\"") && line.contains("could not check"),
            "{out}"
        );
    }
    assert!(lines[2].contains("no badge baked into it"), "{out}");
}
