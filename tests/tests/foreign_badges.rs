//! Badges a transferring teacher brings from other systems, made by implementations
//! independent of the verifier: VC-JWTs signed with `ring` (ES256, RS256) and `ed25519-dalek`
//! (EdDSA), VC 1.1 and 2.0; keys from `did:key`, `did:jwk`, a `did:web` document and an HTTPS
//! controller document served by a real HTTP server on loopback (the fetcher's lab mirror);
//! `ecdsa-rdfc-2019` credentials; the 1EdTech `simple.jwt`; and tampered, unsigned-algorithm
//! and self-keyed tokens, each with the verdict and reason a principal reads.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use credreg_node::verify::outside::OutsideDocuments;
use credreg_node::CheckStatus::{Pass, Warn};
use credreg_node::{CredentialReport, FederationSettings, Node, NodeSettings, Verdict};
use credreg_proof::{keys, PublicKey, SigningKey};
use credreg_store::Store;
use credreg_tests::outside::{mirror_fetcher, serve_routes};
use credreg_tests::{conformance, contexts};
use ed25519_dalek::Signer as _;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair as _, RsaKeyPair};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

fn node(dir: &Path) -> Arc<Node> {
    Arc::new(
        Node::open(
            Store::temporary().expect("store"),
            SigningKey::from_bytes(&[77; 32]),
            NodeSettings {
                name: "Lake County Schools".into(),
                public_url: "http://127.0.0.1:8080".into(),
                federation: FederationSettings::default(),
                ..Default::default()
            },
            contexts(dir),
        )
        .expect("node"),
    )
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `header.payload` and a signer: the compact JWS.
fn jws(header: &Value, payload: &Value, sign: impl Fn(&[u8]) -> Vec<u8>) -> String {
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(payload.to_string().as_bytes())
    );
    let sig = sign(input.as_bytes());
    format!("{input}.{}", b64(&sig))
}

fn vc2(issuer: &str, name: &str) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "id": format!("urn:uuid:{}", "4b1e7f0a-6c55-4d1e-8c43-0f6b2f2f9a10"),
        "type": ["VerifiableCredential"],
        "issuer": {"id": issuer, "name": name},
        "validFrom": "2026-08-15T00:00:00Z",
        "credentialSubject": {"id": "did:example:dana", "name": "Dana Whitfield: Formative Assessment"}
    })
}

struct Es256 {
    pair: EcdsaKeyPair,
    did: String,
}

fn es256() -> Es256 {
    let alg = &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING;
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(alg, &rng).expect("key");
    let pair = EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref(), &rng).expect("pair");
    let key = PublicKey::P256(
        p256::ecdsa::VerifyingKey::from_sec1_bytes(pair.public_key().as_ref()).expect("point"),
    );
    let did = format!("did:key:{}", key.to_multikey().expect("multikey"));
    Es256 { pair, did }
}

impl Es256 {
    fn sign(&self, m: &[u8]) -> Vec<u8> {
        self.pair
            .sign(&SystemRandom::new(), m)
            .expect("sign")
            .as_ref()
            .to_vec()
    }
    fn method(&self) -> String {
        let mk = self.did.trim_start_matches("did:key:");
        format!("{}#{mk}", self.did)
    }
}

fn check<'a>(report: &'a CredentialReport, name: &str) -> &'a credreg_node::CheckResult {
    report
        .checks
        .iter()
        .find(|c| c.check == name)
        .expect("check present")
}

fn reason(report: &CredentialReport, name: &str) -> String {
    check(report, name).reason.clone().unwrap_or_default()
}

fn verify_one(n: &Node, input: &Value, outside: &OutsideDocuments) -> CredentialReport {
    n.verify_with(input, outside)
        .expect("verifies")
        .credentials
        .remove(0)
}

