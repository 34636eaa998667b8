//! Keys in the encodings Data Integrity uses: Multikey (`z6Mk...`, `zDn...`), `did:key`,
//! `did:jwk`, and verification methods found in a supplied DID or controller document
//! (`publicKeyMultibase`, `publicKeyBase58`, `publicKeyJwk`). This node signs with Ed25519; the
//! NIST curves are read for other issuers' credentials ([`PublicKey`]).
//!
//! Resolution never touches the network: `did:key` and `did:jwk` carry their key, and any other
//! DID method (notably `did:web`) or an HTTPS verification method is resolved from a document
//! the caller supplies (the node fetches and caches it; this crate only reads it).

use crate::error::ProofError;
pub use crate::multibase::{multibase_decode, multibase_encode, KeyError};
pub use crate::public_key::PublicKey;
use crate::public_key::{did_jwk_document, ed25519_from_bytes as public_from_bytes};
use ed25519_dalek::{SigningKey, VerifyingKey};
use serde_json::Value;
use std::collections::HashMap;

/// Multicodec prefix of an Ed25519 public key (varint 0xed).
const ED25519_PUB: [u8; 2] = [0xed, 0x01];
/// Multicodec prefix of an Ed25519 private key (varint 0x1300).
const ED25519_PRIV: [u8; 2] = [0x80, 0x26];

/// An Ed25519 public key as a Multikey string (`z6Mk...`).
pub fn multikey_from_public(key: &VerifyingKey) -> String {
    let mut bytes = Vec::with_capacity(34);
    bytes.extend_from_slice(&ED25519_PUB);
    bytes.extend_from_slice(key.as_bytes());
    multibase_encode(&bytes)
}

/// Parses a Multikey public key (`z6Mk...`).
pub fn public_from_multikey(s: &str) -> Result<VerifyingKey, KeyError> {
    let bytes = multibase_decode(s)?;
    let raw = bytes
        .strip_prefix(&ED25519_PUB[..])
        .ok_or(KeyError::NotEd25519Public)?;
    public_from_bytes(raw)
}

/// Parses a Multikey secret key: `0x8026` followed by the 32-byte seed (W3C form) or by
/// seed||public (the older 64-byte Digital Bazaar form used by the Open Badges guide).
pub fn secret_from_multikey(s: &str) -> Result<SigningKey, KeyError> {
    let bytes = multibase_decode(s)?;
    let raw = bytes
        .strip_prefix(&ED25519_PRIV[..])
        .ok_or(KeyError::NotEd25519Secret)?;
    let seed: [u8; 32] = match raw.len() {
        32 | 64 => raw[..32]
            .try_into()
            .map_err(|_| KeyError::SecretLength(raw.len()))?,
        n => return Err(KeyError::SecretLength(n)),
    };
    let key = SigningKey::from_bytes(&seed);
    if raw.len() == 64 && key.verifying_key().as_bytes()[..] != raw[32..] {
        return Err(KeyError::MismatchedPublic);
    }
    Ok(key)
}

/// Encodes a secret key in the W3C Multikey form (`0x8026` + seed).
pub fn multikey_from_secret(key: &SigningKey) -> String {
    let mut bytes = Vec::with_capacity(34);
    bytes.extend_from_slice(&ED25519_PRIV);
    bytes.extend_from_slice(key.as_bytes());
    multibase_encode(&bytes)
}

/// The `did:key` DID of an Ed25519 public key.
pub fn did_key(key: &VerifyingKey) -> String {
    format!("did:key:{}", multikey_from_public(key))
}

/// The verification method id of a `did:key` (`did:key:z6Mk...#z6Mk...`).
pub fn did_key_method(key: &VerifyingKey) -> String {
    let mk = multikey_from_public(key);
    format!("did:key:{mk}#{mk}")
}

