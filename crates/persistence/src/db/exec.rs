//! Running statements on a checked-out connection: binding, PostgreSQL's
//! inlined LIMIT, and `ConnectionTrait` for a connection and for the pool.

use std::sync::Arc;

use sea_orm::sea_query::Values;
use sea_orm::sqlx::{self, AssertSqlSafe, query_with};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, ExecResult, QueryResult, RuntimeErr, Statement};
use sea_query_sqlx::SqlxValues;

use super::Db;
use super::pool::Conn;
use super::pool::{Raw, Slot, is_fatal};

pub(super) fn bind(stmt: Statement) -> (AssertSqlSafe<String>, SqlxValues) {
    let mut values = stmt.values.unwrap_or(Values(Vec::new()));
    let sql = inline_limit(stmt.sql, &mut values.0);
    (AssertSqlSafe(sql), SqlxValues(values))
}

/// Writes a bound LIMIT (sea-query binds it, as the statement's last
/// parameter) into PostgreSQL's SQL as a literal.
///
/// PostgreSQL connections use generic plans (`target`): each prepared
/// statement is planned once per connection instead of at every execution,
/// which was the largest cost of a list page on the database side. A generic
/// plan cannot see a bound LIMIT and assumes a tenth of the matching rows,
/// which turns a 21-row index range into a sort of every match; with the
/// LIMIT in the text, the plan is the one the page needs. A statement cached
/// per distinct LIMIT is cheap: lists take 1 to 101 rows.
pub(super) fn inline_limit(sql: String, values: &mut Vec<sea_orm::Value>) -> String {
    let Some(at) = sql.rfind(" LIMIT ") else {
        return sql;
    };
    let head = at + " LIMIT ".len();
    let Some(param) = sql[head..].strip_prefix('$') else {
        return sql;
    };
    let digits = param.bytes().take_while(u8::is_ascii_digit).count();
    let is_last = param[..digits].parse::<usize>().ok() == Some(values.len());
    match values.last() {
        Some(sea_orm::Value::BigUnsigned(Some(n))) if is_last => {
            let text = format!("{}{n}{}", &sql[..head], &param[digits..]);
            values.pop();
            text
        }
        _ => sql,
    }
}

pub(super) fn query_failed(e: sqlx::Error) -> DbErr {
    DbErr::Query(RuntimeErr::SqlxError(Arc::new(e)))
}

pub(super) fn exec_failed(e: sqlx::Error) -> DbErr {
    DbErr::Exec(RuntimeErr::SqlxError(Arc::new(e)))
}

/// The statement runners shared by a checked-out connection and a
/// transaction; the arms differ only in the connection's type.
pub(super) async fn execute(conn: &Conn, stmt: Statement) -> Result<ExecResult, DbErr> {
    let (sql, values) = bind(stmt);
    on_conn!(conn, exec_failed, c => match c {
        Raw::Postgres(c) => query_with(sql, values).execute(c).await.map(Into::into),
        Raw::Sqlite(c) => query_with(sql, values).execute(c).await.map(Into::into),
    })
}

/// A statement of ours without parameters (BEGIN, COMMIT, ROLLBACK).
pub(super) async fn run(conn: &Conn, sql: &'static str) -> Result<(), DbErr> {
    on_conn!(conn, exec_failed, c => match c {
        Raw::Postgres(c) => sqlx::query(sql).execute(c).await.map(drop),
        Raw::Sqlite(c) => sqlx::query(sql).execute(c).await.map(drop),
    })
}

pub(super) async fn execute_unprepared(conn: &Conn, sql: &str) -> Result<ExecResult, DbErr> {
    use sqlx::Executor;
    let sql = AssertSqlSafe(sql.to_owned());
    on_conn!(conn, exec_failed, c => match c {
        Raw::Postgres(c) => c.execute(sql).await.map(Into::into),
        Raw::Sqlite(c) => c.execute(sql).await.map(Into::into),
    })
}

pub(super) async fn query_one(conn: &Conn, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
    let (sql, values) = bind(stmt);
    on_conn!(conn, query_failed, c => match c {
        Raw::Postgres(c) => query_with(sql, values).fetch_optional(c).await.map(|r| r.map(Into::into)),
        Raw::Sqlite(c) => query_with(sql, values).fetch_optional(c).await.map(|r| r.map(Into::into)),
    })
}

pub(super) async fn query_all(conn: &Conn, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
    let (sql, values) = bind(stmt);
    on_conn!(conn, query_failed, c => match c {
        Raw::Postgres(c) => query_with(sql, values)
            .fetch_all(c)
            .await
            .map(|rows| rows.into_iter().map(Into::into).collect()),
        Raw::Sqlite(c) => query_with(sql, values)
            .fetch_all(c)
            .await
            .map(|rows| rows.into_iter().map(Into::into).collect()),
    })
}

#[async_trait::async_trait]
impl ConnectionTrait for Conn {
    fn get_database_backend(&self) -> DbBackend {
        self.backend()
    }
    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        execute(self, stmt).await
    }
    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        execute_unprepared(self, sql).await
    }
    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        query_one(self, stmt).await
    }
    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        query_all(self, stmt).await
    }
}

/// Each statement on a connection of its own, as sea-orm's pool does.
#[async_trait::async_trait]
impl ConnectionTrait for Db {
    fn get_database_backend(&self) -> DbBackend {
        self.pool.backend()
    }
    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        execute(&self.pool.acquire().await?, stmt).await
    }
    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        execute_unprepared(&self.pool.acquire().await?, sql).await
    }
    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        query_one(&self.pool.acquire().await?, stmt).await
    }
    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        query_all(&self.pool.acquire().await?, stmt).await
    }
}

#[cfg(test)]
mod tests {
    use super::inline_limit;
    use sea_orm::Value;

    #[test]
    fn a_bound_limit_becomes_a_literal_and_leaves_the_other_parameters() {
        let mut values = vec![Value::from("active"), Value::BigUnsigned(Some(21))];
        let sql = inline_limit(
            "SELECT a FROM t WHERE s = $1 LIMIT $2 FOR UPDATE".into(),
            &mut values,
        );
        assert_eq!(sql, "SELECT a FROM t WHERE s = $1 LIMIT 21 FOR UPDATE");
        assert_eq!(values, vec![Value::from("active")]);
    }

    #[test]
    fn anything_else_is_left_as_it_is() {
        let count = |n| Value::BigUnsigned(Some(n));
        for (sql, mut values) in [
            ("SELECT a FROM t LIMIT 5", vec![]),
            // Not the last parameter, or not an unsigned count.
            (
                "SELECT a FROM t LIMIT $1 OFFSET $2",
                vec![count(1), count(2)],
            ),
            (
                "SELECT a FROM t WHERE b = $1 LIMIT $2",
                vec![Value::from(1), Value::from("x")],
            ),
            (
                "SELECT a FROM t WHERE b = ? LIMIT ?",
                vec![Value::from(1), count(1)],
            ),
            ("SELECT a FROM t LIMIT ", vec![count(1)]),
        ] {
            let before = values.clone();
            assert_eq!(inline_limit(sql.into(), &mut values), sql);
            assert_eq!(values, before);
        }
    }
}
