//! A copy of each project's and activity's child rows on the record's own row
//! (`children`, JSON), so reading a record, or a page of them, reads no child
//! table. The child tables stay the source of truth for filters, unique rules
//! and foreign keys; every write of a record writes both in one transaction.
//!
//! Existing rows are filled from their child tables, in the same JSON the
//! repositories write: one object with a list per kind of child, each list in
//! `position` order. UUIDs are text (SQLite keeps them as 16-byte BLOBs: as
//! 32 hex digits, which parse as well as the hyphenated form).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// One list of the JSON object: `key`, then the JSON of one row, the child
/// table, its owner column, and an extra condition.
type List = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static str,
    &'static str,
    Option<&'static str>,
);

/// An element's fields as (JSON key, column); a single "" key means the element
/// is the column's value itself.
const PROJECT_LISTS: &[List] = &[
    (
        "participating_organisations",
        &[("organisation_id", "organisation_id"), ("role", "role")],
        "project_participants",
        "project_id",
        None,
    ),
    (
        "outcomes",
        &[
            ("code", "code"),
            ("title", "title"),
            ("description", "description"),
        ],
        "project_outcomes",
        "project_id",
        None,
    ),
    (
        "country_codes",
        &[("", "value")],
        "project_tags",
        "project_id",
        Some("kind = 'country'"),
    ),
    (
        "duty_stations",
        &[("", "value")],
        "project_tags",
        "project_id",
        Some("kind = 'duty_station'"),
    ),
    (
        "themes",
        &[("", "value")],
        "project_tags",
        "project_id",
        Some("kind = 'theme'"),
    ),
];

const ACTIVITY_LISTS: &[List] = &[
    (
        "locations",
        &[
            ("city", "city"),
            ("country_code", "country_code"),
            ("venue", "venue"),
        ],
        "activity_locations",
        "activity_id",
        None,
    ),
    (
        "organisations",
        &[("organisation_id", "organisation_id"), ("role", "role")],
        "activity_organisations",
        "activity_id",
        None,
    ),
    (
        "topics",
        &[("", "value")],
        "activity_tags",
        "activity_id",
        Some("kind = 'topic'"),
    ),
    (
        "outputs",
        &[("", "value")],
        "activity_tags",
        "activity_id",
        Some("kind = 'output'"),
    ),
];

/// `UPDATE table SET children = {...}` from the child tables.
fn backfill(backend: DbBackend, table: &str, lists: &[List]) -> String {
    let postgres = backend == DbBackend::Postgres;
    let value = |column: &str| {
        if !postgres && column == "organisation_id" {
            format!("lower(hex(c.{column}))")
        } else {
            format!("c.{column}")
        }
    };
    let members: Vec<String> = lists
        .iter()
        .map(|(key, fields, child, owner, extra)| {
            let element = match fields {
                [("", column)] => value(column),
                _ => {
                    let pairs: Vec<String> = fields
                        .iter()
                        .map(|(k, column)| format!("'{k}', {}", value(column)))
                        .collect();
                    let object = if postgres {
                        "json_build_object"
                    } else {
                        "json_object"
                    };
                    format!("{object}({})", pairs.join(", "))
                }
            };
            let filter = extra.map(|e| format!(" AND c.{e}")).unwrap_or_default();
            let list = if postgres {
                format!(
                    "COALESCE((SELECT json_agg({element} ORDER BY c.position) FROM {child} c \
                     WHERE c.{owner} = {table}.id{filter}), '[]'::json)"
                )
            } else {
                // The ORDER BY of the inner SELECT is the aggregate's order;
                // json() keeps the list JSON, not a string, inside the object.
                format!(
                    "json((SELECT json_group_array({element}) FROM (SELECT * FROM {child} c \
                     WHERE c.{owner} = {table}.id{filter} ORDER BY c.position) c))"
                )
            };
            format!("'{key}', {list}")
        })
        .collect();
    let object = if postgres {
        format!("json_build_object({})::text", members.join(", "))
    } else {
        format!("json_object({})", members.join(", "))
    };
    format!("UPDATE {table} SET children = {object}")
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        for (table, lists) in [("projects", PROJECT_LISTS), ("activities", ACTIVITY_LISTS)] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new(table))
                        .add_column(ColumnDef::new("children").text().not_null().default("{}"))
                        .take(),
                )
                .await?;
            manager
                .get_connection()
                .execute_unprepared(&backfill(backend, table, lists))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["projects", "activities"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new(table))
                        .drop_column("children")
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}
