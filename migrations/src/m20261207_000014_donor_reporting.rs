//! Donor reporting (issue 20): dates with their precision, notes for
//! provenance, an activity's session and reach counts, country-only
//! locations, and several dialogues per activity (`activity_dialogues`,
//! filled from `activities.dialogue_id`, which stays as the first of them).
//!
//! Every existing date was written as a day, so it keeps precision `day`;
//! `*_last` (the last day of a date's period, what list filters compare
//! against) starts equal to the date itself. The results framework, funding,
//! sectors, planned dates and the new facilitator fields live in the JSON
//! the repositories already keep (`children`, `facilitators`), where older
//! rows read as empty.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::{cascade, index, restrict};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn precision(name: &'static str) -> ColumnDef {
    string(name).default("day").take()
}

async fn add(manager: &SchemaManager<'_>, table: &str, col: ColumnDef) -> Result<(), DbErr> {
    // One column per statement: SQLite's ALTER TABLE adds one at a time.
    manager
        .alter_table(
            Table::alter()
                .table(Alias::new(table))
                .add_column(col)
                .take(),
        )
        .await
}

async fn drop(manager: &SchemaManager<'_>, table: &str, col: &'static str) -> Result<(), DbErr> {
    manager
        .alter_table(
            Table::alter()
                .table(Alias::new(table))
                .drop_column(Alias::new(col))
                .take(),
        )
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for c in [
            precision("start_date_precision"),
            precision("end_date_precision"),
            date_null("start_date_last").take(),
            text_null("notes").take(),
        ] {
            add(manager, "projects", c).await?;
        }
        for c in [
            precision("start_date_precision"),
            precision("end_date_precision"),
            date_null("start_date_last").take(),
            date_null("end_date_last").take(),
            integer_null("sessions").take(),
            integer_null("organisations_reached").take(),
            text_null("notes").take(),
        ] {
            add(manager, "activities", c).await?;
        }
        db.execute_unprepared("UPDATE projects SET start_date_last = start_date")
            .await?;
        db.execute_unprepared(
            "UPDATE activities SET start_date_last = start_date, \
             end_date_last = COALESCE(end_date, start_date)",
        )
        .await?;
        // The reports' covering index gains start_date_last, which a report
        // window compares with (migration 13 made it).
        report_index(manager, true).await?;
        manager
            .create_index(index(
                "ix_projects_start_last",
                "projects",
                &["start_date_last"],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_activities_end_last",
                "activities",
                &["end_date_last"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("activity_dialogues")
                    .col(uuid("activity_id"))
                    .col(integer("position"))
                    .col(uuid("dialogue_id"))
                    .primary_key(Index::create().col("activity_id").col("position"))
                    .foreign_key(&mut cascade(
                        "activity_dialogues",
                        "activity_id",
                        "activities",
                    ))
                    .foreign_key(&mut restrict(
                        "activity_dialogues",
                        "dialogue_id",
                        "dialogues",
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_activity_dialogues_dialogue",
                "activity_dialogues",
                &["dialogue_id", "activity_id"],
            ))
            .await?;
        db.execute_unprepared(
            "INSERT INTO activity_dialogues (activity_id, position, dialogue_id) \
             SELECT id, 0, dialogue_id FROM activities WHERE dialogue_id IS NOT NULL",
        )
        .await?;
        city_nullable(db, true).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // A country-only location cannot go back to a table that needs a city.
        db.execute_unprepared("DELETE FROM activity_locations WHERE city IS NULL")
            .await?;
        city_nullable(db, false).await?;
        // The first dialogue is already in activities.dialogue_id.
        manager
            .drop_table(
                Table::drop()
                    .table(Alias::new("activity_dialogues"))
                    .to_owned(),
            )
            .await?;
        for (name, table) in [
            ("ix_projects_start_last", "projects"),
            ("ix_activities_end_last", "activities"),
        ] {
            manager
                .drop_index(Index::drop().name(name).table(Alias::new(table)).to_owned())
                .await?;
        }
        for c in [
            "start_date_precision",
            "end_date_precision",
            "start_date_last",
            "notes",
        ] {
            drop(manager, "projects", c).await?;
        }
        report_index(manager, false).await?;
        for c in [
            "start_date_precision",
            "end_date_precision",
            "start_date_last",
            "end_date_last",
            "sessions",
            "organisations_reached",
            "notes",
        ] {
            drop(manager, "activities", c).await?;
        }
        Ok(())
    }
}

/// `ix_activities_report` (migration 13), with `start_date_last` or without.
async fn report_index(manager: &SchemaManager<'_>, with_last: bool) -> Result<(), DbErr> {
    const NAME: &str = "ix_activities_report";
    let mut cols = vec![
        "start_date",
        "kind",
        "status",
        "modality",
        "project_id",
        "outcome_code",
        "dialogue_id",
        "deleted_at",
        "participants_planned",
        "participants_actual",
        "participants_female",
        "participants_male",
    ];
    if with_last {
        cols.push("start_date_last");
    }
    manager
        .drop_index(
            Index::drop()
                .name(NAME)
                .table(Alias::new("activities"))
                .to_owned(),
        )
        .await?;
    manager.create_index(index(NAME, "activities", &cols)).await
}

/// Makes `activity_locations.city` nullable (or not). PostgreSQL alters the
/// column; SQLite cannot, so the table is rebuilt from its own DDL with only
/// that column's constraint changed, rows and indexes carried over.
async fn city_nullable(db: &SchemaManagerConnection<'_>, nullable: bool) -> Result<(), DbErr> {
    if db.get_database_backend() != DbBackend::Sqlite {
        let change = if nullable { "DROP" } else { "SET" };
        db.execute_unprepared(&format!(
            "ALTER TABLE activity_locations ALTER COLUMN city {change} NOT NULL"
        ))
        .await?;
        return Ok(());
    }
    let ddl = |kind: &str| {
        Statement::from_string(
            DbBackend::Sqlite,
            format!(
                "SELECT sql FROM sqlite_master WHERE tbl_name = 'activity_locations' \
                 AND type = '{kind}' AND sql IS NOT NULL"
            ),
        )
    };
    let table: String = match db.query_one_raw(ddl("table")).await? {
        Some(row) => row.try_get("", "sql")?,
        None => return Err(DbErr::Custom("activity_locations has no DDL".into())),
    };
    let indexes: Vec<String> = db
        .query_all_raw(ddl("index"))
        .await?
        .iter()
        .map(|r| r.try_get("", "sql"))
        .collect::<Result<_, _>>()?;
    let (from, to) = if nullable {
        ("\"city\" text NOT NULL", "\"city\" text NULL")
    } else {
        ("\"city\" text NULL", "\"city\" text NOT NULL")
    };
    if !table.contains(from) {
        return Err(DbErr::Custom(format!(
            "activity_locations DDL does not read as expected: {table}"
        )));
    }
    let rebuilt = table.replacen(from, to, 1).replacen(
        "\"activity_locations\"",
        "\"activity_locations_new\"",
        1,
    );
    db.execute_unprepared(&rebuilt).await?;
    db.execute_unprepared(
        "INSERT INTO activity_locations_new (activity_id, position, city, country_code, venue) \
         SELECT activity_id, position, city, country_code, venue FROM activity_locations",
    )
    .await?;
    db.execute_unprepared("DROP TABLE activity_locations")
        .await?;
    db.execute_unprepared("ALTER TABLE activity_locations_new RENAME TO activity_locations")
        .await?;
    for sql in indexes {
        db.execute_unprepared(&sql).await?;
    }
    Ok(())
}
