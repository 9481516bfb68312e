//! Organisations: CRUD, filters, and the reference checks that guard deletes.

use crate::Connection;
use std::collections::HashSet;

use rihla_domain::organisation::ORGANISATION_SORT_KEYS;
use rihla_domain::{
    FieldError, Organisation, OrganisationInput, OrganisationListParams, OrganisationSortKey, Page,
    Reference, Sort,
};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::parse_enum;
use super::resource::{Editable, Resource, Unique};
use crate::entities::{organisations, project_participants, projects};
use crate::keyset::{self, KeyKind, SortColumn, timestamp_key};
use crate::{Actor, RepoError, WriteConn};

use organisations::{Column, Entity};

fn to_domain(m: organisations::Model) -> Result<Organisation, RepoError> {
    Ok(Organisation {
        kind: parse_enum(&m.kind, "organisations.kind")?,
        id: m.id,
        name: m.name,
        acronym: m.acronym,
        country_code: m.country_code,
        parent_id: m.parent_id,
        iati_org_ref: m.iati_org_ref,
        created_at: m.created_at,
        updated_at: m.updated_at,
        created_by: m.created_by,
        updated_by: m.updated_by,
        version: m.version,
        deleted_at: m.deleted_at,
        deleted_by: m.deleted_by,
    })
}

/// Organisations: shared reference data every project and dialogue names.
pub struct Organisations;

fn sort_column(key: OrganisationSortKey) -> SortColumn<Column> {
    let (column, kind) = match key {
        OrganisationSortKey::Name => (Column::Name, KeyKind::Text),
        OrganisationSortKey::Kind => (Column::Kind, KeyKind::Text),
        OrganisationSortKey::CreatedAt => (Column::CreatedAt, KeyKind::Timestamp),
        OrganisationSortKey::UpdatedAt => (Column::UpdatedAt, KeyKind::Timestamp),
    };
    SortColumn {
        column,
        kind,
        nullable: false,
    }
}

/// Shared reference data: every caller reads all of it, so `_scope` (taken
/// like every list's) narrows nothing.
pub async fn list(
    db: &impl Connection,
    _scope: crate::Scope,
    p: &OrganisationListParams,
) -> Result<Page<Organisation>, RepoError> {
    let (key, req) = keyset::list_request(
        p,
        Sort {
            key: OrganisationSortKey::Name,
            descending: false,
        },
        ORGANISATION_SORT_KEYS,
        sort_column,
    )?;
    let mut select = super::listed::<Entity>(p);
    if let Some(kind) = p.kind {
        select = select.filter(Column::Kind.eq(kind.as_str()));
    }
    if let Some(cc) = &p.country_code {
        select = select.filter(Column::CountryCode.eq(cc.to_uppercase()));
    }
    if let Some(parent) = p.parent_id {
        select = select.filter(Column::ParentId.eq(parent));
    }
    if let Some(q) = super::text_search(p.q.as_deref(), &[Column::Name, Column::Acronym]) {
        select = select.filter(q);
    }
    let (rows, next_cursor, total) = keyset::fetch_page(db, select, Column::Id, req, |m| {
        let v = match key {
            OrganisationSortKey::Name => m.name.clone(),
            OrganisationSortKey::Kind => m.kind.clone(),
            OrganisationSortKey::CreatedAt => timestamp_key(&m.created_at),
            OrganisationSortKey::UpdatedAt => timestamp_key(&m.updated_at),
        };
        (Some(v), m.id)
    })
    .await?;
    Ok(Page {
        items: rows.into_iter().map(to_domain).collect::<Result<_, _>>()?,
        next_cursor,
        total,
    })
}

/// Which of `ids` exist, in one query.
pub async fn existing_ids(db: &impl Connection, ids: &[Uuid]) -> Result<HashSet<Uuid>, RepoError> {
    super::existing::<Entity>(db, ids).await
}

/// The organisations with these ids, deleted ones included (a record that
/// names one still names it), in no particular order.
pub async fn by_ids(db: &impl Connection, ids: &[Uuid]) -> Result<Vec<Organisation>, RepoError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Entity::find()
        .filter(Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(to_domain)
        .collect()
}

async fn check_input(
    db: &impl Connection,
    id: Option<Uuid>,
    input: &OrganisationInput,
) -> Result<(), RepoError> {
    if let Some(parent) = input.parent_id {
        if !existing_ids(db, &[parent]).await?.contains(&parent) {
            return Err(RepoError::Invalid(vec![FieldError::new(
                "parent_id",
                "not_found",
                format!("organisation {parent} does not exist"),
            )]));
        }
        // Walk up from the new parent: meeting `id` on the way would close a
        // cycle. The depth bound stops a walk through rows damaged by hand.
        if let Some(id) = id {
            let mut next = Some(parent);
            for _ in 0..64 {
                let Some(current) = next else { break };
                if current == id {
                    return Err(RepoError::Invalid(vec![FieldError::new(
                        "parent_id",
                        "cycle",
                        "this parent would make the organisation its own ancestor",
                    )]));
                }
                next = Entity::find_by_id(current)
                    .one(db)
                    .await?
                    .and_then(|row| row.parent_id);
            }
        }
    }
    Ok(())
}

