use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dialogue_regions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub dialogue_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub position: i32,
    pub value: String,
}

impl ActiveModelBehavior for ActiveModel {}
