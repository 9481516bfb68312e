//! Delegations to dialogue meetings and their members. `support_provided` is a
//! validated JSON list of enum values: nothing filters on it.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{cascade, index, record_columns, restrict};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                record_columns(
                    Table::create()
                        .table("delegations")
                        .col(pk_uuid("id"))
                        .col(uuid("meeting_id"))
                        .col(uuid_null("project_id"))
                        .col(text_null("country_code"))
                        .col(uuid_null("lead_organisation_id"))
                        .col(text("status"))
                        .col(text("support_provided"))
                        .col(text_null("talking_points"))
                        .col(text_null("statement"))
                        .col(text_null("report"))
                        .col(text_null("notes"))
                        .foreign_key(&mut restrict(
                            "delegations",
                            "meeting_id",
                            "dialogue_meetings",
                        ))
                        .foreign_key(&mut restrict("delegations", "project_id", "projects"))
                        .foreign_key(&mut restrict(
                            "delegations",
                            "lead_organisation_id",
                            "organisations",
                        )),
                )
                .take(),
            )
            .await?;
        for (name, cols) in [
            ("ix_delegations_created_at", &["created_at", "id"][..]),
            ("ix_delegations_updated_at", &["updated_at", "id"][..]),
            ("ix_delegations_status", &["status", "id"][..]),
            (
                "ix_delegations_meeting_created",
                &["meeting_id", "created_at", "id"][..],
            ),
            (
                "ix_delegations_project_created",
                &["project_id", "created_at", "id"][..],
            ),
            ("ix_delegations_country", &["country_code", "id"][..]),
            ("ix_delegations_lead", &["lead_organisation_id"][..]),
        ] {
            manager
                .create_index(index(name, "delegations", cols))
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table("delegation_members")
                    .col(uuid("delegation_id"))
                    .col(integer("position"))
                    .col(text("name"))
                    // The member's job title ("position" orders the list).
                    .col(text_null("job_title"))
                    .col(uuid_null("organisation_id"))
                    .col(text("role"))
                    .col(text("gender"))
                    .primary_key(Index::create().col("delegation_id").col("position"))
                    .foreign_key(&mut cascade(
                        "delegation_members",
                        "delegation_id",
                        "delegations",
                    ))
                    .foreign_key(&mut restrict(
                        "delegation_members",
                        "organisation_id",
                        "organisations",
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_delegation_members_org",
                "delegation_members",
                &["organisation_id", "delegation_id"],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in ["delegation_members", "delegations"] {
            manager.drop_table(Table::drop().table(t).take()).await?;
        }
        Ok(())
    }
}
