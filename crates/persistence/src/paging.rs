//! Keyset paging shared by every list: ORDER BY (sort key, id) and a cursor that
//! remembers the last row's (key, id), so page 500 costs what page 1 costs.
//!
//! Nullable keys (dates) sort NULLS LAST in both directions, on both backends;
//! the cursor carries `null` for such rows and the condition below continues
//! inside the NULL block.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use rihla_domain::FieldError;
use sea_orm::sea_query::{Expr, NullOrdering, Order};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, Select, Value};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::RepoError;

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

/// Adds ORDER BY and, after a cursor, the keyset condition to `select`.
pub(crate) fn apply<E, C>(
    mut select: Select<E>,
    sort: &SortColumn<C>,
    id_column: C,
    descending: bool,
    after: Option<After>,
) -> Select<E>
where
    E: EntityTrait<Column = C>,
    C: ColumnTrait + Copy,
{
    if let Some(After { value, id }) = after {
        let col = sort.column;
        let past_id = if descending {
            id_column.lt(id)
        } else {
            id_column.gt(id)
        };
        let cond = match value {
            Some(v) => {
                let beyond = if descending {
                    col.lt(v.clone())
                } else {
                    col.gt(v.clone())
                };
                let mut any = Condition::any()
                    .add(beyond)
                    .add(Condition::all().add(col.eq(v)).add(past_id));
                if sort.nullable {
                    any = any.add(col.is_null());
                }
                any
            }
            None => Condition::all().add(col.is_null()).add(past_id),
        };
        select = select.filter(cond);
    }
    let order = if descending { Order::Desc } else { Order::Asc };
    select = if sort.nullable {
        select.order_by_with_nulls(Expr::col(sort.column), order.clone(), NullOrdering::Last)
    } else {
        select.order_by(sort.column, order.clone())
    };
    select.order_by(id_column, order)
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
