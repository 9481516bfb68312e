//! One repository per resource. Each write takes the caller's `Actor`; each
//! function takes `&impl Connection` so the caller decides the transaction.

pub mod activities;
pub mod api_keys;
pub mod audit;
pub mod delegations;
pub mod dialogues;
pub mod documents;
pub mod idempotency;
pub mod login_failures;
pub mod meetings;
pub mod members;
pub mod organisations;
pub mod projects;
pub mod purge;
pub mod refresh_tokens;
pub(crate) mod registry;
pub mod reports;
pub mod resource;
pub mod users;

use crate::Connection;
use std::collections::HashSet;
use std::str::FromStr;

use chrono::NaiveDate;
use rihla_domain::{FieldError, Reference};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ColumnTrait, Condition, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryResult,
    QuerySelect, Select,
};
use uuid::Uuid;

use crate::columns::{Columns, FromColumns};
use crate::paging::like_pattern;
use crate::{Actor, RepoError, now};

/// Reads an enum column; a value no variant matches means the row was edited
/// outside the service.
pub(crate) fn parse_enum<T: FromStr>(raw: &str, column: &str) -> Result<T, RepoError> {
    T::from_str(raw).map_err(|_| RepoError::Corrupt(format!("{column} holds {raw:?}")))
}

/// `UPDATE ... SET row WHERE id = ? AND version = ?`: the write lands only on the
/// version the caller read, so a concurrent writer can never be overwritten
/// silently. `row` must set `version` to `version + 1`.
pub(crate) async fn update_versioned<E>(
    db: &impl Connection,
    row: E::ActiveModel,
    columns: (E::Column, E::Column),
    id: uuid::Uuid,
    version: i32,
) -> Result<(), RepoError>
where
    E: sea_orm::EntityTrait,
    E::ActiveModel: sea_orm::ActiveModelTrait<Entity = E> + Send,
{
    let written = db
        .execute(&versioned::<E>(row, columns, id, version))
        .await?
        .rows_affected();
    written_once(written, version)
}

/// A new record's row: the client's `columns`, a fresh id, and version 1
/// stamped with `actor` and the time.
pub(crate) fn new_row<E>(mut columns: E::ActiveModel, actor: &Actor) -> (Uuid, E::ActiveModel)
where
    E: SoftDelete,
    E::ActiveModel: sea_orm::ActiveModelTrait<Entity = E>,
{
    use sea_orm::ActiveModelTrait;
    let (id, at) = (Uuid::now_v7(), now());
    columns.set(E::ID, id.into());
    columns.set(E::CREATED_AT, at.into());
    columns.set(E::UPDATED_AT, at.into());
    columns.set(E::CREATED_BY, actor.principal_id().into());
    columns.set(E::UPDATED_BY, actor.principal_id().into());
    columns.set(E::VERSION, 1.into());
    columns.set(
        E::DELETED_AT,
        Option::<chrono::DateTime<chrono::Utc>>::None.into(),
    );
    columns.set(E::DELETED_BY, Option::<Uuid>::None.into());
    (id, columns)
}

/// Writes the client's `columns` over record `id` as its next version,
/// stamped with `actor` and the time; 412 unless it is still at `version`
/// (see `update_versioned`).
pub(crate) async fn write_version<E>(
    db: &impl Connection,
    actor: &Actor,
    mut columns: E::ActiveModel,
    id: Uuid,
    version: i32,
) -> Result<(), RepoError>
where
    E: SoftDelete,
    E::ActiveModel: sea_orm::ActiveModelTrait<Entity = E> + Send,
{
    use sea_orm::ActiveModelTrait;
    columns.set(E::UPDATED_AT, now().into());
    columns.set(E::UPDATED_BY, actor.principal_id().into());
    columns.set(E::VERSION, (version + 1).into());
    update_versioned::<E>(db, columns, (E::ID, E::VERSION), id, version).await
}

