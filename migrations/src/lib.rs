//! Database schema for Rihla, as an ordered list of sea-orm migrations.
//!
//! Owns every table, index and constraint. It never imports the entities of
//! `rihla-persistence`: a migration describes the schema as it was on the day it
//! was written, so later entity changes cannot rewrite history. Every migration
//! must run unchanged on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

/// Each migration, declared once: its module, and its place in the
/// migrator's list, in the order they run. A file in migrations/src that is
/// not listed here is not compiled (the tidy test then names it).
macro_rules! migrations {
    ($($name:ident),+ $(,)?) => {
        $(mod $name;)+

        pub struct Migrator;

        #[async_trait::async_trait]
        impl MigratorTrait for Migrator {
            fn migrations() -> Vec<Box<dyn MigrationTrait>> {
                vec![$(Box::new($name::Migration)),+]
            }
        }
    };
}

migrations!(
    m20261122_000001_users_and_auth,
    m20261122_000002_organisations,
    m20261122_000003_projects,
    m20261122_000004_dialogues,
    m20261122_000005_activities,
    m20261122_000006_delegations,
    m20261122_000007_history,
    m20261129_000008_children_snapshots,
    m20261130_000009_activity_modality_index,
    m20261206_000010_documents,
    m20261207_000011_sessions_and_api_keys,
    m20261207_000012_project_members,
    m20261207_000013_activity_report_index,
    m20261207_000014_donor_reporting,
    m20261208_000015_audit_project,
);

/// Columns every domain record carries (DOMAIN.md: "All resources").
pub(crate) fn record_columns(table: &mut TableCreateStatement) -> &mut TableCreateStatement {
    use sea_orm_migration::schema::*;
    table
        .col(timestamp_with_time_zone("created_at"))
        .col(timestamp_with_time_zone("updated_at"))
        .col(uuid_null("created_by"))
        .col(uuid_null("updated_by"))
        .col(integer("version"))
}

/// A plain (non-unique) index; names are stable so errors and EXPLAIN output can cite them.
pub(crate) fn index(name: &str, table: &str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(name).table(Alias::new(table));
    for c in cols {
        stmt.col(Alias::new(*c));
    }
    stmt.take()
}

/// A unique index.
pub(crate) fn unique(name: &str, table: &str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut stmt = index(name, table, cols);
    stmt.unique();
    stmt
}

/// `fk_<table>_<column>`: deleting the target fails while this row points at it.
/// The repositories check first and answer 409 naming the referrers; the
/// constraint is the backstop for anything that slips past them.
pub(crate) fn restrict(table: &str, column: &str, target: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(Alias::new(table), Alias::new(column))
        .to(Alias::new(target), Alias::new("id"))
        .on_delete(ForeignKeyAction::Restrict)
        .take()
}

/// A child row that lives and dies with its parent.
pub(crate) fn cascade(table: &str, column: &str, target: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(Alias::new(table), Alias::new(column))
        .to(Alias::new(target), Alias::new("id"))
        .on_delete(ForeignKeyAction::Cascade)
        .take()
}
