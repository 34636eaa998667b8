//! A five-node federation split in two and healed, with a node stopped in the middle of its
//! catch-up and restarted: every node ends holding every log in full and finds both sides'
//! records. libp2p over TCP on loopback; every wait polls with a deadline.

use credreg_tests::fed::{
    all_trust, converged, eventually, numbered_definitions, start_federation, FedNode, Spec,
    PATIENCE,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_nodes_split_heal_and_a_restart_mid_catch_up_lose_nothing() {
    let ctx = credreg_proof::ContextStore::with_builtins();
    let dir = tempfile::tempdir().expect("tempdir");
    let (state, mut districts) = start_federation(
        dir.path(),
        &ctx,
        ("Utah State Board of Education", 20),
        &[
            ("Juab School District", 21),
            ("Kettle Moraine School District", 22),
            ("Lake County Schools", 23),
            ("Oconomowoc Area School District", 24),
        ],
    )
    .await;
    let members: Vec<String> = districts.iter().map(FedNode::did).collect();
    all_trust(&state, &districts, &members).await;
    let last = districts.pop().expect("fifth");
    {
        let all: Vec<&FedNode> = std::iter::once(&state)
            .chain(&districts)
            .chain([&last])
            .collect();
        converged(&all, "before the partition").await;
    }

    // {state, Juab, Kettle Moraine} | {Lake County, Oconomowoc}.
    let west = [&state, &districts[0], &districts[1]];
    let east = [&districts[2], &last];
    let block = |blocked: bool| async move {
        for a in west {
            a.set_blocked(&east, blocked).await;
        }
        for b in east {
            b.set_blocked(&west, blocked).await;
        }
    };
    block(true).await;
    // Juab writes enough for a catch-up of several pages.
    districts[0]
        .node()
        .publish_definitions(numbered_definitions("Juab split", 2100))
        .expect("publish");
    districts[2]
        .node()
        .publish_definitions(numbered_definitions("Lake split", 300))
        .expect("publish");
    converged(&west, "west during the partition").await;
    converged(&east, "east during the partition").await;
    let juab = districts[0].did();
    let before = last.log_size(&juab);
    assert!(before < districts[0].log_size(&juab));

    // Heal, and stop Oconomowoc as soon as its catch-up on Juab's entries has stored a page
    // (usually before it has all of them; the figure is printed).
    block(false).await;
    let target = districts[0].log_size(&juab);
    eventually("Oconomowoc starts catching up", PATIENCE, || async {
        last.log_size(&juab) > before
    })
    .await;
    let caught = last.log_size(&juab);
    let spec = Spec::district("Oconomowoc Area School District", 24, &state.did(), &ctx)
        .bootstrap(vec![state.addr().await]);
    let path = last.stop().await;
    // More is written while it is down.
    districts[1]
        .node()
        .publish_definitions(numbered_definitions("Kettle Moraine later", 50))
        .expect("publish");
    let last = FedNode::start(spec, &path).await;
    assert!(
        last.log_size(&juab) >= caught.min(target),
        "what was stored before the stop is kept"
    );

    let all: Vec<&FedNode> = std::iter::once(&state)
        .chain(&districts)
        .chain([&last])
        .collect();
    converged(&all, "after healing and the restart").await;
    for n in &all {
        eventually(
            &format!("node {} finds both sides' records", n.seed),
            PATIENCE,
            || async {
                n.federated_names("Juab split 2099").await.len() == 1
                    && n.federated_names("Lake split 299").await.len() == 1
                    && n.federated_names("Kettle Moraine later 49").await.len() == 1
            },
        )
        .await;
    }
    println!(
        "five nodes, partition healed, a restart mid catch-up ({caught} of {target} entries held at the stop): converged"
    );
    last.stop().await;
    for n in districts {
        n.stop().await;
    }
    state.stop().await;
}
