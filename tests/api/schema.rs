//! What each resource states about its table (`registry::describe`:
//! unique indexes, links, access) against what the database, migrated for
//! real, declares: its foreign keys and unique indexes, read from the
//! catalogue of whichever backend the suite runs on. A foreign key nobody
//! classified, a referrer that no longer blocks a delete, a unique index
//! whose 409 would name no field, or project-owned data declared shared
//! fails here, naming what is missing.

use std::collections::{BTreeMap, BTreeSet};

use rihla_domain::ResourceType;
use rihla_persistence::repo::registry::{self, Access, Description, LinkKind};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

use crate::support::*;

/// A foreign key: `table.column` names a row of `target`; `cascade` when
/// deleting that row deletes this one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct ForeignKey {
    table: String,
    column: String,
    target: String,
    cascade: bool,
}

async fn rows(db: &sea_orm::DatabaseConnection, sql: &str) -> Vec<sea_orm::QueryResult> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn foreign_keys(db: &sea_orm::DatabaseConnection) -> Vec<ForeignKey> {
    let sql = match db.get_database_backend() {
        DatabaseBackend::Sqlite => {
            r#"SELECT m.name AS tbl, f."from" AS col, f."table" AS target,
                      (f.on_delete = 'CASCADE') AS cascade
               FROM sqlite_master m, pragma_foreign_key_list(m.name) f
               WHERE m.type = 'table'"#
        }
        _ => {
            r#"SELECT cl.relname::text AS tbl, a.attname::text AS col,
                      ct.relname::text AS target, (c.confdeltype = 'c') AS cascade
               FROM pg_constraint c
               JOIN pg_class cl ON cl.oid = c.conrelid
               JOIN pg_class ct ON ct.oid = c.confrelid
               JOIN pg_namespace n ON n.oid = cl.relnamespace
               JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
               WHERE c.contype = 'f' AND n.nspname = current_schema()"#
        }
    };
    rows(db, sql)
        .await
        .iter()
        .map(|r| ForeignKey {
            table: r.try_get("", "tbl").unwrap(),
            column: r.try_get("", "col").unwrap(),
            target: r.try_get("", "target").unwrap(),
            cascade: r.try_get("", "cascade").unwrap(),
        })
        .collect()
}

/// (table, index) of every unique index but primary keys.
async fn unique_indexes(db: &sea_orm::DatabaseConnection) -> BTreeSet<(String, String)> {
    let sql = match db.get_database_backend() {
        DatabaseBackend::Sqlite => {
            r#"SELECT m.name AS tbl, il.name AS idx
               FROM sqlite_master m, pragma_index_list(m.name) il
               WHERE m.type = 'table' AND il."unique" = 1 AND il.origin <> 'pk'"#
        }
        _ => {
            r#"SELECT i.tablename::text AS tbl, i.indexname::text AS idx
               FROM pg_indexes i
               WHERE i.schemaname = current_schema()
                 AND i.indexdef LIKE 'CREATE UNIQUE INDEX%'
                 AND i.indexname NOT LIKE '%\_pkey'"#
        }
    };
    rows(db, sql)
        .await
        .iter()
        .map(|r| (r.try_get("", "tbl").unwrap(), r.try_get("", "idx").unwrap()))
        .collect()
}

fn table_of(described: &[Description], resource: ResourceType) -> &'static str {
    described
        .iter()
        .find(|d| d.resource == resource)
        .map(|d| d.table)
        .unwrap_or_else(|| panic!("{resource} is not in the registry"))
}

