//! Catch-up to a verified checkpoint: pages from whichever peer has them, pipelined, and a
//! split view investigated before any peer is blamed.

use super::*;

pub(crate) enum Fault {
    /// The peer sent bad data.
    Bad(String),
    /// The peer could not help (offline, behind, timeout).
    Unavailable,
    /// Another sync stored entries meanwhile: start again from the replica's size.
    Moved,
}

pub(crate) async fn catch_up(inner: Arc<Inner>, issuer: String) {
    loop {
        let Some((target, sources)) = lock(&inner.targets).get(&issuer).cloned() else {
            break;
        };
        let size = inner.node.log_size(&issuer).unwrap_or(0);
        if size >= target.size() {
            let mut targets = lock(&inner.targets);
            if targets.get(&issuer).is_some_and(|(t, _)| t.size() <= size) {
                targets.remove(&issuer);
                drop(targets);
                lock(&inner.syncing).remove(&issuer);
                // A target may have arrived between the check and the removal.
                if lock(&inner.targets).contains_key(&issuer)
                    && lock(&inner.syncing).insert(issuer.clone())
                {
                    continue;
                }
                return;
            }
            continue;
        }
        let mut candidates = sources.clone();
        for p in lock(&inner.connected).iter() {
            if !candidates.contains(p) {
                candidates.push(*p);
            }
        }
        // A peer that lately could not serve (it timed out, or held nothing) is asked last:
        // one that never answers would otherwise cost every catch-up the request timeout.
        {
            let unhelpful = lock(&inner.unhelpful);
            candidates.sort_by_key(|p| unhelpful.contains(p));
        }
        let mut progressed = false;
        for peer in candidates {
            let fetched = fetch_from(&inner, peer, &target).await;
            if matches!(fetched, Err(Fault::Unavailable)) {
                let mut unhelpful = lock(&inner.unhelpful);
                // Bounded: peer ids cost a rogue nothing to make.
                if unhelpful.len() >= 1_024 {
                    unhelpful.clear();
                }
                unhelpful.insert(peer);
            } else {
                lock(&inner.unhelpful).remove(&peer);
            }
            match fetched {
                Ok(()) | Err(Fault::Moved) => {
                    progressed = true;
                    break;
                }
                Err(Fault::Bad(why)) => {
                    // Before blaming the peer: it may hold another log the issuer signed (a
                    // split view), which is the issuer's fault, not the relay's.
                    if let Some(outcome) = investigate(&inner, peer, &target).await {
                        tracing::warn!(%peer, "the issuer equivocated: {}", outcome.note);
                        inner.follow_up(outcome, peer);
                        lock(&inner.targets).remove(&issuer);
                        lock(&inner.syncing).remove(&issuer);
                        return;
                    }
                    tracing::warn!(%peer, "sync refused: {why}");
                    inner.metrics.refuse(Refusal::Forged);
                    inner.net.penalize(peer, why);
                }
                Err(Fault::Unavailable) => {}
            }
        }
        if !progressed {
            // Nobody could serve it now; anti-entropy will find it again.
            lock(&inner.targets).remove(&issuer);
            lock(&inner.syncing).remove(&issuer);
            return;
        }
    }
    lock(&inner.syncing).remove(&issuer);
}

