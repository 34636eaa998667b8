//! W3C Bitstring Status List: building this node's lists and reading anyone's.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde_json::{json, Value};
use std::io::{Read, Write};

/// Largest decompressed list accepted from outside (16 Mbit): bounds a gzip bomb.
const MAX_LIST_BYTES: u64 = 2 * 1024 * 1024;

/// `encodedList`: multibase base64url (no padding, prefix `u`) of the GZIP of the bits.
pub fn encode_list(bits: &[u8]) -> Result<String, std::io::Error> {
    let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bits)?;
    let compressed = gz.finish()?;
    Ok(format!("u{}", URL_SAFE_NO_PAD.encode(compressed)))
}

/// Decodes an `encodedList` (with or without the multibase `u`), refusing lists that inflate
/// beyond a bound.
pub fn decode_list(encoded: &str) -> Result<Vec<u8>, ListError> {
    let b64 = encoded.strip_prefix('u').unwrap_or(encoded);
    // Bitstring lists are multibase base64url (`u...`); StatusList2021 lists are plain
    // base64url, and some issuers wrote them in standard base64.
    let compressed = URL_SAFE_NO_PAD
        .decode(b64.trim_end_matches('='))
        .or_else(|_| base64::engine::general_purpose::STANDARD.decode(encoded))
        .map_err(|e| ListError::NotBase64(e.to_string()))?;
    let mut out = Vec::new();
    GzDecoder::new(compressed.as_slice())
        .take(MAX_LIST_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|e| ListError::NotGzip(e.to_string()))?;
    if out.len() as u64 > MAX_LIST_BYTES {
        return Err(ListError::TooLarge);
    }
    Ok(out)
}

/// Why an `encodedList` could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListError {
    /// Not base64url (after the optional multibase `u`).
    #[error("encodedList is not base64url: {0}")]
    NotBase64(String),
    /// Not GZIP.
    #[error("encodedList is not GZIP: {0}")]
    NotGzip(String),
    /// It inflates beyond the bound (a compression bomb, or not a status list).
    #[error("encodedList inflates beyond {MAX_LIST_BYTES} bytes")]
    TooLarge,
}

/// The unsigned `BitstringStatusListCredential` for `bits`.
pub fn status_list_credential(
    url: &str,
    issuer: &str,
    now: &str,
    bits: &[u8],
) -> Result<Value, std::io::Error> {
    Ok(json!({
        "@context": [credreg_model::VC_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": now,
        "credentialSubject": {
            "id": format!("{url}#list"),
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode_list(bits)?,
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_bomb_guard() {
        let mut bits = vec![0u8; 16_384];
        bits[2] = 0b0001_0000; // index 19
        let enc = encode_list(&bits).expect("encode");
        assert!(enc.starts_with('u'));
        let dec = decode_list(&enc).expect("decode");
        assert_eq!(dec, bits);
        assert!(credreg_store::bit_is_set(&dec, 19));
        let bomb = encode_list(&vec![0u8; 3 * 1024 * 1024]).expect("encode");
        assert_eq!(decode_list(&bomb), Err(ListError::TooLarge));
        assert!(decode_list("u!!").is_err());
    }
}
