//! Route registration: every handler is added with `.service()` so that
//! utoipa-actix-web puts it in the OpenAPI spec (a handler registered any other
//! way would silently drop out of it).

pub mod activities;
pub mod api_keys;
pub mod audit;
pub mod auth;
mod crud;
pub mod delegations;
pub mod dialogues;
pub mod documents;
pub mod health;
pub mod iati;
pub mod meetings;
pub mod members;
pub mod organisations;
pub mod projects;
pub mod reports;
pub mod users;

use utoipa_actix_web::{scope, service_config::ServiceConfig};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.configure(health::configure).service(
        scope("/api/v1")
            .configure(auth::configure)
            .configure(users::configure)
            .configure(api_keys::configure)
            .configure(organisations::configure)
            .configure(projects::configure)
            .configure(members::configure)
            .configure(activities::configure)
            .configure(dialogues::configure)
            .configure(meetings::configure)
            .configure(delegations::configure)
            .configure(documents::configure)
            .configure(reports::configure)
            .configure(iati::configure)
            .configure(audit::configure),
    );
}
