//! /api/v1/auth: token exchange, refresh rotation, logout, and "who am I".

use actix_web::{HttpResponse, get, post, web};
use rihla_domain::{RefreshRequest, TokenRequest, TokenResponse, User};
use rihla_persistence::repo::refresh_tokens::{self, Rotation};
use rihla_persistence::repo::users;
use rihla_persistence::{RepoError, now};
use uuid::Uuid;

use crate::auth::tokens::{hash_refresh_token, new_refresh_token};
use crate::auth::{Viewer, password};
use crate::error::ApiError;
use crate::http::{Json, Valid};
use crate::state::AppState;
use crate::write;

const BAD_LOGIN: &str = "the email or password is wrong, or the account is inactive";

fn refresh_rejected() -> ApiError {
    ApiError::Unauthorized("the refresh token is invalid, expired or revoked".into())
}

async fn issue_pair(
    state: &AppState,
    tx: &rihla_persistence::Tx,
    user_id: Uuid,
    role: rihla_domain::Role,
    family: Uuid,
) -> Result<(TokenResponse, Uuid), ApiError> {
    let refresh = new_refresh_token();
    let id = refresh_tokens::insert(
        tx,
        user_id,
        family,
        hash_refresh_token(&refresh),
        now() + state.refresh_ttl,
    )
    .await?;
    let response = TokenResponse {
        access_token: state.jwt.issue(user_id, role)?,
        token_type: "Bearer".into(),
        expires_in: state.jwt.access_ttl_secs,
        refresh_token: refresh,
    };
    Ok((response, id))
}

/// Get an access token
///
/// Exchanges email and password for a short-lived access token and a refresh
/// token. A wrong email and a wrong password get the same answer in the same time.
#[utoipa::path(
    tag = "auth",
    request_body = TokenRequest,
    responses((status = 200, description = "Tokens issued", body = TokenResponse))
)]
#[post("/auth/token")]
async fn issue_token(
    state: web::Data<AppState>,
    body: Json<TokenRequest>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    let TokenRequest {
        email,
        password: given,
    } = body.value;
    // Bounded before any work, so a huge password cannot buy hashing time.
    if email.len() > 254 || given.len() > 1024 {
        return Err(ApiError::Unauthorized(BAD_LOGIN.into()));
    }
    let found = users::credentials_by_email(&state.db, &email).await?;
    let stored = found.as_ref().map(|c| c.password_hash.clone());
    let ok = password::verify(given, stored, state.dummy_hash.clone()).await?;
    let user = match found {
        Some(c) if ok && c.user.active => c.user,
        _ => return Err(ApiError::Unauthorized(BAD_LOGIN.into())),
    };
    let tx = write::begin(&state).await?;
    let (tokens, _) = issue_pair(&state, &tx, user.id, user.role, Uuid::now_v7()).await?;
    write::commit(tx).await?;
    Ok(web::Json(tokens))
}

/// Refresh the tokens
///
/// Spends the refresh token and returns a new pair. A refresh token works once:
/// presenting a spent one again revokes every token of that login.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses((status = 200, description = "New tokens", body = TokenResponse))
)]
#[post("/auth/refresh")]
async fn refresh_token(
    state: web::Data<AppState>,
    body: Valid<RefreshRequest>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    let hash = hash_refresh_token(&body.0.value.refresh_token);
    let tx = write::begin(&state).await?;
    match refresh_tokens::spend(&tx, &hash).await? {
        Rotation::Rotated {
            user_id,
            family_id,
            spent_id,
        } => {
            let (role, active) = users::access(&tx, user_id)
                .await?
                .ok_or_else(refresh_rejected)?;
            if !active {
                return Err(refresh_rejected());
            }
            let (tokens, successor) = issue_pair(&state, &tx, user_id, role, family_id).await?;
            refresh_tokens::link(&tx, spent_id, successor).await?;
            write::commit(tx).await?;
            Ok(web::Json(tokens))
        }
        Rotation::Reused => {
            // Keep the family's revocation even though the request fails.
            write::commit(tx).await?;
            Err(refresh_rejected())
        }
        Rotation::Rejected => Err(refresh_rejected()),
    }
}

/// Log out
///
/// Revokes the refresh token and every token issued from the same login.
/// Answers 204 whether or not the token was known.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses((status = 204, description = "Revoked"))
)]
#[post("/auth/logout")]
async fn logout(
    state: web::Data<AppState>,
    body: Valid<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let hash = hash_refresh_token(&body.0.value.refresh_token);
    refresh_tokens::revoke(&state.db, &hash)
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::NoContent().finish())
}

/// Who am I
#[utoipa::path(
    tag = "auth",
    responses((status = 200, description = "The calling user", body = User))
)]
#[get("/auth/me")]
async fn me(caller: Viewer, state: web::Data<AppState>) -> Result<web::Json<User>, ApiError> {
    match users::get(&state.db, caller.user_id).await {
        Ok(u) => Ok(web::Json(u)),
        Err(RepoError::NotFound) => Err(ApiError::Unauthorized("the user no longer exists".into())),
        Err(e) => Err(e.into()),
    }
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(issue_token)
        .service(refresh_token)
        .service(logout)
        .service(me);
}
