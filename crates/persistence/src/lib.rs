//! Persistence for Rihla: sea-orm entities (one module per table) and one
//! repository per resource.
//!
//! Owns every SQL statement the service runs. Repositories take
//! `&impl ConnectionTrait`, so a caller can compose several calls in one
//! transaction; they take the caller's `Actor` on every write, return domain
//! types, and report failures as a small `RepoError`. Nothing here knows HTTP.

pub mod entities;
pub mod repo;

mod db;
mod error;
mod paging;

pub use db::{Db, DbSettings, Tx, begin_write, connect, now, ping};
pub use error::RepoError;
pub use sea_orm::{ConnectionTrait, TransactionSession};

use rihla_domain::Role;
use uuid::Uuid;

/// Who is making a change; stamped into `created_by` / `updated_by`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Uuid,
    pub role: Role,
}
