//! Writes the fuzz targets' seed corpus (`fuzz/corpus/<target>/`): the conformance fixtures
//! (credentials, JWTs, status lists), and documents made by a real node (an award, its offline
//! bundle, a checkpoint, a gossip announcement, sync requests and answers in CBOR), plus baked
//! images and small hand-written edge cases. Run from the project root:
//!
//! `cargo run -p credreg-tests --example fuzz_seeds`

use credreg_tests::{conformance, contexts, TestNode};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn write(dir: &Path, target: &str, name: &str, bytes: &[u8]) {
    let d = dir.join(target);
    std::fs::create_dir_all(&d).expect("corpus dir");
    std::fs::write(d.join(name), bytes).expect("seed");
}

fn png(chunks: &[(&str, &str, bool)]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut e = png::Encoder::new(&mut out, 1, 1);
        e.set_color(png::ColorType::Rgba);
        for (keyword, text, itxt) in chunks {
            if *itxt {
                e.add_itxt_chunk((*keyword).into(), (*text).into())
                    .expect("itxt");
            } else {
                e.add_text_chunk((*keyword).into(), (*text).into())
                    .expect("text");
            }
        }
        let mut w = e.write_header().expect("header");
        w.write_image_data(&[0, 0, 0, 0]).expect("pixels");
    }
    out
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let out = PathBuf::from("fuzz/corpus");
    let Some(conf) = conformance() else {
        eprintln!("SKIP: fuzz seeds need ../shared/conformance");
        return;
    };
    // The W3C ecdsa-sd-2023 vectors (base and derived proofs), kept beside credreg-proof.
    let sd = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../crates/credreg-proof/tests/vectors/ecdsa-sd-2023");
    for name in ["addSignedSDBase.json", "derivedRevealDocument.json"] {
        let bytes = std::fs::read(sd.join(name)).expect("vector");
        write(&out, "credential", &format!("ecdsa-sd-{name}"), &bytes);
    }
    // Conformance fixtures.
    for dir in [
        "ob3-examples/1edtech-validator-fixtures",
        "ob3-examples/dcc-verifier-core-fixtures",
        "ob3-examples",
    ] {
        let Ok(entries) = std::fs::read_dir(conf.join(dir)) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let name = p
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("x")
                .to_owned();
            let Ok(bytes) = std::fs::read(&p) else {
                continue;
            };
            if name.ends_with(".json") {
                write(&out, "credential", &name, &bytes);
                write(&out, "badge_file", &name, &bytes);
                if let Ok(v) = serde_json::from_slice::<Value>(&bytes) {
                    if let Some(list) = v
                        .pointer("/credentialSubject/encodedList")
                        .and_then(Value::as_str)
                    {
                        write(&out, "status_list", &name, list.as_bytes());
                    }
                }
            } else if name.ends_with(".jwt") {
                write(&out, "jwt", &name, &bytes);
                write(&out, "badge_file", &name, &bytes);
            }
        }
    }
    // A real node's documents.
    let n = TestNode::new("Juab School District", 7, contexts(&conf));
    let def = n.publish(&credreg_tests::samples::wait_time()).await;
    let (_, award) = n.award(&def, "ana.ruiz@juab.k12.ut.us").await;
    write(&out, "credential", "credreg-award.json", &award);
    write(&out, "badge_file", "credreg-award.json", &award);
    let text = String::from_utf8(award.clone()).expect("utf8");
    let baked = png(&[("openbadgecredential", &text, true)]);
    write(&out, "baked_image", "ob3.png", &baked);
    write(&out, "badge_file", "ob3.png", &baked);
    let svg = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:openbadges=\"https://purl.imsglobal.org/ob/v3p0\"><openbadges:credential><![CDATA[{text}]]></openbadges:credential></svg>");
    write(&out, "baked_image", "ob3.svg", svg.as_bytes());
    let ob2_png = png(&[(
        "openbadges",
        "https://badges.example.org/assertions/1",
        false,
    )]);
    write(&out, "baked_image", "ob2-url.png", &ob2_png);
    let mut cut = baked.clone();
    cut.truncate(cut.len() / 2);
    write(&out, "baked_image", "truncated.png", &cut);
    let award_value: Value = serde_json::from_slice(&award).expect("award");
    let id = award_value["id"].as_str().expect("id");
    let award_id = id.rsplit('/').next().expect("award id");
    if let Some(bundle) = n.node.award_bundle(award_id).expect("bundle") {
        write(
            &out,
            "bundle",
            "award-bundle.json",
            &serde_json::to_vec(&bundle).expect("json"),
        );
    }
    if let Some(cp) = n.node.checkpoint(n.node.did()).expect("checkpoint") {
        write(
            &out,
            "checkpoint",
            "checkpoint.json",
            &serde_json::to_vec(&cp).expect("json"),
        );
    }
    if let Some((gossip, _)) = n.node.announcement(0).expect("announcement") {
        write(&out, "gossip", "announcement.json", &gossip);
    }
    use credreg_wire::sync::{SyncRequest, SyncResponse};
    let did = n.node.did().to_owned();
    let requests = [
        SyncRequest::Summaries,
        SyncRequest::Entries {
            issuer: did.clone(),
            from: 0,
            to: 2,
            prove_to: 2,
        },
        SyncRequest::Consistency {
            issuer: did.clone(),
            old: 1,
            new: 2,
        },
        SyncRequest::Evidence,
    ];
    for (i, r) in requests.into_iter().enumerate() {
        let answer = n.node.serve_sync(r.clone());
        write(
            &out,
            "sync_request",
            &format!("request-{i}.cbor"),
            &cbor4ii::serde::to_vec(Vec::new(), &r).expect("cbor"),
        );
        let _: &SyncResponse = &answer;
        write(
            &out,
            "sync_response",
            &format!("response-{i}.cbor"),
            &cbor4ii::serde::to_vec(Vec::new(), &answer).expect("cbor"),
        );
    }
    // Open Badges 2.0 and DID documents, and CSV imports.
    let ob2 = json!({"@context": "https://w3id.org/openbadges/v2", "type": "Assertion",
        "id": "https://badges.example.org/assertions/1",
        "recipient": {"type": "email", "hashed": true, "salt": "s", "identity": "sha256$0000"},
        "badge": "https://badges.example.org/badges/1", "verification": {"type": "hosted"},
        "issuedOn": "2024-05-01T00:00:00Z", "revoked": false});
    write(
        &out,
        "ob2_document",
        "assertion.json",
        ob2.to_string().as_bytes(),
    );
    let class = json!({"@context": "https://w3id.org/openbadges/v2", "type": "BadgeClass",
        "id": "https://badges.example.org/badges/1", "name": "Formative Assessment",
        "issuer": "https://badges.example.org/issuers/1"});
    write(
        &out,
        "ob2_document",
        "badgeclass.json",
        class.to_string().as_bytes(),
    );
    let did_doc = json!({"id": "did:web:district.example",
        "verificationMethod": [{"id": "did:web:district.example#key-1", "type": "Multikey",
            "controller": "did:web:district.example",
            "publicKeyMultibase": "z6MknNQD1WHLGGraFi6zcbGevuAgkVfdyCdtZnQTGWVVvR5Q"},
            {"id": "#key-2", "type": "JsonWebKey", "controller": "did:web:district.example",
             "publicKeyJwk": {"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"}}],
        "assertionMethod": ["did:web:district.example#key-1", "#key-2"]});
    write(
        &out,
        "did_document",
        "did.json",
        did_doc.to_string().as_bytes(),
    );
    write(&out, "csv_import", "awards.csv", b"email,name,credential\nana.ruiz@juab.k12.ut.us,Ana Ruiz,\n\"quoted, name\"@x.org,\"Ruiz, Ana\",abc\n");
    write(
        &out,
        "jwt",
        "alg-none.jwt",
        b"eyJhbGciOiJub25lIn0.eyJ2YyI6e319.",
    );
    form_seeds(&out);
    multipart_seeds(&out, &award);
    println!("seeds written under {}", out.display());
}

