//! The project each audit event's record belonged to when it was written
//! (`project_id`), and for an update the one it belonged to before
//! (`prior_project_id`), so that a partner's history and change feed show
//! only what happened while the record was under one of its projects: a
//! record moved from another project brings none of its earlier versions
//! along. Existing events take the project their record has now (the one
//! thing the old rows say for sure; a record moved before this migration
//! shows its earlier events under its present project).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The project of each project-owned kind's record, as SQL over
/// `audit_events.record_id`; a document named only through its activity
/// belongs to that activity's project.
const PROJECT_OF: &[(&str, &str)] = &[
    ("project", "audit_events.record_id"),
    (
        "activity",
        "(SELECT a.project_id FROM activities a WHERE a.id = audit_events.record_id)",
    ),
    (
        "delegation",
        "(SELECT d.project_id FROM delegations d WHERE d.id = audit_events.record_id)",
    ),
    (
        "project_member",
        "(SELECT m.project_id FROM project_members m WHERE m.id = audit_events.record_id)",
    ),
    (
        "document",
        "(SELECT COALESCE(d.project_id, \
           (SELECT a.project_id FROM activities a WHERE a.id = d.activity_id)) \
          FROM documents d WHERE d.id = audit_events.record_id)",
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["project_id", "prior_project_id"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("audit_events")
                        .add_column(uuid_null(column))
                        .take(),
                )
                .await?;
        }
        let db = manager.get_connection();
        for (kind, project) in PROJECT_OF {
            db.execute_unprepared(&format!(
                "UPDATE audit_events SET project_id = {project} WHERE resource_type = '{kind}'"
            ))
            .await?;
        }
        // A partner's feed: its projects' events in feed order.
        db.execute_unprepared(
            "CREATE INDEX ix_audit_events_project ON audit_events (project_id, position) \
             WHERE project_id IS NOT NULL",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX IF EXISTS ix_audit_events_project")
            .await?;
        for column in ["prior_project_id", "project_id"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("audit_events")
                        .drop_column(column)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}
