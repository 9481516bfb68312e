//! Documents: the deliverables of a project or activity, with the languages
//! they are written in and the organisations that took part in them.

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
                        .table("documents")
                        .col(pk_uuid("id"))
                        .col(text("title"))
                        .col(text("kind"))
                        .col(date_null("published_on"))
                        .col(text_null("url"))
                        .col(uuid_null("project_id"))
                        .col(uuid_null("activity_id"))
                        .col(text_null("summary"))
                        .foreign_key(&mut restrict("documents", "project_id", "projects"))
                        .foreign_key(&mut restrict("documents", "activity_id", "activities")),
                )
                .col(timestamp_with_time_zone_null("deleted_at"))
                .col(uuid_null("deleted_by"))
                .take(),
            )
            .await?;
        // Each sort key, and the two parents with the default sort in front
        // so a project's or an activity's documents page on an index.
        for (name, cols) in [
            ("ix_documents_title", &["title", "id"][..]),
            ("ix_documents_published_on", &["published_on", "id"][..]),
            ("ix_documents_created_at", &["created_at", "id"][..]),
            ("ix_documents_updated_at", &["updated_at", "id"][..]),
            ("ix_documents_kind", &["kind", "title", "id"][..]),
            ("ix_documents_project", &["project_id", "title", "id"][..]),
            ("ix_documents_activity", &["activity_id", "title", "id"][..]),
        ] {
            manager.create_index(index(name, "documents", cols)).await?;
        }
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX ix_documents_deleted_at ON documents (deleted_at) \
                 WHERE deleted_at IS NOT NULL",
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("document_languages")
                    .col(uuid("document_id"))
                    .col(integer("position"))
                    .col(text("code"))
                    .primary_key(Index::create().col("document_id").col("position"))
                    .foreign_key(&mut cascade(
                        "document_languages",
                        "document_id",
                        "documents",
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_document_languages_code",
                "document_languages",
                &["code", "document_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("document_organisations")
                    .col(uuid("document_id"))
                    .col(integer("position"))
                    .col(uuid("organisation_id"))
                    .col(text("role"))
                    .primary_key(Index::create().col("document_id").col("position"))
                    .foreign_key(&mut cascade(
                        "document_organisations",
                        "document_id",
                        "documents",
                    ))
                    .foreign_key(&mut restrict(
                        "document_organisations",
                        "organisation_id",
                        "organisations",
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_document_organisations_org",
                "document_organisations",
                &["organisation_id", "document_id"],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in ["document_organisations", "document_languages", "documents"] {
            manager.drop_table(Table::drop().table(t).take()).await?;
        }
        Ok(())
    }
}
