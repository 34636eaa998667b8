//! Federation system tests: a state node and district nodes in one process, talking libp2p
//! over TCP on loopback. Every wait polls a condition with a deadline; nothing sleeps to
//! synchronize.

use credreg_tests::fed::{
    eventually, numbered_definitions, start_federation, vouch, FedNode, Spec,
};
use credreg_tests::{conformance, contexts, samples};
use serde_json::{json, Value};
use std::time::Duration;

const PATIENCE: Duration = Duration::from_secs(30);

fn verify_checks(report: &Value) -> Vec<(String, String)> {
    report["credentials"][0]["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| {
            (
                c["check"].as_str().unwrap_or("").to_owned(),
                c["status"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["credentials"][0]["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["check"] == name)
        .expect("check present")
}

/// The quality profile of definition `id` as `node` serves it.
async fn quality_profile(node: &FedNode, id: &str) -> Value {
    node.http
        .get(&format!("/api/v1/credentials/{id}"))
        .await
        .json()["quality"]
        .clone()
}

/// A state anchor and three districts; the state vouches for the districts and every node
/// trusts every district.
async fn federation(
    dir: &std::path::Path,
    ctx: &credreg_proof::ContextStore,
) -> (FedNode, Vec<FedNode>) {
    let (state, districts) = start_federation(
        dir,
        ctx,
        ("Wisconsin Department of Public Instruction", 10),
        &[
            ("Kettle Moraine School District", 11),
            ("Juab School District", 12),
            ("Lake County Schools", 13),
        ],
    )
    .await;
    let members: Vec<String> = districts.iter().map(FedNode::did).collect();
    all_trust(&state, &districts, &members).await;
    (state, districts)
}

async fn all_trust(state: &FedNode, districts: &[FedNode], members: &[String]) {
    for n in std::iter::once(state).chain(districts) {
        for m in members {
            if *m == n.did() {
                continue;
            }
            eventually(&format!("node {} trusts {m}", n.seed), PATIENCE, || async {
                n.issuer(m).await["trust"]["status"] == "member"
            })
            .await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_definition_an_award_and_its_revocation_reach_every_node() {
    let Some(conf) = conformance() else { return };
    let ctx = contexts(&conf);
    let dir = tempfile::tempdir().expect("tempdir");
    let (state, districts) = federation(dir.path(), &ctx).await;
    let [km, juab, lake] = &districts[..] else {
        unreachable!()
    };

    let id = juab.http.publish(&samples::growth_mindset()).await;
    for n in std::iter::once(&state).chain(&districts) {
        eventually(
            &format!("node {} finds Juab's definition", n.seed),
            PATIENCE,
            || async {
                n.federated_names("growth mindset")
                    .await
                    .contains(&"Fostering a Growth Mindset".to_owned())
            },
        )
        .await;
    }
    // Local scope stays local; the federated hit says who published it and who vouches.
    let local = km.http.get("/api/v1/credentials?q=growth").await.json();
    assert_eq!(local["total"], 0, "{local}");
    let hit = km
        .http
        .get("/api/v1/credentials?scope=federation&q=growth")
        .await
        .json();
    assert_eq!(hit["items"][0]["issuer"], juab.did());
    assert_eq!(hit["items"][0]["trust"]["status"], "member");
    assert_eq!(hit["items"][0]["trust"]["anchor"], state.did());
    // Juab's signed profile, as replicated, binds its network identity to its issuer key.
    assert_eq!(
        km.issuer(&juab.did()).await["peer_id"],
        juab.fed.peer_id().to_string()
    );

    // The state's quality standard reaches Lake County and is applied there to Juab's
    // definition, rule by rule.
    let r = state
        .http
        .post_admin(
            "/api/v1/quality-standards",
            &json!({"name": "Wisconsin micro-credential quality standard", "rules": [
                {"rule": "cites_research", "min": 1},
                {"rule": "requires_evidence", "kind": "reflection"}
            ]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let standard_id = r.json()["id"].as_str().expect("id").to_owned();
    eventually(
        "Lake County applies the state's standard",
        PATIENCE,
        || async {
            quality_profile(lake, &id).await["standards"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
        },
    )
    .await;
    let judged = quality_profile(lake, &id).await["standards"][0].clone();
    assert_eq!(judged["issuer"], state.did());
    assert_eq!(judged["trust"]["status"], "anchor");
    assert_eq!(judged["evaluation"]["meets"], false, "{judged}");
    assert_eq!(
        judged["evaluation"]["rules"][0]["reason"],
        "cites 0 research source(s); the standard asks for at least 1"
    );
    // Kettle Moraine endorses it against that standard (an OB 3.0 EndorsementCredential);
    // Lake County's quality profile shows who endorsed it and that the endorser is trusted.
    eventually("Kettle Moraine knows the standard", PATIENCE, || async {
        km.node()
            .quality_standards()
            .is_ok_and(|s| s.iter().any(|q| q.id == standard_id))
    })
    .await;
    let r = km
        .http
        .post_admin(
            "/api/v1/endorsements",
            &json!({"subject": id, "standard": standard_id,
                    "comment": "Reviewed by our micro-credential committee; adopted for base-pay credit."}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let endorsement = r.json()["record"]["body"]["credential"].clone();
    assert_eq!(
        endorsement["type"],
        json!(["VerifiableCredential", "EndorsementCredential"])
    );
    let v = lake.http.post("/api/v1/verify", &endorsement).await.json();
    assert_eq!(v["credentials"][0]["verdict"], "valid", "{v}");
    eventually(
        "Lake County sees Kettle Moraine's endorsement",
        PATIENCE,
        || async {
            quality_profile(lake, &id).await["endorsements"]
                .as_array()
                .is_some_and(|a| {
                    a.iter().any(|e| {
                        e["endorser"] == km.did().as_str()
                            && e["trust"]["status"] == "member"
                            && e["standard"] == standard_id.as_str()
                    })
                })
        },
    )
    .await;

    // An award verifies at Lake County without contacting Juab: trusted, logged.
    let (award, _) = juab.http.award(&id, "ana.ruiz@juab.org").await;
    eventually(
        "Lake County holds the award's receipt",
        PATIENCE,
        || async {
            check(
                &lake.http.post("/api/v1/verify", &award).await.json(),
                "logged",
            )["status"]
                == "pass"
        },
    )
    .await;
    let report = lake.http.post("/api/v1/verify", &award).await.json();
    let c = &report["credentials"][0];
    assert_eq!(c["verdict"], "valid", "{c}");
    assert_eq!(c["issuer"]["status"], "member");
    assert_eq!(c["issuer"]["anchor"], state.did());
    assert_eq!(
        verify_checks(&report)
            .iter()
            .map(|(c, s)| format!("{c}:{s}"))
            .collect::<Vec<_>>(),
        [
            "well_formed:pass",
            "proof:pass",
            "issuer_key:pass",
            "trusted:pass",
            "validity:pass",
            "status:pass",
            "logged:pass",
            "definition:pass"
        ]
    );

    // Juab revokes; every node learns it from the replicated log.
    let award_id = award["id"].as_str().expect("id");
    let r = juab
        .http
        .post_admin(
            &format!("/api/v1/awards/{award_id}/revoke"),
            &json!({"reason": "Evidence was submitted by another teacher."}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    for n in std::iter::once(&state).chain([km, lake]) {
        eventually(
            &format!("node {} sees the revocation", n.seed),
            PATIENCE,
            || async {
                n.http.post("/api/v1/verify", &award).await.json()["credentials"][0]["verdict"]
                    == "revoked"
            },
        )
        .await;
    }
    let report = km.http.post("/api/v1/verify", &award).await.json();
    assert!(check(&report, "status")["reason"]
        .as_str()
        .expect("reason")
        .contains("another teacher"));

    for n in districts {
        n.stop().await;
    }
    state.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_node_catches_up_on_500_missed_entries() {
    let ctx = credreg_proof::ContextStore::with_builtins();
    let dir = tempfile::tempdir().expect("tempdir");
    let (state, mut districts) = federation(dir.path(), &ctx).await;
    let lake = districts.pop().expect("lake");
    let lake_spec = Spec::district("Lake County Schools", 13, &state.did(), &ctx)
        .bootstrap(vec![state.addr().await]);
    let juab = &districts[1];
    let juab_did = juab.did();
    // Lake County holds Juab's log as it is now (its profile), so nothing arrives between
    // measuring and stopping.
    let before = juab.log_size(&juab_did);
    eventually("Lake County holds Juab's log", PATIENCE, || async {
        lake.log_size(&juab_did) == before
    })
    .await;
    let path = lake.stop().await;

    juab.node()
        .publish_definitions(numbered_definitions("Juab module", 500))
        .expect("publish");
    let target = juab.log_size(&juab_did);
    assert!(target >= before + 500);
    eventually("Kettle Moraine has all of Juab's log", PATIENCE, || async {
        districts[0].log_size(&juab_did) == target
    })
    .await;

    let lake = FedNode::start(lake_spec, &path).await;
    assert_eq!(
        lake.log_size(&juab_did),
        before,
        "restarted with its old replica"
    );
    // Caught up, and what it caught up on is usable: the catalog and the checkpoint. (The
    // log's size becomes visible as the write commits, the catalog just after its fsync.)
    eventually("restarted Lake County catches up", PATIENCE, || async {
        lake.log_size(&juab_did) == target
            && lake.federated_names("Juab module 499").await == ["Juab module 499"]
    })
    .await;
    assert_eq!(
        lake.federated_names("Juab module").await.len(),
        200,
        "a full page"
    );
    assert_eq!(
        lake.issuer(&juab_did).await["checkpoint_size"],
        json!(target),
        "the checkpoint reached is stored"
    );

    lake.stop().await;
    for n in districts {
        n.stop().await;
    }
    state.stop().await;
}

/// The whole federation holds every log in full (as each origin has it) and every catalog.
async fn converged(nodes: &[&FedNode], what: &str) {
    for origin in nodes {
        let did = origin.did();
        let size = origin.log_size(&did);
        for n in nodes {
            eventually(
                &format!(
                    "{what}: node {} holds {size} entries of node {}",
                    n.seed, origin.seed
                ),
                PATIENCE,
                || async { n.log_size(&did) == size },
            )
            .await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partitioned_federation_converges_when_the_partition_heals() {
    let ctx = credreg_proof::ContextStore::with_builtins();
    let dir = tempfile::tempdir().expect("tempdir");
    let (state, districts) = federation(dir.path(), &ctx).await;
    let [km, juab, lake] = &districts[..] else {
        unreachable!()
    };
    let all = [&state, km, juab, lake];
    converged(&all, "before the partition").await;

    // Two groups that cannot reach each other: {state, Kettle Moraine} and {Juab, Lake}.
    let (west, east) = ([&state, km], [juab, lake]);
    for a in west {
        a.set_blocked(&east, true).await;
    }
    for b in east {
        b.set_blocked(&west, true).await;
    }
    km.node()
        .publish_definitions(numbered_definitions("Kettle Moraine partition", 30))
        .expect("publish");
    juab.node()
        .publish_definitions(numbered_definitions("Juab partition", 30))
        .expect("publish");
    // Each side converges on its own...
    converged(&west, "west during the partition").await;
    converged(&east, "east during the partition").await;
    // ...and cannot see the other side's new records.
    assert!(lake.log_size(&km.did()) < km.log_size(&km.did()));
    assert!(state.log_size(&juab.did()) < juab.log_size(&juab.did()));
    assert!(lake
        .federated_names("Kettle Moraine partition")
        .await
        .is_empty());

    for a in west {
        a.set_blocked(&east, false).await;
    }
    for b in east {
        b.set_blocked(&west, false).await;
    }
    converged(&all, "after healing").await;
    for n in all {
        eventually(
            &format!("node {} finds both sides' records", n.seed),
            PATIENCE,
            || async { n.federated_names("partition").await.len() == 60 },
        )
        .await;
    }

    for n in districts {
        n.stop().await;
    }
    state.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_serves_an_offline_origins_entries_to_a_third_node() {
    let ctx = credreg_proof::ContextStore::with_builtins();
    let dir = tempfile::tempdir().expect("tempdir");
    let (state, mut districts) = federation(dir.path(), &ctx).await;
    let lake = districts.pop().expect("lake");
    lake.stop().await;
    let juab = districts.pop().expect("juab");
    let km = districts.pop().expect("km");
    let juab_did = juab.did();
    juab.node()
        .publish_definitions(numbered_definitions("Juab offline", 50))
        .expect("publish");
    let target = juab.log_size(&juab_did);
    eventually("Kettle Moraine replicates Juab", PATIENCE, || async {
        km.log_size(&juab_did) == target
    })
    .await;
    juab.stop().await;
    state.stop().await;

    // A new node that can only reach Kettle Moraine: the origin and the anchor are offline.
    let lake = FedNode::start(
        Spec::district(
            "Lake County Schools",
            13,
            &credreg_tests::fed::did_of(10),
            &ctx,
        )
        .bootstrap(vec![km.addr().await]),
        &dir.path().join("lake-new"),
    )
    .await;
    eventually(
        "Lake County gets Juab's entries from Kettle Moraine",
        PATIENCE,
        || async {
            lake.log_size(&juab_did) == target
                && lake.federated_names("Juab offline").await.len() == 50
        },
    )
    .await;
    let juab_at_lake = lake.issuer(&juab_did).await;
    assert_eq!(juab_at_lake["trust"]["status"], "member", "{juab_at_lake}");
    assert_eq!(juab_at_lake["checkpoint_size"], json!(target));
    let peers = lake.http.get("/api/v1/peers").await.json();
    let km_peer = peers["peers"]
        .as_array()
        .expect("peers")
        .iter()
        .find(|p| p["peer_id"] == km.fed.peer_id().to_string())
        .expect("Kettle Moraine listed")
        .clone();
    assert!(km_peer["last_sync"].is_string(), "{km_peer}");
    assert!(
        km_peer["replicates"]
            .as_array()
            .expect("replicates")
            .iter()
            .any(|r| r["issuer"] == juab_did.as_str() && r["size"] == json!(target)),
        "{km_peer}"
    );

    lake.stop().await;
    km.stop().await;
}

/// A raw libp2p participant that speaks credreg's protocols but is not a credreg node: it
/// publishes whatever bytes a test gives it and serves nothing.
struct Rogue {
    net: credreg_net::NetClient,
    _events: tokio::sync::mpsc::Receiver<credreg_net::NetEvent>,
}

struct ServesNothing;

impl credreg_net::SyncService for ServesNothing {
    fn serve(
        &self,
        _: credreg_net::PeerId,
        _: credreg_net::SyncRequest,
    ) -> credreg_net::SyncResponse {
        credreg_net::SyncResponse::Error("not telling".into())
    }
}

impl Rogue {
    async fn join(seed: u8, peer: &FedNode) -> Self {
        let (net, events) = credreg_net::start(
            credreg_tests::fed::test_net_config(seed, vec![peer.addr().await]),
            std::sync::Arc::new(ServesNothing),
        )
        .await
        .expect("rogue starts");
        Self {
            net,
            _events: events,
        }
    }

    /// Publishes on the records topic, retrying while the receiver has not yet seen its
    /// subscription (gossipsub reports no peers for the topic until then).
    async fn publish(&self, data: Vec<u8>) {
        let deadline = std::time::Instant::now() + PATIENCE;
        loop {
            match self
                .net
                .publish(credreg_net::Topic::Records, data.clone())
                .await
            {
                Ok(()) => return,
                Err(e) => {
                    assert!(
                        std::time::Instant::now() < deadline,
                        "rogue could not publish: {e}"
                    );
                    tokio::time::sleep(Duration::from_millis(25)).await;
                }
            }
        }
    }
}

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

async fn refused(node: &FedNode, reason: &str) -> u64 {
    let text = String::from_utf8(node.http.get("/metrics").await.body).expect("utf-8");
    text.lines()
        .find(|l| {
            l.starts_with(&format!(
                "credreg_federation_refused{{reason=\"{reason}\"}}"
            ))
        })
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
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
    let rogue_id = rogue.net.peer_id().to_string();
    eventually("the rogue is blocked", PATIENCE, || async {
        let peers = km.http.get("/api/v1/peers").await.json();
        peers["peers"].as_array().expect("peers").iter().any(|p| {
            p["peer_id"] == rogue_id.as_str()
                && p["blocked"] == true
                && p["offences"] == 5
                && p["connected"] == false
        })
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
            assert!(e.verify().is_ok(), "{e:?}");
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
