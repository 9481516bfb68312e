//! The one resource pattern: what every record kind has in common, written
//! once. A repository implements `Resource` (how to load its record, the
//! rules a restore must pass again, who still refers to it) and, when clients
//! create and change it through the generic routes, `Editable` (its checks
//! and how its rows are written). The operations below own the rest: locking,
//! the If-Match version check, the audit event, soft delete, restore and
//! purge. A resource with a faster way to do one of them takes it as an
//! option of `Editable` (`EVENT_IN_WRITE`: the audit event in the row's own
//! statement; `OPTIMISTIC_PATCH`: a PATCH without the lock); the generic
//! operation still does the checks around it.
//!
//! Every `Resource` is listed once in `registry`, which derives the audit and
//! history dispatch, the purge order and the unique-index names from that
//! list.

// The traits' futures are awaited where they are made (a handler on its
// actix worker, a command on its runtime) and never need to be Send.
#![allow(async_fn_in_trait)]

use crate::Connection;
use rihla_domain::{AuditAction, Record, Reference, ResourceType};
use sea_orm::Condition;
use serde::Serialize;
use uuid::Uuid;

use super::audit::{self, Audited};
use super::{SoftDelete, set_deleted};
use crate::error::{check_version, still_referenced};
use crate::scope::{Owner, Reach, Scope, check_owner};
use crate::{Actor, RepoError, WriteConn};

/// A unique index of a resource's table and the request field it protects.
/// SQLite names the column ("table.column") when it is violated, PostgreSQL
/// the index; either is matched.
#[derive(Debug, Clone, Copy)]
pub struct Unique {
    pub index: &'static str,
    pub column: &'static str,
    pub field: &'static str,
}

/// Implemented by `registry!` for each listed resource, and only there: a
/// `Resource` not in the registry does not compile.
pub trait Registered {
    const TYPE: ResourceType;
}

/// A kind of record with a soft-delete lifecycle and an audit trail.
pub trait Resource: Registered {
    /// The table of the record's own row.
    type Entity: SoftDelete;
    type Record: Audited + Serialize;

    /// The unique indexes of its table (uniqueness is left to them: the
    /// violation becomes a 409 naming `field`).
    const UNIQUE: &'static [Unique] = &[];

    /// The record with its children; a deleted one only with
    /// `include_deleted`. With `lock` its row is held until the transaction
    /// ends (FOR UPDATE on PostgreSQL; SQLite's writer already holds the
    /// database).
    async fn load(
        db: &impl Connection,
        id: Uuid,
        lock: bool,
        include_deleted: bool,
    ) -> Result<Self::Record, RepoError>;

    /// The rules that need the database (the records it names exist), as a
    /// create checks them; a restore checks them again.
    async fn recheck(db: &impl Connection, record: &Self::Record) -> Result<(), RepoError>;

    /// How a 409 names the record ("project \"LIBMITAF\"").
    fn label(record: &Self::Record) -> String;

    /// Live records that point at `id`, at most `limit` of each kind: a
    /// delete is refused while there are any.
    async fn referrers(
        _db: &impl Connection,
        _id: Uuid,
        _limit: u64,
    ) -> Result<Vec<Reference>, RepoError> {
        Ok(Vec::new())
    }

    /// Child rows that go with the record when it is purged.
    async fn delete_children(_db: &impl Connection, _id: Uuid) -> Result<(), RepoError> {
        Ok(())
    }

    /// For a record kind that belongs to projects: the condition on its
    /// table that keeps the rows under the projects `projects` selects.
    /// `None` (the default) is shared reference data, which every caller
    /// reads (or admin business, which the API keeps to admins).
    fn within(_reach: &Reach) -> Option<Condition> {
        None
    }
}

/// A resource clients create and change with a full input (POST, PUT, and
/// PATCH merged into it).
pub trait Editable: Resource {
    type Input;

    /// `insert` and `write` write the audit event themselves, in the same
    /// statement as the record's row (`audit::with_event`, one round trip
    /// fewer on PostgreSQL); the generic operations then write none.
    const EVENT_IN_WRITE: bool = false;

    /// A PATCH first tries `update_unlocked` (see `patch_unlocked`).
    const OPTIMISTIC_PATCH: bool = false;

    /// The rules of `input` that need the database, for a create (`current`
    /// none) or an update of `current` (which may then look up only what
    /// the update adds).
    async fn check(
        db: &impl Connection,
        current: Option<&Self::Record>,
        input: &Self::Input,
    ) -> Result<(), RepoError>;

