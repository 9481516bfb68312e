//! Object-level authorization: which project-owned records a caller reaches.
//! Organisation-wide roles reach everything; a `partner` (user or API key)
//! reaches the projects it is a live member of and the records under them.
//! Every read and write of a scoped resource takes a `Scope` and applies it
//! in the query itself (an `IN` over the caller's projects), so pages stay
//! exact and nothing outside it is ever loaded, counted or changed. Reads
//! take the memberships the API read for the request (cached up to 1 s,
//! cleared at once by a membership change on that instance); writes read
//! them afresh in their own transaction.

use crate::Connection;
use std::sync::Arc;

use rihla_domain::{FieldError, ProjectRole};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::entities::project_members::{Column, Entity};
use crate::{Actor, ActorKind, RepoError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Organisation-wide: admins, editors, viewers, the system.
    All,
    /// A partner: the projects it is a live member of.
    Member(Arc<Membership>),
}

/// A partner's memberships, as read at one moment.
#[derive(Debug, PartialEq, Eq)]
pub struct Membership {
    /// The user's or API key's id.
    pub principal: Uuid,
    pub projects: Vec<(Uuid, ProjectRole)>,
}

impl Scope {
    /// A partner's scope as the database has it now.
    pub async fn load(db: &impl Connection, principal: Uuid) -> Result<Scope, RepoError> {
        let rows: Vec<(Uuid, String)> = Entity::find()
            .select_only()
            .column(Column::ProjectId)
            .column(Column::Role)
            .filter(Column::PrincipalId.eq(principal))
            .filter(Column::DeletedAt.is_null())
            .into_tuple()
            .all(db)
            .await?;
        let projects = rows
            .into_iter()
            .map(|(p, r)| crate::repo::parse_enum(&r, "project_members.role").map(|r| (p, r)))
            .collect::<Result<_, _>>()?;
        Ok(Scope::Member(Arc::new(Membership {
            principal,
            projects,
        })))
    }

    /// The scope a write is checked against: for a partner, its memberships
    /// read afresh on the write's own connection, so no cached read can let
    /// a removed member write.
    pub async fn of(db: &impl Connection, actor: &Actor) -> Result<Scope, RepoError> {
        match actor.kind {
            ActorKind::User { id, role } | ActorKind::ApiKey { id, role } if role.is_scoped() => {
                Scope::load(db, id).await
            }
            _ => Ok(Scope::All),
        }
    }

    /// The projects a partner reaches (with `write`, those it edits); none
    /// for an organisation-wide scope, which is not narrowed.
    pub(crate) fn reach(&self, write: bool) -> Option<Reach> {
        match self {
            Scope::All => None,
            Scope::Member(m) => Some(Reach(
                m.projects
                    .iter()
                    .filter(|(_, role)| !write || *role == ProjectRole::Editor)
                    .map(|(p, _)| *p)
                    .collect(),
            )),
        }
    }

    /// This scope's role on `project` (an organisation-wide scope edits
    /// every project).
    pub(crate) fn role_in(&self, project: Uuid) -> Option<ProjectRole> {
        match self {
            Scope::All => Some(ProjectRole::Editor),
            Scope::Member(m) => m
                .projects
                .iter()
                .find(|(p, _)| *p == project)
                .map(|(_, role)| *role),
        }
    }
}

/// The projects a partner reaches, written into a query as an `IN` list
/// (its memberships are few; the database then needs no subquery).
#[derive(Debug, Clone)]
pub struct Reach(Vec<Uuid>);

impl Reach {
    /// A partner of no project: what a resource's `access` is asked with
    /// when only its kind of access matters.
    pub(crate) fn none() -> Reach {
        Reach(Vec::new())
    }

    pub(crate) fn ids(&self) -> &[Uuid] {
        &self.0
    }

    /// `column IN (the projects)`; false for a partner of no project.
    pub(crate) fn projects(&self, column: impl ColumnTrait) -> Condition {
        if self.0.is_empty() {
            return Condition::all().add(Expr::val(1).eq(0));
        }
        Condition::all().add(column.is_in(self.0.iter().copied()))
    }

    /// `column IN (SELECT id FROM activities WHERE project_id IN (...))`.
    pub(crate) fn activities(&self, column: impl ColumnTrait) -> Condition {
        use crate::entities::activities;
        let sub = Query::select()
            .column(activities::Column::Id)
            .from(activities::Entity)
            .cond_where(self.projects(activities::Column::ProjectId))
            .to_owned();
        Condition::all().add(column.in_subquery(sub))
    }
}

/// What a record names as its project, for the check that a partner's write
/// stays within the projects it edits.
#[derive(Debug, Clone)]
pub enum Owner {
    /// Shared reference data (organisations, dialogues, meetings) or
    /// admin business: no partner writes it.
    Shared,
    /// The record is a project.
    Itself,
    /// The fields that tie it to projects, and the project each names.
    Projects(Vec<(&'static str, Option<Uuid>)>),
}

/// A partner's write must name projects it edits: 422 naming each field
/// that names no project or one it does not edit. Creating a record in a
/// project it only views is 403, as any write there is. (Whether the
/// project exists is the record's own check.)
pub(crate) fn check_owner(scope: &Scope, owner: Owner, creating: bool) -> Result<(), RepoError> {
    if *scope == Scope::All {
        return Ok(());
    }
    match owner {
        Owner::Shared => Err(RepoError::Forbidden(
            "shared reference data is written by organisation-wide editors".into(),
        )),
        Owner::Itself if creating => Err(RepoError::Forbidden(
            "a project is created by organisation-wide editors; ask one to add you as a member"
                .into(),
        )),
        Owner::Itself => Ok(()),
        Owner::Projects(fields) => {
            let mut errors = Vec::new();
            for (field, project) in fields {
                let role = project.and_then(|p| scope.role_in(p));
                if creating && role == Some(ProjectRole::Viewer) {
                    return Err(RepoError::Forbidden(format!(
                        "your role on the project {field} names is viewer; writing its records needs editor"
                    )));
                }
                if role != Some(ProjectRole::Editor) {
                    errors.push(FieldError::new(
                        field,
                        "outside_scope",
                        format!("{field} must name a project you are an editor of"),
                    ));
                }
            }
            if errors.is_empty() {
                Ok(())
            } else {
                Err(RepoError::Invalid(errors))
            }
        }
    }
}
