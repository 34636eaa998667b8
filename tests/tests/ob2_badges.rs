//! Open Badges 2.0 badges as BloomBoard- or Badgr-style issuers host and sign them, served by a
//! real HTTP server on loopback through the fetcher's lab mirror: hosted assertions that are
//! valid, out of scope, gone (410), revoked with a reason, expired, or issued to someone else
//! (sha256$ and md5$ recipients); a signed badge (RS256, the key in the issuer's Profile) that
//! is valid, tampered, revoked on the issuer's list, or signed with a key the issuer does not
//! list; baked PNGs of each form through the API; and a transfer report that credits an
//! outside issuer only where a rule names it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use credreg_api::AppState;
use credreg_node::verify::outside::OutsideDocuments;
use credreg_node::{CredentialReport, Node, NodeSettings, Verdict};
use credreg_proof::SigningKey;
use credreg_store::Store;
use credreg_tests::outside::{fetched, mirror_fetcher as fetcher, serve_routes, FetcherAdapter};
use credreg_tests::{conformance, contexts};
use ring::rand::SystemRandom;
use ring::signature::RsaKeyPair;
use serde_json::{json, Value};
use sha2::Digest as _;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

const HOST: &str = "badges.bloomboard.example";
const EMAIL: &str = "dana.whitfield@kmsd.example";

fn url(path: &str) -> String {
    format!("https://{HOST}{path}")
}

fn node(dir: &Path) -> Arc<Node> {
    Arc::new(
        Node::open(
            Store::temporary().expect("store"),
            SigningKey::from_bytes(&[78; 32]),
            NodeSettings {
                name: "Oconomowoc Area School District".into(),
                public_url: "http://127.0.0.1:8080".into(),
                ..Default::default()
            },
            contexts(dir),
        )
        .expect("node"),
    )
}

fn recipient(email: &str, salt: &str) -> Value {
    let digest = hex::encode(sha2::Sha256::digest(format!("{email}{salt}").as_bytes()));
    json!({"type": "email", "hashed": true, "salt": salt, "identity": format!("sha256${digest}")})
}

fn assertion(id: &str, extra: Value) -> Value {
    let mut a = json!({
        "@context": "https://w3id.org/openbadges/v2",
        "type": "Assertion",
        "id": id,
        "recipient": recipient(EMAIL, "kettle"),
        "badge": url("/badges/formative-assessment"),
        "verification": {"type": "hosted"},
        "issuedOn": "2024-05-01T00:00:00Z"
    });
    if let (Some(a), Value::Object(e)) = (a.as_object_mut(), extra) {
        a.extend(e);
    }
    a
}

/// An issuer's site on loopback (documents as `application/ld+json`, as Badgr serves them).
fn mirror(routes: HashMap<String, (&'static str, Vec<u8>)>) -> String {
    serve_routes(routes, "application/ld+json")
}

fn reason(r: &CredentialReport, check: &str) -> String {
    r.checks
        .iter()
        .find(|c| c.check == check)
        .and_then(|c| c.reason.clone())
        .unwrap_or_default()
}

/// The issuer's world: Profile, BadgeClass, key, revocation list and assertions.
struct Issuer {
    routes: HashMap<String, (&'static str, Vec<u8>)>,
    rsa: RsaKeyPair,
}

impl Issuer {
    fn new() -> Self {
        let der = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rsa2048-test-key.der"),
        )
        .expect("test key");
        let pem = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rsa2048-test-key.pub.pem"),
        )
        .expect("test public key");
        let mut i = Issuer {
            routes: HashMap::new(),
            rsa: RsaKeyPair::from_der(&der).expect("rsa"),
        };
        i.serve(
            "/issuers/bloomboard",
            json!({
                "@context": "https://w3id.org/openbadges/v2", "type": "Issuer",
                "id": url("/issuers/bloomboard"), "name": "BloomBoard",
                "url": url("/"), "email": "badges@bloomboard.example",
                "publicKey": url("/keys/1"), "revocationList": url("/revocations"),
                "verification": {"allowedOrigins": [HOST, "cdn.bloomboard.example"]}
            }),
        );
        i.serve(
            "/badges/formative-assessment",
            json!({
                "@context": "https://w3id.org/openbadges/v2", "type": "BadgeClass",
                "id": url("/badges/formative-assessment"), "name": "Formative Assessment",
                "description": "Uses formative assessment to adjust instruction.",
                "image": url("/badges/formative-assessment.png"),
                "criteria": {"narrative": "Submit two lesson cycles with student work."},
                "issuer": url("/issuers/bloomboard")
            }),
        );
        i.serve(
            "/keys/1",
            json!({
                "@context": "https://w3id.org/openbadges/v2", "type": "CryptographicKey",
                "id": url("/keys/1"), "owner": url("/issuers/bloomboard"), "publicKeyPem": pem
            }),
        );
        i.serve(
            "/keys/stray",
            json!({
                "@context": "https://w3id.org/openbadges/v2", "type": "CryptographicKey",
                "id": url("/keys/stray"), "owner": url("/issuers/bloomboard"), "publicKeyPem": pem
            }),
        );
        i.serve("/revocations", json!({
            "@context": "https://w3id.org/openbadges/v2", "type": "RevocationList",
            "id": url("/revocations"), "issuer": url("/issuers/bloomboard"),
            "revokedAssertions": [{"id": "urn:uuid:2b3f7c1e-revoked", "revocationReason": "Issued to the wrong teacher"}]
        }));
        i
    }

    fn serve(&mut self, path: &str, doc: Value) {
        self.routes.insert(
            format!("/{HOST}{path}"),
            ("200 OK", doc.to_string().into_bytes()),
        );
    }

    fn host(&mut self, id_path: &str, extra: Value) -> String {
        let id = url(id_path);
        self.serve(id_path, assertion(&id, extra));
        id
    }

    fn sign(&self, payload: &Value) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256"}"#);
        let body = URL_SAFE_NO_PAD.encode(payload.to_string().as_bytes());
        let input = format!("{header}.{body}");
        let mut sig = vec![0u8; self.rsa.public().modulus_len()];
        self.rsa
            .sign(
                &ring::signature::RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                input.as_bytes(),
                &mut sig,
            )
            .expect("sign");
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }
}

