//! A peer that floods: thousands of junk gossip messages and hundreds of sync requests at
//! once. The node cuts it off after a few offences, serves at most 64 streams per connection,
//! keeps serving HTTP, and honest peers keep converging; its memory growth is measured (this
//! file holds one test, so the process's memory is the federation's alone) and printed.

use credreg_tests::fed::{
    converged, cpu_secs, eventually, four_node_federation as federation, refused, rss_kib, seen_as,
    Rogue, PATIENCE,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_peer_is_cut_off_and_the_node_stays_within_bounds() {
    let ctx = credreg_proof::ContextStore::with_builtins();
    let dir = tempfile::tempdir().expect("tempdir");
    let (state, districts) = federation(dir.path(), &ctx).await;
    let [km, juab, _lake] = &districts[..] else {
        unreachable!()
    };
    converged(&[&state, km, juab], "before the flood").await;
    let before = rss_kib();
    let cpu_before = cpu_secs();
    let episode = std::time::Instant::now();
    let rogue = Rogue::join(67, km).await;
    // Once the rogue is connected (its first junk message is accepted for sending): 300 sync
    // requests at once (the node serves at most 64 streams per connection).
    rogue.publish(b"first junk".to_vec()).await;
    let km_peer = credreg_tests::fed::test_net_config(km.seed, Vec::new())
        .key
        .peer_id();
    let requests: Vec<_> = (0..300)
        .map(|_| {
            let net = rogue.net.clone();
            tokio::spawn(async move {
                net.request(km_peer, credreg_net::SyncRequest::Summaries)
                    .await
            })
        })
        .collect();
    let mut answered = 0;
    for r in requests {
        if matches!(r.await, Ok(Ok(_))) {
            answered += 1;
        }
    }
    // Then the flood: 3,000 distinct junk messages, as fast as the rogue's own node takes them.
    let started = std::time::Instant::now();
    let mut sent = 1;
    for i in 0..3_000 {
        if rogue
            .net
            .publish(
                credreg_net::Topic::Records,
                format!("junk {i} {}", "x".repeat(i % 500)).into_bytes(),
            )
            .await
            .is_ok()
        {
            sent += 1;
        }
    }
    eventually(
        "the flooding peer is blocked and disconnected",
        PATIENCE,
        || async {
            let (blocked, connected, _) = seen_as(km, &rogue).await;
            blocked && !connected
        },
    )
    .await;
    let judged = refused(km, "malformed").await;
    let grown_mib = rss_kib().saturating_sub(before) as f64 / 1024.0;
    let cpu = cpu_secs() - cpu_before;
    let wall = episode.elapsed().as_secs_f64();
    // The node kept serving HTTP, and honest peers kept converging.
    let (status, _) = (km.http.get("/healthz").await.status, ());
    assert_eq!(status, axum::http::StatusCode::OK);
    juab.node()
        .publish_definitions(credreg_tests::fed::numbered_definitions(
            "After the flood",
            20,
        ))
        .expect("publish");
    let honest = std::time::Instant::now();
    converged(&[&state, km, juab], "after the flood").await;
    println!(
        "flood: {sent} junk messages sent, {judged} judged malformed before the peer was cut off, {answered}/300 sync requests answered; process RSS grew {grown_mib:.1} MiB and used {cpu:.2} CPU s over the {wall:.2} s from the rogue's arrival to its cut-off ({:.2} cores; every node and the rogue included); honest peers converged {} ms later; flood lasted {} ms",
        cpu / wall.max(0.001),
        honest.elapsed().as_millis(),
        started.elapsed().as_millis()
    );
    assert!(
        judged <= 50,
        "a flood is cut off after a few offences, not judged whole: {judged}"
    );
    // Junk is refused before anything expensive (no signature check, no store), and the
    // rogue is cut off after a few offences: the episode, 300 sync requests and the rogue's
    // own sending included, stays within a few CPU seconds.
    assert!(cpu < 10.0, "the flood cost {cpu:.2} CPU s");
    assert!(
        grown_mib < 128.0,
        "memory stays bounded: +{grown_mib:.1} MiB"
    );

    rogue.net.shutdown().await;
    for n in districts {
        n.stop().await;
    }
    state.stop().await;
}