#[test]
fn vc_jwts_signed_elsewhere_verify_and_bad_ones_say_why() {
    let Some(dir) = conformance() else { return };
    let n = node(&dir);
    let none = OutsideDocuments::none();

    // VC 2.0 (the payload is the credential), ES256, kid a did:key P-256 DID URL.
    let issuer = es256();
    let token = jws(
        &json!({"alg": "ES256", "typ": "vc+jwt", "kid": issuer.method()}),
        &vc2(&issuer.did, "Juab School District"),
        |m| issuer.sign(m),
    );
    let r = verify_one(&n, &Value::String(token.clone()), &none);
    assert_eq!(r.verdict, Verdict::Valid, "{:?}", r.checks);
    assert!(
        reason(&r, "proof").contains("VC-JWT"),
        "{}",
        reason(&r, "proof")
    );
    assert_eq!(check(&r, "issuer_key").status, Pass);
    assert_eq!(r.issuer.id.as_deref(), Some(issuer.did.as_str()));
    assert!(
        !r.trusted,
        "an issuer outside the federation is not trusted"
    );

    // One changed character of the payload: the signature fails.
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut payload: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).expect("b64")).expect("json");
    payload["credentialSubject"]["name"] = "Dana Whitfield: Formative Assessmeny".into();
    parts[1] = b64(payload.to_string().as_bytes());
    let r = verify_one(&n, &Value::String(parts.join(".")), &none);
    assert_eq!(r.verdict, Verdict::Invalid);
    assert_eq!(check(&r, "proof").code, Some("signature"), "{:?}", r.checks);

    // `alg: none` (no signature) is refused, by name.
    let unsigned = format!(
        "{}.{}.",
        b64(br#"{"alg":"none"}"#),
        b64(vc2(&issuer.did, "x").to_string().as_bytes())
    );
    let r = verify_one(&n, &json!({"credentials": [unsigned + "AA"]}), &none);
    assert_eq!(r.verdict, Verdict::Invalid);
    assert!(reason(&r, "proof").contains("`none`"), "{:?}", r.checks);

    // A token carrying its own key proves it is intact, not who issued it.
    let selfkeyed = jws(
        &json!({"alg": "ES256", "jwk": PublicKey::P256(
            p256::ecdsa::VerifyingKey::from_sec1_bytes(issuer.pair.public_key().as_ref()).expect("point")).to_jwk()}),
        &vc2(
            "https://badges.example.org/issuers/1",
            "Not Really A District",
        ),
        |m| issuer.sign(m),
    );
    let r = verify_one(&n, &Value::String(selfkeyed), &none);
    assert_eq!(r.verdict, Verdict::Invalid);
    assert!(
        reason(&r, "issuer_key").contains("carries itself"),
        "{:?}",
        r.checks
    );

    // VC 1.1: the `vc` claim, with the registered claims standing for its fields; EdDSA with
    // a did:jwk key; inside a presentation, as a JWT string.
    let ed = SigningKey::from_bytes(&[12; 32]);
    let jwk = PublicKey::Ed25519(ed.verifying_key()).to_jwk();
    let did_jwk = format!("did:jwk:{}", b64(jwk.to_string().as_bytes()));
    let vc11 = json!({
        "@context": ["https://www.w3.org/2018/credentials/v1"],
        "type": ["VerifiableCredential"],
        "credentialSubject": {}
    });
    let claims = json!({"vc": vc11, "iss": did_jwk, "nbf": 1_786_000_000i64,
        "jti": "urn:uuid:7f9e4c7a-0d0a-4f3a-9a55-2ad1c8a0b111", "sub": "did:example:dana"});
    let token = jws(
        &json!({"alg": "EdDSA", "kid": format!("{did_jwk}#0")}),
        &claims,
        |m| ed.sign(m).to_bytes().to_vec(),
    );
    let vp = json!({"@context": ["https://www.w3.org/2018/credentials/v1"],
        "type": ["VerifiablePresentation"], "verifiableCredential": [token]});
    let r = verify_one(&n, &vp, &none);
    assert_eq!(r.verdict, Verdict::Valid, "{:?}", r.checks);
    assert_eq!(r.issuer.id.as_deref(), Some(did_jwk.as_str()));
    assert_eq!(
        r.id.as_deref(),
        Some("urn:uuid:7f9e4c7a-0d0a-4f3a-9a55-2ad1c8a0b111")
    );

    // A claim contradicting the credential's field: which was meant cannot be told.
    let mut contradicting = claims.clone();
    contradicting["vc"]["issuer"] = "did:example:someone-else".into();
    let token = jws(
        &json!({"alg": "EdDSA", "kid": format!("{did_jwk}#0")}),
        &contradicting,
        |m| ed.sign(m).to_bytes().to_vec(),
    );
    let r = verify_one(&n, &Value::String(token), &none);
    assert_eq!(r.verdict, Verdict::Invalid);
    assert!(
        reason(&r, "well_formed").contains("contradict the credential's `issuer`"),
        "{:?}",
        r.checks
    );

    // The 1EdTech validator's simple.jwt names no key at all.
    let simple =
        std::fs::read_to_string(dir.join("ob3-examples/1edtech-validator-fixtures/simple.jwt"))
            .expect("simple.jwt");
    let r = verify_one(&n, &Value::String(simple.trim().to_owned()), &none);
    assert_eq!(r.verdict, Verdict::Invalid, "{:?}", r.checks);
    assert!(
        reason(&r, "proof").contains("neither a `kid` nor a `jwk`"),
        "{:?}",
        r.checks
    );
}

