//! Reading the trail: one record's history, the admin's audit log, and
//! whether a record (live, deleted or purged) has one.

use crate::Connection;
use rihla_domain::audit::REDACTED;
use rihla_domain::paging::parse_limit;
use rihla_domain::{
    AuditEvent, AuditEventListParams, FieldError, HistoryParams, Page, ResourceType,
};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::Value;
use uuid::Uuid;

use crate::RepoError;
use crate::entities::audit_events;
use crate::repo::parse_enum;

use super::{Stored, bad};
use audit_events::{Column, Entity};

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
        correlation_id: m.correlation_id,
        occurred_at: m.occurred_at,
        version: m.version,
        changes: stored.changes,
        record: stored.record,
    })
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
    db: &impl Connection,
    mut select: sea_orm::Select<Entity>,
    limit: Option<u64>,
    cursor: Option<&str>,
) -> Result<Page<(AuditEvent, Option<Uuid>)>, RepoError> {
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
        items: rows
            .into_iter()
            .map(|m| {
                let prior = m.prior_project_id;
                to_domain(m).map(|e| (e, prior))
            })
            .collect::<Result<_, _>>()?,
        next_cursor,
        total: None,
    })
}

/// Whether `record_id` names a record of this type that `scope` reaches: a
/// live one, or with `include_deleted` one that is deleted or was purged
/// (its events remain).
pub async fn exists(
    db: &impl Connection,
    scope: crate::Scope,
    resource: ResourceType,
    record_id: Uuid,
    include_deleted: bool,
) -> Result<bool, RepoError> {
    let live = crate::repo::registry::exists(db, resource, record_id, include_deleted).await?;
    if live {
        return match crate::repo::registry::authorize(db, resource, record_id, scope).await {
            Ok(()) => Ok(true),
            Err(RepoError::NotFound) => Ok(false),
            Err(e) => Err(e),
        };
    }
    if !include_deleted {
        return Ok(false);
    }
    Ok(Entity::find()
        .filter(Column::RecordId.eq(record_id))
        .filter(Column::ResourceType.eq(resource.as_str()))
        .one(db)
        .await?
        .is_some())
}

/// One record's events, newest first. The caller has checked that the record
/// is visible to whoever asks. A partner sees only the events written while
/// the record was under one of its projects, and of the event that moved it
/// in, not the values it had before (they belonged to another project).
pub async fn history(
    db: &impl Connection,
    scope: crate::Scope,
    resource: ResourceType,
    record_id: Uuid,
    p: &HistoryParams,
) -> Result<Page<AuditEvent>, RepoError> {
    let mut select = Entity::find()
        .filter(Column::RecordId.eq(record_id))
        .filter(Column::ResourceType.eq(resource.as_str()));
    let reach = scope.reach(false);
    if let Some(reach) = &reach {
        select = select.filter(
            Condition::any()
                .add(Column::ProjectId.is_null())
                .add(reach.projects(Column::ProjectId)),
        );
    }
    let mut page = newest_first(db, select, p.limit, p.cursor.as_deref()).await?;
    if let Some(reach) = &reach {
        for (event, prior) in &mut page.items {
            if prior.is_some_and(|prior| !reach.ids().contains(&prior)) {
                for change in event.changes.values_mut() {
                    change.old = Value::String(REDACTED.into());
                }
            }
        }
    }
    Ok(without_prior(page))
}

/// The admin's view of the whole trail, newest first.
pub async fn list(
    db: &impl Connection,
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
    Ok(without_prior(
        newest_first(db, select, p.limit, p.cursor.as_deref()).await?,
    ))
}

fn without_prior(page: Page<(AuditEvent, Option<Uuid>)>) -> Page<AuditEvent> {
    Page {
        items: page.items.into_iter().map(|(e, _)| e).collect(),
        next_cursor: page.next_cursor,
        total: page.total,
    }
}
