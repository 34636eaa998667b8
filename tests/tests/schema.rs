//! An award validates against the Open Badges 3.0 JSON Schema in the conformance folder.
//!
//! That schema (`ob_v3p0_achievementcredential_schema_draft4.json`) predates OB 3.0.3 on VC
//! Data Model 2.0, and disagrees with what the issue and the 3.0.3 context require in exactly
//! three places:
//! - it requires `issuanceDate`, which VC 2.0 replaced with `validFrom` and whose term the VC
//!   2.0 context does not define (a JSON-LD safe-mode verifier would reject the award);
//! - its `CredentialStatus` allows only `id` and `type`, so no `BitstringStatusListEntry` (the
//!   VC 2.0 revocation method, which needs `statusPurpose`, `statusListIndex`,
//!   `statusListCredential`) can pass;
//! - its `identityType` enumeration lacks `name`, which OB 3.0.3 added for the earner's name.
//!
//! So the award is checked twice: against the schema as published, where the errors must be
//! exactly those three; and against the same schema with those three points brought to VC 2.0 /
//! OB 3.0.3, where there must be none. Any other deviation fails the test.

use credreg_tests::{conformance, contexts, samples, TestNode};
use serde_json::{json, Value};

#[tokio::test]
async fn award_matches_ob3_json_schema() {
    let Some(dir) = conformance() else { return };
    let path = dir.join("ob3-examples/schema/ob_v3p0_achievementcredential_schema_draft4.json");
    let schema: Value =
        serde_json::from_slice(&std::fs::read(&path).expect("schema")).expect("json");
    let n = TestNode::new("Kettle Moraine School District", 9, contexts(&dir));
    let wait = n.publish(&samples::wait_time()).await;
    let (award, _) = n.award(&wait, "ana@kmsd.edu").await;

    let as_published = jsonschema::draft4::new(&schema).expect("schema compiles");
    let mut errors: Vec<String> = as_published
        .iter_errors(&award)
        .map(|e| e.to_string())
        .collect();
    errors.sort();
    assert_eq!(errors.len(), 3, "{errors:#?}");
    assert!(
        errors[0].contains("\"issuanceDate\" is a required property"),
        "{errors:#?}"
    );
    assert!(
        errors[1].contains("\"name\" is not valid under any of the schemas"),
        "{errors:#?}"
    );
    assert!(
        errors[2].contains("'statusPurpose', 'statusListIndex', 'statusListCredential'"),
        "{errors:#?}"
    );

    let mut vc2 = schema.clone();
    let required = vc2["required"].as_array_mut().expect("required");
    required.retain(|r| r != "issuanceDate");
    required.push("validFrom".into());
    let status = &mut vc2["$defs"]["CredentialStatus"]["properties"];
    for p in ["statusPurpose", "statusListIndex", "statusListCredential"] {
        status[p] = json!({"type": "string"});
    }
    vc2["$defs"]["IdentityObject"]["properties"]["identityType"]["anyOf"][0]["enum"]
        .as_array_mut()
        .expect("enum")
        .push("name".into());
    let validator = jsonschema::draft4::new(&vc2).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&award)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}
