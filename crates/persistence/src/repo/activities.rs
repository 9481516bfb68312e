//! Activities and their children (locations, organisations, topics, outputs).
//! An activity, or a page of them, is one query on `activities` alone: the
//! children are copied onto each activity's row (`Children`) whenever they are
//! written.

use crate::Connection;
use rihla_domain::dates;
use rihla_domain::{
    Activity, ActivityInput, ActivityListParams, ActivityOrganisation, ActivitySortKey, FieldError,
    Location, Page, Participants, Reference, ResourceType,
};
use sea_orm::sea_query::{Query, SelectStatement};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::resource;
use crate::scope::{Owner, Reach, Scope};

use super::resource::{Access, Editable, Held, Link, Resource, Unique};
use super::{dangling, existing, from_json, overlapping, parse_enum, referrers, to_json};
use crate::entities::{
    activities, activity_dialogues, activity_locations, activity_organisations, activity_tags,
    dialogues, organisations, project_outcomes, projects,
};
use crate::{Actor, RepoError, WriteConn};

use activities::{Column, Entity};

const TAG_TOPIC: &str = "topic";
const TAG_OUTPUT: &str = "output";
/// An indicator code the activity serves (a project must not drop it).
const TAG_INDICATOR: &str = "indicator";
/// The id of an organisation a facilitator is or speaks for (an
/// organisation in use cannot be deleted).
pub(crate) const TAG_FACILITATOR_ORG: &str = "facilitator_organisation";

/// The `children` column: a copy of the activity's child rows, written with
/// them, so a read touches no child table. The child tables stay the source
/// of truth for filters and foreign keys.
#[derive(Default, Serialize, Deserialize)]
struct Children {
    #[serde(default)]
    locations: Vec<Location>,
    #[serde(default)]
    organisations: Vec<ActivityOrganisation>,
    #[serde(default)]
    topics: Vec<String>,
    #[serde(default)]
    outputs: Vec<String>,
    #[serde(default)]
    indicator_codes: Vec<String>,
    /// Absent from rows written before migration 14: then the one
    /// `dialogue_id` column is the list.
    #[serde(default)]
    dialogue_ids: Vec<Uuid>,
}

impl Children {
    fn of(input: &ActivityInput) -> Self {
        Children {
            locations: input.locations.clone(),
            organisations: input.organisations.clone(),
            topics: input.topics.clone(),
            outputs: input.outputs.clone(),
            indicator_codes: input.indicator_codes.clone(),
            dialogue_ids: input.dialogues(),
        }
    }
}

/// An activity row, decoded column by column.
type Row = super::Decoded<activities::Model>;

fn to_domain(m: activities::Model) -> Result<Activity, RepoError> {
    let c: Children = from_json(&m.children, "activities.children")?;
    Ok(Activity {
        kind: parse_enum(&m.kind, "activities.kind")?,
        status: parse_enum(&m.status, "activities.status")?,
        modality: m
            .modality
            .as_deref()
            .map(|v| parse_enum(v, "activities.modality"))
            .transpose()?,
        facilitators: from_json(&m.facilitators, "activities.facilitators")?,
        id: m.id,
        project_id: m.project_id,
        outcome_code: m.outcome_code,
        dialogue_id: m.dialogue_id,
        dialogue_ids: if c.dialogue_ids.is_empty() {
            m.dialogue_id.into_iter().collect()
        } else {
            c.dialogue_ids
        },
        title: m.title,
        start_date: m.start_date,
        start_date_precision: parse_enum(
            &m.start_date_precision,
            "activities.start_date_precision",
        )?,
        end_date: m.end_date,
        end_date_precision: parse_enum(&m.end_date_precision, "activities.end_date_precision")?,
        indicator_codes: c.indicator_codes,
        sessions: m.sessions,
        organisations_reached: m.organisations_reached,
        notes: m.notes,
        locations: c.locations,
        organisations: c.organisations,
        topics: c.topics,
        description: m.description,
        outputs: c.outputs,
        participants: Participants {
            planned: m.participants_planned,
            actual: m.participants_actual,
            female: m.participants_female,
            male: m.participants_male,
        },
        created_at: m.created_at,
        updated_at: m.updated_at,
        created_by: m.created_by,
        updated_by: m.updated_by,
        version: m.version,
        deleted_at: m.deleted_at,
        deleted_by: m.deleted_by,
    })
}

