//! Credentials that arrive as a compact JWS (VC-JWT), as Credly, Canvas Credentials and many
//! wallets export them: the signature is checked by `jsonwebtoken`; the payload becomes the
//! credential the usual checks read.
//!
//! - **VC Data Model 2.0** (`application/vc+jwt`): the payload is the credential.
//! - **VC Data Model 1.1**: the credential is the `vc` claim; the registered claims stand for
//!   its fields (`iss` the issuer, `nbf` the issuance date, `exp` the expiration date, `jti`
//!   the id, `sub` the subject's id). A claim that contradicts the field it stands for makes
//!   the token malformed: which one was signed "more" cannot be told.
//! - **Keys**: `kid` as a DID URL (`did:key`, `did:jwk`, or a `did:web` document fetched
//!   beforehand) or an HTTPS URL (a JWK or a verification method document fetched
//!   beforehand); or a `jwk` header, which proves only that the token is intact.
//! - **Algorithms**: EdDSA (Ed25519), ES256, ES384, RS256. The accepted algorithm is the one
//!   the key allows, never the header alone (so `none` or an HMAC over a public key fail).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use credreg_proof::{KeyResolver, KeySource, ProofError, PublicKey, ResolvedKey, Suite};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

/// Longest token accepted (a portfolio badge is a few kilobytes; an image is not inlined).
pub const MAX_TOKEN_BYTES: usize = 512 * 1024;

/// The compact JWS `v` stands for: a JWS string, or a VC 2.0 `EnvelopedVerifiableCredential`
/// whose `id` is a `data:application/vc+jwt,` URL.
pub fn token_of(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) if looks_like_jws(s) => Some(s.trim()),
        Value::Object(o) => {
            let enveloped = match o.get("type") {
                Some(Value::String(t)) => t == "EnvelopedVerifiableCredential",
                Some(Value::Array(a)) => a
                    .iter()
                    .any(|t| t.as_str() == Some("EnvelopedVerifiableCredential")),
                _ => false,
            };
            let id = o.get("id").and_then(Value::as_str)?;
            let token = ["data:application/vc+jwt,", "data:application/jwt,"]
                .iter()
                .find_map(|p| id.strip_prefix(p))?;
            (enveloped && looks_like_jws(token)).then_some(token)
        }
        _ => None,
    }
}

/// Three dot-separated base64url parts, the first starting like a JSON object (`eyJ`).
pub fn looks_like_jws(s: &str) -> bool {
    let s = s.trim();
    s.starts_with("eyJ")
        && s.len() <= MAX_TOKEN_BYTES
        && s.split('.').count() == 3
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// A token read but not yet checked: its header and the credential its payload states.
#[derive(Debug, Clone)]
pub struct Token {
    /// The compact JWS.
    pub compact: String,
    /// `alg` as written.
    pub alg: String,
    /// `kid`, if any.
    pub kid: Option<String>,
    /// `jwk`, if any.
    pub jwk: Option<Value>,
    /// The credential (the payload, or the `vc` claim with the registered claims applied).
    pub credential: Value,
}

/// Reads a token's header and payload (no signature check yet). Errors say why in words.
pub fn read(compact: &str) -> Result<Token, String> {
    let mut parts = compact.split('.');
    let (Some(header), Some(payload)) = (parts.next(), parts.next()) else {
        return Err("it is not a compact JWS (three parts separated by dots)".into());
    };
    let json = |part: &str, what: &str| -> Result<Map<String, Value>, String> {
        let bytes = URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| format!("its {what} is not base64url"))?;
        match serde_json::from_slice(&bytes) {
            Ok(Value::Object(o)) => Ok(o),
            _ => Err(format!("its {what} is not a JSON object")),
        }
    };
    let header = json(header, "header")?;
    let claims = json(payload, "payload")?;
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .ok_or("its header names no `alg`")?
        .to_owned();
    if header.get("crit").is_some() {
        return Err("its header lists critical extensions this node does not implement".into());
    }
    let credential = credential_of(claims)?;
    Ok(Token {
        compact: compact.to_owned(),
        alg,
        kid: header.get("kid").and_then(Value::as_str).map(str::to_owned),
        jwk: header.get("jwk").cloned(),
        credential,
    })
}

