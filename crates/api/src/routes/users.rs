//! /api/v1/users: admin-only user management.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use rihla_domain::{
    AuditEvent, HistoryParams, Page, PasswordReset, PasswordResetResult, ReadParams, ResourceType,
    User, UserCreate, UserListParams, UserPatch,
};
use rihla_persistence::repo::{refresh_tokens, resource, users as repo};
use uuid::Uuid;

use crate::auth::{Admin, password};
use crate::error::ApiError;
use crate::http::{IdempotencyKey, IfMatch, Valid};
use crate::state::AppState;
use crate::write;

/// List users
#[utoipa::path(
    tag = "users",
    params(UserListParams),
    responses((status = 200, description = "One page of users, oldest first", body = Page<User>))
)]
#[get("/users")]
async fn list_users(
    caller: Admin,
    state: web::Data<AppState>,
    params: web::Query<UserListParams>,
    wants: crate::export::Wants,
) -> Result<HttpResponse, ApiError> {
    caller.include_deleted(params.include_deleted)?;
    crate::export::list(
        wants,
        "users",
        params.into_inner(),
        move |p: UserListParams| {
            let state = state.clone();
            async move { Ok(repo::list(&state.reader().await?, &p).await?) }
        },
    )
    .await
}

/// Create a user
///
/// The email is unique regardless of case. Honours `Idempotency-Key`.
#[utoipa::path(
    tag = "users",
    request_body = UserCreate,
    responses((status = 201, description = "Created", body = User))
)]
#[post("/users")]
async fn create_user(
    caller: Admin,
    state: web::Data<AppState>,
    req: HttpRequest,
    key: IdempotencyKey,
    body: Valid<UserCreate>,
) -> Result<HttpResponse, ApiError> {
    let Valid(body) = body;
    let hash = state.hasher.hash(body.value.password.clone()).await?;
    write::create(
        &state,
        &caller,
        &req,
        key,
        &body.canonical_hash,
        write::anyone,
        async |tx| {
            let new = repo::NewUser {
                email: &body.value.email,
                display_name: &body.value.display_name,
                role: body.value.role,
                active: body.value.active,
                password_hash: hash,
            };
            Ok(repo::create(tx, &caller.actor(), new).await?)
        },
    )
    .await
}

/// Get a user
#[utoipa::path(
    tag = "users",
    params(("id" = Uuid, Path, description = "User id"), ReadParams),
    responses((status = 200, description = "The user", body = User))
)]
#[get("/users/{id}")]
async fn get_user(
    caller: Admin,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    read: web::Query<ReadParams>,
) -> Result<HttpResponse, ApiError> {
    let user = if caller.include_deleted(read.include_deleted)? {
        repo::get_any(&state.reader().await?, *id).await?
    } else {
        repo::get(&state.reader().await?, *id).await?
    };
    Ok(write::ok(&user))
}

/// Update a user's role, active flag or display name
///
/// Deactivating a user ends their sessions at once. The last active admin can
/// be neither demoted nor deactivated (409), and no admin can demote or
/// deactivate themself (409; another admin can).
#[utoipa::path(
    tag = "users",
    params(("id" = Uuid, Path, description = "User id")),
    request_body(content = UserPatch, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "The updated user", body = User))
)]
#[patch("/users/{id}")]
async fn patch_user(
    caller: Admin,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Valid<UserPatch>,
) -> Result<HttpResponse, ApiError> {
    let tx = write::begin(&state).await?;
    let user = repo::update(&tx, &caller.actor(), *id, &body.0.value, if_match.0).await?;
    if !user.active {
        refresh_tokens::revoke_user(&tx, user.id).await?;
    }
    write::commit(tx).await?;
    // Their next request must see the change, not a remembered role.
    state.access.invalidate();
    Ok(write::ok(&user))
}

