//! Projects and their children (participating organisations, outcomes, and the
//! country / duty-station / theme lists). A project, or a page of them, is one
//! query on `projects` alone: the children are copied onto each project's row
//! (`Children`) whenever they are written.

use crate::Connection;
use rihla_domain::ResourceType;
use rihla_domain::dates::{self, DatePrecision};
use rihla_domain::{
    Budget, BudgetLine, Commitment, FieldError, Outcome, Page, ParticipatingOrganisation, Project,
    ProjectInput, ProjectListParams, ProjectSortKey, Reference, Sector,
};
use sea_orm::sea_query::Query;
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, TryIntoModel};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::resource;
use crate::scope::{Owner, Reach, Scope};

use super::resource::{Access, Editable, Held, Link, Resource, Unique};
use super::{audit, dangling, from_json, organisations, parse_enum, to_json};
use crate::entities::{project_outcomes, project_participants, project_tags, projects};
use crate::{Actor, RepoError, WriteConn, now};

use projects::{Column, Entity};

const TAG_COUNTRY: &str = "country";
const TAG_DUTY_STATION: &str = "duty_station";
const TAG_THEME: &str = "theme";

/// The `children` column: a copy of the project's child rows, written with
/// them, so a read touches no child table (one row per project, however many
/// children it has). The child tables stay the source of truth for filters,
/// unique rules and foreign keys.
#[derive(Default, Serialize, Deserialize)]
struct Children {
    #[serde(default)]
    participating_organisations: Vec<ParticipatingOrganisation>,
    #[serde(default)]
    outcomes: Vec<Outcome>,
    #[serde(default)]
    country_codes: Vec<String>,
    #[serde(default)]
    duty_stations: Vec<String>,
    #[serde(default)]
    themes: Vec<String>,
    // Held only here (no child table: nothing filters on them). Rows written
    // before migration 14 have none of these keys and read as empty.
    #[serde(default)]
    planned: Planned,
    #[serde(default)]
    commitments: Vec<Commitment>,
    #[serde(default)]
    budget_lines: Vec<BudgetLine>,
    #[serde(default)]
    sectors: Vec<Sector>,
}

/// The planned dates (IATI activity-date 1 and 3).
#[derive(Serialize, Deserialize)]
struct Planned {
    start: Option<chrono::NaiveDate>,
    #[serde(default = "dates::day")]
    start_precision: DatePrecision,
    end: Option<chrono::NaiveDate>,
    #[serde(default = "dates::day")]
    end_precision: DatePrecision,
}

impl Default for Planned {
    fn default() -> Self {
        Planned {
            start: None,
            start_precision: DatePrecision::Day,
            end: None,
            end_precision: DatePrecision::Day,
        }
    }
}

impl Children {
    fn of(input: &ProjectInput) -> Self {
        Children {
            participating_organisations: input.participating_organisations.clone(),
            outcomes: input.outcomes.clone(),
            country_codes: input.country_codes.clone(),
            duty_stations: input.duty_stations.clone(),
            themes: input.themes.clone(),
            planned: Planned {
                start: input.planned_start_date,
                start_precision: input.planned_start_date_precision,
                end: input.planned_end_date,
                end_precision: input.planned_end_date_precision,
            },
            commitments: input.commitments.clone(),
            budget_lines: input.budget_lines.clone(),
            sectors: input.sectors.clone(),
        }
    }
}

/// A project row, decoded column by column.
type Row = super::Decoded<projects::Model>;

fn to_domain(m: projects::Model) -> Result<Project, RepoError> {
    let c: Children = from_json(&m.children, "projects.children")?;
    let budget = match (m.budget_amount, m.budget_currency) {
        (Some(amount), Some(currency)) => Some(Budget { amount, currency }),
        (None, None) => None,
        _ => return Err(RepoError::Corrupt("project budget is half set".into())),
    };
    Ok(Project {
        status: parse_enum(&m.status, "projects.status")?,
        id: m.id,
        code: m.code,
        title: m.title,
        summary: m.summary,
        objective: m.objective,
        start_date: m.start_date,
        start_date_precision: parse_enum(&m.start_date_precision, "projects.start_date_precision")?,
        end_date: m.end_date,
        end_date_precision: parse_enum(&m.end_date_precision, "projects.end_date_precision")?,
        planned_start_date: c.planned.start,
        planned_start_date_precision: c.planned.start_precision,
        planned_end_date: c.planned.end,
        planned_end_date_precision: c.planned.end_precision,
        commitments: c.commitments,
        budget_lines: c.budget_lines,
        sectors: c.sectors,
        notes: m.notes,
        country_codes: c.country_codes,
        duty_stations: c.duty_stations,
        themes: c.themes,
        budget,
        participating_organisations: c.participating_organisations,
        outcomes: c.outcomes,
        iati_identifier: m.iati_identifier,
        created_at: m.created_at,
        updated_at: m.updated_at,
        created_by: m.created_by,
        updated_by: m.updated_by,
        version: m.version,
        deleted_at: m.deleted_at,
        deleted_by: m.deleted_by,
    })
}

