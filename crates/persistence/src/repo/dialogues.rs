//! Dialogues with their regions and focal point.

use crate::Connection;
use std::collections::HashMap;

use rihla_domain::{
    Dialogue, DialogueInput, DialogueListParams, DialogueSortKey, FieldError, FocalPoint, Page,
    ResourceType,
};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::resource::{self, Access, Editable, Held, Link, Resource, Unique};
use super::{dangling, existing, parse_enum};
use crate::entities::{dialogue_regions, dialogues, organisations};
use crate::scope::{Owner, Reach};
use crate::{Actor, RepoError, WriteConn};

use dialogues::{Column, Entity};

async fn load_regions(
    db: &impl Connection,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<String>>, RepoError> {
    let mut map: HashMap<Uuid, Vec<String>> = HashMap::new();
    if ids.is_empty() {
        return Ok(map);
    }
    let rows = dialogue_regions::Entity::find()
        .filter(dialogue_regions::Column::DialogueId.is_in(ids.iter().copied()))
        .order_by_asc(dialogue_regions::Column::DialogueId)
        .order_by_asc(dialogue_regions::Column::Position)
        .all(db)
        .await?;
    for r in rows {
        map.entry(r.dialogue_id).or_default().push(r.value);
    }
    Ok(map)
}

fn to_domain(m: dialogues::Model, regions: Vec<String>) -> Result<Dialogue, RepoError> {
    let focal_point = match m.focal_point_name {
        Some(name) => Some(FocalPoint {
            name,
            position: m.focal_point_position,
            organisation_id: m.focal_point_organisation_id,
        }),
        None => None,
    };
    Ok(Dialogue {
        kind: parse_enum(&m.kind, "dialogues.kind")?,
        participation_status: m
            .participation_status
            .as_deref()
            .map(|v| parse_enum(v, "dialogues.participation_status"))
            .transpose()?,
        id: m.id,
        name: m.name,
        acronym: m.acronym,
        regions,
        description: m.description,
        established_year: m.established_year,
        secretariat_organisation_id: m.secretariat_organisation_id,
        website: m.website,
        focal_point,
        created_at: m.created_at,
        updated_at: m.updated_at,
        created_by: m.created_by,
        updated_by: m.updated_by,
        version: m.version,
        deleted_at: m.deleted_at,
        deleted_by: m.deleted_by,
    })
}

async fn assemble(
    db: &impl Connection,
    rows: Vec<dialogues::Model>,
) -> Result<Vec<Dialogue>, RepoError> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut regions = load_regions(db, &ids).await?;
    rows.into_iter()
        .map(|m| {
            let r = regions.remove(&m.id).unwrap_or_default();
            to_domain(m, r)
        })
        .collect()
}

/// Dialogues: shared reference data, with their regions and focal point.
pub struct Dialogues;

/// Shared reference data: every caller reads all of it, so `scope` (taken
/// like every list's) narrows nothing.
pub async fn list(
    db: &impl Connection,
    scope: crate::Scope,
    p: &DialogueListParams,
) -> Result<Page<Dialogue>, RepoError> {
    let (mut select, _, req) = resource::list::<Dialogues, DialogueSortKey>(&scope, p)?;
    if let Some(kind) = p.kind {
        select = select.filter(Column::Kind.eq(kind.as_str()));
    }
    if let Some(status) = p.participation_status {
        select = select.filter(Column::ParticipationStatus.eq(status.as_str()));
    }
    if let Some(region) = &p.region {
        let sub = Query::select()
            .column(dialogue_regions::Column::DialogueId)
            .from(dialogue_regions::Entity)
            .and_where(dialogue_regions::Column::Value.eq(region.as_str()))
            .to_owned();
        select = select.filter(Column::Id.in_subquery(sub));
    }
    if let Some(q) = super::text_search(
        p.q.as_deref(),
        &[Column::Name, Column::Acronym, Column::Description],
    ) {
        select = select.filter(q);
    }
    resource::page::<Dialogues>(db, select, req).await
}

/// The organisations it names exist.
async fn check(db: &impl Connection, input: &DialogueInput) -> Result<(), RepoError> {
    let mut refs = Vec::new();
    if let Some(org) = input.secretariat_organisation_id {
        refs.push(("secretariat_organisation_id".to_owned(), org));
    }
    if let Some(org) = input.focal_point.as_ref().and_then(|f| f.organisation_id) {
        refs.push(("focal_point.organisation_id".to_owned(), org));
    }
    let ids: Vec<Uuid> = refs.iter().map(|(_, id)| *id).collect();
    let found = existing::<organisations::Entity>(db, &ids).await?;
    let errors: Vec<FieldError> = dangling(&refs, &found, "organisation");
    if !errors.is_empty() {
        return Err(RepoError::Invalid(errors));
    }
    Ok(())
}

