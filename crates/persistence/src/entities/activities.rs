use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "activities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub project_id: Uuid,
    pub outcome_code: Option<String>,
    pub dialogue_id: Option<Uuid>,
    pub title: String,
    pub kind: String,
    pub status: String,
    pub start_date: Option<Date>,
    pub end_date: Option<Date>,
    pub modality: Option<String>,
    pub description: Option<String>,
    pub participants_planned: Option<i32>,
    pub participants_actual: Option<i32>,
    pub participants_female: Option<i32>,
    pub participants_male: Option<i32>,
    /// JSON list of facilitators.
    pub facilitators: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub created_by: Option<Uuid>,
    pub updated_by: Option<Uuid>,
    pub version: i32,
    pub deleted_at: Option<DateTimeUtc>,
    pub deleted_by: Option<Uuid>,
    /// The child rows as JSON, a copy written with them (see the repository).
    pub children: String,
    pub start_date_precision: String,
    pub end_date_precision: String,
    /// The last day of the start date's period (report windows compare with it).
    pub start_date_last: Option<Date>,
    /// The last day of the end date's period, or of the start's when there is
    /// no end (the window filter compares with it).
    pub end_date_last: Option<Date>,
    pub sessions: Option<i32>,
    pub organisations_reached: Option<i32>,
    pub notes: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