/// A project, live or deleted, with no scope: for checks that already know
/// the caller may name it.
pub(crate) async fn fetch_any(db: &impl Connection, id: Uuid) -> Result<Project, RepoError> {
    resource::load::<Projects>(db, id, false, true).await
}

/// Projects: the programmes everything else hangs from. Their writes take
/// the fast paths of `Editable`: the audit event in the row's statement, no
/// read-back, and an optimistic PATCH.
pub struct Projects;

fn tag_filter(kind: &str, value: String) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(project_tags::Column::ProjectId)
        .from(project_tags::Entity)
        .and_where(project_tags::Column::Kind.eq(kind))
        .and_where(project_tags::Column::Value.eq(value))
        .to_owned()
}

pub async fn list(
    db: &impl Connection,
    scope: Scope,
    p: &ProjectListParams,
) -> Result<Page<Project>, RepoError> {
    let (mut select, _, req) = resource::list::<Projects, ProjectSortKey>(&scope, p)?;
    if let Some(status) = p.status {
        select = select.filter(Column::Status.eq(status.as_str()));
    }
    if let Some(cc) = &p.country_code {
        select = select.filter(Column::Id.in_subquery(tag_filter(TAG_COUNTRY, cc.to_uppercase())));
    }
    if let Some(theme) = &p.theme {
        select = select.filter(Column::Id.in_subquery(tag_filter(TAG_THEME, theme.clone())));
    }
    if p.organisation_id.is_some() || p.role.is_some() {
        let mut sub = Query::select()
            .column(project_participants::Column::ProjectId)
            .from(project_participants::Entity)
            .to_owned();
        if let Some(org) = p.organisation_id {
            sub.and_where(project_participants::Column::OrganisationId.eq(org));
        }
        if let Some(role) = p.role {
            sub.and_where(project_participants::Column::Role.eq(role.as_str()));
        }
        select = select.filter(Column::Id.in_subquery(sub));
    }
    // A month- or year-precise start matches when its period overlaps the window.
    if let Some(from) = p.start_from {
        select = select.filter(Column::StartDateLast.gte(from));
    }
    if let Some(to) = p.start_to {
        select = select.filter(Column::StartDate.lte(to));
    }
    if let Some(q) = super::text_search(
        p.q.as_deref(),
        &[Column::Code, Column::Title, Column::Summary],
    ) {
        select = select.filter(q);
    }
    resource::page::<Projects>(db, select, req).await
}

/// The participating organisations must exist (of an update, those it adds
/// to `before`'s: see `repo::added`). `code` and `iati_identifier` are unique
/// by index (ux_projects_*): the INSERT or UPDATE itself fails, and RepoError
/// reports it as 409 `taken`. A SELECT first would cost a statement per write
/// and could still race.
async fn check(
    db: &impl Connection,
    input: &ProjectInput,
    before: Option<&Project>,
) -> Result<(), RepoError> {
    let held: Option<Vec<Uuid>> = before.map(|b| {
        b.participating_organisations
            .iter()
            .map(|p| p.organisation_id)
            .collect()
    });
    let refs = super::added(
        input
            .participating_organisations
            .iter()
            .enumerate()
            .map(|(i, p)| {
                (
                    format!("participating_organisations[{i}].organisation_id"),
                    p.organisation_id,
                )
            })
            .collect(),
        held.as_deref(),
    );
    let ids: Vec<Uuid> = refs.iter().map(|(_, id)| *id).collect();
    let found = organisations::existing_ids(db, &ids).await?;
    let missing = dangling(&refs, &found, "organisation");
    if !missing.is_empty() {
        return Err(RepoError::Invalid(missing));
    }
    Ok(())
}

