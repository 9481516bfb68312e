//! A covering index for the reports (issue 19): every column an activity
//! report groups by, filters on or adds up, led by the start date. A
//! whole-database report scans it instead of the activities table (a sixth
//! of its size at 1,000,000 activities), already ordered by start date, so
//! the first grouping (by day) needs no sort; a report over a window reads
//! one range of it. Figures in bench/README.md.

use sea_orm_migration::prelude::*;

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

const NAME: &str = "ix_activities_report";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index(
                NAME,
                "activities",
                &[
                    "start_date",
                    "kind",
                    "status",
                    "modality",
                    "project_id",
                    "outcome_code",
                    "dialogue_id",
                    "deleted_at",
                    "participants_planned",
                    "participants_actual",
                    "participants_female",
                    "participants_male",
                ],
            ))
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
