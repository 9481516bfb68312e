//! Failed-login counters, one row per scope (`account:<email>` or
//! `address:<ip>`), in the database so every instance behind a load balancer
//! counts the same failures. A fixed window: the first failure opens it, and
//! a failure after it has passed opens a new one.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::entities::login_failures::{self, Column, Entity};
use crate::{RepoError, now};

/// How long the scope that is locked longest stays locked, if any of
/// `scopes` has `max_failures` or more failures in its current window.
pub async fn locked_for(
    db: &impl ConnectionTrait,
    scopes: &[String],
    max_failures: i32,
    window: Duration,
) -> Result<Option<Duration>, RepoError> {
    let at = now();
    let rows = Entity::find()
        .filter(Column::Scope.is_in(scopes.iter().cloned()))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|r| r.failures >= max_failures)
        .map(|r| r.window_start + window - at)
        .filter(|left| *left > Duration::zero())
        .max())
}

/// Counts one failure against `scope`.
pub async fn record_failure(
    db: &impl ConnectionTrait,
    scope: &str,
    window: Duration,
) -> Result<(), RepoError> {
    let at = now();
    let expired = || Expr::col((Entity, Column::WindowStart)).lte(at - window);
    let on_conflict = OnConflict::column(Column::Scope)
        .value(
            Column::Failures,
            Expr::case(expired(), 1).finally(Expr::col((Entity, Column::Failures)).add(1)),
        )
        .value(
            Column::WindowStart,
            Expr::case(expired(), at).finally(Expr::col((Entity, Column::WindowStart))),
        )
        .to_owned();
    Entity::insert(login_failures::ActiveModel {
        scope: Set(scope.to_owned()),
        failures: Set(1),
        window_start: Set(at),
    })
    .on_conflict(on_conflict)
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Forgets a scope's failures (a successful login clears its account's).
pub async fn clear(db: &impl ConnectionTrait, scope: &str) -> Result<(), RepoError> {
    Entity::delete_many()
        .filter(Column::Scope.eq(scope))
        .exec(db)
        .await?;
    Ok(())
}

/// Removes counters whose window opened before `before` (housekeeping).
pub async fn prune(db: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64, RepoError> {
    Ok(Entity::delete_many()
        .filter(Column::WindowStart.lt(before))
        .exec(db)
        .await?
        .rows_affected)
}