/// Writes the child rows `input` describes. With `before` (an update), a
/// child table whose rows would not change is left alone, and one that
/// changes is cleared first: a PATCH of the title writes no child row.
async fn write_children(
    db: &impl Connection,
    id: Uuid,
    input: &ProjectInput,
    before: Option<&Project>,
) -> Result<(), RepoError> {
    use project_outcomes::Column as O;
    use project_participants::Column as P;
    use project_tags::Column as T;
    let changed =
        |same: fn(&Project, &ProjectInput) -> bool| before.is_none_or(|b| !same(b, input));
    let replace = before.is_some();
    if changed(|b, i| b.participating_organisations == i.participating_organisations) {
        let participants: Vec<_> = input
            .participating_organisations
            .iter()
            .enumerate()
            .map(|(i, p)| project_participants::ActiveModel {
                project_id: Set(id),
                position: Set(i as i32),
                organisation_id: Set(p.organisation_id),
                role: Set(p.role.as_str().to_owned()),
            })
            .collect();
        super::write_rows(db, (P::ProjectId, id), replace, participants).await?;
    }
    if changed(|b, i| b.outcomes == i.outcomes) {
        let outcomes: Vec<_> = input
            .outcomes
            .iter()
            .enumerate()
            .map(|(i, o)| project_outcomes::ActiveModel {
                project_id: Set(id),
                position: Set(i as i32),
                code: Set(o.code.clone()),
                title: Set(o.title.clone()),
                description: Set(o.description.clone()),
            })
            .collect();
        super::write_rows(db, (O::ProjectId, id), replace, outcomes).await?;
    }
    if changed(|b, i| {
        b.country_codes == i.country_codes
            && b.duty_stations == i.duty_stations
            && b.themes == i.themes
    }) {
        let tags: Vec<_> = [
            (TAG_COUNTRY, &input.country_codes),
            (TAG_DUTY_STATION, &input.duty_stations),
            (TAG_THEME, &input.themes),
        ]
        .into_iter()
        .flat_map(|(kind, values)| {
            values
                .iter()
                .enumerate()
                .map(move |(i, v)| project_tags::ActiveModel {
                    project_id: Set(id),
                    kind: Set(kind.to_owned()),
                    position: Set(i as i32),
                    value: Set(v.clone()),
                })
        })
        .collect();
        super::write_rows(db, (T::ProjectId, id), replace, tags).await?;
    }
    Ok(())
}

/// The record as a write just left it, built from the values written rather
/// than read back (two statements fewer per write): `row` sets every column.
fn as_written(row: projects::ActiveModel) -> Result<Project, RepoError> {
    to_domain(row.try_into_model()?)
}

/// The columns a client controls, shared by create and replace, and the copy
/// of the child rows `write_children` writes.
fn columns(input: &ProjectInput) -> Result<projects::ActiveModel, RepoError> {
    Ok(super::record_row!(projects {
        code: Set(input.code.clone()),
        title: Set(input.title.clone()),
        summary: Set(input.summary.clone()),
        objective: Set(input.objective.clone()),
        status: Set(input.status.as_str().to_owned()),
        start_date: Set(input.start_date),
        start_date_precision: Set(input.start_date_precision.as_str().to_owned()),
        start_date_last: Set(input
            .start_date
            .map(|d| dates::last_day(d, input.start_date_precision))),
        end_date: Set(input.end_date),
        end_date_precision: Set(input.end_date_precision.as_str().to_owned()),
        notes: Set(input.notes.clone()),
        budget_amount: Set(input.budget.as_ref().map(|b| b.amount.clone())),
        budget_currency: Set(input.budget.as_ref().map(|b| b.currency.clone())),
        iati_identifier: Set(input.iati_identifier.clone()),
        children: Set(to_json(&Children::of(input))?),
    }))
}

