//! Peers whose pages never end: one serves a long log an entry per page (a catch-up that would
//! take a round trip per entry), another never answers. The node blames the first and cuts
//! it off, gives up on the second after the sync timeout and asks it last from then on, keeps
//! serving HTTP, and catches up from honest peers once it can reach them. CPU and memory are
//! measured over the whole episode (this file holds one test, so the process is the
//! federation's alone) and printed.

use credreg_net::{PeerId, SyncRequest, SyncResponse, SyncService};
use credreg_node::Node;
use credreg_tests::fed::{
    converged, cpu_secs, eventually, four_node_federation as federation, numbered_definitions,
    rss_kib, seen_as, Rogue, PATIENCE,
};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Serves an honest node's real summaries and entries, but at most one entry per page (each
/// with its correct proof): every page checks out, and an N-entry log takes N round trips.
struct OneEntryPerPage {
    origin: Arc<Node>,
    pages: AtomicU64,
}

impl SyncService for OneEntryPerPage {
    fn serve(&self, _: PeerId, request: SyncRequest) -> SyncResponse {
        match request {
            SyncRequest::Entries {
                issuer,
                from,
                prove_to,
                ..
            } => {
                self.pages.fetch_add(1, Ordering::Relaxed);
                self.origin.serve_sync(SyncRequest::Entries {
                    issuer,
                    from,
                    to: from + 1,
                    prove_to,
                })
            }
            other => self.origin.serve_sync(other),
        }
    }
}

/// Serves an honest node's summaries, so it is asked for entries, and then never answers an
/// entries request (it holds each until released, at most a minute).
struct NeverAnswers {
    origin: Arc<Node>,
    asked: AtomicU64,
    released: Arc<(Mutex<bool>, Condvar)>,
}

impl SyncService for NeverAnswers {
    fn serve(&self, _: PeerId, request: SyncRequest) -> SyncResponse {
        if matches!(request, SyncRequest::Entries { .. }) {
            self.asked.fetch_add(1, Ordering::Relaxed);
            let (lock, wake) = &*self.released;
            let mut released = lock.lock().expect("lock");
            let until = Instant::now() + Duration::from_secs(60);
            while !*released && Instant::now() < until {
                released = wake
                    .wait_timeout(released, Duration::from_secs(1))
                    .expect("wait")
                    .0;
            }
        }
        self.origin.serve_sync(request)
    }
}

/// Releases the stalled answers when dropped, so the runtime (which waits for its blocking
/// threads) can shut down even if the test fails.
struct Release(Arc<(Mutex<bool>, Condvar)>);

