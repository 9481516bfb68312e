//! /api/v1/projects

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};
use rihla_domain::{Page, Project, ProjectInput, ProjectListParams};
use rihla_persistence::repo::projects as repo;
use serde_json::Value;
use uuid::Uuid;

use crate::auth::{Editor, Viewer};
use crate::error::ApiError;
use crate::http::{IdempotencyKey, IfMatch, Json, Valid};
use crate::state::AppState;
use crate::write;

/// List projects
///
/// Filters combine with AND. Keyset-paged: pass `next_cursor` back as `cursor`
/// with the same `sort` to get the next page.
#[utoipa::path(
    tag = "projects",
    params(ProjectListParams),
    responses((status = 200, description = "One page of projects", body = Page<Project>))
)]
#[get("/projects")]
async fn list_projects(
    _: Viewer,
    state: web::Data<AppState>,
    params: web::Query<ProjectListParams>,
) -> Result<web::Json<Page<Project>>, ApiError> {
    Ok(web::Json(repo::list(&state.db, &params).await?))
}

/// Create a project
///
/// `code` (and `iati_identifier`, when given) must be unique; every
/// participating organisation must exist. Honours `Idempotency-Key`.
#[utoipa::path(
    tag = "projects",
    request_body = ProjectInput,
    responses((status = 201, description = "Created", body = Project))
)]
#[post("/projects")]
async fn create_project(
    caller: Editor,
    state: web::Data<AppState>,
    req: HttpRequest,
    key: IdempotencyKey,
    body: Valid<ProjectInput>,
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

/// Get a project
#[utoipa::path(
    tag = "projects",
    params(("id" = Uuid, Path, description = "Project id")),
    responses((status = 200, description = "The project", body = Project))
)]
#[get("/projects/{id}")]
async fn get_project(
    _: Viewer,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(write::ok(&repo::get(&state.db, *id).await?))
}

/// Replace a project
///
/// Every field is set from the body; omitted optional fields become null.
#[utoipa::path(
    tag = "projects",
    params(("id" = Uuid, Path, description = "Project id")),
    request_body = ProjectInput,
    responses((status = 200, description = "The replaced project", body = Project))
)]
#[put("/projects/{id}")]
async fn replace_project(
    caller: Editor,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Valid<ProjectInput>,
) -> Result<HttpResponse, ApiError> {
    let tx = write::begin(&state).await?;
    let project = repo::replace(&tx, &caller.actor(), *id, &body.0.value, if_match.0).await?;
    write::commit(tx).await?;
    Ok(write::ok(&project))
}

/// Update a project partially
///
/// A JSON merge patch (RFC 7386): members present change, `null` clears an
/// optional field. The result must pass the same rules as a replace.
#[utoipa::path(
    tag = "projects",
    params(("id" = Uuid, Path, description = "Project id")),
    request_body(content = Object, content_type = "application/merge-patch+json",
        example = json!({"status": "active", "themes": ["governance"]})),
    responses((status = 200, description = "The updated project", body = Project))
)]
#[patch("/projects/{id}")]
async fn patch_project(
    caller: Editor,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let tx = write::begin(&state).await?;
    let current = repo::get_for_update(&tx, *id).await?;
    write::precondition(if_match, current.version)?;
    let input = write::merge_patch(ProjectInput::from(&current), &body.value)?;
    let project = repo::replace(&tx, &caller.actor(), *id, &input, Some(current.version)).await?;
    write::commit(tx).await?;
    Ok(write::ok(&project))
}

/// Delete a project
///
/// Removes the project with its participating organisations and outcomes.
#[utoipa::path(
    tag = "projects",
    params(("id" = Uuid, Path, description = "Project id")),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/projects/{id}")]
async fn delete_project(
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
    cfg.service(list_projects)
        .service(create_project)
        .service(get_project)
        .service(replace_project)
        .service(patch_project)
        .service(delete_project);
}
