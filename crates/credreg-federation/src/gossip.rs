//! Gossip in order: each message judged by the node and its verdict reported before the next
//! is read; what a verdict asks for next (catch-up, offences); this node's own announcements.

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

/// Follows up an outcome: gossip new evidence, fetch what is missing, re-compare after a
/// trust change.
pub(crate) fn after(inner: &Arc<Inner>, outcome: GossipOutcome, source: Option<PeerId>) {
    if let Some(r) = outcome.refusal {
        inner.metrics.refuse(r);
    }
    inner
        .metrics
        .entries_replicated
        .fetch_add(outcome.stored, Ordering::Relaxed);
    if let Some(evidence) = outcome.evidence {
        inner.metrics.equivocations.fetch_add(1, Ordering::Relaxed);
        tracing::warn!("{}", outcome.note);
        let net = inner.net.clone();
        tokio::spawn(async move {
            if let Err(e) = net.publish(Topic::Checkpoints, evidence).await {
                tracing::debug!("evidence not gossiped: {e}");
            }
        });
    }
    if let Some(target) = outcome.fetch {
        want(inner, target, source);
    }
    if outcome.trust_changed && !inner.resync_pending.swap(true, Ordering::AcqRel) {
        // Newly trusted issuers may already be held by peers: compare with every peer, once
        // for a burst of membership changes (a catalog of memberships arrives page by page,
        // and one round per change made a storm of requests).
        let inner = inner.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(250)).await;
            inner.resync_pending.store(false, Ordering::Release);
            let peers: Vec<PeerId> = lock(&inner.connected).iter().copied().collect();
            for p in peers {
                tokio::spawn(anti_entropy(inner.clone(), p));
            }
        });
    }
}

pub(crate) fn want(inner: &Arc<Inner>, target: Target, source: Option<PeerId>) {
    let issuer = target.issuer().to_owned();
    {
        let mut targets = lock(&inner.targets);
        let entry = targets
            .entry(issuer.clone())
            .or_insert_with(|| (target.clone(), Vec::new()));
        if target.size() > entry.0.size() {
            entry.0 = target;
        }
        if let Some(p) = source {
            if !entry.1.contains(&p) {
                entry.1.insert(0, p);
            }
        }
    }
    if lock(&inner.syncing).insert(issuer.clone()) {
        tokio::spawn(catch_up(inner.clone(), issuer));
    }
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