/// The credential a payload states (see the module comment for VC 1.1's claims).
fn credential_of(mut claims: Map<String, Value>) -> Result<Value, String> {
    let Some(vc) = claims.remove("vc") else {
        return Ok(Value::Object(claims));
    };
    let Value::Object(mut vc) = vc else {
        return Err("its `vc` claim is not a JSON object".into());
    };
    let date = |claim: &str| -> Result<Option<String>, String> {
        match claims.get(claim) {
            None => Ok(None),
            Some(v) => {
                let secs = v
                    .as_i64()
                    .ok_or_else(|| format!("its `{claim}` claim is not a number of seconds"))?;
                let t = time::OffsetDateTime::from_unix_timestamp(secs)
                    .map_err(|_| format!("its `{claim}` claim is out of range"))?;
                Ok(Some(crate::clock::format_time(t)))
            }
        }
    };
    let mut apply = |field: &str, value: Option<Value>, same: &dyn Fn(&Value) -> bool| {
        let Some(value) = value else { return Ok(()) };
        match vc.get(field) {
            Some(existing) if !same(existing) => {
                Err(format!("its claims contradict the credential's `{field}`"))
            }
            Some(_) => Ok(()),
            None => {
                vc.insert(field.to_owned(), value);
                Ok(())
            }
        }
    };
    let iss = claims.get("iss").cloned();
    apply("issuer", iss.clone(), &|existing| {
        let id = match existing {
            Value::Object(o) => o.get("id"),
            other => Some(other),
        };
        id == iss.as_ref()
    })?;
    let jti = claims.get("jti").cloned();
    apply("id", jti.clone(), &|existing| {
        Some(existing) == jti.as_ref()
    })?;
    // Dates: the claim is to the second, the field may carry more precision; compare instants.
    let same_instant = |claim: Option<String>| {
        move |existing: &Value| {
            let parse = |s: &str| {
                time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                    .ok()
                    .map(|t| t.unix_timestamp())
            };
            existing.as_str().and_then(parse) == claim.as_deref().and_then(parse)
        }
    };
    let nbf = date("nbf")?;
    apply(
        "issuanceDate",
        nbf.clone().map(Value::from),
        &same_instant(nbf),
    )?;
    let exp = date("exp")?;
    apply(
        "expirationDate",
        exp.clone().map(Value::from),
        &same_instant(exp),
    )?;
    if let Some(sub) = claims.get("sub") {
        match vc.get_mut("credentialSubject") {
            Some(Value::Object(subject)) => match subject.get("id") {
                Some(id) if id != sub => {
                    return Err("its `sub` claim contradicts the credential's subject id".into())
                }
                Some(_) => {}
                None => {
                    subject.insert("id".into(), sub.clone());
                }
            },
            Some(_) => {}
            None => return Err("its `vc` claim has no credentialSubject".into()),
        }
    }
    Ok(Value::Object(vc))
}

/// A fetched key document for an HTTPS `kid`: a bare JWK, or a verification method (with
/// `publicKeyJwk`) whose controller document the resolver holds.
pub type KeyDocuments<'a> = &'a dyn Fn(&str) -> Option<Value>;

/// Checks `token`'s signature and says which key made it.
pub fn verify(
    token: &Token,
    resolver: &KeyResolver,
    fetched: KeyDocuments<'_>,
) -> Result<ResolvedKey, ProofError> {
    let alg = match token.alg.as_str() {
        "EdDSA" => Algorithm::EdDSA,
        "ES256" => Algorithm::ES256,
        "ES384" => Algorithm::ES384,
        "RS256" => Algorithm::RS256,
        other => {
            return Err(ProofError::UnsupportedSuite(format!(
                "JWT algorithm `{other}` (EdDSA, ES256, ES384 and RS256 are checked)"
            )))
        }
    };
    let (decoding, resolved) = key_for(token, alg, resolver, fetched)?;
    let mut validation = Validation::new(alg);
    // Dates are judged by the validity check, which can say "expired" rather than "invalid".
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<Value>(&token.compact, &decoding, &validation).map_err(|e| {
        match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => ProofError::Signature,
            _ => ProofError::Malformed(format!("the JWT: {e}")),
        }
    })?;
    Ok(resolved)
}

