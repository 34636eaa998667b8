//! Federation system tests: a state node and district nodes in one process, talking libp2p
//! over TCP on loopback. Every wait polls a condition with a deadline; nothing sleeps to
//! synchronize.

use credreg_tests::fed::{eventually, numbered_definitions, vouch, FedNode, Spec};
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

/// A state anchor and three districts; the state vouches for the districts.
async fn federation(
    dir: &std::path::Path,
    ctx: &credreg_proof::ContextStore,
) -> (FedNode, Vec<FedNode>) {
    let state = FedNode::start(
        Spec::state("Wisconsin Department of Public Instruction", 10, ctx),
        &dir.join("state"),
    )
    .await;
    let anchor = state.did();
    let boot = vec![state.addr().await];
    let mut districts = Vec::new();
    for (name, seed) in [
        ("Kettle Moraine School District", 11),
        ("Juab School District", 12),
        ("Lake County Schools", 13),
    ] {
        districts.push(
            FedNode::start(
                Spec::district(name, seed, &anchor, ctx).bootstrap(boot.clone()),
                &dir.join(format!("d{seed}")),
            )
            .await,
        );
    }
    let members: Vec<String> = districts.iter().map(FedNode::did).collect();
    vouch(&state, &members).await;
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
    let before = lake.log_size(&juab_did);
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
