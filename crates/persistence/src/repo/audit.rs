//! The audit trail and the change feed, which are one table read two ways.
//!
//! Every repository write calls one of `created` / `updated` / `deleted` /
//! `restored` / `purged` on the connection of its own transaction, after the
//! record's row is written: the event commits with the change or not at all,
//! and an event that cannot be written fails the change.
//!
//! Feed order. `seq` is taken at insert time, so on PostgreSQL a transaction
//! holding a smaller `seq` may commit after a reader has passed a larger one;
//! reading by `seq` would skip it for ever. The feed therefore reads by
//! `position`, which `sequence` hands out *after* commit: one run at a time
//! (the `audit_feed` row is locked for the run), to committed events only, in
//! `seq` order, each run above every position before it. A reader sees a run's
//! positions all at once when it commits, and no later run can produce a
//! smaller one, so reading `position > cursor` page after page yields every
//! committed event exactly once. Two events of one record are written in the
//! order of its versions (the second write waits for the first's row lock and
//! takes its `seq` after the first committed), so the feed keeps that order.

use chrono::{DateTime, Utc};
use rihla_domain::history::{FEED_DEFAULT_LIMIT, FEED_MAX_LIMIT, REDACTED};
use rihla_domain::paging::parse_limit;
use rihla_domain::{
    ActorType, AuditAction, AuditEvent, AuditEventListParams, ChangeEvent, ChangeFeed,
    ChangeListParams, Changes, FieldChange, FieldError, HistoryParams, Page, Record, ResourceType,
};
use sea_orm::sea_query::{
    Alias, CommonTableExpression, Query, SimpleExpr, SubQueryStatement, WithClause,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait,
    Iterable, QueryFilter, QueryOrder, QuerySelect, Statement, StatementBuilder,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::parse_enum;
use crate::entities::{audit_events, audit_feed};
use crate::{Actor, ActorKind, Db, RepoError, WriteConn, begin_write, now};

use audit_events::{Column, Entity};

/// A record the audit trail knows how to name (`registry` implements it
/// for each resource's record).
pub trait Audited: Record {
    const RESOURCE: ResourceType;
}

/// Fields every write changes; listing them would hide what really changed.
const BOOKKEEPING: &[&str] = &["version", "updated_at", "updated_by"];

/// What the `changes` column holds.
#[derive(Serialize, Deserialize, Default)]
struct Stored {
    #[serde(default)]
    changes: Changes,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    record: Option<Value>,
}

/// Top-level fields whose values differ between two states of a record (an
/// absent state is null); a list or object that changed is shown whole.
pub fn diff(before: &Value, after: &Value) -> Changes {
    let empty = serde_json::Map::new();
    let b = before.as_object().unwrap_or(&empty);
    let a = after.as_object().unwrap_or(&empty);
    b.keys()
        .chain(a.keys())
        .filter(|k| !BOOKKEEPING.contains(&k.as_str()))
        .filter_map(|k| {
            let old = b.get(k).cloned().unwrap_or(Value::Null);
            let new = a.get(k).cloned().unwrap_or(Value::Null);
            (old != new).then(|| (k.clone(), FieldChange { old, new }))
        })
        .collect()
}

fn json<R: Serialize>(r: &R) -> Result<Value, RepoError> {
    serde_json::to_value(r).map_err(|e| RepoError::Corrupt(e.to_string()))
}

/// An audit event about to be written.
pub(crate) struct Event(audit_events::ActiveModel);

fn event(
    actor: &Actor,
    resource: ResourceType,
    record_id: Uuid,
    action: AuditAction,
    version: i32,
    stored: Stored,
) -> Result<Event, RepoError> {
    let (actor_type, actor_id) = match actor.kind {
        ActorKind::User { id, .. } => (ActorType::User, id.to_string()),
        ActorKind::System(name) => (ActorType::System, name.to_owned()),
    };
    let changes = serde_json::to_string(&stored).map_err(|e| RepoError::Corrupt(e.to_string()))?;
    Ok(Event(audit_events::ActiveModel {
        id: Set(Uuid::now_v7()),
        position: Set(None),
        resource_type: Set(resource.as_str().to_owned()),
        record_id: Set(record_id),
        action: Set(action.as_str().to_owned()),
        actor_type: Set(actor_type.as_str().to_owned()),
        actor_id: Set(actor_id),
        request_id: Set(actor.request_id.clone()),
        occurred_at: Set(now()),
        version: Set(version),
        changes: Set(changes),
        ..Default::default()
    }))
}

async fn insert(
    db: &impl ConnectionTrait,
    actor: &Actor,
    resource: ResourceType,
    record_id: Uuid,
    action: AuditAction,
    version: i32,
    stored: Stored,
) -> Result<(), RepoError> {
    let Event(row) = event(actor, resource, record_id, action, version, stored)?;
    Entity::insert(row).exec_without_returning(db).await?;
    Ok(())
}

/// The event of a create, for `with_event`.
pub(crate) fn create_event<R: Audited>(actor: &Actor, record: &R) -> Result<Event, RepoError> {
    let after = json(record)?;
    let stored = Stored {
        changes: diff(&Value::Null, &after),
        record: Some(after),
    };
    event(
        actor,
        R::RESOURCE,
        record.id(),
        AuditAction::Create,
        record.version(),
        stored,
    )
}

/// The event of an update, for `with_event`.
pub(crate) fn update_event<R: Audited>(
    actor: &Actor,
    before: &R,
    after: &R,
) -> Result<Event, RepoError> {
    let stored = Stored {
        changes: diff(&json(before)?, &json(after)?),
        record: None,
    };
    event(
        actor,
        R::RESOURCE,
        after.id(),
        AuditAction::Update,
        after.version(),
        stored,
    )
}

/// Runs a record's write (`write`, an INSERT or UPDATE of at most one row)
/// and writes `event` only if it wrote a row; returns the rows written.
///
/// On PostgreSQL both are one statement, `WITH w AS (write RETURNING id)
/// INSERT INTO audit_events ... SELECT ... FROM w`: one round trip fewer per
/// write, the event still in the write's transaction. SQLite (no writes in
/// WITH) runs the two in turn, on its own connection. With `last`, the
/// caller runs nothing after it, so on PostgreSQL it may run alone
/// (`WriteConn::execute_last`).
pub(crate) async fn with_event<W>(
    db: &impl WriteConn,
    write: W,
    Event(row): Event,
    last: bool,
) -> Result<u64, RepoError>
where
    W: Into<SubQueryStatement> + StatementBuilder,
{
    if db.get_database_backend() != DbBackend::Postgres {
        let written = db.execute(&write).await?.rows_affected();
        if written == 1 {
            Entity::insert(row).exec_without_returning(db).await?;
        }
        return Ok(written);
    }
    let mut write: SubQueryStatement = write.into();
    match &mut write {
        SubQueryStatement::InsertStatement(w) => {
            w.returning_col(Alias::new("id"));
        }
        SubQueryStatement::UpdateStatement(w) => {
            w.returning_col(Alias::new("id"));
        }
        _ => {
            return Err(RepoError::Corrupt(
                "with_event takes an INSERT or UPDATE".into(),
            ));
        }
    }
    let (columns, values): (Vec<Column>, Vec<SimpleExpr>) = Column::iter()
        .filter_map(|c| match row.get(c) {
            sea_orm::ActiveValue::Set(v) | sea_orm::ActiveValue::Unchanged(v) => {
                Some((c, SimpleExpr::from(v)))
            }
            sea_orm::ActiveValue::NotSet => None,
        })
        .collect();
    let mut select = Query::select();
    select.exprs(values).from(Alias::new("w"));
    let insert = Query::insert()
        .into_table(Entity)
        .columns(columns)
        .select_from(select)
        .map_err(|e| RepoError::Corrupt(e.to_string()))?
        .to_owned();
    let cte = CommonTableExpression::new()
        .query(write)
        .table_name(Alias::new("w"))
        .to_owned();
    let stmt = insert.with(WithClause::new().cte(cte).to_owned());
    let written = if last {
        db.execute_last(db.get_database_backend().build(&stmt))
            .await?
    } else {
        db.execute(&stmt).await?
    };
    Ok(written.rows_affected())
}

/// A create: every field from nothing, and the record whole.
pub(crate) async fn created<R: Audited>(
    db: &impl ConnectionTrait,
    actor: &Actor,
    record: &R,
) -> Result<(), RepoError> {
    let Event(row) = create_event(actor, record)?;
    Entity::insert(row).exec_without_returning(db).await?;
    Ok(())
}

/// An update, as the fields that differ between `before` and `after`.
pub(crate) async fn updated<R: Audited>(
    db: &impl ConnectionTrait,
    actor: &Actor,
    before: &R,
    after: &R,
) -> Result<(), RepoError> {
    let Event(row) = update_event(actor, before, after)?;
    Entity::insert(row).exec_without_returning(db).await?;
    Ok(())
}

/// An update described field by field (a password change, whose values
/// never leave the users table).
pub(crate) async fn fields(
    db: &impl ConnectionTrait,
    actor: &Actor,
    resource: ResourceType,
    record_id: Uuid,
    version: i32,
    changes: Changes,
) -> Result<(), RepoError> {
    let stored = Stored {
        changes,
        record: None,
    };
    insert(
        db,
        actor,
        resource,
        record_id,
        AuditAction::Update,
        version,
        stored,
    )
    .await
}

/// The one entry a password change leaves.
pub(crate) fn password_changed() -> Changes {
    let redacted = FieldChange {
        old: Value::String(REDACTED.into()),
        new: Value::String(REDACTED.into()),
    };
    [("password".to_owned(), redacted)].into_iter().collect()
}

/// A delete or a restore: the fields it changed (`deleted_at`,
/// `deleted_by`), and the record whole as it is now.
pub(crate) async fn transition<R: Audited>(
    db: &impl ConnectionTrait,
    actor: &Actor,
    action: AuditAction,
    before: &R,
    after: &R,
) -> Result<(), RepoError> {
    let now = json(after)?;
    let stored = Stored {
        changes: diff(&json(before)?, &now),
        record: Some(now),
    };
    insert(
        db,
        actor,
        R::RESOURCE,
        after.id(),
        action,
        after.version(),
        stored,
    )
    .await
}

/// A purge: every field to nothing, and the record whole as it was.
pub(crate) async fn purged<R: Audited>(
    db: &impl ConnectionTrait,
    actor: &Actor,
    record: &R,
) -> Result<(), RepoError> {
    let before = json(record)?;
    let stored = Stored {
        changes: diff(&before, &Value::Null),
        record: Some(before),
    };
    insert(
        db,
        actor,
        R::RESOURCE,
        record.id(),
        AuditAction::Purge,
        record.version(),
        stored,
    )
    .await
}

fn to_domain(m: audit_events::Model) -> Result<AuditEvent, RepoError> {
    let stored: Stored = serde_json::from_str(&m.changes)
        .map_err(|e| RepoError::Corrupt(format!("audit_events.changes: {e}")))?;
    Ok(AuditEvent {
        id: m.id,
        resource_type: parse_enum(&m.resource_type, "audit_events.resource_type")?,
        record_id: m.record_id,
        action: parse_enum(&m.action, "audit_events.action")?,
        actor_type: parse_enum(&m.actor_type, "audit_events.actor_type")?,
        actor: m.actor_id,
        request_id: m.request_id,
        occurred_at: m.occurred_at,
        version: m.version,
        changes: stored.changes,
        record: stored.record,
    })
}

fn bad(field: &str, message: &str) -> RepoError {
    RepoError::BadParams(vec![FieldError::new(field, "invalid", message)])
}

/// Cursors of the newest-first lists: the `seq` of the last event shown.
fn parse_seq_cursor(raw: Option<&str>) -> Result<Option<i64>, RepoError> {
    match raw.map(str::trim).filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(c) => c
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .map(Some)
            .ok_or_else(|| bad("cursor", "not a cursor this list issued")),
    }
}