/// The statement of `update_versioned`, for a write that carries its audit
/// event (`audit::with_event`); check its count with `written_once`.
pub(crate) fn versioned<E>(
    row: E::ActiveModel,
    (id_column, version_column): (E::Column, E::Column),
    id: uuid::Uuid,
    version: i32,
) -> sea_orm::sea_query::UpdateStatement
where
    E: sea_orm::EntityTrait,
    E::ActiveModel: sea_orm::ActiveModelTrait<Entity = E> + Send,
{
    use sea_orm::QueryTrait;
    E::update_many()
        .set(row)
        .filter(id_column.eq(id))
        .filter(version_column.eq(version))
        .into_query()
}

/// A versioned write that found its row at `version` wrote exactly one.
pub(crate) fn written_once(written: u64, version: i32) -> Result<(), RepoError> {
    if written == 1 {
        Ok(())
    } else {
        Err(RepoError::VersionMismatch { current: version })
    }
}

/// The references `refs` (field, id) that an update adds to the ones the
/// record already held (`held`); with no record before (a create, a
/// restore's re-check), all of them. Only these need to be looked up and
/// locked: a reference a live record already holds cannot point at a deleted
/// record, because deleting a record that live records refer to is refused.
/// A PATCH of a title thus costs no look-up.
pub(crate) fn added(refs: Vec<(String, Uuid)>, held: Option<&[Uuid]>) -> Vec<(String, Uuid)> {
    match held {
        None => refs,
        Some(held) => refs
            .into_iter()
            .filter(|(_, id)| !held.contains(id))
            .collect(),
    }
}

/// 422 entries for each `(field, id)` whose id is not in `found`.
pub(crate) fn dangling(
    refs: &[(String, Uuid)],
    found: &HashSet<Uuid>,
    what: &str,
) -> Vec<FieldError> {
    refs.iter()
        .filter(|(_, id)| !found.contains(id))
        .map(|(field, id)| {
            FieldError::new(
                field.clone(),
                "not_found",
                format!("{what} {id} does not exist"),
            )
        })
        .collect()
}

/// Up to `limit` live rows of `E` matching `cond`, as references labelled by
/// `label`. Deleted records never block a delete.
pub(crate) async fn referrers<E: SoftDelete>(
    db: &impl Connection,
    cond: Condition,
    (id, label): (E::Column, E::Column),
    resource: &str,
    limit: u64,
) -> Result<Vec<Reference>, RepoError> {
    let rows: Vec<(Uuid, String)> = E::find()
        .select_only()
        .column(id)
        .column(label)
        .filter(cond)
        .filter(live::<E>())
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, label)| Reference {
            resource: resource.to_owned(),
            id,
            label,
        })
        .collect())
}

/// Case-insensitive substring match on any of `cols` (LIKE with the pattern
/// characters escaped). `None` when `q` is blank.
pub(crate) fn text_search<C: ColumnTrait>(q: Option<&str>, cols: &[C]) -> Option<Condition> {
    let q = q.map(str::trim).filter(|q| !q.is_empty())?;
    let pattern = like_pattern(q);
    Some(cols.iter().fold(Condition::any(), |any, col| {
        any.add(
            Expr::expr(Func::lower(Expr::col(*col)))
                .like(LikeExpr::new(pattern.clone()).escape('\\')),
        )
    }))
}

/// Records whose [start, end] period overlaps the window [from, to]. A record
/// without an end date lasts its start day; one without dates matches no window.
pub(crate) fn overlapping<C: ColumnTrait>(
    (start, end): (C, C),
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Option<Condition>, RepoError> {
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        return Err(RepoError::BadParams(vec![FieldError::new(
            "to",
            "before_from",
            "to must not be before from",
        )]));
    }
    let mut cond = Condition::all();
    if let Some(to) = to {
        cond = cond.add(start.lte(to));
    }
    if let Some(from) = from {
        cond = cond.add(
            Condition::any()
                .add(end.gte(from))
                .add(Condition::all().add(end.is_null()).add(start.gte(from))),
        );
    }
    Ok((from.is_some() || to.is_some()).then_some(cond))
}

