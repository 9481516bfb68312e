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
}

impl ActiveModelBehavior for ActiveModel {}

/// In the order `Entity::find()` selects the columns (the fields' order).
impl crate::columns::FromColumns for Model {
    fn from_columns(c: &mut crate::columns::Columns<'_>) -> Result<Self, DbErr> {
        Ok(Model {
            id: c.next("id")?,
            code: c.next("code")?,
            title: c.next("title")?,
            summary: c.next("summary")?,
            objective: c.next("objective")?,
            status: c.next("status")?,
            start_date: c.next("start_date")?,
            end_date: c.next("end_date")?,
            budget_amount: c.next("budget_amount")?,
            budget_currency: c.next("budget_currency")?,
            iati_identifier: c.next("iati_identifier")?,
            created_at: c.next("created_at")?,
            updated_at: c.next("updated_at")?,
            created_by: c.next("created_by")?,
            updated_by: c.next("updated_by")?,
            version: c.next("version")?,
            deleted_at: c.next("deleted_at")?,
            deleted_by: c.next("deleted_by")?,
            children: c.next("children")?,
        })
    }
}
