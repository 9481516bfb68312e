//! /api/v1/organisations

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};
use rihla_domain::{Organisation, OrganisationInput, OrganisationListParams, Page};
use rihla_persistence::repo::organisations as repo;
use serde_json::Value;
use uuid::Uuid;

use crate::auth::{Editor, Viewer};
use crate::error::ApiError;
use crate::http::{IdempotencyKey, IfMatch, Json, Valid};
use crate::state::AppState;
use crate::write;

/// List organisations
///
/// Filters combine with AND. Keyset-paged: pass `next_cursor` back as `cursor`
/// with the same `sort` to get the next page.
#[utoipa::path(
    tag = "organisations",
    params(OrganisationListParams),
    responses((status = 200, description = "One page of organisations", body = Page<Organisation>))
)]
#[get("/organisations")]
async fn list_organisations(
    _: Viewer,
    state: web::Data<AppState>,
    params: web::Query<OrganisationListParams>,
) -> Result<web::Json<Page<Organisation>>, ApiError> {
    Ok(web::Json(repo::list(&state.db, &params).await?))
}

/// Create an organisation
///
/// `name` must be unique; `parent_id`, when given, must name an existing
/// organisation. Honours `Idempotency-Key`.
#[utoipa::path(
    tag = "organisations",
    request_body = OrganisationInput,
    responses((status = 201, description = "Created", body = Organisation))
)]
#[post("/organisations")]
async fn create_organisation(
    caller: Editor,
    state: web::Data<AppState>,
    req: HttpRequest,
    key: IdempotencyKey,
    body: Valid<OrganisationInput>,
) -> Result<HttpResponse, ApiError> {
    let Valid(body) = body;
    write::create(
        &state,
        &caller,
        &req,
        key,
        &body.canonical_hash,
        async |tx| Ok(repo::create(tx, Some(&caller.actor()), &body.value).await?),
    )
    .await
}

/// Get an organisation
#[utoipa::path(
    tag = "organisations",
    params(("id" = Uuid, Path, description = "Organisation id")),
    responses((status = 200, description = "The organisation", body = Organisation))
)]
#[get("/organisations/{id}")]
async fn get_organisation(
    _: Viewer,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(write::ok(&repo::get(&state.db, *id).await?))
}

/// Replace an organisation
///
/// Every field is set from the body; omitted optional fields become null.
#[utoipa::path(
    tag = "organisations",
    params(("id" = Uuid, Path, description = "Organisation id")),
    request_body = OrganisationInput,
    responses((status = 200, description = "The replaced organisation", body = Organisation))
)]
#[put("/organisations/{id}")]
async fn replace_organisation(
    caller: Editor,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Valid<OrganisationInput>,
) -> Result<HttpResponse, ApiError> {
    let tx = write::begin(&state).await?;
    let org = repo::replace(&tx, &caller.actor(), *id, &body.0.value, if_match.0).await?;
    write::commit(tx).await?;
    Ok(write::ok(&org))
}

/// Update an organisation partially
///
/// A JSON merge patch (RFC 7386): members present change, `null` clears an
/// optional field. The result must pass the same rules as a replace.
#[utoipa::path(
    tag = "organisations",
    params(("id" = Uuid, Path, description = "Organisation id")),
    request_body(content = Object, content_type = "application/merge-patch+json",
        example = json!({"acronym": "MoFA"})),
    responses((status = 200, description = "The updated organisation", body = Organisation))
)]
#[patch("/organisations/{id}")]
async fn patch_organisation(
    caller: Editor,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let tx = write::begin(&state).await?;
    let current = repo::get_for_update(&tx, *id).await?;
    write::precondition(if_match, current.version)?;
    let input = write::merge_patch(OrganisationInput::from(&current), &body.value)?;
    let org = repo::replace(&tx, &caller.actor(), *id, &input, Some(current.version)).await?;
    write::commit(tx).await?;
    Ok(write::ok(&org))
}

/// Delete an organisation
///
/// 409, listing them in `references`, while projects or departments still
/// refer to it.
#[utoipa::path(
    tag = "organisations",
    params(("id" = Uuid, Path, description = "Organisation id")),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/organisations/{id}")]
async fn delete_organisation(
    _: Editor,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let tx = write::begin(&state).await?;
    repo::delete(&tx, *id, if_match.0).await?;
    write::commit(tx).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_organisations)
        .service(create_organisation)
        .service(get_organisation)
        .service(replace_organisation)
        .service(patch_organisation)
        .service(delete_organisation);
}