/// Where a resolved key came from: decides whether the key is bound to its controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    /// A `did:key`: the DID is the key, so the binding is self-certifying.
    DidKey,
    /// A DID document the caller supplied (e.g. `did:web`), listing the key under
    /// `assertionMethod` (or the purpose asked for).
    DidDocument,
    /// The method id is `<controller>#<multikey>`, a convention of the Open Badges 3.0
    /// implementation guide and the 1EdTech validator's fixtures. The signature can be checked,
    /// but nothing proves the controller published this key: callers must report the binding as
    /// unconfirmed (or confirm it by other means, such as a federation's issuer profile).
    FragmentMultikey,
    /// A key a JWT carries in its own `jwk` header: it proves the token was not changed, not
    /// who made it (its controller is never an issuer).
    TokenHeader,
}

/// A verification method resolved to a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedKey {
    /// The verification method id as written in the proof.
    pub method: String,
    /// The DID or URL that controls the key.
    pub controller: String,
    /// The public key.
    pub key: PublicKey,
    /// How it was resolved.
    pub source: KeySource,
}

/// Resolves verification methods to Ed25519 keys without network access.
///
/// `did:key` always resolves. Documents for other DIDs are supplied with [`add_document`]
/// (the node fetches `did:web` documents and hands them over).
///
/// [`add_document`]: KeyResolver::add_document
#[derive(Debug, Clone, Default)]
pub struct KeyResolver {
    documents: HashMap<String, Value>,
    allow_fragment_multikey: bool,
    /// `did:key` multikeys already decoded (decoding is a point decompression, about a third
    /// of an Ed25519 signature check: worth skipping for a page of one issuer's records).
    decoded: HashMap<String, PublicKey>,
}

impl KeyResolver {
    /// A resolver that knows only `did:key`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Also accept `<controller>#z6Mk...` methods (see [`KeySource::FragmentMultikey`]).
    pub fn allow_fragment_multikey(mut self, allow: bool) -> Self {
        self.allow_fragment_multikey = allow;
        self
    }

    /// Decodes a `did:key`'s key once, ahead of resolving many methods of it (ignored if
    /// `did` is not a valid `did:key`; resolution then reports the error).
    pub fn with_did_key(mut self, did: &str) -> Self {
        if let Some(mk) = did.strip_prefix("did:key:") {
            if let Ok(key) = PublicKey::from_multikey(mk) {
                self.decoded.insert(mk.to_owned(), key);
            }
        }
        self
    }

