//! Node use cases end to end over a temporary store, with the conformance contexts installed.

use credreg_model::{parse_validated, CredentialDef, Recipient};
use credreg_node::{contexts_dir, AwardRequest, Node, NodeError, NodeSettings, Verdict};
use credreg_proof::{ContextStore, SigningKey};
use credreg_store::Store;
use serde_json::Value;

/// A node with the conformance contexts (the OB 3.0.3 one among them), if present.
fn node_with_conformance() -> Option<Node> {
    let dir = credreg_testkit::conformance()?.join("contexts");
    let mut contexts = ContextStore::with_builtins();
    contexts_dir::add_from_dir(&mut contexts, &dir).expect("contexts");
    Some(node_with(contexts))
}

fn node_with(contexts: ContextStore) -> Node {
    Node::open(
        Store::temporary().expect("store"),
        SigningKey::from_bytes(&[7u8; 32]),
        NodeSettings {
            name: "Juab School District".into(),
            public_url: "http://127.0.0.1:8080".into(),
            ..Default::default()
        },
        contexts,
    )
    .expect("node")
}

const WAIT_TIME: &str = r#"{
  "name": "Wait Time After Discussion Questions",
  "description": "Uses deliberate wait time after posing a discussion question so every student can think.",
  "criteria": {"narrative": "Submit a lesson plan, a 10-minute classroom video and a reflection."},
  "competency": "Questioning",
  "rubric": {"criteria": [{"name": "Wait time", "levels": [{"name": "Not yet"}, {"name": "Proficient", "passing": true}]}]},
  "local_value": {"amount": 200, "unit": "dollars"}
}"#;

fn award_request(credential_id: &str) -> AwardRequest {
    AwardRequest {
        credential_id: credential_id.into(),
        recipient: Recipient {
            email: "ana.ruiz@juab.k12.ut.us".into(),
            name: Some("Ana Ruiz".into()),
        },
        evidence: vec![],
        review: None,
        reviewed: Default::default(),
    }
}

#[test]
fn publish_issue_verify_revoke() {
    let Some(node) = node_with_conformance() else {
        return;
    };
    let def: CredentialDef = parse_validated(WAIT_TIME.as_bytes()).expect("valid def");
    let published = node.publish_definition(def).expect("publish");

    let awards = node
        .issue_awards(&[award_request(&published.id)])
        .expect("issue");
    let award: Value = serde_json::from_slice(&awards[0].bytes).expect("json");
    assert_eq!(
        node.award(&awards[0].id).expect("get"),
        Some(awards[0].bytes.clone())
    );
    let report = node.verify(&award).expect("verify");
    let r = &report.credentials[0];
    assert_eq!(r.verdict, Verdict::Valid, "{:#?}", r.checks);
    assert_eq!(r.issuer.status, "this_node");

    // Tampering fails the proof.
    let mut tampered = award.clone();
    tampered["name"] = "Something Else".into();
    let r = &node.verify(&tampered).expect("verify").credentials[0];
    assert_eq!(r.verdict, Verdict::Invalid);
    assert_eq!(r.checks[1].code, Some("signature"));

    node.revoke(&awards[0].id, "evidence was not the teacher's own")
        .expect("revoke");
    assert!(matches!(
        node.revoke(&awards[0].id, "again"),
        Err(NodeError::Conflict(_))
    ));
    let r = &node.verify(&award).expect("verify").credentials[0];
    assert_eq!(r.verdict, Verdict::Revoked);
    assert!(r
        .reason
        .as_deref()
        .unwrap_or("")
        .contains("not the teacher's own"));

    // The signed status list verifies and carries the bit.
    let list: Value =
        serde_json::from_slice(&node.status_list_credential(0).expect("list")).expect("json");
    let r = &node.verify(&list).expect("verify").credentials[0];
    assert_eq!(r.checks[1].status, credreg_node::CheckStatus::Pass);
    let bits = credreg_node::issue::status_list::decode_list(
        list["credentialSubject"]["encodedList"]
            .as_str()
            .expect("encodedList"),
    )
    .expect("decode");
    assert_eq!(bits.len(), 16_384);
    assert!(credreg_store::bit_is_set(&bits, 0));
}

#[test]
fn issuance_without_the_badge_context_names_it() {
    let node = node_with(ContextStore::with_builtins());
    assert_eq!(node.missing_contexts(), [credreg_model::OB_V3]);
    let def: CredentialDef = parse_validated(WAIT_TIME.as_bytes()).expect("valid def");
    let published = node
        .publish_definition(def)
        .expect("publish works without OB context");
    match node.issue_awards(&[award_request(&published.id)]) {
        Err(NodeError::ContextMissing { url }) => assert_eq!(url, credreg_model::OB_V3),
        other => panic!("expected ContextMissing, got {other:?}"),
    }
    assert_eq!(node.store().award_count(), 0);
}

