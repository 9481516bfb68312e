//! Dialogue meetings: a sub-resource of a dialogue. Every call that names a
//! meeting also names its dialogue, and a meeting of another dialogue is
//! "not found" there.

use crate::Connection;
use std::collections::HashMap;

use rihla_domain::{
    Meeting, MeetingInput, MeetingListParams, MeetingSortKey, MeetingSummary, Page, ResourceType,
};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::resource::{self, Access, Held, Link, Recheck, Resource, Unique};
use super::{audit, parse_enum, text_search};
use crate::entities::dialogue_meetings;
use crate::error::check_version;
use crate::scope::{Reach, Scope};
use crate::{Actor, RepoError};

use dialogue_meetings::{Column, Entity};

fn to_domain(m: dialogue_meetings::Model) -> Result<Meeting, RepoError> {
    Ok(Meeting {
        meeting_type: parse_enum(&m.meeting_type, "dialogue_meetings.meeting_type")?,
        status: parse_enum(&m.status, "dialogue_meetings.status")?,
        modality: m
            .modality
            .as_deref()
            .map(|v| parse_enum(v, "dialogue_meetings.modality"))
            .transpose()?,
        id: m.id,
        dialogue_id: m.dialogue_id,
        title: m.title,
        start_date: m.start_date,
        end_date: m.end_date,
        city: m.city,
        country_code: m.country_code,
        created_at: m.created_at,
        updated_at: m.updated_at,
        created_by: m.created_by,
        updated_by: m.updated_by,
        version: m.version,
        deleted_at: m.deleted_at,
        deleted_by: m.deleted_by,
    })
}

async fn find(
    db: &impl Connection,
    dialogue_id: Uuid,
    id: Uuid,
    lock: bool,
    include_deleted: bool,
) -> Result<dialogue_meetings::Model, RepoError> {
    let mut q = Entity::find_by_id(id).filter(Column::DialogueId.eq(dialogue_id));
    if !include_deleted {
        q = q.filter(super::live::<Entity>());
    }
    if lock {
        q = q.lock_exclusive();
    }
    q.one(db).await?.ok_or(RepoError::NotFound)
}

pub async fn get(db: &impl Connection, dialogue_id: Uuid, id: Uuid) -> Result<Meeting, RepoError> {
    to_domain(find(db, dialogue_id, id, false, false).await?)
}

/// A meeting by its id alone, for clients that found it in the calendar or
/// the change feed; with `include_deleted` also a deleted one.
pub async fn get_by_id(
    db: &impl Connection,
    id: Uuid,
    include_deleted: bool,
) -> Result<Meeting, RepoError> {
    resource::load::<Meetings>(db, id, false, include_deleted).await
}

/// A meeting even if it is deleted (admins' `include_deleted`).
pub async fn get_any(
    db: &impl Connection,
    dialogue_id: Uuid,
    id: Uuid,
) -> Result<Meeting, RepoError> {
    to_domain(find(db, dialogue_id, id, false, true).await?)
}

/// Reads the record for a PATCH, locked so the merge and the write see the same
/// version.
pub async fn get_for_update(
    db: &impl Connection,
    dialogue_id: Uuid,
    id: Uuid,
) -> Result<Meeting, RepoError> {
    to_domain(find(db, dialogue_id, id, true, false).await?)
}

/// 404 unless `id` is a meeting of `dialogue_id` (a live one, unless
/// `include_deleted`).
pub async fn ensure_in_dialogue(
    db: &impl Connection,
    dialogue_id: Uuid,
    id: Uuid,
    include_deleted: bool,
) -> Result<(), RepoError> {
    find(db, dialogue_id, id, false, include_deleted)
        .await
        .map(|_| ())
}

