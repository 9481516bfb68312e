use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "projects")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub code: String,
    pub title: String,
    pub summary: Option<String>,
    pub objective: Option<String>,
    pub status: String,
    pub start_date: Option<Date>,
    pub end_date: Option<Date>,
    pub budget_amount: Option<String>,
    pub budget_currency: Option<String>,
    pub iati_identifier: Option<String>,
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
    /// The last day of the start date's period (list filters compare with it).
    pub start_date_last: Option<Date>,
    pub notes: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
