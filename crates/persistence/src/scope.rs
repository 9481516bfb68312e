//! Object-level authorization: which project-owned records a caller reaches.
//! Organisation-wide roles reach everything; a `partner` (user or API key)
//! reaches the projects it is a live member of and the records under them.
//! Every read and write of a scoped resource takes a `Scope` and applies it
//! in the query itself (an `IN` over the caller's memberships), so pages stay
//! exact and nothing outside it is ever loaded, counted or changed.

use rihla_domain::{FieldError, ProjectRole};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::entities::project_members::{Column, Entity};
use crate::{Actor, ActorKind, RepoError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Organisation-wide: admins, editors, viewers, the system.
    All,
    /// A partner: the projects this user or API key is a live member of.
    Member(Uuid),
}

impl Scope {
    /// The scope of whoever makes a change.
    pub fn of(actor: &Actor) -> Self {
        match actor.kind {
            ActorKind::User { id, role } | ActorKind::ApiKey { id, role } if role.is_scoped() => {
                Scope::Member(id)
            }
            _ => Scope::All,
        }
    }

    /// `SELECT project_id` of the projects `principal` is a live member of;
    /// with `write`, only those where it is an editor.
    pub(crate) fn projects(principal: Uuid, write: bool) -> SelectStatement {
        let mut q = Query::select()
            .column(Column::ProjectId)
            .from(Entity)
            .and_where(Column::PrincipalId.eq(principal))
            .and_where(Column::DeletedAt.is_null())
            .to_owned();
        if write {
            q.and_where(Column::Role.eq(ProjectRole::Editor.as_str()));
        }
        q
    }

    /// A member's role on `project`, if it is a live member (an
    /// organisation-wide scope edits every project).
    pub(crate) async fn role_in(
        self,
        db: &impl ConnectionTrait,
        project: Uuid,
    ) -> Result<Option<ProjectRole>, RepoError> {
        let Scope::Member(principal) = self else {
            return Ok(Some(ProjectRole::Editor));
        };
        let role: Option<String> = Entity::find()
            .select_only()
            .column(Column::Role)
            .filter(Column::PrincipalId.eq(principal))
            .filter(Column::ProjectId.eq(project))
            .filter(Column::DeletedAt.is_null())
            .into_tuple()
            .one(db)
            .await?;
        role.map(|r| crate::repo::parse_enum(&r, "project_members.role"))
            .transpose()
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
pub(crate) async fn check_owner(
    db: &impl ConnectionTrait,
    scope: Scope,
    owner: Owner,
    creating: bool,
) -> Result<(), RepoError> {
    if scope == Scope::All {
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
                let role = match project {
                    Some(p) => scope.role_in(db, p).await?,
                    None => None,
                };
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

/// `id IN (subquery)` over a column, for the `within` conditions.
pub(crate) fn in_projects(
    column: impl ColumnTrait,
    projects: SelectStatement,
) -> sea_orm::Condition {
    sea_orm::Condition::all().add(column.in_subquery(projects))
}

/// `column IN (SELECT id FROM activities WHERE project_id IN projects)`.
pub(crate) fn in_activities_of(
    column: impl ColumnTrait,
    projects: SelectStatement,
) -> sea_orm::Condition {
    use crate::entities::activities;
    let sub = Query::select()
        .column(activities::Column::Id)
        .from(activities::Entity)
        .and_where(Expr::col(activities::Column::ProjectId).in_subquery(projects))
        .to_owned();
    sea_orm::Condition::all().add(column.in_subquery(sub))
}