#[test]
fn hosted_and_signed_open_badges_2_each_get_their_verdict() {
    let Some(dir) = conformance() else { return };
    let n = node(&dir);
    let mut issuer = Issuer::new();
    let valid = issuer.host("/assertions/valid", json!({}));
    let revoked = issuer.host(
        "/assertions/revoked",
        json!({"revoked": true, "revocationReason": "Evidence was plagiarized"}),
    );
    let expired = issuer.host(
        "/assertions/expired",
        json!({"expires": "2025-05-01T00:00:00Z"}),
    );
    issuer.routes.insert(
        format!("/{HOST}/assertions/gone"),
        ("410 Gone", b"{}".to_vec()),
    );
    // Hosted at the CDN the Profile allows, and at a host it does not.
    let cdn = "https://cdn.bloomboard.example/a/cdn".to_owned();
    issuer.routes.insert(
        "/cdn.bloomboard.example/a/cdn".into(),
        (
            "200 OK",
            assertion(&cdn, json!({})).to_string().into_bytes(),
        ),
    );
    let stray = "https://badge-mill.example/a/stray".to_owned();
    issuer.routes.insert(
        "/badge-mill.example/a/stray".into(),
        (
            "200 OK",
            assertion(&stray, json!({})).to_string().into_bytes(),
        ),
    );
    let signed_payload = |id: &str, creator: &str| {
        let mut a = assertion(id, json!({}));
        a["verification"] = json!({"type": "signed", "creator": url(creator)});
        a
    };
    let signed = issuer.sign(&signed_payload("urn:uuid:9d1f4e1a-signed", "/keys/1"));
    let signed_revoked = issuer.sign(&signed_payload("urn:uuid:2b3f7c1e-revoked", "/keys/1"));
    let stray_key = issuer.sign(&signed_payload("urn:uuid:5c2a-stray-key", "/keys/stray"));
    let mut parts: Vec<String> = signed.split('.').map(str::to_owned).collect();
    let mut altered = signed_payload("urn:uuid:9d1f4e1a-signed", "/keys/1");
    altered["issuedOn"] = "2019-05-01T00:00:00Z".into();
    parts[1] = URL_SAFE_NO_PAD.encode(altered.to_string().as_bytes());
    let tampered = parts.join(".");

    let served = mirror(issuer.routes);
    let f = fetcher(&served);
    let input = json!({"credentials": [
        valid, revoked, expired, url("/assertions/gone"), cdn, stray,
        signed, signed_revoked, stray_key, tampered,
        // Given as JSON: the issuer's hosted copy is what is judged.
        assertion(&url("/assertions/valid"), json!({"issuedOn": "2020-01-01T00:00:00Z"}))
    ]});
    let report = n.verify_with(&input, &fetched(&input, &f)).expect("verify");
    let got: Vec<(Verdict, String)> = report
        .credentials
        .iter()
        .map(|c| (c.verdict, c.reason.clone().unwrap_or_default()))
        .collect();
    let c = &report.credentials;
    assert!(c
        .iter()
        .all(|r| r.format == credreg_node::verify::Format::OpenBadges2));
    assert_eq!(got[0].0, Verdict::Valid, "{:?}", c[0].checks);
    assert_eq!(c[0].name.as_deref(), Some("Formative Assessment"));
    assert_eq!(c[0].issuer.name.as_deref(), Some("BloomBoard"));
    assert!(reason(&c[0], "proof").contains("hosted by its issuer"));
    assert_eq!(got[1].0, Verdict::Revoked);
    assert!(
        got[1].1.contains("Evidence was plagiarized"),
        "{}",
        got[1].1
    );
    assert_eq!(got[2].0, Verdict::Expired, "{:?}", c[2].checks);
    assert_eq!(got[3].0, Verdict::Revoked, "{:?}", c[3].checks);
    assert!(got[3].1.contains("410 Gone"), "{}", got[3].1);
    assert_eq!(
        got[4].0,
        Verdict::Valid,
        "allowedOrigins: {:?}",
        c[4].checks
    );
    assert_eq!(got[5].0, Verdict::Invalid, "{:?}", c[5].checks);
    assert!(
        got[5].1.contains("outside the places its issuer"),
        "{}",
        got[5].1
    );
    assert_eq!(got[6].0, Verdict::Valid, "{:?}", c[6].checks);
    assert!(reason(&c[6], "proof").contains("RS256"));
    assert!(reason(&c[6], "status").contains("revocation list"));
    assert_eq!(got[7].0, Verdict::Revoked, "{:?}", c[7].checks);
    assert!(got[7].1.contains("Issued to the wrong teacher"));
    assert_eq!(got[8].0, Verdict::Invalid, "{:?}", c[8].checks);
    assert!(got[8].1.contains("does not list the key"), "{}", got[8].1);
    assert_eq!(got[9].0, Verdict::Invalid, "{:?}", c[9].checks);
    assert_eq!(c[9].checks[1].code, Some("signature"));
    assert_eq!(got[10].0, Verdict::Valid);
    let facts = c[10].facts.as_deref().expect("facts");
    assert_eq!(
        facts.valid_from,
        credreg_proof::DateFact::At(time::macros::datetime!(2024-05-01 0:00 UTC)),
        "the hosted copy's date, not the one handed in"
    );
    assert_eq!(report.summary.revoked, 3);
    assert_eq!(
        report.summary.untrusted, 4,
        "an outside issuer is not trusted"
    );

    // With fetching off nothing is fetched, and nothing is called valid.
    let report = n
        .verify_with(&input, &OutsideDocuments::none())
        .expect("verify");
    assert_eq!(report.summary.valid, 0, "{:?}", report.summary);
}

