use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "delegation_members")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub delegation_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub position: i32,
    pub name: String,
    pub job_title: Option<String>,
    pub organisation_id: Option<Uuid>,
    pub role: String,
    pub gender: String,
}

impl ActiveModelBehavior for ActiveModel {}
