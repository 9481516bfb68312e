use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dialogues")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub acronym: Option<String>,
    pub kind: String,
    pub description: Option<String>,
    pub established_year: Option<i32>,
    pub secretariat_organisation_id: Option<Uuid>,
    pub website: Option<String>,
    pub participation_status: Option<String>,
    pub focal_point_name: Option<String>,
    pub focal_point_position: Option<String>,
    pub focal_point_organisation_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub created_by: Option<Uuid>,
    pub updated_by: Option<Uuid>,
    pub version: i32,
    pub deleted_at: Option<DateTimeUtc>,
    pub deleted_by: Option<Uuid>,
}

impl ActiveModelBehavior for ActiveModel {}
