//! Keyset paging shared by every list: ORDER BY (sort key, id) and a cursor that
//! remembers the last row's (key, id). The continuation is a row-value
//! comparison, `(key, id) > (v, c)`, which both SQLite and PostgreSQL answer as
//! one range of the (key, id) index, so page 500 costs what page 1 costs.
//!
//! Nullable keys (dates) put NULLs last in both directions. Rather than an OR
//! that no index can serve, a page is read as up to two ranges: the rows with a
//! key, then (once those run out) the NULL block ordered by id. The cursor
//! carries `null` when the last row was in the NULL block.

use crate::Connection;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use rihla_domain::FieldError;
use sea_orm::sea_query::{Expr, ExprTrait, Order};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Select, Value};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::RepoError;
use rihla_domain::paging::SortKey;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyKind {
    Text,
    Date,
    Timestamp,
}

/// How one sort key maps to SQL.
pub(crate) struct SortColumn<C> {
    pub column: C,
    pub kind: KeyKind,
    pub nullable: bool,
}

/// The cursor's content. `s` is the sort it was issued for: a cursor is only
/// valid with the same `sort`, otherwise the page would silently skip rows.
#[derive(Debug, Serialize, Deserialize)]
struct CursorBody {
    s: String,
    v: Option<String>,
    id: Uuid,
}

pub(crate) fn encode_cursor(sort: &str, value: Option<String>, id: Uuid) -> String {
    let body = CursorBody {
        s: sort.to_owned(),
        v: value,
        id,
    };
    // Serialising this struct cannot fail; an empty cursor would only end paging.
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&body).unwrap_or_default())
}

fn bad_cursor(message: &str) -> RepoError {
    RepoError::BadParams(vec![FieldError::new("cursor", "invalid_cursor", message)])
}

/// The position after which the next page starts.
pub(crate) struct After {
    value: Option<Value>,
    id: Uuid,
}

pub(crate) fn decode_cursor(raw: &str, sort: &str, kind: KeyKind) -> Result<After, RepoError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(raw.as_bytes())
        .map_err(|_| bad_cursor("cursor is not one this server issued"))?;
    let body: CursorBody = serde_json::from_slice(&bytes)
        .map_err(|_| bad_cursor("cursor is not one this server issued"))?;
    if body.s != sort {
        return Err(bad_cursor(
            "cursor was issued for another sort; pass the same sort as the first page",
        ));
    }
    let value = match body.v {
        None => None,
        Some(v) => Some(match kind {
            KeyKind::Text => Value::from(v),
            KeyKind::Date => Value::from(
                NaiveDate::parse_from_str(&v, "%Y-%m-%d")
                    .map_err(|_| bad_cursor("cursor is not one this server issued"))?,
            ),
            KeyKind::Timestamp => Value::from(
                DateTime::parse_from_rfc3339(&v)
                    .map_err(|_| bad_cursor("cursor is not one this server issued"))?
                    .with_timezone(&Utc),
            ),
        }),
    };
    Ok(After { value, id: body.id })
}

