//! The change feed: positions handed out after commit (see the module
//! header of `audit`), pages read by position, and retention.

use chrono::{DateTime, Utc};
use rihla_domain::audit::{FEED_DEFAULT_LIMIT, FEED_MAX_LIMIT};
use rihla_domain::{ChangeEvent, ChangeFeed, ChangeListParams, FieldError, ResourceType};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};

use crate::entities::{audit_events, audit_feed};
use crate::repo::parse_enum;
use crate::{Db, RepoError, begin_write};

use super::bad;
use audit_events::{Column, Entity};

/// Events a sequencer run positions at most; a long backlog takes several.
const SEQUENCE_BATCH: i64 = 5_000;

/// Committed events the feed has not numbered yet (the change feed's lag,
/// a metric).
pub async fn lag(db: &Db) -> Result<u64, RepoError> {
    use sea_orm::PaginatorTrait;
    Ok(Entity::find()
        .filter(Column::Position.is_null())
        .count(db)
        .await?)
}

/// Gives every committed, unpositioned event its feed position (see the
/// module header for why this happens after commit). Cheap when there is
/// nothing to do: one indexed probe, no write transaction.
pub async fn sequence(db: &Db) -> Result<u64, RepoError> {
    let mut total = 0;
    loop {
        let pending = Entity::find()
            .select_only()
            .column(Column::Seq)
            .filter(Column::Position.is_null())
            .limit(1)
            .into_tuple::<i64>()
            .one(db)
            .await?;
        if pending.is_none() {
            return Ok(total);
        }
        let tx = begin_write(db).await?;
        // The run's lock: a second run waits here until this one commits,
        // then sees its positions.
        let head = audit_feed::Entity::find_by_id(1)
            .lock_exclusive()
            .one(&tx)
            .await?
            .ok_or_else(|| RepoError::Corrupt("audit_feed has no row".into()))?;
        let base = head.last_position;
        // Both backends accept UPDATE ... FROM and window functions. The
        // numbers are ours (i64), not client input.
        let assigned = tx
            .execute_raw(Statement::from_string(
                tx.get_database_backend(),
                format!(
                    "UPDATE audit_events SET position = r.pos FROM (\
                       SELECT seq, {base} + ROW_NUMBER() OVER (ORDER BY seq) AS pos \
                       FROM audit_events WHERE position IS NULL ORDER BY seq LIMIT {SEQUENCE_BATCH}\
                     ) AS r WHERE audit_events.seq = r.seq"
                ),
            ))
            .await?
            .rows_affected();
        audit_feed::Entity::update_many()
            .col_expr(
                audit_feed::Column::LastPosition,
                sea_orm::sea_query::Expr::val(base + assigned as i64),
            )
            .filter(audit_feed::Column::Id.eq(1))
            .exec(&tx)
            .await?;
        tx.commit().await?;
        total += assigned;
        if (assigned as i64) < SEQUENCE_BATCH {
            return Ok(total);
        }
    }
}

/// One page of the change feed after `p.after`, limited to `readable` types
/// and to the records `scope` reaches (in the query, so a page is never
/// short of what the caller may see).
pub async fn changes(
    db: &Db,
    scope: crate::Scope,
    p: &ChangeListParams,
    readable: &[ResourceType],
) -> Result<ChangeFeed, RepoError> {
    let limit = match p.limit {
        None => FEED_DEFAULT_LIMIT,
        Some(n) if (1..=FEED_MAX_LIMIT).contains(&n) => n,
        Some(_) => {
            return Err(RepoError::BadParams(vec![FieldError::new(
                "limit",
                "range",
                format!("limit must be between 1 and {FEED_MAX_LIMIT}"),
            )]));
        }
    };
    let after = match p.after.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        None => 0,
        Some(a) => a
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| bad("after", "not a cursor the feed issued"))?,
    };
    sequence(db).await?;
    let types: Vec<&str> = readable
        .iter()
        .filter(|t| p.resource_type.is_none_or(|only| only == **t))
        .map(|t| t.as_str())
        .collect();
    let mut select = Entity::find().filter(Column::Position.gt(after));
    if types.len() < ResourceType::ALL.len() {
        select = select.filter(Column::ResourceType.is_in(types));
    }
    if let Some(reach) = scope.reach(false) {
        select = select.filter(crate::repo::registry::events_within(&reach));
    }
    let rows = select
        .order_by_asc(Column::Position)
        .limit(limit)
        .all(db)
        .await?;
    let next = rows.last().and_then(|r| r.position).unwrap_or(after);
    let items = rows
        .into_iter()
        .map(|m| {
            Ok(ChangeEvent {
                position: m.position.unwrap_or_default(),
                id: m.id,
                resource_type: parse_enum(&m.resource_type, "audit_events.resource_type")?,
                record_id: m.record_id,
                action: parse_enum(&m.action, "audit_events.action")?,
                version: m.version,
                occurred_at: m.occurred_at,
                actor_type: parse_enum(&m.actor_type, "audit_events.actor_type")?,
                actor: m.actor_id,
            })
        })
        .collect::<Result<_, RepoError>>()?;
    Ok(ChangeFeed {
        items,
        next_cursor: next.to_string(),
    })
}

/// Removes events that occurred before `cutoff`. Positions are handed out
/// first, so the feed never loses an event it has not yet numbered; a reader
/// whose cursor is older than the retention window continues after the gap.
pub async fn prune(db: &Db, cutoff: DateTime<Utc>) -> Result<u64, RepoError> {
    sequence(db).await?;
    let tx = begin_write(db).await?;
    let removed = Entity::delete_many()
        .filter(Column::OccurredAt.lt(cutoff))
        .exec(&tx)
        .await?
        .rows_affected;
    tx.commit().await?;
    Ok(removed)
}
