//! One repository per resource. Each write takes the caller's `Actor`; each
//! function takes `&impl ConnectionTrait` so the caller decides the transaction.

pub mod activities;
pub mod delegations;
pub mod dialogues;
pub mod idempotency;
pub mod meetings;
pub mod organisations;
pub mod projects;
pub mod refresh_tokens;
pub mod users;

use std::collections::HashSet;
use std::str::FromStr;

use chrono::NaiveDate;
use rihla_domain::{FieldError, Reference};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::RepoError;
use crate::paging::like_pattern;

/// Reads an enum column; a value no variant matches means the row was edited
/// outside the service.
pub(crate) fn parse_enum<T: FromStr>(raw: &str, column: &str) -> Result<T, RepoError> {
    T::from_str(raw).map_err(|_| RepoError::Corrupt(format!("{column} holds {raw:?}")))
}

/// `UPDATE ... SET row WHERE id = ? AND version = ?`: the write lands only on the
/// version the caller read, so a concurrent writer can never be overwritten
/// silently. `row` must set `version` to `version + 1`.
pub(crate) async fn update_versioned<E>(
    db: &impl sea_orm::ConnectionTrait,
    row: E::ActiveModel,
    (id_column, version_column): (E::Column, E::Column),
    id: uuid::Uuid,
    version: i32,
) -> Result<(), RepoError>
where
    E: sea_orm::EntityTrait,
    E::ActiveModel: sea_orm::ActiveModelTrait<Entity = E> + Send,
{
    use sea_orm::{ColumnTrait, QueryFilter};
    let result = E::update_many()
        .set(row)
        .filter(id_column.eq(id))
        .filter(version_column.eq(version))
        .exec(db)
        .await?;
    if result.rows_affected == 1 {
        Ok(())
    } else {
        Err(RepoError::VersionMismatch { current: version })
    }
}

/// Which of `ids` exist in `column` of `E`, in one query.
pub(crate) async fn existing<E: EntityTrait>(
    db: &impl ConnectionTrait,
    column: E::Column,
    ids: &[Uuid],
) -> Result<HashSet<Uuid>, RepoError> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let found: Vec<Uuid> = E::find()
        .select_only()
        .column(column)
        .filter(column.is_in(ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(found.into_iter().collect())
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

/// Up to `limit` rows of `E` matching `cond`, as references labelled by `label`.
pub(crate) async fn referrers<E: EntityTrait>(
    db: &impl ConnectionTrait,
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

/// The id of the first row of `E` matching `cond`: natural-key look-ups for
/// loaders that must not create a record twice.
pub(crate) async fn find_id<E: EntityTrait>(
    db: &impl ConnectionTrait,
    id: E::Column,
    cond: Condition,
) -> Result<Option<Uuid>, RepoError> {
    Ok(E::find()
        .select_only()
        .column(id)
        .filter(cond)
        .into_tuple::<Uuid>()
        .one(db)
        .await?)
}

/// One row by id. With `lock` it is held until the transaction ends (FOR UPDATE
/// on PostgreSQL; SQLite's BEGIN IMMEDIATE already holds the write lock), so a
/// read-modify-write sees the version it writes over.
pub(crate) async fn row<E>(
    db: &impl ConnectionTrait,
    id: Uuid,
    lock: bool,
) -> Result<E::Model, RepoError>
where
    E: EntityTrait,
    <E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: From<Uuid>,
{
    let mut q = E::find_by_id(id);
    if lock {
        q = q.lock_exclusive();
    }
    q.one(db).await?.ok_or(RepoError::NotFound)
}
