//! Safer sessions and machine callers: a per-user session epoch that access
//! tokens must match, an absolute lifetime for refresh-token families, the
//! client's correlation id beside the server's request id in the audit trail,
//! API keys, and the shared failed-login counters.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{index, record_columns};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per ALTER: SQLite takes no more.
        for (table, column) in [
            ("users", integer("session_epoch").default(0).take()),
            (
                "refresh_tokens",
                timestamp_with_time_zone_null("family_expires_at").take(),
            ),
            ("audit_events", text_null("correlation_id").take()),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new(table))
                        .add_column(column)
                        .take(),
                )
                .await?;
        }

        manager
            .create_table(
                record_columns(
                    Table::create()
                        .table("api_keys")
                        .col(pk_uuid("id"))
                        .col(text("name"))
                        .col(text("role"))
                        // The key's first characters, to tell keys apart in a list.
                        .col(text("prefix"))
                        .col(text("secret_hash"))
                        .col(timestamp_with_time_zone_null("expires_at"))
                        .col(timestamp_with_time_zone_null("last_used_at")),
                )
                // Revocation is the soft delete: a revoked key is never restored.
                .col(timestamp_with_time_zone_null("deleted_at"))
                .col(uuid_null("deleted_by"))
                .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_api_keys_secret_hash")
                    .table("api_keys")
                    .col("secret_hash")
                    .unique()
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_api_keys_created_at",
                "api_keys",
                &["created_at", "id"],
            ))
            .await?;
        manager
            .create_index(index("ix_api_keys_name", "api_keys", &["name", "id"]))
            .await?;

        // Failed logins per account ("account:<email>") and per client
        // address ("address:<ip>"), shared by every instance.
        manager
            .create_table(
                Table::create()
                    .table("login_failures")
                    .col(text("scope").primary_key())
                    .col(integer("failures"))
                    .col(timestamp_with_time_zone("window_start"))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_login_failures_window_start",
                "login_failures",
                &["window_start"],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["login_failures", "api_keys"] {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).take())
                .await?;
        }
        for (table, column) in [
            ("audit_events", "correlation_id"),
            ("refresh_tokens", "family_expires_at"),
            ("users", "session_epoch"),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new(table))
                        .drop_column(Alias::new(column))
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}
