//! The OpenAPI 3.1 contract. Paths and schemas come from the handlers'
//! `#[utoipa::path]` through utoipa-actix-web; `Contract` then gives every
//! operation the parts that follow from the HTTP contract (security, problem
//! responses, If-Match / Idempotency-Key, ETag / Location, the CSV form of
//! every list and report), so a handler cannot forget one.

use utoipa::openapi::path::{HttpMethod, Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
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
paste the `access_token` under `bearer`; an integrating system pastes its API key (`rihla_ak_...`, \
from an admin at `POST /api/v1/api-keys`) under `bearer` or `api_key`.\n\nErrors are RFC 9457 `application/problem+json`. Lists are \
keyset-paged: pass `next_cursor` back as `cursor`. Writes return an `ETag`; send it as \
`If-Match` to make sure nobody changed the record since you read it.\n\nRoles: `viewer` \
reads, `editor` also writes, `admin` also manages users and API keys, all organisation-wide. A \
`partner` (a user or an API key) reaches only the projects it is a member of \
(`/projects/{id}/members`) and their activities, delegations and documents, with its project \
role, and reads the shared organisations, dialogues and meetings. Anything else is 404 to it, on \
every method, in every list, count, history and the change feed.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    tags(
        (name = "auth", description = "Tokens and the current user"),
        (name = "users", description = "User management (admin)"),
        (name = "api-keys", description = "API keys for integrating systems (admin)"),
        (name = "organisations", description = "Ministries, agencies, donors and partners"),
        (name = "projects", description = "Donor-funded programmes"),
        (name = "activities", description = "Trainings, workshops and working sessions a project delivers"),
        (name = "dialogues", description = "International and regional migration dialogues"),
        (name = "meetings", description = "Meetings of a dialogue, and the calendar across dialogues"),
        (name = "delegations", description = "The delegations a country sends to dialogue meetings, and their workflow"),
        (name = "documents", description = "The deliverables of projects and activities: studies, manuals, guides, curricula, training plans"),
        (name = "reports", description = "Figures per group (participation, activities, delegations), counted in the database; JSON or CSV"),
        (name = "iati", description = "Projects as IATI 2.03 activities, for publishing to the IATI registry"),
        (name = "history", description = "The audit trail (admin) and the change feed for integrating systems; each record's own history is under its path"),
        (name = "health", description = "Liveness and readiness")
    ),
    components(schemas(
        Problem,
        rihla_domain::FieldError,
        rihla_domain::Reference,
        rihla_domain::resource_type::ResourceTypeFilter
    ))
)]
pub struct ApiDoc;

/// The extension a handler declares its contract facts in, those no schema
/// says: `#[utoipa::path(..., extensions(("x-rihla" = json!(["public"]))))]`.
/// `Contract` reads them, applies them and removes the extension, so each
/// fact sits next to the handler it is about rather than in a rule here
/// that matches its path.
pub(crate) const FACTS: &str = "x-rihla";

/// A contract fact a handler may declare (`FACTS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fact {
    /// Anyone may call it: no security requirement, no 401/403.
    Public,
    /// Public, but answers 401 for credentials it refuses.
    Credentials,
    /// Throttled per account and address: 429 with Retry-After.
    Throttled,
    /// A create that takes no Idempotency-Key (its answer holds a secret
    /// that no replay store may keep).
    NotIdempotent,
    /// A POST that writes a record's next version: If-Match, 412.
    Versioned,
    /// Its 200 is not a record (tokens, a password reset): no ETag.
    NotARecord,
    /// Also answers as CSV, though its 200 is no page of records (reports,
    /// the change feed); every list answers CSV by its `Page_` schema.
    Export,
}

