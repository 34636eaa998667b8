//! Every decoder that takes outside bytes, as one function per fuzz target: `fuzz/` runs them
//! under libFuzzer (`scripts/fuzz`), and `tests/fuzz_corpus.rs` runs them on the committed
//! corpus in the suite. Each must return, whatever the bytes: a panic, an abort or a hang is a
//! finding. The node they drive is built once per process, over a temporary store.

use credreg_node::verify::outside::OutsideDocuments;
use credreg_node::{Node, NodeSettings};
use credreg_proof::{Canonicalizer, ContextStore, DataIntegrity, KeyResolver, SigningKey};
use credreg_store::Store;
use serde_json::Value;
use std::sync::{Arc, OnceLock};

/// A decoder under test: it must return whatever the bytes.
pub type Target = fn(&[u8]);

/// The targets, by name (the `fuzz/fuzz_targets/<name>.rs` files and `fuzz/corpus/<name>/`).
pub const TARGETS: [(&str, Target); 15] = [
    ("credential", credential),
    ("jwt", jwt),
    ("baked_image", baked_image),
    ("badge_file", badge_file),
    ("status_list", status_list),
    ("bundle", bundle),
    ("checkpoint", checkpoint),
    ("gossip", gossip),
    ("sync_request", sync_request),
    ("sync_response", sync_response),
    ("ob2_document", ob2_document),
    ("did_document", did_document),
    ("csv_import", csv_import),
    ("form_body", form_body),
    ("multipart_upload", multipart_upload),
];

fn store() -> ContextStore {
    let mut store = ContextStore::with_builtins();
    if let Some(dir) = credreg_testkit::conformance() {
        // The Open Badges contexts, so credentials get as far as their proofs.
        let _ = credreg_node::contexts_dir::add_from_dir(&mut store, &dir.join("contexts"));
    }
    store
}

fn node() -> &'static Node {
    static NODE: OnceLock<Node> = OnceLock::new();
    NODE.get_or_init(|| {
        Node::open(
            Store::temporary().expect("store"),
            SigningKey::from_bytes(&[61; 32]),
            NodeSettings {
                name: "Fuzzing District".into(),
                public_url: "http://127.0.0.1:8080".into(),
                ..Default::default()
            },
            store(),
        )
        .expect("node")
    })
}

fn di() -> &'static DataIntegrity {
    static DI: OnceLock<DataIntegrity> = OnceLock::new();
    DI.get_or_init(|| DataIntegrity::new(Canonicalizer::new(Arc::new(store()))))
}

/// JSON the way the API reads it: bounded before it is parsed.
fn json(data: &[u8]) -> Option<Value> {
    if data.len() > 1024 * 1024 {
        return None;
    }
    credreg_model::read_json(data).ok()
}

/// A credential, presentation or `{"credentials": [...]}` through the whole pipeline.
pub fn credential(data: &[u8]) {
    if let Some(v) = json(data) {
        let _ = node().verify(&v);
    }
}

/// A compact JWS (VC-JWT, or a signed Open Badges 2.0 assertion).
pub fn jwt(data: &[u8]) {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = node().verify(&Value::String(s.to_owned()));
    }
}

/// A PNG or SVG with (or without) a badge baked in.
pub fn baked_image(data: &[u8]) {
    let _ = credreg_model::baked::unbake(data);
}

/// A file as the verify page and `credreg verify` read it, then verified.
pub fn badge_file(data: &[u8]) {
    if let Ok(v) =
        credreg_node::verify::read::badge_in(data, |b| json(b).ok_or_else(|| "not JSON".to_owned()))
    {
        let _ = node().verify(&v);
    }
}

/// An `encodedList` (Bitstring or StatusList2021).
pub fn status_list(data: &[u8]) {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = credreg_node::issue::status_list::decode_list(s);
    }
}

/// An offline bundle, checked from its own contents.
pub fn bundle(data: &[u8]) {
    if let Some(v) = json(data) {
        let now = time::OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_800);
        let _ = credreg_node::verify::bundle::verify_bundle(di(), &v, &[], now);
    }
}

/// A checkpoint as peers and the API hand it over.
pub fn checkpoint(data: &[u8]) {
    if let Ok(c) = serde_json::from_slice::<credreg_node::CheckpointJson>(data) {
        let _ = credreg_node::replica::checked_checkpoint(&c);
    }
}

/// A gossip message from a peer.
pub fn gossip(data: &[u8]) {
    let _ = node().on_gossip(data);
}

/// A sync request from a peer (CBOR, as the libp2p codec reads it), served.
pub fn sync_request(data: &[u8]) {
    if let Ok(req) = cbor4ii::serde::from_slice::<credreg_wire::sync::SyncRequest>(data) {
        let _ = node().serve_sync(req);
    }
}

