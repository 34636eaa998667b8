//! The sync protocol's messages (`/credreg/sync/1`, CBOR over libp2p request-response).
//!
//! Everything a peer serves is self-authenticating: checkpoints carry the issuer's signature,
//! entries are checked against a checkpoint's root (with a consistency proof per page), and
//! records are signed. So any peer holding a replica can serve it, and nothing is trusted
//! because of who sent it.

use serde::{Deserialize, Serialize};

/// Largest request accepted (requests are small: names and numbers).
pub const MAX_REQUEST_BYTES: u64 = 16 * 1024;
/// Largest response accepted (a page of entries with its proof).
pub const MAX_RESPONSE_BYTES: u64 = 8 * 1024 * 1024;
/// Most entries a peer asks for, or serves, in one page.
pub const MAX_PAGE_ENTRIES: u64 = 1024;
/// Most bytes of entries served in one page (a page ends early rather than exceed it).
pub const MAX_PAGE_BYTES: usize = 4 * 1024 * 1024;

/// Whether a page of `entries` entries and `bytes` bytes, answering a request for `asked`
/// entries, is shorter than the protocol allows. A server ends a page early only when the
/// next entry would take it past [`MAX_PAGE_BYTES`], and no entry is larger than
/// [`MAX_RECORD_BYTES`](crate::gossip::MAX_RECORD_BYTES); a shorter page is a peer making a
/// catch-up last forever (one entry per round trip over a long log).
pub fn page_cut_short(asked: u64, entries: usize, bytes: usize) -> bool {
    (entries as u64) < asked
        && bytes.saturating_add(crate::gossip::MAX_RECORD_BYTES) <= MAX_PAGE_BYTES
}

/// A 32-byte tree hash.
pub type Hash = [u8; 32];

/// What one peer asks another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncRequest {
    /// The newest signed checkpoint of every log the peer holds (anti-entropy).
    Summaries,
    /// Entries `from..to` of `issuer`'s log, with the consistency proof from size `to` to size
    /// `prove_to` (the checkpoint the asker is catching up to).
    Entries {
        /// Issuer DID.
        issuer: String,
        /// First entry.
        from: u64,
        /// One past the last entry.
        to: u64,
        /// The size of the checkpoint the proof must reach.
        prove_to: u64,
    },
    /// Consistency proof between two sizes of `issuer`'s log.
    Consistency {
        /// Issuer DID.
        issuer: String,
        /// Smaller size.
        old: u64,
        /// Larger size.
        new: u64,
    },
    /// Every equivocation evidence the peer holds.
    Evidence,
}

/// A peer's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncResponse {
    /// Signed checkpoints (their stored JSON bytes).
    Summaries(Vec<serde_bytes::ByteBuf>),
    /// A page of entries (exact record bytes), possibly shorter than asked, and the
    /// consistency proof from the page's end to the requested size.
    Entries {
        /// Exact entries, in log order from the requested `from`.
        entries: Vec<serde_bytes::ByteBuf>,
        /// Consistency proof from `from + entries.len()` to `prove_to`.
        proof: Vec<Hash>,
    },
    /// A consistency proof.
    Consistency(Vec<Hash>),
    /// Evidence documents (their stored JSON bytes).
    Evidence(Vec<serde_bytes::ByteBuf>),
    /// The peer cannot answer; one sentence why.
    Error(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_may_end_early_only_at_the_byte_limit() {
        // Whole pages, and the last page of a log, are never short.
        assert!(!page_cut_short(1024, 1024, 500_000));
        assert!(!page_cut_short(3, 3, 900));
        // Ended early because the next entry (up to 64 KiB) would pass 4 MiB: allowed.
        assert!(!page_cut_short(1024, 70, MAX_PAGE_BYTES - 1_000));
        // One small entry where 1,024 were asked: a peer stretching the catch-up.
        assert!(page_cut_short(1024, 1, 1_200));
        assert!(page_cut_short(
            1024,
            1023,
            MAX_PAGE_BYTES - crate::gossip::MAX_RECORD_BYTES
        ));
    }
}
