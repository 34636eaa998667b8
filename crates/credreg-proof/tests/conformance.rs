//! Conformance: W3C Data Integrity EdDSA vectors, the Open Badges 3.0 implementation-guide
//! vector, and signed credentials from the 1EdTech validator and the DCC verifier.
//! Reads `../shared/conformance/` beside the project; skips with a printed line if it is absent.

use credreg_proof::{
    keys, Canonicalizer, Check, ContextStore, DataIntegrity, KeyResolver, ProofError, SignOptions,
    Suite, VerifyOptions,
};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::Arc;

mod common;
use common::conformance;

fn di(root: &Path) -> DataIntegrity {
    common::conformance_di(root)
}

fn json(path: &Path) -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn obj(v: &Value) -> Map<String, Value> {
    v.as_object().cloned().expect("object")
}

/// A top-level context of `doc` that the store (builtins + conformance folder) lacks.
fn absent_context(di: &DataIntegrity, doc: &Map<String, Value>) -> Option<String> {
    let ctx = doc.get("@context")?;
    let urls = credreg_proof::canon::context_urls(ctx);
    di.canonicalizer().store().missing(urls).into_iter().next()
}

fn resolver() -> KeyResolver {
    KeyResolver::new().allow_fragment_multikey(true)
}

/// Reproduces every intermediate value of a W3C vector folder and verifies the signed doc.
fn check_w3c_vector(dir: &Path, suffix: &str, suite: Suite, unsigned: &Path, key_pair: &Path) {
    let Some(root) = conformance() else { return };
    let di = di(&root);
    let unsigned = obj(&json(unsigned));
    if let Some(url) = absent_context(&di, &unsigned) {
        println!(
            "SKIP: {} needs the context {url}, which conformance/contexts does not hold",
            dir.display()
        );
        let err = di
            .canonical_pair(&unsigned, &unsigned, suite)
            .expect_err("cannot canonicalize");
        assert_eq!(err, ProofError::ContextMissing { url });
        return;
    }
    let config_file = match suite {
        Suite::EddsaJcs2022 => "proofConfigJCS.json".to_string(),
        _ => format!("proofConfig{suffix}.json"),
    };
    let config = obj(&json(&dir.join(config_file)));
    let (config_canon, doc_canon) = di
        .canonical_pair(&unsigned, &config, suite)
        .expect("canonicalize");
    let canon_file = |stem: &str| dir.join(format!("{stem}{suffix}.txt"));
    assert_eq!(
        String::from_utf8_lossy(&doc_canon),
        text(&canon_file("canonDoc")),
        "canonical document"
    );
    assert_eq!(
        String::from_utf8_lossy(&config_canon),
        text(&canon_file("proofCanon")),
        "canonical proof config"
    );
    assert_eq!(
        hex(&Sha256::digest(&doc_canon)),
        text(&canon_file("docHash")).trim(),
        "document hash"
    );
    assert_eq!(
        hex(&Sha256::digest(&config_canon)),
        text(&canon_file("proofHash")).trim(),
        "proof hash"
    );
    let combined = di.hash_data(&unsigned, &config, suite).expect("hash");
    assert_eq!(
        hex(&combined),
        text(&canon_file("combinedHash")).trim(),
        "combined hash"
    );

    let kp = json(key_pair);
    let secret = kp["privateKeyMultibase"]
        .as_str()
        .or(kp["secretKeyMultibase"].as_str())
        .expect("secret");
    let sk = keys::secret_from_multikey(secret).expect("secret key");
    assert_eq!(
        keys::multikey_from_public(&sk.verifying_key()),
        kp["publicKeyMultibase"].as_str().expect("pub")
    );
    let options = SignOptions {
        suite,
        verification_method: config["verificationMethod"].as_str().expect("vm").into(),
        proof_purpose: config["proofPurpose"].as_str().expect("purpose").into(),
        created: config
            .get("created")
            .and_then(Value::as_str)
            .map(str::to_owned),
        expires: None,
    };
    let signed = di
        .sign(&Value::Object(unsigned), &sk, &options)
        .expect("sign");
    let proof_value = signed["proof"]["proofValue"].as_str().expect("proofValue");
    let sig = keys::multibase_decode(proof_value).expect("multibase");
    assert_eq!(
        hex(&sig),
        text(&canon_file("sigHex")).trim(),
        "signature bytes"
    );
    assert_eq!(
        proof_value,
        text(&canon_file("sigBTC58")).trim(),
        "proofValue"
    );

    let published = json(&dir.join(format!("signed{suffix}.json")));
    let v = di
        .verify(&published, &resolver(), &VerifyOptions::default())
        .expect("published vector verifies");
    assert_eq!(v.proofs[0].suite, suite);
    di.verify(&signed, &resolver(), &VerifyOptions::default())
        .expect("our signature verifies");
}

