//! Stored responses of POSTs made with an `Idempotency-Key`, scoped per user.

use crate::Connection;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::entities::idempotency_keys::{self, Column, Entity};
use crate::{RepoError, now};

#[derive(Debug, Clone)]
pub struct StoredResponse {
    pub method: String,
    pub path: String,
    pub request_hash: String,
    pub status_code: u16,
    pub body: String,
    pub location: Option<String>,
    pub etag: Option<String>,
}

pub async fn find(
    db: &impl Connection,
    user_id: Uuid,
    key: &str,
    not_before: DateTime<Utc>,
) -> Result<Option<StoredResponse>, RepoError> {
    let row = Entity::find_by_id((user_id, key.to_owned()))
        .filter(Column::CreatedAt.gte(not_before))
        .one(db)
        .await?;
    Ok(row.map(|m| StoredResponse {
        method: m.method,
        path: m.path,
        request_hash: m.request_hash,
        status_code: u16::try_from(m.status_code).unwrap_or(500),
        body: m.response_body,
        location: m.location,
        etag: m.etag,
    }))
}

/// Claims `key` inside the transaction that will make the change, before making
/// it: a concurrent request with the same key blocks on the primary key until
/// this one commits, then fails with a conflict and replays the stored response.
/// `complete` fills in the response before commit.
pub async fn claim(
    db: &impl Connection,
    user_id: Uuid,
    key: &str,
    response: &StoredResponse,
) -> Result<(), RepoError> {
    // An expired entry under the same key would block the insert.
    Entity::delete_by_id((user_id, key.to_owned()))
        .exec(db)
        .await?;
    Entity::insert(idempotency_keys::ActiveModel {
        user_id: Set(user_id),
        idem_key: Set(key.to_owned()),
        method: Set(response.method.clone()),
        path: Set(response.path.clone()),
        request_hash: Set(response.request_hash.clone()),
        status_code: Set(i32::from(response.status_code)),
        response_body: Set(response.body.clone()),
        location: Set(response.location.clone()),
        etag: Set(response.etag.clone()),
        created_at: Set(now()),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

pub async fn complete(
    db: &impl Connection,
    user_id: Uuid,
    key: &str,
    status_code: u16,
    body: String,
    location: Option<String>,
    etag: Option<String>,
) -> Result<(), RepoError> {
    Entity::update_many()
        .set(idempotency_keys::ActiveModel {
            status_code: Set(i32::from(status_code)),
            response_body: Set(body),
            location: Set(location),
            etag: Set(etag),
            ..Default::default()
        })
        .filter(Column::UserId.eq(user_id))
        .filter(Column::IdemKey.eq(key))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn prune(db: &impl Connection, before: DateTime<Utc>) -> Result<u64, RepoError> {
    let result = Entity::delete_many()
        .filter(Column::CreatedAt.lt(before))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
