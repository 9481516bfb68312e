//! /api/v1/api-keys: admins issue, list, rotate and revoke the keys
//! integrating systems call with. The secret is in the answer to a create or
//! a rotation and nowhere else (only its hash is stored), so neither honours
//! Idempotency-Key: a stored replay would have to keep the secret.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use rihla_domain::{
    ApiKey, ApiKeyCreate, ApiKeyListParams, ApiKeyWithSecret, AuditEvent, HistoryParams, Page,
    ReadParams, ResourceType,
};
use rihla_persistence::Scope;
use rihla_persistence::repo::{api_keys as repo, resource};
use uuid::Uuid;

use crate::auth::Admin;
use crate::auth::tokens::{hash_secret, new_api_key};
use crate::error::ApiError;
use crate::http::{IfMatch, Valid, etag};
use crate::state::AppState;
use crate::write;

/// List API keys
///
/// Live keys, oldest first; `include_deleted=true` adds revoked ones. No
/// secret is ever listed.
#[utoipa::path(
    tag = "api-keys",
    params(ApiKeyListParams),
    responses((status = 200, description = "One page of keys", body = Page<ApiKey>))
)]
#[get("/api-keys")]
async fn list_api_keys(
    caller: Admin,
    state: web::Data<AppState>,
    params: web::Query<ApiKeyListParams>,
    wants: crate::export::Wants,
) -> Result<HttpResponse, ApiError> {
    caller.include_deleted(params.include_deleted)?;
    crate::export::list(
        wants,
        "api-keys",
        params.into_inner(),
        move |p: ApiKeyListParams| {
            let state = state.clone();
            async move { Ok(repo::list(&state.reader().await?, &p).await?) }
        },
    )
    .await
}

/// Create an API key
///
/// The answer holds the secret, this once: store it in the integrating
/// system's secret store. It is sent as `Authorization: Bearer <secret>` or
/// `X-Api-Key: <secret>`. A key is a viewer or an editor, never an admin.
/// Not idempotent: a retried create makes a second key (revoke the spare).
#[utoipa::path(
    tag = "api-keys",
    extensions(("x-rihla" = json!(["not-idempotent"]))),
    request_body = ApiKeyCreate,
    responses((status = 201, description = "Created; the secret is shown this once (Cache-Control: no-store)", body = ApiKeyWithSecret))
)]
#[post("/api-keys")]
async fn create_api_key(
    caller: Admin,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Valid<ApiKeyCreate>,
) -> Result<HttpResponse, ApiError> {
    let input = body.0.value;
    let (secret, prefix) = new_api_key();
    let tx = write::begin(&state).await?;
    let key = repo::create(
        &tx,
        &caller.actor(),
        repo::NewKey {
            name: &input.name,
            role: input.role,
            expires_at: input.expires_at,
            prefix,
            secret_hash: hash_secret(&secret),
        },
    )
    .await?;
    write::commit(tx).await?;
    let location = format!("{}/{}", req.path().trim_end_matches('/'), key.id);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .insert_header((header::ETAG, etag(key.version)))
        .json(ApiKeyWithSecret { key, secret }))
}

/// Get an API key
#[utoipa::path(
    tag = "api-keys",
    params(("id" = Uuid, Path, description = "API key id"), ReadParams),
    responses((status = 200, description = "The key (never its secret)", body = ApiKey))
)]
#[get("/api-keys/{id}")]
async fn get_api_key(
    caller: Admin,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    params: web::Query<ReadParams>,
) -> Result<HttpResponse, ApiError> {
    let include_deleted = caller.include_deleted(params.include_deleted)?;
    let db = state.reader().await?;
    let key = if include_deleted {
        resource::get_any::<repo::ApiKeys>(&db, Scope::All, *id).await?
    } else {
        resource::get::<repo::ApiKeys>(&db, Scope::All, *id).await?
    };
    Ok(write::ok(&key))
}

/// Rotate an API key
///
/// Gives the key a new secret, shown this once; the old secret stops
/// working at once. Name, role and expiry stay. To change over without a
/// gap, create a second key, switch the system to it, then revoke the first.
#[utoipa::path(
    tag = "api-keys",
    extensions(("x-rihla" = json!(["versioned"]))),
    params(("id" = Uuid, Path, description = "API key id")),
    responses((status = 200, description = "The new secret, shown this once (Cache-Control: no-store)", body = ApiKeyWithSecret))
)]
#[post("/api-keys/{id}/rotate")]
async fn rotate_api_key(
    caller: Admin,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let (secret, prefix) = new_api_key();
    let tx = write::begin(&state).await?;
    let key = repo::rotate(
        &tx,
        &caller.actor(),
        *id,
        if_match.0,
        prefix,
        hash_secret(&secret),
    )
    .await?;
    write::commit(tx).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(key.version)))
        .json(ApiKeyWithSecret { key, secret }))
}

/// Revoke an API key
///
/// The key is refused from the next request on, by every instance, for
/// good: a revoked key cannot be restored (create a new one). It stays
/// listed with `include_deleted=true`, carrying `revoked_at`.
#[utoipa::path(
    tag = "api-keys",
    params(("id" = Uuid, Path, description = "API key id")),
    responses((status = 204, description = "Revoked"))
)]
#[delete("/api-keys/{id}")]
async fn revoke_api_key(
    caller: Admin,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let tx = write::begin(&state).await?;
    resource::delete::<repo::ApiKeys>(&tx, &caller.actor(), *id, if_match.0).await?;
    write::commit(tx).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// History of an API key
///
/// Its creation, rotations and revocation, newest first.
#[utoipa::path(
    tag = "api-keys",
    params(("id" = Uuid, Path, description = "API key id"), HistoryParams),
    responses((status = 200, description = "One page of events, newest first", body = Page<AuditEvent>))
)]
#[get("/api-keys/{id}/history")]
async fn api_key_history(
    caller: Admin,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    params: web::Query<HistoryParams>,
    wants: crate::export::Wants,
) -> Result<HttpResponse, ApiError> {
    super::audit::record_history(
        &state,
        &caller,
        ResourceType::ApiKey,
        *id,
        params.into_inner(),
        wants,
    )
    .await
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_api_keys)
        .service(create_api_key)
        .service(get_api_key)
        .service(rotate_api_key)
        .service(revoke_api_key)
        .service(api_key_history);
}
