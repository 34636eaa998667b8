//! A node built from fixed keys, a fixed clock, seeded ids and fixed inputs writes exactly
//! the bytes in `tests/golden/node.txt`: every log entry (profile, definitions, stack, award
//! receipts, revocation, quality standard, endorsement), the awards, the status
//! list credential and the checkpoint. Moving code between crates and modules must not
//! change any of them; a deliberate format change regenerates the file with
//! `CREDREG_BLESS=1 cargo test -p credreg-tests --test golden` and says why in its commit.

use credreg_model::{CredentialDef, Recipient, Stack};
use credreg_node::clock::{Environment, ManualClock, SeededEntropy};
use credreg_node::{AwardRequest, Node, NodeSettings};
use credreg_proof::SigningKey;
use credreg_store::Store;
use credreg_tests::{conformance, contexts, samples};
use std::fmt::Write as _;
use std::sync::Arc;

fn build(dir: &std::path::Path) -> String {
    let env = Environment {
        // 2026-09-01T08:00:00Z, one second further at every reading.
        clock: Arc::new(ManualClock::stepping(1_788_249_600, 1)),
        entropy: Arc::new(SeededEntropy::new(20_260_901)),
    };
    let node = Node::open(
        Store::temporary().expect("store"),
        SigningKey::from_bytes(&[61; 32]),
        NodeSettings {
            name: "Juab School District".into(),
            public_url: "http://node-61.test".into(),
            env,
            ..NodeSettings::default()
        },
        contexts(dir),
    )
    .expect("node");
    let def = |v: serde_json::Value| -> CredentialDef { serde_json::from_value(v).expect("def") };
    let wait = node
        .publish_definition(def(samples::wait_time()))
        .expect("wait time");
    let growth = node
        .publish_definition(def(samples::growth_mindset()))
        .expect("growth mindset");
    let stack: Stack = serde_json::from_value(serde_json::json!({
        "name": "Classroom Discourse", "rule": {"kind": "all_of"},
        "credentials": [wait.id, growth.id], "value": {"amount": 600, "unit": "dollars"}
    }))
    .expect("stack");
    node.publish_stack(stack).expect("stack publishes");
    let request = |credential: &str, email: &str, name: &str| AwardRequest {
        credential_id: credential.to_owned(),
        recipient: Recipient {
            email: email.into(),
            name: Some(name.into()),
        },
        evidence: Vec::new(),
        review: None,
        reviewed: Default::default(),
    };
    let awards = node
        .issue_awards(&[
            request(&wait.id, "ana.ruiz@juab.k12.ut.us", "Ana Ruiz"),
            request(&growth.id, "ana.ruiz@juab.k12.ut.us", "Ana Ruiz"),
            request(&wait.id, "ben.ortiz@juab.k12.ut.us", "Ben Ortiz"),
        ])
        .expect("awards");
    node.revoke(&awards[2].id, "Issued to the wrong teacher.")
        .expect("revokes");
    let standard = node
        .publish_quality_standard(
            serde_json::from_value(serde_json::json!({
                "name": "Research-based",
                "rules": [{"rule": "cites_research", "min": 1}]
            }))
            .expect("standard"),
        )
        .expect("standard publishes");
    node.endorse(
        &wait.id,
        Some(standard.id.clone()),
        "Adopted by our committee.",
    )
    .expect("endorses");

    let mut out = String::new();
    let did = node.did().to_owned();
    let _ = writeln!(out, "== issuer {did}");
    for (i, bytes) in node.log_entries(&did, 0, None).expect("entries") {
        let _ = writeln!(out, "== log entry {i}\n{}", String::from_utf8_lossy(&bytes));
    }
    for a in &awards {
        let _ = writeln!(
            out,
            "== award {}\n{}",
            a.id,
            String::from_utf8_lossy(&a.bytes)
        );
    }
    let list = node.status_list_credential(0).expect("status list");
    let _ = writeln!(out, "== status list 0\n{}", String::from_utf8_lossy(&list));
    let (_, checkpoint) = node
        .store()
        .checkpoint(&did)
        .expect("read")
        .expect("checkpoint");
    let _ = writeln!(
        out,
        "== checkpoint\n{}",
        String::from_utf8_lossy(&checkpoint)
    );
    out
}

#[test]
fn fixed_inputs_write_the_golden_bytes() {
    let Some(dir) = conformance() else { return };
    let produced = build(&dir);
    assert_eq!(
        produced,
        build(&dir),
        "the same inputs must give the same bytes"
    );
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("golden/node.txt");
    if std::env::var_os("CREDREG_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
        std::fs::write(&path, &produced).expect("write golden");
        return;
    }
    let golden = std::fs::read_to_string(&path).expect("tests/golden/node.txt");
    if produced != golden {
        let first = produced
            .lines()
            .zip(golden.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "the node's bytes changed at line {}:\n produced: {}\n golden:   {}",
            first + 1,
            produced.lines().nth(first).unwrap_or(""),
            golden.lines().nth(first).unwrap_or("")
        );
    }
}