pub(crate) fn timestamp_key(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// `%q%` for a case-insensitive LIKE, with the pattern characters escaped.
pub(crate) fn like_pattern(q: &str) -> String {
    let mut p = String::with_capacity(q.len() + 2);
    p.push('%');
    for c in q.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// What a list request asks of the store, already parsed.
pub(crate) struct PageRequest<'a, C> {
    pub sort: SortColumn<C>,
    /// The `sort` parameter as given ("-start_date"), bound into the cursor.
    pub sort_name: String,
    pub descending: bool,
    pub cursor: Option<&'a str>,
    pub limit: u64,
    pub count: bool,
}

/// A row as a list reads it: the entity's model, or a `repo::Decoded` one.
pub trait AsModel<M> {
    fn model(&self) -> &M;
}

impl<M> AsModel<M> for M {
    fn model(&self) -> &M {
        self
    }
}

impl<M> AsModel<M> for crate::repo::Decoded<M> {
    fn model(&self) -> &M {
        &self.0
    }
}

/// A row's sort value as the cursor stores it (`None` in the NULL block).
fn cursor_value(value: Value) -> Option<String> {
    match value {
        Value::String(s) => s,
        Value::ChronoDate(d) => d.map(|d| d.to_string()),
        Value::ChronoDateTimeUtc(t) => t.as_ref().map(timestamp_key),
        _ => None,
    }
}

/// Runs a keyset-paged SELECT: `limit + 1` rows tell whether a next page
/// exists without a COUNT. The cursor holds the last row's sort value and
/// id, read from the row by the sort's column.
pub(crate) async fn fetch_page<E, R>(
    db: &impl Connection,
    select: Select<E>,
    req: PageRequest<'_, E::Column>,
) -> Result<(Vec<R>, Option<String>, Option<u64>), RepoError>
where
    E: crate::repo::SoftDelete,
    E::Model: Sync,
    R: sea_orm::FromQueryResult + AsModel<E::Model> + Send + Sync,
{
    use sea_orm::ModelTrait;
    let id_column = <E as crate::repo::SoftDelete>::ID;
    let key_of = |row: &R| {
        let model = row.model();
        let id = match model.get(id_column) {
            Value::Uuid(Some(id)) => id,
            _ => Uuid::nil(),
        };
        (cursor_value(model.get(req.sort.column)), id)
    };
    use sea_orm::{PaginatorTrait, QuerySelect};

    let total = if req.count {
        Some(select.clone().count(db).await?)
    } else {
        None
    };
    let after = req
        .cursor
        .map(|c| decode_cursor(c, &req.sort_name, req.sort.kind))
        .transpose()?;
    let want = req.limit + 1;
    let (col, desc) = (req.sort.column, req.descending);
    let dir = if desc { Order::Desc } else { Order::Asc };
    // One range of the page: `q` ordered by `keys`, `limit` rows, read as `R`.
    let range = async |q: Select<E>, keys: &[E::Column], limit: u64| -> Result<Vec<R>, RepoError> {
        let mut q = q;
        for key in keys {
            q = q.order_by(*key, dir.clone());
        }
        Ok(q.limit(limit).into_model::<R>().all(db).await?)
    };

    // Rows that have a key, unless the cursor is already inside the NULL block.
    let mut rows = Vec::new();
    let in_null_block = matches!(after, Some(After { value: None, .. }));
    if !in_null_block {
        let mut q = select.clone();
        if req.sort.nullable {
            q = q.filter(col.is_not_null());
        }
        if let Some(After { value: Some(v), id }) = &after {
            let row = Expr::tuple([
                Expr::col((E::default(), col)),
                Expr::col((E::default(), id_column)),
            ]);
            let at = Expr::tuple([Expr::val(v.clone()), Expr::val(*id)]);
            q = q.filter(if desc { row.lt(at) } else { row.gt(at) });
        }
        rows = range(q, &[col, id_column], want).await?;
    }
    // Then the NULL block, ordered by id, to fill the page.
    if req.sort.nullable && (rows.len() as u64) < want {
        let mut q = select.filter(col.is_null());
        if let Some(After { value: None, id }) = &after {
            q = q.filter(if desc {
                id_column.lt(*id)
            } else {
                id_column.gt(*id)
            });
        }
        rows.extend(range(q, &[id_column], want - rows.len() as u64).await?);
    }
    let next = if rows.len() as u64 > req.limit {
        rows.truncate(req.limit as usize);
        rows.last().map(|last| {
            let (value, id) = key_of(last);
            encode_cursor(&req.sort_name, value, id)
        })
    } else {
        None
    };
    Ok((rows, next, total))
}

/// What a list's parameters ask of the store: the sort key (`K`'s default
/// when none is given) on its column of `E`, the cursor, the page size and
/// whether to count. `sort` and `limit` that do not parse are 400s, both
/// reported together.
pub(crate) fn list_request<'a, K, E>(
    p: &'a impl rihla_domain::paging::Paged,
) -> Result<(K, PageRequest<'a, E::Column>), RepoError>
where
    K: SortKey,
    E: EntityTrait,
{
    let mut errors = Vec::new();
    let sort = rihla_domain::Sort::<K>::parse(p.sort())
        .map_err(|e| errors.push(e))
        .ok();
    let limit = rihla_domain::paging::parse_limit(p.limit())
        .map_err(|e| errors.push(e))
        .ok();
    let (Some(sort), Some(limit)) = (sort, limit) else {
        return Err(RepoError::BadParams(errors));
    };
    let sort_name = format!("{}{}", if sort.descending { "-" } else { "" }, sort.key);
    Ok((
        sort.key,
        PageRequest {
            sort: sort_column::<K, E>(sort.key)?,
            sort_name,
            descending: sort.descending,
            // `cursor=` (empty) is the first page, as if absent.
            cursor: p.cursor().filter(|c| !c.is_empty()),
            limit,
            count: p.count().unwrap_or(false),
        },
    ))
}

/// The column of sort key `key` in `E`: the column of the same name, read
/// as its type says, with a NULL block after the rest if it is nullable.
pub(crate) fn sort_column<K: SortKey, E: EntityTrait>(
    key: K,
) -> Result<SortColumn<E::Column>, RepoError> {
    use sea_orm::ColumnType;
    let missing = || {
        RepoError::Corrupt(format!(
            "the sort key {key} has no column of its own type in {}",
            E::default().table_name()
        ))
    };
    let column = E::Column::from_str(key.as_str()).map_err(|_| missing())?;
    let def = column.def();
    let kind = match def.get_column_type() {
        ColumnType::String(_) | ColumnType::Text => KeyKind::Text,
        ColumnType::Date => KeyKind::Date,
        ColumnType::TimestampWithTimeZone => KeyKind::Timestamp,
        _ => return Err(missing()),
    };
    Ok(SortColumn {
        column,
        kind,
        nullable: def.is_null(),
    })
}