pub async fn list(db: &impl Connection, p: &MeetingListParams) -> Result<Page<Meeting>, RepoError> {
    let (mut select, _, req) = resource::list::<Meetings, MeetingSortKey>(&Scope::All, p)?;
    if let Some(dialogue) = p.dialogue_id {
        select = select.filter(Column::DialogueId.eq(dialogue));
    }
    if let Some(status) = p.status {
        select = select.filter(Column::Status.eq(status.as_str()));
    }
    if let Some(t) = p.meeting_type {
        select = select.filter(Column::MeetingType.eq(t.as_str()));
    }
    if let Some(cc) = &p.country_code {
        select = select.filter(Column::CountryCode.eq(cc.to_uppercase()));
    }
    if let Some(window) = super::overlapping((Column::StartDate, Column::EndDate), p.from, p.to)? {
        select = select.filter(window);
    }
    if let Some(q) = text_search(p.q.as_deref(), &[Column::Title]) {
        select = select.filter(q);
    }
    resource::page::<Meetings>(db, select, req).await
}

/// `GET /dialogues/{id}/meetings`: 404 when the dialogue does not exist; the
/// path's dialogue replaces any `dialogue_id` filter.
pub async fn list_for_dialogue(
    db: &impl Connection,
    dialogue_id: Uuid,
    p: &MeetingListParams,
) -> Result<Page<Meeting>, RepoError> {
    super::row_in::<crate::entities::dialogues::Entity>(
        db,
        dialogue_id,
        false,
        p.include_deleted == Some(true),
    )
    .await?;
    let p = MeetingListParams {
        dialogue_id: Some(dialogue_id),
        ..p.clone()
    };
    list(db, &p).await
}

fn columns(input: &MeetingInput) -> dialogue_meetings::ActiveModel {
    super::record_row!(dialogue_meetings {
        // The path names the dialogue: set by `create`, never changed.
        dialogue_id: sea_orm::ActiveValue::NotSet,
        title: Set(input.title.clone()),
        meeting_type: Set(input.meeting_type.as_str().to_owned()),
        start_date: Set(input.start_date),
        end_date: Set(input.end_date),
        city: Set(input.city.clone()),
        country_code: Set(input.country_code.clone()),
        modality: Set(input.modality.map(|m| m.as_str().to_owned())),
        status: Set(input.status.as_str().to_owned()),
    })
}

/// Creates a meeting of `dialogue_id` (404 when that dialogue does not exist).
pub async fn create(
    db: &impl Connection,
    actor: &Actor,
    dialogue_id: Uuid,
    input: &MeetingInput,
) -> Result<Meeting, RepoError> {
    // Locks the dialogue so a concurrent delete cannot orphan the new meeting.
    super::row::<crate::entities::dialogues::Entity>(db, dialogue_id, true).await?;
    let (_, row) = super::new_row::<Entity>(
        dialogue_meetings::ActiveModel {
            dialogue_id: Set(dialogue_id),
            ..columns(input)
        },
        actor,
    );
    let record = to_domain(Entity::insert(row).exec_with_returning(db).await?)?;
    audit::created(db, actor, &record).await?;
    Ok(record)
}

pub async fn replace(
    db: &impl Connection,
    actor: &Actor,
    dialogue_id: Uuid,
    id: Uuid,
    input: &MeetingInput,
    expected_version: Option<i32>,
) -> Result<Meeting, RepoError> {
    let current = to_domain(find(db, dialogue_id, id, true, false).await?)?;
    check_version(expected_version, current.version)?;
    update(db, actor, &current, input).await
}

/// Writes `input` over `current`, which the caller has read locked and whose
/// version it has checked (a PATCH merges into the record it already holds).
pub async fn update(
    db: &impl Connection,
    actor: &Actor,
    current: &Meeting,
    input: &MeetingInput,
) -> Result<Meeting, RepoError> {
    let (dialogue_id, id) = (current.dialogue_id, current.id);
    super::write_version::<Entity>(db, actor, columns(input), id, current.version).await?;
    let record = get(db, dialogue_id, id).await?;
    audit::updated(db, actor, current, &record).await?;
    Ok(record)
}

/// 409 while delegations still go to the meeting.
pub async fn delete(
    db: &impl Connection,
    actor: &Actor,
    dialogue_id: Uuid,
    id: Uuid,
    expected_version: Option<i32>,
) -> Result<(), RepoError> {
    ensure_in_dialogue(db, dialogue_id, id, false).await?;
    resource::delete::<Meetings>(db, actor, id, expected_version).await
}