/// A sync response from a peer (CBOR), decoded and its entries judged as a page.
pub fn sync_response(data: &[u8]) {
    let _ = cbor4ii::serde::from_slice::<credreg_wire::sync::SyncResponse>(data);
}

/// An Open Badges 2.0 hosted assertion as its issuer's server answers (the bytes stand for the
/// assertion, its BadgeClass and its Profile at once).
pub fn ob2_document(data: &[u8]) {
    const URL: &str = "https://badges.example.org/assertions/1";
    let mut outside = OutsideDocuments::none();
    for url in [
        URL,
        "https://badges.example.org/badges/1",
        "https://badges.example.org/issuers/1",
    ] {
        outside.add(url, Ok((Arc::new(data.to_vec()), 0)));
    }
    let _ = node().verify_with(&Value::String(URL.into()), &outside);
}

/// A DID document (did:web's `did.json`) and resolving a method in it.
pub fn did_document(data: &[u8]) {
    let Some(v) = json(data) else { return };
    let mut r = KeyResolver::new();
    if r.add_document(v.clone()).is_ok() {
        if let Some(id) = v.get("id").and_then(Value::as_str) {
            let _ = r.resolve(&format!("{id}#key-1"), "assertionMethod");
            let _ = r.resolve(id, "assertionMethod");
        }
    }
    let mut outside = OutsideDocuments::none();
    outside.add(
        "https://district.example/.well-known/did.json",
        Ok((Arc::new(data.to_vec()), 0)),
    );
    let _ = outside
        .key_resolver()
        .resolve("did:web:district.example#key-1", "assertionMethod");
}

/// A CSV of awards to issue, as a coordinator uploads it.
pub fn csv_import(data: &[u8]) {
    let _ = credreg_node::issue::csv_rows::award_rows(data, None);
}

/// The pages of a node with a signed-in coordinator and teacher (and the teacher's draft), for
/// the form targets: requests go through the real router, cookies, CSRF check and all.
struct Pages {
    runtime: tokio::runtime::Runtime,
    app: axum::Router,
    coordinator: String,
    teacher: String,
    credential: String,
    draft: String,
    _evidence: tempfile::TempDir,
}

/// The CSRF token every fuzzed form carries (in its cookie and its first field), so inputs
/// get past the check into the form's own decoding.
pub const FUZZ_CSRF: &str = "fuzz-csrf";
/// The boundary of every fuzzed `multipart/form-data` body.
pub const FUZZ_BOUNDARY: &str = "fuzzboundary";

fn pages() -> &'static Pages {
    use credreg_node::review::{Actor, NewPerson, PersonRole};
    static PAGES: OnceLock<Pages> = OnceLock::new();
    PAGES.get_or_init(|| {
        let node = Arc::new(
            Node::open(
                Store::temporary().expect("store"),
                SigningKey::from_bytes(&[62; 32]),
                NodeSettings {
                    name: "Fuzzing District".into(),
                    public_url: "http://127.0.0.1:8080".into(),
                    ..Default::default()
                },
                store(),
            )
            .expect("node"),
        );
        let def: credreg_model::CredentialDef = serde_json::from_value(serde_json::json!({
            "name": "Checking for Understanding",
            "description": "Uses quick checks to adjust a lesson.",
            "criteria": {"narrative": "Submit a lesson plan and a reflection."},
            "rubric": {"criteria": [{"name": "Reflection", "levels": [
                {"name": "Not yet"}, {"name": "Proficient", "passing": true}]}]},
            "review_policy": {"reviewers": 1}
        }))
        .expect("definition");
        let credential = node.publish_definition(def).expect("publish").id;
        let session = |name: &str, email: &str, role| {
            node.invite_person(
                &Actor::Operator,
                NewPerson {
                    name: name.into(),
                    email: email.into(),
                    school: Some("Fuzz Elementary".into()),
                    roles: vec![role],
                },
            )
            .expect("invite");
            let code = node
                .outbox(&Actor::Operator)
                .expect("outbox")
                .iter()
                .rev()
                .find(|m| m.to == email)
                .and_then(|m| {
                    m.body
                        .split_whitespace()
                        .find(|w| w.starts_with("crl_"))
                        .map(str::to_owned)
                })
                .expect("code");
            node.sign_in_with_link(&code).expect("session").0
        };
        let coordinator = session(
            "Ada Coordinator",
            "ada@fuzz.k12.us",
            PersonRole::Coordinator,
        );
        let teacher = session("Tom Teacher", "tom@fuzz.k12.us", PersonRole::Teacher);
        let actor = node.session_actor(&teacher).expect("read").expect("actor");
        let draft = node
            .start_submission(&actor, &credential, None)
            .expect("draft")
            .id;
        let evidence = tempfile::tempdir().expect("evidence dir");
        let app = credreg_web::router(
            node,
            credreg_web::Options {
                evidence: Some(credreg_node::review::files::EvidenceFiles::new(
                    evidence.path().to_owned(),
                    1024 * 1024,
                )),
                ..Default::default()
            },
        );
        Pages {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime"),
            app,
            coordinator,
            teacher,
            credential,
            draft,
            _evidence: evidence,
        }
    })
}

