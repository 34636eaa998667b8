//! Anti-entropy: checkpoint summaries and evidence compared with a peer, so missed gossip,
//! restarts and partitions heal without an operator.

use super::*;

/// Compares summaries (and evidence) with one peer.
pub(crate) async fn anti_entropy(inner: Arc<Inner>, peer: PeerId) {
    let Ok(SyncResponse::Summaries(list)) = inner.net.request(peer, SyncRequest::Summaries).await
    else {
        return;
    };
    inner.received(list.iter().map(|b| b.len()).sum());
    let mut replicates = Vec::new();
    for bytes in list {
        let node = inner.node.clone();
        let parsed = serde_json::from_slice::<credreg_node::ledger::CheckpointJson>(&bytes);
        let Ok(cp) = parsed else {
            inner.metrics.refuse(Refusal::Malformed);
            continue;
        };
        replicates.push(Replicated {
            issuer: cp.issuer.clone(),
            size: cp.size,
        });
        let Some(outcome) = on_blocking_pool(move || node.on_checkpoint(&cp)).await else {
            continue;
        };
        if outcome.refusal == Some(Refusal::Forged) {
            inner.net.penalize(peer, outcome.note.clone());
        }
        // A peer may hold logs this node does not trust: that is not an offence here.
        let outcome = GossipOutcome {
            refusal: outcome.refusal.filter(|r| *r != Refusal::Untrusted),
            ..outcome
        };
        inner.follow_up(outcome, peer);
    }
    if let Ok(SyncResponse::Evidence(list)) = inner.net.request(peer, SyncRequest::Evidence).await {
        inner.received(list.iter().map(|b| b.len()).sum());
        for bytes in list {
            let node = inner.node.clone();
            if let Some(outcome) = on_blocking_pool(move || node.on_gossip(&bytes)).await {
                inner.follow_up(outcome, peer);
            }
        }
    }
    lock(&inner.peer_sync).insert(
        peer,
        PeerSync {
            last_sync: Some(inner.node.now_rfc3339()),
            replicates,
        },
    );
}