async fn newest_first(
    db: &impl ConnectionTrait,
    mut select: sea_orm::Select<Entity>,
    limit: Option<u64>,
    cursor: Option<&str>,
) -> Result<Page<AuditEvent>, RepoError> {
    let limit = parse_limit(limit).map_err(|e| RepoError::BadParams(vec![e]))?;
    if let Some(before) = parse_seq_cursor(cursor)? {
        select = select.filter(Column::Seq.lt(before));
    }
    let mut rows = select
        .order_by_desc(Column::Seq)
        .limit(limit + 1)
        .all(db)
        .await?;
    let next_cursor = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.seq.to_string())
    } else {
        None
    };
    Ok(Page {
        items: rows.into_iter().map(to_domain).collect::<Result<_, _>>()?,
        next_cursor,
        total: None,
    })
}

/// Whether `record_id` names a record of this type: a live one, or with
/// `include_deleted` one that is deleted or was purged (its events remain).
pub async fn exists(
    db: &impl ConnectionTrait,
    resource: ResourceType,
    record_id: Uuid,
    include_deleted: bool,
) -> Result<bool, RepoError> {
    let live = super::registry::exists(db, resource, record_id, include_deleted).await?;
    if live || !include_deleted {
        return Ok(live);
    }
    Ok(Entity::find()
        .filter(Column::RecordId.eq(record_id))
        .filter(Column::ResourceType.eq(resource.as_str()))
        .one(db)
        .await?
        .is_some())
}