/// Who sends a fuzzed form.
#[derive(Clone, Copy)]
enum As {
    Anyone,
    Coordinator,
    Teacher,
}

/// Posts `body` to `path` as `who`, with the fuzzing CSRF cookie, and reads the whole answer:
/// its status and where it redirects to, if it does.
fn post_form(
    path: &str,
    who: As,
    content_type: &str,
    body: Vec<u8>,
) -> Option<(u16, Option<String>)> {
    use tower::ServiceExt;
    let p = pages();
    let path = path
        .replace("{credential}", &p.credential)
        .replace("{draft}", &p.draft);
    let mut cookie = format!("credreg_csrf={FUZZ_CSRF}");
    match who {
        As::Anyone => {}
        As::Coordinator => cookie.push_str(&format!("; credreg_session={}", p.coordinator)),
        As::Teacher => cookie.push_str(&format!("; credreg_session={}", p.teacher)),
    }
    let Ok(request) = axum::http::Request::post(path)
        .header("cookie", cookie)
        .header("content-type", content_type)
        .body(axum::body::Body::from(body))
    else {
        return None;
    };
    p.runtime.block_on(async {
        let Ok(answer) = p.app.clone().oneshot(request).await;
        let status = answer.status().as_u16();
        let location = answer
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let _ = http_body_util::BodyExt::collect(answer.into_body()).await;
        Some((status, location))
    })
}

/// The forms a fuzzed urlencoded body goes to; the input's first byte picks one. The ones
/// that would end the fuzzing sessions or the teacher's draft (sign-out, submit, withdraw)
/// are left out: after them every later input would be turned away before being read.
const FORMS: [(&str, As); 12] = [
    ("/sign-in", As::Anyone),
    ("/setup", As::Anyone),
    ("/credentials/{credential}/start", As::Teacher),
    ("/mine/emails", As::Teacher),
    ("/mine/submissions/{draft}/items", As::Teacher),
    ("/coordinator/people", As::Coordinator),
    ("/coordinator/credentials/new", As::Coordinator),
    ("/coordinator/revoke", As::Coordinator),
    ("/coordinator/stacks/new", As::Coordinator),
    ("/coordinator/tokens", As::Coordinator),
    ("/coordinator/node", As::Coordinator),
    ("/curate", As::Coordinator),
];

/// An `application/x-www-form-urlencoded` body to one of the pages' forms (after a valid
/// CSRF field, so the form's own fields are what gets decoded and validated).
pub fn form_body(data: &[u8]) {
    let _ = form_answer(data);
}

/// What [`form_body`] is answered: status and redirect target (`None` for an empty input).
pub fn form_answer(data: &[u8]) -> Option<(u16, Option<String>)> {
    post_picked(
        &FORMS,
        "application/x-www-form-urlencoded",
        format!("csrf={FUZZ_CSRF}&").as_bytes(),
        data,
    )
}

/// Posts the rest of `data` (after `prefix`) to the form its first byte picks from `forms`.
fn post_picked(
    forms: &[(&str, As)],
    content_type: &str,
    prefix: &[u8],
    data: &[u8],
) -> Option<(u16, Option<String>)> {
    let (&pick, rest) = data.split_first()?;
    let (path, who) = forms[usize::from(pick) % forms.len()];
    post_form(path, who, content_type, [prefix, rest].concat())
}

/// The forms that take `multipart/form-data`: badge files to verify or report on, a
/// teacher's evidence upload, a coordinator's CSV import, the recognition rules (whose sample
/// badges are files).
const UPLOADS: [(&str, As); 5] = [
    ("/verify", As::Anyone),
    ("/transfer", As::Anyone),
    ("/mine/submissions/{draft}/files", As::Teacher),
    ("/coordinator/awards", As::Coordinator),
    ("/coordinator/recognitions", As::Coordinator),
];

/// A `multipart/form-data` body (boundary [`FUZZ_BOUNDARY`]) to one of the upload forms; the
/// first byte picks it. The seeds carry a CSRF part first, as the pages' forms do.
pub fn multipart_upload(data: &[u8]) {
    let _ = upload_answer(data);
}

/// What [`multipart_upload`] is answered: status and redirect target.
pub fn upload_answer(data: &[u8]) -> Option<(u16, Option<String>)> {
    post_picked(
        &UPLOADS,
        &format!("multipart/form-data; boundary={FUZZ_BOUNDARY}"),
        b"",
        data,
    )
}
