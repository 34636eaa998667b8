//! Helpers for credreg's system tests: a node with its router, requests without sockets,
//! and the shared conformance data.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use credreg_api::AppState;
use credreg_node::{contexts_dir, generate_token, Node, NodeSettings, Role};
use credreg_proof::{ContextStore, SigningKey};
use credreg_store::Store;
use http_body_util::BodyExt as _;
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;
use tower::ServiceExt as _;

pub use credreg_testkit::conformance;

pub mod decoders;
pub mod fed;
pub mod outside;

/// RDF-equivalent re-spellings of an award: each changes the JSON and keeps its RDF (so its
/// proof) the same. A verifier's verdict must not change under any of them.
pub mod respell {
    use serde_json::{json, Value};

    const CRED: &str = "https://www.w3.org/2018/credentials#";
    const XSD_DATETIME: &str = "http://www.w3.org/2001/XMLSchema#dateTime";

    /// The status entry, wherever earlier edits moved it.
    fn status(c: &mut Value) -> Option<&mut serde_json::Map<String, Value>> {
        let o = c.as_object_mut()?;
        let key = if o.contains_key("credentialStatus") {
            "credentialStatus".to_owned()
        } else {
            format!("{CRED}credentialStatus")
        };
        let entry = o.get_mut(&key)?;
        let entry = match entry.get("@set").is_some() {
            true => entry.get_mut("@set")?.get_mut(0)?,
            false => entry,
        };
        entry.as_object_mut()
    }

