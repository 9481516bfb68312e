//! Project members: the users and API keys that reach a project's records
//! with a project role. Managed by organisation-wide editors and admins;
//! removal is the soft delete and takes effect on the member's next request.

use crate::Connection;
use rihla_domain::paging::CreatedAtKey;
use rihla_domain::{FieldError, MemberCreate, MemberListParams, Page, ProjectMember, ProjectRole};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::resource::{self, Access, Held, Link, Recheck, Resource, Unique};
use super::{audit, parse_enum};
use crate::entities::project_members::{self, Column, Entity};
use crate::entities::{api_keys, projects, users};
use crate::scope::{Reach, Scope};
use crate::{Actor, RepoError};

/// Project memberships.
pub struct Members;

const USER: &str = "user";
const API_KEY: &str = "api_key";

fn to_domain(m: project_members::Model) -> Result<ProjectMember, RepoError> {
    let (user_id, api_key_id) = match m.principal_type.as_str() {
        USER => (Some(m.principal_id), None),
        API_KEY => (None, Some(m.principal_id)),
        other => {
            return Err(RepoError::Corrupt(format!(
                "project_members.principal_type holds {other:?}"
            )));
        }
    };
    Ok(ProjectMember {
        role: parse_enum(&m.role, "project_members.role")?,
        id: m.id,
        project_id: m.project_id,
        user_id,
        api_key_id,
        created_at: m.created_at,
        updated_at: m.updated_at,
        created_by: m.created_by,
        version: m.version,
        deleted_at: m.deleted_at,
        deleted_by: m.deleted_by,
    })
}

/// 404 unless `project` is a live project `scope` reaches.
async fn project_in_scope(
    db: &impl Connection,
    scope: Scope,
    project: Uuid,
) -> Result<(), RepoError> {
    resource::get::<super::projects::Projects>(db, scope, project)
        .await
        .map(|_| ())
}

/// A membership of `project`: 404 if it belongs to another project.
pub async fn get(
    db: &impl Connection,
    scope: Scope,
    project: Uuid,
    id: Uuid,
    include_deleted: bool,
) -> Result<ProjectMember, RepoError> {
    project_in_scope(db, scope.clone(), project).await?;
    let member = if include_deleted {
        resource::get_any::<Members>(db, scope, id).await?
    } else {
        resource::get::<Members>(db, scope, id).await?
    };
    if member.project_id != project {
        return Err(RepoError::NotFound);
    }
    Ok(member)
}

pub async fn list(
    db: &impl Connection,
    scope: Scope,
    project: Uuid,
    p: &MemberListParams,
) -> Result<Page<ProjectMember>, RepoError> {
    project_in_scope(db, scope, project).await?;
    let (select, _, req) = resource::list::<Members, CreatedAtKey>(&Scope::All, p)?;
    let select = select.filter(Column::ProjectId.eq(project));
    resource::page::<Members>(db, select, req).await
}

/// Adds a member: the project, and the user or API key, must exist (422
/// naming the field otherwise); one live membership per member and project
/// (409).
pub async fn create(
    db: &impl Connection,
    actor: &Actor,
    project: Uuid,
    input: &MemberCreate,
) -> Result<ProjectMember, RepoError> {
    project_in_scope(db, Scope::of(db, actor).await?, project).await?;
    let (principal, kind, field) = match (input.user_id, input.api_key_id) {
        (Some(u), None) => (u, USER, "user_id"),
        (None, Some(k)) => (k, API_KEY, "api_key_id"),
        _ => {
            return Err(RepoError::Invalid(vec![FieldError::new(
                "user_id",
                "one_of",
                "name exactly one member: user_id or api_key_id",
            )]));
        }
    };
    let exists = if kind == USER {
        users::Entity::find_by_id(principal)
            .filter(users::Column::DeletedAt.is_null())
            .one(db)
            .await?
            .is_some()
    } else {
        api_keys::Entity::find_by_id(principal)
            .filter(api_keys::Column::DeletedAt.is_null())
            .one(db)
            .await?
            .is_some()
    };
    if !exists {
        return Err(RepoError::Invalid(vec![FieldError::new(
            field,
            "not_found",
            format!(
                "{field}: no such {}",
                if kind == USER { "user" } else { "API key" }
            ),
        )]));
    }
    let (id, row) = super::new_row::<Entity>(
        project_members::ActiveModel {
            project_id: Set(project),
            principal_id: Set(principal),
            principal_type: Set(kind.to_owned()),
            role: Set(input.role.as_str().to_owned()),
            ..Default::default()
        },
        actor,
    );
    Entity::insert(row).exec_without_returning(db).await?;
    let member = resource::load::<Members>(db, id, false, false).await?;
    audit::created(db, actor, &member).await?;
    Ok(member)
}

/// Changes a member's project role.
pub async fn set_role(
    db: &impl Connection,
    actor: &Actor,
    project: Uuid,
    id: Uuid,
    role: ProjectRole,
    expected_version: Option<i32>,
) -> Result<ProjectMember, RepoError> {
    let before = get(db, Scope::of(db, actor).await?, project, id, false).await?;
    let before = resource::load::<Members>(db, before.id, true, false).await?;
    crate::check_version(expected_version, before.version)?;
    super::write_version::<Entity>(
        db,
        actor,
        project_members::ActiveModel {
            role: Set(role.as_str().to_owned()),
            ..Default::default()
        },
        id,
        before.version,
    )
    .await?;
    let after = resource::load::<Members>(db, id, false, false).await?;
    audit::updated(db, actor, &before, &after).await?;
    Ok(after)
}

/// Removes a membership (soft delete): the member's next request no longer
/// reaches the project.
pub async fn remove(
    db: &impl Connection,
    actor: &Actor,
    project: Uuid,
    id: Uuid,
    expected_version: Option<i32>,
) -> Result<(), RepoError> {
    get(db, Scope::of(db, actor).await?, project, id, false).await?;
    resource::delete::<Members>(db, actor, id, expected_version).await
}

impl Resource for Members {
    type Entity = Entity;
    type Row = project_members::Model;
    type Record = ProjectMember;
    const UNIQUE: &'static [Unique] = &[Unique {
        index: "ux_project_members_principal",
        column: "project_members.principal_id",
        field: "user_id",
    }];

    const LINKS: &'static [Link] = &[];
    const LABEL: Column = Column::Role;

    fn access(reach: &Reach) -> Access<Condition> {
        Access::Projects(reach.projects(Column::ProjectId))
    }

    async fn assemble(
        _db: &impl Connection,
        rows: Vec<project_members::Model>,
    ) -> Result<Vec<ProjectMember>, RepoError> {
        rows.into_iter().map(to_domain).collect()
    }

    fn label(record: &ProjectMember) -> String {
        format!("membership {} of project {}", record.id, record.project_id)
    }

    fn held(record: &ProjectMember) -> Held {
        Held::Project(Some(record.project_id))
    }
}

impl Recheck for Members {
    /// A membership comes back only while its project is live.
    async fn recheck(db: &impl Connection, record: &ProjectMember) -> Result<(), RepoError> {
        let live = projects::Entity::find_by_id(record.project_id)
            .filter(projects::Column::DeletedAt.is_null())
            .one(db)
            .await?
            .is_some();
        if live {
            Ok(())
        } else {
            Err(RepoError::Invalid(vec![FieldError::new(
                "project_id",
                "not_found",
                "the project is deleted",
            )]))
        }
    }
}
