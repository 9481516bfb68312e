use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    pub id: Uuid,
    pub position: Option<i64>,
    pub resource_type: String,
    pub record_id: Uuid,
    pub action: String,
    pub actor_type: String,
    pub actor_id: String,
    pub request_id: Option<String>,
    pub occurred_at: DateTimeUtc,
    pub version: i32,
    pub changes: String,
    pub correlation_id: Option<String>,
    pub project_id: Option<Uuid>,
    pub prior_project_id: Option<Uuid>,
}

impl ActiveModelBehavior for ActiveModel {}
