//! Login attempt counters, one row per scope, in the database so every
//! instance behind a load balancer counts the same attempts. A scope is a
//! fixed-size key made from a hash (`key`), so no input can make a row
//! larger: the account, the account from one client address, and the
//! address alone. Every attempt counts when it starts and a successful one
//! is taken back, so what remains are the failures (and the attempts still
//! in flight). A fixed window: the first attempt opens it, and one after it
//! has passed opens a new one.

use crate::Connection;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};

use crate::entities::login_failures::{self, Column, Entity};
use crate::{RepoError, now};

/// The hex of the first `bytes` of SHA-256 of `text`.
fn digest(text: &str, bytes: usize) -> String {
    Sha256::digest(text.as_bytes())[..bytes]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The scopes of one login attempt, each a key of at most 60 bytes.
#[derive(Debug, Clone)]
pub struct Scopes {
    /// The account, from any address: slowed down, never shut.
    pub account: String,
    /// The account from this address: shut for the window past its limit.
    pub pair: String,
    /// The address, whatever account it tries.
    pub address: String,
}

impl Scopes {
    /// `email` normalised as accounts are; `address` as the client's.
    pub fn of(email: &str, address: &str) -> Scopes {
        let account = digest(&super::users::normalise_email(email), 20);
        Scopes {
            pair: format!("p:{account}:{}", digest(address, 8)),
            account: format!("a:{account}"),
            address: format!("d:{}", digest(address, 20)),
        }
    }

    /// The prefix of every scope of `email`: its account and its pairs.
    fn of_account(email: &str) -> (String, String) {
        let account = digest(&super::users::normalise_email(email), 20);
        (format!("a:{account}"), format!("p:{account}:"))
    }
}

/// The failures `scope` holds in the window that is open at `at`.
pub async fn failures(
    db: &impl Connection,
    scope: &str,
    window: Duration,
) -> Result<(i32, Duration), RepoError> {
    let at = now();
    let row = Entity::find_by_id(scope.to_owned()).one(db).await?;
    Ok(match row {
        Some(r) if r.window_start + window > at => (r.failures, r.window_start + window - at),
        _ => (0, Duration::zero()),
    })
}

/// Counts an attempt against `scope` (before its password is checked, so
/// concurrent attempts cannot all slip under the limit) and returns the
/// scope's count with it. Run in a write transaction: the upsert holds the
/// row, so concurrent attempts are counted one after another.
pub async fn count(db: &impl Connection, scope: &str, window: Duration) -> Result<i32, RepoError> {
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
    Ok(Entity::find_by_id(scope.to_owned())
        .one(db)
        .await?
        .map_or(1, |r| r.failures))
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

/// Forgets every failure of `email`'s account, from every address
/// (`rihla user unlock`); how many counters there were.
pub async fn clear_account(db: &impl Connection, email: &str) -> Result<u64, RepoError> {
    let (account, pairs) = Scopes::of_account(email);
    Ok(Entity::delete_many()
        .filter(
            Column::Scope
                .eq(account)
                .or(Column::Scope.starts_with(pairs)),
        )
        .exec(db)
        .await?
        .rows_affected)
}

/// Removes counters whose window opened before `before` (housekeeping).
pub async fn prune(db: &impl Connection, before: DateTime<Utc>) -> Result<u64, RepoError> {
    Ok(Entity::delete_many()
        .filter(Column::WindowStart.lt(before))
        .exec(db)
        .await?
        .rows_affected)
}
