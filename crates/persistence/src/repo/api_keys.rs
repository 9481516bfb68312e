//! API keys. Only a key's SHA-256 hash is stored (the secret holds 256
//! random bits, so a slow hash would add nothing but latency to every call).
//! Revocation is the soft delete and is final: there is no restore.

use crate::Connection;
use chrono::{DateTime, Utc};
use rihla_domain::paging::CreatedAtKey;
use rihla_domain::{ApiKey, ApiKeyListParams, Page, Role};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::resource::{self, Access, Held, Link, Resource, Unique};
use super::{audit, parse_enum};
use crate::entities::api_keys::{self, Column, Entity};
use crate::scope::{Reach, Scope};
use crate::{Actor, RepoError, now};

/// API keys: what integrating systems authenticate with.
pub struct ApiKeys;

/// `last_used_at` is written at most this often per key, so a busy key
/// does not turn every read into a write.
pub const LAST_USED_RESOLUTION: chrono::Duration = chrono::Duration::seconds(60);

fn to_domain(m: api_keys::Model) -> Result<ApiKey, RepoError> {
    Ok(ApiKey {
        role: parse_enum(&m.role, "api_keys.role")?,
        id: m.id,
        name: m.name,
        prefix: m.prefix,
        expires_at: m.expires_at,
        last_used_at: m.last_used_at,
        created_at: m.created_at,
        created_by: m.created_by,
        updated_at: m.updated_at,
        version: m.version,
        deleted_at: m.deleted_at,
        deleted_by: m.deleted_by,
    })
}

pub struct NewKey<'a> {
    pub name: &'a str,
    pub role: Role,
    pub expires_at: Option<DateTime<Utc>>,
    pub prefix: String,
    pub secret_hash: String,
}

pub async fn create(
    db: &impl Connection,
    actor: &Actor,
    new: NewKey<'_>,
) -> Result<ApiKey, RepoError> {
    let (id, row) = super::new_row::<Entity>(
        api_keys::ActiveModel {
            name: Set(new.name.trim().to_owned()),
            role: Set(new.role.as_str().to_owned()),
            prefix: Set(new.prefix),
            secret_hash: Set(new.secret_hash),
            expires_at: Set(new.expires_at),
            last_used_at: Set(None),
            ..Default::default()
        },
        actor,
    );
    Entity::insert(row).exec_without_returning(db).await?;
    let key = resource::load::<ApiKeys>(db, id, false, false).await?;
    audit::created(db, actor, &key).await?;
    Ok(key)
}

/// Gives a live key a new secret; the old one stops working with the commit.
pub async fn rotate(
    db: &impl Connection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    prefix: String,
    secret_hash: String,
) -> Result<ApiKey, RepoError> {
    let before = resource::get_for_update::<ApiKeys>(db, actor, id).await?;
    crate::check_version(expected_version, before.version)?;
    super::write_version::<Entity>(
        db,
        actor,
        api_keys::ActiveModel {
            prefix: Set(prefix),
            secret_hash: Set(secret_hash),
            ..Default::default()
        },
        id,
        before.version,
    )
    .await?;
    let after = resource::load::<ApiKeys>(db, id, false, false).await?;
    audit::updated(db, actor, &before, &after).await?;
    Ok(after)
}

/// The live, unexpired key with this secret hash, if any: read on every
/// request a key makes, so a revocation or an expiry counts at once on every
/// instance.
pub async fn authenticate(
    db: &impl Connection,
    secret_hash: &str,
) -> Result<Option<ApiKey>, RepoError> {
    let at = now();
    let row = Entity::find()
        .filter(Column::SecretHash.eq(secret_hash))
        .filter(super::live::<Entity>())
        .filter(Column::ExpiresAt.is_null().or(Column::ExpiresAt.gt(at)))
        .one(db)
        .await?;
    row.map(to_domain).transpose()
}

/// Records a use of the key, unless one was recorded within
/// `LAST_USED_RESOLUTION` (then nothing is written).
pub async fn touch(db: &impl Connection, id: Uuid) -> Result<(), RepoError> {
    let at = now();
    Entity::update_many()
        .col_expr(Column::LastUsedAt, Expr::val(at))
        .filter(Column::Id.eq(id))
        .filter(
            Column::LastUsedAt
                .is_null()
                .or(Column::LastUsedAt.lt(at - LAST_USED_RESOLUTION)),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// Whether a use must be recorded (the read path checks before writing).
pub fn needs_touch(key: &ApiKey) -> bool {
    key.last_used_at
        .is_none_or(|t| t < now() - LAST_USED_RESOLUTION)
}

pub async fn list(db: &impl Connection, p: &ApiKeyListParams) -> Result<Page<ApiKey>, RepoError> {
    let (select, _, req) = resource::list::<ApiKeys, CreatedAtKey>(&Scope::All, p)?;
    let mut select = select;
    if let Some(q) = super::text_search(p.q.as_deref(), &[Column::Name, Column::Prefix]) {
        select = select.filter(q);
    }
    resource::page::<ApiKeys>(db, select, req).await
}

impl Resource for ApiKeys {
    type Entity = Entity;
    type Row = api_keys::Model;
    type Record = ApiKey;
    const UNIQUE: &'static [Unique] = &[Unique {
        index: "ux_api_keys_secret_hash",
        column: "api_keys.secret_hash",
        field: "secret",
    }];

    const LINKS: &'static [Link] = &[];
    const LABEL: Column = Column::Name;

    fn access(_reach: &Reach) -> Access<Condition> {
        Access::Admins
    }

    async fn assemble(
        _db: &impl Connection,
        rows: Vec<api_keys::Model>,
    ) -> Result<Vec<ApiKey>, RepoError> {
        rows.into_iter().map(to_domain).collect()
    }

    fn label(record: &ApiKey) -> String {
        format!("API key {:?}", record.name)
    }

    fn held(_record: &ApiKey) -> Held {
        Held::Shared
    }
}