/// One record's events, newest first. The caller has checked that the record
/// is visible to whoever asks.
pub async fn history(
    db: &impl ConnectionTrait,
    resource: ResourceType,
    record_id: Uuid,
    p: &HistoryParams,
) -> Result<Page<AuditEvent>, RepoError> {
    let select = Entity::find()
        .filter(Column::RecordId.eq(record_id))
        .filter(Column::ResourceType.eq(resource.as_str()));
    newest_first(db, select, p.limit, p.cursor.as_deref()).await
}

/// The admin's view of the whole trail, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    p: &AuditEventListParams,
) -> Result<Page<AuditEvent>, RepoError> {
    if let (Some(from), Some(to)) = (p.from, p.to)
        && to < from
    {
        return Err(RepoError::BadParams(vec![FieldError::new(
            "to",
            "before_from",
            "to must not be before from",
        )]));
    }
    let mut select = Entity::find();
    if let Some(actor) = p.actor.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        select = select.filter(Column::ActorId.eq(actor));
    }
    if let Some(rt) = p.resource_type {
        select = select.filter(Column::ResourceType.eq(rt.as_str()));
    }
    if let Some(id) = p.record_id {
        select = select.filter(Column::RecordId.eq(id));
    }
    if let Some(action) = p.action {
        select = select.filter(Column::Action.eq(action.as_str()));
    }
    if let Some(from) = p.from {
        select = select.filter(Column::OccurredAt.gte(from));
    }
    if let Some(to) = p.to {
        select = select.filter(Column::OccurredAt.lt(to));
    }
    newest_first(db, select, p.limit, p.cursor.as_deref()).await
}