/// A list of enum values or structs kept as one JSON text column.
pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> Result<String, RepoError> {
    serde_json::to_string(v).map_err(|e| RepoError::Corrupt(e.to_string()))
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    raw: &str,
    column: &str,
) -> Result<T, RepoError> {
    serde_json::from_str(raw).map_err(|e| RepoError::Corrupt(format!("{column}: {e}")))
}

/// The id of the first live row of `E` matching `cond`: natural-key look-ups
/// for loaders that must not create a record twice.
pub(crate) async fn find_id<E: SoftDelete>(
    db: &impl Connection,
    id: E::Column,
    cond: Condition,
) -> Result<Option<Uuid>, RepoError> {
    Ok(E::find()
        .select_only()
        .column(id)
        .filter(cond)
        .filter(live::<E>())
        .into_tuple::<Uuid>()
        .one(db)
        .await?)
}

/// A table whose rows are soft-deleted: `deleted_at` / `deleted_by` mark a
/// deleted record, and every read, reference check and uniqueness rule looks
/// only at live rows unless it says otherwise.
pub trait SoftDelete: EntityTrait {
    const ID: Self::Column;
    const CREATED_AT: Self::Column;
    const CREATED_BY: Self::Column;
    const DELETED_AT: Self::Column;
    const DELETED_BY: Self::Column;
    const VERSION: Self::Column;
    const UPDATED_AT: Self::Column;
    const UPDATED_BY: Self::Column;
}

macro_rules! soft_delete {
    ($($table:ident),+) => {$(
        impl SoftDelete for crate::entities::$table::Entity {
            const ID: Self::Column = crate::entities::$table::Column::Id;
            const CREATED_AT: Self::Column = crate::entities::$table::Column::CreatedAt;
            const CREATED_BY: Self::Column = crate::entities::$table::Column::CreatedBy;
            const DELETED_AT: Self::Column = crate::entities::$table::Column::DeletedAt;
            const DELETED_BY: Self::Column = crate::entities::$table::Column::DeletedBy;
            const VERSION: Self::Column = crate::entities::$table::Column::Version;
            const UPDATED_AT: Self::Column = crate::entities::$table::Column::UpdatedAt;
            const UPDATED_BY: Self::Column = crate::entities::$table::Column::UpdatedBy;
        }
    )+};
}
soft_delete!(
    api_keys,
    users,
    organisations,
    projects,
    activities,
    dialogues,
    dialogue_meetings,
    delegations,
    documents,
    project_members
);

/// The rows a list starts from: live ones, or all with `include_deleted`
/// (admins only; the API checked the role).
pub(crate) fn listed<E: SoftDelete>(p: &impl rihla_domain::paging::Paged) -> Select<E> {
    let select = E::find();
    if p.include_deleted() == Some(true) {
        select
    } else {
        select.filter(live::<E>())
    }
}

/// Live rows only.
pub(crate) fn live<E: SoftDelete>() -> Condition {
    Condition::all().add(E::DELETED_AT.is_null())
}

/// `SELECT id FROM <E> WHERE deleted_at IS NULL`: for child tables, whose rows
/// count only while their parent is live.
pub(crate) fn live_ids<E: SoftDelete>() -> sea_orm::sea_query::SelectStatement {
    sea_orm::sea_query::Query::select()
        .column(E::ID)
        .from(E::default())
        .and_where(E::DELETED_AT.is_null())
        .to_owned()
}

/// Which of `ids` are live rows of `E`, in one query. The rows found are
/// locked in share mode until the transaction ends (PostgreSQL), so a
/// concurrent delete of a record this write is about to point at waits for it
/// and then sees the new reference, instead of both passing their checks.
pub(crate) async fn existing<E: SoftDelete>(
    db: &impl Connection,
    ids: &[Uuid],
) -> Result<HashSet<Uuid>, RepoError> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let found: Vec<Uuid> = E::find()
        .select_only()
        .column(E::ID)
        .filter(E::ID.is_in(ids.iter().copied()))
        .filter(live::<E>())
        .lock_shared()
        .into_tuple()
        .all(db)
        .await?;
    Ok(found.into_iter().collect())
}