    /// The projects `input` ties the record to, for a partner's write.
    async fn owner(_db: &impl Connection, _input: &Self::Input) -> Result<Owner, RepoError> {
        Ok(Owner::Shared)
    }

    /// Writes a new record's rows (checked already) and returns the record.
    async fn insert(
        db: &impl WriteConn,
        actor: &Actor,
        input: &Self::Input,
    ) -> Result<Self::Record, RepoError>;

    /// Writes `input` over `current` (locked, version checked, input
    /// checked) with a versioned UPDATE, and returns the new record.
    async fn write(
        db: &impl WriteConn,
        actor: &Actor,
        current: &Self::Record,
        input: &Self::Input,
    ) -> Result<Self::Record, RepoError>;

    /// Whether a PATCH to `input` can go the unlocked way; decided before a
    /// write is opened, so one that cannot takes no writer's turn for it.
    fn only_own_row(_current: &Self::Record, _input: &Self::Input) -> bool {
        false
    }

    /// The optimistic PATCH: `input` written over `current`, read without a
    /// lock, only if `current` is still the stored version; `None` when it
    /// was not done, and the caller goes the locked way as if this had not
    /// been tried.
    async fn update_unlocked(
        _db: &impl WriteConn,
        _actor: &Actor,
        _current: &Self::Record,
        _input: &Self::Input,
    ) -> Result<Option<Self::Record>, RepoError> {
        Ok(None)
    }
}

/// 404 unless `scope` reaches record `id` (deleted or not); with `write`,
/// then 403 unless it reaches it as an editor. Nothing to ask for an
/// organisation-wide scope or shared reference data.
pub async fn authorize<R: Resource>(
    db: &impl Connection,
    scope: Scope,
    id: Uuid,
    write: bool,
) -> Result<(), RepoError> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
    let Some(reach) = scope.reach(false).and_then(|r| R::within(&r)) else {
        return Ok(());
    };
    let id_column = <R::Entity as SoftDelete>::ID;
    let found = async |condition: Condition| -> Result<bool, RepoError> {
        let row: Option<Uuid> = R::Entity::find()
            .select_only()
            .column(id_column)
            .filter(id_column.eq(id))
            .filter(condition)
            .into_tuple()
            .one(db)
            .await?;
        Ok(row.is_some())
    };
    if !found(reach).await? {
        return Err(RepoError::NotFound);
    }
    if write
        && let Some(edit) = scope.reach(true).and_then(|r| R::within(&r))
        && !found(edit).await?
    {
        return Err(RepoError::Forbidden(
            "your role on this record's project is viewer; changing it needs editor".into(),
        ));
    }
    Ok(())
}

/// The rows of `R` that `scope` reaches, for a list.
pub fn scoped<R: Resource>(
    select: sea_orm::Select<R::Entity>,
    scope: Scope,
) -> sea_orm::Select<R::Entity> {
    use sea_orm::QueryFilter;
    match scope.reach(false).and_then(|r| R::within(&r)) {
        Some(reach) => select.filter(reach),
        None => select,
    }
}

/// A live record `scope` reaches.
pub async fn get<R: Resource>(
    db: &impl Connection,
    scope: Scope,
    id: Uuid,
) -> Result<R::Record, RepoError> {
    authorize::<R>(db, scope, id, false).await?;
    R::load(db, id, false, false).await
}

/// A record even if it is deleted (admins' `include_deleted`).
pub async fn get_any<R: Resource>(
    db: &impl Connection,
    scope: Scope,
    id: Uuid,
) -> Result<R::Record, RepoError> {
    authorize::<R>(db, scope, id, false).await?;
    R::load(db, id, false, true).await
}

/// A live record read locked, for a read-modify-write (PATCH): the merge
/// and the write see the same version. 404 outside `actor`'s scope, 403
/// where it may only read.
pub async fn get_for_update<R: Resource>(
    db: &impl Connection,
    actor: &Actor,
    id: Uuid,
) -> Result<R::Record, RepoError> {
    authorize::<R>(db, Scope::of(db, actor).await?, id, true).await?;
    R::load(db, id, true, false).await
}

/// A new record: within the actor's scope, checked, written, audited.
pub async fn create<R: Editable>(
    db: &impl WriteConn,
    actor: &Actor,
    input: &R::Input,
) -> Result<R::Record, RepoError> {
    check_owner(
        &Scope::of(db, actor).await?,
        R::owner(db, input).await?,
        true,
    )?;
    R::check(db, None, input).await?;
    let record = R::insert(db, actor, input).await?;
    if !R::EVENT_IN_WRITE {
        audit::created(db, actor, &record).await?;
    }
    Ok(record)
}