/// A PATCH's write over `current`, read without a lock (the optimistic
/// path): `None` when it is not done, and the caller should lock the record
/// and call `update`, as if this had not been tried.
///
/// A change to the project's own row alone (no child row to rewrite, so no
/// reference to look up and no outcome removed) is one statement, the
/// versioned write with its audit event, and on PostgreSQL it runs on its
/// own, without BEGIN and COMMIT (`WriteConn::execute_last`). A statement
/// alone commits even if the request is cut off while it waits, so it must
/// not wait: it takes the row's lock NOWAIT (a record another transaction
/// holds goes the locked way, which waits inside a transaction), and a
/// change of `code` or `iati_identifier`, whose unique index can make an
/// insert wait for another transaction, goes the locked way too.
async fn update_unlocked(
    db: &impl WriteConn,
    actor: &Actor,
    current: &Project,
    input: &ProjectInput,
) -> Result<Option<Project>, RepoError> {
    let (mut update, record) = versioned_write(actor, current, input)?;
    // SQLite has no row locks (a member of the writer's batch waits for
    // nothing but its turn), and no FOR UPDATE to write.
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        let locked = Query::select()
            .column(Column::Id)
            .from(Entity)
            .and_where(Column::Id.eq(current.id))
            .and_where(Column::Version.eq(current.version))
            .lock_with_behavior(
                sea_orm::sea_query::LockType::Update,
                sea_orm::sea_query::LockBehavior::Nowait,
            )
            .to_owned();
        update.and_where(Column::Id.in_subquery(locked));
    }
    let event = audit::update_event(db, actor, current, &record).await?;
    match audit::with_event(db, update, event, true).await {
        Ok(1) => Ok(Some(record)),
        // Written meanwhile (or deleted, or purged).
        Ok(_) => Ok(None),
        Err(RepoError::Db(e)) if crate::error::is_lock_not_available(e.inner()) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Whether `input` changes `current`'s own row alone, `code` and
/// `iati_identifier` kept: the only change `update_unlocked` writes.
fn only_own_row(current: &Project, input: &ProjectInput) -> bool {
    same_children(current, input)
        && current.code == input.code
        && current.iati_identifier == input.iati_identifier
}

fn same_children(current: &Project, input: &ProjectInput) -> bool {
    current.participating_organisations == input.participating_organisations
        && current.outcomes == input.outcomes
        && current.country_codes == input.country_codes
        && current.duty_stations == input.duty_stations
        && current.themes == input.themes
}

/// The UPDATE that writes `input` over `current` if it is still at its
/// version, and the record it leaves.
fn versioned_write(
    actor: &Actor,
    current: &Project,
    input: &ProjectInput,
) -> Result<(sea_orm::sea_query::UpdateStatement, Project), RepoError> {
    let row = projects::ActiveModel {
        updated_at: Set(now()),
        updated_by: Set(actor.principal_id()),
        version: Set(current.version + 1),
        ..columns(input)?
    };
    let record = as_written(projects::ActiveModel {
        id: Set(current.id),
        created_at: Set(current.created_at),
        created_by: Set(current.created_by),
        deleted_at: Set(current.deleted_at),
        deleted_by: Set(current.deleted_by),
        ..row.clone()
    })?;
    let update = super::versioned::<Entity>(
        row,
        (Column::Id, Column::Version),
        current.id,
        current.version,
    );
    Ok((update, record))
}

/// Writes `input` over `current` with its audit event in the same
/// statement, then the child rows that changed.
async fn write(
    db: &impl WriteConn,
    actor: &Actor,
    current: &Project,
    input: &ProjectInput,
) -> Result<Project, RepoError> {
    let id = current.id;
    // An outcome its activities still name must stay. Activities can only
    // name the project's outcomes, so there is nothing to look up unless this
    // change removes one.
    let keep: Vec<&str> = input.outcomes.iter().map(|o| o.code.as_str()).collect();
    let removes_one = current
        .outcomes
        .iter()
        .any(|o| !keep.contains(&o.code.as_str()));
    let orphans = if removes_one {
        super::activities::outcome_codes_in_use(db, id, &keep).await?
    } else {
        Vec::new()
    };
    let orphans = if orphans.is_empty() {
        indicators_in_use(db, current, input).await?
    } else {
        orphans
    };
    if !orphans.is_empty() {
        return Err(RepoError::Conflict {
            message: format!(
                "activities still use an outcome or indicator this change removes: {}",
                orphans
                    .iter()
                    .map(|r| format!("{:?}", r.label))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            errors: vec![FieldError::new(
                "outcomes",
                "in_use",
                "keep every outcome and indicator code that activities refer to, or change those activities first",
            )],
            references: orphans,
        });
    }
    let (update, record) = versioned_write(actor, current, input)?;
    let event = audit::update_event(db, actor, current, &record).await?;
    let written = audit::with_event(db, update, event, false).await?;
    super::written_once(written, current.version)?;
    write_children(db, id, input, Some(current)).await?;
    Ok(record)
}

/// Activities naming an indicator code `input` removes from `current`.
async fn indicators_in_use(
    db: &impl Connection,
    current: &Project,
    input: &ProjectInput,
) -> Result<Vec<Reference>, RepoError> {
    let keep: Vec<&str> = input.indicator_codes().collect();
    let removed: Vec<String> = ProjectInput::from(current)
        .indicator_codes()
        .filter(|c| !keep.contains(c))
        .map(str::to_owned)
        .collect();
    if removed.is_empty() {
        return Ok(Vec::new());
    }
    super::activities::indicator_codes_in_use(db, current.id, &removed).await
}

/// The project with this code, if any.
pub async fn id_by_code(db: &impl Connection, code: &str) -> Result<Option<Uuid>, RepoError> {
    super::find_id::<Entity>(db, Column::Id, Condition::all().add(Column::Code.eq(code))).await
}

impl Resource for Projects {
    type Entity = Entity;
    type Row = Row;
    type Record = Project;
    const UNIQUE: &'static [Unique] = &[
        Unique {
            index: "ux_projects_code",
            column: "projects.code",
            field: "code",
        },
        Unique {
            index: "ux_projects_iati_identifier",
            column: "projects.iati_identifier",
            field: "iati_identifier",
        },
    ];

    /// Its activities, delegations and documents block a delete. A soft
    /// delete keeps its children, so a restore brings it back whole; a
    /// purge takes its memberships with it.
    const LINKS: &'static [Link] = &[
        Link::child("project_participants", "project_id"),
        Link::child("project_outcomes", "project_id"),
        Link::child("project_tags", "project_id"),
        Link::follows("project_members", "project_id"),
        Link::referrer(ResourceType::Activity, "activities", "project_id"),
        Link::referrer(ResourceType::Delegation, "delegations", "project_id"),
        Link::referrer(ResourceType::Document, "documents", "project_id"),
    ];
    const LABEL: Column = Column::Code;

    fn access(reach: &Reach) -> Access<Condition> {
        Access::Projects(reach.projects(Column::Id))
    }

    async fn assemble(_db: &impl Connection, rows: Vec<Row>) -> Result<Vec<Project>, RepoError> {
        rows.into_iter().map(|r| to_domain(r.0)).collect()
    }

    fn label(record: &Project) -> String {
        format!("project {:?}", record.code)
    }

    fn held(record: &Project) -> Held {
        Held::Project(Some(record.id))
    }
}

