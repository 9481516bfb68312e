//! Refresh tokens: stored as SHA-256 hashes only, single use, revocable. Tokens
//! from one login form a family; presenting a token that was already rotated
//! means it leaked, so the whole family is revoked.

use crate::Connection;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::entities::refresh_tokens::{self, Column, Entity};
use crate::{RepoError, now};

pub async fn insert(
    db: &impl Connection,
    user_id: Uuid,
    family_id: Uuid,
    token_hash: String,
    expires_at: DateTime<Utc>,
    family_expires_at: DateTime<Utc>,
) -> Result<Uuid, RepoError> {
    let id = Uuid::now_v7();
    Entity::insert(refresh_tokens::ActiveModel {
        id: Set(id),
        user_id: Set(user_id),
        family_id: Set(family_id),
        token_hash: Set(token_hash),
        created_at: Set(now()),
        // A token never outlives its family.
        expires_at: Set(expires_at.min(family_expires_at)),
        family_expires_at: Set(Some(family_expires_at)),
        revoked_at: Set(None),
        replaced_by: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    Ok(id)
}

#[derive(Debug, PartialEq, Eq)]
pub enum Rotation {
    /// The token was live; it is now spent. Issue the next one in `family_id`.
    Rotated {
        user_id: Uuid,
        family_id: Uuid,
        spent_id: Uuid,
        /// The family's absolute end, which no rotation extends.
        family_expires_at: DateTime<Utc>,
    },
    /// Unknown, expired or revoked: refuse.
    Rejected,
    /// Already rotated once: a replay, the sign of a stolen token. The
    /// family has been revoked; the caller ends the user's sessions too.
    Reused { user_id: Uuid },
}

/// Spends a refresh token. Call in a write transaction, then `insert` the
/// successor and `link` it, so a crash between the steps leaves no live pair.
pub async fn spend(db: &impl Connection, token_hash: &str) -> Result<Rotation, RepoError> {
    let Some(row) = Entity::find()
        .filter(Column::TokenHash.eq(token_hash))
        .lock_exclusive()
        .one(db)
        .await?
    else {
        return Ok(Rotation::Rejected);
    };
    if row.replaced_by.is_some() {
        revoke_family(db, row.family_id).await?;
        return Ok(Rotation::Reused {
            user_id: row.user_id,
        });
    }
    let at = now();
    // Rows from before families had an end inherit their own expiry.
    let family_expires_at = row.family_expires_at.unwrap_or(row.expires_at);
    if row.revoked_at.is_some() || row.expires_at <= at || family_expires_at <= at {
        return Ok(Rotation::Rejected);
    }
    // Guarded on revoked_at so two concurrent refreshes cannot both spend it.
    let result = Entity::update_many()
        .col_expr(Column::RevokedAt, Expr::val(at))
        .filter(Column::Id.eq(row.id))
        .filter(Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    if result.rows_affected != 1 {
        return Ok(Rotation::Rejected);
    }
    Ok(Rotation::Rotated {
        user_id: row.user_id,
        family_id: row.family_id,
        spent_id: row.id,
        family_expires_at,
    })
}

/// Records which token replaced a spent one (the mark that detects replays).
pub async fn link(db: &impl Connection, spent_id: Uuid, successor: Uuid) -> Result<(), RepoError> {
    Entity::update_many()
        .col_expr(Column::ReplacedBy, Expr::val(successor))
        .filter(Column::Id.eq(spent_id))
        .exec(db)
        .await?;
    Ok(())
}

async fn revoke_family(db: &impl Connection, family_id: Uuid) -> Result<u64, RepoError> {
    let result = Entity::update_many()
        .col_expr(Column::RevokedAt, Expr::val(now()))
        .filter(Column::FamilyId.eq(family_id))
        .filter(Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Logout: revokes the token's whole family (this session). Returns the
/// token's user, if the token was known.
pub async fn revoke(db: &impl Connection, token_hash: &str) -> Result<Option<Uuid>, RepoError> {
    let found: Option<(Uuid, Uuid)> = Entity::find()
        .select_only()
        .column(Column::FamilyId)
        .column(Column::UserId)
        .filter(Column::TokenHash.eq(token_hash))
        .into_tuple()
        .one(db)
        .await?;
    match found {
        Some((family, user)) => {
            revoke_family(db, family).await?;
            Ok(Some(user))
        }
        None => Ok(None),
    }
}

/// Every live session of a user (password reset, deactivation).
pub async fn revoke_user(db: &impl Connection, user_id: Uuid) -> Result<u64, RepoError> {
    let result = Entity::update_many()
        .col_expr(Column::RevokedAt, Expr::val(now()))
        .filter(Column::UserId.eq(user_id))
        .filter(Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Removes tokens that expired before `before`; they can no longer be used, and
/// a replay of one is refused as unknown.
pub async fn prune_expired(db: &impl Connection, before: DateTime<Utc>) -> Result<u64, RepoError> {
    let result = Entity::delete_many()
        .filter(Column::ExpiresAt.lt(before))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