/// Writes `input` over `current`, read with `get_for_update` and version
/// checked by the caller (a PATCH merges into the record it already holds).
pub async fn update<R: Editable>(
    db: &impl WriteConn,
    actor: &Actor,
    current: &R::Record,
    input: &R::Input,
) -> Result<R::Record, RepoError> {
    let scope = Scope::of(db, actor).await?;
    check_owner(&scope, R::owner(db, input).await?, false)?;
    authorize::<R>(db, scope, current.id(), true).await?;
    R::check(db, Some(current), input).await?;
    let record = R::write(db, actor, current, input).await?;
    if !R::EVENT_IN_WRITE {
        audit::updated(db, actor, current, &record).await?;
    }
    Ok(record)
}

/// A PATCH's optimistic write (`Editable::update_unlocked`), for a resource
/// with `OPTIMISTIC_PATCH` whose `only_own_row` said yes.
pub async fn patch_unlocked<R: Editable>(
    db: &impl WriteConn,
    actor: &Actor,
    current: &R::Record,
    input: &R::Input,
) -> Result<Option<R::Record>, RepoError> {
    // Checked again here, so that no caller can drop a child change by
    // skipping the check.
    if !R::only_own_row(current, input) {
        return Ok(None);
    }
    let scope = Scope::of(db, actor).await?;
    check_owner(&scope, R::owner(db, input).await?, false)?;
    authorize::<R>(db, scope, current.id(), true).await?;
    R::update_unlocked(db, actor, current, input).await
}

/// PUT: every field from `input`; 412 unless `expected_version` (If-Match)
/// is current.
pub async fn replace<R: Editable>(
    db: &impl WriteConn,
    actor: &Actor,
    id: Uuid,
    input: &R::Input,
    expected_version: Option<i32>,
) -> Result<R::Record, RepoError> {
    authorize::<R>(db, Scope::of(db, actor).await?, id, true).await?;
    let current = R::load(db, id, true, false).await?;
    check_version(expected_version, current.version())?;
    update::<R>(db, actor, &current, input).await
}

/// Soft delete: 412 unless `expected_version` is current, 409 while live
/// records still refer to it; recorded whole as it is after.
pub async fn delete<R: Resource>(
    db: &impl Connection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
) -> Result<(), RepoError> {
    authorize::<R>(db, Scope::of(db, actor).await?, id, true).await?;
    let before = R::load(db, id, true, false).await?;
    check_version(expected_version, before.version())?;
    let refs = R::referrers(db, id, 20).await?;
    if !refs.is_empty() {
        return Err(still_referenced(&R::label(&before), refs));
    }
    set_deleted::<R::Entity>(db, actor, id, before.version(), true).await?;
    let after = R::load(db, id, false, true).await?;
    audit::transition(db, actor, AuditAction::Delete, &before, &after).await
}

/// Brings a deleted record back as a new version. 409 if it is not deleted,
/// or if the rules a new record must pass now fail (what would be a 422 for a
/// new record is a 409 here: the request is fine, the other records block it).
pub async fn restore<R: Resource>(
    db: &impl Connection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
) -> Result<R::Record, RepoError> {
    authorize::<R>(db, Scope::of(db, actor).await?, id, true).await?;
    let current = R::load(db, id, true, true).await?;
    if current.deleted_at().is_none() {
        return Err(RepoError::Conflict {
            message: "this record is not deleted; there is nothing to restore".into(),
            errors: vec![],
            references: vec![],
        });
    }
    check_version(expected_version, current.version())?;
    R::recheck(db, &current).await.map_err(blocked)?;
    set_deleted::<R::Entity>(db, actor, id, current.version(), false).await?;
    let record = R::load(db, id, false, false).await?;
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
pub(crate) async fn purge<R: Resource>(
    db: &impl Connection,
    actor: &Actor,
    id: Uuid,
) -> Result<(), RepoError> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let record = R::load(db, id, false, true).await?;
    audit::purged(db, actor, &record).await?;
    R::delete_children(db, id).await?;
    R::Entity::delete_many()
        .filter(<R::Entity as SoftDelete>::ID.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Whether `id` names a record of `R`: a live one, or with
/// `include_deleted` one that is deleted.
pub(crate) async fn exists<R: Resource>(
    db: &impl Connection,
    id: Uuid,
    include_deleted: bool,
) -> Result<bool, RepoError> {
    match super::row_in::<R::Entity>(db, id, false, include_deleted).await {
        Ok(_) => Ok(true),
        Err(RepoError::NotFound) => Ok(false),
        Err(e) => Err(e),
    }
}