#[test]
fn awards_for_unknown_credentials_are_refused_whole() {
    let node = node_with(ContextStore::with_builtins());
    let def: CredentialDef = parse_validated(WAIT_TIME.as_bytes()).expect("valid def");
    let published = node.publish_definition(def).expect("publish");
    let mut bad = award_request(&"f".repeat(64));
    bad.recipient.email = "not-an-email".into();
    match node.issue_awards(&[award_request(&published.id), bad]) {
        Err(NodeError::Invalid(inv)) => {
            let fields: Vec<_> = inv.0.iter().map(|f| f.field.as_str()).collect();
            assert_eq!(fields, ["[1].recipient.email", "[1].credential_id"]);
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
    assert_eq!(node.store().award_count(), 0);
}

#[test]
fn bulk_issuance_commits_batches_in_order_and_reports_partial_failure() {
    let Some(node) = node_with_conformance() else {
        return;
    };
    let def: CredentialDef = parse_validated(WAIT_TIME.as_bytes()).expect("valid def");
    let id = node.publish_definition(def).expect("publish").id;
    let rows: Vec<AwardRequest> = (0..7).map(|_| award_request(&id)).collect();
    let seen = std::sync::atomic::AtomicUsize::new(0);
    let issued = node
        .issue_bulk(&rows, 3, |n| {
            seen.fetch_add(n, std::sync::atomic::Ordering::SeqCst);
        })
        .expect("bulk");
    assert_eq!(issued.len(), 7);
    assert_eq!(seen.into_inner(), 7);
    let indexes: Vec<String> = issued
        .iter()
        .map(|a| {
            let v: Value = serde_json::from_slice(&a.bytes).expect("json");
            v["credentialStatus"]["statusListIndex"]
                .as_str()
                .expect("index")
                .to_owned()
        })
        .collect();
    assert_eq!(indexes, ["0", "1", "2", "3", "4", "5", "6"]);

    let mut bad = rows.clone();
    bad[4].recipient.email = "nope".into();
    let failure = node.issue_bulk(&bad, 3, |_| {}).expect_err("row 4 is bad");
    assert_eq!((failure.batch_offset, failure.issued), (3, 3));
    assert_eq!(node.store().award_count(), 10);
}

/// A badge whose revocation status cannot be checked (an issuer this node trusts but does not
/// replicate; its status list is elsewhere) is "could not check", never valid; a transfer
/// report does not credit it unless the district's setting says so.
#[test]
fn a_status_that_cannot_be_checked_is_said_and_not_credited() {
    let Some(dir) = credreg_testkit::conformance() else {
        return;
    };
    let contexts = || {
        let mut c = ContextStore::with_builtins();
        contexts_dir::add_from_dir(&mut c, &dir.join("contexts")).expect("contexts");
        c
    };
    let issuer = node_with(contexts());
    let def: CredentialDef = parse_validated(WAIT_TIME.as_bytes()).expect("valid def");
    let id = issuer.publish_definition(def).expect("publish").id;
    let award = issuer.issue_awards(&[award_request(&id)]).expect("issue");
    let badge: Value = serde_json::from_slice(&award[0].bytes).expect("json");
    let neighbour = |credit_unchecked_status: bool| {
        Node::open(
            Store::temporary().expect("store"),
            SigningKey::from_bytes(&[8u8; 32]),
            NodeSettings {
                name: "Lake County Schools".into(),
                public_url: "http://127.0.0.1:8081".into(),
                federation: credreg_node::FederationSettings {
                    allow: vec![issuer.did().to_owned()],
                    ..Default::default()
                },
                credit_unchecked_status,
                ..Default::default()
            },
            contexts(),
        )
        .expect("node")
    };
    let strict = neighbour(false);
    let report = strict.verify(&badge).expect("verify");
    let c = &report.credentials[0];
    assert_eq!(c.verdict, Verdict::CouldNotCheck, "{c:?}");
    assert!(c.trusted);
    assert!(
        c.reason
            .as_deref()
            .is_some_and(|r| r.contains("could not be checked")),
        "{c:?}"
    );
    assert_eq!(report.summary.could_not_check, 1);
    assert_eq!(report.summary.valid, 0);
    let doc = serde_json::json!({ "credentials": [badge] });
    let input = credreg_node::value::transfer::transfer_input(&doc).expect("input");
    let r = strict.transfer_report(&input, None).expect("report");
    assert_eq!(
        r.badges[0].reason,
        Some(credreg_node::value::transfer::Reason::StatusUnchecked),
        "{:?}",
        r.badges[0]
    );
    // Where the district credits such badges, the badge goes on to the next question: here,
    // that the neighbour does not hold the credential's definition.
    let lenient = neighbour(true);
    let r = lenient.transfer_report(&input, None).expect("report");
    assert_eq!(
        r.badges[0].reason,
        Some(credreg_node::value::transfer::Reason::UnknownCredential),
        "{:?}",
        r.badges[0]
    );
}
