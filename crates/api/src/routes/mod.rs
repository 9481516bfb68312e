//! Route registration: every handler is added with `.service()` so that
//! utoipa-actix-web puts it in the OpenAPI spec (a handler registered any other
//! way would silently drop out of it).
//!
//! Each route module is declared once, in `routes!`, and declaring it is
//! what registers its `configure`: a module cannot be compiled in and left
//! out of the server (and a file under routes/ that is not declared here
//! fails the tidy test, tests/api/tidy.rs).

mod crud;

macro_rules! routes {
    (
        outside the api: $(pub mod $outer:ident;)+
        under /api/v1: $(pub mod $inner:ident;)+
    ) => {
        $(pub mod $outer;)+
        $(pub mod $inner;)+

        pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
            $(cfg.configure($outer::configure);)+
            cfg.service(
                utoipa_actix_web::scope("/api/v1")$(.configure($inner::configure))+,
            );
        }
    };
}

routes! {
    outside the api:
        pub mod health;
    under /api/v1:
        pub mod auth;
        pub mod users;
        pub mod api_keys;
        pub mod organisations;
        pub mod projects;
        pub mod members;
        pub mod activities;
        pub mod dialogues;
        pub mod meetings;
        pub mod delegations;
        pub mod documents;
        pub mod reports;
        pub mod iati;
        pub mod audit;
}