/// Activities: what a project delivers, each with its children kept on its
/// own row as well (`children`).
pub struct Activities;

fn tag_filter(kind: &str, value: String) -> SelectStatement {
    Query::select()
        .column(activity_tags::Column::ActivityId)
        .from(activity_tags::Entity)
        .and_where(activity_tags::Column::Kind.eq(kind))
        .and_where(activity_tags::Column::Value.eq(value))
        .to_owned()
}

pub async fn list(
    db: &impl Connection,
    scope: Scope,
    p: &ActivityListParams,
) -> Result<Page<Activity>, RepoError> {
    let (mut select, key, mut req) = resource::list::<Activities, ActivitySortKey>(&scope, p)?;
    if key == ActivitySortKey::StartDate && p.to.is_some() {
        // The window's `start_date <= to` already leaves out undated
        // activities: there is no NULL block to read after the dated ones.
        req.sort.nullable = false;
    }
    if let Some(project) = p.project_id {
        select = select.filter(Column::ProjectId.eq(project));
    }
    if let Some(dialogue) = p.dialogue_id {
        select = select.filter(Column::Id.in_subquery(naming_dialogue(dialogue)));
    }
    if let Some(kind) = p.kind {
        select = select.filter(Column::Kind.eq(kind.as_str()));
    }
    if let Some(status) = p.status {
        select = select.filter(Column::Status.eq(status.as_str()));
    }
    if let Some(modality) = p.modality {
        select = select.filter(Column::Modality.eq(modality.as_str()));
    }
    if let Some(cc) = &p.country_code {
        let sub = Query::select()
            .column(activity_locations::Column::ActivityId)
            .from(activity_locations::Entity)
            .and_where(activity_locations::Column::CountryCode.eq(cc.to_uppercase()))
            .to_owned();
        select = select.filter(Column::Id.in_subquery(sub));
    }
    if p.organisation_id.is_some() || p.role.is_some() {
        let mut sub = Query::select()
            .column(activity_organisations::Column::ActivityId)
            .from(activity_organisations::Entity)
            .to_owned();
        if let Some(org) = p.organisation_id {
            sub.and_where(activity_organisations::Column::OrganisationId.eq(org));
        }
        if let Some(role) = p.role {
            sub.and_where(activity_organisations::Column::Role.eq(role.as_str()));
        }
        select = select.filter(Column::Id.in_subquery(sub));
    }
    if let Some(topic) = &p.topic {
        select = select.filter(Column::Id.in_subquery(tag_filter(TAG_TOPIC, topic.clone())));
    }
    // Against the last day of the end's period (or the start's): an imprecise
    // date overlaps the window when any day of its period does.
    if let Some(window) = overlapping((Column::StartDate, Column::EndDateLast), p.from, p.to)? {
        select = select.filter(window);
    }
    if let Some(own) = super::text_search(p.q.as_deref(), &[Column::Title, Column::Description]) {
        // ... or any output line containing the text.
        let outputs = super::text_search(p.q.as_deref(), &[activity_tags::Column::Value])
            .unwrap_or_else(Condition::all);
        let sub = Query::select()
            .column(activity_tags::Column::ActivityId)
            .from(activity_tags::Entity)
            .and_where(activity_tags::Column::Kind.eq(TAG_OUTPUT))
            .cond_where(outputs)
            .to_owned();
        select = select.filter(own.add(Column::Id.in_subquery(sub)));
    }
    resource::page::<Activities>(db, select, req).await
}

