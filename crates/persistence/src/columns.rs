//! Reading a row's columns in order, straight from the driver's row, for the
//! records read most (projects and activities, one by one and by the page).
//!
//! Why not sea-orm's derived decoding: it looks every column up by name, and
//! for every NULL it formats and allocates an error message that it then
//! throws away (sea-orm 2.0.4's `Option<T>`); on a page of projects that was
//! a large share of the server's time (profiles in `bench/README.md`).

use sea_orm::sqlx::postgres::PgRow;
use sea_orm::sqlx::sqlite::SqliteRow;
use sea_orm::sqlx::{self, Column, Decode, Postgres, Row, Sqlite, Type};
use sea_orm::{DbErr, QueryResult};

use crate::entities::{activities, projects};

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

// The decoders of the records read most. They live here, not in the
// entity files, so those stay what sea-orm's generator writes. Columns in
// table order, as `SELECT *` returns them.

/// In the order `Entity::find()` selects the columns (the fields' order).
impl FromColumns for activities::Model {
    fn from_columns(c: &mut Columns<'_>) -> Result<Self, DbErr> {
        Ok(activities::Model {
            id: c.next("id")?,
            project_id: c.next("project_id")?,
            outcome_code: c.next("outcome_code")?,
            dialogue_id: c.next("dialogue_id")?,
            title: c.next("title")?,
            kind: c.next("kind")?,
            status: c.next("status")?,
            start_date: c.next("start_date")?,
            end_date: c.next("end_date")?,
            modality: c.next("modality")?,
            description: c.next("description")?,
            participants_planned: c.next("participants_planned")?,
            participants_actual: c.next("participants_actual")?,
            participants_female: c.next("participants_female")?,
            participants_male: c.next("participants_male")?,
            facilitators: c.next("facilitators")?,
            created_at: c.next("created_at")?,
            updated_at: c.next("updated_at")?,
            created_by: c.next("created_by")?,
            updated_by: c.next("updated_by")?,
            version: c.next("version")?,
            deleted_at: c.next("deleted_at")?,
            deleted_by: c.next("deleted_by")?,
            children: c.next("children")?,
            start_date_precision: c.next("start_date_precision")?,
            end_date_precision: c.next("end_date_precision")?,
            start_date_last: c.next("start_date_last")?,
            end_date_last: c.next("end_date_last")?,
            sessions: c.next("sessions")?,
            organisations_reached: c.next("organisations_reached")?,
            notes: c.next("notes")?,
        })
    }
}

/// In the order `Entity::find()` selects the columns (the fields' order).
impl FromColumns for projects::Model {
    fn from_columns(c: &mut Columns<'_>) -> Result<Self, DbErr> {
        Ok(projects::Model {
            id: c.next("id")?,
            code: c.next("code")?,
            title: c.next("title")?,
            summary: c.next("summary")?,
            objective: c.next("objective")?,
            status: c.next("status")?,
            start_date: c.next("start_date")?,
            end_date: c.next("end_date")?,
            budget_amount: c.next("budget_amount")?,
            budget_currency: c.next("budget_currency")?,
            iati_identifier: c.next("iati_identifier")?,
            created_at: c.next("created_at")?,
            updated_at: c.next("updated_at")?,
            created_by: c.next("created_by")?,
            updated_by: c.next("updated_by")?,
            version: c.next("version")?,
            deleted_at: c.next("deleted_at")?,
            deleted_by: c.next("deleted_by")?,
            children: c.next("children")?,
            start_date_precision: c.next("start_date_precision")?,
            end_date_precision: c.next("end_date_precision")?,
            start_date_last: c.next("start_date_last")?,
            notes: c.next("notes")?,
        })
    }
}