impl Fact {
    const ALL: [(Fact, &'static str); 7] = [
        (Fact::Public, "public"),
        (Fact::Credentials, "credentials"),
        (Fact::Throttled, "throttled"),
        (Fact::NotIdempotent, "not-idempotent"),
        (Fact::Versioned, "versioned"),
        (Fact::NotARecord, "not-a-record"),
        (Fact::Export, "export"),
    ];
}

/// The facts `op` declares, taken out of it. An unknown one panics: the
/// spec is built at start-up and by a test, so a typo cannot ship.
fn take_facts(op: &mut Operation, what: &str) -> Vec<Fact> {
    let Some(extensions) = op.extensions.as_mut() else {
        return Vec::new();
    };
    let declared = extensions.remove(FACTS);
    if extensions.is_empty() {
        op.extensions = None;
    }
    let names: Vec<String> = declared
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default();
    names
        .iter()
        .map(|name| {
            Fact::ALL
                .iter()
                .find(|(_, n)| n == name)
                .map(|(f, _)| *f)
                .unwrap_or_else(|| panic!("{what}: unknown contract fact {name:?} in {FACTS}"))
        })
        .collect()
}

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
    (
        "403",
        "Forbidden",
        "The caller's role is too low (organisation-wide, or its project role on a record it reaches)",
    ),
    (
        "404",
        "NotFound",
        "No record with this id, or one the caller does not reach: a partner reaches only its projects' records, and a record outside them is 404 on every method, never 403",
    ),
    (
        "409",
        "Conflict",
        "A unique value is taken, other records still reference this one (`references`), or a status change the workflow does not allow (`current_state`, `allowed_next_states`)",
    ),
    (
        "429",
        "TooManyRequests",
        "Too many requests: failed logins for this account from this address, or from this address (login, password change), or the caller's request budget (`RateLimit-Policy`, `RateLimit`) or its streaming exports (at most `APP_EXPORTS_PER_CALLER` at once); retry after Retry-After seconds",
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
        "406",
        "NotAcceptable",
        "The Accept header allows neither application/json nor text/csv",
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
        "The database is unavailable or busy, or too many passwords are being checked at once; retry after Retry-After seconds",
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
                    .description(Some("An access_token from POST /api/v1/auth/token, or an API key (`rihla_ak_...`)"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Api-Key",
                "An API key (`rihla_ak_...`) from POST /api/v1/api-keys, for integrating systems",
            ))),
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
                let facts = take_facts(op, path);
                let has = |fact: Fact| facts.contains(&fact);
                let public = has(Fact::Public);
                let is_write = !matches!(method, HttpMethod::Get);
                let has_body = op.request_body.is_some();
                let creates = method == HttpMethod::Post
                    && op.responses.responses.contains_key("201")
                    && !has(Fact::NotIdempotent);
                let versioned = has_id
                    && (matches!(
                        method,
                        HttpMethod::Put | HttpMethod::Patch | HttpMethod::Delete
                    ) || has(Fact::Versioned));

