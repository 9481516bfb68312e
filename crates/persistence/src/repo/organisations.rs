//! Organisations: CRUD, filters, and the reference checks that guard deletes.

use crate::Connection;
use std::collections::HashSet;

use rihla_domain::{
    FieldError, Organisation, OrganisationInput, OrganisationListParams, OrganisationSortKey, Page,
    ResourceType,
};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::parse_enum;
use super::resource::{self, Access, Editable, Held, Link, Resource, Unique};
use crate::entities::organisations;
use crate::scope::{Owner, Reach};
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

/// Shared reference data: every caller reads all of it, so `scope` (taken
/// like every list's) narrows nothing.
pub async fn list(
    db: &impl Connection,
    scope: crate::Scope,
    p: &OrganisationListParams,
) -> Result<Page<Organisation>, RepoError> {
    let (mut select, _, req) = resource::list::<Organisations, OrganisationSortKey>(&scope, p)?;
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
    resource::page::<Organisations>(db, select, req).await
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

/// Its parent exists and is not the organisation itself or below it.
async fn check(
    db: &impl Connection,
    input: &OrganisationInput,
    current: Option<&Organisation>,
) -> Result<(), RepoError> {
    let id = current.map(|c| c.id);
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
    super::record_row!(organisations {
        name: Set(input.name.clone()),
        acronym: Set(input.acronym.clone()),
        kind: Set(input.kind.as_str().to_owned()),
        country_code: Set(input.country_code.clone()),
        parent_id: Set(input.parent_id),
        iati_org_ref: Set(input.iati_org_ref.clone()),
    })
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
    type Row = organisations::Model;
    type Record = Organisation;
    const UNIQUE: &'static [Unique] = &[Unique {
        index: "ux_organisations_name",
        column: "organisations.name",
        field: "name",
    }];

    /// Every record that names an organisation blocks its delete.
    const LINKS: &'static [Link] = &[
        Link::referrer(ResourceType::Organisation, "organisations", "parent_id"),
        Link::referrer_via(
            ResourceType::Project,
            "project_participants",
            "organisation_id",
            "project_id",
        ),
        Link::referrer(
            ResourceType::Dialogue,
            "dialogues",
            "secretariat_organisation_id",
        ),
        Link::referrer(
            ResourceType::Dialogue,
            "dialogues",
            "focal_point_organisation_id",
        ),
        Link::referrer_via(
            ResourceType::Activity,
            "activity_organisations",
            "organisation_id",
            "activity_id",
        ),
        // A facilitator's organisation, held as a tag of the activity.
        Link::tagged(
            ResourceType::Activity,
            "activity_tags",
            "value",
            "activity_id",
            ("kind", super::activities::TAG_FACILITATOR_ORG),
        ),
        Link::referrer(
            ResourceType::Delegation,
            "delegations",
            "lead_organisation_id",
        ),
        Link::referrer_via(
            ResourceType::Delegation,
            "delegation_members",
            "organisation_id",
            "delegation_id",
        ),
        Link::referrer_via(
            ResourceType::Document,
            "document_organisations",
            "organisation_id",
            "document_id",
        ),
    ];
    const LABEL: Column = Column::Name;

    fn access(_reach: &Reach) -> Access<Condition> {
        Access::Shared
    }

    async fn assemble(
        _db: &impl Connection,
        rows: Vec<organisations::Model>,
    ) -> Result<Vec<Organisation>, RepoError> {
        rows.into_iter().map(to_domain).collect()
    }

    fn label(record: &Organisation) -> String {
        format!("organisation {:?}", record.name)
    }

    fn held(_record: &Organisation) -> Held {
        Held::Shared
    }
}

impl Editable for Organisations {
    type Input = OrganisationInput;

    async fn check(
        db: &impl Connection,
        input: &OrganisationInput,
        current: Option<&Organisation>,
    ) -> Result<(), RepoError> {
        check(db, input, current).await
    }

    async fn owner(_db: &impl Connection, _input: &OrganisationInput) -> Result<Owner, RepoError> {
        Ok(Owner::Shared)
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
        resource::load::<Self>(db, current.id, false, false).await
    }
}
