//! Public keys of the curves other issuers sign with: Ed25519 (our own and most Open Badges
//! 3.0 issuers), NIST P-256 and P-384 (`ecdsa-rdfc-2019`, ES256 JWTs), each readable from a
//! Multikey (`z6Mk...`, `zDn...`, `z82...`) or a JSON Web Key.
//!
//! RSA appears only in JWTs (RS256, read from a JWK); no Data Integrity suite uses it.

use crate::multibase::{multibase_decode, KeyError};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};

/// Multicodec prefix (varint) of a P-256 public key, compressed (0x1200).
const P256_PUB: [u8; 2] = [0x80, 0x24];
/// Multicodec prefix (varint) of a P-384 public key, compressed (0x1201).
const P384_PUB: [u8; 2] = [0x81, 0x24];
/// Multicodec prefix (varint) of an Ed25519 public key (0xed).
const ED25519_PUB: [u8; 2] = [0xed, 0x01];

/// A public key a proof or a JWT may be checked with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// Ed25519.
    Ed25519(ed25519_dalek::VerifyingKey),
    /// NIST P-256 (secp256r1).
    P256(p256::ecdsa::VerifyingKey),
    /// NIST P-384 (secp384r1).
    P384(p384::ecdsa::VerifyingKey),
    /// RSA (JWTs only): big-endian modulus and exponent.
    Rsa {
        /// Modulus `n`.
        n: Vec<u8>,
        /// Public exponent `e`.
        e: Vec<u8>,
    },
}

