//! Status lists of issuers this node does not replicate, fetched and judged: the DCC verifier's
//! fixture credential (its issuer allowed by the operator) against its status list served by a
//! real HTTP server on loopback through the fetcher's lab mirror, then against lists that are
//! unreachable, unsigned or signed by someone else: each "could not check", with its reason.

use credreg_api::AppState;
use credreg_fetch::{FetchPolicy, Fetcher};
use credreg_node::verify::outside::OutsideDocuments;
use credreg_node::{FederationSettings, Node, NodeSettings, Verdict};
use credreg_proof::SigningKey;
use credreg_store::Store;
use credreg_tests::{conformance, contexts};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const DCC_ISSUER: &str = "did:key:z6MknNQD1WHLGGraFi6zcbGevuAgkVfdyCdtZnQTGWVVvR5Q";
const LIST_URL: &str = "https://raw.githubusercontent.com/digitalcredentials/verifier-core/refs/heads/main/src/test-fixtures/status/e5WK8CbZ1GjycuPombrj";

fn fixtures(dir: &Path) -> PathBuf {
    dir.join("ob3-examples/dcc-verifier-core-fixtures")
}

fn node(dir: &Path) -> Arc<Node> {
    Arc::new(
        Node::open(
            Store::temporary().expect("store"),
            SigningKey::from_bytes(&[91; 32]),
            NodeSettings {
                name: "Lake County Schools".into(),
                public_url: "http://127.0.0.1:8080".into(),
                federation: FederationSettings {
                    allow: vec![DCC_ISSUER.into()],
                    ..Default::default()
                },
                ..Default::default()
            },
            contexts(dir),
        )
        .expect("node"),
    )
}

fn read(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("fixture")).expect("json")
}

fn status_of(report: &credreg_node::VerifyReport) -> (Verdict, String) {
    let c = &report.credentials[0];
    let status = c
        .checks
        .iter()
        .find(|k| k.check == "status")
        .and_then(|k| k.reason.clone())
        .unwrap_or_default();
    (c.verdict, status)
}

/// Serves `body` (with `status`) at every path, counting nothing: the mirror for one list.
fn mirror(status: &'static str, body: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = write!(
                s,
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(&body);
        }
    });
    format!("http://{addr}")
}

#[test]
fn an_outside_list_answers_and_a_bad_one_is_said_to_be_bad() {
    let Some(dir) = conformance() else { return };
    let n = node(&dir);
    let badge = read(&fixtures(&dir).join("v2EddsaWithValidStatus.json"));
    let list_bytes =
        std::fs::read(fixtures(&dir).join("status-list-e5WK8CbZ1GjycuPombrj.json")).expect("list");

    // Not fetched: could not check.
    let (verdict, why) = status_of(&n.verify(&badge).expect("verify"));
    assert_eq!(verdict, Verdict::CouldNotCheck, "{why}");
    assert!(why.contains("not available to this node"), "{why}");

    // The issuer's own signed list: checked, not revoked.
    let mut outside = OutsideDocuments::none();
    outside.add(LIST_URL, Ok((Arc::new(list_bytes.clone()), 12)));
    let (verdict, why) = status_of(&n.verify_with(&badge, &outside).expect("verify"));
    assert_eq!(verdict, Verdict::Valid, "{why}");
    assert!(
        why.contains("not revoked") && why.contains("fetched 12 s ago"),
        "{why}"
    );

    // Unsigned.
    let mut unsigned: Value = serde_json::from_slice(&list_bytes).expect("json");
    unsigned.as_object_mut().expect("object").remove("proof");
    let mut outside = OutsideDocuments::none();
    outside.add(
        LIST_URL,
        Ok((Arc::new(unsigned.to_string().into_bytes()), 0)),
    );
    let (verdict, why) = status_of(&n.verify_with(&badge, &outside).expect("verify"));
    assert_eq!(verdict, Verdict::CouldNotCheck);
    assert!(why.contains("is not signed"), "{why}");

    // Signed by someone else: this node's own status list.
    let other = n.status_list_credential(0).expect("our list");
    let mut outside = OutsideDocuments::none();
    outside.add(LIST_URL, Ok((Arc::new(other), 0)));
    let (verdict, why) = status_of(&n.verify_with(&badge, &outside).expect("verify"));
    assert_eq!(verdict, Verdict::CouldNotCheck);
    assert!(
        why.contains(&format!("is signed by {}", n.did()))
            && why.contains("not by the credential's issuer"),
        "{why}"
    );

    // Altered after signing: the signature does not verify.
    let altered =
        String::from_utf8(list_bytes)
            .expect("utf8")
            .replacen("revocation", "suspension", 1);
    let mut outside = OutsideDocuments::none();
    outside.add(LIST_URL, Ok((Arc::new(altered.into_bytes()), 0)));
    let (verdict, why) = status_of(&n.verify_with(&badge, &outside).expect("verify"));
    assert_eq!(verdict, Verdict::CouldNotCheck);
    assert!(why.contains("does not verify"), "{why}");
}

async fn verify_over_http(app: &axum::Router, badge: &Value) -> Value {
    use tower::ServiceExt;
    let res = app
        .clone()
        .oneshot(
            axum::http::Request::post("/api/v1/verify")
                .header("content-type", "application/json")
                .body(axum::body::Body::from(badge.to_string()))
                .expect("request"),
        )
        .await
        .expect("answer");
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .expect("body");
    serde_json::from_slice(&bytes).expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_fetches_the_list_through_the_fetcher() {
    let Some(dir) = conformance() else { return };
    let n = node(&dir);
    let badge = read(&fixtures(&dir).join("v2EddsaWithValidStatus.json"));
    let list =
        std::fs::read(fixtures(&dir).join("status-list-e5WK8CbZ1GjycuPombrj.json")).expect("list");
    let app = |mirror: String| {
        let mut state = AppState::new(n.clone());
        let fetcher = Fetcher::new(FetchPolicy {
            allow_loopback: true,
            mirror,
            ..Default::default()
        });
        state.fetcher = Some(Arc::new(credreg_tests::outside::FetcherAdapter(fetcher)));
        credreg_api::router(state)
    };
    let good = app(mirror("200 OK", list));
    let r = verify_over_http(&good, &badge).await;
    assert_eq!(r["credentials"][0]["verdict"], "valid", "{r}");
    let gone = app(mirror("404 Not Found", b"{}".to_vec()));
    let r = verify_over_http(&gone, &badge).await;
    let c = &r["credentials"][0];
    assert_eq!(c["verdict"], "could_not_check", "{r}");
    assert!(
        c["reason"]
            .as_str()
            .is_some_and(|w| w.contains("could not be fetched: the server answered 404")),
        "{r}"
    );
    assert_eq!(r["summary"]["could_not_check"], 1);
}
