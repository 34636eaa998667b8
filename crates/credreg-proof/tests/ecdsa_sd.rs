//! `ecdsa-sd-2023` against the W3C specification's test vectors (`vectors/ecdsa-sd-2023/`,
//! made by an independent implementation; see its PROVENANCE.md): the issuer's base proof and
//! a holder's derived proof verify, and any change to a revealed value, a label, a signature or
//! the set of statements fails.

use credreg_proof::{
    Canonicalizer, Check, ContextStore, DataIntegrity, KeyResolver, Suite, VerifyOptions,
};
use serde_json::Value;
use std::sync::Arc;

fn di() -> DataIntegrity {
    DataIntegrity::new(Canonicalizer::new(Arc::new(ContextStore::with_builtins())))
}

fn vector(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors/ecdsa-sd-2023")
        .join(name);
    serde_json::from_slice(&std::fs::read(&path).expect("vector")).expect("JSON")
}

/// Which check `doc` fails, or `None` if it verifies.
fn fails(doc: &Value) -> Option<Check> {
    di().verify(doc, &KeyResolver::new(), &VerifyOptions::default())
        .err()
        .map(|e| e.check())
}

#[test]
fn the_specifications_derived_proof_verifies() {
    let doc = vector("derivedRevealDocument.json");
    let v = di()
        .verify(&doc, &KeyResolver::new(), &VerifyOptions::default())
        .expect("verifies");
    assert_eq!(v.proofs[0].suite, Suite::EcdsaSd2023);
    assert_eq!(v.proofs[0].suite.name(), "ecdsa-sd-2023");
}

#[test]
fn a_derived_credential_changed_in_any_way_fails() {
    let doc = vector("derivedRevealDocument.json");
    let subject = |d: &mut Value| d["credentialSubject"].clone();
    let mut changes: Vec<(&str, Value)> = Vec::new();
    // A revealed value changed.
    let mut d = doc.clone();
    d["credentialSubject"]["sails"][0]["year"] = 2024.into();
    changes.push(("a non-mandatory value", d));
    // A mandatory value changed.
    let mut d = doc.clone();
    d["credentialSubject"]["sailNumber"] = "Earth102".into();
    changes.push(("a mandatory value", d));
    // A statement added that the issuer never signed.
    let mut d = doc.clone();
    d["credentialSubject"]["sails"][0]["colour"] = "red".into();
    changes.push(("an added statement", d));
    // A statement dropped.
    let mut d = doc.clone();
    let mut s = subject(&mut d);
    s["sails"][1].as_object_mut().expect("sail").remove("year");
    d["credentialSubject"] = s;
    changes.push(("a dropped statement", d));
    // Another issuer named.
    let mut d = doc.clone();
    d["issuer"] = "https://vc.example/another".into();
    changes.push(("the issuer", d));
    // The proof's date changed (it is part of what the issuer signed).
    let mut d = doc.clone();
    d["proof"]["created"] = "2023-08-16T23:36:38Z".into();
    changes.push(("the proof's date", d));
    for (what, d) in changes {
        assert!(fails(&d).is_some(), "{what} changed, and it still verifies");
    }
    // The proof value itself: one character of it changed, or cut short.
    let value = doc["proof"]["proofValue"]
        .as_str()
        .expect("value")
        .to_owned();
    for altered in [
        format!("{}A{}", &value[..200], &value[201..]),
        value[..value.len() - 40].to_owned(),
        format!("z{}", &value[1..]),
    ] {
        let mut d = doc.clone();
        d["proof"]["proofValue"] = altered.into();
        assert!(fails(&d).is_some(), "an altered proof value verifies");
    }
}

#[test]
fn the_specifications_base_proof_verifies() {
    let doc = vector("addSignedSDBase.json");
    let v = di()
        .verify(&doc, &KeyResolver::new(), &VerifyOptions::default())
        .expect("verifies");
    assert_eq!(v.proofs[0].suite, Suite::EcdsaSd2023);
}

#[test]
fn a_base_credential_changed_in_any_way_fails() {
    let doc = vector("addSignedSDBase.json");
    for (what, pointer, value) in [
        // Mandatory statements (under the issuer's base signature).
        (
            "a mandatory value",
            "/credentialSubject/sailNumber",
            Value::from("Earth102"),
        ),
        (
            "a mandatory object's value",
            "/credentialSubject/sails/1/year",
            Value::from(2021),
        ),
        (
            "the issuer",
            "/issuer",
            Value::from("https://vc.example/another"),
        ),
        // Non-mandatory ones (each under its ephemeral signature).
        (
            "a non-mandatory value",
            "/credentialSubject/sails/0/sailName",
            Value::from("Kanaha"),
        ),
        (
            "a board",
            "/credentialSubject/boards/1/year",
            Value::from(2020),
        ),
    ] {
        let mut d = doc.clone();
        *d.pointer_mut(pointer).expect("pointer") = value;
        assert!(fails(&d).is_some(), "{what} changed, and it still verifies");
    }
    // A statement removed: one signature too many.
    let mut d = doc.clone();
    d["credentialSubject"]["boards"]
        .as_array_mut()
        .expect("boards")
        .pop();
    assert!(fails(&d).is_some(), "a dropped board still verifies");
    // A base proof whose mandatory pointer selects nothing is refused as malformed, not
    // passed.
    let mut d = doc.clone();
    d["credentialSubject"]
        .as_object_mut()
        .expect("subject")
        .remove("sailNumber");
    // (Malformed proofs report as `Parse`: the signatures were never reached.)
    assert_eq!(fails(&d), Some(Check::Parse));
}
