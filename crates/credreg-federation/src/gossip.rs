//! Gossip in order: each message judged by the node and its verdict reported before the next
//! is read, offences counted; this node's own announcements.

use super::*;

pub(crate) async fn on_gossip(inner: &Arc<Inner>, message: MessageRef, data: Vec<u8>) {
    inner.received(data.len());
    let node = inner.node.clone();
    let source = message.source();
    let Some(outcome) = on_blocking_pool(move || node.on_gossip(&data)).await else {
        inner.net.report(message, Validation::Ignore);
        return;
    };
    let verdict = validation(outcome.verdict());
    inner.net.report(message, verdict);
    match verdict {
        Validation::Accept => inner
            .metrics
            .gossip_accepted
            .fetch_add(1, Ordering::Relaxed),
        Validation::Ignore => inner.metrics.gossip_ignored.fetch_add(1, Ordering::Relaxed),
        Validation::Reject => 0,
    };
    if let Some(r) = outcome.refusal {
        tracing::info!(%source, reason = r.as_str(), "gossip refused: {}", outcome.note);
        if r != Refusal::Untrusted {
            inner.net.penalize(source, outcome.note.clone());
        }
    }
    after(inner, outcome, Some(source));
}

pub(crate) async fn announce_own(inner: &Arc<Inner>, announced: &mut u64) {
    let node = inner.node.clone();
    let from = *announced;
    let Some(Ok(Some((bytes, with_entries)))) =
        on_blocking_pool(move || node.announcement(from)).await
    else {
        return;
    };
    let topic = if with_entries {
        Topic::Records
    } else {
        Topic::Checkpoints
    };
    if let Err(e) = inner.net.publish(topic, bytes).await {
        // No peers yet: they will compare summaries when they connect.
        tracing::debug!("checkpoint not gossiped: {e}");
    }
    if let Ok(Some(cp)) = inner.node.checkpoint(inner.node.did()) {
        *announced = cp.size;
    }
}
