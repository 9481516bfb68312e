//! Writing and reading a record's own row the same way for every resource:
//! a new row stamped with its bookkeeping columns, a versioned UPDATE that
//! lands only on the version read, soft delete, one row by id, child rows
//! in one INSERT.

use sea_orm::sea_query::Expr;

/// A record's row as a repository's `columns()` builds it: every column
/// the client controls, given by the caller, and the bookkeeping columns
/// left for `new_row` and `write_version` to stamp. Written out in full
/// (never `..Default::default()`), so a column added to a table and not to
/// its repository is a compile error, not a field silently never written.
macro_rules! record_row {
    ($table:ident { $($field:ident: $value:expr),+ $(,)? }) => {
        crate::entities::$table::ActiveModel {
            id: sea_orm::ActiveValue::NotSet,
            created_at: sea_orm::ActiveValue::NotSet,
            updated_at: sea_orm::ActiveValue::NotSet,
            created_by: sea_orm::ActiveValue::NotSet,
            updated_by: sea_orm::ActiveValue::NotSet,
            version: sea_orm::ActiveValue::NotSet,
            deleted_at: sea_orm::ActiveValue::NotSet,
            deleted_by: sea_orm::ActiveValue::NotSet,
            $($field: $value),+
        }
    };
}
pub(crate) use record_row;
use sea_orm::{
    ColumnTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryResult, QuerySelect, Select,
};
use uuid::Uuid;

use super::soft_delete::{SoftDelete, live};
use crate::columns::{Columns, FromColumns};
use crate::{Actor, Connection, RepoError, now};

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
pub struct Decoded<M>(pub M);

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