/// Brings a deleted meeting back; 409 if its dialogue is gone.
pub async fn restore(
    db: &impl Connection,
    actor: &Actor,
    dialogue_id: Uuid,
    id: Uuid,
    expected_version: Option<i32>,
) -> Result<Meeting, RepoError> {
    ensure_in_dialogue(db, dialogue_id, id, true).await?;
    resource::restore::<Meetings>(db, actor, id, expected_version).await
}

/// The dialogue of meeting `id`, deleted or not; `None` when no such row
/// exists (never did, or was purged).
pub async fn dialogue_of(db: &impl Connection, id: Uuid) -> Result<Option<Uuid>, RepoError> {
    match super::row_in::<Entity>(db, id, false, true).await {
        Ok(row) => Ok(Some(row.dialogue_id)),
        Err(RepoError::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The same, for a client that knows only the meeting's id.
pub async fn restore_by_id(
    db: &impl Connection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
) -> Result<Meeting, RepoError> {
    resource::restore::<Meetings>(db, actor, id, expected_version).await
}

/// What a delegation read shows of its meeting, for `ids` in one query each
/// for meetings and their dialogues.
pub(crate) async fn summaries(
    db: &impl Connection,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, MeetingSummary>, RepoError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = Entity::find()
        .filter(Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    let dialogue_ids: Vec<Uuid> = rows.iter().map(|m| m.dialogue_id).collect();
    let names = super::dialogues::names(db, &dialogue_ids).await?;
    rows.into_iter()
        .map(|m| {
            let dialogue_name = names
                .get(&m.dialogue_id)
                .cloned()
                .ok_or_else(|| RepoError::Corrupt(format!("meeting {} has no dialogue", m.id)))?;
            Ok((
                m.id,
                MeetingSummary {
                    id: m.id,
                    title: m.title,
                    start_date: m.start_date,
                    end_date: m.end_date,
                    dialogue_id: m.dialogue_id,
                    dialogue_name,
                },
            ))
        })
        .collect()
}

/// The meeting of `dialogue_id` titled exactly `title`, if any.
pub async fn id_by_title(
    db: &impl Connection,
    dialogue_id: Uuid,
    title: &str,
) -> Result<Option<Uuid>, RepoError> {
    super::find_id::<Entity>(
        db,
        Column::Id,
        sea_orm::Condition::all()
            .add(Column::DialogueId.eq(dialogue_id))
            .add(Column::Title.eq(title)),
    )
    .await
}

/// Meetings of a dialogue. Their routes carry the dialogue's id beside
/// theirs, so create and update are their own; delete and restore are the
/// generic ones.
pub struct Meetings;

impl Resource for Meetings {
    type Entity = Entity;
    type Row = dialogue_meetings::Model;
    type Record = Meeting;
    const UNIQUE: &'static [Unique] = &[];
    /// Delegations that go to the meeting block its delete.
    const LINKS: &'static [Link] = &[Link::referrer(
        ResourceType::Delegation,
        "delegations",
        "meeting_id",
    )];
    const LABEL: Column = Column::Title;

    fn access(_reach: &Reach) -> Access<Condition> {
        Access::Shared
    }

    async fn assemble(
        _db: &impl Connection,
        rows: Vec<dialogue_meetings::Model>,
    ) -> Result<Vec<Meeting>, RepoError> {
        rows.into_iter().map(to_domain).collect()
    }

    fn label(record: &Meeting) -> String {
        format!("meeting {:?}", record.title)
    }

    fn held(_record: &Meeting) -> Held {
        Held::Shared
    }
}

impl Recheck for Meetings {
    /// A meeting refers only to its dialogue.
    async fn recheck(db: &impl Connection, record: &Meeting) -> Result<(), RepoError> {
        let dialogue = record.dialogue_id;
        if super::existing::<crate::entities::dialogues::Entity>(db, &[dialogue])
            .await?
            .is_empty()
        {
            return Err(RepoError::Invalid(vec![rihla_domain::FieldError::new(
                "dialogue_id",
                "not_found",
                format!("dialogue {dialogue} is deleted"),
            )]));
        }
        Ok(())
    }
}