#[test]
fn w3c_eddsa_rdfc_2022_vector() {
    let Some(root) = conformance() else { return };
    let d = root.join("vectors/eddsa-rdfc-2022");
    check_w3c_vector(
        &d,
        "DataInt",
        Suite::EddsaRdfc2022,
        &d.join("unsigned.json"),
        &d.join("keyPair.json"),
    );
}

#[test]
fn w3c_eddsa_rdfc_2022_employment_vector() {
    let Some(root) = conformance() else { return };
    let d = root.join("vectors/eddsa-rdfc-2022/employ");
    let up = root.join("vectors/eddsa-rdfc-2022");
    check_w3c_vector(
        &d,
        "DataInt",
        Suite::EddsaRdfc2022,
        &d.join("employmentAuth.json"),
        &up.join("keyPair.json"),
    );
}

#[test]
fn w3c_eddsa_jcs_2022_vector() {
    let Some(root) = conformance() else { return };
    let d = root.join("vectors/eddsa-jcs-2022");
    check_w3c_vector(
        &d,
        "JCS",
        Suite::EddsaJcs2022,
        &d.join("unsigned.json"),
        &d.join("keyPair.json"),
    );
}

#[test]
fn w3c_ed25519_signature_2020_verifies_and_canonicalizes() {
    let Some(root) = conformance() else { return };
    let d = root.join("vectors/Ed25519Signature2020");
    let di = di(&root);
    let signed = json(&d.join("signedEdSig.json"));
    let v = di
        .verify(&signed, &resolver(), &VerifyOptions::default())
        .expect("verifies");
    assert_eq!(v.proofs[0].suite, Suite::Ed25519Signature2020);
    let mut unsigned = obj(&signed);
    unsigned.remove("proof");
    let config = obj(&json(&d.join("proofConfigEdSig.json")));
    let (config_canon, doc_canon) = di
        .canonical_pair(&unsigned, &config, Suite::Ed25519Signature2020)
        .expect("canon");
    assert_eq!(
        String::from_utf8_lossy(&doc_canon),
        text(&d.join("canonDocEdSig.txt"))
    );
    assert_eq!(
        String::from_utf8_lossy(&config_canon),
        text(&d.join("proofCanonEdSig.txt"))
    );
    // Legacy suite: verification only.
    let sk = credreg_proof::SigningKey::from_bytes(&[1; 32]);
    let opts = SignOptions::assertion(
        Suite::Ed25519Signature2020,
        "did:key:x",
        "2026-01-01T00:00:00Z",
    );
    assert!(matches!(
        di.sign(&Value::Object(unsigned), &sk, &opts),
        Err(ProofError::UnsupportedSuite(_))
    ));
}

#[test]
fn w3c_proof_sets_and_chains_verify() {
    let Some(root) = conformance() else { return };
    let d = root.join("vectors/proof-set-chain");
    let di = di(&root);
    for f in [
        "signedProofSet1.json",
        "signedProofSet2.json",
        "signedProofChain1.json",
        "signedProofChain2.json",
    ] {
        let doc = json(&d.join(f));
        let n = doc["proof"].as_array().map_or(1, Vec::len);
        let v = di
            .verify(&doc, &resolver(), &VerifyOptions::default())
            .unwrap_or_else(|e| panic!("{f}: {e}"));
        assert_eq!(v.proofs.len(), n, "{f}: every proof verified");
    }
}

#[test]
fn open_badges_implementation_guide_vector() {
    let Some(root) = conformance() else { return };
    let d = root.join("ob3-examples/ldp-test-vector-obv3p0");
    let di = di(&root);
    let unsigned = obj(&json(&d.join("unsigned.json")));
    let config = obj(&json(&d.join("proofOptions.json")));
    let (config_canon, doc_canon) = di
        .canonical_pair(&unsigned, &config, Suite::EddsaRdfc2022)
        .expect("canon");
    assert_eq!(
        String::from_utf8_lossy(&doc_canon),
        text(&d.join("document-canon.txt"))
    );
    assert_eq!(
        String::from_utf8_lossy(&config_canon),
        text(&d.join("proof-canon.txt"))
    );
    let hashes = text(&d.join("hashes.txt"));
    let field = |name: &str| {
        hashes
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("{name} in hashes.txt"))
    };
    assert_eq!(hex(&Sha256::digest(&doc_canon)), field("documentHashHex"));
    assert_eq!(hex(&Sha256::digest(&config_canon)), field("proofHashHex"));
    let data = di
        .hash_data(&unsigned, &config, Suite::EddsaRdfc2022)
        .expect("hash");
    assert_eq!(hex(&data), field("dataToSignHex"));
    let kp = json(&d.join("keyPair.json"));
    let sk = keys::secret_from_multikey(kp["secretKeyMultibase"].as_str().expect("sk"))
        .expect("64-byte secret form");
    let opts = SignOptions::assertion(
        Suite::EddsaRdfc2022,
        config["verificationMethod"].as_str().expect("vm"),
        config["created"].as_str().expect("created"),
    );
    let signed = di.sign(&Value::Object(unsigned), &sk, &opts).expect("sign");
    assert_eq!(
        signed["proof"]["proofValue"].as_str(),
        Some(field("proofValue").as_str())
    );
    let published = json(&d.join("signed.json"));
    let v = di
        .verify(&published, &resolver(), &VerifyOptions::default())
        .expect("verifies");
    assert!(v.proofs[0].signed_by_issuer, "controller is the issuer URL");
    assert_eq!(
        v.proofs[0].key.source,
        credreg_proof::KeySource::FragmentMultikey
    );
}