/// Serves `routes` as JSON on loopback (the fetcher's mirror layout).
fn mirror(routes: HashMap<String, (&'static str, Vec<u8>)>) -> String {
    serve_routes(routes, "application/json")
}

fn fetched(input: &Value, mirror: &str) -> OutsideDocuments {
    credreg_tests::outside::fetched(input, &mirror_fetcher(mirror))
}

/// Serves the DCC fixture issuer's did.json.
fn serve_did_json(doc: &Value) -> String {
    mirror(HashMap::from([(
        "/digitalcredentials.github.io/dcc-did-web/multikey/did.json".to_owned(),
        ("200 OK", doc.to_string().into_bytes()),
    )]))
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("fixture")).expect("json")
}

#[test]
fn keys_published_on_the_web_are_fetched_and_a_missing_one_is_named() {
    let Some(dir) = conformance() else { return };
    let n = node(&dir);
    let fixtures = dir.join("ob3-examples");

    // The DCC verifier's did:web fixture: its did.json (listing the key the credential's
    // method names) served at the host's path.
    let badge = read_json(
        &fixtures.join("dcc-verifier-core-fixtures/v2didWebMultikeyWithValidStatus.json"),
    );
    let did = "did:web:digitalcredentials.github.io:dcc-did-web:multikey";
    let method = badge["proof"]["verificationMethod"]
        .as_str()
        .expect("method")
        .to_owned();
    let multikey = method.split('#').nth(1).expect("fragment").to_owned();
    let did_doc = json!({
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": [{"id": method, "type": "Multikey", "controller": did,
            "publicKeyMultibase": multikey}],
        "assertionMethod": [method]
    });
    let served = serve_did_json(&did_doc);
    let r = verify_one(&n, &badge, &fetched(&badge, &served));
    assert_eq!(check(&r, "proof").status, Pass, "{:?}", r.checks);
    assert!(
        reason(&r, "issuer_key").contains("DID document")
            && reason(&r, "issuer_key").contains("fetched 0 s ago"),
        "{:?}",
        r.checks
    );
    // Its status list is signed by the did:key of the same key, not by the did:web issuer:
    // not the issuer's list, so could not check, never valid.
    assert_eq!(r.verdict, Verdict::CouldNotCheck, "{:?}", r.checks);

    // The document now lists a second assertion key: pinned keys changed, and the report says
    // so (the signature itself still checks).
    let mut rotated = did_doc.clone();
    let extra = format!("{did}#key-2");
    rotated["verificationMethod"]
        .as_array_mut()
        .expect("methods")
        .push(json!({"id": extra, "type": "Multikey", "controller": did,
            "publicKeyMultibase": keys::multikey_from_public(&SigningKey::from_bytes(&[5; 32]).verifying_key())}));
    rotated["assertionMethod"]
        .as_array_mut()
        .expect("list")
        .push(extra.into());
    let served = serve_did_json(&rotated);
    let r = verify_one(&n, &badge, &fetched(&badge, &served));
    assert_eq!(check(&r, "issuer_key").status, Warn, "{:?}", r.checks);
    assert!(
        reason(&r, "issuer_key").contains("changed on"),
        "{:?}",
        r.checks
    );

    // The document is not there: the signature still checks against the key its method
    // names, but nothing confirms the issuer published that key, and the report says why.
    let gone = mirror(HashMap::new());
    let r = verify_one(&n, &badge, &fetched(&badge, &gone));
    assert_eq!(check(&r, "issuer_key").status, Warn);
    assert!(
        reason(&r, "issuer_key").contains("could not be fetched: the server answered 404"),
        "{:?}",
        r.checks
    );
    assert_ne!(r.verdict, Verdict::Valid);

    // A document answering for another DID is not believed.
    let mut wrong = did_doc.clone();
    wrong["id"] = "did:web:elsewhere.example".into();
    let liar = serve_did_json(&wrong);
    let r = verify_one(&n, &badge, &fetched(&badge, &liar));
    assert_eq!(check(&r, "issuer_key").status, Warn, "{:?}", r.checks);

    // The 1EdTech fixture's method is an HTTPS URL under the issuer's id: the issuer's
    // controller document, fetched, confirms the key.
    let badge = read_json(&fixtures.join("1edtech-validator-fixtures/simple-did-web-method.json"));
    let issuer = "https://1edtech.edu/issuers/565049";
    let method = badge["proof"]["verificationMethod"]
        .as_str()
        .expect("method")
        .to_owned();
    let multikey = method.split('#').nth(1).expect("fragment").to_owned();
    let controller = json!({"id": issuer,
        "verificationMethod": [{"id": method, "type": "Multikey", "controller": issuer, "publicKeyMultibase": multikey}],
        "assertionMethod": [method]});
    let served = mirror(HashMap::from([(
        "/1edtech.edu/issuers/565049".to_owned(),
        ("200 OK", controller.to_string().into_bytes()),
    )]));
    let r = verify_one(&n, &badge, &fetched(&badge, &served));
    assert_eq!(check(&r, "proof").status, Pass, "{:?}", r.checks);
    assert_eq!(check(&r, "issuer_key").status, Pass, "{:?}", r.checks);
}