fn bake(keyword_itxt: Option<(&str, &str)>, text_url: Option<&str>) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut e = png::Encoder::new(&mut out, 1, 1);
        e.set_color(png::ColorType::Rgba);
        if let Some((k, t)) = keyword_itxt {
            e.add_itxt_chunk(k.into(), t.into()).expect("itxt");
        }
        if let Some(u) = text_url {
            e.add_text_chunk("openbadges".into(), u.into())
                .expect("text");
        }
        let mut w = e.write_header().expect("header");
        w.write_image_data(&[0, 0, 0, 0]).expect("pixels");
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baked_open_badges_2_images_verify_over_the_api() {
    use tower::ServiceExt;
    let Some(dir) = conformance() else { return };
    let n = node(&dir);
    let mut issuer = Issuer::new();
    let valid = issuer.host("/assertions/valid", json!({}));
    let mut payload = assertion("urn:uuid:9d1f4e1a-signed", json!({}));
    payload["verification"] = json!({"type": "signed", "creator": url("/keys/1")});
    let signed = issuer.sign(&payload);
    let hosted_json = assertion(&valid, json!({}));
    let served = mirror(issuer.routes);
    let mut state = AppState::new(n.clone());
    state.fetcher = Some(Arc::new(FetcherAdapter(fetcher(&served))));
    let app = credreg_api::router(state);
    let images = [
        (
            "iTXt JSON",
            bake(Some(("openbadges", &hosted_json.to_string())), None),
        ),
        ("iTXt signed", bake(Some(("openbadges", &signed)), None)),
        ("tEXt URL", bake(None, Some(&valid))),
        // SVG, as the 2.0 baking specification writes it: the assertion's URL in `verify`, or
        // the signature as the element's text.
        (
            "SVG verify URL",
            format!("<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:openbadges=\"http://openbadges.org\"><openbadges:assertion verify=\"{valid}\"/></svg>").into_bytes(),
        ),
        (
            "SVG signed",
            format!("<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:openbadges=\"http://openbadges.org\"><openbadges:assertion verify=\"{signed}\"/></svg>").into_bytes(),
        ),
    ];
    let post_image = |png: Vec<u8>| {
        app.clone().oneshot(
            axum::http::Request::post("/api/v1/verify")
                .body(axum::body::Body::from(png))
                .expect("request"),
        )
    };
    for (what, png) in images {
        let res = post_image(png).await.expect("answer");
        assert_eq!(res.status(), 200, "{what}");
        let body = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .expect("body");
        let r: Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(r["credentials"][0]["verdict"], "valid", "{what}: {r}");
        assert_eq!(r["credentials"][0]["format"], "open_badges_2", "{what}");
    }
    // Two badges in one image, and a truncated chunk: named, nothing verified.
    let two = bake(Some(("openbadges", &signed)), Some(&valid));
    let mut cut = bake(None, Some(&valid));
    cut.truncate(cut.len() - 20);
    for (what, png) in [("two badges", two), ("truncated", cut)] {
        let res = post_image(png).await.expect("answer");
        assert_eq!(res.status(), 422, "{what}");
    }
}

