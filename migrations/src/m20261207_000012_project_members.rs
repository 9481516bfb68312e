//! Project membership: the users and API keys a `partner` reaches projects
//! through. Every scoped query asks "the projects this principal is a live
//! member of", so that is an index.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{index, record_columns, restrict};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                record_columns(
                    Table::create()
                        .table("project_members")
                        .col(pk_uuid("id"))
                        .col(uuid("project_id"))
                        // The user's or the API key's id (`principal_type` says which).
                        .col(uuid("principal_id"))
                        .col(text("principal_type"))
                        .col(text("role"))
                        .foreign_key(&mut restrict("project_members", "project_id", "projects")),
                )
                .col(timestamp_with_time_zone_null("deleted_at"))
                .col(uuid_null("deleted_by"))
                .take(),
            )
            .await?;
        let db = manager.get_connection();
        // One live membership per principal and project; removed ones stay
        // for the history.
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_project_members_principal ON project_members \
             (project_id, principal_id) WHERE deleted_at IS NULL",
        )
        .await?;
        db.execute_unprepared(
            "CREATE INDEX ix_project_members_scope ON project_members \
             (principal_id, project_id, role) WHERE deleted_at IS NULL",
        )
        .await?;
        manager
            .create_index(index(
                "ix_project_members_project",
                "project_members",
                &["project_id", "created_at", "id"],
            ))
            .await?;
        db.execute_unprepared(
            "CREATE INDEX ix_project_members_deleted_at ON project_members (deleted_at) \
             WHERE deleted_at IS NOT NULL",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("project_members").take())
            .await
    }
}