#[test]
fn an_rs256_jwt_with_its_key_in_the_issuers_controller_document() {
    let Some(dir) = conformance() else { return };
    let n = node(&dir);
    // A 2048-bit RSA key made for this test (openssl, RSAPrivateKey DER).
    let der =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rsa2048-test-key.der"))
            .expect("test key");
    let pair = RsaKeyPair::from_der(&der).expect("rsa key");
    // The modulus and exponent, read with ring's own accessors.
    let components: ring::rsa::PublicKeyComponents<Vec<u8>> = pair.public().into();
    let issuer = "https://credentials.example-district.org/issuer";
    let kid = format!("{issuer}#rsa-1");
    let jwk = json!({"kty": "RSA", "n": b64(&components.n), "e": b64(&components.e)});
    let controller = json!({"id": issuer,
        "verificationMethod": [{"id": kid, "type": "JsonWebKey", "controller": issuer, "publicKeyJwk": jwk}],
        "assertionMethod": [kid]});
    let sign = |m: &[u8]| {
        let mut sig = vec![0u8; pair.public().modulus_len()];
        pair.sign(
            &ring::signature::RSA_PKCS1_SHA256,
            &SystemRandom::new(),
            m,
            &mut sig,
        )
        .expect("sign");
        sig
    };
    let token = jws(
        &json!({"alg": "RS256", "kid": kid}),
        &vc2(issuer, "Example District"),
        sign,
    );
    let served = mirror(HashMap::from([(
        "/credentials.example-district.org/issuer".to_owned(),
        ("200 OK", controller.to_string().into_bytes()),
    )]));
    let input = Value::String(token.clone());
    let r = verify_one(&n, &input, &fetched(&input, &served));
    assert_eq!(r.verdict, Verdict::Valid, "{:?}", r.checks);
    assert_eq!(check(&r, "issuer_key").status, Pass);

    // The same token presented as ES256 (an algorithm the key cannot make): refused.
    let mut parts: Vec<&str> = token.split('.').collect();
    let forged_header = b64(json!({"alg": "ES256", "kid": kid}).to_string().as_bytes());
    parts[0] = &forged_header;
    let forged = Value::String(parts.join("."));
    let r = verify_one(&n, &forged, &fetched(&forged, &served));
    assert_eq!(r.verdict, Verdict::Invalid, "{:?}", r.checks);
}

