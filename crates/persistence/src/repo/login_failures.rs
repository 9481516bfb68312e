//! Login attempt counters, one row per scope (`account:<email>` or
//! `address:<ip>`), in the database so every instance behind a load balancer
//! counts the same attempts. Every attempt counts when it starts and a
//! successful one is taken back, so what remains are the failures (and the
//! attempts still in flight). A fixed window: the first attempt opens it,
//! and one after it has passed opens a new one.

use crate::Connection;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use crate::entities::login_failures::{self, Column, Entity};
use crate::{RepoError, now};

/// Counts an attempt against `scope` before its password is checked (so
/// concurrent attempts cannot all slip under the limit), and returns how
/// long the scope stays locked if this attempt is past `max_attempts`
/// within the window. Run in a write transaction: the upsert holds the row,
/// so concurrent attempts are counted one after another.
pub async fn count_attempt(
    db: &impl Connection,
    scope: &str,
    max_attempts: i32,
    window: Duration,
) -> Result<Option<Duration>, RepoError> {
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
    let row = Entity::find_by_id(scope.to_owned()).one(db).await?;
    Ok(row
        .filter(|r| r.failures > max_attempts)
        .map(|r| r.window_start + window - at)
        .filter(|left| *left > Duration::zero()))
}

/// Takes back one counted attempt that turned out not to be a failure (a
/// right password), so a busy address is not locked out by its successes.
pub async fn uncount(db: &impl Connection, scope: &str) -> Result<(), RepoError> {
    Entity::update_many()
        .col_expr(Column::Failures, Expr::col(Column::Failures).sub(1))
        .filter(Column::Scope.eq(scope))
        .filter(Column::Failures.gt(0))
        .exec(db)
        .await?;
    Ok(())
}

/// Forgets a scope's failures (a successful login clears its account's).
pub async fn clear(db: &impl Connection, scope: &str) -> Result<(), RepoError> {
    Entity::delete_many()
        .filter(Column::Scope.eq(scope))
        .exec(db)
        .await?;
    Ok(())
}

/// Removes counters whose window opened before `before` (housekeeping).
pub async fn prune(db: &impl Connection, before: DateTime<Utc>) -> Result<u64, RepoError> {
    Ok(Entity::delete_many()
        .filter(Column::WindowStart.lt(before))
        .exec(db)
        .await?
        .rows_affected)
}
