//! History: soft delete on every resource table, unique fields that only bind
//! live records, and the audit trail that also feeds the change feed.

use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Every table that holds a resource a client can delete and restore.
const RESOURCE_TABLES: &[&str] = &[
    "users",
    "organisations",
    "projects",
    "activities",
    "dialogues",
    "dialogue_meetings",
    "delegations",
];

/// Unique indexes that must let a new record take the value of a deleted one:
/// they become partial (`WHERE deleted_at IS NULL`), under the same names so
/// the persistence layer's constraint-to-field map still applies.
const LIVE_UNIQUE: &[(&str, &str, &str)] = &[
    ("ux_users_email", "users", "email"),
    ("ux_organisations_name", "organisations", "name"),
    ("ux_projects_code", "projects", "code"),
    ("ux_projects_iati_identifier", "projects", "iati_identifier"),
    ("ux_dialogues_name", "dialogues", "name"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for table in RESOURCE_TABLES {
            // SQLite adds one column per ALTER TABLE.
            for col in [
                timestamp_with_time_zone_null("deleted_at"),
                uuid_null("deleted_by"),
            ] {
                manager
                    .alter_table(
                        Table::alter()
                            .table(Alias::new(*table))
                            .add_column(col)
                            .take(),
                    )
                    .await?;
            }
        }
        // Partial indexes are written by hand: the statement builder has no
        // WHERE for CREATE INDEX, and both backends accept this exact SQL.
        for (name, table, column) in LIVE_UNIQUE {
            // One call: on SQLite the migration is not one transaction, and a
            // second pooled connection may still see the dropped index.
            db.execute_unprepared(&format!(
                "DROP INDEX {name}; \
                 CREATE UNIQUE INDEX {name} ON {table} ({column}) WHERE deleted_at IS NULL"
            ))
            .await?;
        }
        // Soft-deleted records are found again by purge, oldest first.
        for table in RESOURCE_TABLES {
            db.execute_unprepared(&format!(
                "CREATE INDEX ix_{table}_deleted_at ON {table} (deleted_at) WHERE deleted_at IS NOT NULL"
            ))
            .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table("audit_events")
                    // Insert order. Not the feed order: on PostgreSQL a
                    // transaction holding a smaller seq can commit later.
                    .col(big_pk_auto("seq"))
                    .col(uuid("id"))
                    // Feed order, assigned after commit by the sequencer, one
                    // run at a time (see persistence::repo::audit).
                    .col(big_integer_null("position"))
                    .col(text("resource_type"))
                    .col(uuid("record_id"))
                    .col(text("action"))
                    .col(text("actor_type"))
                    .col(text("actor_id"))
                    .col(text_null("request_id"))
                    .col(timestamp_with_time_zone("occurred_at"))
                    .col(integer("version"))
                    // JSON: field changes for an update, the whole record otherwise.
                    .col(text("changes"))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_audit_events_id")
                    .table("audit_events")
                    .col("id")
                    .unique()
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_audit_events_position")
                    .table("audit_events")
                    .col("position")
                    .unique()
                    .take(),
            )
            .await?;
        for (name, cols) in [
            ("ix_audit_events_record", &["record_id", "seq"][..]),
            ("ix_audit_events_resource", &["resource_type", "seq"][..]),
            ("ix_audit_events_actor", &["actor_id", "seq"][..]),
            ("ix_audit_events_occurred_at", &["occurred_at", "seq"][..]),
            (
                "ix_audit_events_resource_position",
                &["resource_type", "position"][..],
            ),
        ] {
            manager
                .create_index(index(name, "audit_events", cols))
                .await?;
        }
        // The sequencer's work list: events not yet given a feed position.
        db.execute_unprepared(
            "CREATE INDEX ix_audit_events_unpositioned ON audit_events (seq) WHERE position IS NULL",
        )
        .await?;
        // The last feed position handed out. Kept apart from the events so a
        // prune that removes every event cannot make positions start again.
        // Its one row is also the lock that lets one sequencer run at a time.
        manager
            .create_table(
                Table::create()
                    .table("audit_feed")
                    .col(integer("id").primary_key())
                    .col(big_integer("last_position"))
                    .take(),
            )
            .await?;
        db.execute_unprepared("INSERT INTO audit_feed (id, last_position) VALUES (1, 0)")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for table in ["audit_feed", "audit_events"] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        for table in RESOURCE_TABLES {
            db.execute_unprepared(&format!("DROP INDEX ix_{table}_deleted_at"))
                .await?;
        }
        for (name, table, column) in LIVE_UNIQUE {
            db.execute_unprepared(&format!(
                "DROP INDEX {name}; CREATE UNIQUE INDEX {name} ON {table} ({column})"
            ))
            .await?;
        }
        for table in RESOURCE_TABLES {
            for col in ["deleted_by", "deleted_at"] {
                manager
                    .alter_table(
                        Table::alter()
                            .table(Alias::new(*table))
                            .drop_column(Alias::new(col))
                            .take(),
                    )
                    .await?;
            }
        }
        Ok(())
    }
}