#[test]
fn an_ecdsa_rdfc_2019_credential_verifies_at_the_node() {
    let Some(dir) = conformance() else { return };
    let n = node(&dir);
    let issuer = es256();
    let doc = vc2(&issuer.did, "Juab School District");
    let mut config = serde_json::Map::new();
    config.insert("type".into(), "DataIntegrityProof".into());
    config.insert("cryptosuite".into(), "ecdsa-rdfc-2019".into());
    config.insert("created".into(), "2026-08-15T00:00:00Z".into());
    config.insert("verificationMethod".into(), issuer.method().into());
    config.insert("proofPurpose".into(), "assertionMethod".into());
    let di = credreg_proof::DataIntegrity::new(credreg_proof::Canonicalizer::new(Arc::new(
        contexts(&dir),
    )));
    let (c, d) = di
        .canonical_pair(
            doc.as_object().expect("object"),
            &config,
            credreg_proof::Suite::EcdsaRdfc2019,
        )
        .expect("canonical");
    use sha2::Digest as _;
    let hash_data = [sha2::Sha256::digest(&c), sha2::Sha256::digest(&d)].concat();
    config.insert(
        "proofValue".into(),
        keys::multibase_encode(&issuer.sign(&hash_data)).into(),
    );
    let mut signed = doc.clone();
    signed["proof"] = Value::Object(config);
    let r = verify_one(&n, &signed, &OutsideDocuments::none());
    assert_eq!(r.verdict, Verdict::Valid, "{:?}", r.checks);
    assert!(reason(&r, "proof").contains("ecdsa-rdfc-2019"));
    signed["validFrom"] = "2026-08-16T00:00:00Z".into();
    let r = verify_one(&n, &signed, &OutsideDocuments::none());
    assert_eq!(r.verdict, Verdict::Invalid);
}

#[test]
fn a_1edtech_revocation_list_from_the_issuers_domain_is_read_and_a_foreign_one_is_not() {
    let Some(dir) = conformance() else { return };
    let n = node(&dir);
    let badge = read_json(
        &dir.join("ob3-examples/1edtech-validator-fixtures/credential-status-revoked.json"),
    );
    let issuer = badge["issuer"]["id"].as_str().expect("issuer").to_owned();
    let method = badge["proof"]["verificationMethod"]
        .as_str()
        .expect("method")
        .to_owned();
    let multikey = method.split('#').nth(1).expect("fragment").to_owned();
    let did_doc = json!({"id": issuer,
        "verificationMethod": [{"id": method, "type": "Ed25519VerificationKey2020", "controller": issuer, "publicKeyMultibase": multikey}],
        "assertionMethod": [method]});
    let list_path = "/dc.1edtech.org/wellspring2022/wellspring-portal/api/revocations/da1e96e9-afcc-4eed-b9a2-2ddf7353214c";
    let did_path = "/dc.1edtech.org/wellspring2022/wellspring-portal/org/da1e96e9-afcc-4eed-b9a2-2ddf7353214c/did.json";
    let list = |issuer: &str, revoked: Value| {
        json!({"id": format!("https:/{list_path}"), "issuer": issuer, "revokedCredentials": revoked})
            .to_string()
            .into_bytes()
    };
    let serve = |list_body: Vec<u8>| {
        mirror(HashMap::from([
            (
                did_path.to_owned(),
                ("200 OK", did_doc.to_string().into_bytes()),
            ),
            (list_path.to_owned(), ("200 OK", list_body)),
        ]))
    };
    let id = badge["id"].as_str().expect("id").to_owned();
    let revoked = serve(list(
        &issuer,
        json!([{"id": id, "revocationReason": "Awarded in error"}]),
    ));
    let r = verify_one(&n, &badge, &fetched(&badge, &revoked));
    assert_eq!(r.verdict, Verdict::Revoked, "{:?}", r.checks);
    assert!(
        reason(&r, "status").contains("Awarded in error"),
        "{:?}",
        r.checks
    );
    assert!(
        reason(&r, "issuer_key").contains("DID document"),
        "{:?}",
        r.checks
    );

    let clean = serve(list(&issuer, json!([])));
    let r = verify_one(&n, &badge, &fetched(&badge, &clean));
    assert_eq!(r.verdict, Verdict::Valid, "{:?}", r.checks);
    assert!(reason(&r, "status").contains("not revoked"));

    let someone_elses = serve(list("did:web:elsewhere.example", json!([])));
    let r = verify_one(&n, &badge, &fetched(&badge, &someone_elses));
    assert_eq!(r.verdict, Verdict::CouldNotCheck, "{:?}", r.checks);
    assert!(reason(&r, "status").contains("not of the credential's issuer"));
}