impl Editable for Projects {
    type Input = ProjectInput;

    async fn owner(_db: &impl Connection, _input: &ProjectInput) -> Result<Owner, RepoError> {
        Ok(Owner::Itself)
    }
    const EVENT_IN_WRITE: bool = true;
    const OPTIMISTIC_PATCH: bool = true;

    async fn check(
        db: &impl Connection,
        input: &ProjectInput,
        current: Option<&Project>,
    ) -> Result<(), RepoError> {
        check(db, input, current).await
    }

    /// The record is built from what was written: no read-back.
    async fn insert(
        db: &impl WriteConn,
        actor: &Actor,
        input: &ProjectInput,
    ) -> Result<Project, RepoError> {
        let id = Uuid::now_v7();
        let at = now();
        let row = projects::ActiveModel {
            id: Set(id),
            created_at: Set(at),
            updated_at: Set(at),
            created_by: Set(actor.principal_id()),
            updated_by: Set(actor.principal_id()),
            version: Set(1),
            deleted_at: Set(None),
            deleted_by: Set(None),
            ..columns(input)?
        };
        let record = as_written(row.clone())?;
        let insert = sea_orm::QueryTrait::into_query(Entity::insert(row));
        audit::with_event(
            db,
            insert,
            audit::create_event(db, actor, &record).await?,
            false,
        )
        .await?;
        write_children(db, id, input, None).await?;
        Ok(record)
    }

    async fn write(
        db: &impl WriteConn,
        actor: &Actor,
        current: &Project,
        input: &ProjectInput,
    ) -> Result<Project, RepoError> {
        write(db, actor, current, input).await
    }

    /// A project's code and IATI identifier are unique across every
    /// project: a partner changing them would learn from a 409 which values
    /// projects it cannot see hold, so only organisation-wide editors do.
    fn organisation_wide(current: &Project, input: &ProjectInput) -> Vec<&'static str> {
        let mut fields = Vec::new();
        if input.code != current.code {
            fields.push("code");
        }
        if input.iati_identifier != current.iati_identifier {
            fields.push("iati_identifier");
        }
        fields
    }

    fn only_own_row(current: &Project, input: &ProjectInput) -> bool {
        only_own_row(current, input)
    }

    async fn update_unlocked(
        db: &impl WriteConn,
        actor: &Actor,
        current: &Project,
        input: &ProjectInput,
    ) -> Result<Option<Project>, RepoError> {
        update_unlocked(db, actor, current, input).await
    }
}
