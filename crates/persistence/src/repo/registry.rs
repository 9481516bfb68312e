//! Every resource, listed once, and the facts each states about its table.
//!
//! From the list come the record type's audit name, the history and audit
//! dispatch over `ResourceType`, the purge order, the unique-index names a
//! 409 maps back to a field, and `describe`, which tells the tests what each
//! resource says of its table (to compare with what the database has). Each
//! `match` here has no wildcard, so a `ResourceType` without an entry, or an
//! entry without a `Resource` impl, is a compile error rather than a 500 or
//! a silent skip.

use chrono::{DateTime, Utc};
use rihla_domain::{Reference, ResourceType};
use sea_orm::{Condition, EntityName};
use uuid::Uuid;

use super::audit::Audited;
use super::purge::{self, PurgeCount};
use super::resource::{self, Registered, Resource};
use super::{
    activities, api_keys, delegations, dialogues, documents, meetings, members, organisations,
    projects, users,
};
use crate::scope::{Reach, Scope};
use crate::{Actor, Connection, Db, RepoError};

/// A unique index of a resource's table and the request field it protects.
/// SQLite names the column ("table.column") when it is violated, PostgreSQL
/// the index; either is matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unique {
    pub index: &'static str,
    pub column: &'static str,
    pub field: &'static str,
}

/// Who reaches a resource's records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access<C = ()> {
    /// Reference data every caller reads (organisations, dialogues,
    /// meetings); organisation-wide editors write it.
    Shared,
    /// Admin business (users, API keys): the API keeps every other caller
    /// out; the data layer does not narrow it.
    Admins,
    /// Project-owned: a partner reaches the rows this condition keeps under
    /// its projects.
    Projects(C),
}

/// A foreign key into a resource's table (`table.column` names the
/// record), and what it means when the record is deleted or purged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    pub table: &'static str,
    pub column: &'static str,
    pub kind: LinkKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    /// A child table of the record: its rows are part of it, and go with it
    /// when it is purged (the key cascades).
    Child,
    /// Rows that follow the record without blocking its delete, removed
    /// with it when it is purged (a project's memberships).
    Follows,
    /// A live record of `resource` names this one, in its own table (`via`
    /// none) or in a child table whose column `via` names it: a delete is
    /// refused (409) while one does. `only` narrows the child table's rows
    /// to one kind (`activity_tags`), where the column holds the id as text
    /// and no key can be declared.
    Referrer {
        resource: ResourceType,
        via: Option<&'static str>,
        only: Option<(&'static str, &'static str)>,
    },
}

impl Link {
    pub const fn child(table: &'static str, column: &'static str) -> Link {
        Link {
            table,
            column,
            kind: LinkKind::Child,
        }
    }

    pub const fn follows(table: &'static str, column: &'static str) -> Link {
        Link {
            table,
            column,
            kind: LinkKind::Follows,
        }
    }

    /// A record of `resource` whose own column `table.column` names this one.
    pub const fn referrer(
        resource: ResourceType,
        table: &'static str,
        column: &'static str,
    ) -> Link {
        Link {
            table,
            column,
            kind: LinkKind::Referrer {
                resource,
                via: None,
                only: None,
            },
        }
    }

    /// A record of `resource` whose child table `table` names this one in
    /// `column`, and the record in `via`.
    pub const fn referrer_via(
        resource: ResourceType,
        table: &'static str,
        column: &'static str,
        via: &'static str,
    ) -> Link {
        Link {
            table,
            column,
            kind: LinkKind::Referrer {
                resource,
                via: Some(via),
                only: None,
            },
        }
    }

    /// Like `referrer_via`, in the rows of `table` whose `only.0` is
    /// `only.1`, where `column` holds the id as text (no foreign key).
    pub const fn tagged(
        resource: ResourceType,
        table: &'static str,
        column: &'static str,
        via: &'static str,
        only: (&'static str, &'static str),
    ) -> Link {
        Link {
            table,
            column,
            kind: LinkKind::Referrer {
                resource,
                via: Some(via),
                only: Some(only),
            },
        }
    }

    /// Whether the database declares this link as a foreign key.
    pub fn keyed(&self) -> bool {
        !matches!(self.kind, LinkKind::Referrer { only: Some(_), .. })
    }
}

/// What one resource states about its table: the tests compare it with the
/// database's own indexes and keys.
#[derive(Debug, Clone)]
pub struct Description {
    pub resource: ResourceType,
    pub table: &'static str,
    pub access: Access,
    pub unique: &'static [Unique],
    pub links: &'static [Link],
}

