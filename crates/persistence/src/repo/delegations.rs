//! Delegations with their members, the meeting summary every read carries, and
//! the status workflow enforced on every update.

use crate::Connection;
use std::collections::HashMap;

use rihla_domain::{
    Delegation, DelegationInput, DelegationListParams, DelegationSortKey, DelegationStatus,
    MeetingSummary, Member, Page, Preparation, Reference,
};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::resource;
use crate::scope::{Owner, Reach, Scope};

use super::resource::{Access, Editable, Held, Link, Resource, Unique};
use super::{dangling, existing, from_json, parse_enum, to_json};
use crate::entities::{
    delegation_members, delegations, dialogue_meetings, organisations, projects,
};
use crate::{Actor, RepoError, WriteConn};

use delegations::{Column, Entity};

async fn load_members(
    db: &impl Connection,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Member>>, RepoError> {
    let mut map: HashMap<Uuid, Vec<Member>> = HashMap::new();
    if ids.is_empty() {
        return Ok(map);
    }
    let rows = delegation_members::Entity::find()
        .filter(delegation_members::Column::DelegationId.is_in(ids.iter().copied()))
        .order_by_asc(delegation_members::Column::DelegationId)
        .order_by_asc(delegation_members::Column::Position)
        .all(db)
        .await?;
    for m in rows {
        map.entry(m.delegation_id).or_default().push(Member {
            role: parse_enum(&m.role, "delegation_members.role")?,
            gender: parse_enum(&m.gender, "delegation_members.gender")?,
            name: m.name,
            position: m.job_title,
            organisation_id: m.organisation_id,
        });
    }
    Ok(map)
}

fn to_domain(
    m: delegations::Model,
    members: Vec<Member>,
    meeting: MeetingSummary,
) -> Result<Delegation, RepoError> {
    Ok(Delegation {
        status: parse_enum(&m.status, "delegations.status")?,
        support_provided: from_json(&m.support_provided, "delegations.support_provided")?,
        id: m.id,
        meeting_id: m.meeting_id,
        meeting,
        project_id: m.project_id,
        country_code: m.country_code,
        lead_organisation_id: m.lead_organisation_id,
        members,
        preparation: Preparation {
            talking_points: m.talking_points,
            statement: m.statement,
        },
        report: m.report,
        notes: m.notes,
        created_at: m.created_at,
        updated_at: m.updated_at,
        created_by: m.created_by,
        updated_by: m.updated_by,
        version: m.version,
        deleted_at: m.deleted_at,
        deleted_by: m.deleted_by,
    })
}

/// Members and meeting summaries for a page: one query per table.
async fn assemble(
    db: &impl Connection,
    rows: Vec<delegations::Model>,
) -> Result<Vec<Delegation>, RepoError> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let meeting_ids: Vec<Uuid> = rows.iter().map(|r| r.meeting_id).collect();
    let mut members = load_members(db, &ids).await?;
    let meetings = super::meetings::summaries(db, &meeting_ids).await?;
    rows.into_iter()
        .map(|m| {
            let meeting = meetings
                .get(&m.meeting_id)
                .cloned()
                .ok_or_else(|| RepoError::Corrupt(format!("delegation {} has no meeting", m.id)))?;
            let people = members.remove(&m.id).unwrap_or_default();
            to_domain(m, people, meeting)
        })
        .collect()
}

/// Delegations: who a country sends to a dialogue meeting, with their
/// members and their workflow.
pub struct Delegations;

pub async fn list(
    db: &impl Connection,
    scope: Scope,
    p: &DelegationListParams,
) -> Result<Page<Delegation>, RepoError> {
    let (mut select, _, req) = resource::list::<Delegations, DelegationSortKey>(&scope, p)?;
    if let Some(meeting) = p.meeting_id {
        select = select.filter(Column::MeetingId.eq(meeting));
    }
    if let Some(project) = p.project_id {
        select = select.filter(Column::ProjectId.eq(project));
    }
    if let Some(status) = p.status {
        select = select.filter(Column::Status.eq(status.as_str()));
    }
    if let Some(cc) = &p.country_code {
        select = select.filter(Column::CountryCode.eq(cc.to_uppercase()));
    }
    // Dialogue and date window are the meeting's: one subquery on meetings.
    let window = super::overlapping(
        (
            dialogue_meetings::Column::StartDate,
            dialogue_meetings::Column::EndDate,
        ),
        p.from,
        p.to,
    )?;
    if p.dialogue_id.is_some() || window.is_some() {
        let mut sub = Query::select()
            .column(dialogue_meetings::Column::Id)
            .from(dialogue_meetings::Entity)
            .to_owned();
        if let Some(dialogue) = p.dialogue_id {
            sub.and_where(dialogue_meetings::Column::DialogueId.eq(dialogue));
        }
        if let Some(window) = window {
            sub.cond_where(window);
        }
        select = select.filter(Column::MeetingId.in_subquery(sub));
    }
    resource::page::<Delegations>(db, select, req).await
}