/// `GET /projects/{id}/activities`: 404 when the project does not exist; the
/// path's project replaces any `project_id` filter.
pub async fn list_for_project(
    db: &impl Connection,
    scope: Scope,
    project_id: Uuid,
    p: &ActivityListParams,
) -> Result<Page<Activity>, RepoError> {
    super::row_in::<projects::Entity>(db, project_id, false, p.include_deleted == Some(true))
        .await?;
    resource::authorize::<super::projects::Projects>(db, scope.clone(), project_id, false).await?;
    let p = ActivityListParams {
        project_id: Some(project_id),
        ..p.clone()
    };
    list(db, scope, &p).await
}

/// 409 naming them while live documents of the activity's project are
/// about it: moved to `project`, it would take them along to partners of
/// that project (a document names its project and its activity, and both
/// must agree).
async fn documents_stay(
    db: &impl Connection,
    activity: &Activity,
    project: Uuid,
) -> Result<(), RepoError> {
    use super::documents::Documents;
    use crate::entities::documents::Column as Doc;
    let held = Condition::all()
        .add(Doc::ActivityId.eq(activity.id))
        .add(Doc::ProjectId.is_not_null())
        .add(Doc::ProjectId.ne(project));
    let named = Documents::referencing(db, held, 5).await?;
    if named.is_empty() {
        return Ok(());
    }
    let labels: Vec<String> = named.iter().map(|r| format!("{:?}", r.label)).collect();
    Err(RepoError::Conflict {
        message: format!(
            "the activity cannot move to another project while documents of its project are \
             about it (document {}); give them another activity_id or no activity first",
            labels.join(", document ")
        ),
        errors: vec![rihla_domain::FieldError::new(
            "project_id",
            "documents_in_project",
            "documents of the activity's project are about it",
        )],
        references: named,
    })
}

/// Every reference the input makes must exist, and its outcome must be one of
/// its project's; of an update, only the references it adds or changes (see
/// `repo::added`). All failures are reported together.
async fn check(
    db: &impl Connection,
    input: &ActivityInput,
    before: Option<&Activity>,
) -> Result<(), RepoError> {
    let mut errors = Vec::new();
    let same_project = before.is_some_and(|b| b.project_id == input.project_id);
    let project_ok = if same_project {
        true
    } else {
        let project = [("project_id".to_owned(), input.project_id)];
        let found = existing::<projects::Entity>(db, &[input.project_id]).await?;
        errors.extend(dangling(&project, &found, "project"));
        found.contains(&input.project_id)
    };
    if let Some(before) = before
        && !same_project
    {
        documents_stay(db, before, input.project_id).await?;
    }
    // An outcome activities use cannot be removed from its project, so one
    // the activity already named under the same project is still there.
    let same_outcome = same_project && before.is_some_and(|b| b.outcome_code == input.outcome_code);
    if let Some(code) = &input.outcome_code
        && project_ok
        && !same_outcome
    {
        let known = project_outcomes::Entity::find()
            .filter(project_outcomes::Column::ProjectId.eq(input.project_id))
            .filter(project_outcomes::Column::Code.eq(code.as_str()))
            .one(db)
            .await?;
        if known.is_none() {
            errors.push(FieldError::new(
                "outcome_code",
                "unknown_outcome",
                format!(
                    "project {} has no outcome with code {code:?}",
                    input.project_id
                ),
            ));
        }
    }
    let held_dialogue: Option<Vec<Uuid>> = before.map(|b| b.dialogue_ids.clone());
    let field = |i: usize| {
        if input.dialogue_ids.is_empty() {
            "dialogue_id".to_owned()
        } else {
            format!("dialogue_ids[{i}]")
        }
    };
    let dialogue = super::added(
        input
            .dialogues()
            .into_iter()
            .enumerate()
            .map(|(i, d)| (field(i), d))
            .collect(),
        held_dialogue.as_deref(),
    );
    if !dialogue.is_empty() {
        let ids: Vec<Uuid> = dialogue.iter().map(|(_, id)| *id).collect();
        let found = existing::<dialogues::Entity>(db, &ids).await?;
        errors.extend(dangling(&dialogue, &found, "dialogue"));
    }
    if project_ok {
        errors.extend(unknown_indicators(db, input, before).await?);
    }
    let held: Option<Vec<Uuid>> = before.map(|b| {
        b.organisations
            .iter()
            .map(|o| o.organisation_id)
            .chain(b.facilitators.iter().filter_map(|f| f.organisation_id))
            .collect()
    });
    let named = input.organisations.iter().enumerate().map(|(i, o)| {
        (
            format!("organisations[{i}].organisation_id"),
            o.organisation_id,
        )
    });
    let facilitating = input.facilitators.iter().enumerate().filter_map(|(i, f)| {
        f.organisation_id
            .map(|o| (format!("facilitators[{i}].organisation_id"), o))
    });
    let orgs = super::added(named.chain(facilitating).collect(), held.as_deref());
    let ids: Vec<Uuid> = orgs.iter().map(|(_, id)| *id).collect();
    let found = existing::<organisations::Entity>(db, &ids).await?;
    errors.extend(dangling(&orgs, &found, "organisation"));
    if errors.is_empty() {
        Ok(())
    } else {
        Err(RepoError::Invalid(errors))
    }
}

