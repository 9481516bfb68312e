//! An index for the activities list's `modality` filter, like `kind`'s and
//! `status`'s: without it, a modality few activities have (or none) scanned
//! the whole table for the page (found by EXPLAIN of every list filter and
//! sort at 1,000,000 activities, issue 5).

use sea_orm_migration::prelude::*;

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

const NAME: &str = "ix_activities_modality_start";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index(NAME, "activities", &["modality", "start_date", "id"]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(NAME)
                    .table(Alias::new("activities"))
                    .to_owned(),
            )
            .await
    }
}
