//! Property: for generated awards, re-spelling any field in an RDF-equivalent way (one or
//! several at once) never changes the verdict or any check's outcome. The proof covers the
//! RDF, so this is what makes the checks judge what was signed.

use credreg_model::{Evidence, Recipient};
use credreg_node::AwardRequest;
use credreg_tests::{conformance, contexts, respell, samples, TestNode};
use proptest::prelude::*;
use serde_json::Value;

fn outcome(report: &credreg_node::VerifyReport) -> (String, Vec<(String, String)>) {
    let c = &report.credentials[0];
    (
        c.verdict.as_str().to_owned(),
        c.checks
            .iter()
            .map(|k| (k.check.to_owned(), format!("{:?}", k.status)))
            .collect(),
    )
}

#[test]
fn respelling_an_award_never_changes_its_verdict() {
    let Some(dir) = conformance() else { return };
    let km = TestNode::new("Kettle Moraine School District", 31, contexts(&dir));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let wait = runtime.block_on(km.publish(&samples::wait_time()));
    let edits = respell::all();
    let config = ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(
        name in proptest::option::of("[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ' .-]{0,29}[a-zà-ÿ]"),
        user in "[a-z][a-z0-9.]{0,15}",
        evidence in proptest::collection::vec("[a-z0-9-]{1,12}", 0..3),
        revoke in any::<bool>(),
        picks in proptest::collection::vec(0..edits.len(), 1..4),
    )| {
        let request = AwardRequest {
            credential_id: wait.clone(),
            recipient: Recipient { email: format!("{user}@kmsd.edu"), name },
            evidence: evidence
                .iter()
                .map(|e| Evidence {
                    id: format!("https://portfolio.kmsd.edu/{e}"),
                    name: Some(format!("Artifact {e}")),
                    description: None,
                })
                .collect(),
            review: None,
            reviewed: Default::default(),
        };
        let issued = km.node.issue_awards(&[request]).expect("issues");
        let award: Value = serde_json::from_slice(&issued[0].bytes).expect("json");
        if revoke {
            km.node.revoke(&issued[0].id, "Evidence was not the teacher's own.").expect("revokes");
        }
        let before = outcome(&km.node.verify(&award).expect("verifies"));
        prop_assert_eq!(&before.0, if revoke { "revoked" } else { "valid" });
        let mut edited = award.clone();
        let mut applied = Vec::new();
        for &i in &picks {
            let (what, edit) = edits[i];
            edit(&mut edited);
            applied.push(what);
        }
        let after = outcome(&km.node.verify(&edited).expect("verifies"));
        prop_assert_eq!(before, after, "after {:?}", applied);
    });
}

/// The same property for offline bundles: a wallet that re-spells the award inside a bundle
/// (or re-serializes it) changes nothing, because the bundle is judged by the node's checks,
/// over the signed facts, and its receipt records the award's canonical digest.
#[test]
fn respelling_an_award_inside_its_bundle_never_changes_its_verdict() {
    let Some(dir) = conformance() else { return };
    let km = TestNode::new("Kettle Moraine School District", 32, contexts(&dir));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let wait = runtime.block_on(km.publish(&samples::wait_time()));
    let di = km.node.data_integrity().clone();
    let edits = respell::all();
    let now = km.node.now();
    let config = ProptestConfig {
        cases: 24,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(
        user in "[a-z][a-z0-9.]{0,15}",
        revoke in any::<bool>(),
        picks in proptest::collection::vec(0..edits.len(), 1..4),
    )| {
        let request = AwardRequest {
            credential_id: wait.clone(),
            recipient: Recipient { email: format!("{user}@kmsd.edu"), name: None },
            evidence: Vec::new(),
            review: None,
            reviewed: Default::default(),
        };
        let issued = km.node.issue_awards(&[request]).expect("issues");
        if revoke {
            km.node.revoke(&issued[0].id, "Issued to the wrong teacher.").expect("revokes");
        }
        let bundle = km.node.award_bundle(&issued[0].id).expect("reads").expect("a bundle");
        let bundle = serde_json::to_value(&bundle).expect("JSON");
        let judge = |doc: &Value| {
            let r = credreg_node::verify::bundle::verify_bundle(&di, doc, &[], now);
            let checks: Vec<(String, String)> = r
                .checks
                .iter()
                .map(|k| (k.check.to_owned(), format!("{:?}", k.status)))
                .collect();
            (r.verdict.as_str().to_owned(), checks)
        };
        let before = judge(&bundle);
        prop_assert_eq!(&before.0, if revoke { "revoked" } else { "valid" });
        let mut edited = bundle.clone();
        let mut applied = Vec::new();
        for &i in &picks {
            let (what, edit) = edits[i];
            edit(&mut edited["credential"]);
            applied.push(what);
        }
        prop_assert_eq!(before, judge(&edited), "after {:?}", applied);
    });
}