fn key_for(
    token: &Token,
    alg: Algorithm,
    resolver: &KeyResolver,
    fetched: KeyDocuments<'_>,
) -> Result<(DecodingKey, ResolvedKey), ProofError> {
    let mismatch = |curve: &str| {
        ProofError::UnsupportedSuite(format!("the JWT says {} but its key is {curve}", token.alg))
    };
    if let Some(kid) = &token.kid {
        if kid.starts_with("did:") {
            let resolved = resolver.resolve(kid, "assertionMethod")?;
            let key =
                decoding_key(&resolved.key, alg).ok_or_else(|| mismatch(resolved.key.curve()))?;
            return Ok((key, resolved));
        }
        if kid.starts_with("https://") {
            let doc = fetched(kid).ok_or_else(|| ProofError::KeyResolution {
                method: kid.clone(),
                reason: "its key document could not be fetched".into(),
            })?;
            return https_key(kid, &doc, alg, resolver);
        }
        return Err(ProofError::KeyResolution {
            method: kid.clone(),
            reason: "a `kid` must be a DID URL or an HTTPS URL".into(),
        });
    }
    if let Some(jwk) = &token.jwk {
        let key = PublicKey::from_jwk(jwk).map_err(|e| ProofError::KeyResolution {
            method: "the JWT's jwk header".into(),
            reason: e.to_string(),
        })?;
        let decoding = decoding_key(&key, alg).ok_or_else(|| mismatch(key.curve()))?;
        return Ok((
            decoding,
            ResolvedKey {
                method: "the JWT's jwk header".into(),
                controller: "a key carried in the token's own header".into(),
                key,
                source: KeySource::TokenHeader,
            },
        ));
    }
    Err(ProofError::KeyResolution {
        method: "(none)".into(),
        reason: "the JWT names no key: it has neither a `kid` nor a `jwk` header".into(),
    })
}

/// An HTTPS `kid`: a bare JWK published at that URL (its controller is the URL itself, so it
/// never equals an issuer id unless the issuer is that URL), or a verification method the
/// resolver confirms with its controller's document.
fn https_key(
    kid: &str,
    doc: &Value,
    alg: Algorithm,
    resolver: &KeyResolver,
) -> Result<(DecodingKey, ResolvedKey), ProofError> {
    let resolved = if doc.get("kty").is_some() {
        ResolvedKey {
            method: kid.to_owned(),
            controller: kid.split('#').next().unwrap_or(kid).to_owned(),
            key: PublicKey::from_jwk(doc).map_err(|e| ProofError::KeyResolution {
                method: kid.to_owned(),
                reason: e.to_string(),
            })?,
            source: KeySource::DidDocument,
        }
    } else {
        resolver.resolve(kid, "assertionMethod")?
    };
    let key = decoding_key(&resolved.key, alg).ok_or_else(|| {
        ProofError::UnsupportedSuite(format!(
            "the JWT says {alg:?} but its key is {}",
            resolved.key.curve()
        ))
    })?;
    Ok((key, resolved))
}

/// The `jsonwebtoken` key for one of our keys, when `alg` is that key's algorithm.
fn decoding_key(key: &PublicKey, alg: Algorithm) -> Option<DecodingKey> {
    let jwk = key.to_jwk();
    let field = |n: &str| jwk.get(n).and_then(Value::as_str).unwrap_or_default();
    match (key, alg) {
        (PublicKey::Ed25519(_), Algorithm::EdDSA) => {
            DecodingKey::from_ed_components(field("x")).ok()
        }
        (PublicKey::P256(_), Algorithm::ES256) | (PublicKey::P384(_), Algorithm::ES384) => {
            DecodingKey::from_ec_components(field("x"), field("y")).ok()
        }
        (PublicKey::Rsa { n, e }, Algorithm::RS256) => {
            Some(DecodingKey::from_rsa_raw_components(n, e))
        }
        _ => None,
    }
}

/// A verified token as the judge reads it.
pub(crate) fn verification(
    di: &credreg_proof::DataIntegrity,
    token: &Token,
    key: ResolvedKey,
) -> Result<credreg_proof::Verification, ProofError> {
    let facts = di.facts_of(&token.credential)?;
    let signed_by_issuer = facts.issuer() == Some(key.controller.as_str());
    let digest = token_digest(&token.compact);
    Ok(credreg_proof::Verification {
        proofs: vec![credreg_proof::VerifiedProof {
            suite: Suite::VcJwt,
            key,
            created: None,
            signed_by_issuer,
            document_digest: digest,
        }],
        skipped: Vec::new(),
        facts: Some(facts),
    })
}

/// SHA-256 of the token: what was signed, for the `logged` check's comparison (a VC-JWT is
/// never one of this node's logged awards, so it will not match a receipt's RDF digest).
fn token_digest(compact: &str) -> [u8; 32] {
    use sha2::Digest as _;
    sha2::Sha256::digest(compact.as_bytes()).into()
}