#[test]
fn status_list_2021_lists_are_read_like_bitstring_lists() {
    use credreg_proof::{DataIntegrity, SignOptions, Suite};
    let Some(dir) = conformance() else { return };
    let n = node(&dir);
    let di = DataIntegrity::new(credreg_proof::Canonicalizer::new(Arc::new(contexts(&dir))));
    let issuer_key = SigningKey::from_bytes(&[31; 32]);
    let did = keys::did_key(&issuer_key.verifying_key());
    let other_key = SigningKey::from_bytes(&[32; 32]);
    let list_url = "https://status.juab.example/lists/2021/1";
    // VC 1.1, as StatusList2021 badges were (a StatusList2021Credential cannot be written
    // under the VC 2.0 context: its scoped terms redefine protected ones), with the Data
    // Integrity context for the proof.
    let contexts = json!([
        "https://www.w3.org/2018/credentials/v1",
        "https://w3id.org/vc/status-list/2021/v1",
        "https://w3id.org/security/data-integrity/v2"
    ]);
    let sign = |doc: &Value, key: &SigningKey| {
        let m = keys::did_key_method(&key.verifying_key());
        di.sign(
            doc,
            key,
            &SignOptions::assertion(Suite::EddsaRdfc2022, m, "2026-08-15T00:00:00Z"),
        )
        .unwrap_or_else(|e| panic!("{e:?} {doc}"))
    };
    let badge = |index: u32| {
        sign(
            &json!({"@context": contexts, "type": ["VerifiableCredential"],
                "id": format!("urn:uuid:00000000-0000-4000-8000-00000000000{index}"),
                "issuer": did, "issuanceDate": "2026-08-15T00:00:00Z",
                "credentialSubject": {"id": "did:example:dana"},
                "credentialStatus": {"id": format!("{list_url}#{index}"), "type": "StatusList2021Entry",
                    "statusPurpose": "revocation", "statusListIndex": index.to_string(),
                    "statusListCredential": list_url}}),
            &issuer_key,
        )
    };
    // Bit 5 set (most significant bit first, as both specifications number them).
    let mut bits = vec![0u8; 2048];
    bits[0] = 0b0000_0100;
    let encoded = credreg_node::issue::status_list::encode_list(&bits).expect("encode");
    let list_doc = |issuer: &str| {
        json!({"@context": contexts, "type": ["VerifiableCredential", "StatusList2021Credential"],
            "id": list_url, "issuer": issuer, "issuanceDate": "2026-08-15T00:00:00Z",
            "credentialSubject": {"id": format!("{list_url}#list"), "type": "StatusList2021",
                "statusPurpose": "revocation", "encodedList": encoded.trim_start_matches('u')}})
    };
    let answer = |doc: &Value| {
        let mut o = OutsideDocuments::none();
        o.add(list_url, Ok((Arc::new(doc.to_string().into_bytes()), 3)));
        o
    };
    let signed_list = answer(&sign(&list_doc(&did), &issuer_key));
    let r = verify_one(&n, &badge(5), &signed_list);
    assert_eq!(r.verdict, Verdict::Revoked, "{:?}", r.checks);
    let r = verify_one(&n, &badge(6), &signed_list);
    assert_eq!(r.verdict, Verdict::Valid, "{:?}", r.checks);

    let unsigned = answer(&list_doc(&did));
    let r = verify_one(&n, &badge(5), &unsigned);
    assert_eq!(r.verdict, Verdict::CouldNotCheck);
    assert!(
        reason(&r, "status").contains("is not signed"),
        "{:?}",
        r.checks
    );

    let other_did = keys::did_key(&other_key.verifying_key());
    let foreign = answer(&sign(&list_doc(&other_did), &other_key));
    let r = verify_one(&n, &badge(5), &foreign);
    assert_eq!(r.verdict, Verdict::CouldNotCheck);
    assert!(
        reason(&r, "status").contains("not by the credential's issuer"),
        "{:?}",
        r.checks
    );

    let r = verify_one(&n, &badge(5), &OutsideDocuments::none());
    assert_eq!(r.verdict, Verdict::CouldNotCheck);
}

