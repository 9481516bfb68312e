//! The one resource pattern: what every record kind has in common, written
//! once. A repository implements `Resource` (its table, who reaches it, its
//! unique indexes and links, how rows become records) and, when clients
//! create and change it through the generic routes, `Editable` (its checks
//! and how its rows are written); see `traits`. The operations below own
//! the rest: locking, the If-Match version check, the audit event, soft
//! delete, restore, the references that block a delete, and a list's page.
//! A resource with a faster way to do one of them takes it as an option of
//! `Editable` (`EVENT_IN_WRITE`: the audit event in the row's own
//! statement; `OPTIMISTIC_PATCH`: a PATCH without the lock); the generic
//! operation still does the checks around it.
//!
//! Every `Resource` is listed once in `registry`, which derives the audit and
//! history dispatch, the purge order and the unique-index names from that
//! list.

mod traits;

pub use traits::Registered;
pub(crate) use traits::{Access, Editable, Held, Link, LinkKind, Recheck, Resource, Unique};

use rihla_domain::paging::{Paged, SortKey};
use rihla_domain::{AuditAction, Page, Record, Reference};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{Condition, EntityTrait, QueryFilter, Select};
use uuid::Uuid;

use super::audit;
use super::{SoftDelete, registry, set_deleted};
use crate::error::{check_version, still_referenced};
use crate::keyset::{self, PageRequest};
use crate::scope::{Scope, check_owner};
use crate::{Actor, Connection, RepoError, WriteConn};

/// Whether `R` takes the optimistic PATCH (`Editable::OPTIMISTIC_PATCH`).
pub fn optimistic<R: Editable>() -> bool {
    R::OPTIMISTIC_PATCH
}

/// Whether a PATCH of `current` to `input` can go the optimistic way
/// (`Editable::only_own_row`).
pub fn only_own_row<R: Editable>(current: &R::Record, input: &R::Input) -> bool {
    R::only_own_row(current, input)
}

/// The condition that keeps `R`'s rows under `scope`'s projects; none for
/// an organisation-wide scope and for data that is not project-owned.
fn reach_of<R: Resource>(scope: &Scope, write: bool) -> Option<Condition> {
    match R::access(&scope.reach(write)?) {
        Access::Projects(condition) => Some(condition),
        Access::Shared | Access::Admins => None,
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
    use sea_orm::{ColumnTrait, QuerySelect};
    let Some(reach) = reach_of::<R>(&scope, false) else {
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
        && let Some(edit) = reach_of::<R>(&scope, true)
        && !found(edit).await?
    {
        return Err(RepoError::Forbidden(
            "your role on this record's project is viewer; changing it needs editor".into(),
        ));
    }
    Ok(())
}

/// The rows of `R` that `scope` reaches, for a list.
pub(crate) fn scoped<R: Resource>(select: Select<R::Entity>, scope: &Scope) -> Select<R::Entity> {
    match reach_of::<R>(scope, false) {
        Some(reach) => select.filter(reach),
        None => select,
    }
}

/// A list's start: its select, its sort key, the page it asks for.
pub(crate) type ListStart<'a, R, K> = (
    Select<<R as Resource>::Entity>,
    K,
    PageRequest<'a, <<R as Resource>::Entity as EntityTrait>::Column>,
);

/// The start of every list of `R`: the rows `scope` reaches (live ones, or
/// all with `include_deleted`), and the page `p` asks for in `K`'s order.
/// The repository adds its filters to the select, then reads the `page`.
pub(crate) fn list<'a, R: Resource, K: SortKey>(
    scope: &Scope,
    p: &'a impl Paged,
) -> Result<ListStart<'a, R, K>, RepoError> {
    let (key, req) = keyset::list_request::<K, R::Entity>(p)?;
    Ok((scoped::<R>(super::listed::<R::Entity>(p), scope), key, req))
}

/// One page of `select` as records.
pub(crate) async fn page<R: Resource>(
    db: &impl Connection,
    select: Select<R::Entity>,
    req: PageRequest<'_, <R::Entity as EntityTrait>::Column>,
) -> Result<Page<R::Record>, RepoError>
where
    <R::Entity as EntityTrait>::Model: Sync,
{
    let (rows, next_cursor, total) =
        keyset::fetch_page::<R::Entity, R::Row>(db, select, req).await?;
    Ok(Page {
        items: R::assemble(db, rows).await?,
        next_cursor,
        total,
    })
}

/// The record with its children; a deleted one only with
/// `include_deleted`. With `lock` its row is held until the transaction
/// ends (FOR UPDATE on PostgreSQL; SQLite's writer already holds the
/// database).
pub(crate) async fn load<R: Resource>(
    db: &impl Connection,
    id: Uuid,
    lock: bool,
    include_deleted: bool,
) -> Result<R::Record, RepoError> {
    let row: R::Row = super::one_in(db, R::Entity::find(), id, lock, include_deleted).await?;
    R::assemble(db, vec![row])
        .await?
        .pop()
        .ok_or(RepoError::NotFound)
}

/// A live record `scope` reaches.
pub async fn get<R: Resource>(
    db: &impl Connection,
    scope: Scope,
    id: Uuid,
) -> Result<R::Record, RepoError> {
    authorize::<R>(db, scope, id, false).await?;
    load::<R>(db, id, false, false).await
}

