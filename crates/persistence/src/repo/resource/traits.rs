//! The traits a repository implements to be a resource. Every item without
//! a default is a fact each resource must state (its unique indexes, who
//! reaches it, the foreign keys into its table), so a new resource that
//! forgets one does not compile; `tests/api/schema.rs` then compares the
//! stated facts with the database's own indexes and keys.
//!
//! The module is private and its traits are only named inside this crate:
//! they carry sea-orm types (the table, its conditions), which stay here.

// The traits' futures are awaited where they are made (a handler on its
// actix worker, a command on its runtime) and never need to be Send.
#![allow(async_fn_in_trait)]

use rihla_domain::{Reference, ResourceType};
use sea_orm::{Condition, EntityTrait, FromQueryResult};
use serde::Serialize;

use crate::keyset::AsModel;
use crate::repo::SoftDelete;
use crate::repo::audit::Audited;
use crate::scope::{Owner, Reach};
use crate::{Actor, Connection, RepoError, WriteConn};

pub use crate::repo::registry::{Access, Link, LinkKind, Unique};

/// The project a record is under when an event about it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// Shared reference data or admin business: under no project.
    Shared,
    /// Under this project (none: a project-owned record that names none,
    /// which only organisation-wide callers reach).
    Project(Option<uuid::Uuid>),
    /// Under the project of this activity.
    Activity(uuid::Uuid),
}

/// Implemented by `registry!` for each listed resource, and only there: a
/// `Resource` not in the registry does not compile.
pub trait Registered {
    const TYPE: ResourceType;
}

/// A kind of record with a soft-delete lifecycle and an audit trail.
pub trait Resource: Registered {
    /// The table of the record's own row.
    type Entity: SoftDelete;
    /// A row as it is read: the entity's model, or `Decoded` for the
    /// records read most.
    type Row: FromQueryResult + AsModel<<Self::Entity as EntityTrait>::Model> + Send + Sync;
    type Record: Audited + Serialize;

    /// The unique indexes of its table, `&[]` if none (uniqueness is left to
    /// them: the violation becomes a 409 naming `field`).
    const UNIQUE: &'static [Unique];

    /// Every foreign key into its table and what it means for a delete
    /// (`Link`), `&[]` if none.
    const LINKS: &'static [Link];

    /// The column a 409 quotes when one of these records blocks a delete.
    const LABEL: <Self::Entity as EntityTrait>::Column;

    /// Who reaches its records: shared reference data, admin business, or
    /// the rows under the projects `reach` selects.
    fn access(reach: &Reach) -> Access<Condition>;

    /// Records from rows: a page's children in one query per child table.
    async fn assemble(
        db: &impl Connection,
        rows: Vec<Self::Row>,
    ) -> Result<Vec<Self::Record>, RepoError>;

    /// How a 409 names the record ("project \"LIBMITAF\"").
    fn label(record: &Self::Record) -> String;

    /// The project the record is under, written on each of its audit
    /// events: a partner's history and change feed show a record's events
    /// only from while it was under one of the partner's projects.
    fn held(record: &Self::Record) -> Held;

    /// Up to `limit` live records matching `cond`, as a 409 lists those
    /// that block a delete: by default labelled by `LABEL`.
    async fn referencing(
        db: &impl Connection,
        cond: Condition,
        limit: u64,
    ) -> Result<Vec<Reference>, RepoError> {
        crate::repo::referrers::<Self::Entity>(
            db,
            cond,
            (<Self::Entity as SoftDelete>::ID, Self::LABEL),
            Self::TYPE.plural(),
            limit,
        )
        .await
    }
}

/// The rules that need the database (the records it names exist), as a
/// create checks them; a restore checks them again. Every `Editable`
/// resource has it from its `check`; the others say it.
pub trait Recheck: Resource {
    async fn recheck(db: &impl Connection, record: &Self::Record) -> Result<(), RepoError>;
}

impl<R> Recheck for R
where
    R: Editable,
    R::Input: for<'a> From<&'a R::Record>,
{
    async fn recheck(db: &impl Connection, record: &R::Record) -> Result<(), RepoError> {
        R::check(db, &R::Input::from(record), None).await
    }
}

/// A resource clients create and change with a full input (POST, PUT, and
/// PATCH merged into it).
pub trait Editable: Resource {
    type Input;

    /// `insert` and `write` write the audit event themselves, in the same
    /// statement as the record's row (`audit::with_event`, one round trip
    /// fewer on PostgreSQL); the generic operations then write none.
    const EVENT_IN_WRITE: bool = false;

    /// A PATCH first tries `update_unlocked` (see `patch_unlocked`).
    const OPTIMISTIC_PATCH: bool = false;

    /// The rules of `input` that need the database, for a create (`current`
    /// none) or an update of `current` (which may then look up only what
    /// the update adds).
    async fn check(
        db: &impl Connection,
        input: &Self::Input,
        current: Option<&Self::Record>,
    ) -> Result<(), RepoError>;

    /// The projects `input` ties the record to, for a partner's write.
    async fn owner(db: &impl Connection, input: &Self::Input) -> Result<Owner, RepoError>;

    /// Writes a new record's rows (checked already) and returns the record.
    async fn insert(
        db: &impl WriteConn,
        actor: &Actor,
        input: &Self::Input,
    ) -> Result<Self::Record, RepoError>;

    /// Writes `input` over `current` (locked, version checked, input
    /// checked) with a versioned UPDATE, and returns the new record.
    async fn write(
        db: &impl WriteConn,
        actor: &Actor,
        current: &Self::Record,
        input: &Self::Input,
    ) -> Result<Self::Record, RepoError>;

    /// The fields `input` changes from `current` that only organisation-wide
    /// callers may change: none by default. (A project's identifiers: a
    /// partner writing them could learn from a 409 which values projects it
    /// cannot see hold.)
    fn organisation_wide(_current: &Self::Record, _input: &Self::Input) -> Vec<&'static str> {
        Vec::new()
    }

    /// Whether a PATCH to `input` can go the unlocked way; decided before a
    /// write is opened, so one that cannot takes no writer's turn for it.
    fn only_own_row(_current: &Self::Record, _input: &Self::Input) -> bool {
        false
    }

    /// The optimistic PATCH: `input` written over `current`, read without a
    /// lock, only if `current` is still the stored version; `None` when it
    /// was not done, and the caller goes the locked way as if this had not
    /// been tried.
    async fn update_unlocked(
        _db: &impl WriteConn,
        _actor: &Actor,
        _current: &Self::Record,
        _input: &Self::Input,
    ) -> Result<Option<Self::Record>, RepoError> {
        Ok(None)
    }
}
