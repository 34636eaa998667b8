//! What an outcome asks for next: evidence gossiped, missing entries fetched (a catch-up),
//! every peer compared again after a trust change. Gossip verdicts come here directly;
//! catch-ups and anti-entropy rounds send theirs through the run loop (`Inner::follow_up`),
//! so every follow-up is taken in one place and in order.

use super::*;

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