    /// Supplies a DID document (or controller document) for its `id`.
    pub fn add_document(&mut self, document: Value) -> Result<(), ProofError> {
        let id = document
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| ProofError::malformed("DID document has no string `id`"))?
            .to_owned();
        self.documents.insert(id, document);
        Ok(())
    }

    /// Resolves `method` and checks it is authorized for `purpose` by its controller.
    pub fn resolve(&self, method: &str, purpose: &str) -> Result<ResolvedKey, ProofError> {
        let (controller, fragment) = match method.split_once('#') {
            Some((c, f)) => (c, Some(f)),
            None => (method, None),
        };
        if let Some(mk) = controller.strip_prefix("did:key:") {
            // A did:key authorizes its one key for every verification relationship.
            if let Some(f) = fragment {
                if f != mk {
                    return Err(ProofError::key(
                        method,
                        "did:key fragment differs from the key",
                    ));
                }
            }
            let key = match self.decoded.get(mk) {
                Some(k) => k.clone(),
                None => PublicKey::from_multikey(mk)
                    .map_err(|e| ProofError::key(method, e.to_string()))?,
            };
            return Ok(ResolvedKey {
                method: method.to_owned(),
                controller: controller.to_owned(),
                key,
                source: KeySource::DidKey,
            });
        }
        if controller.starts_with("did:jwk:") {
            // A did:jwk's one method is `#0`, authorized for every relationship.
            if fragment.is_some_and(|f| f != "0") {
                return Err(ProofError::key(method, "a did:jwk has only the method #0"));
            }
            let key = did_jwk_document(controller)
                .and_then(|jwk| PublicKey::from_jwk(&jwk))
                .map_err(|e| ProofError::key(method, e.to_string()))?;
            return Ok(ResolvedKey {
                method: method.to_owned(),
                controller: controller.to_owned(),
                key,
                source: KeySource::DidKey,
            });
        }
        if let Some(doc) = self.documents.get(controller) {
            return resolve_in_document(doc, method, controller, purpose);
        }
        // A verification method given as its own URL: the controller document names it.
        if let Some(key) = self.method_documents(method) {
            return key;
        }
        if self.allow_fragment_multikey {
            if let Some(f) = fragment.filter(|f| f.starts_with("z6Mk") || f.starts_with("zDn")) {
                let key = PublicKey::from_multikey(f)
                    .map_err(|e| ProofError::key(method, e.to_string()))?;
                return Ok(ResolvedKey {
                    method: method.to_owned(),
                    controller: controller.to_owned(),
                    key,
                    source: KeySource::FragmentMultikey,
                });
            }
        }
        Err(ProofError::key(
            method,
            format!(
                "no DID document for {controller} was supplied (only did:key and did:jwk resolve offline)"
            ),
        ))
    }

    /// A method that is a document of its own (an HTTPS URL dereferencing to a `Multikey` or
    /// `JsonWebKey` with its `controller`): resolved when both it and its controller's document
    /// were supplied and the controller lists it, so the key is bound both ways.
    fn method_documents(&self, method: &str) -> Option<Result<ResolvedKey, ProofError>> {
        let definition = self.documents.get(method)?;
        let controller = definition.get("controller").and_then(Value::as_str)?;
        let Some(doc) = self.documents.get(controller) else {
            return Some(Err(ProofError::key(
                method,
                format!("its controller {controller} was not available to confirm it"),
            )));
        };
        Some(resolve_in_document(
            doc,
            method,
            controller,
            "assertionMethod",
        ))
    }
}

fn resolve_in_document(
    doc: &Value,
    method: &str,
    controller: &str,
    purpose: &str,
) -> Result<ResolvedKey, ProofError> {
    let matches_id = |candidate: &str| {
        candidate == method
            || (candidate.starts_with('#')
                && method.ends_with(candidate)
                && method.len() == controller.len() + candidate.len())
    };
    // Find the method definition: embedded in `verificationMethod` or in the purpose list.
    let mut definition: Option<&Value> = None;
    let mut vm_lists = vec!["verificationMethod", purpose];
    vm_lists.dedup();
    for list in vm_lists {
        for entry in as_list(doc.get(list)) {
            if let Some(id) = entry.get("id").and_then(Value::as_str) {
                if matches_id(id) {
                    definition = Some(entry);
                }
            }
        }
    }
    let definition = definition.ok_or_else(|| {
        ProofError::key(method, format!("{controller} does not list this method"))
    })?;
    let authorized = as_list(doc.get(purpose)).any(|e| match e {
        Value::String(s) => matches_id(s),
        Value::Object(_) => e.get("id").and_then(Value::as_str).is_some_and(matches_id),
        _ => false,
    });
    if !authorized {
        return Err(ProofError::NotAuthorized {
            method: method.to_owned(),
            purpose: purpose.to_owned(),
            controller: controller.to_owned(),
        });
    }
    if let Some(c) = definition.get("controller").and_then(Value::as_str) {
        if c != controller {
            return Err(ProofError::key(
                method,
                format!("method's controller is {c}, not {controller}"),
            ));
        }
    }
    let key = if let Some(mk) = definition.get("publicKeyMultibase").and_then(Value::as_str) {
        PublicKey::from_multikey(mk).or_else(|_| {
            // Ed25519VerificationKey2020 uses the same multikey form; 2018 keys are raw base58.
            public_from_bytes(&multibase_decode(mk)?).map(PublicKey::Ed25519)
        })
    } else if let Some(b58) = definition.get("publicKeyBase58").and_then(Value::as_str) {
        bs58::decode(b58)
            .into_vec()
            .map_err(|e| KeyError::Base58(e.to_string()))
            .and_then(|raw| public_from_bytes(&raw))
            .map(PublicKey::Ed25519)
    } else if let Some(jwk) = definition.get("publicKeyJwk") {
        PublicKey::from_jwk(jwk)
    } else {
        return Err(ProofError::key(
            method,
            "method has no publicKeyMultibase or publicKeyJwk",
        ));
    }
    .map_err(|e| ProofError::key(method, e.to_string()))?;
    Ok(ResolvedKey {
        method: method.to_owned(),
        controller: controller.to_owned(),
        key,
        source: KeySource::DidDocument,
    })
}

