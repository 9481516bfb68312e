//! Documents with their languages and organisations: the smallest resource
//! written on the generic layer alone (`resource`), and the shape the
//! scaffold (`cargo xtask new-resource`) writes. All it says is what
//! differs: its columns and child rows, the records it must name, its list
//! filters, and the keys into its table (only its own child tables).

use crate::Connection;
use std::collections::HashMap;

use rihla_domain::{
    Document, DocumentInput, DocumentListParams, DocumentOrganisation, DocumentSortKey, FieldError,
    Page,
};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::resource;
use crate::scope::{Owner, Reach, Scope};

use super::resource::{Access, Editable, Held, Link, Resource, Unique};
use super::{added, dangling, existing, parse_enum, text_search, write_rows};
use crate::entities::organisations;
use crate::entities::{
    activities, document_languages, document_organisations, documents, projects,
};
use crate::{Actor, RepoError, WriteConn};

use documents::{Column, Entity};

/// Documents: what a project or activity produced.
pub struct Documents;

/// A page's child rows, in two batched queries (one per child table).
async fn assemble(
    db: &impl Connection,
    rows: Vec<documents::Model>,
) -> Result<Vec<Document>, RepoError> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut languages: HashMap<Uuid, Vec<String>> = HashMap::new();
    let mut orgs: HashMap<Uuid, Vec<DocumentOrganisation>> = HashMap::new();
    if !ids.is_empty() {
        for r in document_languages::Entity::find()
            .filter(document_languages::Column::DocumentId.is_in(ids.iter().copied()))
            .order_by_asc(document_languages::Column::DocumentId)
            .order_by_asc(document_languages::Column::Position)
            .all(db)
            .await?
        {
            languages.entry(r.document_id).or_default().push(r.code);
        }
        for r in document_organisations::Entity::find()
            .filter(document_organisations::Column::DocumentId.is_in(ids.iter().copied()))
            .order_by_asc(document_organisations::Column::DocumentId)
            .order_by_asc(document_organisations::Column::Position)
            .all(db)
            .await?
        {
            orgs.entry(r.document_id)
                .or_default()
                .push(DocumentOrganisation {
                    organisation_id: r.organisation_id,
                    role: parse_enum(&r.role, "document_organisations.role")?,
                });
        }
    }
    rows.into_iter()
        .map(|m| {
            Ok(Document {
                kind: parse_enum(&m.kind, "documents.kind")?,
                languages: languages.remove(&m.id).unwrap_or_default(),
                organisations: orgs.remove(&m.id).unwrap_or_default(),
                id: m.id,
                title: m.title,
                published_on: m.published_on,
                url: m.url,
                project_id: m.project_id,
                activity_id: m.activity_id,
                summary: m.summary,
                created_at: m.created_at,
                updated_at: m.updated_at,
                created_by: m.created_by,
                updated_by: m.updated_by,
                version: m.version,
                deleted_at: m.deleted_at,
                deleted_by: m.deleted_by,
            })
        })
        .collect()
}

pub async fn list(
    db: &impl Connection,
    scope: Scope,
    p: &DocumentListParams,
) -> Result<Page<Document>, RepoError> {
    let (mut select, _, req) = resource::list::<Documents, DocumentSortKey>(&scope, p)?;
    if let Some(project) = p.project_id {
        select = select.filter(Column::ProjectId.eq(project));
    }
    if let Some(activity) = p.activity_id {
        select = select.filter(Column::ActivityId.eq(activity));
    }
    if let Some(kind) = p.kind {
        select = select.filter(Column::Kind.eq(kind.as_str()));
    }
    if let Some(language) = p
        .language
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        let sub = Query::select()
            .column(document_languages::Column::DocumentId)
            .from(document_languages::Entity)
            .and_where(document_languages::Column::Code.eq(language.to_lowercase()))
            .to_owned();
        select = select.filter(Column::Id.in_subquery(sub));
    }
    if let Some(q) = text_search(p.q.as_deref(), &[Column::Title, Column::Summary]) {
        select = select.filter(q);
    }
    resource::page::<Documents>(db, select, req).await
}