macro_rules! registry {
    ($($variant:ident => $repo:ty, $record:ty;)+) => {
        $(
            impl Registered for $repo {
                const TYPE: ResourceType = ResourceType::$variant;
            }
            impl Audited for $record {
                const RESOURCE: ResourceType = ResourceType::$variant;

                fn held(&self) -> resource::Held {
                    <$repo as Resource>::held(self)
                }
            }
        )+

        /// Every resource, in purge order.
        pub fn describe() -> Vec<Description> {
            vec![$(description::<$repo>()),+]
        }

        /// Whether `id` names a record of this type: a live one, or with
        /// `include_deleted` a deleted one.
        pub(crate) async fn exists(
            db: &impl Connection,
            resource: ResourceType,
            id: Uuid,
            include_deleted: bool,
        ) -> Result<bool, RepoError> {
            match resource {
                $(ResourceType::$variant => {
                    resource::exists::<$repo>(db, id, include_deleted).await
                })+
            }
        }

        /// 404 unless `scope` reaches record `id` of this type.
        pub(crate) async fn authorize(
            db: &impl Connection,
            resource: ResourceType,
            id: Uuid,
            scope: Scope,
        ) -> Result<(), RepoError> {
            match resource {
                $(ResourceType::$variant => {
                    resource::authorize::<$repo>(db, scope, id, false).await
                })+
            }
        }

        /// Up to `limit` live records of `resource` that `link` says name
        /// record `id`.
        pub(crate) async fn naming(
            db: &impl Connection,
            resource: ResourceType,
            link: &Link,
            id: Uuid,
            limit: u64,
        ) -> Result<Vec<Reference>, RepoError> {
            match resource {
                $(ResourceType::$variant => {
                    resource::naming::<$repo>(db, link, id, limit).await
                })+
            }
        }

        /// The audit events (of the change feed) a partner reaches: every
        /// event of shared reference data, and of project-owned records those
        /// written under its projects, or moving a record out of one (its
        /// reader learns the record changed, and then that it is gone).
        pub(crate) fn events_within(reach: &Reach) -> Condition {
            use sea_orm::ColumnTrait;
            use crate::entities::audit_events::Column as Event;
            let mut shared = Vec::new();
            $(
                if !matches!(<$repo as Resource>::access(reach), Access::Projects(_)) {
                    shared.push(ResourceType::$variant.as_str());
                }
            )+
            Condition::any()
                .add(Event::ResourceType.is_in(shared))
                .add(reach.projects(Event::ProjectId))
                .add(reach.projects(Event::PriorProjectId))
        }

        /// Purges each resource's records deleted before `cutoff`, in the
        /// order of the list.
        pub(crate) async fn purge_all(
            db: &Db,
            actor: &Actor,
            cutoff: DateTime<Utc>,
        ) -> Result<Vec<PurgeCount>, RepoError> {
            Ok(vec![$(purge::all::<$repo>(db, actor, cutoff).await?),+])
        }

        /// The request field a violated unique index protects, from the
        /// database's message.
        pub(crate) fn unique_field(message: &str) -> Option<&'static str> {
            [$(<$repo as Resource>::UNIQUE),+]
                .into_iter()
                .flatten()
                .find(|u| message.contains(u.index) || message.contains(u.column))
                .map(|u| u.field)
        }
    };
}

fn description<R: Resource>() -> Description {
    Description {
        resource: R::TYPE,
        table: <R::Entity as Default>::default().table_name(),
        access: match R::access(&Reach::none()) {
            Access::Shared => Access::Shared,
            Access::Admins => Access::Admins,
            Access::Projects(_) => Access::Projects(()),
        },
        unique: R::UNIQUE,
        links: R::LINKS,
    }
}

// Referrers before what they refer to: the purge order (a test checks it
// against each resource's links).
registry! {
    ProjectMember => members::Members, rihla_domain::ProjectMember;
    ApiKey => api_keys::ApiKeys, rihla_domain::ApiKey;
    Document => documents::Documents, rihla_domain::Document;
    Delegation => delegations::Delegations, rihla_domain::Delegation;
    Activity => activities::Activities, rihla_domain::Activity;
    Meeting => meetings::Meetings, rihla_domain::Meeting;
    Project => projects::Projects, rihla_domain::Project;
    Dialogue => dialogues::Dialogues, rihla_domain::Dialogue;
    Organisation => organisations::Organisations, rihla_domain::Organisation;
    User => users::Users, rihla_domain::User;
}
