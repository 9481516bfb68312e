//! /api/v1/projects/{id}/members: who reaches a project's records, and with
//! which project role. Anyone who reaches the project reads its members;
//! organisation-wide editors and admins change them. Every change is
//! audited (`project_member`) and appears in the change feed.

use actix_web::web::{Data, Path, Query};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post};
use rihla_domain::{MemberCreate, MemberListParams, MemberPatch, Page, ProjectMember, ReadParams};
use rihla_persistence::repo::members as repo;
use uuid::Uuid;

use crate::auth::{Caller, Viewer};
use crate::error::ApiError;
use crate::http::{IdempotencyKey, IfMatch, Valid};
use crate::state::AppState;
use crate::write;

/// Managing members needs an organisation-wide editor; but a project the
/// caller does not reach is 404 first, as on every other path, so the
/// answer never tells a partner that a project exists.
async fn manager(
    state: &AppState,
    caller: &Caller,
    project: Uuid,
    member: Option<Uuid>,
) -> Result<(), ApiError> {
    use rihla_domain::Role;
    use rihla_persistence::repo::{projects::Projects, resource};
    if caller.role.at_least(Role::Editor) {
        return Ok(());
    }
    let db = state.reader().await?;
    resource::get::<Projects>(&db, caller.scope(), project).await?;
    if let Some(member) = member {
        repo::get(&db, caller.scope(), project, member, false).await?;
    }
    Err(ApiError::Forbidden(
        "project members are managed by organisation-wide editors and admins".into(),
    ))
}

/// List a project's members
///
/// Users and API keys with a role on this project, oldest first. 404 when
/// the project does not exist or the caller does not reach it.
#[utoipa::path(
    tag = "projects",
    params(("id" = Uuid, Path, description = "Project id"), MemberListParams),
    responses((status = 200, description = "One page of members", body = Page<ProjectMember>))
)]
#[get("/projects/{id}/members")]
async fn list_members(
    caller: Viewer,
    state: Data<AppState>,
    id: Path<Uuid>,
    params: Query<MemberListParams>,
    wants: crate::export::Wants,
) -> Result<HttpResponse, ApiError> {
    caller.include_deleted(params.include_deleted)?;
    let (scope, id) = (caller.scope(), *id);
    crate::export::list(
        wants,
        "project-members",
        params.into_inner(),
        move |p: MemberListParams| {
            let (state, scope) = (state.clone(), scope.clone());
            async move { Ok(repo::list(&state.reader().await?, scope, id, &p).await?) }
        },
    )
    .await
}

/// Add a member to a project
///
/// A user or an API key (exactly one of `user_id`, `api_key_id`) with a
/// project role: `viewer` reads the project's records, `editor` also writes
/// them. It matters for `partner` callers, who reach nothing else. 409 if
/// the member is already on the project. Honours `Idempotency-Key`.
#[utoipa::path(
    tag = "projects",
    params(("id" = Uuid, Path, description = "Project id")),
    request_body = MemberCreate,
    responses((status = 201, description = "Added", body = ProjectMember))
)]
#[post("/projects/{id}/members")]
async fn add_member(
    caller: Viewer,
    state: Data<AppState>,
    req: HttpRequest,
    key: IdempotencyKey,
    id: Path<Uuid>,
    body: Valid<MemberCreate>,
) -> Result<HttpResponse, ApiError> {
    let Valid(body) = body;
    let project = *id;
    manager(&state, &caller, project, None).await?;
    write::create(
        &state,
        &caller,
        &req,
        key,
        &body.canonical_hash,
        write::anyone,
        async |tx| Ok(repo::create(tx, &caller.actor(), project, &body.value).await?),
    )
    .await
    .inspect(|_| state.scopes.invalidate())
}

/// Get a project member
#[utoipa::path(
    tag = "projects",
    params(
        ("id" = Uuid, Path, description = "Project id"),
        ("member_id" = Uuid, Path, description = "Membership id"),
        ReadParams
    ),
    responses((status = 200, description = "The membership", body = ProjectMember))
)]
#[get("/projects/{id}/members/{member_id}")]
async fn get_member(
    caller: Viewer,
    state: Data<AppState>,
    ids: Path<(Uuid, Uuid)>,
    read: Query<ReadParams>,
) -> Result<HttpResponse, ApiError> {
    let include_deleted = caller.include_deleted(read.include_deleted)?;
    let (project, id) = *ids;
    let member = repo::get(
        &state.reader().await?,
        caller.scope(),
        project,
        id,
        include_deleted,
    )
    .await?;
    Ok(write::ok(&member))
}

/// Change a member's project role
///
/// Takes effect on the member's next request.
#[utoipa::path(
    tag = "projects",
    params(
        ("id" = Uuid, Path, description = "Project id"),
        ("member_id" = Uuid, Path, description = "Membership id")
    ),
    request_body(content = MemberPatch, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "The membership", body = ProjectMember))
)]
#[patch("/projects/{id}/members/{member_id}")]
async fn change_member(
    caller: Viewer,
    state: Data<AppState>,
    ids: Path<(Uuid, Uuid)>,
    if_match: IfMatch,
    body: Valid<MemberPatch>,
) -> Result<HttpResponse, ApiError> {
    let (project, id) = *ids;
    manager(&state, &caller, project, Some(id)).await?;
    let tx = write::begin(&state).await?;
    let member = repo::set_role(
        &tx,
        &caller.actor(),
        project,
        id,
        body.0.value.role,
        if_match.0,
    )
    .await?;
    write::commit(tx).await?;
    // The member's next request, here, sees the new role.
    state.scopes.invalidate();
    Ok(write::ok(&member))
}

/// Remove a member from a project
///
/// The member's next request no longer reaches the project. The membership
/// stays in the history.
#[utoipa::path(
    tag = "projects",
    params(
        ("id" = Uuid, Path, description = "Project id"),
        ("member_id" = Uuid, Path, description = "Membership id")
    ),
    responses((status = 204, description = "Removed"))
)]
#[delete("/projects/{id}/members/{member_id}")]
async fn remove_member(
    caller: Viewer,
    state: Data<AppState>,
    ids: Path<(Uuid, Uuid)>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let (project, id) = *ids;
    manager(&state, &caller, project, Some(id)).await?;
    let tx = write::begin(&state).await?;
    repo::remove(&tx, &caller.actor(), project, id, if_match.0).await?;
    write::commit(tx).await?;
    state.scopes.invalidate();
    Ok(HttpResponse::NoContent().finish())
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_members)
        .service(add_member)
        .service(get_member)
        .service(change_member)
        .service(remove_member);
}
