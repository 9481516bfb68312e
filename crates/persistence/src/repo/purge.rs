//! Purging: a soft-deleted record removed for good (`record`), and
//! `rihla purge --older-than DAYS`, which purges every record deleted long
//! enough ago (`run`).
//!
//! Each record goes in its own transaction with its `purge` audit event, so a
//! run stopped half-way leaves every record either purged and recorded or
//! untouched. Records are taken referrers first (a delegation before its
//! meeting, an activity before its project); one that a remaining row still
//! points at (a deleted activity too recent to purge, say) is kept, counted,
//! and tried again on a later run.

use chrono::{DateTime, Utc};
use rihla_domain::ResourceType;
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::resource::{self, Resource};
use super::{SoftDelete, audit, registry};
use crate::{Actor, Connection, Db, RepoError, begin_write};

/// What a run did, per resource type, in the order it ran.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PurgeReport {
    pub rows: Vec<PurgeCount>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurgeCount {
    pub resource: ResourceType,
    pub purged: u64,
    /// Deleted long enough but still referenced by a row that stays.
    pub kept: u64,
}

impl PurgeReport {
    pub fn purged(&self) -> u64 {
        self.rows.iter().map(|r| r.purged).sum()
    }
}

async fn candidates<E: SoftDelete>(db: &Db, cutoff: DateTime<Utc>) -> Result<Vec<Uuid>, RepoError> {
    Ok(E::find()
        .select_only()
        .column(E::ID)
        .filter(E::DELETED_AT.lt(cutoff))
        .order_by_asc(E::DELETED_AT)
        .into_tuple()
        .all(db)
        .await?)
}

/// Removes a record (deleted or not: the caller chooses) with its child
/// rows and what follows it (its links), recording it whole first. A row
/// that still refers to it makes this fail with a 409 (the foreign key), and
/// the caller's transaction undoes it.
pub(crate) async fn record<R: Resource>(
    db: &impl Connection,
    actor: &Actor,
    id: Uuid,
) -> Result<(), RepoError> {
    use sea_orm::EntityTrait;
    let record = resource::load::<R>(db, id, false, true).await?;
    audit::purged(db, actor, &record).await?;
    resource::delete_links::<R>(db, id).await?;
    R::Entity::delete_many()
        .filter(<R::Entity as SoftDelete>::ID.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Purges one record in its own transaction; `Ok(false)` when a remaining
/// row still points at it.
async fn one<R: Resource>(db: &Db, actor: &Actor, id: Uuid) -> Result<bool, RepoError> {
    let tx = begin_write(db).await?;
    match record::<R>(&tx, actor, id).await {
        Ok(()) => {
            tx.commit().await?;
            Ok(true)
        }
        // A foreign key: something that stays still refers to the record.
        Err(RepoError::Conflict { .. }) => {
            tx.rollback().await?;
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

/// Purges every record of `R` deleted before `cutoff`.
pub(crate) async fn all<R: Resource>(
    db: &Db,
    actor: &Actor,
    cutoff: DateTime<Utc>,
) -> Result<PurgeCount, RepoError> {
    let mut pending = candidates::<R::Entity>(db, cutoff).await?;
    let mut purged = 0;
    // Organisations can point at each other (parent_id): pass over the rest
    // again while a pass makes progress.
    loop {
        let before = pending.len();
        let mut kept = Vec::new();
        for id in pending {
            if one::<R>(db, actor, id).await? {
                purged += 1;
            } else {
                kept.push(id);
            }
        }
        pending = kept;
        if pending.is_empty() || pending.len() == before {
            break;
        }
    }
    Ok(PurgeCount {
        resource: R::TYPE,
        purged,
        kept: pending.len() as u64,
    })
}

/// Purges every record deleted before `cutoff`, resource by resource in
/// the registry's order (referrers first).
pub async fn run(db: &Db, actor: &Actor, cutoff: DateTime<Utc>) -> Result<PurgeReport, RepoError> {
    Ok(PurgeReport {
        rows: registry::purge_all(db, actor, cutoff).await?,
    })
}