#[test]
fn a_transfer_report_credits_an_outside_issuer_only_where_a_rule_names_it() {
    use credreg_model::{AppliesTo, Credit, Recognition, ValueUnit};
    use credreg_node::value::transfer::{transfer_input, Outcome, Reason};
    let Some(dir) = conformance() else { return };
    let n = node(&dir);
    let mut issuer = Issuer::new();
    let valid = issuer.host("/assertions/valid", json!({}));
    let md5 = {
        use md5::Digest as _;
        let digest = hex::encode(md5::Md5::digest(format!("{EMAIL}old").as_bytes()));
        issuer.host(
            "/assertions/md5",
            json!({"recipient": {"type": "email", "hashed": true, "salt": "old", "identity": format!("md5${digest}")}}),
        )
    };
    let someone_else = issuer.host(
        "/assertions/other",
        json!({"recipient": recipient("someone.else@kmsd.example", "x")}),
    );
    let served = mirror(issuer.routes);
    let f = fetcher(&served);
    let body = json!({"email": EMAIL, "credentials": [valid, md5, someone_else]});
    let input = transfer_input(&body).expect("input");
    let outside = fetched(&body, &f);

    // No rule names BloomBoard: its badges are genuine, and not credited.
    let report = n
        .transfer_report_with(&input, None, &outside)
        .expect("report");
    assert!(
        report
            .badges
            .iter()
            .all(|b| b.reason == Some(Reason::UnknownIssuer)),
        "{:?}",
        report.badges
    );

    // A rule naming BloomBoard's Formative Assessment BadgeClass: $75 each.
    let rule = Recognition {
        name: "BloomBoard Formative Assessment on our scale".into(),
        applies_to: AppliesTo::Outside {
            issuer: url("/issuers/bloomboard"),
            achievement: Some(url("/badges/formative-assessment")),
        },
        credit: Credit::Amount {
            amount: 75.0,
            unit: ValueUnit::Dollars,
            per: 1,
        },
        cap: None,
        valid_from: "2020-01-01T00:00:00Z".into(),
        valid_until: None,
    };
    n.publish_recognition(rule.clone()).expect("publish");
    let report = n
        .transfer_report_with(&input, None, &outside)
        .expect("report");
    let b = &report.badges;
    assert_eq!(b[0].outcome, Outcome::Recognized, "{:?}", b[0]);
    assert_eq!(b[0].credit.map(|c| c.amount), Some(75.0));
    assert_eq!(
        b[1].outcome,
        Outcome::Recognized,
        "md5$ recipient: {:?}",
        b[1]
    );
    assert_eq!(b[2].reason, Some(Reason::IdentityMismatch), "{:?}", b[2]);
    assert_eq!(report.totals.first().map(|t| t.amount), Some(150.0));

    // A rule naming a federation member as "outside" is refused with the field named.
    let mut member_rule = rule;
    member_rule.applies_to = AppliesTo::Outside {
        issuer: n.did().to_owned(),
        achievement: None,
    };
    let err = n
        .publish_recognition(member_rule)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("applies_to.issuer"), "{err}");
}
