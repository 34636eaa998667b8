//! Multibase base58btc (`z...`), the encoding of Multikeys and proof values, and the errors
//! of reading keys. Re-exported by `keys` (where callers have always found them).

/// Encodes bytes as multibase base58btc (`z...`).
pub fn multibase_encode(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 138 / 100 + 2);
    s.push('z');
    s.push_str(&bs58::encode(bytes).into_string());
    s
}

/// Why a key (or a multibase string) could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not multibase base58btc (the EdDSA suites mandate it).
    #[error("`{0}` is not multibase base58btc (must start with `z`)")]
    NotBase58btc(String),
    /// Multibase, but not valid base58.
    #[error("invalid base58btc: {0}")]
    Base58(String),
    /// A public Multikey of another algorithm.
    #[error("not an Ed25519 multikey (multicodec 0xed01 expected)")]
    NotEd25519Public,
    /// A public Multikey of an algorithm this node does not check.
    #[error("not an Ed25519, P-256 or P-384 multikey")]
    UnknownMulticodec,
    /// A JSON Web Key that cannot be used.
    #[error("unusable JSON Web Key: {0}")]
    Jwk(String),
    /// A secret Multikey of another algorithm.
    #[error("not an Ed25519 secret multikey (multicodec 0x8026 expected)")]
    NotEd25519Secret,
    /// A public key of the wrong length.
    #[error("Ed25519 key must be 32 bytes, found {0}")]
    PublicLength(usize),
    /// A secret key of the wrong length.
    #[error("Ed25519 secret must be 32 or 64 bytes, found {0}")]
    SecretLength(usize),
    /// 32 bytes that are not a point on the curve.
    #[error("not a valid Ed25519 point")]
    NotAPoint,
    /// A 64-byte secret whose public half is not its seed's.
    #[error("secret key's embedded public key does not match its seed")]
    MismatchedPublic,
}

/// Decodes a multibase base58btc string (`z...`). Other bases are rejected: Data Integrity
/// EdDSA suites mandate base58btc.
pub fn multibase_decode(s: &str) -> Result<Vec<u8>, KeyError> {
    let rest = s
        .strip_prefix('z')
        .ok_or_else(|| KeyError::NotBase58btc(short(s).to_owned()))?;
    bs58::decode(rest)
        .into_vec()
        .map_err(|e| KeyError::Base58(e.to_string()))
}

fn short(s: &str) -> &str {
    match s.char_indices().nth(24) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}
