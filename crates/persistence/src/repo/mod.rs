//! One repository per resource. Each write takes the caller's `Actor`; each
//! function takes `&impl ConnectionTrait` so the caller decides the transaction.

pub mod activities;
pub mod audit;
pub mod delegations;
pub mod dialogues;
pub mod idempotency;
pub(crate) mod lifecycle;
pub mod meetings;
pub mod organisations;
pub mod projects;
pub mod purge;
pub mod refresh_tokens;
pub mod users;

use std::collections::HashSet;
use std::str::FromStr;

use chrono::NaiveDate;
use rihla_domain::{FieldError, Reference};
use sea_orm::sea_query::{
    Expr, ExprTrait, Func, LikeExpr, PostgresQueryBuilder, Query, SelectStatement,
    SqliteQueryBuilder, UnionType,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, QueryResult, QuerySelect, Select,
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
    db: &impl ConnectionTrait,
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
pub(crate) trait SoftDelete: EntityTrait {
    const ID: Self::Column;
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
            const DELETED_AT: Self::Column = crate::entities::$table::Column::DeletedAt;
            const DELETED_BY: Self::Column = crate::entities::$table::Column::DeletedBy;
            const VERSION: Self::Column = crate::entities::$table::Column::Version;
            const UPDATED_AT: Self::Column = crate::entities::$table::Column::UpdatedAt;
            const UPDATED_BY: Self::Column = crate::entities::$table::Column::UpdatedBy;
        }
    )+};
}
soft_delete!(
    users,
    organisations,
    projects,
    activities,
    dialogues,
    dialogue_meetings,
    delegations
);

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
    db: &impl ConnectionTrait,
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
    db: &impl ConnectionTrait,
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
    db: &impl ConnectionTrait,
    id: Uuid,
    lock: bool,
    include_deleted: bool,
) -> Result<E::Model, RepoError>
where
    E: SoftDelete,
{
    one_in(db, E::find(), id, lock, include_deleted).await
}

/// The row of `select` with this id, read as `R` (a model, or a model with
/// its children); deleted or not when `include_deleted`.
pub(crate) async fn one_in<E, R>(
    db: &impl ConnectionTrait,
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
    db: &impl ConnectionTrait,
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
            Expr::val(if deleted { actor.user_id() } else { None }),
        )
        .col_expr(E::VERSION, Expr::val(version + 1))
        .col_expr(E::UPDATED_AT, Expr::val(at))
        .col_expr(E::UPDATED_BY, Expr::val(actor.user_id()))
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

/// One row of any of a record's child tables: `source` says which table, `a` /
/// `b` / `c` hold its text columns in an order the repository chooses, and
/// `organisation_id` its reference, if it has one.
pub(crate) struct ChildRow {
    pub source: i32,
    pub position: i32,
    pub organisation_id: Option<Uuid>,
    pub a: Option<String>,
    pub b: Option<String>,
    pub c: Option<String>,
}

/// The SELECT of one child table in `ChildRow`'s shape, for the record of `P`
/// the enclosing query is reading (`owner = P.id`, a correlated subquery).
pub(crate) fn child_select<E: EntityTrait, P: SoftDelete>(
    backend: DbBackend,
    table: E,
    owner: E::Column,
    source: i32,
    position: E::Column,
    organisation: Option<E::Column>,
    text: [Option<E::Column>; 3],
) -> SelectStatement {
    // Literals, not bound values: PostgreSQL types an untyped parameter (or a
    // bare NULL) in a UNION's select list as text.
    let column = |c: Option<E::Column>| -> Expr {
        c.map_or_else(|| Expr::cust("NULL"), |c| Expr::col((table, c)))
    };
    // SQLite keeps a UUID as a BLOB, which JSON cannot hold: as hex digits,
    // which Uuid parses as well as PostgreSQL's hyphenated form.
    let reference = match (organisation, backend) {
        (Some(c), DbBackend::Sqlite) => Func::cust("hex").arg(Expr::col((table, c))).into(),
        (c, _) => column(c),
    };
    let mut q = Query::select();
    q.expr_as(Expr::cust(source.to_string()), "source")
        .expr_as(Expr::col((table, position)), "position")
        .expr_as(reference, "organisation_id");
    for (c, name) in text.into_iter().zip(["a", "b", "c"]) {
        q.expr_as(column(c), name);
    }
    q.from(table)
        .and_where(Expr::col((table, owner)).equals((P::default(), P::ID)))
        .to_owned()
}

