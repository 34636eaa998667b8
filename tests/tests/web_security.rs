//! The pages' cookies and headers, over the router in process: every form's CSRF cookie and the
//! session cookie are HttpOnly and SameSite=Strict; over HTTPS (a public URL with https) they
//! are also Secure and answers carry HSTS; a sign-in replaces the session the browser held.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use credreg_node::review::{Actor, NewPerson, PersonRole};
use credreg_node::{Node, NodeSettings};
use credreg_proof::{ContextStore, SigningKey};
use credreg_store::Store;
use std::sync::Arc;
use tower::ServiceExt;

fn node(public_url: &str) -> Arc<Node> {
    Arc::new(
        Node::open(
            Store::temporary().expect("store"),
            SigningKey::from_bytes(&[81; 32]),
            NodeSettings {
                name: "Kettle Moraine School District".into(),
                public_url: public_url.into(),
                ..Default::default()
            },
            ContextStore::with_builtins(),
        )
        .expect("node"),
    )
}

/// The code in the mail whose subject starts with `subject` (the outbox is not in time order).
fn code_in(node: &Node, subject: &str) -> String {
    node.outbox(&Actor::Operator)
        .expect("outbox")
        .iter()
        .filter(|m| m.subject.starts_with(subject))
        .find_map(|m| {
            m.body
                .split_whitespace()
                .find(|w| w.starts_with("crl_"))
                .map(str::to_owned)
        })
        .expect("a code")
}

fn code(node: &Node) -> String {
    code_in(node, "You are invited")
}

async fn get(app: &axum::Router, path: &str) -> axum::response::Response {
    app.clone()
        .oneshot(Request::get(path).body(Body::empty()).expect("request"))
        .await
        .expect("answer")
}

/// Signs in with `code` through the form; `old` is a session cookie the browser already holds.
async fn sign_in(app: &axum::Router, code: &str, old: Option<&str>) -> axum::response::Response {
    let mut cookies = "credreg_csrf=t0k3n".to_owned();
    if let Some(old) = old {
        cookies.push_str(&format!("; credreg_session={old}"));
    }
    app.clone()
        .oneshot(
            Request::post("/sign-in")
                .header(header::COOKIE, cookies)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!("csrf=t0k3n&step=code&code={code}")))
                .expect("request"),
        )
        .await
        .expect("answer")
}

fn set_cookies(res: &axum::response::Response) -> Vec<String> {
    res.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().expect("ascii").to_owned())
        .collect()
}

fn session_of(res: &axum::response::Response) -> String {
    set_cookies(res)
        .iter()
        .find_map(|c| c.strip_prefix("credreg_session="))
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_owned()
}

fn invite(node: &Node) {
    node.invite_person(
        &Actor::Operator,
        NewPerson {
            name: "Ana Ruiz".into(),
            email: "ana.ruiz@kmsd.edu".into(),
            school: None,
            roles: vec![PersonRole::Teacher],
        },
    )
    .expect("invite");
}

#[tokio::test]
async fn over_https_cookies_are_secure_and_hsts_is_sent() {
    let n = node("https://credentials.kmsd.edu");
    let app = credreg_web::router(n.clone(), Default::default());
    let res = get(&app, "/sign-in").await;
    assert_eq!(res.status(), StatusCode::OK);
    let cookies = set_cookies(&res);
    assert!(!cookies.is_empty());
    for c in &cookies {
        assert!(
            c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.ends_with("; Secure"),
            "{c}"
        );
    }
    assert_eq!(
        res.headers()[header::STRICT_TRANSPORT_SECURITY],
        "max-age=31536000"
    );
    invite(&n);
    let signed = sign_in(&app, &code(&n), None).await;
    assert_eq!(signed.status(), StatusCode::SEE_OTHER);
    assert!(set_cookies(&signed)
        .iter()
        .any(|c| c.starts_with("credreg_session=") && c.ends_with("; Secure")));
}

#[tokio::test]
async fn over_plain_http_nothing_claims_https() {
    let n = node("http://127.0.0.1:8080");
    let app = credreg_web::router(n, Default::default());
    let res = get(&app, "/sign-in").await;
    for c in set_cookies(&res) {
        assert!(!c.contains("Secure"), "{c}");
        assert!(
            c.contains("HttpOnly") && c.contains("SameSite=Strict"),
            "{c}"
        );
    }
    assert!(res
        .headers()
        .get(header::STRICT_TRANSPORT_SECURITY)
        .is_none());
}

