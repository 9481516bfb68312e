//! Projects and their relational children: participating organisations, outcomes,
//! and the tag-like lists (country codes, duty stations, themes).

use sea_orm_migration::{prelude::*, schema::*};

use crate::{index, record_columns};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                record_columns(
                    Table::create()
                        .table("projects")
                        .col(pk_uuid("id"))
                        .col(text("code"))
                        .col(text("title"))
                        .col(text_null("summary"))
                        .col(text_null("objective"))
                        .col(text("status"))
                        .col(date_null("start_date"))
                        .col(date_null("end_date"))
                        // A decimal kept as its canonical string so no backend rounds it.
                        .col(text_null("budget_amount"))
                        .col(text_null("budget_currency"))
                        .col(text_null("iati_identifier")),
                )
                .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_projects_code")
                    .table("projects")
                    .col("code")
                    .unique()
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_projects_iati_identifier")
                    .table("projects")
                    .col("iati_identifier")
                    .unique()
                    .take(),
            )
            .await?;
        // One index per sort key (ties broken by id), plus status-led ones for the
        // commonest filtered list ("active projects, newest first").
        for (name, cols) in [
            ("ix_projects_title", &["title", "id"][..]),
            ("ix_projects_start_date", &["start_date", "id"][..]),
            ("ix_projects_end_date", &["end_date", "id"][..]),
            ("ix_projects_created_at", &["created_at", "id"][..]),
            ("ix_projects_updated_at", &["updated_at", "id"][..]),
            (
                "ix_projects_status_start",
                &["status", "start_date", "id"][..],
            ),
            (
                "ix_projects_status_created",
                &["status", "created_at", "id"][..],
            ),
        ] {
            manager.create_index(index(name, "projects", cols)).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table("project_participants")
                    .col(uuid("project_id"))
                    .col(integer("position"))
                    .col(uuid("organisation_id"))
                    .col(text("role"))
                    .primary_key(Index::create().col("project_id").col("position"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_project_participants_project")
                            .from("project_participants", "project_id")
                            .to("projects", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_project_participants_organisation")
                            .from("project_participants", "organisation_id")
                            .to("organisations", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_project_participants_org_role")
                    .table("project_participants")
                    .col("project_id")
                    .col("organisation_id")
                    .col("role")
                    .unique()
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_project_participants_org",
                "project_participants",
                &["organisation_id", "role", "project_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("project_outcomes")
                    .col(uuid("project_id"))
                    .col(integer("position"))
                    .col(text("code"))
                    .col(text("title"))
                    .col(text_null("description"))
                    .primary_key(Index::create().col("project_id").col("position"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_project_outcomes_project")
                            .from("project_outcomes", "project_id")
                            .to("projects", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_project_outcomes_code")
                    .table("project_outcomes")
                    .col("project_id")
                    .col("code")
                    .unique()
                    .take(),
            )
            .await?;

        // country codes, duty stations and themes: ordered string lists that the
        // list endpoint filters on, so they live in rows with an index, not in JSON.
        manager
            .create_table(
                Table::create()
                    .table("project_tags")
                    .col(uuid("project_id"))
                    .col(text("kind"))
                    .col(integer("position"))
                    .col(text("value"))
                    .primary_key(
                        Index::create()
                            .col("project_id")
                            .col("kind")
                            .col("position"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_project_tags_project")
                            .from("project_tags", "project_id")
                            .to("projects", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_project_tags_value",
                "project_tags",
                &["kind", "value", "project_id"],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "project_tags",
            "project_outcomes",
            "project_participants",
            "projects",
        ] {
            manager.drop_table(Table::drop().table(t).take()).await?;
        }
        Ok(())
    }
}