/// The records `input` names exist (only those an update adds are looked
/// up), and an activity it names belongs to the project it names.
async fn check(
    db: &impl Connection,
    input: &DocumentInput,
    before: Option<&Document>,
) -> Result<(), RepoError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let held = |f: fn(&Document) -> Option<Uuid>| -> Option<Vec<Uuid>> {
        before.map(|b| f(b).into_iter().collect())
    };
    let project: Vec<(String, Uuid)> = input
        .project_id
        .map(|id| ("project_id".to_owned(), id))
        .into_iter()
        .collect();
    let project = added(project, held(|d| d.project_id).as_deref());
    let ids: Vec<Uuid> = project.iter().map(|(_, id)| *id).collect();
    errors.extend(dangling(
        &project,
        &existing::<projects::Entity>(db, &ids).await?,
        "project",
    ));
    if let Some(activity) = input.activity_id {
        let unchanged = before.is_some_and(|b| {
            b.activity_id == input.activity_id && b.project_id == input.project_id
        });
        if !unchanged {
            // Share-locked like `existing`'s look-ups, so a concurrent
            // delete of the activity waits for this write and then sees it.
            let row = activities::Entity::find_by_id(activity)
                .filter(super::live::<activities::Entity>())
                .lock_shared()
                .one(db)
                .await?;
            match row {
                None => errors.push(FieldError::new(
                    "activity_id",
                    "not_found",
                    format!("activity {activity} does not exist"),
                )),
                Some(a) if input.project_id.is_some_and(|p| p != a.project_id) => {
                    errors.push(FieldError::new(
                        "activity_id",
                        "other_project",
                        "the activity belongs to another project than project_id",
                    ));
                }
                Some(_) => {}
            }
        }
    }
    let orgs: Vec<(String, Uuid)> = input
        .organisations
        .iter()
        .enumerate()
        .map(|(i, o)| {
            (
                format!("organisations[{i}].organisation_id"),
                o.organisation_id,
            )
        })
        .collect();
    let held_orgs: Option<Vec<Uuid>> =
        before.map(|b| b.organisations.iter().map(|o| o.organisation_id).collect());
    let orgs = added(orgs, held_orgs.as_deref());
    let ids: Vec<Uuid> = orgs.iter().map(|(_, id)| *id).collect();
    errors.extend(dangling(
        &orgs,
        &existing::<organisations::Entity>(db, &ids).await?,
        "organisation",
    ));
    if errors.is_empty() {
        Ok(())
    } else {
        Err(RepoError::Invalid(errors))
    }
}

/// The columns a client controls, shared by create and replace.
fn columns(input: &DocumentInput) -> documents::ActiveModel {
    super::record_row!(documents {
        title: Set(input.title.clone()),
        kind: Set(input.kind.as_str().to_owned()),
        published_on: Set(input.published_on),
        url: Set(input.url.clone()),
        project_id: Set(input.project_id),
        activity_id: Set(input.activity_id),
        summary: Set(input.summary.clone()),
    })
}

/// The document's languages and organisations, replacing what it had.
async fn write_children(
    db: &impl Connection,
    id: Uuid,
    input: &DocumentInput,
    replace: bool,
) -> Result<(), RepoError> {
    let languages: Vec<_> = input
        .languages
        .iter()
        .enumerate()
        .map(|(i, code)| document_languages::ActiveModel {
            document_id: Set(id),
            position: Set(i as i32),
            code: Set(code.clone()),
        })
        .collect();
    write_rows(
        db,
        (document_languages::Column::DocumentId, id),
        replace,
        languages,
    )
    .await?;
    let orgs: Vec<_> = input
        .organisations
        .iter()
        .enumerate()
        .map(|(i, o)| document_organisations::ActiveModel {
            document_id: Set(id),
            position: Set(i as i32),
            organisation_id: Set(o.organisation_id),
            role: Set(o.role.as_str().to_owned()),
        })
        .collect();
    write_rows(
        db,
        (document_organisations::Column::DocumentId, id),
        replace,
        orgs,
    )
    .await
}