    /// The first identity object, wherever earlier edits moved it.
    fn identity(c: &mut Value) -> Option<&mut serde_json::Map<String, Value>> {
        let ids = c.get_mut("credentialSubject")?.get_mut("identifier")?;
        match ids {
            Value::Array(a) => a.get_mut(0)?.as_object_mut(),
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    /// Wraps a plain string value in a value object (once).
    fn as_value_object(slot: Option<&mut Value>, datatype: Option<&str>) {
        if let Some(v) = slot.filter(|v| v.is_string()) {
            let s = v.take();
            *v = match datatype {
                Some(t) => json!({"@value": s, "@type": t}),
                None => json!({"@value": s}),
            };
        }
    }

    /// An in-place re-spelling.
    pub type Edit = fn(&mut Value);

    /// Each edit, by name. Edits compose: each finds its field wherever others moved it and
    /// leaves it alone if it was already re-spelled.
    pub fn all() -> Vec<(&'static str, Edit)> {
        vec![
            ("status type as an array", |c| {
                if let Some(t) = status(c)
                    .and_then(|e| e.get_mut("type"))
                    .filter(|t| t.is_string())
                {
                    let s = t.take();
                    *t = json!([s]);
                }
            }),
            ("statusPurpose as a value object", |c| {
                as_value_object(status(c).and_then(|e| e.get_mut("statusPurpose")), None)
            }),
            ("status entry wrapped in @set", |c| {
                if let Some(e) = c
                    .get_mut("credentialStatus")
                    .filter(|e| e.get("@set").is_none())
                {
                    let entry = e.take();
                    *e = json!({"@set": [entry]});
                }
            }),
            ("statusListCredential as a node reference", |c| {
                if let Some(l) = status(c)
                    .and_then(|e| e.get_mut("statusListCredential"))
                    .filter(|l| l.is_string())
                {
                    let url = l.take();
                    *l = json!({"@id": url});
                }
            }),
            ("credentialStatus under its full IRI", |c| {
                if let Some(o) = c.as_object_mut() {
                    if let Some(e) = o.remove("credentialStatus") {
                        o.insert(format!("{CRED}credentialStatus"), e);
                    }
                }
            }),
            ("validFrom as a typed value object", |c| {
                as_value_object(c.get_mut("validFrom"), Some(XSD_DATETIME))
            }),
            ("OpenBadgeCredential as its full IRI", |c| {
                if let Some(types) = c.get_mut("type").and_then(Value::as_array_mut) {
                    for t in types.iter_mut().filter(|t| *t == "OpenBadgeCredential") {
                        *t = json!(
                            "https://purl.imsglobal.org/spec/vc/ob/vocab.html#OpenBadgeCredential"
                        );
                    }
                }
            }),
            ("achievement wrapped in @set", |c| {
                if let Some(a) = c
                    .get_mut("credentialSubject")
                    .and_then(|s| s.get_mut("achievement"))
                    .filter(|a| a.get("@set").is_none())
                {
                    let inner = a.take();
                    *a = json!({"@set": [inner]});
                }
            }),
            ("identityHash as a value object", |c| {
                as_value_object(identity(c).and_then(|i| i.get_mut("identityHash")), None)
            }),
            ("identityType as a value object", |c| {
                as_value_object(identity(c).and_then(|i| i.get_mut("identityType")), None)
            }),
            ("a single identifier as an object", |c| {
                if let Some(ids) = c
                    .get_mut("credentialSubject")
                    .and_then(|s| s.get_mut("identifier"))
                {
                    if ids.as_array().is_some_and(|a| a.len() == 1) {
                        *ids = ids[0].take();
                    }
                }
            }),
            ("name as a value object", |c| {
                as_value_object(c.get_mut("name"), None)
            }),
            ("issuer under its full IRI", |c| {
                if let Some(o) = c.as_object_mut() {
                    if let Some(i) = o.remove("issuer") {
                        o.insert(format!("{CRED}issuer"), i);
                    }
                }
            }),
            ("evidence ids as @id", |c| {
                if let Some(list) = c.get_mut("evidence").and_then(Value::as_array_mut) {
                    for e in list.iter_mut().filter_map(Value::as_object_mut) {
                        if let Some(id) = e.remove("id") {
                            e.insert("@id".into(), id);
                        }
                    }
                }
            }),
            ("keys in reverse order", |c| {
                if let Some(o) = c.as_object() {
                    let rev: serde_json::Map<String, Value> = o
                        .iter()
                        .rev()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    *c = Value::Object(rev);
                }
            }),
        ]
    }
}

/// Builtin contexts plus the conformance folder's (the OB 3.0.3 context among them).
pub fn contexts(conformance: &Path) -> ContextStore {
    let mut store = ContextStore::with_builtins();
    contexts_dir::add_from_dir(&mut store, &conformance.join("contexts"))
        .expect("conformance contexts install");
    store
}

/// A node with an admin and a reviewer token, served by its router in-process.
pub struct TestNode {
    /// The node.
    pub node: Arc<Node>,
    /// Its router.
    pub app: axum::Router,
    /// An admin token.
    pub admin: String,
    /// A reviewer token.
    pub reviewer: String,
    /// Keeps a temporary data directory alive.
    pub dir: Option<tempfile::TempDir>,
    /// Where uploaded evidence files go.
    pub evidence: tempfile::TempDir,
}

/// A response: status, content type and body.
pub struct Reply {
    /// Status.
    pub status: StatusCode,
    /// `Content-Type`.
    pub content_type: String,
    /// Body bytes.
    pub body: Vec<u8>,
    /// Every header (lowercase names; the last value of a repeated header).
    pub headers: std::collections::HashMap<String, String>,
}

impl Reply {
    /// The body as JSON (panics with the body text if it is not).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// Asserts a problem+json reply of `status` whose type ends with `kind`.
    pub fn assert_problem(&self, status: StatusCode, kind: &str) -> Value {
        assert_eq!(
            self.status,
            status,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(self.content_type, "application/problem+json");
        let p = self.json();
        assert_eq!(p["type"], format!("urn:credreg:problem:{kind}"), "{p}");
        assert_eq!(p["status"], status.as_u16());
        assert!(p["detail"].as_str().is_some_and(|d| !d.is_empty()));
        p
    }
}

impl TestNode {
    /// A node named `name` with key seed `seed` over a temporary store.
    pub fn new(name: &str, seed: u8, contexts: ContextStore) -> Self {
        let store = Store::temporary().expect("store");
        Self::over(store, name, seed, contexts, None)
    }

    /// A node over `store` (for restart tests).
    pub fn over(
        store: Store,
        name: &str,
        seed: u8,
        contexts: ContextStore,
        dir: Option<tempfile::TempDir>,
    ) -> Self {
        let node = Arc::new(
            Node::open(
                store,
                SigningKey::from_bytes(&[seed; 32]),
                NodeSettings {
                    name: name.into(),
                    public_url: format!("http://node-{seed}.test"),
                    ..Default::default()
                },
                contexts,
            )
            .expect("node opens"),
        );
        Self::from_parts(node, None, dir)
    }

    /// Serves an opened node (and its federation, if it runs one) with fresh tokens.
    pub fn from_parts(
        node: Arc<Node>,
        federation: Option<credreg_federation::Federation>,
        dir: Option<tempfile::TempDir>,
    ) -> Self {
        let admin = generate_token();
        node.add_token(&admin, Role::Admin).expect("admin token");
        let reviewer = generate_token();
        node.add_token(&reviewer, Role::Reviewer)
            .expect("reviewer token");
        let mut state = AppState::new(node.clone());
        state.body_limit = 256 * 1024;
        let evidence = tempfile::tempdir().expect("evidence dir");
        state.evidence = Some(credreg_node::review::files::EvidenceFiles::new(
            evidence.path().to_owned(),
            4 * 1024 * 1024,
        ));
        state.federation =
            federation.map(|f| Arc::new(f) as Arc<dyn credreg_wire::federation::FederationStatus>);
        Self {
            app: credreg_api::router(state),
            node,
            admin,
            reviewer,
            dir,
            evidence,
        }
    }

    /// Sends a request with an optional bearer token and raw body.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Vec<u8>,
    ) -> Reply {
        let auth = token.map(|t| format!("Bearer {t}"));
        let headers: Vec<(&str, &str)> = auth
            .as_deref()
            .map(|a| ("authorization", a))
            .into_iter()
            .collect();
        self.send_with(method, path, &headers, body).await
    }

    /// Sends a request with extra headers and a raw body.
    pub async fn send_with(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Reply {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header("content-type", "application/json");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = self
            .app
            .clone()
            .oneshot(req.body(Body::from(body)).expect("request"))
            .await
            .expect("router never fails");
        let status = res.status();
        let content_type = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let headers = res
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = res
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec();
        Reply {
            status,
            content_type,
            body,
            headers,
        }
    }

    /// GET.
    pub async fn get(&self, path: &str) -> Reply {
        self.send("GET", path, None, Vec::new()).await
    }

    /// POST JSON as admin.
    pub async fn post_admin(&self, path: &str, body: &Value) -> Reply {
        self.send(
            "POST",
            path,
            Some(&self.admin),
            body.to_string().into_bytes(),
        )
        .await
    }

    /// POST JSON without a token.
    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.send("POST", path, None, body.to_string().into_bytes())
            .await
    }

    /// Publishes a definition and returns its id.
    pub async fn publish(&self, def: &Value) -> String {
        let r = self.post_admin("/api/v1/credentials", def).await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "{}",
            String::from_utf8_lossy(&r.body)
        );
        r.json()["id"].as_str().expect("id").to_owned()
    }

    /// Issues an award and returns it (parsed) and its exact bytes.
    pub async fn award(&self, credential_id: &str, email: &str) -> (Value, Vec<u8>) {
        let r = self
            .post_admin(
                "/api/v1/awards",
                &serde_json::json!({
                    "credential_id": credential_id,
                    "recipient": {"email": email, "name": "Ana Ruiz"},
                    "evidence": [{"id": "https://portfolio.example.org/ana/wait-time", "name": "Lesson video and reflection"}]
                }),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "{}",
            String::from_utf8_lossy(&r.body)
        );
        (r.json(), r.body)
    }

    /// Number of definitions and awards (to check a failed request changed nothing).
    pub fn counts(&self) -> (usize, usize) {
        let defs = self.node.definition_count().expect("count");
        (defs, self.node.store().award_count())
    }
}

/// `GET uri` through `app` on `rt`, asserting 200 and reading the whole body: how long it
/// took (latency samples for benchmarks).
pub fn timed_get(
    rt: &tokio::runtime::Runtime,
    app: &axum::Router,
    uri: String,
) -> std::time::Duration {
    let app = app.clone();
    let start = std::time::Instant::now();
    rt.block_on(async move {
        let res = app
            .oneshot(Request::get(uri).body(Body::empty()).expect("request"))
            .await
            .expect("router never fails");
        assert_eq!(res.status(), StatusCode::OK);
        res.into_body().collect().await.expect("body");
    });
    start.elapsed()
}

/// The `p` quantile (0..=1) of sorted latency samples.
pub fn percentile(sorted: &[std::time::Duration], p: f64) -> std::time::Duration {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len().saturating_sub(1))]
}

