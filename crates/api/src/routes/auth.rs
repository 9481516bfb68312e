//! /api/v1/auth: token exchange (throttled), refresh rotation, logout (one
//! session or all), password change, and "who am I".

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use rihla_domain::{PasswordChange, RefreshRequest, TokenRequest, TokenResponse, User};
use rihla_persistence::repo::refresh_tokens::{self, Rotation};
use rihla_persistence::repo::{login_failures, users};
use rihla_persistence::{RepoError, now};
use uuid::Uuid;

use crate::auth::Viewer;
use crate::auth::tokens::{hash_secret, new_refresh_token};
use crate::error::ApiError;
use crate::http::{Json, Valid};
use crate::state::AppState;
use crate::write;

const BAD_LOGIN: &str = "the email or password is wrong, or the account is inactive";
/// The longest email and password a login reads (RFC 5321's address limit;
/// a password policy's maximum in bytes).
const MAX_EMAIL_BYTES: usize = 254;
const MAX_PASSWORD_BYTES: usize = 1024;

fn refresh_rejected() -> ApiError {
    ApiError::Unauthorized("the refresh token is invalid, expired or revoked".into())
}

/// A token pair for a new login (`family` none) or the next of a family.
async fn issue_pair(
    state: &AppState,
    tx: &rihla_persistence::Tx,
    user_id: Uuid,
    access: users::Access,
    family: Option<(Uuid, chrono::DateTime<chrono::Utc>)>,
) -> Result<(TokenResponse, Uuid), ApiError> {
    let (family_id, family_ends) =
        family.unwrap_or_else(|| (Uuid::now_v7(), now() + state.session_max_age));
    let refresh = new_refresh_token();
    let id = refresh_tokens::insert(
        tx,
        user_id,
        family_id,
        hash_secret(&refresh),
        now() + state.refresh_ttl,
        family_ends,
    )
    .await?;
    let response = TokenResponse {
        access_token: state
            .jwt
            .issue(user_id, access.role, access.session_epoch)?,
        token_type: "Bearer".into(),
        expires_in: state.jwt.access_ttl_secs,
        refresh_token: refresh,
    };
    Ok((response, id))
}

/// The client's address for throttling: the peer, or behind a trusted proxy
/// the last address X-Forwarded-For names (the one the proxy saw).
fn client_address(state: &AppState, req: &HttpRequest) -> String {
    let forwarded = state
        .login
        .trust_forwarded_for
        .then(|| req.headers().get("x-forwarded-for"))
        .flatten()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .map(|a| a.trim().to_owned())
        .filter(|a| !a.is_empty());
    forwarded
        .or_else(|| req.peer_addr().map(|a| a.ip().to_string()))
        .unwrap_or_default()
}

/// How long an attempt on an account that has failed `failures` times
/// (from anywhere) waits before its password is checked: nothing up to the
/// limit, then 250 ms doubling to at most 4 s. Slowed, never shut: a
/// stranger's wrong passwords cost the owner seconds, not the account.
fn slowdown(failures: i32, limit: i32) -> std::time::Duration {
    let over = failures.saturating_sub(limit);
    if over <= 0 {
        return std::time::Duration::ZERO;
    }
    std::time::Duration::from_millis(250u64 << over.min(4).saturating_sub(1) as u32)
}

/// A 429 for a scope this instance remembers as shut (`ShutScopes`).
fn throttled_for(left: std::time::Duration) -> ApiError {
    throttled(chrono::Duration::from_std(left).unwrap_or_default())
}

fn throttled(left: chrono::Duration) -> ApiError {
    metrics::counter!("rihla_logins_throttled_total").increment(1);
    ApiError::TooManyRequests {
        detail: "too many failed logins from this address; wait for the time Retry-After gives"
            .into(),
        retry_after_secs: u64::try_from(left.num_seconds() + 1).unwrap_or(1),
    }
}

/// Checks the throttle and counts this attempt (before any hashing, so
/// concurrent guesses cannot all slip under the limit); 429 if the account
/// from this address, or the address, is past its limit. A refused attempt
/// writes nothing. Returns how long the attempt must wait first.
async fn count_attempt(
    state: &AppState,
    scopes: &login_failures::Scopes,
) -> Result<std::time::Duration, ApiError> {
    let limits = &state.login;
    let window = limits.window;
    let shut_scopes = [
        (&scopes.pair, limits.max_per_pair),
        (&scopes.address, limits.max_per_address),
    ];
    for (scope, _) in shut_scopes {
        if let Some(left) = limits.shut.shut_for(scope) {
            return Err(throttled_for(left));
        }
    }
    let db = state.reader().await?;
    for (scope, max) in shut_scopes {
        let (failures, left) = login_failures::failures(&db, scope, window).await?;
        if failures >= max {
            limits
                .shut
                .remember(scope, left.to_std().unwrap_or_default());
            return Err(throttled(left));
        }
    }
    drop(db);
    let tx = write::begin(state).await?;
    let pair = login_failures::count(&tx, &scopes.pair, window).await?;
    let address = login_failures::count(&tx, &scopes.address, window).await?;
    let account = login_failures::count(&tx, &scopes.account, window).await?;
    write::commit(tx).await?;
    // Concurrent attempts that all passed the read above: past the limit now.
    if pair > limits.max_per_pair || address > limits.max_per_address {
        let (_, left) = login_failures::failures(&state.db, &scopes.pair, window).await?;
        return Err(throttled(left.max(chrono::Duration::seconds(1))));
    }
    Ok(slowdown(account - 1, limits.max_per_pair))
}