/// A record's child tables as one more column of the record's own SELECT:
/// a JSON array of `[source, position, organisation_id, a, b, c]` per child
/// row (NULL or `[]` when there are none), named `children`. A record, or a
/// page of them, is then one statement and one round trip however many child
/// tables it has; each record's children are found through their tables'
/// primary keys `(owner_id, position)`. `selects` come from `child_select`.
pub(crate) fn children_column<const N: usize>(
    backend: DbBackend,
    selects: [SelectStatement; N],
) -> String {
    let mut selects = selects.into_iter();
    let Some(mut union) = selects.next() else {
        return "NULL".to_owned();
    };
    for next in selects {
        union.union(UnionType::All, next);
    }
    let row = "ch.source, ch.position, ch.organisation_id, ch.a, ch.b, ch.c";
    let json = match backend {
        // As text: the row is decoded as a string on both backends.
        DbBackend::Postgres => format!("json_agg(json_build_array({row}))::text"),
        _ => format!("json_group_array(json_array({row}))"),
    };
    let aggregate = Query::select()
        .expr(Expr::cust(json))
        .from_subquery(union, "ch")
        .to_owned();
    // Every part is a column or a literal of ours, so the SQL text carries no
    // bound values and can be embedded as is.
    let sql = match backend {
        DbBackend::Postgres => aggregate.to_string(PostgresQueryBuilder),
        _ => aggregate.to_string(SqliteQueryBuilder),
    };
    format!("({sql})")
}

/// A `children_column` built once per backend: the SQL is the same for every
/// read, and building it took as long as the rest of a read's statement.
pub(crate) struct ChildrenSql {
    build: fn(DbBackend) -> String,
    postgres: std::sync::OnceLock<String>,
    sqlite: std::sync::OnceLock<String>,
}

impl ChildrenSql {
    pub(crate) const fn new(build: fn(DbBackend) -> String) -> Self {
        ChildrenSql {
            build,
            postgres: std::sync::OnceLock::new(),
            sqlite: std::sync::OnceLock::new(),
        }
    }

    pub(crate) fn get(&'static self, backend: DbBackend) -> &'static str {
        let cell = match backend {
            DbBackend::Postgres => &self.postgres,
            _ => &self.sqlite,
        };
        cell.get_or_init(|| (self.build)(backend))
    }
}

/// A row of `M` with its `children_column`, the children not yet parsed.
pub(crate) struct WithChildren<M> {
    pub model: M,
    children: Option<String>,
}

impl<M: FromColumns> FromQueryResult for WithChildren<M> {
    fn from_query_result(res: &QueryResult, _: &str) -> Result<Self, DbErr> {
        let mut columns = Columns::new(res)?;
        Ok(WithChildren {
            model: M::from_columns(&mut columns)?,
            children: columns.next("children")?,
        })
    }
}

impl<M> WithChildren<M> {
    /// The child rows, by table and then position.
    pub(crate) fn children(&self) -> Result<Vec<ChildRow>, RepoError> {
        type Raw = (
            i32,
            i32,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let Some(raw) = self.children.as_deref() else {
            return Ok(Vec::new());
        };
        let rows: Vec<Raw> = serde_json::from_str(raw)
            .map_err(|e| RepoError::Corrupt(format!("child rows: {e}")))?;
        let mut rows = rows
            .into_iter()
            .map(|(source, position, organisation_id, a, b, c)| {
                let organisation_id = organisation_id
                    .map(|id| {
                        Uuid::parse_str(&id).map_err(|e| {
                            RepoError::Corrupt(format!("child row organisation {id:?}: {e}"))
                        })
                    })
                    .transpose()?;
                Ok(ChildRow {
                    source,
                    position,
                    organisation_id,
                    a,
                    b,
                    c,
                })
            })
            .collect::<Result<Vec<_>, RepoError>>()?;
        rows.sort_by_key(|r| (r.source, r.position));
        Ok(rows)
    }
}

/// Writes one child table's rows for the record `owner` names, in one INSERT
/// (none when there are no rows). With `replace`, the rows the record had are
/// deleted first.
pub(crate) async fn write_rows<A>(
    db: &impl ConnectionTrait,
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