fn as_list(v: Option<&Value>) -> impl Iterator<Item = &Value> {
    let slice: &[Value] = match v {
        Some(Value::Array(a)) => a,
        Some(other) => std::slice::from_ref(other),
        None => &[],
    };
    slice.iter()
}

/// The Ed25519 public key a `did:key` names, if it names one.
pub fn did_key_public(did: &str) -> Option<[u8; 32]> {
    let multikey = did.strip_prefix("did:key:")?;
    public_from_multikey(multikey).ok().map(|k| k.to_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_key_round_trip() {
        let sk = SigningKey::from_bytes(&[7u8; 32]);
        let did = did_key(&sk.verifying_key());
        assert!(did.starts_with("did:key:z6Mk"));
        let r = KeyResolver::new().resolve(&did_key_method(&sk.verifying_key()), "assertionMethod");
        assert_eq!(r.map(|k| k.key), Ok(PublicKey::Ed25519(sk.verifying_key())));
        let back = secret_from_multikey(&multikey_from_secret(&sk)).map(|k| k.to_bytes());
        assert_eq!(back, Ok(sk.to_bytes()));
    }

    #[test]
    fn did_key_with_foreign_fragment_is_rejected() {
        let a = SigningKey::from_bytes(&[1u8; 32]).verifying_key();
        let b = SigningKey::from_bytes(&[2u8; 32]).verifying_key();
        let m = format!("{}#{}", did_key(&a), multikey_from_public(&b));
        assert!(matches!(
            KeyResolver::new().resolve(&m, "assertionMethod"),
            Err(ProofError::KeyResolution { .. })
        ));
    }

    #[test]
    fn did_document_must_authorize_purpose() {
        let k = SigningKey::from_bytes(&[3u8; 32]).verifying_key();
        let mk = multikey_from_public(&k);
        let doc = serde_json::json!({
            "id": "did:web:district.example",
            "verificationMethod": [{"id": "did:web:district.example#key-1", "type": "Multikey",
                "controller": "did:web:district.example", "publicKeyMultibase": mk}],
            "authentication": ["did:web:district.example#key-1"]
        });
        let mut r = KeyResolver::new();
        r.add_document(doc.clone()).ok();
        assert!(matches!(
            r.resolve("did:web:district.example#key-1", "assertionMethod"),
            Err(ProofError::NotAuthorized { .. })
        ));
        let mut doc2 = doc;
        doc2["assertionMethod"] = serde_json::json!(["#key-1"]);
        let mut r = KeyResolver::new();
        r.add_document(doc2).ok();
        let got = r
            .resolve("did:web:district.example#key-1", "assertionMethod")
            .map(|k| k.key);
        assert_eq!(got, Ok(PublicKey::Ed25519(k)));
    }

    #[test]
    fn unknown_method_names_controller() {
        let e = KeyResolver::new().resolve("did:web:x.example#k", "assertionMethod");
        let message = e.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("did:web:x.example"), "{message}");
    }
}
