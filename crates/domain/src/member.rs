//! Project membership: who may reach one project's records, and how. A
//! member is a user or an API key; a `partner` reaches nothing else.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::enums::ProjectRole;
use crate::validation::{Check, FieldError};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "019367e0-0000-7000-8000-0000000000d1",
    "project_id": "019367e0-0000-7000-8000-000000000101",
    "user_id": "019367e0-0000-7000-8000-0000000000ab",
    "api_key_id": null,
    "role": "editor",
    "created_at": "2026-12-06T08:00:00Z",
    "updated_at": "2026-12-06T08:00:00Z",
    "created_by": "019367e0-0000-7000-8000-0000000000aa",
    "version": 1
}))]
pub struct ProjectMember {
    pub id: Uuid,
    pub project_id: Uuid,
    /// The member, when a user.
    pub user_id: Option<Uuid>,
    /// The member, when an API key.
    pub api_key_id: Option<Uuid>,
    pub role: ProjectRole,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub created_by: Option<Uuid>,
    pub version: i32,
    /// When the membership was removed (admins' `include_deleted` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_by: Option<Uuid>,
}

/// The body of `POST /projects/{id}/members`: exactly one of `user_id` and
/// `api_key_id`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"user_id": "019367e0-0000-7000-8000-0000000000ab", "role": "editor"}))]
pub struct MemberCreate {
    pub user_id: Option<Uuid>,
    pub api_key_id: Option<Uuid>,
    pub role: ProjectRole,
}

impl Check for MemberCreate {
    fn check(&self) -> Vec<FieldError> {
        match (self.user_id, self.api_key_id) {
            (Some(_), None) | (None, Some(_)) => Vec::new(),
            _ => vec![FieldError::new(
                "user_id",
                "one_of",
                "name exactly one member: user_id or api_key_id",
            )],
        }
    }
}

/// The body of `PATCH /projects/{id}/members/{member_id}`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"role": "viewer"}))]
pub struct MemberPatch {
    pub role: ProjectRole,
}

impl Check for MemberPatch {
    fn check(&self) -> Vec<FieldError> {
        Vec::new()
    }
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MemberListParams {
    /// Page size, 1..100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Also return `total`.
    pub count: Option<bool>,
    /// Admins only: list removed memberships too.
    #[param(default = false)]
    pub include_deleted: Option<bool>,
}
