//! Users and the token exchange of the auth endpoints.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::enums::Role;
use crate::validation::{self, Check, FieldError};

pub const MIN_PASSWORD_CHARS: u64 = 12;
/// Bounded so a client cannot make the server hash megabytes.
pub const MAX_PASSWORD_CHARS: u64 = 256;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "019367e0-0000-7000-8000-0000000000aa",
    "email": "admin@rihla.local",
    "display_name": "Administrator",
    "role": "admin",
    "active": true,
    "created_at": "2026-11-22T08:00:00Z",
    "updated_at": "2026-11-22T08:00:00Z",
    "version": 1
}))]
pub struct User {
    pub id: Uuid,
    /// Lower-cased; unique regardless of case.
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// An inactive user cannot log in and their tokens stop working at once.
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
    /// Set when the record was deleted; only admins see deleted records
    /// (`include_deleted=true`), and `POST .../restore` clears it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
    /// Who deleted it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_by: Option<Uuid>,
}

fn default_true() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "email": "programme.officer@example.org",
    "display_name": "Programme Officer",
    "role": "editor",
    "password": "correct horse battery staple"
}))]
pub struct UserCreate {
    #[validate(email, length(max = 254))]
    #[schema(format = "email", max_length = 254)]
    pub email: String,
    #[validate(length(min = 1, max = 200), custom(function = "validation::not_blank"))]
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub display_name: String,
    pub role: Role,
    #[validate(length(min = "MIN_PASSWORD_CHARS", max = "MAX_PASSWORD_CHARS"))]
    #[schema(min_length = 12, max_length = 256, format = "password")]
    pub password: String,
    #[serde(default = "default_true")]
    #[schema(default = true)]
    pub active: bool,
}

impl Check for UserCreate {
    fn check(&self) -> Vec<FieldError> {
        self.validate()
            .err()
            .map(|e| validation::flatten(&e))
            .unwrap_or_default()
    }
}

/// A partial update: only the fields present change.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"role": "viewer", "active": false}))]
pub struct UserPatch {
    #[validate(length(min = 1, max = 200), custom(function = "validation::not_blank"))]
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
}

impl Check for UserPatch {
    fn check(&self) -> Vec<FieldError> {
        self.validate()
            .err()
            .map(|e| validation::flatten(&e))
            .unwrap_or_default()
    }
}

/// Body of a password reset. Without `password` the server generates one and
/// returns it once.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordReset {
    #[validate(length(min = "MIN_PASSWORD_CHARS", max = "MAX_PASSWORD_CHARS"))]
    #[schema(min_length = 12, max_length = 256, format = "password")]
    pub password: Option<String>,
}

impl Check for PasswordReset {
    fn check(&self) -> Vec<FieldError> {
        self.validate()
            .err()
            .map(|e| validation::flatten(&e))
            .unwrap_or_default()
    }
}

/// Body of `POST /auth/password`: a user changes their own password.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "current_password": "correct horse battery staple",
    "new_password": "a new and longer passphrase"
}))]
pub struct PasswordChange {
    #[validate(length(max = "MAX_PASSWORD_CHARS"))]
    #[schema(max_length = 256, format = "password")]
    pub current_password: String,
    #[validate(length(min = "MIN_PASSWORD_CHARS", max = "MAX_PASSWORD_CHARS"))]
    #[schema(min_length = 12, max_length = 256, format = "password")]
    pub new_password: String,
}

impl Check for PasswordChange {
    fn check(&self) -> Vec<FieldError> {
        self.validate()
            .err()
            .map(|e| validation::flatten(&e))
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PasswordResetResult {
    /// Present only when the server generated the password; shown this once.
    pub generated_password: Option<String>,
    /// Refresh tokens of the user revoked by the reset.
    pub revoked_sessions: u64,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserListParams {
    pub role: Option<Role>,
    pub active: Option<bool>,
    /// Case-insensitive substring of email or display name.
    pub q: Option<String>,
    /// Page size, 1..100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Also return `total`.
    pub count: Option<bool>,
    /// Admins only: list deleted records too (each carries `deleted_at`).
    #[param(default = false)]
    pub include_deleted: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "admin@rihla.local", "password": "your-admin-password"}))]
pub struct TokenRequest {
    #[schema(max_length = 254)]
    pub email: String,
    #[schema(max_length = 256, format = "password")]
    pub password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    /// A JWT (HS256) to send as `Authorization: Bearer <token>`.
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: u64,
    /// Opaque, single use: exchange it at /auth/refresh for a new pair.
    pub refresh_token: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    #[schema(max_length = 200)]
    pub refresh_token: String,
}

/// The longest refresh token worth looking up; ours are far shorter.
pub const MAX_REFRESH_TOKEN_CHARS: usize = 200;

impl Check for RefreshRequest {
    fn check(&self) -> Vec<FieldError> {
        if self.refresh_token.chars().count() > MAX_REFRESH_TOKEN_CHARS {
            vec![FieldError::new(
                "refresh_token",
                "too_long",
                format!("refresh_token is at most {MAX_REFRESH_TOKEN_CHARS} characters"),
            )]
        } else {
            Vec::new()
        }
    }
}
