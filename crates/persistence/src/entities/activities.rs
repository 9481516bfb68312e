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
}

impl ActiveModelBehavior for ActiveModel {}

/// In the order `Entity::find()` selects the columns (the fields' order).
impl crate::columns::FromColumns for Model {
    fn from_columns(c: &mut crate::columns::Columns<'_>) -> Result<Self, DbErr> {
        Ok(Model {
            id: c.next("id")?,
            project_id: c.next("project_id")?,
            outcome_code: c.next("outcome_code")?,
            dialogue_id: c.next("dialogue_id")?,
            title: c.next("title")?,
            kind: c.next("kind")?,
            status: c.next("status")?,
            start_date: c.next("start_date")?,
            end_date: c.next("end_date")?,
            modality: c.next("modality")?,
            description: c.next("description")?,
            participants_planned: c.next("participants_planned")?,
            participants_actual: c.next("participants_actual")?,
            participants_female: c.next("participants_female")?,
            participants_male: c.next("participants_male")?,
            facilitators: c.next("facilitators")?,
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