/// A record even if it is deleted (admins' `include_deleted`).
pub async fn get_any<R: Resource>(
    db: &impl Connection,
    scope: Scope,
    id: Uuid,
) -> Result<R::Record, RepoError> {
    authorize::<R>(db, scope, id, false).await?;
    load::<R>(db, id, false, true).await
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
    load::<R>(db, id, true, false).await
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
    R::check(db, input, None).await?;
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
    authorize::<R>(db, scope.clone(), current.id(), true).await?;
    check_organisation_wide::<R>(&scope, current, input)?;
    R::check(db, input, Some(current)).await?;
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
    authorize::<R>(db, scope.clone(), current.id(), true).await?;
    check_organisation_wide::<R>(&scope, current, input)?;
    R::update_unlocked(db, actor, current, input).await
}

/// What `upsert` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upserted {
    Created(Uuid),
    Updated(Uuid),
    Unchanged(Uuid),
}

/// Makes record `id` hold `input`: creates it when `id` is none, else
/// updates it when it differs (a loader that runs again changes nothing).
pub async fn upsert<R>(
    db: &impl WriteConn,
    actor: &Actor,
    id: Option<Uuid>,
    input: &R::Input,
) -> Result<Upserted, RepoError>
where
    R: Editable,
    R::Input: for<'a> From<&'a R::Record> + PartialEq,
{
    let Some(id) = id else {
        return Ok(Upserted::Created(create::<R>(db, actor, input).await?.id()));
    };
    let current = get_for_update::<R>(db, actor, id).await?;
    if R::Input::from(&current) == *input {
        return Ok(Upserted::Unchanged(id));
    }
    update::<R>(db, actor, &current, input).await?;
    Ok(Upserted::Updated(id))
}

/// 403 for a partner whose write changes a field only organisation-wide
/// callers may change (`Editable::organisation_wide`), before anything is
/// written or looked up.
fn check_organisation_wide<R: Editable>(
    scope: &Scope,
    current: &R::Record,
    input: &R::Input,
) -> Result<(), RepoError> {
    if *scope == Scope::All {
        return Ok(());
    }
    let fields = R::organisation_wide(current, input);
    if fields.is_empty() {
        return Ok(());
    }
    Err(RepoError::Forbidden(format!(
        "{} can only be changed by an organisation-wide editor",
        fields.join(" and ")
    )))
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
    let current = load::<R>(db, id, true, false).await?;
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
    let before = load::<R>(db, id, true, false).await?;
    check_version(expected_version, before.version())?;
    let refs = referrers::<R>(db, id, 20).await?;
    if !refs.is_empty() {
        return Err(still_referenced(&R::label(&before), refs));
    }
    set_deleted::<R::Entity>(db, actor, id, before.version(), true).await?;
    let after = load::<R>(db, id, false, true).await?;
    audit::transition(db, actor, AuditAction::Delete, &before, &after).await
}

/// Brings a deleted record back as a new version. 409 if it is not deleted,
/// or if the rules a new record must pass now fail (what would be a 422 for a
/// new record is a 409 here: the request is fine, the other records block it).
pub async fn restore<R: Recheck>(
    db: &impl Connection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
) -> Result<R::Record, RepoError> {
    authorize::<R>(db, Scope::of(db, actor).await?, id, true).await?;
    let current = load::<R>(db, id, true, true).await?;
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
    let record = load::<R>(db, id, false, false).await?;
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

/// Live records that name record `id` of `R`, as its links say, at most
/// `limit` of each kind: a delete is refused while there are any.
pub(crate) async fn referrers<R: Resource>(
    db: &impl Connection,
    id: Uuid,
    limit: u64,
) -> Result<Vec<Reference>, RepoError> {
    let mut refs: Vec<Reference> = Vec::new();
    for link in R::LINKS {
        if let LinkKind::Referrer { resource, .. } = link.kind {
            for found in registry::naming(db, resource, link, id, limit).await? {
                let kind = refs.iter().filter(|r| r.resource == found.resource).count();
                let known = refs
                    .iter()
                    .any(|r| r.resource == found.resource && r.id == found.id);
                if !known && (kind as u64) < limit {
                    refs.push(found);
                }
            }
        }
    }
    Ok(refs)
}

/// Up to `limit` live records of `R` that `link` (a link into another
/// resource's table) says name record `id`.
pub(crate) async fn naming<R: Resource>(
    db: &impl Connection,
    link: &Link,
    id: Uuid,
    limit: u64,
) -> Result<Vec<Reference>, RepoError> {
    let LinkKind::Referrer { via, only, .. } = link.kind else {
        return Ok(Vec::new());
    };
    // A tag holds the id as text; a key column holds it as a UUID.
    let named = if only.is_some() {
        Expr::col(Alias::new(link.column)).eq(id.to_string())
    } else {
        Expr::col(Alias::new(link.column)).eq(id)
    };
    let cond = match via {
        None => Condition::all().add(named),
        Some(via) => {
            let mut rows = Query::select();
            rows.column(Alias::new(via))
                .from(Alias::new(link.table))
                .and_where(named);
            if let Some((column, value)) = only {
                rows.and_where(Expr::col(Alias::new(column)).eq(value));
            }
            Condition::all().add(Expr::col(<R::Entity as SoftDelete>::ID).in_subquery(rows))
        }
    };
    R::referencing(db, cond, limit).await
}

/// Removes the rows of `R`'s child tables (and what follows it) that
/// belong to record `id`, as its links say: a purge's first step.
pub(crate) async fn delete_links<R: Resource>(
    db: &impl Connection,
    id: Uuid,
) -> Result<(), RepoError> {
    for link in R::LINKS {
        if matches!(link.kind, LinkKind::Child | LinkKind::Follows) {
            let delete = Query::delete()
                .from_table(Alias::new(link.table))
                .and_where(Expr::col(Alias::new(link.column)).eq(id))
                .to_owned();
            db.execute(&delete).await?;
        }
    }
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