/// The document titled exactly `title` of project `project_id`, if any:
/// the demo loader's natural key.
pub async fn id_by_title(
    db: &impl Connection,
    project_id: Option<Uuid>,
    title: &str,
) -> Result<Option<Uuid>, RepoError> {
    let mut cond = Condition::all().add(Column::Title.eq(title));
    cond = match project_id {
        Some(p) => cond.add(Column::ProjectId.eq(p)),
        None => cond.add(Column::ProjectId.is_null()),
    };
    super::find_id::<Entity>(db, Column::Id, cond).await
}

impl Resource for Documents {
    type Entity = Entity;
    type Row = documents::Model;
    type Record = Document;
    const UNIQUE: &'static [Unique] = &[];
    const LINKS: &'static [Link] = &[
        Link::child("document_languages", "document_id"),
        Link::child("document_organisations", "document_id"),
    ];
    const LABEL: Column = Column::Title;

    /// A document is under the project it names, or, naming none, under
    /// its activity's. (Never under its activity's alone when it names a
    /// project: that could be another project's document about an
    /// activity since moved.)
    fn access(reach: &Reach) -> Access<Condition> {
        Access::Projects(
            Condition::any().add(reach.projects(Column::ProjectId)).add(
                Condition::all()
                    .add(Column::ProjectId.is_null())
                    .add(reach.activities(Column::ActivityId)),
            ),
        )
    }

    async fn assemble(
        db: &impl Connection,
        rows: Vec<documents::Model>,
    ) -> Result<Vec<Document>, RepoError> {
        assemble(db, rows).await
    }

    fn label(record: &Document) -> String {
        format!("document {:?}", record.title)
    }

    fn held(record: &Document) -> Held {
        match (record.project_id, record.activity_id) {
            (None, Some(activity)) => Held::Activity(activity),
            (project, _) => Held::Project(project),
        }
    }
}

impl Editable for Documents {
    type Input = DocumentInput;

    async fn owner(db: &impl Connection, input: &DocumentInput) -> Result<Owner, RepoError> {
        let mut fields = Vec::new();
        if input.project_id.is_some() || input.activity_id.is_none() {
            fields.push(("project_id", input.project_id));
        }
        if let Some(activity) = input.activity_id {
            let project: Option<Uuid> = activities::Entity::find_by_id(activity)
                .select_only()
                .column(activities::Column::ProjectId)
                .into_tuple()
                .one(db)
                .await?;
            fields.push(("activity_id", project));
        }
        Ok(Owner::Projects(fields))
    }

    async fn check(
        db: &impl Connection,
        input: &DocumentInput,
        current: Option<&Document>,
    ) -> Result<(), RepoError> {
        check(db, input, current).await
    }

    async fn insert(
        db: &impl WriteConn,
        actor: &Actor,
        input: &DocumentInput,
    ) -> Result<Document, RepoError> {
        let (id, row) = super::new_row::<Entity>(columns(input), actor);
        Entity::insert(row).exec_without_returning(db).await?;
        write_children(db, id, input, false).await?;
        resource::load::<Self>(db, id, false, false).await
    }

    async fn write(
        db: &impl WriteConn,
        actor: &Actor,
        current: &Document,
        input: &DocumentInput,
    ) -> Result<Document, RepoError> {
        let id = current.id;
        super::write_version::<Entity>(db, actor, columns(input), id, current.version).await?;
        write_children(db, id, input, true).await?;
        resource::load::<Self>(db, id, false, false).await
    }
}
