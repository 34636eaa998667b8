//! What this node answers: its own announcements and the sync requests of any peer.

use super::*;

impl Node {
    /// The announcement for this node's newest checkpoint, carrying the entries since
    /// `announced` when they are few (`None` if there is no checkpoint).
    pub fn announcement(&self, announced: u64) -> Result<Option<(Vec<u8>, bool)>, NodeError> {
        let Some(cp) = self.checkpoint(self.did())? else {
            return Ok(None);
        };
        let mut a = Announcement {
            checkpoint: cp.clone(),
            from: None,
            entries: Vec::new(),
        };
        if announced < cp.size && cp.size - announced <= ANNOUNCE_MAX_ENTRIES {
            let entries = self.store.log_entries(self.did(), announced, cp.size)?;
            let texts: Result<Vec<String>, _> = entries
                .into_iter()
                .map(|(_, b)| String::from_utf8(b))
                .collect();
            if let Ok(texts) = texts {
                let total: usize = texts.iter().map(String::len).sum();
                if total <= ANNOUNCE_MAX_BYTES && texts.iter().all(|t| t.len() <= MAX_RECORD_BYTES)
                {
                    a.from = Some(announced);
                    a.entries = texts;
                }
            }
        }
        let with_entries = !a.entries.is_empty();
        let bytes = serde_json::to_vec(&GossipMessage::Announce(a)).map_err(internal)?;
        Ok(Some((bytes, with_entries)))
    }

    /// Answers a peer's sync request.
    pub fn serve_sync(&self, request: SyncRequest) -> SyncResponse {
        match self.try_serve(request) {
            Ok(r) => r,
            Err(e) => SyncResponse::Error(e.to_string()),
        }
    }

    pub(super) fn try_serve(&self, request: SyncRequest) -> Result<SyncResponse, NodeError> {
        Ok(match request {
            SyncRequest::Summaries => {
                let mut out = Vec::new();
                for item in self.store.checkpoints() {
                    let (_, bytes) = item?;
                    out.push(serde_bytes::ByteBuf::from(bytes));
                }
                SyncResponse::Summaries(out)
            }
            SyncRequest::Entries {
                issuer,
                from,
                to,
                prove_to,
            } => {
                let size = self.store.log_size(&issuer)?;
                if prove_to > size || from >= prove_to || to <= from {
                    return Ok(SyncResponse::Error(format!(
                        "this node holds {size} entries of {issuer}; cannot serve {from}..{to} proven to {prove_to}"
                    )));
                }
                let to = to.min(prove_to).min(from + wire::MAX_PAGE_ENTRIES);
                let mut entries = Vec::new();
                let mut bytes = 0;
                for (_, e) in self.store.log_entries(&issuer, from, to)? {
                    bytes += e.len();
                    if bytes > wire::MAX_PAGE_BYTES && !entries.is_empty() {
                        break;
                    }
                    entries.push(serde_bytes::ByteBuf::from(e));
                }
                let end = from + entries.len() as u64;
                let proof = if end < prove_to {
                    credreg_log::consistency_proof(&self.store.log_nodes(&issuer), end, prove_to)?
                        .unwrap_or_default()
                } else {
                    Vec::new()
                };
                SyncResponse::Entries { entries, proof }
            }
            SyncRequest::Consistency { issuer, old, new } => {
                let size = self.store.log_size(&issuer)?;
                if new > size || old > new {
                    return Ok(SyncResponse::Error(format!(
                        "this node holds {size} entries of {issuer}"
                    )));
                }
                SyncResponse::Consistency(
                    credreg_log::consistency_proof(&self.store.log_nodes(&issuer), old, new)?
                        .unwrap_or_default(),
                )
            }
            SyncRequest::Evidence => SyncResponse::Evidence(
                self.store
                    .all_evidence()?
                    .into_iter()
                    .map(serde_bytes::ByteBuf::from)
                    .collect(),
            ),
        })
    }
}
