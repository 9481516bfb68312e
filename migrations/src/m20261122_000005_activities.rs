//! Activities and their relational children: locations, participating
//! organisations, and the topic / output lists. Facilitators are a validated
//! JSON list: nothing filters on them.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{cascade, index, record_columns, restrict, unique};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                record_columns(
                    Table::create()
                        .table("activities")
                        .col(pk_uuid("id"))
                        .col(uuid("project_id"))
                        .col(text_null("outcome_code"))
                        .col(uuid_null("dialogue_id"))
                        .col(text("title"))
                        .col(text("kind"))
                        .col(text("status"))
                        .col(date_null("start_date"))
                        .col(date_null("end_date"))
                        .col(text_null("modality"))
                        .col(text_null("description"))
                        .col(integer_null("participants_planned"))
                        .col(integer_null("participants_actual"))
                        .col(integer_null("participants_female"))
                        .col(integer_null("participants_male"))
                        .col(text("facilitators"))
                        .foreign_key(&mut restrict("activities", "project_id", "projects"))
                        .foreign_key(&mut restrict("activities", "dialogue_id", "dialogues")),
                )
                .take(),
            )
            .await?;
        for (name, cols) in [
            ("ix_activities_start_date", &["start_date", "id"][..]),
            ("ix_activities_end_date", &["end_date", "id"][..]),
            ("ix_activities_title", &["title", "id"][..]),
            ("ix_activities_created_at", &["created_at", "id"][..]),
            ("ix_activities_updated_at", &["updated_at", "id"][..]),
            (
                "ix_activities_project_start",
                &["project_id", "start_date", "id"][..],
            ),
            (
                "ix_activities_project_created",
                &["project_id", "created_at", "id"][..],
            ),
            (
                "ix_activities_project_outcome",
                &["project_id", "outcome_code"][..],
            ),
            (
                "ix_activities_dialogue",
                &["dialogue_id", "start_date", "id"][..],
            ),
            (
                "ix_activities_status_start",
                &["status", "start_date", "id"][..],
            ),
            (
                "ix_activities_kind_start",
                &["kind", "start_date", "id"][..],
            ),
        ] {
            manager
                .create_index(index(name, "activities", cols))
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table("activity_locations")
                    .col(uuid("activity_id"))
                    .col(integer("position"))
                    .col(text("city"))
                    .col(text("country_code"))
                    .col(text_null("venue"))
                    .primary_key(Index::create().col("activity_id").col("position"))
                    .foreign_key(&mut cascade(
                        "activity_locations",
                        "activity_id",
                        "activities",
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_activity_locations_country",
                "activity_locations",
                &["country_code", "activity_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("activity_organisations")
                    .col(uuid("activity_id"))
                    .col(integer("position"))
                    .col(uuid("organisation_id"))
                    .col(text("role"))
                    .primary_key(Index::create().col("activity_id").col("position"))
                    .foreign_key(&mut cascade(
                        "activity_organisations",
                        "activity_id",
                        "activities",
                    ))
                    .foreign_key(&mut restrict(
                        "activity_organisations",
                        "organisation_id",
                        "organisations",
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(unique(
                "ux_activity_organisations_org_role",
                "activity_organisations",
                &["activity_id", "organisation_id", "role"],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_activity_organisations_org",
                "activity_organisations",
                &["organisation_id", "role", "activity_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("activity_tags")
                    .col(uuid("activity_id"))
                    .col(text("kind"))
                    .col(integer("position"))
                    .col(text("value"))
                    .primary_key(
                        Index::create()
                            .col("activity_id")
                            .col("kind")
                            .col("position"),
                    )
                    .foreign_key(&mut cascade("activity_tags", "activity_id", "activities"))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_activity_tags_value",
                "activity_tags",
                &["kind", "value", "activity_id"],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "activity_tags",
            "activity_organisations",
            "activity_locations",
            "activities",
        ] {
            manager.drop_table(Table::drop().table(t).take()).await?;
        }
        Ok(())
    }
}
