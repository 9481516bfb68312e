//! Database schema for Rihla, as an ordered list of sea-orm migrations.
//!
//! Owns every table, index and constraint. It never imports the entities of
//! `rihla-persistence`: a migration describes the schema as it was on the day it
//! was written, so later entity changes cannot rewrite history. Every migration
//! must run unchanged on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_users_and_auth;
mod m20261122_000002_organisations;
mod m20261122_000003_projects;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_users_and_auth::Migration),
            Box::new(m20261122_000002_organisations::Migration),
            Box::new(m20261122_000003_projects::Migration),
        ]
    }
}

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
