//! Organisations: ministries, agencies, donors, partners, and departments inside them.

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
                        .table("organisations")
                        .col(pk_uuid("id"))
                        .col(text("name"))
                        .col(text_null("acronym"))
                        .col(text("kind"))
                        .col(text_null("country_code"))
                        .col(uuid_null("parent_id"))
                        .col(text_null("iati_org_ref"))
                        .foreign_key(
                            ForeignKey::create()
                                .name("fk_organisations_parent")
                                .from("organisations", "parent_id")
                                .to("organisations", "id")
                                .on_delete(ForeignKeyAction::Restrict),
                        ),
                )
                .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_organisations_name")
                    .table("organisations")
                    .col("name")
                    .unique()
                    .take(),
            )
            .await?;
        for (name, cols) in [
            ("ix_organisations_kind", &["kind", "id"][..]),
            ("ix_organisations_country", &["country_code", "id"][..]),
            ("ix_organisations_parent", &["parent_id", "id"][..]),
            ("ix_organisations_created_at", &["created_at", "id"][..]),
            ("ix_organisations_updated_at", &["updated_at", "id"][..]),
        ] {
            manager
                .create_index(index(name, "organisations", cols))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("organisations").take())
            .await
    }
}
