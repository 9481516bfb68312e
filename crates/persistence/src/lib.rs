//! Persistence for Rihla: sea-orm entities (one module per table) and one
//! repository per resource.
//!
//! Owns every SQL statement the service runs. Repositories take
//! `&impl ConnectionTrait`, so a caller can compose several calls in one
//! transaction; they take the caller's `Actor` on every write and its
//! `Scope` on every read of project-owned records (object-level
//! authorization lives here, in the queries), return domain types, and
//! report failures as a small `RepoError`. Nothing here knows HTTP.

// The tables as sea-orm sees them: this crate's own business. Tests that
// look under the API (a row's stored bytes, a migration step by step) turn
// on the `white-box` feature; nothing else can name a table.
#[cfg(feature = "white-box")]
pub mod entities;
#[cfg(not(feature = "white-box"))]
mod entities;
pub mod repo;

mod columns;
mod db;
mod error;
mod keyset;
mod scope;

#[cfg(feature = "white-box")]
pub use db::connect_for_migrations;
pub use db::{
    Conn, Connection, Db, DbSettings, DbStats, Tx, WriteConn, backup, begin_write, connect,
    migrate, now, ping, reader, stats,
};
pub use error::{DbError, RepoError, check_version};
pub use scope::{Owner, Scope};

use rihla_domain::Role;
use uuid::Uuid;

/// Who is making a change: stamped into `created_by` / `updated_by` /
/// `deleted_by` and into every audit event, with the request that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub kind: ActorKind,
    /// The server's id of the HTTP request, so an audit event leads to its
    /// log lines.
    pub request_id: Option<String>,
    /// The `X-Request-Id` the client sent, kept beside the server's id.
    pub correlation_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorKind {
    User {
        id: Uuid,
        role: Role,
    },
    /// An integrating system calling with an API key.
    ApiKey {
        id: Uuid,
        role: Role,
    },
    /// The service itself acting for an operator's command (`seed-demo`,
    /// `purge`, `user create`): there is no user to name.
    System(&'static str),
}

impl Actor {
    pub fn user(id: Uuid, role: Role, request_id: Option<String>) -> Self {
        Actor {
            kind: ActorKind::User { id, role },
            request_id,
            correlation_id: None,
        }
    }

    pub fn system(name: &'static str) -> Self {
        Actor {
            kind: ActorKind::System(name),
            request_id: None,
            correlation_id: None,
        }
    }

    /// The user or API key to stamp into `*_by` columns; none for the
    /// system actor.
    pub fn principal_id(&self) -> Option<Uuid> {
        match self.kind {
            ActorKind::User { id, .. } | ActorKind::ApiKey { id, .. } => Some(id),
            ActorKind::System(_) => None,
        }
    }
}