/// One live row by id. With `lock` it is held until the transaction ends (FOR
/// UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE already holds the write
/// lock), so a read-modify-write sees the version it writes over.
pub(crate) async fn row<E>(
    db: &impl Connection,
    id: Uuid,
    lock: bool,
) -> Result<E::Model, RepoError>
where
    E: SoftDelete,
    <E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: From<Uuid>,
{
    row_in::<E>(db, id, lock, false).await
}

/// One row by id, deleted or not when `include_deleted`.
pub(crate) async fn row_in<E>(
    db: &impl Connection,
    id: Uuid,
    lock: bool,
    include_deleted: bool,
) -> Result<E::Model, RepoError>
where
    E: SoftDelete,
{
    one_in(db, E::find(), id, lock, include_deleted).await
}

/// The row of `select` with this id, read as `R` (a model, or a `Decoded`
/// one); deleted or not when `include_deleted`.
pub(crate) async fn one_in<E, R>(
    db: &impl Connection,
    select: Select<E>,
    id: Uuid,
    lock: bool,
    include_deleted: bool,
) -> Result<R, RepoError>
where
    E: SoftDelete,
    R: FromQueryResult + Send,
{
    let mut q = select.filter(E::ID.eq(id));
    if !include_deleted {
        q = q.filter(live::<E>());
    }
    if lock {
        q = q.lock_exclusive();
    }
    q.into_model::<R>()
        .one(db)
        .await?
        .ok_or(RepoError::NotFound)
}

/// Marks a record deleted (or live again), as one more version of it. The
/// caller has locked the row and checked `version`; the guard makes a
/// concurrent writer's change impossible to lose anyway.
pub(crate) async fn set_deleted<E: SoftDelete>(
    db: &impl Connection,
    actor: &Actor,
    id: Uuid,
    version: i32,
    deleted: bool,
) -> Result<(), RepoError> {
    let at = now();
    let result = E::update_many()
        .col_expr(E::DELETED_AT, Expr::val(deleted.then_some(at)))
        .col_expr(
            E::DELETED_BY,
            Expr::val(if deleted { actor.principal_id() } else { None }),
        )
        .col_expr(E::VERSION, Expr::val(version + 1))
        .col_expr(E::UPDATED_AT, Expr::val(at))
        .col_expr(E::UPDATED_BY, Expr::val(actor.principal_id()))
        .filter(E::ID.eq(id))
        .filter(E::VERSION.eq(version))
        .exec(db)
        .await?;
    if result.rows_affected == 1 {
        Ok(())
    } else {
        Err(RepoError::VersionMismatch { current: version })
    }
}

/// A row of `M` decoded column by column (`columns`), for the records read
/// most.
pub(crate) struct Decoded<M>(pub M);

impl<M: FromColumns> FromQueryResult for Decoded<M> {
    fn from_query_result(res: &QueryResult, _: &str) -> Result<Self, DbErr> {
        Ok(Decoded(M::from_columns(&mut Columns::new(res)?)?))
    }
}

/// Writes one child table's rows for the record `owner` names, in one INSERT
/// (none when there are no rows). With `replace`, the rows the record had are
/// deleted first.
pub(crate) async fn write_rows<A>(
    db: &impl Connection,
    (owner_column, owner): (<A::Entity as EntityTrait>::Column, Uuid),
    replace: bool,
    rows: Vec<A>,
) -> Result<(), RepoError>
where
    A: sea_orm::ActiveModelTrait + Send,
{
    if replace {
        A::Entity::delete_many()
            .filter(owner_column.eq(owner))
            .exec(db)
            .await?;
    }
    if !rows.is_empty() {
        A::Entity::insert_many(rows).exec(db).await?;
    }
    Ok(())
}
