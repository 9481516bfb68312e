//! Users, their refresh tokens, and the idempotency-key store.

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
                        .table("users")
                        .col(pk_uuid("id"))
                        // Stored lower-cased, so the unique index makes email case-insensitive.
                        .col(text("email"))
                        .col(text("display_name"))
                        .col(text("role"))
                        .col(boolean("active"))
                        .col(text("password_hash")),
                )
                .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_users_email")
                    .table("users")
                    .col("email")
                    .unique()
                    .take(),
            )
            .await?;
        manager
            .create_index(index("ix_users_created_at", "users", &["created_at", "id"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("refresh_tokens")
                    .col(pk_uuid("id"))
                    .col(uuid("user_id"))
                    // Every token issued from one login shares a family; reuse of a
                    // rotated token revokes the whole family.
                    .col(uuid("family_id"))
                    .col(text("token_hash"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .col(uuid_null("replaced_by"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_refresh_tokens_user")
                            .from("refresh_tokens", "user_id")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_refresh_tokens_hash")
                    .table("refresh_tokens")
                    .col("token_hash")
                    .unique()
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_refresh_tokens_user",
                "refresh_tokens",
                &["user_id"],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_refresh_tokens_family",
                "refresh_tokens",
                &["family_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("idempotency_keys")
                    .col(uuid("user_id"))
                    .col(text("idem_key"))
                    .col(text("method"))
                    .col(text("path"))
                    .col(text("request_hash"))
                    .col(integer("status_code"))
                    .col(text("response_body"))
                    .col(text_null("location"))
                    .col(text_null("etag"))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("user_id").col("idem_key"))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_idempotency_keys_created_at",
                "idempotency_keys",
                &["created_at"],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in ["idempotency_keys", "refresh_tokens", "users"] {
            manager.drop_table(Table::drop().table(t).take()).await?;
        }
        Ok(())
    }
}
