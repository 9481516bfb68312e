//! Writing audit events: one per change, in the change's transaction.

use crate::Connection;
use rihla_domain::audit::REDACTED;
use rihla_domain::{ActorType, AuditAction, Changes, FieldChange, ResourceType};
use sea_orm::sea_query::{
    Alias, CommonTableExpression, Query, SimpleExpr, SubQueryStatement, WithClause,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, DbBackend, EntityTrait, Iterable, QuerySelect,
    StatementBuilder,
};
use serde_json::Value;
use uuid::Uuid;

use crate::entities::{activities, audit_events};
use crate::repo::resource::Held;
use crate::{Actor, ActorKind, RepoError, WriteConn, now};

use super::{Audited, Stored, diff, json};
use audit_events::{Column, Entity};

/// An audit event about to be written.
pub(crate) struct Event(audit_events::ActiveModel);

/// The projects an event is written under: the record's now, and for an
/// update its before (they differ when it moved).
#[derive(Default)]
struct Under {
    project: Option<Uuid>,
    prior: Option<Uuid>,
}

/// The project a record `held` names, looked up for one held through its
/// activity.
async fn project_of(db: &impl Connection, held: Held) -> Result<Option<Uuid>, RepoError> {
    Ok(match held {
        Held::Shared => None,
        Held::Project(project) => project,
        Held::Activity(activity) => {
            activities::Entity::find_by_id(activity)
                .select_only()
                .column(activities::Column::ProjectId)
                .into_tuple()
                .one(db)
                .await?
        }
    })
}

async fn under<R: Audited>(
    db: &impl Connection,
    before: Option<&R>,
    after: &R,
) -> Result<Under, RepoError> {
    let project = project_of(db, after.held()).await?;
    let prior = match before {
        Some(b) if b.held() != after.held() => project_of(db, b.held()).await?,
        _ => project,
    };
    Ok(Under { project, prior })
}

#[allow(clippy::too_many_arguments)]
fn event(
    actor: &Actor,
    resource: ResourceType,
    record_id: Uuid,
    action: AuditAction,
    version: i32,
    stored: Stored,
    under: Under,
) -> Result<Event, RepoError> {
    let (actor_type, actor_id) = match actor.kind {
        ActorKind::User { id, .. } => (ActorType::User, id.to_string()),
        ActorKind::ApiKey { id, .. } => (ActorType::ApiKey, id.to_string()),
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
        correlation_id: Set(actor.correlation_id.clone()),
        occurred_at: Set(now()),
        version: Set(version),
        changes: Set(changes),
        project_id: Set(under.project),
        prior_project_id: Set(under.prior),
        ..Default::default()
    }))
}

#[allow(clippy::too_many_arguments)]
async fn insert(
    db: &impl Connection,
    actor: &Actor,
    resource: ResourceType,
    record_id: Uuid,
    action: AuditAction,
    version: i32,
    stored: Stored,
    under: Under,
) -> Result<(), RepoError> {
    let Event(row) = event(actor, resource, record_id, action, version, stored, under)?;
    Entity::insert(row).exec_without_returning(db).await?;
    Ok(())
}

/// The event of a create, for `with_event`.
pub(crate) async fn create_event<R: Audited>(
    db: &impl Connection,
    actor: &Actor,
    record: &R,
) -> Result<Event, RepoError> {
    let under = under(db, None, record).await?;
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
        under,
    )
}

/// The event of an update, for `with_event`.
pub(crate) async fn update_event<R: Audited>(
    db: &impl Connection,
    actor: &Actor,
    before: &R,
    after: &R,
) -> Result<Event, RepoError> {
    let under = under(db, Some(before), after).await?;
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
        under,
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
    db: &impl Connection,
    actor: &Actor,
    record: &R,
) -> Result<(), RepoError> {
    let Event(row) = create_event(db, actor, record).await?;
    Entity::insert(row).exec_without_returning(db).await?;
    Ok(())
}

/// An update, as the fields that differ between `before` and `after`.
pub(crate) async fn updated<R: Audited>(
    db: &impl Connection,
    actor: &Actor,
    before: &R,
    after: &R,
) -> Result<(), RepoError> {
    let Event(row) = update_event(db, actor, before, after).await?;
    Entity::insert(row).exec_without_returning(db).await?;
    Ok(())
}

/// An update described field by field (a password change, whose values
/// never leave the users table).
pub(crate) async fn fields(
    db: &impl Connection,
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
        Under::default(),
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
    db: &impl Connection,
    actor: &Actor,
    action: AuditAction,
    before: &R,
    after: &R,
) -> Result<(), RepoError> {
    let under = under(db, Some(before), after).await?;
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
        under,
    )
    .await
}

/// A purge: every field to nothing, and the record whole as it was.
pub(crate) async fn purged<R: Audited>(
    db: &impl Connection,
    actor: &Actor,
    record: &R,
) -> Result<(), RepoError> {
    let under = under(db, None, record).await?;
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
        under,
    )
    .await
}