                let mut statuses = vec!["400", "500", "503"];
                if !public {
                    statuses.extend(["401", "403"]);
                    // Either scheme: a security requirement each.
                    op.security = Some(vec![
                        SecurityRequirement::new("bearer", Vec::<String>::new()),
                        SecurityRequirement::new("api_key", Vec::<String>::new()),
                    ]);
                } else if has(Fact::Credentials) {
                    statuses.push("401");
                }
                // Logins are throttled; every authenticated call spends the
                // caller's request budget (http::budget).
                if has(Fact::Throttled) || !public {
                    statuses.push("429");
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
                let exports = method == HttpMethod::Get && (has(Fact::Export) || lists(op));
                if exports {
                    statuses.push("406");
                    add_csv(op);
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
                    let carries_record =
                        (status == "200" && (has_id || is_write) && !has(Fact::NotARecord))
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

/// A list: its 200 is a `Page`, which also answers as CSV.
fn lists(op: &Operation) -> bool {
    let Some(RefOr::T(ok)) = op.responses.responses.get("200") else {
        return false;
    };
    matches!(
        ok.content.get("application/json"),
        Some(RefOr::T(c)) if matches!(&c.schema, Some(RefOr::Ref(r)) if r.ref_location.starts_with("#/components/schemas/Page_"))
    )
}

/// The `text/csv` response and the `format` / `bom` parameters.
fn add_csv(op: &mut Operation) {
    if let Some(RefOr::T(ok)) = op.responses.responses.get_mut("200") {
        ok.content.insert(
            crate::export::CSV.to_owned(),
            RefOr::T(
                ContentBuilder::new()
                    .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                    .example(Some(serde_json::Value::String(
                        "id,title,participants.planned\r\n019367e0-0000-7000-8000-000000000020,Training on migration data,25\r\n".into(),
                    )))
                    .build(),
            ),
        );
        ok.description.push_str(
            ". As text/csv (`Accept: text/csv` or `format=csv`): every matching record (from `cursor`, \
             if given), not a page, streamed, with a header row; nested objects as dotted columns, nested lists as one \
             JSON cell; cells starting with = + - @ tab or CR prefixed with '",
        );
    }
    let params = op.parameters.get_or_insert_with(Vec::new);
    params.push(
        ParameterBuilder::new()
            .name("format")
            .parameter_in(ParameterIn::Query)
            .required(Required::False)
            .description(Some(
                "`csv` for a CSV download (a plain link can ask for it); `json` by default, or as Accept says",
            ))
            .schema(Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(["json", "csv"])),
            ))
            .build()
            .into(),
    );
    params.push(
        ParameterBuilder::new()
            .name("bom")
            .parameter_in(ParameterIn::Query)
            .required(Required::False)
            .description(Some(
                "CSV only: start with a UTF-8 byte order mark, so Excel opens Arabic text intact",
            ))
            .schema(Some(
                ObjectBuilder::new()
                    .schema_type(Type::Boolean)
                    .default(Some(serde_json::Value::Bool(false))),
            ))
            .build()
            .into(),
    );
}

const MERGE_PATCH: &str = "application/merge-patch+json";

/// Gives a merge-patch body the shape it really has: the PUT body of the same
/// path with nothing required (`{Input}Patch`), instead of a bare object. A
/// member present changes, `null` clears an optional field, and the result is
/// then checked as a PUT would be, so fields the PUT requires cannot be null.
/// Makes a property's schema accept null as well (unchanged if it does).
fn allow_null(property: &mut serde_json::Value) {
    use serde_json::{Value, json};
    let null = json!({"type": "null"});
    match property.get_mut("type") {
        Some(Value::String(t)) if t != "null" => {
            let t = t.clone();
            property["type"] = json!([t, "null"]);
            return;
        }
        Some(Value::Array(types)) => {
            if !types.iter().any(|t| t == "null") {
                types.push(json!("null"));
            }
            return;
        }
        _ => {}
    }
    if let Some(Value::Array(members)) = property.get_mut("oneOf") {
        if !members.iter().any(|m| m == &null) {
            members.push(null);
        }
        return;
    }
    // A reference: the reference alone in oneOf, its annotations (default,
    // description) beside it, where the schema model keeps them.
    for key in ["$ref", "allOf"] {
        if let Some(Value::Object(outer)) = Some(&mut *property)
            && let Some(target) = outer.remove(key)
        {
            let mut rest = std::mem::take(outer);
            let only = serde_json::Map::from_iter([(key.to_owned(), target)]);
            rest.insert(
                "oneOf".into(),
                Value::Array(vec![Value::Object(only), null]),
            );
            *property = Value::Object(rest);
            return;
        }
    }
}

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
        let required: Vec<String> = object
            .remove("required")
            .and_then(|r| serde_json::from_value(r).ok())
            .unwrap_or_default();
        // A member the input may leave out takes its default then, and a
        // merge patch's null removes the member: so null is its default
        // again, and the schema must say null is allowed.
        if let Some(properties) = object.get_mut("properties").and_then(|p| p.as_object_mut()) {
            for (name, property) in properties.iter_mut() {
                if !required.contains(name) {
                    allow_null(property);
                }
            }
        }
        object.insert(
            "description".into(),
            serde_json::Value::String(format!(
                "A JSON merge patch (RFC 7386) of `{input}`: every member is optional; `null` clears an optional field or gives it its default again."
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
    link_creates(&mut spec);
    forbid_nul(&mut spec);
    page_items_by_ref(&mut spec);
    spec
}

/// Each `Page_X` schema's items as a `$ref` to `X` rather than a copy of it,
/// so a client generator makes one type for a record, not one per list.
/// (Run last: `forbid_nul` must have reached the record's own schema.)
fn page_items_by_ref(spec: &mut Spec) {
    use utoipa::openapi::schema::{ArrayBuilder, Schema};
    let Some(components) = spec.components.as_mut() else {
        return;
    };
    let pages: Vec<(String, String)> = components
        .schemas
        .keys()
        .filter_map(|name| {
            let item = name.strip_prefix("Page_")?;
            components
                .schemas
                .contains_key(item)
                .then(|| (name.clone(), item.to_owned()))
        })
        .collect();
    for (page, item) in pages {
        if let Some(RefOr::T(Schema::Object(o))) = components.schemas.get_mut(&page)
            && let Some(items) = o.properties.get_mut("items")
        {
            *items = RefOr::T(Schema::Array(
                ArrayBuilder::new()
                    .items(RefOr::Ref(Ref::from_schema_name(item)))
                    .build(),
            ));
        }
    }
}

/// OpenAPI links from each create's 201 to the operations on the record it
/// made: `POST /projects` leads to `GET|PUT|PATCH|DELETE /projects/{id}` and
/// `GET /projects/{id}/activities`, `POST /dialogues/{id}/meetings` to the
/// meeting's own paths and its delegations. Clients (and schemathesis'
/// stateful mode) can follow them to real records instead of guessing ids.
///
/// Reads are linked with `include_deleted=false`, and a record's `history` and
/// `restore` are not linked: after a DELETE those answer 200 by design (an
/// admin may read a deleted record's trail; a restore brings it back), and a
/// link chain that reaches them after a delete reads as a use-after-free.
fn link_creates(spec: &mut Spec) {
    let creates: Vec<String> = spec
        .paths
        .paths
        .iter()
        .filter(|(_, item)| {
            item.post
                .as_ref()
                .is_some_and(|op| op.responses.responses.contains_key("201"))
        })
        .map(|(path, _)| path.clone())
        .collect();
    let mut links: Vec<(String, String, utoipa::openapi::link::Link)> = Vec::new();
    for (target, item) in &spec.paths.paths {
        if target.ends_with("/history") || target.ends_with("/restore") {
            continue;
        }
        let ops = [&item.get, &item.post, &item.put, &item.patch, &item.delete];
        for op in ops.into_iter().flatten() {
            let Some(operation_id) = op.operation_id.as_deref() else {
                continue;
            };
            for create in &creates {
                let pointer = id_pointer(spec, create);
                let Some(parameters) = link_parameters(create, target, &pointer) else {
                    continue;
                };
                let mut link = utoipa::openapi::link::LinkBuilder::new()
                    .operation_id(operation_id)
                    .description(format!("The record this request created, at `{target}`"));
                for (name, value) in parameters {
                    link = link.parameter(name, value);
                }
                let reads_deleted = op.parameters.iter().flatten().any(|p| match p {
                    RefOr::T(p) => p.name == "include_deleted",
                    RefOr::Ref(_) => false,
                });
                if reads_deleted {
                    // A string: OpenAPI 3.1 types link parameters as a map of strings
                    // (a constant or a runtime expression).
                    link = link.parameter("include_deleted", "false");
                }
                links.push((create.clone(), operation_id.to_owned(), link.build()));
            }
        }
    }
    for (create, name, link) in links {
        let response = spec
            .paths
            .paths
            .get_mut(&create)
            .and_then(|item| item.post.as_mut())
            .and_then(|op| op.responses.responses.get_mut("201"));
        if let Some(RefOr::T(response)) = response {
            response.links.insert(name, RefOr::T(link));
        }
    }
}

/// Where the new record's id is in the 201 of the create at `create`: `/id`,
/// or `/{field}/id` when the record is one field of the answer (an API key
/// beside its one-time secret).
fn id_pointer(spec: &Spec, create: &str) -> String {
    let schema_of =
        |r: &RefOr<utoipa::openapi::schema::Schema>| -> Option<utoipa::openapi::schema::Object> {
            let resolved = match r {
                RefOr::T(s) => s.clone(),
                RefOr::Ref(r) => {
                    let name = r.ref_location.rsplit('/').next()?;
                    match spec.components.as_ref()?.schemas.get(name)? {
                        RefOr::T(s) => s.clone(),
                        RefOr::Ref(_) => return None,
                    }
                }
            };
            match resolved {
                utoipa::openapi::schema::Schema::Object(o) => Some(o),
                _ => None,
            }
        };
    let body = spec
        .paths
        .paths
        .get(create)
        .and_then(|item| item.post.as_ref())
        .and_then(|op| op.responses.responses.get("201"))
        .and_then(|r| match r {
            RefOr::T(r) => r.content.get("application/json"),
            RefOr::Ref(_) => None,
        })
        .and_then(|c| match c {
            RefOr::T(c) => c.schema.as_ref(),
            RefOr::Ref(_) => None,
        })
        .and_then(schema_of);
    if let Some(body) = body
        && !body.properties.contains_key("id")
    {
        for (field, property) in &body.properties {
            if schema_of(property).is_some_and(|o| o.properties.contains_key("id")) {
                return format!("/{field}/id");
            }
        }
    }
    "/id".to_owned()
}

/// How a link from the create at `create` fills the path parameters of
/// `target`, or None when `target` is not about the created record: the
/// parameter right after the create's collection segment is the new id, and
/// every other one must be a parameter of the create's own path.
fn link_parameters(
    create: &str,
    target: &str,
    pointer: &str,
) -> Option<Vec<(String, serde_json::Value)>> {
    let collection = create.rsplit('/').next()?;
    let param = |segment: &str| {
        segment
            .strip_prefix('{')
            .and_then(|s| s.strip_suffix('}'))
            .map(str::to_owned)
    };
    let segments: Vec<&str> = target.split('/').collect();
    let at = segments
        .windows(2)
        .position(|w| w[0] == collection && param(w[1]).is_some())?;
    let own: Vec<String> = create.split('/').filter_map(param).collect();
    let mut parameters = Vec::new();
    for (i, segment) in segments.iter().enumerate() {
        let Some(name) = param(segment) else { continue };
        let value = if i == at + 1 {
            format!("$response.body#{pointer}")
        } else if own.contains(&name) {
            format!("$request.path.{name}")
        } else {
            return None;
        };
        parameters.push((name, serde_json::Value::String(value)));
    }
    Some(parameters)
}

/// Says in the contract that text may not hold U+0000: the server refuses it
/// in any body (422) or query (400) because PostgreSQL cannot store it. Every
/// free-text string (no format, pattern or enum of its own) in the schemas and
/// in path and query parameters gets [`NO_NUL`], and the domain's "not blank"
/// pattern `\S` (a search, which a NUL would satisfy) becomes [`NOT_BLANK`].
fn forbid_nul(spec: &mut Spec) {
    fn walk(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                let string = match m.get("type") {
                    Some(serde_json::Value::String(t)) => t == "string",
                    Some(serde_json::Value::Array(ts)) => ts.iter().any(|t| t == "string"),
                    _ => false,
                };
                if string {
                    match m.get("pattern").and_then(|p| p.as_str()) {
                        Some(r"\S") => {
                            m.insert("pattern".into(), NOT_BLANK.into());
                        }
                        None if !["format", "enum", "const"]
                            .iter()
                            .any(|k| m.contains_key(*k)) =>
                        {
                            m.insert("pattern".into(), NO_NUL.into());
                        }
                        _ => {}
                    }
                }
                m.values_mut().for_each(walk);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    // utoipa's whole document does not deserialise back (untagged RefOr), but
    // a single schema does: edit each one as JSON.
    fn edit(schema: &mut RefOr<utoipa::openapi::schema::Schema>) {
        let Ok(mut value) = serde_json::to_value(&*schema) else {
            return;
        };
        walk(&mut value);
        if let Ok(edited) = serde_json::from_value(value) {
            *schema = edited;
        }
    }
    if let Some(components) = spec.components.as_mut() {
        for (name, schema) in components.schemas.iter_mut() {
            // A problem may quote the client's input (an unknown member's
            // name, escaped); it describes text it was sent, not text it takes.
            if name != "Problem" && name != "FieldError" {
                edit(schema);
            }
        }
    }
    for item in spec.paths.paths.values_mut() {
        let ops = [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ];
        for op in ops.into_iter().flatten() {
            for param in op.parameters.iter_mut().flatten() {
                if let RefOr::T(param) = param
                    && param.parameter_in != ParameterIn::Header
                    && let Some(schema) = param.schema.as_mut()
                {
                    edit(schema);
                }
            }
        }
    }
}

/// Any text without U+0000 (ECMA-262 and Python regex alike).
const NO_NUL: &str = "^[^\\u0000]*$";
/// Text with something besides white space, and no U+0000.
const NOT_BLANK: &str = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$";

#[cfg(test)]
mod tests {
    /// Every PATCH takes its own merge-patch schema (a schema that failed to
    /// build would silently leave the full input there), where a member the
    /// input may leave out also takes null, and a required one does not.
    #[test]
    fn every_patch_has_a_merge_patch_schema_where_null_restores_a_default() {
        let spec = serde_json::to_value(super::spec()).unwrap_or_default();
        let mut patches = 0;
        for (path, item) in spec["paths"].as_object().into_iter().flatten() {
            let Some(patch) = item.get("patch") else {
                continue;
            };
            let schema = &patch["requestBody"]["content"][super::MERGE_PATCH]["schema"]["$ref"];
            assert!(
                schema.as_str().is_some_and(|r| r.ends_with("Patch")),
                "PATCH {path}: {schema}"
            );
            patches += 1;
        }
        assert!(patches >= 9, "{patches}");
        let meeting = &spec["components"]["schemas"]["MeetingPatch"]["properties"];
        assert_eq!(meeting["status"]["oneOf"][1]["type"], "null", "{meeting}");
        let dialogue = &spec["components"]["schemas"]["DialoguePatch"]["properties"];
        assert_eq!(dialogue["regions"]["type"][1], "null", "{dialogue}");
        assert_eq!(dialogue["name"]["type"], "string", "{dialogue}");
    }

    #[test]
    fn free_text_in_bodies_and_queries_forbids_nul_and_creates_link_to_their_records() {
        let spec = serde_json::to_value(super::spec()).unwrap_or_default();
        let title = &spec["components"]["schemas"]["ProjectInput"]["properties"]["title"];
        assert_eq!(title["pattern"], super::NOT_BLANK, "{title}");
        let summary = &spec["components"]["schemas"]["ProjectInput"]["properties"]["summary"];
        assert_eq!(summary["pattern"], super::NO_NUL, "{summary}");
        let q = spec["paths"]["/api/v1/projects"]["get"]["parameters"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["name"] == "q").cloned())
            .unwrap_or_default();
        assert_eq!(q["schema"]["pattern"], super::NO_NUL, "{q}");
        let link =
            &spec["paths"]["/api/v1/projects"]["post"]["responses"]["201"]["links"]["get_project"];
        assert_eq!(link["parameters"]["id"], "$response.body#/id", "{link}");
    }
}