/// Signed fixtures from other implementations: everything verifies, and a one-character change
/// to any signed string value makes it fail.
#[test]
fn other_implementations_credentials_verify_and_resist_tampering() {
    let Some(root) = conformance() else { return };
    let di = di(&root);
    let mut checked = 0;
    for folder in [
        "ob3-examples/1edtech-validator-fixtures",
        "ob3-examples/dcc-verifier-core-fixtures",
    ] {
        let mut files: Vec<_> = std::fs::read_dir(root.join(folder))
            .expect("fixtures")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        for path in files {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_owned();
            let doc = json(&path);
            let result = di.verify(&doc, &resolver(), &VerifyOptions::default());
            if let Some(url) = absent_context(&di, &obj(&doc)) {
                println!("SKIP: {name} needs the context {url}, which conformance/contexts does not hold");
                assert_eq!(result, Err(ProofError::ContextMissing { url }), "{name}");
                continue;
            }
            if name.contains("NEGATIVE") {
                let err = result.expect_err("negative fixture must fail");
                assert_eq!(err.check(), Check::UndefinedTerm, "{name}: {err}");
                continue;
            }
            let v = result.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!v.proofs.is_empty());
            checked += 1;
            for pointer in signed_string_pointers(&doc) {
                let mut tampered = doc.clone();
                let slot = tampered.pointer_mut(&pointer).expect("pointer");
                let s = slot.as_str().expect("string").to_owned();
                *slot = Value::String(change_one_char(&s));
                let err = di
                    .verify(&tampered, &resolver(), &VerifyOptions::default())
                    .expect_err(&format!("{name}: tampering {pointer} must fail"));
                assert!(
                    matches!(
                        err.check(),
                        Check::Signature | Check::Parse | Check::UndefinedTerm
                    ),
                    "{name} {pointer}: {err}"
                );
            }
        }
    }
    assert!(checked >= 13, "checked {checked} fixtures");
}

/// JSON pointers of a few human-meaningful signed string values in a credential.
fn signed_string_pointers(doc: &Value) -> Vec<String> {
    let candidates = [
        "/name",
        "/validFrom",
        "/issuanceDate",
        "/issuer/name",
        "/credentialSubject/achievement/name",
        "/credentialSubject/achievement/description",
        "/credentialSubject/achievement/criteria/narrative",
        "/credentialSubject/id",
        "/encodedList",
        "/credentialSubject/encodedList",
    ];
    candidates
        .iter()
        .filter(|p| {
            doc.pointer(p)
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty())
        })
        .map(|p| p.to_string())
        .collect()
}

fn change_one_char(s: &str) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    // Change a character in the middle to a different letter of the same class, keeping IRIs
    // and dates syntactically valid where possible.
    let i = chars.len() / 2;
    chars[i] = match chars[i] {
        '0'..='8' => ((chars[i] as u8) + 1) as char,
        '9' => '8',
        'a' => 'b',
        'A' => 'B',
        c if c.is_alphabetic() => 'a',
        _ => 'x',
    };
    chars.into_iter().collect()
}

#[test]
fn a_missing_context_is_named() {
    let Some(root) = conformance() else { return };
    let di = DataIntegrity::new(Canonicalizer::new(Arc::new(ContextStore::with_builtins())));
    let doc = json(&root.join("ob3-examples/ldp-test-vector-obv3p0/signed.json"));
    let err = di
        .verify(&doc, &resolver(), &VerifyOptions::default())
        .expect_err("no OB context");
    assert_eq!(
        err,
        ProofError::ContextMissing {
            url: "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json".into()
        }
    );
}

#[test]
fn spec_examples_sign_and_verify() {
    let Some(root) = conformance() else { return };
    let di = di(&root);
    let sk = credreg_proof::SigningKey::from_bytes(&[42; 32]);
    let method = keys::did_key_method(&sk.verifying_key());
    for f in [
        "basic-openbadgecredential.json",
        "endorsement-credential.json",
        "achievement-alignment-case.json",
        "skill-assertion-case.json",
    ] {
        let mut doc = obj(&json(&root.join("ob3-examples").join(f)));
        doc.remove("proof");
        let opts = SignOptions::assertion(Suite::EddsaRdfc2022, &method, "2026-11-22T00:00:00Z");
        let signed = di
            .sign(&Value::Object(doc), &sk, &opts)
            .unwrap_or_else(|e| panic!("{f}: {e}"));
        di.verify(&signed, &KeyResolver::new(), &VerifyOptions::default())
            .unwrap_or_else(|e| panic!("{f}: {e}"));
    }
}