/// `GET /dialogues/{id}/meetings/{meeting_id}/delegations`: 404 unless the
/// meeting belongs to the dialogue; the path replaces any meeting/dialogue filter.
pub async fn list_for_meeting(
    db: &impl Connection,
    scope: Scope,
    dialogue_id: Uuid,
    meeting_id: Uuid,
    p: &DelegationListParams,
) -> Result<Page<Delegation>, RepoError> {
    super::meetings::ensure_in_dialogue(
        db,
        dialogue_id,
        meeting_id,
        p.include_deleted == Some(true),
    )
    .await?;
    let p = DelegationListParams {
        meeting_id: Some(meeting_id),
        dialogue_id: None,
        ..p.clone()
    };
    list(db, scope, &p).await
}

/// Every record the input names must exist (of an update, the ones it adds
/// or changes: see `repo::added`); all failures are reported together.
async fn check(
    db: &impl Connection,
    input: &DelegationInput,
    before: Option<&Delegation>,
) -> Result<(), RepoError> {
    let mut errors = Vec::new();
    let held_meeting: Option<Vec<Uuid>> = before.map(|b| vec![b.meeting_id]);
    let meeting = super::added(
        vec![("meeting_id".to_owned(), input.meeting_id)],
        held_meeting.as_deref(),
    );
    let ids: Vec<Uuid> = meeting.iter().map(|(_, id)| *id).collect();
    let found = existing::<dialogue_meetings::Entity>(db, &ids).await?;
    errors.extend(dangling(&meeting, &found, "meeting"));
    let held_project: Option<Vec<Uuid>> = before.map(|b| b.project_id.into_iter().collect());
    let project = super::added(
        input
            .project_id
            .map(|p| ("project_id".to_owned(), p))
            .into_iter()
            .collect(),
        held_project.as_deref(),
    );
    let ids: Vec<Uuid> = project.iter().map(|(_, id)| *id).collect();
    let found = existing::<projects::Entity>(db, &ids).await?;
    errors.extend(dangling(&project, &found, "project"));
    let mut orgs: Vec<(String, Uuid)> = input
        .lead_organisation_id
        .map(|id| ("lead_organisation_id".to_owned(), id))
        .into_iter()
        .collect();
    for (i, m) in input.members.iter().enumerate() {
        if let Some(org) = m.organisation_id {
            orgs.push((format!("members[{i}].organisation_id"), org));
        }
    }
    let held: Option<Vec<Uuid>> = before.map(|b| {
        b.lead_organisation_id
            .into_iter()
            .chain(b.members.iter().filter_map(|m| m.organisation_id))
            .collect()
    });
    let orgs = super::added(orgs, held.as_deref());
    let ids: Vec<Uuid> = orgs.iter().map(|(_, id)| *id).collect();
    let found = existing::<organisations::Entity>(db, &ids).await?;
    errors.extend(dangling(&orgs, &found, "organisation"));
    if errors.is_empty() {
        Ok(())
    } else {
        Err(RepoError::Invalid(errors))
    }
}

async fn write_members(
    db: &impl Connection,
    id: Uuid,
    input: &DelegationInput,
) -> Result<(), RepoError> {
    let rows: Vec<_> = input
        .members
        .iter()
        .enumerate()
        .map(|(i, m)| delegation_members::ActiveModel {
            delegation_id: Set(id),
            position: Set(i as i32),
            name: Set(m.name.clone()),
            job_title: Set(m.position.clone()),
            organisation_id: Set(m.organisation_id),
            role: Set(m.role.as_str().to_owned()),
            gender: Set(m.gender.as_str().to_owned()),
        })
        .collect();
    super::write_rows(
        db,
        (delegation_members::Column::DelegationId, id),
        true,
        rows,
    )
    .await
}

fn columns(input: &DelegationInput) -> Result<delegations::ActiveModel, RepoError> {
    Ok(super::record_row!(delegations {
        meeting_id: Set(input.meeting_id),
        project_id: Set(input.project_id),
        country_code: Set(input.country_code.clone()),
        lead_organisation_id: Set(input.lead_organisation_id),
        status: Set(input.status.as_str().to_owned()),
        support_provided: Set(to_json(&input.support_provided)?),
        talking_points: Set(input.preparation.talking_points.clone()),
        statement: Set(input.preparation.statement.clone()),
        report: Set(input.report.clone()),
        notes: Set(input.notes.clone()),
    }))
}