/// The indicator codes `input` names that its project does not define (of an
/// update, only codes it adds or names under another project).
async fn unknown_indicators(
    db: &impl Connection,
    input: &ActivityInput,
    before: Option<&Activity>,
) -> Result<Vec<FieldError>, RepoError> {
    let same_project = before.filter(|b| b.project_id == input.project_id);
    let new: Vec<(usize, &String)> = input
        .indicator_codes
        .iter()
        .enumerate()
        .filter(|(_, c)| same_project.is_none_or(|b| !b.indicator_codes.contains(c)))
        .collect();
    if new.is_empty() {
        return Ok(Vec::new());
    }
    let project = super::projects::fetch_any(db, input.project_id).await?;
    let defined: Vec<&str> = project
        .outcomes
        .iter()
        .flat_map(|o| o.indicators.iter().map(|i| i.code.as_str()))
        .collect();
    Ok(new
        .into_iter()
        .filter(|(_, c)| !defined.contains(&c.as_str()))
        .map(|(i, c)| {
            FieldError::new(
                format!("indicator_codes[{i}]"),
                "unknown_indicator",
                format!(
                    "project {} has no indicator with code {c:?}",
                    input.project_id
                ),
            )
        })
        .collect())
}

async fn write_children(
    db: &impl Connection,
    id: Uuid,
    input: &ActivityInput,
) -> Result<(), RepoError> {
    let locations: Vec<_> = input
        .locations
        .iter()
        .enumerate()
        .map(|(i, l)| activity_locations::ActiveModel {
            activity_id: Set(id),
            position: Set(i as i32),
            city: Set(l.city.clone()),
            country_code: Set(l.country_code.clone()),
            venue: Set(l.venue.clone()),
        })
        .collect();
    let owner = activity_locations::Column::ActivityId;
    super::write_rows(db, (owner, id), false, locations).await?;
    let dialogues: Vec<_> = input
        .dialogues()
        .into_iter()
        .enumerate()
        .map(|(i, d)| activity_dialogues::ActiveModel {
            activity_id: Set(id),
            position: Set(i as i32),
            dialogue_id: Set(d),
        })
        .collect();
    let owner = activity_dialogues::Column::ActivityId;
    super::write_rows(db, (owner, id), false, dialogues).await?;
    let orgs: Vec<_> = input
        .organisations
        .iter()
        .enumerate()
        .map(|(i, o)| activity_organisations::ActiveModel {
            activity_id: Set(id),
            position: Set(i as i32),
            organisation_id: Set(o.organisation_id),
            role: Set(o.role.as_str().to_owned()),
        })
        .collect();
    let owner = activity_organisations::Column::ActivityId;
    super::write_rows(db, (owner, id), false, orgs).await?;
    let facilitating: Vec<String> = input
        .facilitators
        .iter()
        .filter_map(|f| f.organisation_id.map(|o| o.to_string()))
        .collect();
    let tags: Vec<_> = [
        (TAG_TOPIC, &input.topics),
        (TAG_OUTPUT, &input.outputs),
        (TAG_INDICATOR, &input.indicator_codes),
        (TAG_FACILITATOR_ORG, &facilitating),
    ]
    .into_iter()
    .flat_map(|(kind, values)| {
        values
            .iter()
            .enumerate()
            .map(move |(i, v)| activity_tags::ActiveModel {
                activity_id: Set(id),
                kind: Set(kind.to_owned()),
                position: Set(i as i32),
                value: Set(v.clone()),
            })
    })
    .collect();
    super::write_rows(db, (activity_tags::Column::ActivityId, id), false, tags).await
}

