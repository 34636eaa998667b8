//! The router in one function, and the OpenAPI document generated from the handlers.

use crate::AppState;
use serde_json::Value;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "credreg",
        description = "A federated registry node for teacher micro-credentials: catalog, Open Badges 3.0 awards, revocation, verification."
    ),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub(crate) fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(crate::node_routes::healthz))
        .routes(routes!(crate::node_routes::node_info))
        .routes(routes!(crate::node_routes::backup))
        .routes(routes!(
            crate::catalog::search_credentials,
            crate::catalog::publish_credential
        ))
        .routes(routes!(crate::catalog::get_credential))
        .routes(routes!(crate::catalog::publish_stack))
        .routes(routes!(crate::catalog::get_stack))
        .routes(routes!(crate::awards::issue_award))
        .routes(routes!(crate::awards::get_award))
        .routes(routes!(crate::awards::get_award_bundle))
        .routes(routes!(crate::awards::revoke_award))
        .routes(routes!(crate::awards::get_status_list))
        .routes(routes!(crate::awards::verify))
        .routes(routes!(crate::log_routes::log_checkpoint))
        .routes(routes!(crate::log_routes::log_entries))
        .routes(routes!(crate::log_routes::log_inclusion))
        .routes(routes!(crate::log_routes::log_consistency))
        .routes(routes!(crate::federation::publish_membership))
        .routes(routes!(
            crate::federation::publish_quality_standard,
            crate::federation::list_quality_standards
        ))
        .routes(routes!(crate::federation::evaluate_credential))
        .routes(routes!(crate::federation::publish_endorsement))
        .routes(routes!(crate::federation::list_issuers))
        .routes(routes!(crate::federation::list_peers))
        .routes(routes!(
            crate::transfer::publish_recognition,
            crate::transfer::list_recognitions
        ))
        .routes(routes!(crate::transfer::transfer_report))
        .routes(routes!(
            crate::review::invite_person,
            crate::review::list_people
        ))
        .routes(routes!(crate::review::invite_roster))
        .routes(routes!(crate::review::get_person))
        .routes(routes!(crate::review::set_calibration))
        .routes(routes!(crate::review::request_sign_in))
        .routes(routes!(
            crate::review::open_session,
            crate::review::list_sessions
        ))
        .routes(routes!(crate::review::end_session))
        .routes(routes!(crate::review::add_email))
        .routes(routes!(crate::review::verify_email))
        .routes(routes!(crate::review::set_password))
        .routes(routes!(
            crate::review::request_pre_approval,
            crate::review::list_pre_approvals
        ))
        .routes(routes!(crate::review::decide_pre_approval))
        .routes(routes!(
            crate::review::start_submission,
            crate::review::list_submissions
        ))
        .routes(routes!(crate::review::get_submission))
        .routes(routes!(crate::review::get_submission_record))
        .routes(routes!(crate::review::add_item))
        .routes(routes!(crate::review::remove_item))
        .routes(routes!(crate::review::submit))
        .routes(routes!(crate::review::withdraw))
        .routes(routes!(crate::evidence::get_evidence))
        .routes(routes!(crate::evidence::request_access))
        .routes(routes!(crate::evidence::list_access_requests))
        .routes(routes!(crate::evidence::decide_access))
        .routes(routes!(crate::evidence::get_review_evidence))
        .routes(routes!(crate::review::review_queue))
        .routes(routes!(crate::review::review_pool))
        .routes(routes!(crate::review::claim))
        .routes(routes!(crate::review::reassign_overdue))
        .routes(routes!(crate::review::get_review))
        .routes(routes!(crate::review::score_review))
        .routes(routes!(crate::review::review_figures))
        .routes(routes!(
            crate::review::set_calibration_set,
            crate::review::get_calibration_set
        ))
        .routes(routes!(crate::review::attempt_calibration))
        .routes(routes!(crate::review::publish_review_statistics))
        .routes(routes!(crate::review::outbox))
        .routes(routes!(crate::node_routes::metrics))
        .routes(routes!(crate::node_routes::openapi_json))
}

/// Evidence uploads: their own body bound and deadline (see `crate::router`).
pub(crate) fn upload_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(crate::evidence::upload_file))
}

/// The generated OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_router().merge(upload_router()).split_for_parts().1
}

/// The document as served: [`openapi`] with every answer the server itself can give written
/// down, so a client (or a fuzzer) meets no undocumented status or content type. Handlers
/// declare their own answers; the layers around them add these:
/// - every operation: 400 (a malformed path or query), 414, 431 and 500, as problem+json;
/// - operations with a request body: 408 (body deadline), 413 (body limit) and 422 (fields);
/// - operations that need a token: 401 and 403;
/// - operations with a path parameter: 404;
/// - every error answer, whoever declared it, as `application/problem+json` with the
///   `Problem` schema.
pub fn openapi_document() -> Value {
    let mut doc = serde_json::to_value(openapi()).unwrap_or(Value::Null);
    let problem = serde_json::json!({
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
    });
    let answer = |description: &str| serde_json::json!({"description": description, "content": problem.clone()});
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return doc;
    };
    for (path, item) in paths.iter_mut() {
        let has_path_param = path.contains('{');
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            if !["get", "post", "put", "delete", "patch"].contains(&method.as_str()) {
                continue;
            }
            let Some(op) = op.as_object_mut() else {
                continue;
            };
            let has_body = op.contains_key("requestBody");
            let secured = op
                .get("security")
                .and_then(Value::as_array)
                .is_some_and(|s| !s.is_empty());
            let responses = op
                .entry("responses")
                .or_insert_with(|| Value::Object(Default::default()));
            let Some(responses) = responses.as_object_mut() else {
                continue;
            };
            let mut add = |status: &str, description: &str| {
                responses
                    .entry(status.to_owned())
                    .or_insert_with(|| answer(description));
            };
            add("400", "Malformed request (path, query or body)");
            add("414", "Request target too long");
            add("431", "Request headers too large");
            add("500", "Internal error; nothing was changed");
            if method != "get" {
                add(
                    "429",
                    "Too many writes or sign-in attempts from this address; see Retry-After",
                );
                add("507", "The node's disk is full; nothing was changed");
            }
            if has_body {
                add("408", "The request body did not arrive in time");
                add("413", "Request body too large");
                add(
                    "422",
                    "The body is JSON but its fields are wrong (each one named)",
                );
            }
            if secured {
                add("401", "No valid bearer token");
                add("403", "The token's role may not do this");
            }
            if has_path_param {
                add("404", "Not found");
            }
            for (status, response) in responses.iter_mut() {
                let is_error = status.starts_with('4') || status.starts_with('5');
                if let (true, Some(r)) = (is_error, response.as_object_mut()) {
                    r.insert("content".into(), problem.clone());
                }
            }
        }
    }
    doc
}
