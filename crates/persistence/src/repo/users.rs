//! Users: accounts, roles, and the rule that one active admin always remains.

use crate::Connection;
use rihla_domain::paging::CreatedAtKey;
use rihla_domain::{Page, Role, User, UserListParams, UserPatch};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::resource::{self, Held, Link, Recheck, Resource, Unique};
use super::{audit, parse_enum};
use crate::entities::users::{self, Column, Entity};
use crate::error::check_version;
use crate::scope::{Reach, Scope};
use crate::{Actor, RepoError, now};

/// A user with the fields only authentication needs.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub user: User,
    pub password_hash: String,
}

fn to_domain(m: users::Model) -> Result<User, RepoError> {
    Ok(User {
        role: parse_enum(&m.role, "users.role")?,
        id: m.id,
        email: m.email,
        display_name: m.display_name,
        active: m.active,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
        deleted_at: m.deleted_at,
        deleted_by: m.deleted_by,
    })
}

pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

pub async fn count(db: &impl Connection) -> Result<u64, RepoError> {
    Ok(Entity::find()
        .filter(super::live::<Entity>())
        .count(db)
        .await?)
}

pub async fn get(db: &impl Connection, id: Uuid) -> Result<User, RepoError> {
    to_domain(super::row::<Entity>(db, id, false).await?)
}

/// A user even if deleted (admins' `include_deleted`).
pub async fn get_any(db: &impl Connection, id: Uuid) -> Result<User, RepoError> {
    to_domain(super::row_in::<Entity>(db, id, false, true).await?)
}

pub async fn credentials_by_email(
    db: &impl Connection,
    email: &str,
) -> Result<Option<Credentials>, RepoError> {
    let row = Entity::find()
        .filter(Column::Email.eq(normalise_email(email)))
        .filter(super::live::<Entity>())
        .one(db)
        .await?;
    row.map(|m| {
        let password_hash = m.password_hash.clone();
        to_domain(m).map(|user| Credentials {
            user,
            password_hash,
        })
    })
    .transpose()
}

/// The stored password hash of a live user (a password change checks the
/// current one against it).
pub async fn password_hash(db: &impl Connection, id: Uuid) -> Result<Option<String>, RepoError> {
    Ok(Entity::find_by_id(id)
        .filter(super::live::<Entity>())
        .select_only()
        .column(Column::PasswordHash)
        .into_tuple()
        .one(db)
        .await?)
}

pub async fn list(db: &impl Connection, p: &UserListParams) -> Result<Page<User>, RepoError> {
    let (select, _, req) = resource::list::<Users, CreatedAtKey>(&Scope::All, p)?;
    let mut select = select;
    if let Some(role) = p.role {
        select = select.filter(Column::Role.eq(role.as_str()));
    }
    if let Some(active) = p.active {
        select = select.filter(Column::Active.eq(active));
    }
    // Emails are stored lower-cased, so lower() changes nothing for them.
    if let Some(q) = super::text_search(p.q.as_deref(), &[Column::Email, Column::DisplayName]) {
        select = select.filter(q);
    }
    resource::page::<Users>(db, select, req).await
}

pub struct NewUser<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub active: bool,
    pub password_hash: String,
}

pub async fn create(
    db: &impl Connection,
    actor: &Actor,
    new: NewUser<'_>,
) -> Result<User, RepoError> {
    let email = normalise_email(new.email);
    let at = now();
    let model = Entity::insert(users::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(email),
        display_name: Set(new.display_name.trim().to_owned()),
        role: Set(new.role.as_str().to_owned()),
        active: Set(new.active),
        password_hash: Set(new.password_hash),
        created_at: Set(at),
        updated_at: Set(at),
        created_by: Set(actor.principal_id()),
        updated_by: Set(actor.principal_id()),
        version: Set(1),
        deleted_at: Set(None),
        deleted_by: Set(None),
        session_epoch: Set(0),
    })
    .exec_with_returning(db)
    .await?;
    let user = to_domain(model)?;
    audit::created(db, actor, &user).await?;
    Ok(user)
}

/// Active admins other than `except`, with their rows locked so two admins
/// demoting each other at once cannot both succeed.
async fn other_active_admins(db: &impl Connection, except: Uuid) -> Result<usize, RepoError> {
    let ids: Vec<Uuid> = Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(Column::Role.eq(Role::Admin.as_str()))
        .filter(Column::Active.eq(true))
        .filter(Column::Id.ne(except))
        .filter(super::live::<Entity>())
        .lock_exclusive()
        .into_tuple()
        .all(db)
        .await?;
    Ok(ids.len())
}

/// An admin cannot take away their own access: the request would lock out
/// the very caller making it (another admin can).
fn own_access() -> RepoError {
    RepoError::Conflict {
        message: "you cannot demote, deactivate or delete your own account; another admin can"
            .into(),
        errors: vec![],
        references: vec![],
    }
}

fn last_admin() -> RepoError {
    RepoError::Conflict {
        message: "this is the last active admin; make another user an active admin first".into(),
        errors: vec![],
        references: vec![],
    }
}