/// A right password: the account starts afresh, from every address, and
/// the address gets its attempt back.
async fn succeeded(
    tx: &rihla_persistence::Tx,
    scopes: &login_failures::Scopes,
) -> Result<(), ApiError> {
    login_failures::clear(tx, &scopes.account).await?;
    login_failures::clear(tx, &scopes.pair).await?;
    login_failures::uncount(tx, &scopes.address).await?;
    Ok(())
}

/// Get an access token
///
/// Exchanges email and password for a short-lived access token and a refresh
/// token. A wrong email and a wrong password get the same answer in the same
/// time. After `APP_LOGIN_MAX_FAILURES` failures for one email (or
/// `APP_LOGIN_MAX_FAILURES_PER_ADDRESS` from one address) within
/// `APP_LOGIN_WINDOW_SECS`, attempts get 429 with Retry-After until the window
/// ends, whether or not the account exists. When more logins arrive than
/// passwords can be checked at once, one that waits too long gets 503 with
/// Retry-After.
#[utoipa::path(
    tag = "auth",
    extensions(("x-rihla" = json!(["public", "credentials", "throttled", "not-a-record"]))),
    request_body = TokenRequest,
    responses((status = 200, description = "Tokens issued (Cache-Control: no-store)", body = TokenResponse))
)]
#[post("/auth/token")]
async fn issue_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<TokenRequest>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    let TokenRequest {
        email,
        password: given,
    } = body.value;
    // Bounded before anything is written or hashed: no input buys storage
    // or hashing time.
    if email.len() > MAX_EMAIL_BYTES || given.len() > MAX_PASSWORD_BYTES {
        return Err(ApiError::Unauthorized(BAD_LOGIN.into()));
    }
    let scopes = login_failures::Scopes::of(&email, &client_address(&state, &req));
    let wait = count_attempt(&state, &scopes).await?;
    if !wait.is_zero() {
        tokio::time::sleep(wait).await;
    }
    let found = users::credentials_by_email(&state.db, &email).await?;
    let stored = found.as_ref().map(|c| c.password_hash.clone());
    let ok = state
        .hasher
        .verify(given, stored, state.dummy_hash.clone())
        .await?;
    let user = match found {
        Some(c) if ok && c.user.active => c.user,
        _ => {
            metrics::counter!("rihla_logins_failed_total").increment(1);
            return Err(ApiError::Unauthorized(BAD_LOGIN.into()));
        }
    };
    let tx = write::begin(&state).await?;
    succeeded(&tx, &scopes).await?;
    let access = users::access(&tx, user.id)
        .await?
        .ok_or_else(|| ApiError::Unauthorized(BAD_LOGIN.into()))?;
    let (tokens, _) = issue_pair(&state, &tx, user.id, access, None).await?;
    write::commit(tx).await?;
    Ok(web::Json(tokens))
}

/// Refresh the tokens
///
/// Spends the refresh token and returns a new pair. A refresh token works once:
/// presenting a spent one again revokes every token of that login and ends
/// every access token of the user at once (a replay means the token was
/// stolen; the user logs in again). A login
/// lasts at most `APP_SESSION_MAX_AGE_SECS` (30 days by default) however
/// often it is refreshed.
#[utoipa::path(
    tag = "auth",
    extensions(("x-rihla" = json!(["public", "credentials", "not-a-record"]))),
    request_body = RefreshRequest,
    responses((status = 200, description = "New tokens (Cache-Control: no-store)", body = TokenResponse))
)]
#[post("/auth/refresh")]
async fn refresh_token(
    state: web::Data<AppState>,
    body: Valid<RefreshRequest>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    let hash = hash_secret(&body.0.value.refresh_token);
    let tx = write::begin(&state).await?;
    match refresh_tokens::spend(&tx, &hash).await? {
        Rotation::Rotated {
            user_id,
            family_id,
            spent_id,
            family_expires_at,
        } => {
            let access = users::access(&tx, user_id)
                .await?
                .filter(|a| a.active)
                .ok_or_else(refresh_rejected)?;
            let (tokens, successor) = issue_pair(
                &state,
                &tx,
                user_id,
                access,
                Some((family_id, family_expires_at)),
            )
            .await?;
            refresh_tokens::link(&tx, spent_id, successor).await?;
            write::commit(tx).await?;
            Ok(web::Json(tokens))
        }
        Rotation::Reused { user_id } => {
            // Whoever replayed it holds access tokens of the family too:
            // ending the user's sessions (the session epoch) ends those at
            // once, on every instance, not when they expire. Kept even
            // though the request fails.
            users::end_sessions(&tx, user_id).await?;
            write::commit(tx).await?;
            state.access.invalidate();
            Err(refresh_rejected())
        }
        Rotation::Rejected => Err(refresh_rejected()),
    }
}