#[test]
fn the_1edtech_bitstring_fixture_is_revoked_by_its_fetched_list() {
    let Some(dir) = conformance() else { return };
    let n = node(&dir);
    let fixtures = dir.join("ob3-examples/1edtech-validator-fixtures");
    let badge = read_json(&fixtures.join("bit-string-list_credential-status-revoked.json"));
    let list = std::fs::read(fixtures.join("bit-string-list_testlist.json")).expect("list");
    let served = mirror(HashMap::from([(
        "/raw.githubusercontent.com/1EdTech/digital-credentials-public-validator/refs/heads/main/inspector-vc/src/test/resources/ob30/bit-string-list/testlist".to_owned(),
        ("200 OK", list),
    )]));
    let r = verify_one(&n, &badge, &fetched(&badge, &served));
    assert_eq!(r.verdict, Verdict::Revoked, "{:?}", r.checks);
    // Unreachable: could not check, with why.
    let r = verify_one(&n, &badge, &fetched(&badge, &mirror(HashMap::new())));
    assert_eq!(r.verdict, Verdict::CouldNotCheck, "{:?}", r.checks);
    assert!(
        reason(&r, "status").contains("could not be fetched"),
        "{:?}",
        r.checks
    );
}

/// The W3C `ecdsa-sd-2023` vectors (an issuer's base proof and a holder's derived proof,
/// kept beside credreg-proof's tests) through the node: the proof check passes and names the
/// suite; a revealed value changed fails it. Their issuer is an `https:` URL the `did:key`
/// cannot speak for, so `issuer_key` still fails, as it should.
#[test]
fn ecdsa_sd_2023_base_and_derived_proofs_are_checked_at_the_node() {
    let Some(dir) = conformance() else { return };
    let n = node(&dir);
    let vectors = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../crates/credreg-proof/tests/vectors/ecdsa-sd-2023");
    for name in ["addSignedSDBase.json", "derivedRevealDocument.json"] {
        let doc = read_json(&vectors.join(name));
        let r = verify_one(&n, &doc, &OutsideDocuments::none());
        assert_eq!(check(&r, "proof").status, Pass, "{name}: {:?}", r.checks);
        assert!(reason(&r, "proof").contains("ecdsa-sd-2023"), "{name}");
        assert_ne!(check(&r, "issuer_key").status, Pass, "{name}");
        let mut changed = doc.clone();
        changed["credentialSubject"]["sailNumber"] = "Earth102".into();
        let r = verify_one(&n, &changed, &OutsideDocuments::none());
        assert_eq!(r.verdict, Verdict::Invalid, "{name}");
        assert_ne!(check(&r, "proof").status, Pass, "{name}");
    }
}