pub async fn update(
    db: &impl Connection,
    actor: &Actor,
    id: Uuid,
    patch: &UserPatch,
    expected_version: Option<i32>,
) -> Result<User, RepoError> {
    let current = super::row::<Entity>(db, id, true).await?;
    let before = to_domain(current.clone())?;
    check_version(expected_version, current.version)?;
    let was_active_admin = current.active && current.role == Role::Admin.as_str();
    let stays_active_admin = patch.active.unwrap_or(current.active)
        && patch
            .role
            .map(|r| r == Role::Admin)
            .unwrap_or(current.role == Role::Admin.as_str());
    if was_active_admin && !stays_active_admin {
        if actor.principal_id() == Some(id) {
            return Err(own_access());
        }
        if other_active_admins(db, id).await? == 0 {
            return Err(last_admin());
        }
    }
    let mut row = users::ActiveModel {
        updated_at: Set(now()),
        updated_by: Set(actor.principal_id()),
        version: Set(current.version + 1),
        ..Default::default()
    };
    if let Some(name) = &patch.display_name {
        row.display_name = Set(name.trim().to_owned());
    }
    if let Some(role) = patch.role {
        row.role = Set(role.as_str().to_owned());
    }
    if let Some(active) = patch.active {
        row.active = Set(active);
    }
    Entity::update_many()
        .set(row)
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    let role_changed = patch.role.is_some_and(|r| r.as_str() != current.role);
    if role_changed || patch.active.is_some_and(|a| a != current.active) {
        end_sessions(db, id).await?;
    }
    let after = get(db, id).await?;
    audit::updated(db, actor, &before, &after).await?;
    Ok(after)
}

pub async fn set_password(
    db: &impl Connection,
    actor: &Actor,
    id: Uuid,
    password_hash: String,
) -> Result<(), RepoError> {
    let current = super::row::<Entity>(db, id, true).await?;
    Entity::update_many()
        .col_expr(Column::PasswordHash, Expr::val(password_hash))
        .col_expr(Column::UpdatedAt, Expr::val(now()))
        .col_expr(Column::UpdatedBy, Expr::val(actor.principal_id()))
        .col_expr(Column::Version, Expr::val(current.version + 1))
        .col_expr(Column::SessionEpoch, Expr::col(Column::SessionEpoch).add(1))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    // The hash itself never reaches the audit trail.
    audit::fields(
        db,
        actor,
        rihla_domain::ResourceType::User,
        id,
        current.version + 1,
        audit::password_changed(),
    )
    .await
}

/// Soft delete: the user can no longer log in and their email is free for a
/// new account; the caller revokes their sessions in the same transaction.
pub async fn delete(
    db: &impl Connection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
) -> Result<(), RepoError> {
    let current = super::row::<Entity>(db, id, true).await?;
    check_version(expected_version, current.version)?;
    if actor.principal_id() == Some(id) {
        return Err(own_access());
    }
    if current.active
        && current.role == Role::Admin.as_str()
        && other_active_admins(db, id).await? == 0
    {
        return Err(last_admin());
    }
    end_sessions(db, id).await?;
    resource::delete::<Users>(db, actor, id, Some(current.version)).await
}

/// What an access token's subject may do now: read on every request (through
/// the API's short cache), so a deactivated user's tokens stop working at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    pub role: Role,
    pub active: bool,
    /// Access tokens carry the epoch they were issued under; one from an
    /// older epoch is refused.
    pub session_epoch: i32,
}

pub async fn access(db: &impl Connection, id: Uuid) -> Result<Option<Access>, RepoError> {
    let row: Option<(String, bool, i32)> = Entity::find_by_id(id)
        .filter(super::live::<Entity>())
        .select_only()
        .column(Column::Role)
        .column(Column::Active)
        .column(Column::SessionEpoch)
        .into_tuple()
        .one(db)
        .await?;
    row.map(|(role, active, session_epoch)| {
        parse_enum(&role, "users.role").map(|role| Access {
            role,
            active,
            session_epoch,
        })
    })
    .transpose()
}

/// Ends every access token issued to the user so far (logout, a password
/// change or reset, deactivation, deletion, a role change). Counts even on a
/// deleted row, so a restore does not bring old tokens back.
pub async fn end_sessions(db: &impl Connection, id: Uuid) -> Result<(), RepoError> {
    Entity::update_many()
        .col_expr(Column::SessionEpoch, Expr::col(Column::SessionEpoch).add(1))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Users: who may call the API. Written through their own routes (a
/// password is no field of the record), deleted and restored through the
/// generic operations.
pub struct Users;

impl Resource for Users {
    type Entity = Entity;
    type Row = users::Model;
    type Record = User;
    const UNIQUE: &'static [Unique] = &[Unique {
        index: "ux_users_email",
        column: "users.email",
        field: "email",
    }];

    /// Refresh tokens go with the user.
    const LINKS: &'static [Link] = &[Link::child("refresh_tokens", "user_id")];
    const LABEL: Column = Column::Email;

    fn access(_reach: &Reach) -> resource::Access<Condition> {
        resource::Access::Admins
    }

    async fn assemble(
        _db: &impl Connection,
        rows: Vec<users::Model>,
    ) -> Result<Vec<User>, RepoError> {
        rows.into_iter().map(to_domain).collect()
    }

    fn label(record: &User) -> String {
        format!("user {:?}", record.email)
    }

    fn held(_record: &User) -> Held {
        Held::Shared
    }
}

impl Recheck for Users {
    /// A user refers to nothing; the email is the unique index's to check.
    async fn recheck(_db: &impl Connection, _record: &User) -> Result<(), RepoError> {
        Ok(())
    }
}