/// Log out
///
/// Revokes the refresh token and every token issued from the same login,
/// and ends the user's access tokens at once (other devices refresh theirs
/// with their own refresh tokens). Answers 204 whether or not the token was
/// known.
#[utoipa::path(
    tag = "auth",
    extensions(("x-rihla" = json!(["public", "credentials", "not-a-record"]))),
    request_body = RefreshRequest,
    responses((status = 204, description = "Revoked"))
)]
#[post("/auth/logout")]
async fn logout(
    state: web::Data<AppState>,
    body: Valid<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let hash = hash_secret(&body.0.value.refresh_token);
    let tx = write::begin(&state).await?;
    if let Some(user_id) = refresh_tokens::revoke(&tx, &hash).await? {
        users::end_sessions(&tx, user_id).await?;
    }
    write::commit(tx).await?;
    state.access.invalidate();
    Ok(HttpResponse::NoContent().finish())
}

/// Log out everywhere
///
/// Ends every session of the calling user: all refresh tokens are revoked
/// and all access tokens (this one included) stop working at once.
#[utoipa::path(
    tag = "auth",
    extensions(("x-rihla" = json!(["not-a-record"]))),
    responses((status = 204, description = "Every session ended"))
)]
#[post("/auth/logout-all")]
async fn logout_all(caller: Viewer, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let user_id = caller.user_id()?;
    let tx = write::begin(&state).await?;
    refresh_tokens::revoke_user(&tx, user_id).await?;
    users::end_sessions(&tx, user_id).await?;
    write::commit(tx).await?;
    state.access.invalidate();
    Ok(HttpResponse::NoContent().finish())
}

/// Change my password
///
/// Needs the current password. Every session of the user ends (refresh and
/// access tokens alike); the answer is a new token pair for this one. A
/// wrong current password is 422 and counts as a failed login for the
/// account, so it cannot be guessed through this door either.
#[utoipa::path(
    tag = "auth",
    extensions(("x-rihla" = json!(["throttled", "not-a-record"]))),
    request_body = PasswordChange,
    responses((status = 200, description = "Password changed; new tokens (Cache-Control: no-store)", body = TokenResponse))
)]
#[post("/auth/password")]
async fn change_password(
    caller: Viewer,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Valid<PasswordChange>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    let user_id = caller.user_id()?;
    let PasswordChange {
        current_password,
        new_password,
    } = body.0.value;
    let account_email = users::get(&state.db, user_id).await?.email;
    let scopes = login_failures::Scopes::of(&account_email, &client_address(&state, &req));
    let wait = count_attempt(&state, &scopes).await?;
    if !wait.is_zero() {
        tokio::time::sleep(wait).await;
    }
    let stored = users::password_hash(&state.db, user_id).await?;
    if !state
        .hasher
        .verify(current_password, stored, state.dummy_hash.clone())
        .await?
    {
        return Err(ApiError::validation(vec![rihla_domain::FieldError::new(
            "current_password",
            "incorrect",
            "current_password is not the account's password",
        )]));
    }
    let hash = state.hasher.hash(new_password).await?;
    let tx = write::begin(&state).await?;
    users::set_password(&tx, &caller.actor(), user_id, hash).await?;
    refresh_tokens::revoke_user(&tx, user_id).await?;
    succeeded(&tx, &scopes).await?;
    let access = users::access(&tx, user_id)
        .await?
        .ok_or_else(|| ApiError::Unauthorized("the user no longer exists".into()))?;
    let (tokens, _) = issue_pair(&state, &tx, user_id, access, None).await?;
    write::commit(tx).await?;
    state.access.invalidate();
    Ok(web::Json(tokens))
}

/// Who am I
///
/// The signed-in user; 403 for an API key, which is no user.
#[utoipa::path(
    tag = "auth",
    extensions(("x-rihla" = json!(["not-a-record"]))),
    responses((status = 200, description = "The calling user", body = User))
)]
#[get("/auth/me")]
async fn me(caller: Viewer, state: web::Data<AppState>) -> Result<web::Json<User>, ApiError> {
    match users::get(&state.db, caller.user_id()?).await {
        Ok(u) => Ok(web::Json(u)),
        Err(RepoError::NotFound) => Err(ApiError::Unauthorized("the user no longer exists".into())),
        Err(e) => Err(e.into()),
    }
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(issue_token)
        .service(refresh_token)
        .service(logout)
        .service(logout_all)
        .service(change_password)
        .service(me);
}
