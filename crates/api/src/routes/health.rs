//! /health and /ready, outside the versioned API.

use actix_web::{get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Liveness
///
/// 200 while the process serves HTTP; it does not touch the database.
#[utoipa::path(tag = "health", extensions(("x-rihla" = json!(["public"]))), responses((status = 200, description = "Up", body = Health)))]
#[get("/health")]
async fn health() -> web::Json<Health> {
    web::Json(Health { status: "ok" })
}

/// Readiness
///
/// 200 when the database answers, 503 otherwise.
#[utoipa::path(tag = "health", extensions(("x-rihla" = json!(["public"]))), responses((status = 200, description = "Ready", body = Health)))]
#[get("/ready")]
async fn ready(state: web::Data<AppState>) -> Result<web::Json<Health>, ApiError> {
    rihla_persistence::ping(&state.db)
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    Ok(web::Json(Health { status: "ready" }))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(health).service(ready);
}