async fn write_regions(
    db: &impl Connection,
    id: Uuid,
    input: &DialogueInput,
) -> Result<(), RepoError> {
    let rows: Vec<_> = input
        .regions
        .iter()
        .enumerate()
        .map(|(i, v)| dialogue_regions::ActiveModel {
            dialogue_id: Set(id),
            position: Set(i as i32),
            value: Set(v.clone()),
        })
        .collect();
    super::write_rows(db, (dialogue_regions::Column::DialogueId, id), true, rows).await
}

/// The columns a client controls, shared by create and replace.
fn columns(input: &DialogueInput) -> dialogues::ActiveModel {
    let focal = input.focal_point.as_ref();
    super::record_row!(dialogues {
        name: Set(input.name.clone()),
        acronym: Set(input.acronym.clone()),
        kind: Set(input.kind.as_str().to_owned()),
        description: Set(input.description.clone()),
        established_year: Set(input.established_year),
        secretariat_organisation_id: Set(input.secretariat_organisation_id),
        website: Set(input.website.clone()),
        participation_status: Set(input.participation_status.map(|s| s.as_str().to_owned())),
        focal_point_name: Set(focal.map(|f| f.name.clone())),
        focal_point_position: Set(focal.and_then(|f| f.position.clone())),
        focal_point_organisation_id: Set(focal.and_then(|f| f.organisation_id)),
    })
}

/// The names of dialogues `ids`, for delegation reads.
pub(crate) async fn names(
    db: &impl Connection,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, String>, RepoError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Uuid, String)> = Entity::find()
        .select_only()
        .column(Column::Id)
        .column(Column::Name)
        .filter(Column::Id.is_in(ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// The dialogue named exactly `name`, if any.
pub async fn id_by_name(db: &impl Connection, name: &str) -> Result<Option<Uuid>, RepoError> {
    super::find_id::<Entity>(db, Column::Id, Condition::all().add(Column::Name.eq(name))).await
}

impl Resource for Dialogues {
    type Entity = Entity;
    type Row = dialogues::Model;
    type Record = Dialogue;
    const UNIQUE: &'static [Unique] = &[Unique {
        index: "ux_dialogues_name",
        column: "dialogues.name",
        field: "name",
    }];

    /// Meetings and activities that refer to the dialogue block its delete.
    const LINKS: &'static [Link] = &[
        Link::child("dialogue_regions", "dialogue_id"),
        Link::referrer(ResourceType::Meeting, "dialogue_meetings", "dialogue_id"),
        // The first of an activity's dialogues, kept for older clients.
        Link::referrer(ResourceType::Activity, "activities", "dialogue_id"),
        Link::referrer_via(
            ResourceType::Activity,
            "activity_dialogues",
            "dialogue_id",
            "activity_id",
        ),
    ];
    const LABEL: Column = Column::Name;

    fn access(_reach: &Reach) -> Access<Condition> {
        Access::Shared
    }

    async fn assemble(
        db: &impl Connection,
        rows: Vec<dialogues::Model>,
    ) -> Result<Vec<Dialogue>, RepoError> {
        assemble(db, rows).await
    }

    fn label(record: &Dialogue) -> String {
        format!("dialogue {:?}", record.name)
    }

    fn held(_record: &Dialogue) -> Held {
        Held::Shared
    }
}

impl Editable for Dialogues {
    type Input = DialogueInput;

    async fn check(
        db: &impl Connection,
        input: &DialogueInput,
        _current: Option<&Dialogue>,
    ) -> Result<(), RepoError> {
        check(db, input).await
    }

    async fn owner(_db: &impl Connection, _input: &DialogueInput) -> Result<Owner, RepoError> {
        Ok(Owner::Shared)
    }

    async fn insert(
        db: &impl WriteConn,
        actor: &Actor,
        input: &DialogueInput,
    ) -> Result<Dialogue, RepoError> {
        let (id, row) = super::new_row::<Entity>(columns(input), actor);
        Entity::insert(row).exec_without_returning(db).await?;
        write_regions(db, id, input).await?;
        resource::load::<Self>(db, id, false, false).await
    }

    async fn write(
        db: &impl WriteConn,
        actor: &Actor,
        current: &Dialogue,
        input: &DialogueInput,
    ) -> Result<Dialogue, RepoError> {
        let id = current.id;
        super::write_version::<Entity>(db, actor, columns(input), id, current.version).await?;
        write_regions(db, id, input).await?;
        resource::load::<Self>(db, id, false, false).await
    }
}
