//! Federation system tests with a misbehaving party: a rogue libp2p peer sending forged,
//! replayed, oversized and untrusted data, and an issuer that signs two inconsistent logs
//! (gossiped, or shown only to some peers over sync). Every wait polls with a deadline.

use credreg_tests::fed::{
    converged, eventually, four_node_federation as federation, refused, seen_as, vouch, FedNode,
    Rogue, PATIENCE,
};
use serde_json::{json, Value};

/// An issuer's log as an announcement carrying all of it, built by a standalone node that
/// holds the issuer's key (for the rogue tests: the "issuer" signs whatever the test wants).
fn announcement_of(node: &credreg_node::Node) -> (Value, Vec<u8>) {
    let cp = node
        .checkpoint(node.did())
        .expect("cp")
        .expect("a checkpoint");
    let entries: Vec<String> = node
        .store()
        .log_entries(node.did(), 0, cp.size)
        .expect("entries")
        .into_iter()
        .map(|(_, b)| String::from_utf8(b).expect("utf-8"))
        .collect();
    let message = json!({"announce": {"checkpoint": cp, "from": 0, "entries": entries}});
    let bytes = serde_json::to_vec(&message).expect("json");
    (message, bytes)
}

fn standalone(name: &str, seed: u8, defs: &[&str]) -> credreg_node::Node {
    let node = credreg_node::Node::open(
        credreg_store::Store::temporary().expect("store"),
        credreg_proof::SigningKey::from_bytes(&[seed; 32]),
        credreg_node::NodeSettings {
            name: name.into(),
            public_url: format!("http://node-{seed}.test"),
            ..Default::default()
        },
        credreg_proof::ContextStore::with_builtins(),
    )
    .expect("node");
    for d in defs {
        node.publish_definition(credreg_model::CredentialDef::new(
            *d,
            "Leads a structured classroom discussion.",
            "Submit a lesson plan and a reflection.",
        ))
        .expect("publish");
    }
    node
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_sending_forged_replayed_oversized_or_untrusted_records_is_rejected_and_penalized() {
    let ctx = credreg_proof::ContextStore::with_builtins();
    let dir = tempfile::tempdir().expect("tempdir");
    let (state, districts) = federation(dir.path(), &ctx).await;
    let [km, juab, _lake] = &districts[..] else {
        unreachable!()
    };
    let juab_did = juab.did();
    converged(&[&state, km, juab], "before the rogue").await;
    let juab_size = km.log_size(&juab_did);
    let rogue = Rogue::join(66, km).await;

    // Untrusted: a genuine, well-signed log of an issuer no anchor vouches for.
    let stranger = standalone("Unvetted Provider LLC", 77, &["Instant Expert Badge"]);
    let (_, untrusted) = announcement_of(&stranger);
    rogue.publish(untrusted).await;
    eventually("the untrusted log is refused", PATIENCE, || async {
        refused(km, "untrusted").await == 1
    })
    .await;

    // Forged: Juab's real checkpoint with one signature byte changed.
    let mut cp = serde_json::to_value(km.node().checkpoint(&juab_did).expect("cp").expect("some"))
        .expect("json");
    let sig = cp["signature"].as_str().expect("sig").to_owned();
    let flipped = if sig.starts_with('0') { "1" } else { "0" };
    cp["signature"] = json!(format!("{flipped}{}", &sig[1..]));
    rogue
        .publish(serde_json::to_vec(&json!({"announce": {"checkpoint": cp}})).expect("json"))
        .await;

    // Replayed: a checkpoint Juab really signed, an hour ago.
    let juab_key = credreg_proof::SigningKey::from_bytes(&[12; 32]);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let nodes = km.node().store().log_nodes(&juab_did);
    let old = credreg_log::Checkpoint {
        issuer: juab_did.clone(),
        size: juab_size,
        root: credreg_log::root(&nodes, juab_size).expect("root"),
        timestamp: now - 3600,
    }
    .sign(&juab_key)
    .expect("sign");
    let old = credreg_node::CheckpointJson::of(&old);
    rogue
        .publish(serde_json::to_vec(&json!({"announce": {"checkpoint": old}})).expect("json"))
        .await;

    // Oversized: more entries than an announcement may carry.
    let fresh = km.node().checkpoint(&juab_did).expect("cp").expect("some");
    let padding: Vec<String> = (0..40).map(|i| format!("{{\"n\":{i}}}")).collect();
    rogue
        .publish(
            serde_json::to_vec(
                &json!({"announce": {"checkpoint": fresh, "from": 0, "entries": padding}}),
            )
            .expect("json"),
        )
        .await;

    // Malformed, twice (different bytes, so gossipsub does not drop the second as a duplicate).
    rogue.publish(b"not a credreg message".to_vec()).await;
    rogue
        .publish(serde_json::to_vec(&json!({"hello": "world"})).expect("json"))
        .await;

    eventually("every offence is counted", PATIENCE, || async {
        refused(km, "forged").await == 1
            && refused(km, "replayed").await == 1
            && refused(km, "oversized").await == 1
            && refused(km, "malformed").await == 2
    })
    .await;
    // Penalized: five offences (untrusted data is refused but not counted) block the peer,
    // and gossipsub scored it down.
    eventually("the rogue is blocked", PATIENCE, || async {
        seen_as(km, &rogue).await == (true, false, 5)
    })
    .await;
    // Nothing of it was stored, anywhere.
    for n in [&state, km, juab] {
        assert_eq!(n.log_size(stranger.did()), 0, "node {}", n.seed);
        assert!(n.federated_names("Instant Expert").await.is_empty());
        assert_eq!(n.issuer(&juab_did).await["equivocations"], json!([]));
    }
    assert_eq!(km.log_size(&juab_did), juab_size);
    // The honest peers were not penalized.
    let rogue_id = rogue.net.peer_id().to_string();
    let peers = km.http.get("/api/v1/peers").await.json();
    for p in peers["peers"].as_array().expect("peers") {
        if p["peer_id"] != rogue_id.as_str() {
            assert_eq!(p["offences"], 0, "{p}");
            assert_eq!(p["blocked"], false, "{p}");
        }
    }

    rogue.net.shutdown().await;
    for n in districts {
        n.stop().await;
    }
    state.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_issuer_that_signs_two_inconsistent_checkpoints_is_flagged_by_every_honest_node() {
    let ctx = credreg_proof::ContextStore::with_builtins();
    let dir = tempfile::tempdir().expect("tempdir");
    let (state, districts) = federation(dir.path(), &ctx).await;
    let all: Vec<&FedNode> = std::iter::once(&state).chain(&districts).collect();

    // Mallory is a member district whose operator runs two different logs under one key.
    let mallory_did = credreg_tests::fed::did_of(40);
    vouch(&state, std::slice::from_ref(&mallory_did)).await;
    let fork_a = standalone("Mallory Unified", 40, &["Fork A"]);
    let fork_b = standalone("Mallory Unified", 40, &["Fork B one", "Fork B two"]);
    let rogue = Rogue::join(41, &districts[0]).await;

    let (_, a) = announcement_of(&fork_a);
    let a_size = fork_a.store().log_size(&mallory_did).expect("size");
    for n in &all {
        eventually(
            &format!("node {} trusts Mallory", n.seed),
            PATIENCE,
            || async { n.issuer(&mallory_did).await["trust"]["status"] == "member" },
        )
        .await;
    }
    rogue.publish(a).await;
    for n in &all {
        eventually(
            &format!("node {} replicates fork A", n.seed),
            PATIENCE,
            || async { n.log_size(&mallory_did) == a_size },
        )
        .await;
    }

    // Fork B is larger and does not extend fork A.
    let (_, b) = announcement_of(&fork_b);
    rogue.publish(b).await;
    for n in &all {
        eventually(
            &format!("node {} holds evidence against Mallory", n.seed),
            PATIENCE,
            || async {
                n.issuer(&mallory_did).await["equivocations"]
                    .as_array()
                    .is_some_and(|e| !e.is_empty())
            },
        )
        .await;
    }
    // The evidence checks out on its own, and nobody followed fork B.
    for n in &all {
        for e in n.node().evidence_about(&mallory_did).expect("evidence") {
            assert!(credreg_node::replica::verify_evidence(&e).is_ok(), "{e:?}");
        }
        assert_eq!(n.log_size(&mallory_did), a_size);
        assert!(n.federated_names("Fork B").await.is_empty());
        let peers = n.http.get("/api/v1/peers").await.json();
        for p in peers["peers"].as_array().expect("peers") {
            assert_eq!(p["offences"], 0, "honest relays are not blamed: {p}");
        }
    }

    rogue.net.shutdown().await;
    for n in districts {
        n.stop().await;
    }
    state.stop().await;
}

/// Serves one standalone node's logs over the sync protocol (a peer holding a fork).
struct ServesLog(credreg_node::Node);

impl credreg_net::SyncService for ServesLog {
    fn serve(
        &self,
        _: credreg_net::PeerId,
        request: credreg_net::SyncRequest,
    ) -> credreg_net::SyncResponse {
        self.0.serve_sync(request)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_issuer_showing_different_logs_to_different_peers_is_caught_through_sync() {
    let ctx = credreg_proof::ContextStore::with_builtins();
    let dir = tempfile::tempdir().expect("tempdir");
    let (state, districts) = federation(dir.path(), &ctx).await;
    let all: Vec<&FedNode> = std::iter::once(&state).chain(&districts).collect();
    let lake = &districts[2];
    let mallory = credreg_tests::fed::did_of(42);
    vouch(&state, std::slice::from_ref(&mallory)).await;
    for n in &all {
        eventually(
            &format!("node {} trusts Mallory", n.seed),
            PATIENCE,
            || async { n.issuer(&mallory).await["trust"]["status"] == "member" },
        )
        .await;
    }
    // Everyone is shown fork A by gossip.
    let fork_a = standalone("Mallory Unified", 42, &["Fork A"]);
    let a_size = fork_a.store().log_size(&mallory).expect("size");
    let gossiper = Rogue::join(43, &districts[0]).await;
    gossiper.publish(announcement_of(&fork_a).1).await;
    for n in &all {
        eventually(
            &format!("node {} holds fork A", n.seed),
            PATIENCE,
            || async { n.log_size(&mallory) == a_size },
        )
        .await;
    }
    // A peer that only serves fork B (larger, not extending A) over sync; it never gossips.
    let fork_b = standalone("Mallory Unified", 42, &["Fork B one", "Fork B two"]);
    let (holder, _events) = credreg_net::start(
        credreg_tests::fed::test_net_config(44, vec![lake.addr().await]),
        std::sync::Arc::new(ServesLog(fork_b)),
    )
    .await
    .expect("fork holder starts");
    for n in &all {
        eventually(
            &format!("node {} holds evidence against Mallory", n.seed),
            PATIENCE,
            || async {
                n.issuer(&mallory).await["equivocations"]
                    .as_array()
                    .is_some_and(|e| !e.is_empty())
            },
        )
        .await;
        assert_eq!(n.log_size(&mallory), a_size, "nobody follows fork B");
    }
    // The peer that served fork B relayed the issuer's own signed data: it is not blamed.
    let holder_id = holder.peer_id().to_string();
    let peers = lake.http.get("/api/v1/peers").await.json();
    let seen = peers["peers"]
        .as_array()
        .expect("peers")
        .iter()
        .find(|p| p["peer_id"] == holder_id.as_str())
        .cloned()
        .expect("lake knows the fork holder");
    assert_eq!(seen["offences"], 0, "{seen}");

    holder.shutdown().await;
    gossiper.net.shutdown().await;
    for n in districts {
        n.stop().await;
    }
    state.stop().await;
}