/// A body for each of the pages' urlencoded forms (`decoders::FORMS`, picked by the first
/// byte): the fields the form has, filled as a person would.
fn form_seeds(out: &Path) {
    let bodies: [&str; 12] = [
        "step=send&email=ana.ruiz%40fuzz.k12.us",
        "code=crsetup_abc&name=Ana+Ruiz&email=ana.ruiz%40fuzz.k12.us",
        "plan=Two+lessons+in+May",
        "step=add&address=ana.home%40example.org",
        "kind=link&url=https%3A%2F%2Fportfolio.example.org%2Fana&name=Lesson+plan&text=",
        "name=Ben+Ode&email=ben.ode%40fuzz.k12.us&school=Fuzz+Elementary&roles=teacher&roles=reviewer",
        "name=Wait+Time&description=Pauses+after+questions.&narrative=Record+a+lesson.&r0-description=A+recording&c0-name=Planned+questions&c0-levels=Not+yet%3B+Developing%3B+Proficient&c0-pass=3&value-amount=6&reviewers=2&tiebreak=on",
        "award=urn%3Auuid%3A00000000-0000-4000-8000-000000000000&reason=Issued+in+error",
        "name=Questioning+Stack&description=Three+badges.&credentials=a&credentials=b",
        "role=reviewer&days=30",
        "name=Fuzz+District&public_url=https%3A%2F%2Fregistry.fuzz.k12.us",
        "action=approve&id=abc&note=Fine",
    ];
    for (i, body) in bodies.iter().enumerate() {
        let mut bytes = vec![i as u8];
        bytes.extend_from_slice(body.as_bytes());
        write(out, "form_body", &format!("form-{i}.txt"), &bytes);
    }
}

