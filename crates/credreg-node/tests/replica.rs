//! Replication from untrusted peers, without a network: whatever a peer sends is judged,
//! nothing bad is stored, and nothing panics.

use credreg_model::{CredentialDef, Membership};
use credreg_node::replica::{EvidenceJson, GossipVerdict, Refusal, Target};
use credreg_node::{FederationSettings, Node, NodeSettings};
use credreg_proof::{ContextStore, SigningKey};
use credreg_store::Store;
use credreg_wire::sync::{SyncRequest, SyncResponse};
use proptest::prelude::*;
use serde_json::json;

fn did(seed: u8) -> String {
    credreg_proof::keys::did_key(&SigningKey::from_bytes(&[seed; 32]).verifying_key())
}

/// A node of federation `wi` anchored on seed 1.
fn node(seed: u8) -> Node {
    Node::open(
        Store::temporary().expect("store"),
        SigningKey::from_bytes(&[seed; 32]),
        NodeSettings {
            credit_unchecked_status: false,
            name: format!("node {seed}"),
            public_url: format!("http://node-{seed}.test"),
            kind: if seed == 1 { "state" } else { "district" }.into(),
            federation: FederationSettings {
                name: "wi".into(),
                anchors: vec![did(1)],
                ..Default::default()
            },
            peer_id: None,
            env: Default::default(),
        },
        ContextStore::with_builtins(),
    )
    .expect("node")
}

fn def(name: &str) -> CredentialDef {
    CredentialDef::new(
        name,
        "Leads a structured classroom discussion.",
        "Submit a lesson plan and a reflection.",
    )
}

/// The whole log of `origin` as an announcement.
fn announce(origin: &Node, from: u64) -> Vec<u8> {
    let cp = origin.checkpoint(origin.did()).expect("cp").expect("some");
    let entries: Vec<String> = origin
        .store()
        .log_entries(origin.did(), from, cp.size)
        .expect("entries")
        .into_iter()
        .map(|(_, b)| String::from_utf8(b).expect("utf-8"))
        .collect();
    serde_json::to_vec(&json!({"announce": {"checkpoint": cp, "from": from, "entries": entries}}))
        .expect("json")
}

fn target_of(origin: &Node) -> Target {
    let cp = origin.checkpoint(origin.did()).expect("cp").expect("some");
    Target {
        checkpoint: cp.to_signed().expect("signed"),
        bytes: serde_json::to_vec(&cp).expect("json"),
    }
}

/// A state that vouches for seed 2, and a replica (seed 3) that has its log.
fn trusted_pair() -> (Node, Node, Node) {
    let state = node(1);
    state
        .publish_membership(Membership {
            member: did(2),
            federation: "wi".into(),
            role: "district".into(),
            valid_from: "2026-01-01T00:00:00Z".into(),
            valid_until: None,
        })
        .expect("membership");
    let juab = node(2);
    let replica = node(3);
    let o = replica.on_gossip(&announce(&state, 0));
    assert_eq!(o.verdict(), GossipVerdict::Accept, "{}", o.note);
    assert!(o.trust_changed);
    (state, juab, replica)
}

#[test]
fn a_members_log_replicates_and_a_tampered_page_changes_nothing() {
    let (_state, juab, replica) = trusted_pair();
    juab.publish_definition(def("Wait Time")).expect("publish");
    let target = target_of(&juab);
    let entries: Vec<Vec<u8>> = juab
        .store()
        .log_entries(juab.did(), 0, target.size())
        .expect("entries")
        .into_iter()
        .map(|(_, b)| b)
        .collect();

    // One byte changed in a signed record: the signature fails, nothing is stored.
    let mut tampered = entries.clone();
    let last = tampered.last_mut().expect("entry");
    let at = last.len() / 2;
    last[at] = if last[at] == b'a' { b'b' } else { b'a' };
    let err = replica
        .apply_entries(&target, 0, tampered, &[])
        .expect_err("tampered");
    assert!(
        matches!(err, credreg_node::replica::ApplyError::Bad(_)),
        "{err}"
    );
    // Entries of the right issuer in the wrong order: the root does not match.
    let mut reordered = entries.clone();
    reordered.reverse();
    assert!(replica.apply_entries(&target, 0, reordered, &[]).is_err());
    assert_eq!(replica.store().log_size(juab.did()).expect("size"), 0);

    let o = replica
        .apply_entries(&target, 0, entries, &[])
        .expect("applies");
    assert_eq!(o.stored, target.size());
    assert_eq!(
        replica.store().log_size(juab.did()).expect("size"),
        target.size()
    );
    assert_eq!(replica.definition_count().expect("count"), 1);
    // The same announcement again is harmless and not forwarded.
    let o = replica.on_gossip(&announce(&juab, 0));
    assert_eq!(o.verdict(), GossipVerdict::Ignore, "{}", o.note);
}

#[test]
fn records_of_an_unvouched_issuer_are_refused() {
    let (_state, _juab, replica) = trusted_pair();
    let stranger = node(9);
    stranger
        .publish_definition(def("Instant Expert"))
        .expect("publish");
    let o = replica.on_gossip(&announce(&stranger, 0));
    assert_eq!(o.refusal, Some(Refusal::Untrusted));
    assert_eq!(replica.store().log_size(stranger.did()).expect("size"), 0);
}