/// The columns a client controls, shared by create and replace.
fn columns(input: &OrganisationInput) -> organisations::ActiveModel {
    organisations::ActiveModel {
        name: Set(input.name.clone()),
        acronym: Set(input.acronym.clone()),
        kind: Set(input.kind.as_str().to_owned()),
        country_code: Set(input.country_code.clone()),
        parent_id: Set(input.parent_id),
        iati_org_ref: Set(input.iati_org_ref.clone()),
        ..Default::default()
    }
}

/// Records that point at organisation `id`, at most `limit` of each kind.
pub async fn references(
    db: &impl Connection,
    id: Uuid,
    limit: u64,
) -> Result<Vec<Reference>, RepoError> {
    let project_ids: Vec<Uuid> = project_participants::Entity::find()
        .select_only()
        .column(project_participants::Column::ProjectId)
        .distinct()
        .filter(project_participants::Column::OrganisationId.eq(id))
        .filter(
            project_participants::Column::ProjectId
                .in_subquery(super::live_ids::<projects::Entity>()),
        )
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    let mut refs = Vec::new();
    if !project_ids.is_empty() {
        let rows: Vec<(Uuid, String)> = projects::Entity::find()
            .select_only()
            .column(projects::Column::Id)
            .column(projects::Column::Code)
            .filter(projects::Column::Id.is_in(project_ids))
            .into_tuple()
            .all(db)
            .await?;
        refs.extend(rows.into_iter().map(|(id, code)| Reference {
            resource: "projects".into(),
            id,
            label: code,
        }));
    }
    let children: Vec<(Uuid, String)> = Entity::find()
        .select_only()
        .column(Column::Id)
        .column(Column::Name)
        .filter(Column::ParentId.eq(id))
        .filter(super::live::<Entity>())
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    refs.extend(children.into_iter().map(|(id, name)| Reference {
        resource: "organisations".into(),
        id,
        label: name,
    }));
    refs.extend(super::activities::with_organisation(db, id, limit).await?);
    refs.extend(super::dialogues::with_organisation(db, id, limit).await?);
    refs.extend(super::delegations::with_organisation(db, id, limit).await?);
    refs.extend(super::documents::with_organisation(db, id, limit).await?);
    Ok(refs)
}

/// The organisation named exactly `name`, if any.
pub async fn id_by_name(db: &impl Connection, name: &str) -> Result<Option<Uuid>, RepoError> {
    super::find_id::<Entity>(
        db,
        Column::Id,
        sea_orm::Condition::all().add(Column::Name.eq(name)),
    )
    .await
}

impl Resource for Organisations {
    type Entity = Entity;
    type Record = Organisation;
    const UNIQUE: &'static [Unique] = &[Unique {
        index: "ux_organisations_name",
        column: "organisations.name",
        field: "name",
    }];

    async fn load(
        db: &impl Connection,
        id: Uuid,
        lock: bool,
        include_deleted: bool,
    ) -> Result<Organisation, RepoError> {
        to_domain(super::row_in::<Entity>(db, id, lock, include_deleted).await?)
    }

    async fn recheck(db: &impl Connection, record: &Organisation) -> Result<(), RepoError> {
        check_input(db, Some(record.id), &OrganisationInput::from(record)).await
    }

    fn label(record: &Organisation) -> String {
        format!("organisation {:?}", record.name)
    }

    async fn referrers(
        db: &impl Connection,
        id: Uuid,
        limit: u64,
    ) -> Result<Vec<Reference>, RepoError> {
        references(db, id, limit).await
    }
}

impl Editable for Organisations {
    type Input = OrganisationInput;

    async fn check(
        db: &impl Connection,
        current: Option<&Organisation>,
        input: &OrganisationInput,
    ) -> Result<(), RepoError> {
        check_input(db, current.map(|c| c.id), input).await
    }

    async fn insert(
        db: &impl WriteConn,
        actor: &Actor,
        input: &OrganisationInput,
    ) -> Result<Organisation, RepoError> {
        let (_, row) = super::new_row::<Entity>(columns(input), actor);
        to_domain(Entity::insert(row).exec_with_returning(db).await?)
    }

    async fn write(
        db: &impl WriteConn,
        actor: &Actor,
        current: &Organisation,
        input: &OrganisationInput,
    ) -> Result<Organisation, RepoError> {
        super::write_version::<Entity>(db, actor, columns(input), current.id, current.version)
            .await?;
        Self::load(db, current.id, false, false).await
    }
}