impl PublicKey {
    /// The curve, as reports name it.
    pub fn curve(&self) -> &'static str {
        match self {
            PublicKey::Ed25519(_) => "Ed25519",
            PublicKey::P256(_) => "P-256",
            PublicKey::P384(_) => "P-384",
            PublicKey::Rsa { .. } => "RSA",
        }
    }

    /// The Ed25519 key, if this is one.
    pub fn as_ed25519(&self) -> Option<&ed25519_dalek::VerifyingKey> {
        match self {
            PublicKey::Ed25519(k) => Some(k),
            _ => None,
        }
    }

    /// Checks `signature` over `message`. Ed25519 is checked strictly (no small-order keys,
    /// canonical `S`); ECDSA takes the fixed-size `r || s` form the suites and JOSE use and
    /// hashes `message` with the curve's own hash (SHA-256 for P-256, SHA-384 for P-384).
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match self {
            PublicKey::Ed25519(k) => {
                let Ok(arr) = <[u8; 64]>::try_from(signature) else {
                    return false;
                };
                k.verify_strict(message, &ed25519_dalek::Signature::from_bytes(&arr))
                    .is_ok()
            }
            // ring's P-256 and P-384 verification is several times faster than RustCrypto's
            // (measured in `tests/benches/foreign.rs`); RustCrypto still reads the keys, since
            // ring cannot decompress the points `did:key` carries.
            PublicKey::P256(k) => ring::signature::UnparsedPublicKey::new(
                &ring::signature::ECDSA_P256_SHA256_FIXED,
                k.to_encoded_point(false).as_bytes(),
            )
            .verify(message, signature)
            .is_ok(),
            PublicKey::P384(k) => ring::signature::UnparsedPublicKey::new(
                &ring::signature::ECDSA_P384_SHA384_FIXED,
                k.to_encoded_point(false).as_bytes(),
            )
            .verify(message, signature)
            .is_ok(),
            // RS256: PKCS#1 v1.5 with SHA-256, keys of 2048 bits or more.
            PublicKey::Rsa { n, e } => ring::signature::RsaPublicKeyComponents { n, e }
                .verify(
                    &ring::signature::RSA_PKCS1_2048_8192_SHA256,
                    message,
                    signature,
                )
                .is_ok(),
        }
    }

    /// Reads a public Multikey (`z6Mk...` Ed25519, `zDn...` P-256, `z82...` P-384).
    pub fn from_multikey(multikey: &str) -> Result<PublicKey, KeyError> {
        Self::from_multikey_bytes(&multibase_decode(multikey)?)
    }

    /// Reads a public Multikey's bytes (multicodec header, then the key).
    pub fn from_multikey_bytes(bytes: &[u8]) -> Result<PublicKey, KeyError> {
        if let Some(raw) = bytes.strip_prefix(&ED25519_PUB[..]) {
            return ed25519_from_bytes(raw).map(PublicKey::Ed25519);
        }
        if let Some(raw) = bytes.strip_prefix(&P256_PUB[..]) {
            return p256::ecdsa::VerifyingKey::from_sec1_bytes(raw)
                .map(PublicKey::P256)
                .map_err(|_| KeyError::NotAPoint);
        }
        if let Some(raw) = bytes.strip_prefix(&P384_PUB[..]) {
            return p384::ecdsa::VerifyingKey::from_sec1_bytes(raw)
                .map(PublicKey::P384)
                .map_err(|_| KeyError::NotAPoint);
        }
        Err(KeyError::UnknownMulticodec)
    }

    /// The key as a Multikey (compressed points for the NIST curves); `None` for RSA, which
    /// this node reads only as a JWK.
    pub fn to_multikey(&self) -> Option<String> {
        let (prefix, raw): ([u8; 2], Vec<u8>) = match self {
            PublicKey::Ed25519(k) => (ED25519_PUB, k.as_bytes().to_vec()),
            PublicKey::P256(k) => (P256_PUB, k.to_encoded_point(true).as_bytes().to_vec()),
            PublicKey::P384(k) => (P384_PUB, k.to_encoded_point(true).as_bytes().to_vec()),
            PublicKey::Rsa { .. } => return None,
        };
        let mut bytes = prefix.to_vec();
        bytes.extend_from_slice(&raw);
        Some(crate::multibase::multibase_encode(&bytes))
    }

    /// Reads a public JSON Web Key (RFC 7517): `OKP`/`Ed25519`, `EC`/`P-256`/`P-384` or `RSA`
    /// (2048 bits or more). A JWK carrying a private part (`d`) is refused: it was published by mistake, and a verifier
    /// should not trust whoever did that with a badge.
    pub fn from_jwk(jwk: &Value) -> Result<PublicKey, KeyError> {
        let field = |name: &str| jwk.get(name).and_then(Value::as_str);
        if jwk.get("d").is_some() {
            return Err(KeyError::Jwk("it carries a private key (`d`)".into()));
        }
        let b64 = |name: &str| -> Result<Vec<u8>, KeyError> {
            let text = field(name).ok_or_else(|| KeyError::Jwk(format!("no `{name}`")))?;
            URL_SAFE_NO_PAD
                .decode(text)
                .map_err(|_| KeyError::Jwk(format!("`{name}` is not base64url")))
        };
        match (field("kty"), field("crv")) {
            (Some("OKP"), Some("Ed25519")) => {
                ed25519_from_bytes(&b64("x")?).map(PublicKey::Ed25519)
            }
            (Some("EC"), Some(crv @ ("P-256" | "P-384"))) => {
                let (x, y) = (b64("x")?, b64("y")?);
                let size = if crv == "P-256" { 32 } else { 48 };
                if x.len() != size || y.len() != size {
                    return Err(KeyError::Jwk(format!(
                        "{crv} coordinates must be {size} bytes"
                    )));
                }
                let mut sec1 = vec![0x04];
                sec1.extend_from_slice(&x);
                sec1.extend_from_slice(&y);
                if crv == "P-256" {
                    p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).map(PublicKey::P256)
                } else {
                    p384::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).map(PublicKey::P384)
                }
                .map_err(|_| KeyError::NotAPoint)
            }
            (Some("RSA"), _) => {
                let (n, e) = (b64("n")?, b64("e")?);
                let n = n
                    .iter()
                    .skip_while(|b| **b == 0)
                    .copied()
                    .collect::<Vec<u8>>();
                if n.len() < 256 {
                    return Err(KeyError::Jwk("RSA keys under 2048 bits are refused".into()));
                }
                Ok(PublicKey::Rsa { n, e })
            }
            (kty, crv) => Err(KeyError::Jwk(format!(
                "kty {} / crv {} is not a key this node checks",
                kty.unwrap_or("missing"),
                crv.unwrap_or("missing")
            ))),
        }
    }

    /// The key as a public JWK.
    pub fn to_jwk(&self) -> Value {
        let b64 = |b: &[u8]| URL_SAFE_NO_PAD.encode(b);
        match self {
            PublicKey::Ed25519(k) => {
                json!({"kty": "OKP", "crv": "Ed25519", "x": b64(k.as_bytes())})
            }
            PublicKey::P256(k) => {
                let p = k.to_encoded_point(false);
                json!({"kty": "EC", "crv": "P-256",
                    "x": b64(p.x().map(|x| x.as_slice()).unwrap_or_default()),
                    "y": b64(p.y().map(|y| y.as_slice()).unwrap_or_default())})
            }
            PublicKey::P384(k) => {
                let p = k.to_encoded_point(false);
                json!({"kty": "EC", "crv": "P-384",
                    "x": b64(p.x().map(|x| x.as_slice()).unwrap_or_default()),
                    "y": b64(p.y().map(|y| y.as_slice()).unwrap_or_default())})
            }
            PublicKey::Rsa { n, e } => json!({"kty": "RSA", "n": b64(n), "e": b64(e)}),
        }
    }
}

