//! Delete, restore and purge: the same steps for every resource, so each
//! repository only says how to load its record, which rules a restore must
//! pass again, and which child rows go with it when it is purged.

use rihla_domain::{AuditAction, Record};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::audit::{self, Audited};
use super::{SoftDelete, set_deleted};
use crate::error::check_version;
use crate::{Actor, RepoError};

/// A table whose rows are a resource with a soft-delete lifecycle.
pub(crate) trait Lifecycle: SoftDelete {
    type Record: Audited;

    /// The record with its children; a deleted one only with `include_deleted`.
    async fn load(
        db: &impl ConnectionTrait,
        id: Uuid,
        lock: bool,
        include_deleted: bool,
    ) -> Result<Self::Record, RepoError>;

    /// The rules that need the database (references exist, unique values are
    /// free), as a create checks them.
    async fn recheck(db: &impl ConnectionTrait, record: &Self::Record) -> Result<(), RepoError>;

    /// Child rows that go with the record when it is purged.
    async fn delete_children(_db: &impl ConnectionTrait, _id: Uuid) -> Result<(), RepoError> {
        Ok(())
    }
}

/// Marks a locked, live record deleted at `version`, and records it whole.
pub(crate) async fn delete<E: Lifecycle>(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    version: i32,
) -> Result<(), RepoError> {
    let before = E::load(db, id, false, false).await?;
    set_deleted::<E>(db, actor, id, version, true).await?;
    let after = E::load(db, id, false, true).await?;
    audit::transition(db, actor, AuditAction::Delete, &before, &after).await
}

/// Brings a deleted record back as a new version. 409 if it is not deleted,
/// or if the rules a new record must pass now fail (what would be a 422 for a
/// new record is a 409 here: the request is fine, the other records block it).
pub(crate) async fn restore<E: Lifecycle>(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
) -> Result<E::Record, RepoError> {
    let current = E::load(db, id, true, true).await?;
    if current.deleted_at().is_none() {
        return Err(RepoError::Conflict {
            message: "this record is not deleted; there is nothing to restore".into(),
            errors: vec![],
            references: vec![],
        });
    }
    check_version(expected_version, current.version())?;
    E::recheck(db, &current).await.map_err(blocked)?;
    set_deleted::<E>(db, actor, id, current.version(), false).await?;
    let record = E::load(db, id, false, false).await?;
    audit::transition(db, actor, AuditAction::Restore, &current, &record).await?;
    Ok(record)
}

fn blocked(e: RepoError) -> RepoError {
    match e {
        RepoError::Invalid(errors) => RepoError::Conflict {
            message: format!(
                "the record cannot be restored: {}",
                errors
                    .iter()
                    .map(|e| e.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            errors,
            references: vec![],
        },
        other => other,
    }
}

/// Removes a record (deleted or not: the caller chooses) and its children for
/// good, recording it whole first. A row that still refers to it makes this
/// fail with a 409 (the foreign key), and the caller's transaction undoes it.
pub(crate) async fn purge<E: Lifecycle>(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<(), RepoError>
where
    <E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: From<Uuid>,
{
    let record = E::load(db, id, false, true).await?;
    audit::purged(db, actor, &record).await?;
    E::delete_children(db, id).await?;
    E::delete_by_id(id).exec(db).await?;
    Ok(())
}
