//! `ecdsa-rdfc-2019` and `ecdsa-jcs-2019` proofs made by an implementation independent of the
//! verifier (`ring` signs; the verifier checks with RustCrypto's `p256`/`p384`), with `did:key`
//! (P-256) and `did:jwk` (P-384) issuers, VC 1.1 and 2.0 credentials: valid ones verify, and
//! one changed claim, a swapped key or a suite/curve mismatch each fail.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use credreg_proof::{
    keys, Canonicalizer, ContextStore, DataIntegrity, KeyResolver, ProofError, PublicKey, Suite,
    VerifyOptions,
};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, EcdsaSigningAlgorithm, KeyPair as _};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256, Sha384};
use std::sync::Arc;

fn di() -> DataIntegrity {
    DataIntegrity::new(Canonicalizer::new(Arc::new(ContextStore::with_builtins())))
}

/// A ring key pair and the DID / method the credential names for it.
struct Issuer {
    pair: EcdsaKeyPair,
    did: String,
    method: String,
    p384: bool,
}

fn issuer(alg: &'static EcdsaSigningAlgorithm, p384: bool, as_jwk: bool) -> Issuer {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(alg, &rng).expect("generate");
    let pair = EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref(), &rng).expect("pair");
    // ring hands out the uncompressed SEC1 point; the verifier's crates read it independently.
    let point = pair.public_key().as_ref().to_vec();
    let key = if p384 {
        PublicKey::P384(p384::ecdsa::VerifyingKey::from_sec1_bytes(&point).expect("point"))
    } else {
        PublicKey::P256(p256::ecdsa::VerifyingKey::from_sec1_bytes(&point).expect("point"))
    };
    let (did, method) = if as_jwk {
        let did = format!(
            "did:jwk:{}",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&key.to_jwk()).expect("jwk"))
        );
        (did.clone(), format!("{did}#0"))
    } else {
        let mk = key.to_multikey().expect("multikey");
        (format!("did:key:{mk}"), format!("did:key:{mk}#{mk}"))
    };
    Issuer {
        pair,
        did,
        method,
        p384,
    }
}

fn credential(issuer: &str, v1: bool) -> Map<String, Value> {
    let mut c = json!({
        "@context": [if v1 { "https://www.w3.org/2018/credentials/v1" } else { "https://www.w3.org/ns/credentials/v2" },
            "https://www.w3.org/ns/credentials/examples/v2"],
        "id": "urn:uuid:8d3c1c4e-8a47-4c1b-9d0c-2f3f0f6f1a11",
        "type": ["VerifiableCredential"],
        "issuer": issuer,
        "credentialSubject": {"id": "did:example:teacher", "name": "Dana Whitfield"}
    });
    if v1 {
        c["issuanceDate"] = "2026-09-01T00:00:00Z".into();
    } else {
        c["validFrom"] = "2026-09-01T00:00:00Z".into();
    }
    c.as_object().cloned().expect("object")
}

/// Signs with the suite's procedure, hashing and signing outside the verifier's code.
fn sign(di: &DataIntegrity, doc: &Map<String, Value>, issuer: &Issuer, suite: Suite) -> Value {
    let mut config = Map::new();
    config.insert("type".into(), "DataIntegrityProof".into());
    config.insert("cryptosuite".into(), suite.name().into());
    config.insert("created".into(), "2026-09-01T00:00:00Z".into());
    config.insert("verificationMethod".into(), issuer.method.clone().into());
    config.insert("proofPurpose".into(), "assertionMethod".into());
    let (config_canon, doc_canon) = di.canonical_pair(doc, &config, suite).expect("canonical");
    let hash_data: Vec<u8> = if issuer.p384 {
        [Sha384::digest(&config_canon), Sha384::digest(&doc_canon)].concat()
    } else {
        [Sha256::digest(&config_canon), Sha256::digest(&doc_canon)].concat()
    };
    let sig = issuer
        .pair
        .sign(&SystemRandom::new(), &hash_data)
        .expect("sign");
    config.insert(
        "proofValue".into(),
        keys::multibase_encode(sig.as_ref()).into(),
    );
    let mut signed = doc.clone();
    signed.insert("proof".into(), Value::Object(config));
    Value::Object(signed)
}

fn verify(di: &DataIntegrity, doc: &Value) -> Result<Suite, ProofError> {
    di.verify(doc, &KeyResolver::new(), &VerifyOptions::default())
        .map(|v| v.proofs[0].suite)
}

#[test]
fn ecdsa_credentials_from_another_implementation_verify_and_tampering_fails() {
    let di = di();
    let cases = [
        (
            &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            false,
            false,
            Suite::EcdsaRdfc2019,
            false,
        ),
        (
            &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            false,
            false,
            Suite::EcdsaRdfc2019,
            true,
        ),
        (
            &ring::signature::ECDSA_P384_SHA384_FIXED_SIGNING,
            true,
            true,
            Suite::EcdsaRdfc2019,
            false,
        ),
        (
            &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            false,
            true,
            Suite::EcdsaJcs2019,
            false,
        ),
    ];
    for (alg, p384, as_jwk, suite, v1) in cases {
        let who = issuer(alg, p384, as_jwk);
        let doc = credential(&who.did, v1);
        let signed = sign(&di, &doc, &who, suite);
        let label = format!(
            "{} {} jwk={as_jwk} v1={v1}",
            suite.name(),
            if p384 { "P-384" } else { "P-256" }
        );
        assert_eq!(verify(&di, &signed), Ok(suite), "{label}");
        let found = di
            .verify(&signed, &KeyResolver::new(), &VerifyOptions::default())
            .expect("verifies");
        assert!(found.proofs[0].signed_by_issuer, "{label}");

        let mut tampered = signed.clone();
        tampered["credentialSubject"]["name"] = "Dana Whitfeld".into();
        assert_eq!(
            verify(&di, &tampered),
            Err(ProofError::Signature),
            "{label}"
        );

        // The same proof under another issuer's key of the same curve.
        let other = issuer(alg, p384, as_jwk);
        let mut swapped = signed.clone();
        swapped["issuer"] = other.did.clone().into();
        swapped["proof"]["verificationMethod"] = other.method.clone().into();
        assert_eq!(verify(&di, &swapped), Err(ProofError::Signature), "{label}");
    }
}

#[test]
fn a_suite_refuses_a_key_of_another_algorithm() {
    let di = di();
    let who = issuer(
        &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        false,
        false,
    );
    let signed = sign(
        &di,
        &credential(&who.did, false),
        &who,
        Suite::EcdsaRdfc2019,
    );
    // An ECDSA signature presented as an EdDSA proof: refused at the key, not "bad signature".
    let mut relabelled = signed.clone();
    relabelled["proof"]["cryptosuite"] = "eddsa-rdfc-2022".into();
    assert!(
        matches!(
            verify(&di, &relabelled),
            Err(ProofError::KeyResolution { .. })
        ),
        "{:?}",
        verify(&di, &relabelled)
    );
    // And a truncated signature is named as such.
    let mut short = signed;
    short["proof"]["proofValue"] = keys::multibase_encode(&[1u8; 40]).into();
    let err = verify(&di, &short)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("64 bytes"), "{err}");
}
