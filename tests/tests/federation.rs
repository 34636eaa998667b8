//! Federation system tests: a state node and district nodes in one process, talking libp2p
//! over TCP on loopback. Every wait polls a condition with a deadline; nothing sleeps to
//! synchronize.

use credreg_tests::fed::{
    converged, eventually, four_node_federation as federation, numbered_definitions, FedNode, Spec,
    PATIENCE,
};
use credreg_tests::{conformance, contexts, samples};
use serde_json::{json, Value};

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