#[test]
fn a_fork_of_the_same_size_is_evidence_anyone_can_check() {
    let (_state, juab, replica) = trusted_pair();
    juab.publish_definition(def("Fork A")).expect("publish");
    let o = replica.on_gossip(&announce(&juab, 0));
    assert_eq!(o.verdict(), GossipVerdict::Accept, "{}", o.note);
    // The same key signs another log of the same size.
    let twin = node(2);
    twin.publish_definition(def("Fork B")).expect("publish");
    assert_eq!(
        twin.store().log_size(twin.did()).expect("size"),
        juab.store().log_size(juab.did()).expect("size")
    );
    let o = replica.on_gossip(&announce(&twin, 0));
    let evidence = o.evidence.expect("evidence");
    let found = replica.evidence_about(juab.did()).expect("held");
    assert_eq!(found.len(), 1);
    assert!(credreg_node::replica::verify_evidence(&found[0]).is_ok());
    // Gossiped evidence convinces a node that never saw either fork...
    let other = trusted_pair().2;
    let o = other.on_gossip(&evidence);
    assert_eq!(o.verdict(), GossipVerdict::Accept, "{}", o.note);
    assert_eq!(other.evidence_about(juab.did()).expect("held").len(), 1);
    // ...and doctored evidence does not.
    let mut fake: EvidenceJson = found[0].clone();
    fake.second = fake.first.clone();
    let o = other.on_gossip(&serde_json::to_vec(&json!({"evidence": fake})).expect("json"));
    assert_eq!(o.refusal, Some(Refusal::Forged));
}

#[test]
fn sync_requests_out_of_range_get_an_error() {
    let (state, _juab, replica) = trusted_pair();
    let size = replica.store().log_size(state.did()).expect("size");
    for request in [
        SyncRequest::Entries {
            issuer: state.did().into(),
            from: 0,
            to: 10,
            prove_to: size + 1,
        },
        SyncRequest::Entries {
            issuer: state.did().into(),
            from: u64::MAX - 1,
            to: u64::MAX,
            prove_to: u64::MAX,
        },
        SyncRequest::Entries {
            issuer: "did:key:nobody".into(),
            from: 0,
            to: 1,
            prove_to: 1,
        },
        SyncRequest::Consistency {
            issuer: state.did().into(),
            old: 5,
            new: 1,
        },
    ] {
        assert!(
            matches!(replica.serve_sync(request.clone()), SyncResponse::Error(_)),
            "{request:?}"
        );
    }
    match replica.serve_sync(SyncRequest::Entries {
        issuer: state.did().into(),
        from: 0,
        to: 1,
        prove_to: size,
    }) {
        SyncResponse::Entries { entries, proof } => {
            assert_eq!(entries.len(), 1);
            assert!(!proof.is_empty(), "a proof from 1 to {size}");
        }
        other => panic!("{other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Arbitrary bytes, and announcements with arbitrary numbers, never panic and never
    /// store anything.
    #[test]
    fn arbitrary_gossip_is_refused_without_storing(
        bytes in proptest::collection::vec(any::<u8>(), 0..512),
        size in any::<u64>(),
        from in any::<u64>(),
        timestamp in any::<u64>(),
    ) {
        let replica = node(5);
        let before: Vec<_> = replica.store().checkpoints().collect::<Result<_, _>>().expect("cps");
        let o = replica.on_gossip(&bytes);
        prop_assert!(o.verdict() != GossipVerdict::Accept);
        let cp = json!({"issuer": did(2), "size": size, "root": "00".repeat(32),
            "timestamp": timestamp, "key": "11".repeat(32), "signature": "22".repeat(64)});
        let msg = json!({"announce": {"checkpoint": cp, "from": from, "entries": ["{}"]}});
        let o = replica.on_gossip(&serde_json::to_vec(&msg).expect("json"));
        prop_assert!(o.refusal.is_some());
        let after: Vec<_> = replica.store().checkpoints().collect::<Result<_, _>>().expect("cps");
        prop_assert_eq!(before, after);
        prop_assert_eq!(replica.store().log_size(&did(2)).expect("size"), 0);
    }
}

/// A member's record that is genuinely signed but whose body is not a valid record of its
/// kind (a buggy or hostile node wrote it) is refused at replication: nothing of the page is
/// stored, so every reader can trust the records it holds.
#[test]
fn a_signed_record_with_a_malformed_body_is_refused() {
    let (_state, juab, replica) = trusted_pair();
    let key = SigningKey::from_bytes(&[2; 32]);
    let di = credreg_proof::DataIntegrity::new(credreg_proof::Canonicalizer::new(
        std::sync::Arc::new(ContextStore::with_builtins()),
    ));
    for (kind, body) in [
        ("QualityStandard", json!({"name": "No rules field"})),
        (
            "Recognition",
            json!({"name": "x", "applies_to": {"kind": "everything"}}),
        ),
        ("IssuerProfile", json!({"name": 7})),
    ] {
        let doc = json!({"type": kind, "issuer": juab.did(), "issued": "2026-11-30T10:00:00Z", "body": body});
        let signed = di
            .sign(
                &doc,
                &key,
                &credreg_proof::SignOptions::assertion(
                    credreg_proof::Suite::EddsaJcs2022,
                    credreg_proof::keys::did_key_method(&key.verifying_key()),
                    "2026-11-30T10:00:00Z",
                ),
            )
            .expect("sign");
        let bytes = credreg_proof::canon::jcs(&signed).expect("jcs");
        juab.store()
            .put_record(&credreg_store::NewRecord {
                kind: credreg_model::RecordKind::parse(kind).expect("kind"),
                issuer: juab.did().to_owned(),
                bytes,
            })
            .expect("stored at the origin");
    }
    // A definition after them makes the origin sign a checkpoint covering everything.
    juab.publish_definition(def("Wait Time")).expect("publish");
    let o = replica.on_gossip(&announce(&juab, 0));
    assert_eq!(o.verdict(), GossipVerdict::Reject, "{}", o.note);
    assert!(o.note.contains("does not decode"), "{}", o.note);
    assert_eq!(replica.store().log_size(juab.did()).expect("size"), 0);
    assert_eq!(replica.definition_count().expect("count"), 0);
}