/// Sample catalog entries drawn from published district programs (see `domain.md`).
pub mod samples {
    use serde_json::{json, Value};

    /// Kettle Moraine-style questioning credential.
    pub fn wait_time() -> Value {
        json!({
            "name": "Wait Time After Discussion Questions",
            "description": "The educator uses deliberate wait time after posing a discussion question so that every student has time to think before anyone answers.",
            "criteria": {"narrative": "Submit a lesson plan marking the planned pauses, a 10-minute classroom video, and a 500-word reflection on how student answers changed."},
            "competency": "Questioning and discussion",
            "key_method": "Pause three to five seconds after a question and again after a student's answer.",
            "research_basis": [{"citation": "Rowe, M. B. (1986). Wait time: Slowing down may be a way of speeding up! Journal of Teacher Education, 37(1), 43-50."}],
            "evidence_requirements": [
                {"kind": "overview", "description": "Answer the overview questions about your class and goals."},
                {"kind": "artifact", "description": "Lesson plan with planned pauses."},
                {"kind": "video", "description": "Ten minutes of classroom discussion."},
                {"kind": "reflection", "description": "500 words on what changed."}
            ],
            "rubric": {"criteria": [
                {"name": "Planned pauses", "levels": [{"name": "Not yet"}, {"name": "Proficient", "passing": true}]},
                {"name": "Reflection", "levels": [{"name": "Not yet"}, {"name": "Proficient", "passing": true}]}
            ]},
            "review_policy": {"reviewers": 2, "tiebreak": true},
            "estimated_effort": {"hours": 15, "weeks": 6},
            "local_value": {"amount": 200, "unit": "dollars"},
            "tags": ["questioning", "discussion"]
        })
    }

    /// Juab-style growth mindset credential.
    pub fn growth_mindset() -> Value {
        json!({
            "name": "Fostering a Growth Mindset",
            "description": "The educator teaches students that ability grows with effort and strategy, and gives feedback that reinforces it.",
            "criteria": {"narrative": "Submit three feedback samples on student work, a short student survey before and after, and a reflection."},
            "competency": "Growth mindset",
            "local_value": {"amount": 4, "unit": "in_service_hours"}
        })
    }
}
