//! Reading a row's columns in order, straight from the driver's row, for the
//! records read most (projects and activities, one by one and by the page).
//!
//! Why not sea-orm's derived decoding: it looks every column up by name, and
//! for every NULL it formats and allocates an error message that it then
//! throws away (sea-orm 2.0.4's `Option<T>`). On a page of twenty projects
//! that was a fifth of the server's time (perf, `bench/README.md`).

use sea_orm::sqlx::postgres::PgRow;
use sea_orm::sqlx::sqlite::SqliteRow;
use sea_orm::sqlx::{self, Column, Decode, Postgres, Row, Sqlite, Type};
use sea_orm::{DbErr, QueryResult};

/// A value both backends decode.
pub(crate) trait Value:
    for<'r> Decode<'r, Postgres> + Type<Postgres> + for<'r> Decode<'r, Sqlite> + Type<Sqlite>
{
}

impl<T> Value for T where
    T: for<'r> Decode<'r, Postgres> + Type<Postgres> + for<'r> Decode<'r, Sqlite> + Type<Sqlite>
{
}

enum Raw<'r> {
    Postgres(&'r PgRow),
    Sqlite(&'r SqliteRow),
}

/// A cursor over one row's columns.
pub(crate) struct Columns<'r> {
    row: Raw<'r>,
    at: usize,
}

impl<'r> Columns<'r> {
    pub(crate) fn new(res: &'r QueryResult) -> Result<Self, DbErr> {
        let row = match (res.try_as_pg_row(), res.try_as_sqlite_row()) {
            (Some(r), _) => Raw::Postgres(r),
            (_, Some(r)) => Raw::Sqlite(r),
            _ => return Err(DbErr::Type("a row of neither PostgreSQL nor SQLite".into())),
        };
        Ok(Columns { row, at: 0 })
    }

    /// The next column, expected to be `name`. The SELECT lists columns in
    /// the order the caller reads them, so this is a comparison, not a
    /// look-up; a column found elsewhere is still found by name.
    pub(crate) fn next<T: Value>(&mut self, name: &str) -> Result<T, DbErr> {
        let at = self.at;
        self.at += 1;
        fn read<R: Row, T>(row: &R, at: usize, name: &str) -> Result<T, sqlx::Error>
        where
            T: for<'a> Decode<'a, R::Database> + Type<R::Database>,
            usize: sqlx::ColumnIndex<R>,
            for<'a> &'a str: sqlx::ColumnIndex<R>,
        {
            match row.try_column(at) {
                Ok(c) if c.name() == name => row.try_get(at),
                _ => row.try_get(name),
            }
        }
        match self.row {
            Raw::Postgres(r) => read(r, at, name),
            Raw::Sqlite(r) => read(r, at, name),
        }
        .map_err(|e| DbErr::Type(format!("column {name}: {e}")))
    }
}

/// A model read with `Columns`, in its SELECT's column order.
pub(crate) trait FromColumns: Sized {
    fn from_columns(c: &mut Columns<'_>) -> Result<Self, DbErr>;
}