/// Pages entries from `peer` until the replica reaches `target`, as a pipeline: while page
/// k is laid over the tree and stored, page k+1's records are already being verified and
/// page k+2 is in flight.
pub(crate) async fn fetch_from(
    inner: &Arc<Inner>,
    peer: PeerId,
    target: &Target,
) -> Result<(), Fault> {
    let issuer = target.issuer().to_owned();
    let n = target.size();
    let spawn_request = |from: u64| {
        let net = inner.net.clone();
        let r = SyncRequest::Entries {
            issuer: issuer.clone(),
            from,
            to: (from + MAX_PAGE_ENTRIES).min(n),
            prove_to: n,
        };
        tokio::spawn(async move { net.request(peer, r).await })
    };
    let mut from = inner.node.log_size(&issuer).unwrap_or(0);
    let mut next = (from < n).then(|| spawn_request(from));
    let mut storing: Option<tokio::task::JoinHandle<Result<GossipOutcome, ApplyError>>> = None;
    while let Some(pending) = next.take() {
        let response = match pending.await {
            Ok(Ok(r)) => r,
            _ => return Err(Fault::Unavailable),
        };
        let (entries, proof) = match response {
            SyncResponse::Entries { entries, proof } if !entries.is_empty() => (entries, proof),
            SyncResponse::Entries { .. } | SyncResponse::Error(_) => {
                return Err(Fault::Unavailable)
            }
            _ => {
                return Err(Fault::Bad(
                    "answered an entries request with something else".into(),
                ))
            }
        };
        let bytes: u64 = entries.iter().map(|e| e.len() as u64).sum();
        let asked = MAX_PAGE_ENTRIES.min(n - from);
        if credreg_wire::sync::page_cut_short(asked, entries.len(), bytes as usize) {
            return Err(Fault::Bad(format!(
                "served {} of {asked} entries in {bytes} bytes, far below the page limit",
                entries.len()
            )));
        }
        let end = from.saturating_add(entries.len() as u64);
        if end < n {
            next = Some(spawn_request(end));
        }
        inner.received(bytes as usize + 32 * proof.len());
        inner.metrics.pages_fetched.fetch_add(1, Ordering::Relaxed);
        inner
            .metrics
            .entry_bytes_fetched
            .fetch_add(bytes, Ordering::Relaxed);
        let node = inner.node.clone();
        let entries: Vec<Vec<u8>> = entries.into_iter().map(|e| e.into_vec()).collect();
        let who = issuer.clone();
        let checking = tokio::task::spawn_blocking(move || node.check_page(&who, entries, 1));
        if let Some(previous) = storing.take() {
            stored(inner, peer, previous.await)?;
        }
        let page = match checking.await {
            Ok(Ok(page)) => page,
            Ok(Err(ApplyError::Bad(why))) => return Err(Fault::Bad(why)),
            Ok(Err(ApplyError::Moved)) => return Err(Fault::Moved),
            _ => return Err(Fault::Unavailable),
        };
        let node = inner.node.clone();
        let t = target.clone();
        storing = Some(tokio::task::spawn_blocking(move || {
            node.store_page(&t, from, page, &proof)
        }));
        from = end;
    }
    if let Some(last) = storing.take() {
        stored(inner, peer, last.await)?;
    }
    Ok(())
}

/// Largest log fetched whole to judge a suspected fork.
pub(crate) const MAX_FORK_ENTRIES: u64 = 100_000;

/// Fetches the peer's whole copy of the target's log and asks the node whether it is a fork
/// the issuer signed. `Some` holds the evidence outcome.
pub(crate) async fn investigate(
    inner: &Arc<Inner>,
    peer: PeerId,
    target: &Target,
) -> Option<GossipOutcome> {
    let n = target.size();
    if n > MAX_FORK_ENTRIES {
        return None;
    }
    let mut entries: Vec<Vec<u8>> = Vec::new();
    while (entries.len() as u64) < n {
        let from = entries.len() as u64;
        let request = SyncRequest::Entries {
            issuer: target.issuer().to_owned(),
            from,
            to: (from + MAX_PAGE_ENTRIES).min(n),
            prove_to: n,
        };
        match inner.net.request(peer, request).await {
            Ok(SyncResponse::Entries { entries: page, .. }) if !page.is_empty() => {
                let bytes = page.iter().map(|e| e.len()).sum();
                let asked = MAX_PAGE_ENTRIES.min(n - from);
                if credreg_wire::sync::page_cut_short(asked, page.len(), bytes) {
                    // A copy served an entry at a time is not investigated: the peer is blamed.
                    return None;
                }
                inner.received(bytes);
                entries.extend(page.into_iter().map(|e| e.into_vec()));
            }
            _ => return None,
        }
    }
    let node = inner.node.clone();
    let t = target.clone();
    match on_blocking_pool(move || node.fork_evidence(&t, &entries)).await {
        Some(Ok(Some(outcome))) => Some(outcome),
        _ => None,
    }
}

/// Follows up a stored page; a replica that moved (another sync got there first) is not a
/// fault: the caller re-reads the replica's size.
pub(crate) fn stored(
    inner: &Arc<Inner>,
    peer: PeerId,
    result: Result<Result<GossipOutcome, ApplyError>, tokio::task::JoinError>,
) -> Result<(), Fault> {
    match result {
        Ok(Ok(outcome)) => {
            inner.follow_up(outcome, peer);
            Ok(())
        }
        Ok(Err(ApplyError::Bad(why))) => Err(Fault::Bad(why)),
        Ok(Err(ApplyError::Moved)) => Err(Fault::Moved),
        Ok(Err(ApplyError::Node(e))) => {
            tracing::error!("storing replicated entries failed: {e}");
            Err(Fault::Unavailable)
        }
        Err(_) => Err(Fault::Unavailable),
    }
}
