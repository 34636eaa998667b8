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
pub const TARGETS: [(&str, Target); 13] = [
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
