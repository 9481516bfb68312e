//! Dialogues (with their regions and focal point) and dialogue meetings.

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
                        .table("dialogues")
                        .col(pk_uuid("id"))
                        .col(text("name"))
                        .col(text_null("acronym"))
                        .col(text("kind"))
                        .col(text_null("description"))
                        .col(integer_null("established_year"))
                        .col(uuid_null("secretariat_organisation_id"))
                        .col(text_null("website"))
                        .col(text_null("participation_status"))
                        .col(text_null("focal_point_name"))
                        .col(text_null("focal_point_position"))
                        .col(uuid_null("focal_point_organisation_id"))
                        .foreign_key(&mut restrict(
                            "dialogues",
                            "secretariat_organisation_id",
                            "organisations",
                        ))
                        .foreign_key(&mut restrict(
                            "dialogues",
                            "focal_point_organisation_id",
                            "organisations",
                        )),
                )
                .take(),
            )
            .await?;
        manager
            .create_index(unique("ux_dialogues_name", "dialogues", &["name"]))
            .await?;
        for (name, cols) in [
            ("ix_dialogues_name", &["name", "id"][..]),
            ("ix_dialogues_kind", &["kind", "id"][..]),
            (
                "ix_dialogues_participation",
                &["participation_status", "id"][..],
            ),
            ("ix_dialogues_created_at", &["created_at", "id"][..]),
            ("ix_dialogues_updated_at", &["updated_at", "id"][..]),
            (
                "ix_dialogues_secretariat",
                &["secretariat_organisation_id"][..],
            ),
            (
                "ix_dialogues_focal_org",
                &["focal_point_organisation_id"][..],
            ),
        ] {
            manager.create_index(index(name, "dialogues", cols)).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table("dialogue_regions")
                    .col(uuid("dialogue_id"))
                    .col(integer("position"))
                    .col(text("value"))
                    .primary_key(Index::create().col("dialogue_id").col("position"))
                    .foreign_key(&mut cascade("dialogue_regions", "dialogue_id", "dialogues"))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_dialogue_regions_value",
                "dialogue_regions",
                &["value", "dialogue_id"],
            ))
            .await?;

        manager
            .create_table(
                record_columns(
                    Table::create()
                        .table("dialogue_meetings")
                        .col(pk_uuid("id"))
                        .col(uuid("dialogue_id"))
                        .col(text("title"))
                        .col(text("meeting_type"))
                        .col(date_null("start_date"))
                        .col(date_null("end_date"))
                        .col(text_null("city"))
                        .col(text_null("country_code"))
                        .col(text_null("modality"))
                        .col(text("status"))
                        .foreign_key(&mut restrict(
                            "dialogue_meetings",
                            "dialogue_id",
                            "dialogues",
                        )),
                )
                .take(),
            )
            .await?;
        // Every sort key with and without the dialogue in front: the nested
        // list (one dialogue) and the calendar (all dialogues) both page on an index.
        for (name, cols) in [
            ("ix_meetings_start_date", &["start_date", "id"][..]),
            ("ix_meetings_end_date", &["end_date", "id"][..]),
            ("ix_meetings_title", &["title", "id"][..]),
            ("ix_meetings_created_at", &["created_at", "id"][..]),
            ("ix_meetings_updated_at", &["updated_at", "id"][..]),
            (
                "ix_meetings_dialogue_start",
                &["dialogue_id", "start_date", "id"][..],
            ),
            (
                "ix_meetings_dialogue_created",
                &["dialogue_id", "created_at", "id"][..],
            ),
            (
                "ix_meetings_status_start",
                &["status", "start_date", "id"][..],
            ),
        ] {
            manager
                .create_index(index(name, "dialogue_meetings", cols))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in ["dialogue_meetings", "dialogue_regions", "dialogues"] {
            manager.drop_table(Table::drop().table(t).take()).await?;
        }
        Ok(())
    }
}
