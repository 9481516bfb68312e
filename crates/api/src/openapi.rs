//! The OpenAPI 3.1 contract. Paths and schemas come from the handlers'
//! `#[utoipa::path]` through utoipa-actix-web; `Contract` then gives every
//! operation the parts that follow from the HTTP contract (security, problem
//! responses, If-Match / Idempotency-Key, ETag / Location), so a handler cannot
//! forget one.

use utoipa::openapi::path::{HttpMethod, Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, Header, OpenApi as Spec, Ref, RefOr, Required, ResponseBuilder,
};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_actix_web::AppExt;

use crate::error::{PROBLEM_JSON, Problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Rihla API",
        description = "System of record for migration-governance capacity-building programmes: \
projects, their activities, the migration dialogues a partner country takes part in, and the \
delegations it sends. Get a token at `POST /api/v1/auth/token`, then press **Authorize** and \
paste the `access_token`.\n\nErrors are RFC 9457 `application/problem+json`. Lists are \
keyset-paged: pass `next_cursor` back as `cursor`. Writes return an `ETag`; send it as \
`If-Match` to make sure nobody changed the record since you read it.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    tags(
        (name = "auth", description = "Tokens and the current user"),
        (name = "users", description = "User management (admin)"),
        (name = "organisations", description = "Ministries, agencies, donors and partners"),
        (name = "projects", description = "Donor-funded programmes"),
        (name = "activities", description = "Trainings, workshops and working sessions a project delivers"),
        (name = "dialogues", description = "International and regional migration dialogues"),
        (name = "meetings", description = "Meetings of a dialogue, and the calendar across dialogues"),
        (name = "delegations", description = "The delegations a country sends to dialogue meetings, and their workflow"),
        (name = "history", description = "The audit trail (admin) and the change feed for integrating systems; each record's own history is under its path"),
        (name = "health", description = "Liveness and readiness")
    ),
    components(schemas(Problem, rihla_domain::FieldError, rihla_domain::Reference))
)]
pub struct ApiDoc;

/// Operations anyone may call.
const PUBLIC: &[&str] = &[
    "/health",
    "/ready",
    "/api/v1/auth/token",
    "/api/v1/auth/refresh",
    "/api/v1/auth/logout",
];

struct Contract;

fn problem_response(description: &str) -> RefOr<utoipa::openapi::Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                PROBLEM_JSON,
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name(Problem::name())))
                    .build(),
            )
            .build(),
    )
}

const PROBLEMS: &[(&str, &str, &str)] = &[
    (
        "400",
        "BadRequest",
        "Malformed JSON, or a bad path or query parameter",
    ),
    (
        "401",
        "Unauthorized",
        "No valid bearer token (see WWW-Authenticate)",
    ),
    ("403", "Forbidden", "The caller's role is too low"),
    ("404", "NotFound", "No record with this id"),
    (
        "409",
        "Conflict",
        "A unique value is taken, other records still reference this one (`references`), or a status change the workflow does not allow (`current_state`, `allowed_next_states`)",
    ),
    (
        "412",
        "PreconditionFailed",
        "If-Match does not match the current ETag; nothing changed",
    ),
    (
        "413",
        "PayloadTooLarge",
        "The body is over the configured limit",
    ),
    (
        "415",
        "UnsupportedMediaType",
        "The body is not application/json",
    ),
    (
        "422",
        "Unprocessable",
        "Validation failed; `errors` lists every failing field",
    ),
    ("500", "Internal", "Unexpected failure; quote request_id"),
    (
        "503",
        "Unavailable",
        "The database is unavailable or busy; retry",
    ),
];

fn string_header(description: &str) -> RefOr<Header> {
    let mut h = Header::new(ObjectBuilder::new().schema_type(Type::String));
    h.description = Some(description.to_owned());
    RefOr::T(h)
}

fn header_param(name: &str, description: &str, pattern: &str) -> RefOr<Parameter> {
    RefOr::T(
        ParameterBuilder::new()
            .name(name)
            .parameter_in(ParameterIn::Header)
            .required(Required::False)
            .description(Some(description))
            .schema(Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(pattern)),
            ))
            .build(),
    )
}

