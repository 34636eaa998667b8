//! The served OpenAPI document says where each parameter goes and what every error looks like.

use credreg_tests::TestNode;

#[tokio::test]
async fn parameters_and_error_answers_are_documented() {
    let n = TestNode::new(
        "Lake County Schools",
        51,
        credreg_proof::ContextStore::with_builtins(),
    );
    let doc = n.get("/api/v1/openapi.json").await.json();
    let paths = doc["paths"].as_object().expect("paths");
    let mut operations = 0;
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("item") {
            operations += 1;
            for p in op["parameters"].as_array().into_iter().flatten() {
                let name = p["name"].as_str().expect("name");
                let placeholder = format!("{{{name}}}");
                let where_ = p["in"].as_str().expect("in");
                assert_eq!(
                    where_ == "path",
                    path.contains(&placeholder),
                    "{method} {path}: `{name}` is declared in {where_}"
                );
            }
            let responses = op["responses"].as_object().expect("responses");
            for status in ["400", "414", "431", "500"] {
                assert!(
                    responses.contains_key(status),
                    "{method} {path} lacks {status}"
                );
            }
            if op.get("security").is_some() {
                assert!(responses.contains_key("401") && responses.contains_key("403"));
            }
            for (status, r) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    assert!(
                        r["content"].get("application/problem+json").is_some(),
                        "{method} {path} {status}: {r}"
                    );
                    assert!(r["content"].get("application/json").is_none());
                }
            }
        }
    }
    assert!(operations > 25, "{operations}");
    let search = &doc["paths"]["/api/v1/credentials"]["get"]["parameters"];
    assert!(search
        .as_array()
        .expect("params")
        .iter()
        .all(|p| p["in"] == "query"));
}