async fn delete_children(db: &impl Connection, id: Uuid) -> Result<(), RepoError> {
    activity_dialogues::Entity::delete_many()
        .filter(activity_dialogues::Column::ActivityId.eq(id))
        .exec(db)
        .await?;
    activity_locations::Entity::delete_many()
        .filter(activity_locations::Column::ActivityId.eq(id))
        .exec(db)
        .await?;
    activity_organisations::Entity::delete_many()
        .filter(activity_organisations::Column::ActivityId.eq(id))
        .exec(db)
        .await?;
    activity_tags::Entity::delete_many()
        .filter(activity_tags::Column::ActivityId.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// The columns a client controls, shared by create and replace, and the copy
/// of the child rows `write_children` writes.
fn columns(input: &ActivityInput) -> Result<activities::ActiveModel, RepoError> {
    let p = &input.participants;
    Ok(super::record_row!(activities {
        project_id: Set(input.project_id),
        outcome_code: Set(input.outcome_code.clone()),
        // The first dialogue, for readers of the column from before migration 14.
        dialogue_id: Set(input.dialogues().first().copied()),
        title: Set(input.title.clone()),
        kind: Set(input.kind.as_str().to_owned()),
        status: Set(input.status.as_str().to_owned()),
        start_date: Set(input.start_date),
        start_date_precision: Set(input.start_date_precision.as_str().to_owned()),
        end_date: Set(input.end_date),
        end_date_precision: Set(input.end_date_precision.as_str().to_owned()),
        start_date_last: Set(input
            .start_date
            .map(|d| dates::last_day(d, input.start_date_precision))),
        end_date_last: Set(match (input.end_date, input.start_date) {
            (Some(end), _) => Some(dates::last_day(end, input.end_date_precision)),
            (None, Some(start)) => Some(dates::last_day(start, input.start_date_precision)),
            (None, None) => None,
        }),
        sessions: Set(input.sessions),
        organisations_reached: Set(input.organisations_reached),
        notes: Set(input.notes.clone()),
        modality: Set(input.modality.map(|m| m.as_str().to_owned())),
        description: Set(input.description.clone()),
        participants_planned: Set(p.planned),
        participants_actual: Set(p.actual),
        participants_female: Set(p.female),
        participants_male: Set(p.male),
        facilitators: Set(to_json(&input.facilitators)?),
        children: Set(to_json(&Children::of(input))?),
    }))
}

/// The ids of activities naming `dialogue` among their dialogues.
fn naming_dialogue(dialogue: Uuid) -> SelectStatement {
    Query::select()
        .column(activity_dialogues::Column::ActivityId)
        .from(activity_dialogues::Entity)
        .and_where(activity_dialogues::Column::DialogueId.eq(dialogue))
        .to_owned()
}

/// Activities of project `id` naming one of the indicator codes in `removed`.
pub(crate) async fn indicator_codes_in_use(
    db: &impl Connection,
    project_id: Uuid,
    removed: &[String],
) -> Result<Vec<Reference>, RepoError> {
    let sub = Query::select()
        .column(activity_tags::Column::ActivityId)
        .from(activity_tags::Entity)
        .and_where(activity_tags::Column::Kind.eq(TAG_INDICATOR))
        .and_where(activity_tags::Column::Value.is_in(removed.iter().cloned()))
        .to_owned();
    let cond = Condition::all()
        .add(Column::ProjectId.eq(project_id))
        .add(Column::Id.in_subquery(sub));
    referrers::<Entity>(db, cond, (Column::Id, Column::Title), "activities", 20).await
}

/// Outcome codes of project `id` that its activities still use and that are
/// not in `keep`: a project replace must not orphan them.
pub(crate) async fn outcome_codes_in_use(
    db: &impl Connection,
    project_id: Uuid,
    keep: &[&str],
) -> Result<Vec<Reference>, RepoError> {
    let mut cond = Condition::all()
        .add(Column::ProjectId.eq(project_id))
        .add(Column::OutcomeCode.is_not_null());
    if !keep.is_empty() {
        cond = cond.add(Column::OutcomeCode.is_not_in(keep.iter().copied()));
    }
    referrers::<Entity>(db, cond, (Column::Id, Column::Title), "activities", 20).await
}

/// The activity of `project_id` titled exactly `title`, if any.
pub async fn id_by_title(
    db: &impl Connection,
    project_id: Uuid,
    title: &str,
) -> Result<Option<Uuid>, RepoError> {
    super::find_id::<Entity>(
        db,
        Column::Id,
        Condition::all()
            .add(Column::ProjectId.eq(project_id))
            .add(Column::Title.eq(title)),
    )
    .await
}

impl Resource for Activities {
    type Entity = Entity;
    type Row = Row;
    type Record = Activity;
    const UNIQUE: &'static [Unique] = &[];
    /// Documents that name the activity block its delete.
    const LINKS: &'static [Link] = &[
        Link::child("activity_dialogues", "activity_id"),
        Link::child("activity_locations", "activity_id"),
        Link::child("activity_organisations", "activity_id"),
        Link::child("activity_tags", "activity_id"),
        Link::referrer(ResourceType::Document, "documents", "activity_id"),
    ];
    const LABEL: Column = Column::Title;

    fn access(reach: &Reach) -> Access<Condition> {
        Access::Projects(reach.projects(Column::ProjectId))
    }

    async fn assemble(_db: &impl Connection, rows: Vec<Row>) -> Result<Vec<Activity>, RepoError> {
        rows.into_iter().map(|r| to_domain(r.0)).collect()
    }

    fn label(record: &Activity) -> String {
        format!("activity {:?}", record.title)
    }

    fn held(record: &Activity) -> Held {
        Held::Project(Some(record.project_id))
    }
}

impl Editable for Activities {
    type Input = ActivityInput;

    async fn owner(_db: &impl Connection, input: &ActivityInput) -> Result<Owner, RepoError> {
        Ok(Owner::Projects(vec![(
            "project_id",
            Some(input.project_id),
        )]))
    }

    async fn check(
        db: &impl Connection,
        input: &ActivityInput,
        current: Option<&Activity>,
    ) -> Result<(), RepoError> {
        check(db, input, current).await
    }

    async fn insert(
        db: &impl WriteConn,
        actor: &Actor,
        input: &ActivityInput,
    ) -> Result<Activity, RepoError> {
        let (id, row) = super::new_row::<Entity>(columns(input)?, actor);
        Entity::insert(row).exec_without_returning(db).await?;
        write_children(db, id, input).await?;
        resource::load::<Self>(db, id, false, false).await
    }

    async fn write(
        db: &impl WriteConn,
        actor: &Actor,
        current: &Activity,
        input: &ActivityInput,
    ) -> Result<Activity, RepoError> {
        let id = current.id;
        super::write_version::<Entity>(db, actor, columns(input)?, id, current.version).await?;
        delete_children(db, id).await?;
        write_children(db, id, input).await?;
        resource::load::<Self>(db, id, false, false).await
    }
}
