//! API keys: credentials for integrating systems, managed by admins. A key
//! acts with its own role (viewer or editor, never admin) and is named as the
//! actor of everything it changes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::enums::Role;
use crate::validation::{self, Check, FieldError};

/// Every key begins with this, so secret scanners can recognise a leaked one.
pub const API_KEY_PREFIX: &str = "rihla_ak_";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "019367e0-0000-7000-8000-0000000000c1",
    "name": "Partner reporting system",
    "role": "viewer",
    "prefix": "rihla_ak_3Fq9",
    "expires_at": "2027-12-31T00:00:00Z",
    "last_used_at": "2026-12-06T09:30:00Z",
    "created_at": "2026-12-01T08:00:00Z",
    "created_by": "019367e0-0000-7000-8000-0000000000aa",
    "updated_at": "2026-12-01T08:00:00Z",
    "version": 1
}))]
pub struct ApiKey {
    pub id: Uuid,
    pub name: String,
    /// `viewer`, `editor` or `partner`.
    pub role: Role,
    /// The key's first characters, to tell keys apart; the secret itself is
    /// shown once, when the key is created or rotated.
    pub prefix: String,
    /// After this instant the key is refused; none means it does not expire.
    pub expires_at: Option<DateTime<Utc>>,
    /// When the key last authenticated a request (to the minute).
    pub last_used_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// The admin who created it.
    pub created_by: Option<Uuid>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
    /// When the key was revoked; a revoked key is refused at once and for good.
    #[serde(
        rename = "revoked_at",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub deleted_at: Option<DateTime<Utc>>,
    /// Who revoked it.
    #[serde(
        rename = "revoked_by",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub deleted_by: Option<Uuid>,
}

/// The body of `POST /api-keys`.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Partner reporting system",
    "role": "viewer",
    "expires_at": "2027-12-31T00:00:00Z"
}))]
pub struct ApiKeyCreate {
    #[validate(length(min = 1, max = 200), custom(function = "validation::not_blank"))]
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: String,
    /// `viewer`, `editor` or `partner` (reaching only the projects the key
    /// is made a member of); a key is never an admin.
    pub role: Role,
    /// Optional; must be in the future.
    pub expires_at: Option<DateTime<Utc>>,
}

impl ApiKeyCreate {
    pub fn check_at(&self, now: DateTime<Utc>) -> Vec<FieldError> {
        let mut errors = self
            .validate()
            .err()
            .map(|e| validation::flatten(&e))
            .unwrap_or_default();
        if self.role == Role::Admin {
            errors.push(FieldError::new(
                "role",
                "not_allowed",
                "an API key is a viewer, an editor or a partner, never an admin",
            ));
        }
        if let Some(at) = self.expires_at
            && at <= now
        {
            errors.push(FieldError::new(
                "expires_at",
                "in_the_past",
                "expires_at must be in the future",
            ));
        }
        errors
    }
}

impl Check for ApiKeyCreate {
    fn check(&self) -> Vec<FieldError> {
        self.check_at(Utc::now())
    }
}

/// A key with its secret: the answer to a create or a rotation, the only
/// time the secret is shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "key": {
        "id": "019367e0-0000-7000-8000-0000000000c1",
        "name": "Partner reporting system",
        "role": "viewer",
        "prefix": "rihla_ak_3Fq9",
        "expires_at": null,
        "last_used_at": null,
        "created_at": "2026-12-01T08:00:00Z",
        "created_by": "019367e0-0000-7000-8000-0000000000aa",
        "updated_at": "2026-12-01T08:00:00Z",
        "version": 1
    },
    "secret": "rihla_ak_3Fq9ZlQ1m0bVtXo8cW2yKdR7uH5sJ4nE6aG1pL0iT9fB"
}))]
pub struct ApiKeyWithSecret {
    pub key: ApiKey,
    /// Send as `Authorization: Bearer <secret>` or `X-Api-Key: <secret>`.
    /// Store it now: only its hash is kept.
    pub secret: String,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApiKeyListParams {
    /// Case-insensitive substring of the name.
    pub q: Option<String>,
    /// Page size, 1..100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Also return `total`.
    pub count: Option<bool>,
    /// List revoked keys too (each carries `revoked_at`).
    #[param(default = false)]
    pub include_deleted: Option<bool>,
}