#[tokio::test]
async fn a_sign_in_ends_the_session_the_browser_held() {
    let n = node("http://127.0.0.1:8080");
    let app = credreg_web::router(n.clone(), Default::default());
    invite(&n);
    let first = session_of(&sign_in(&app, &code(&n), None).await);
    assert!(n.session_actor(&first).expect("read").is_some());
    n.request_sign_in("ana.ruiz@kmsd.edu").expect("code");
    let answer = sign_in(&app, &code_in(&n, "Sign in"), Some(&first)).await;
    assert_eq!(
        answer.status(),
        StatusCode::SEE_OTHER,
        "{:?}",
        answer.headers()
    );
    let second = session_of(&answer);
    assert_ne!(first, second);
    assert!(
        n.session_actor(&first).expect("read").is_none(),
        "the old session is ended"
    );
    assert!(n.session_actor(&second).expect("read").is_some());
}

#[tokio::test]
async fn sign_out_everywhere_ends_every_session_and_needs_the_form_token() {
    let n = node("http://127.0.0.1:8080");
    let app = credreg_web::router(n.clone(), Default::default());
    invite(&n);
    // Two browsers (a laptop and a phone), each with its own session.
    let laptop = session_of(&sign_in(&app, &code(&n), None).await);
    n.request_sign_in("ana.ruiz@kmsd.edu").expect("code");
    let phone = session_of(&sign_in(&app, &code_in(&n, "Sign in"), None).await);
    let post = |csrf: &'static str| {
        app.clone().oneshot(
            Request::post("/sign-out/everywhere")
                .header(
                    header::COOKIE,
                    format!("credreg_csrf=t0k3n; credreg_session={phone}"),
                )
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!("csrf={csrf}")))
                .expect("request"),
        )
    };
    // Without the form's token nothing happens.
    let refused = post("forged").await.expect("answer");
    assert_ne!(refused.status(), StatusCode::OK);
    assert!(n.session_actor(&laptop).expect("read").is_some());
    let done = post("t0k3n").await.expect("answer");
    assert_eq!(done.status(), StatusCode::OK);
    assert!(set_cookies(&done)
        .iter()
        .any(|c| c.starts_with("credreg_session=;")));
    assert!(n.session_actor(&laptop).expect("read").is_none());
    assert!(n.session_actor(&phone).expect("read").is_none());
}

/// A credential whose texts are each within their limits but which signs to more than other
/// districts accept is refused by the editor with the reason at its description (the error
/// summary links there), and nothing is published.
#[tokio::test]
async fn the_editor_refuses_a_credential_too_large_to_replicate() {
    let n = node("http://127.0.0.1:8080");
    let app = credreg_web::router(n.clone(), Default::default());
    n.invite_person(
        &Actor::Operator,
        NewPerson {
            name: "Maya Lindqvist".into(),
            email: "maya.lindqvist@kmsd.edu".into(),
            school: None,
            roles: vec![PersonRole::Coordinator],
        },
    )
    .expect("invite");
    let session = session_of(&sign_in(&app, &code(&n), None).await);
    let long = |what: &str| what.repeat(9_000 / what.len());
    let mut form = vec![
        ("csrf".to_owned(), "t0k3n".to_owned()),
        ("name".into(), "Wait Time After Discussion Questions".into()),
        ("description".into(), long("Pauses after questions. ")),
        ("narrative".into(), long("Record a lesson. ")),
        ("reviewers".into(), "1".into()),
    ];
    for i in 0..6 {
        form.push((format!("c{i}-name"), format!("Criterion {i}")));
        form.push((
            format!("c{i}-description"),
            long("What the reviewer looks for. "),
        ));
        form.push((format!("c{i}-levels"), "Not yet; Proficient".into()));
        form.push((format!("c{i}-pass"), "2".into()));
    }
    let encode = |v: &str| -> String {
        v.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                    (b as char).to_string()
                }
                b' ' => "+".into(),
                other => format!("%{other:02X}"),
            })
            .collect()
    };
    let body = form
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let logged = n.log_size(n.did()).expect("size");
    let res = app
        .clone()
        .oneshot(
            Request::post("/coordinator/credentials/new")
                .header(
                    header::COOKIE,
                    format!("credreg_csrf=t0k3n; credreg_session={session}"),
                )
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .expect("request"),
        )
        .await
        .expect("answer");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = String::from_utf8(
        axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .expect("body")
            .to_vec(),
    )
    .expect("utf-8");
    assert!(page.contains("This credential is"), "{page}");
    assert!(page.contains("href=\"#description\""), "{page}");
    assert_eq!(
        n.log_size(n.did()).expect("size"),
        logged,
        "nothing is logged"
    );
}