/// Events a sequencer run positions at most; a long backlog takes several.
const SEQUENCE_BATCH: i64 = 5_000;

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

/// One page of the change feed after `p.after`, limited to `readable` types.
pub async fn changes(
    db: &Db,
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_diff_lists_changed_fields_but_not_bookkeeping() {
        let before =
            json!({"title": "a", "status": "planned", "version": 1, "themes": ["x"], "gone": 1});
        let after = json!({"title": "a", "status": "active", "version": 2, "themes": ["x", "y"], "new": true});
        let changes = diff(&before, &after);
        let fields: Vec<&str> = changes.keys().map(String::as_str).collect();
        assert_eq!(fields, ["gone", "new", "status", "themes"]);
        assert_eq!(
            (&changes["status"].old, &changes["status"].new),
            (&json!("planned"), &json!("active"))
        );
        assert_eq!(
            (&changes["gone"].old, &changes["gone"].new),
            (&json!(1), &Value::Null)
        );
    }

    #[test]
    fn a_create_is_every_field_from_nothing() {
        let changes = diff(&Value::Null, &json!({"code": "P-1", "version": 1}));
        assert_eq!(changes.len(), 1);
        assert_eq!(
            (&changes["code"].old, &changes["code"].new),
            (&Value::Null, &json!("P-1"))
        );
    }
}
