//! Every resource, listed once. From this list come the record type's audit
//! name, the history and audit dispatch over `ResourceType`, the purge order
//! and the unique-index names a 409 maps back to a field. Each `match` here
//! has no wildcard, so a `ResourceType` without an entry, or an entry without
//! a `Resource` impl, is a compile error rather than a 500 or a silent skip.

use crate::Connection;
use chrono::{DateTime, Utc};
use rihla_domain::ResourceType;
use sea_orm::Condition;
use sea_orm::sea_query::Query;
use uuid::Uuid;

use super::SoftDelete;
use super::audit::Audited;
use super::purge::{self, PurgeCount};
use super::resource::{self, Registered, Resource};
use super::{
    activities, api_keys, delegations, dialogues, documents, meetings, members, organisations,
    projects, users,
};
use crate::scope::Scope;
use crate::{Actor, Db, RepoError};

macro_rules! registry {
    ($($variant:ident => $repo:ty, $record:ty;)+) => {
        $(
            impl Registered for $repo {
                const TYPE: ResourceType = ResourceType::$variant;
            }
            impl Audited for $record {
                const RESOURCE: ResourceType = ResourceType::$variant;
            }
        )+

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

        /// The audit events (of the change feed) about records a partner
        /// reaches: every event of shared reference data, and
        /// of project-owned records those under its projects.
        pub(crate) fn events_within(reach: &crate::scope::Reach) -> Condition {
            use sea_orm::ColumnTrait;
            use crate::entities::audit_events::Column as Event;
            let mut any = Condition::any();
            $(
                let of_type = Event::ResourceType.eq(ResourceType::$variant.as_str());
                any = any.add(match <$repo as Resource>::within(reach) {
                    None => Condition::all().add(of_type),
                    Some(reach) => {
                        type E = <$repo as Resource>::Entity;
                        let ids = Query::select()
                            .column(<E as SoftDelete>::ID)
                            .from(E::default())
                            .cond_where(reach)
                            .to_owned();
                        Condition::all().add(of_type).add(Event::RecordId.in_subquery(ids))
                    }
                });
            )+
            any
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

// Referrers before what they refer to: the purge order.
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