/// Reset a user's password
///
/// Sets the given password, or generates one and returns it once. Every
/// session of the user ends: refresh tokens are revoked and access tokens
/// stop working at once. An admin's own password is changed with
/// `POST /auth/password` instead (409 here).
#[utoipa::path(
    tag = "users",
    extensions(("x-rihla" = json!(["not-a-record"]))),
    params(("id" = Uuid, Path, description = "User id")),
    request_body = PasswordReset,
    responses((status = 200, description = "Password replaced", body = PasswordResetResult))
)]
#[post("/users/{id}/reset-password")]
async fn reset_password(
    caller: Admin,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: Valid<PasswordReset>,
) -> Result<web::Json<PasswordResetResult>, ApiError> {
    // A reset needs no current password: on one's own account it would let
    // a stolen token take the account over.
    if caller.id == *id {
        return Err(ApiError::Conflict {
            detail: "you cannot reset your own password; change it with POST /api/v1/auth/password, which asks for the current one".into(),
            errors: vec![],
            references: vec![],
        });
    }
    let (new_password, generated) = match body.0.value.password {
        Some(p) => (p, None),
        None => {
            let p = password::generate();
            (p.clone(), Some(p))
        }
    };
    let hash = state.hasher.hash(new_password).await?;
    let tx = write::begin(&state).await?;
    repo::set_password(&tx, &caller.actor(), *id, hash).await?;
    let revoked = refresh_tokens::revoke_user(&tx, *id).await?;
    write::commit(tx).await?;
    // Their access tokens end with the reset (a new session epoch).
    state.access.invalidate();
    Ok(web::Json(PasswordResetResult {
        generated_password: generated,
        revoked_sessions: revoked,
    }))
}

/// Delete a user
///
/// Soft delete: the user can no longer log in, every session ends, and the
/// email is free for a new account; the record keeps its history and can be
/// restored until `rihla purge` removes it. The last active admin cannot be
/// deleted, nor can an admin delete themself (409).
#[utoipa::path(
    tag = "users",
    params(("id" = Uuid, Path, description = "User id")),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/users/{id}")]
async fn delete_user(
    caller: Admin,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let tx = write::begin(&state).await?;
    repo::delete(&tx, &caller.actor(), *id, if_match.0).await?;
    refresh_tokens::revoke_user(&tx, *id).await?;
    write::commit(tx).await?;
    // Their next request must see the change, not a remembered role.
    state.access.invalidate();
    Ok(HttpResponse::NoContent().finish())
}

/// Restore a deleted user
///
/// 409 if another user has taken the email meanwhile. Their old sessions stay
/// ended: they log in again.
#[utoipa::path(
    tag = "users",
    extensions(("x-rihla" = json!(["versioned"]))),
    params(("id" = Uuid, Path, description = "User id")),
    responses((status = 200, description = "The restored user", body = User))
)]
#[post("/users/{id}/restore")]
async fn restore_user(
    caller: Admin,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let tx = write::begin(&state).await?;
    let user = resource::restore::<repo::Users>(&tx, &caller.actor(), *id, if_match.0).await?;
    write::commit(tx).await?;
    // Their next request must see the change, not a remembered role.
    state.access.invalidate();
    Ok(write::ok(&user))
}

/// History of a user
///
/// Every create, update (a password change shows as `password`, values
/// redacted), delete, restore and purge of the account, newest first.
#[utoipa::path(
    tag = "users",
    params(("id" = Uuid, Path, description = "User id"), HistoryParams),
    responses((status = 200, description = "One page of events, newest first", body = Page<AuditEvent>))
)]
#[get("/users/{id}/history")]
async fn user_history(
    caller: Admin,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    params: web::Query<HistoryParams>,
    wants: crate::export::Wants,
) -> Result<HttpResponse, ApiError> {
    super::audit::record_history(
        &state,
        &caller,
        ResourceType::User,
        *id,
        params.into_inner(),
        wants,
    )
    .await
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_users)
        .service(create_user)
        .service(get_user)
        .service(patch_user)
        .service(reset_password)
        .service(delete_user)
        .service(restore_user)
        .service(user_history);
}
