//! The HTTP face of Rihla: actix-web routes, authentication, errors as
//! problem+json, the OpenAPI contract, configuration and start-up.
//!
//! Owns everything HTTP. Handlers are thin (extract, one repository call,
//! respond) and never build SQL; `app::build_app` is the single wiring point
//! used by the binary, the tests and the spec export.

pub mod app;
pub mod auth;
pub mod bootstrap;
pub mod config;
pub mod demo;
pub mod error;
pub mod export;
pub mod http;
pub mod iati;
pub mod monitoring;
pub mod openapi;
pub mod routes;
pub mod state;
pub mod telemetry;
pub mod write;

pub use app::{Running, build_app, start};
pub use config::Config;
