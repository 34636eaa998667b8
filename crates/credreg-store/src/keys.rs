//! Every key codec of the trees: how issuers, positions, award ids and record kinds become
//! sled keys (their layout is in `docs/storage.md`).

use super::*;

/// 16 bytes naming an issuer's log in keys: blake3 of the issuer id, truncated.
pub(crate) fn log_prefix(issuer: &str) -> [u8; 16] {
    let mut p = [0u8; 16];
    p.copy_from_slice(&blake3::hash(issuer.as_bytes()).as_bytes()[..16]);
    p
}

/// A stored record's exact bytes (after its 8-byte log index).
pub(crate) fn record_bytes(value: &[u8]) -> Result<&[u8], StoreError> {
    value
        .get(8..)
        .ok_or_else(|| corrupt(schema::RECORDS, "value shorter than its log index"))
}

pub(crate) const CHECKPOINT_PREFIX: &[u8] = b"checkpoint/";

pub(crate) fn checkpoint_key(issuer: &str) -> Vec<u8> {
    let mut k = CHECKPOINT_PREFIX.to_vec();
    k.extend_from_slice(&log_prefix(issuer));
    k
}

/// `r<award id>` for a receipt, `x<award id>` for a revocation; `None` for other kinds. The
/// award id is read from the record's body (`body.award_id`).
pub(crate) fn award_record_key(record: &NewRecord) -> Option<[u8; 17]> {
    let tag = match record.kind {
        RecordKind::AwardReceipt => b'r',
        RecordKind::Revocation => b'x',
        _ => return None,
    };
    #[derive(serde::Deserialize)]
    struct About {
        body: AwardId,
    }
    #[derive(serde::Deserialize)]
    struct AwardId {
        award_id: String,
    }
    let about: About = serde_json::from_slice(&record.bytes).ok()?;
    Some(award_key(tag, &about.body.award_id))
}

/// The key of an award's receipt or revocation (`award-records-2` for this node's own awards,
/// the in-memory map for replicas): the tag (`r` receipt, `x` revocation) and 16 bytes of
/// blake3 of the award id. Fixed-size, so the replica map holds no strings; lookups compare
/// the record's own award id, so a hash collision cannot return another award's record.
pub(crate) fn award_key(tag: u8, award_id: &str) -> [u8; 17] {
    let mut k = [0u8; 17];
    k[0] = tag;
    k[1..].copy_from_slice(&blake3::hash(award_id.as_bytes()).as_bytes()[..16]);
    k
}

pub(crate) fn node_key(prefix: &[u8; 16], level: u32, index: u64) -> [u8; 25] {
    let mut k = [0u8; 25];
    k[..16].copy_from_slice(prefix);
    k[16] = level as u8;
    k[17..].copy_from_slice(&index.to_be_bytes());
    k
}

pub(crate) fn entry_key(prefix: &[u8; 16], index: u64) -> [u8; 24] {
    let mut k = [0u8; 24];
    k[..16].copy_from_slice(prefix);
    k[16..].copy_from_slice(&index.to_be_bytes());
    k
}

pub(crate) fn kind_tag(kind: RecordKind) -> u8 {
    match kind {
        RecordKind::IssuerProfile => 1,
        RecordKind::CredentialDef => 2,
        RecordKind::Stack => 3,
        RecordKind::AwardReceipt => 4,
        RecordKind::Revocation => 5,
        RecordKind::Membership => 6,
        RecordKind::QualityStandard => 7,
        RecordKind::Endorsement => 8,
        RecordKind::Recognition => 9,
        RecordKind::ReviewDecision => 10,
        RecordKind::ReviewStatistics => 11,
    }
}

pub(crate) fn index_key(kind: RecordKind, issuer: &str, seq: u64) -> Vec<u8> {
    // kind | seq: records of a kind come back in the order they were stored. The issuer is
    // appended only to keep keys unique if two nodes' records ever share a sequence number.
    let mut k = Vec::with_capacity(1 + 8 + issuer.len());
    k.push(kind_tag(kind));
    k.extend_from_slice(&seq.to_be_bytes());
    k.extend_from_slice(issuer.as_bytes());
    k
}

pub(crate) fn decode_id(id: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(id, &mut out).ok()?;
    Some(out)
}

pub(crate) fn decode_u64(v: &[u8]) -> Result<u64, StoreError> {
    let arr: [u8; 8] = v.try_into().map_err(|_| StoreError::Corrupt {
        tree: schema::META,
        detail: "counter is not 8 bytes".into(),
    })?;
    Ok(u64::from_be_bytes(arr))
}

/// A token's hash and the description stored for it.
pub type StoredTokenEntry = ([u8; 32], Vec<u8>);