#[tokio::test]
async fn every_foreign_key_into_a_resource_table_is_a_link_it_states() {
    let app = spawn_app().await;
    let db = sea_orm::Database::connect(&app.db_url).await.unwrap();
    let keys = foreign_keys(&db).await;
    let described = registry::describe();
    let mut problems = Vec::new();

    for key in &keys {
        let Some(target) = described.iter().find(|d| d.table == key.target) else {
            continue;
        };
        let link = target
            .links
            .iter()
            .find(|l| l.keyed() && l.table == key.table && l.column == key.column);
        match link {
            None => problems.push(format!(
                "{}.{} references {} ({}), which does not list it in LINKS: say whether it is a \
                 child table, follows the record, or blocks its delete",
                key.table, key.column, key.target, target.resource
            )),
            Some(link) => {
                let child = link.kind == LinkKind::Child;
                if child != key.cascade {
                    problems.push(format!(
                        "{}.{} -> {}: the key {} but the link is {:?} (a child table's key cascades, \
                         any other must not)",
                        key.table,
                        key.column,
                        key.target,
                        if key.cascade { "cascades" } else { "restricts" },
                        link.kind
                    ));
                }
                if let LinkKind::Referrer {
                    resource,
                    via: None,
                    ..
                } = link.kind
                    && table_of(&described, resource) != key.table
                {
                    problems.push(format!(
                        "{}.{}: a referrer in its own table must be {}'s",
                        key.table, key.column, resource
                    ));
                }
            }
        }
    }
    for d in &described {
        for link in d.links.iter().filter(|l| l.keyed()) {
            let declared = keys
                .iter()
                .any(|k| k.table == link.table && k.column == link.column && k.target == d.table);
            if !declared {
                problems.push(format!(
                    "{} lists {}.{} in LINKS, but the database has no such foreign key into {}",
                    d.resource, link.table, link.column, d.table
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test]
async fn every_unique_index_of_a_resource_table_names_its_field() {
    let app = spawn_app().await;
    let db = sea_orm::Database::connect(&app.db_url).await.unwrap();
    let indexes = unique_indexes(&db).await;
    let described = registry::describe();
    let mut problems = Vec::new();
    for d in &described {
        let actual: BTreeSet<&str> = indexes
            .iter()
            .filter(|(table, _)| table == d.table)
            .map(|(_, index)| index.as_str())
            .collect();
        let stated: BTreeSet<&str> = d.unique.iter().map(|u| u.index).collect();
        for missing in actual.difference(&stated) {
            problems.push(format!(
                "{} has the unique index {missing}, which {}'s UNIQUE does not map to a field",
                d.table, d.resource
            ));
        }
        for gone in stated.difference(&actual) {
            problems.push(format!(
                "{}'s UNIQUE names {gone}, which {} does not have",
                d.resource, d.table
            ));
        }
        for u in d.unique {
            if u.column.split_once('.').map(|(t, _)| t) != Some(d.table) {
                problems.push(format!(
                    "{}'s unique column {} is not of {}",
                    d.resource, u.column, d.table
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A resource whose table has a foreign key to a project-owned table is
/// project-owned itself (a partner must reach it only through its
/// projects); one with none is not, but projects themselves.
#[tokio::test]
async fn data_tied_to_a_project_is_never_declared_shared() {
    let app = spawn_app().await;
    let db = sea_orm::Database::connect(&app.db_url).await.unwrap();
    let keys = foreign_keys(&db).await;
    let described = registry::describe();
    let owned: BTreeSet<&str> = described
        .iter()
        .filter(|d| d.access == Access::Projects(()))
        .map(|d| d.table)
        .collect();
    let mut problems = Vec::new();
    for d in &described {
        let tied: Vec<&ForeignKey> = keys
            .iter()
            .filter(|k| k.table == d.table && owned.contains(k.target.as_str()))
            .collect();
        let scoped = d.access == Access::Projects(());
        if !tied.is_empty() && !scoped {
            problems.push(format!(
                "{} is declared {:?}, but {}.{} ties it to {}: its access must be Projects",
                d.resource, d.access, tied[0].table, tied[0].column, tied[0].target
            ));
        }
        if tied.is_empty() && scoped && d.resource != ResourceType::Project {
            problems.push(format!(
                "{} is declared project-owned but its table names no project-owned table",
                d.resource
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_registry_lists_every_resource_type_once_referrers_before_what_they_refer_to() {
    let described = registry::describe();
    let listed: Vec<ResourceType> = described.iter().map(|d| d.resource).collect();
    let unique: BTreeSet<ResourceType> = listed.iter().copied().collect();
    assert_eq!(listed.len(), unique.len(), "listed twice: {listed:?}");
    assert_eq!(
        unique,
        ResourceType::ALL.iter().copied().collect::<BTreeSet<_>>()
    );
    let position: BTreeMap<ResourceType, usize> =
        listed.iter().enumerate().map(|(i, r)| (*r, i)).collect();
    for d in &described {
        for link in d.links {
            if let LinkKind::Referrer { resource, .. } = link.kind
                && resource != d.resource
            {
                assert!(
                    position[&resource] < position[&d.resource],
                    "{resource} refers to {} and must come before it in the registry (purge order)",
                    d.resource
                );
            }
        }
    }
}