impl Modify for Contract {
    fn modify(&self, spec: &mut Spec) {
        let components = spec.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("An access_token from POST /api/v1/auth/token"))
                    .build(),
            ),
        );
        for (_, name, description) in PROBLEMS {
            components
                .responses
                .insert((*name).to_owned(), problem_response(description));
        }

        for item in spec.paths.paths.values_mut() {
            merge_patch_schema(item, components);
        }

        for (path, item) in spec.paths.paths.iter_mut() {
            let public = PUBLIC.contains(&path.as_str());
            let has_id = path.contains('{');
            let ops: [(HttpMethod, &mut Option<Operation>); 5] = [
                (HttpMethod::Get, &mut item.get),
                (HttpMethod::Post, &mut item.post),
                (HttpMethod::Put, &mut item.put),
                (HttpMethod::Patch, &mut item.patch),
                (HttpMethod::Delete, &mut item.delete),
            ];
            for (method, op) in ops {
                let Some(op) = op.as_mut() else { continue };
                let is_write = !matches!(method, HttpMethod::Get);
                let has_body = op.request_body.is_some();
                let creates =
                    method == HttpMethod::Post && op.responses.responses.contains_key("201");
                let versioned = has_id
                    && (matches!(
                        method,
                        HttpMethod::Put | HttpMethod::Patch | HttpMethod::Delete
                    ) || (method == HttpMethod::Post && path.ends_with("/restore")));

                let mut statuses = vec!["400", "500", "503"];
                if !public {
                    statuses.extend(["401", "403"]);
                    op.security = Some(vec![SecurityRequirement::new(
                        "bearer",
                        Vec::<String>::new(),
                    )]);
                } else if path.starts_with("/api/v1/auth") {
                    statuses.push("401");
                }
                if has_id {
                    statuses.push("404");
                }
                if has_body {
                    statuses.extend(["413", "415", "422"]);
                }
                if is_write && !public {
                    statuses.push("409");
                }
                if versioned {
                    statuses.push("412");
                }
                for status in statuses {
                    if let Some((_, name, _)) = PROBLEMS.iter().find(|(s, _, _)| *s == status) {
                        op.responses
                            .responses
                            .entry(status.to_owned())
                            .or_insert_with(|| RefOr::Ref(Ref::from_response_name(*name)));
                    }
                }

                let params = op.parameters.get_or_insert_with(Vec::new);
                if versioned {
                    params.push(header_param(
                        "If-Match",
                        "The ETag you last read; the write fails with 412 if the record changed since",
                        r#"^(\*|"[0-9]{1,9}"|[0-9]{1,9})$"#,
                    ));
                }
                if creates {
                    params.push(header_param(
                        "Idempotency-Key",
                        "Retry-safe POST: the same key and body replay the first response (kept 24 h); the same key with another body is 422",
                        "^[!-~]{1,255}$",
                    ));
                }
                if params.is_empty() {
                    op.parameters = None;
                }

                for (status, response) in op.responses.responses.iter_mut() {
                    let RefOr::T(response) = response else {
                        continue;
                    };
                    let carries_record = (status == "200"
                        && (has_id || is_write)
                        && !path.starts_with("/api/v1/auth")
                        && !path.ends_with("reset-password"))
                        || (status == "201");
                    if carries_record {
                        response.headers.insert(
                            "ETag".into(),
                            string_header("The record's version, for If-Match"),
                        );
                    }
                    if status == "201" {
                        response.headers.insert(
                            "Location".into(),
                            string_header("URL of the created record"),
                        );
                    }
                }
            }
        }
    }
}

const MERGE_PATCH: &str = "application/merge-patch+json";

/// Gives a merge-patch body the shape it really has: the PUT body of the same
/// path with nothing required (`{Input}Patch`), instead of a bare object. A
/// member present changes, `null` clears an optional field, and the result is
/// then checked as a PUT would be, so fields the PUT requires cannot be null.
fn merge_patch_schema(
    item: &mut utoipa::openapi::PathItem,
    components: &mut utoipa::openapi::Components,
) {
    let input = item
        .put
        .as_ref()
        .and_then(|put| put.request_body.as_ref())
        .and_then(|body| match body {
            RefOr::T(body) => body.content.get("application/json"),
            RefOr::Ref(_) => None,
        })
        .and_then(|content| match content {
            RefOr::T(content) => match &content.schema {
                Some(RefOr::Ref(r)) => r.ref_location.rsplit('/').next().map(str::to_owned),
                _ => None,
            },
            RefOr::Ref(_) => None,
        });
    let (Some(input), Some(patch)) = (input, item.patch.as_mut()) else {
        return;
    };
    let Some(RefOr::T(content)) = patch.request_body.as_mut().and_then(|body| match body {
        RefOr::T(body) => body.content.get_mut(MERGE_PATCH),
        RefOr::Ref(_) => None,
    }) else {
        return;
    };
    let Some(RefOr::T(full)) = components.schemas.get(&input) else {
        return;
    };
    // The generated schema is plain data: edit it as JSON.
    let Ok(mut value) = serde_json::to_value(full) else {
        return;
    };
    if let Some(object) = value.as_object_mut() {
        object.remove("required");
        object.insert(
            "description".into(),
            serde_json::Value::String(format!(
                "A JSON merge patch (RFC 7386) of `{input}`: every member is optional; `null` clears an optional field."
            )),
        );
    }
    let Ok(schema) = serde_json::from_value::<utoipa::openapi::schema::Schema>(value) else {
        return;
    };
    let name = format!("{}Patch", input.trim_end_matches("Input"));
    components.schemas.insert(name.clone(), RefOr::T(schema));
    content.schema = Some(RefOr::Ref(Ref::from_schema_name(name)));
}

/// The whole contract, built from the same route registration the server uses.
pub fn spec() -> Spec {
    let (_, spec) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::routes::configure)
        .split_for_parts();
    let mut spec = spec;
    // Applied here, not as a derive modifier: it must see the collected paths.
    Contract.modify(&mut spec);
    spec
}