impl Drop for Release {
    fn drop(&mut self) {
        *self.0 .0.lock().expect("lock") = true;
        self.0 .1.notify_all();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peers_whose_pages_never_end_do_not_hold_up_catch_up() {
    let ctx = credreg_proof::ContextStore::with_builtins();
    let dir = tempfile::tempdir().expect("tempdir");
    let (state, districts) = federation(dir.path(), &ctx).await;
    let [km, juab, lake] = &districts[..] else {
        unreachable!()
    };
    converged(&[&state, km, juab, lake], "before the backlog").await;
    // Juab is cut off from every honest node while Kettle Moraine publishes a backlog of
    // 1,100 entries (more than a page): to catch up, Juab must page through it.
    juab.set_blocked(&[&state, km, lake], true).await;
    km.node()
        .publish_definitions(numbered_definitions("Kettle Moraine backlog", 1_100))
        .expect("publish");
    let km_did = km.did();
    let target = km.log_size(&km_did);
    // The other honest nodes take the backlog first, so what is measured below is Juab's and
    // the rogues' work.
    eventually(
        "the state and Lake County hold the backlog",
        PATIENCE,
        || async { state.log_size(&km_did) >= target && lake.log_size(&km_did) >= target },
    )
    .await;
    let before = juab.log_size(&km_did);
    let rss_before = rss_kib();
    let cpu_before = cpu_secs();
    let episode = Instant::now();

    // 1. An entry per page: blamed on every attempt, blocked and disconnected.
    let stingy = Arc::new(OneEntryPerPage {
        origin: km.node().clone(),
        pages: AtomicU64::new(0),
    });
    let rogue = Rogue::join_serving(68, juab, stingy.clone()).await;
    eventually(
        "the one-entry-per-page peer is blocked",
        PATIENCE,
        || async {
            let (blocked, connected, _) = seen_as(juab, &rogue).await;
            blocked && !connected
        },
    )
    .await;
    let (_, _, offences) = seen_as(juab, &rogue).await;
    let stingy_cpu = cpu_secs() - cpu_before;
    let stingy_pages = stingy.pages.load(Ordering::Relaxed);
    let cut_off = episode.elapsed();
    assert_eq!(
        juab.log_size(&km_did),
        before,
        "nothing of a page refused as cut short is stored"
    );
    assert!(
        stingy_pages <= 2 * u64::from(credreg_net::BAN_OFFENCES),
        "a page cut short is refused at once, not paged through: {stingy_pages} pages asked"
    );
    assert_eq!(
        juab.http.get("/healthz").await.status,
        axum::http::StatusCode::OK
    );

    // 2. Never answers: given up on after the sync timeout (not an offence: an overloaded
    // honest peer looks the same), then asked last.
    let released = Arc::new((Mutex::new(false), Condvar::new()));
    let _release = Release(released.clone());
    let silent = Arc::new(NeverAnswers {
        origin: km.node().clone(),
        asked: AtomicU64::new(0),
        released,
    });
    let staller = Rogue::join_serving(69, juab, silent.clone()).await;
    eventually("the silent peer is asked for entries", PATIENCE, || async {
        silent.asked.load(Ordering::Relaxed) > 0
    })
    .await;
    let silent_cpu = cpu_secs() - cpu_before - stingy_cpu;
    let healing = Instant::now();
    juab.set_blocked(&[&state, km, lake], false).await;
    eventually("Juab catches up from honest peers", PATIENCE, || async {
        juab.log_size(&km_did) >= target
    })
    .await;
    let healed = healing.elapsed();
    // More of the backlog arrives: the silent peer, now asked last, holds nothing up.
    km.node()
        .publish_definitions(numbered_definitions("Kettle Moraine later", 20))
        .expect("publish");
    converged(&[&state, km, juab, lake], "after the hostile pages").await;
    let asked = silent.asked.load(Ordering::Relaxed);
    let (blocked, _, _) = seen_as(juab, &staller).await;
    assert!(!blocked, "silence alone is no offence");
    assert!(
        asked <= 2,
        "a peer that timed out is asked last, not again first: asked {asked} times"
    );
    let grown_mib = rss_kib().saturating_sub(rss_before) as f64 / 1024.0;
    let wall = episode.elapsed().as_secs_f64();
    println!(
        "pages: the one-entry-per-page peer was blocked after {offences} offences and {stingy_pages} pages, {} ms after it joined, costing {stingy_cpu:.2} CPU s; the silent peer was asked {asked} time(s), costing {silent_cpu:.2} CPU s until it was first asked, and held nothing up beyond one sync timeout; Juab caught up on {} entries {} ms after it could reach honest peers; over the {wall:.2} s episode the process (four nodes and two rogues) grew {grown_mib:.1} MiB",
        cut_off.as_millis(),
        target - before,
        healed.as_millis()
    );
    // Refusing a page cut short costs a page's check, not a catch-up's.
    assert!(
        stingy_cpu < 10.0,
        "the one-entry-per-page peer cost {stingy_cpu:.2} CPU s"
    );
    assert!(
        grown_mib < 128.0,
        "memory stays bounded: +{grown_mib:.1} MiB"
    );

    // The rogues' services hold Kettle Moraine's node, which stops only once nothing does.
    drop(_release);
    drop(stingy);
    drop(silent);
    rogue.net.shutdown().await;
    staller.net.shutdown().await;
    for n in districts {
        n.stop().await;
    }
    state.stop().await;
}
