//! The audit trail: events (who changed what, from what), a record's
//! history and the change feed integrators follow, which are views of it,
//! and the parameters of their lists.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::ResourceType;
use crate::enums::string_enum;

string_enum!(
    /// What happened to the record. `purge` removed a deleted record for good.
    AuditAction {
        Create => "create",
        Update => "update",
        Delete => "delete",
        Restore => "restore",
        Purge => "purge",
    }
);

string_enum!(
    /// `user`: `actor` is the user's id. `api_key`: `actor` is the API key's
    /// id. `system`: the service acting for an operator's command, and
    /// `actor` names it (`seed-demo`, `purge`, ...).
    ActorType { User => "user", ApiKey => "api_key", System => "system" }
);

/// A field's value before and after the change (null where it had none).
/// Secrets are never shown: a password change appears as the field
/// `password` with both values `"[redacted]"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FieldChange {
    #[schema(example = "planned")]
    pub old: Value,
    #[schema(example = "active")]
    pub new: Value,
}

/// Changed fields by name. Bookkeeping fields (`version`, `updated_at`,
/// `updated_by`) are left out; a list or object that changed is shown whole.
pub type Changes = std::collections::BTreeMap<String, FieldChange>;

pub const REDACTED: &str = "[redacted]";

/// One change to one record, written in the same transaction as the change.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "019367e0-0000-7000-8000-0000000000e1",
    "resource_type": "project",
    "record_id": "019367e0-0000-7000-8000-000000000101",
    "action": "update",
    "actor_type": "user",
    "actor": "019367e0-0000-7000-8000-0000000000aa",
    "request_id": "019367e0-0000-7000-8000-0000000000f1",
    "occurred_at": "2026-11-22T09:30:00Z",
    "version": 2,
    "changes": {
        "status": {"old": "planned", "new": "active"},
        "themes": {"old": ["border management"], "new": ["border management", "governance"]}
    }
}))]
pub struct AuditEvent {
    pub id: Uuid,
    pub resource_type: ResourceType,
    pub record_id: Uuid,
    pub action: AuditAction,
    pub actor_type: ActorType,
    /// Who made the change: a user id, an API key id, or the name of a
    /// system actor.
    #[schema(example = "0193a0c4-0000-7000-8000-000000000001")]
    pub actor: String,
    /// The server's id of the request that made the change (none for
    /// commands run by an operator); its log lines carry the same id.
    pub request_id: Option<String>,
    /// The `X-Request-Id` the client sent with that request, if any: the
    /// client's own correlation id, kept beside the server's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    pub occurred_at: DateTime<Utc>,
    /// The record's version after the change.
    #[schema(example = 2)]
    pub version: i32,
    /// Each field the change set or altered, with its old and new value: for
    /// a create every field (old null), for a delete `deleted_at` and
    /// `deleted_by`, for a purge every field (new null).
    pub changes: std::collections::BTreeMap<String, FieldChange>,
    /// For `create`, `delete`, `restore` and `purge`: the whole record as it
    /// was after the change (before it, for `purge`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub record: Option<Value>,
}

/// One entry of the change feed: enough to know what to fetch again.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "position": 1042,
    "id": "019367e0-0000-7000-8000-0000000000e1",
    "resource_type": "project",
    "record_id": "019367e0-0000-7000-8000-000000000101",
    "action": "update",
    "version": 2,
    "occurred_at": "2026-11-22T09:30:00Z",
    "actor_type": "user",
    "actor": "019367e0-0000-7000-8000-0000000000aa"
}))]
pub struct ChangeEvent {
    /// Feed order: strictly increasing along the feed, never reused.
    #[schema(example = 1042)]
    pub position: i64,
    /// The audit event's id (GET /audit-events gives its details to admins).
    pub id: Uuid,
    pub resource_type: ResourceType,
    pub record_id: Uuid,
    pub action: AuditAction,
    #[schema(example = 2)]
    pub version: i32,
    pub occurred_at: DateTime<Utc>,
    /// Who made the change: a user, an API key, or a system actor.
    pub actor_type: ActorType,
    /// The user's or API key's id, or the system actor's name.
    pub actor: String,
}

/// A page of the change feed. `next_cursor` is always present: pass it back as
/// `after` to continue, and keep polling with it when `items` is empty.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "items": [{
        "position": 1042,
        "id": "019367e0-0000-7000-8000-0000000000e1",
        "resource_type": "project",
        "record_id": "019367e0-0000-7000-8000-000000000101",
        "action": "update",
        "version": 2,
        "occurred_at": "2026-11-22T09:30:00Z",
        "actor_type": "user",
        "actor": "019367e0-0000-7000-8000-0000000000aa"
    }],
    "next_cursor": "1042"
}))]
pub struct ChangeFeed {
    pub items: Vec<ChangeEvent>,
    #[schema(example = "1042")]
    pub next_cursor: String,
}

/// Paging of a record's history (newest first).
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryParams {
    /// Page size.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^([1-9][0-9]{0,17})?$")]
    pub cursor: Option<String>,
}

/// Filters of the admin audit log (newest first).
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditEventListParams {
    /// A user id, an API key id, or a system actor's name (`seed-demo`,
    /// `purge`, ...).
    pub actor: Option<String>,
    #[param(value_type = Option<crate::resource_type::ResourceTypeFilter>)]
    pub resource_type: Option<ResourceType>,
    pub record_id: Option<Uuid>,
    pub action: Option<AuditAction>,
    /// Events at or after this time (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Events before this time (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// Page size.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^([1-9][0-9]{0,17})?$")]
    pub cursor: Option<String>,
}

/// Reading the change feed.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangeListParams {
    /// `next_cursor` of the previous page; omit it to start from the beginning.
    #[param(pattern = "^([0-9]{1,18})?$")]
    pub after: Option<String>,
    /// Page size.
    #[param(minimum = 1, maximum = 1000, default = 100)]
    pub limit: Option<u64>,
    /// Only changes to this kind of record.
    #[param(value_type = Option<crate::resource_type::ResourceTypeFilter>)]
    pub resource_type: Option<ResourceType>,
}

pub const FEED_DEFAULT_LIMIT: u64 = 100;
pub const FEED_MAX_LIMIT: u64 = 1000;

/// `include_deleted=true` on a single-record read (admins only).
#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReadParams {
    /// Admins only: also find a deleted record.
    #[param(default = false)]
    pub include_deleted: Option<bool>,
}