/// One `multipart/form-data` part.
fn part(name: &str, file: Option<(&str, &str)>, body: &[u8]) -> Vec<u8> {
    let b = credreg_tests::decoders::FUZZ_BOUNDARY;
    let mut v = format!("--{b}\r\nContent-Disposition: form-data; name=\"{name}\"").into_bytes();
    if let Some((filename, media_type)) = file {
        v.extend_from_slice(
            format!("; filename=\"{filename}\"\r\nContent-Type: {media_type}").as_bytes(),
        );
    }
    v.extend_from_slice(b"\r\n\r\n");
    v.extend_from_slice(body);
    v.extend_from_slice(b"\r\n");
    v
}

/// A body for each upload form (`decoders::UPLOADS`, picked by the first byte), CSRF part
/// first as the pages send it.
fn multipart_seeds(out: &Path, award: &[u8]) {
    let csrf = part("csrf", None, credreg_tests::decoders::FUZZ_CSRF.as_bytes());
    let end = format!("--{}--\r\n", credreg_tests::decoders::FUZZ_BOUNDARY).into_bytes();
    let forms: [Vec<Vec<u8>>; 5] = [
        vec![
            part("files", Some(("badge.json", "application/json")), award),
            part("badge", None, b""),
        ],
        vec![
            part("files", Some(("badge.json", "application/json")), award),
            part("badges", None, b""),
            part("email", None, b"ana.ruiz@fuzz.k12.us"),
            part("district", None, b""),
        ],
        vec![part(
            "file",
            Some(("reflection.pdf", "application/pdf")),
            b"%PDF-1.7\n%reflection\n",
        )],
        vec![
            part("credential", None, b"x"),
            part(
                "csv",
                Some(("cohort.csv", "text/csv")),
                b"email,name\nben.ode@fuzz.k12.us,Ben Ode\n",
            ),
        ],
        vec![
            part("name", None, b"Outside micro-credentials"),
            part("applies", None, b"outside"),
            part(
                "outside_issuer",
                None,
                b"https://bloomboard.example.org/issuer",
            ),
            part("outside_achievement", None, b""),
            part("amount", None, b"6"),
            part("unit", None, b"ce_points"),
            part("valid_from", None, b"2026-08-01"),
            part("files", Some(("sample.json", "application/json")), award),
            part("action", None, b"preview"),
        ],
    ];
    for (i, parts) in forms.iter().enumerate() {
        let mut bytes = vec![i as u8];
        bytes.extend_from_slice(&csrf);
        for p in parts {
            bytes.extend_from_slice(p);
        }
        bytes.extend_from_slice(&end);
        write(out, "multipart_upload", &format!("upload-{i}.txt"), &bytes);
    }
}