/// 32 bytes as an Ed25519 public key.
pub(crate) fn ed25519_from_bytes(raw: &[u8]) -> Result<ed25519_dalek::VerifyingKey, KeyError> {
    let arr: [u8; 32] = raw
        .try_into()
        .map_err(|_| KeyError::PublicLength(raw.len()))?;
    ed25519_dalek::VerifyingKey::from_bytes(&arr).map_err(|_| KeyError::NotAPoint)
}

/// The JWK a `did:jwk` DID carries (`did:jwk:<base64url of the JWK's JSON>`).
pub fn did_jwk_document(did: &str) -> Result<Value, KeyError> {
    let encoded = did
        .strip_prefix("did:jwk:")
        .ok_or_else(|| KeyError::Jwk("not a did:jwk".into()))?;
    let bytes = URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|_| KeyError::Jwk("did:jwk is not base64url".into()))?;
    serde_json::from_slice(&bytes).map_err(|_| KeyError::Jwk("did:jwk is not a JSON key".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p256_multikey_and_jwk_round_trip() {
        let secret = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).expect("scalar");
        let key = PublicKey::P256(*secret.verifying_key());
        let mk = key.to_multikey().expect("multikey");
        assert!(mk.starts_with("zDn"), "{mk}");
        assert_eq!(PublicKey::from_multikey(&mk).as_ref(), Ok(&key));
        assert_eq!(PublicKey::from_jwk(&key.to_jwk()), Ok(key));
        let ed =
            PublicKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(&[1; 32]).verifying_key());
        assert_eq!(PublicKey::from_jwk(&ed.to_jwk()).as_ref(), Ok(&ed));
    }

    #[test]
    fn jwk_with_private_part_or_wrong_size_is_refused() {
        let secret = p384::ecdsa::SigningKey::from_slice(&[9u8; 48]).expect("scalar");
        let mut jwk = PublicKey::P384(*secret.verifying_key()).to_jwk();
        assert!(PublicKey::from_jwk(&jwk).is_ok());
        jwk["d"] = "AAAA".into();
        assert!(PublicKey::from_jwk(&jwk).is_err());
        let short = json!({"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"});
        assert!(PublicKey::from_jwk(&short).is_err());
        // RSA under 2048 bits.
        assert!(PublicKey::from_jwk(&json!({"kty": "RSA", "n": "AQAB", "e": "AQAB"})).is_err());
    }
}