/// Delegations matching `cond`, labelled "LY delegation to <meeting title>".
async fn referencing(
    db: &impl Connection,
    cond: Condition,
    limit: u64,
) -> Result<Vec<Reference>, RepoError> {
    let rows: Vec<(Uuid, Uuid, Option<String>)> = Entity::find()
        .select_only()
        .column(Column::Id)
        .column(Column::MeetingId)
        .column(Column::CountryCode)
        .filter(cond)
        .filter(super::live::<Entity>())
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    let meeting_ids: Vec<Uuid> = rows.iter().map(|(_, m, _)| *m).collect();
    let titles: HashMap<Uuid, String> = if meeting_ids.is_empty() {
        HashMap::new()
    } else {
        dialogue_meetings::Entity::find()
            .select_only()
            .column(dialogue_meetings::Column::Id)
            .column(dialogue_meetings::Column::Title)
            .filter(dialogue_meetings::Column::Id.is_in(meeting_ids))
            .into_tuple::<(Uuid, String)>()
            .all(db)
            .await?
            .into_iter()
            .collect()
    };
    Ok(rows
        .into_iter()
        .map(|(id, meeting, country)| Reference {
            resource: "delegations".into(),
            id,
            label: format!(
                "{}delegation to {}",
                country.map(|c| format!("{c} ")).unwrap_or_default(),
                titles.get(&meeting).map_or("a meeting", String::as_str)
            ),
        })
        .collect())
}

/// A delegation of `country_code` to `meeting_id`, if any.
pub async fn id_by_meeting_and_country(
    db: &impl Connection,
    meeting_id: Uuid,
    country_code: Option<&str>,
) -> Result<Option<Uuid>, RepoError> {
    let country = match country_code {
        Some(c) => Column::CountryCode.eq(c),
        None => Column::CountryCode.is_null(),
    };
    super::find_id::<Entity>(
        db,
        Column::Id,
        Condition::all()
            .add(Column::MeetingId.eq(meeting_id))
            .add(country),
    )
    .await
}

impl Resource for Delegations {
    type Entity = Entity;
    type Row = delegations::Model;
    type Record = Delegation;
    const UNIQUE: &'static [Unique] = &[];
    const LINKS: &'static [Link] = &[Link::child("delegation_members", "delegation_id")];
    const LABEL: Column = Column::CountryCode;

    fn access(reach: &Reach) -> Access<Condition> {
        Access::Projects(reach.projects(Column::ProjectId))
    }

    async fn assemble(
        db: &impl Connection,
        rows: Vec<delegations::Model>,
    ) -> Result<Vec<Delegation>, RepoError> {
        assemble(db, rows).await
    }

    fn label(record: &Delegation) -> String {
        format!("delegation {:?}", record.country_code)
    }

    fn held(record: &Delegation) -> Held {
        Held::Project(record.project_id)
    }

    /// Labelled "LY delegation to <meeting title>".
    async fn referencing(
        db: &impl Connection,
        cond: Condition,
        limit: u64,
    ) -> Result<Vec<Reference>, RepoError> {
        referencing(db, cond, limit).await
    }
}

/// A delegation is created in whatever state the input gives (a record may
/// describe a delegation already under way); an update may only keep the
/// status or move it along the workflow, else 409 naming the current state
/// and the allowed next ones.
impl Editable for Delegations {
    type Input = DelegationInput;

    async fn owner(_db: &impl Connection, input: &DelegationInput) -> Result<Owner, RepoError> {
        Ok(Owner::Projects(vec![("project_id", input.project_id)]))
    }

    async fn check(
        db: &impl Connection,
        input: &DelegationInput,
        current: Option<&Delegation>,
    ) -> Result<(), RepoError> {
        if let Some(current) = current {
            let from: DelegationStatus = current.status;
            if !from.may_become(input.status) {
                return Err(RepoError::IllegalTransition {
                    from: from.as_str().to_owned(),
                    to: input.status.as_str().to_owned(),
                    allowed: from.next().iter().map(|s| s.as_str().to_owned()).collect(),
                });
            }
        }
        check(db, input, current).await
    }

    async fn insert(
        db: &impl WriteConn,
        actor: &Actor,
        input: &DelegationInput,
    ) -> Result<Delegation, RepoError> {
        let (id, row) = super::new_row::<Entity>(columns(input)?, actor);
        Entity::insert(row).exec_without_returning(db).await?;
        write_members(db, id, input).await?;
        resource::load::<Self>(db, id, false, false).await
    }

    async fn write(
        db: &impl WriteConn,
        actor: &Actor,
        current: &Delegation,
        input: &DelegationInput,
    ) -> Result<Delegation, RepoError> {
        let id = current.id;
        super::write_version::<Entity>(db, actor, columns(input)?, id, current.version).await?;
        write_members(db, id, input).await?;
        resource::load::<Self>(db, id, false, false).await
    }
}
