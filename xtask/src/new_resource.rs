//! `cargo xtask new-resource <singular> [<plural>]`: a new project-owned
//! resource, every step of ARCHITECTURE.md's "Adding a resource" done: the
//! domain record with its input, rules, list parameters and sort keys; the
//! migration; the entity; the repository on the resource pattern; the
//! routes; a test file; and every registration (the resource list, the
//! registry, the route list, the OpenAPI tag, the project's links, the
//! tests' record maker). It then rewrites openapi/openapi.json, and the
//! suite passes as generated. The new record has a title and notes; give it
//! its real fields from there, and say in each file's header what it is.

use std::path::Path;

use crate::source::{create, edit, insert_after, insert_before, rustfmt};

/// The names of the new resource in each of the forms the code uses.
struct Names {
    /// `study_mission`: the domain module, the audit name.
    singular: String,
    /// `study_missions`: the table, the repository and route modules.
    plural: String,
    /// `study-missions`: the path, the OpenAPI tag.
    path: String,
    /// `StudyMission`: the record type.
    record: String,
    /// `StudyMissions`: the repository type.
    repo: String,
    /// `study mission`: in prose.
    words: String,
}

fn camel(snake: &str) -> String {
    snake
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn names(singular: &str, plural: Option<&str>) -> Result<Names, String> {
    let valid = |s: &str| {
        !s.is_empty()
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars().all(|c| c.is_ascii_lowercase() || c == '_')
    };
    let plural = plural.map_or_else(|| format!("{singular}s"), str::to_owned);
    if !valid(singular) || !valid(&plural) {
        return Err(format!(
            "names are snake_case words (`study_mission`), got {singular:?} and {plural:?}"
        ));
    }
    Ok(Names {
        record: camel(singular),
        repo: camel(&plural),
        path: plural.replace('_', "-"),
        words: singular.replace('_', " "),
        singular: singular.to_owned(),
        plural,
    })
}

/// Fills `{{...}}` in a template.
fn fill(template: &str, n: &Names) -> String {
    template
        .replace("{{singular}}", &n.singular)
        .replace("{{plural}}", &n.plural)
        .replace("{{path}}", &n.path)
        .replace("{{Record}}", &n.record)
        .replace("{{Repo}}", &n.repo)
        .replace("{{words}}", &n.words)
}

/// Today as YYYYMMDD (UTC), from the system clock, without a date crate.
fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    // Days since 1970-01-01 to a civil date (H. Hinnant's algorithm).
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}{month:02}{day:02}")
}

/// The next migration's name, after the last one `migrations!` lists.
fn migration_name(root: &Path, n: &Names) -> Result<String, String> {
    let lib =
        std::fs::read_to_string(root.join("migrations/src/lib.rs")).map_err(|e| e.to_string())?;
    let last = lib
        .lines()
        .map(str::trim)
        .filter_map(|l| l.strip_suffix(','))
        .rfind(|l| l.starts_with('m') && l.len() > 17 && l.as_bytes()[9] == b'_')
        .ok_or("no migration in migrations/src/lib.rs")?;
    let number: u32 = last[10..16]
        .parse()
        .map_err(|_| format!("{last}: no number"))?;
    Ok(format!("m{}_{:06}_{}", today(), number + 1, n.plural))
}

/// Inserts `line` into the block of consecutive lines starting with
/// `prefix` (a list of `mod` or `pub mod` declarations), in sorted order.
fn add_sorted(path: &Path, prefix: &str, line: &str) -> Result<(), String> {
    edit(path, |text| {
        let lines: Vec<&str> = text.lines().collect();
        let first = lines
            .iter()
            .position(|l| l.starts_with(prefix))
            .ok_or_else(|| format!("{}: no line starts with {prefix:?}", path.display()))?;
        let mut at = first;
        while at < lines.len() && lines[at].starts_with(prefix) && lines[at] < line {
            at += 1;
        }
        let mut out: Vec<&str> = lines[..at].to_vec();
        out.push(line);
        out.extend(&lines[at..]);
        Ok(out.join("\n") + "\n")
    })
}

pub fn run(root: &Path, singular: &str, plural: Option<&str>) -> Result<(), String> {
    let n = names(singular, plural)?;
    let p = |rel: &str| root.join(rel);
    let migration = migration_name(root, &n)?;

    // The new files.
    let files = [
        (format!("crates/domain/src/{}.rs", n.singular), DOMAIN),
        (format!("migrations/src/{migration}.rs"), MIGRATION),
        (
            format!("crates/persistence/src/entities/{}.rs", n.plural),
            ENTITY,
        ),
        (format!("crates/persistence/src/repo/{}.rs", n.plural), REPO),
        (format!("crates/api/src/routes/{}.rs", n.plural), ROUTES),
        (format!("tests/api/{}.rs", n.plural), TEST),
    ];
    for (rel, template) in &files {
        create(&p(rel), &rustfmt(&fill(template, &n))?)?;
        println!("wrote {rel}");
    }

    // Its registrations, each where forgetting it fails the build or a test.
    let s = &n.singular;
    add_sorted(
        &p("crates/domain/src/lib.rs"),
        "pub mod ",
        &format!("pub mod {s};"),
    )?;
    insert_before(
        &p("crates/domain/src/lib.rs"),
        "pub use enums::{",
        &fill(
            "pub use {{singular}}::{{{Record}}, {{Record}}Input, {{Record}}ListParams, {{Record}}SortKey};",
            &n,
        ),
    )?;
    insert_after(
        &p("crates/domain/src/record.rs"),
        "record!(",
        &fill("    crate::{{Record}},", &n),
    )?;
    insert_after(
        &p("crates/domain/src/paging.rs"),
        "paged!(",
        &fill("    crate::{{Record}}ListParams,", &n),
    )?;
    insert_after(
        &p("crates/domain/src/paging.rs"),
        "resumable!(",
        &fill("    crate::{{Record}}ListParams => count,", &n),
    )?;
    insert_after(
        &p("crates/domain/src/resource_type.rs"),
        "resource_types!(",
        &fill("    {{Record}} => \"{{singular}}\" / \"{{path}}\",", &n),
    )?;
    // Last in the list: migrations run in the order they are listed.
    edit(&p("migrations/src/lib.rs"), |text| {
        let list = text.find("migrations!(").ok_or("no migrations!( list")?;
        let end = list + text[list..].find("\n);").ok_or("no end of migrations!(")?;
        Ok(format!(
            "{}\n    {migration},{}",
            &text[..end],
            &text[end..]
        ))
    })?;
    add_sorted(
        &p("crates/persistence/src/entities/mod.rs"),
        "pub mod ",
        &format!("pub mod {};", n.plural),
    )?;
    insert_after(
        &p("crates/persistence/src/repo/soft_delete.rs"),
        "soft_delete!(",
        &format!("    {},", n.plural),
    )?;
    add_sorted(
        &p("crates/persistence/src/repo/mod.rs"),
        "pub mod ",
        &format!("pub mod {};", n.plural),
    )?;
    // Referrers before what they refer to: before projects in the purge order.
    insert_before(
        &p("crates/persistence/src/repo/registry.rs"),
        "    Project => projects::Projects, rihla_domain::Project;",
        &fill(
            "    {{Record}} => super::{{plural}}::{{Repo}}, rihla_domain::{{Record}};",
            &n,
        ),
    )?;
    // Its project_id key: the project's delete is refused while it names it.
    insert_before(
        &p("crates/persistence/src/repo/projects.rs"),
        "        Link::referrer(ResourceType::Activity, \"activities\", \"project_id\"),",
        &fill(
            "        Link::referrer(ResourceType::{{Record}}, \"{{plural}}\", \"project_id\"),",
            &n,
        ),
    )?;
    insert_before(
        &p("crates/api/src/routes/mod.rs"),
        "        pub mod reports;",
        &format!("        pub mod {};", n.plural),
    )?;
    insert_before(
        &p("crates/api/src/openapi.rs"),
        "        (name = \"reports\",",
        &fill(
            "        (name = \"{{path}}\", description = \"The {{words}}s of a project\"),",
            &n,
        ),
    )?;
    add_sorted(
        &p("tests/api/main.rs"),
        "mod ",
        &format!("mod {};", n.plural),
    )?;
    insert_before(
        &p("tests/api/support.rs"),
        "        ResourceType::ProjectMember => {",
        &fill(ONE_OF_ARM, &n),
    )?;

    // The registrations were inserted unformatted; then the contract.
    let status = std::process::Command::new("cargo")
        .args(["fmt", "--all"])
        .current_dir(root)
        .status()
        .map_err(|e| e.to_string())?;
    if !status.success() {
        return Err("cargo fmt failed".into());
    }
    let spec = std::process::Command::new("cargo")
        .args(["run", "-q", "--bin", "rihla", "--", "openapi"])
        .current_dir(root)
        .output()
        .map_err(|e| e.to_string())?;
    if !spec.status.success() {
        return Err(format!(
            "the new resource does not build yet:\n{}",
            String::from_utf8_lossy(&spec.stderr)
        ));
    }
    std::fs::write(p("openapi/openapi.json"), &spec.stdout).map_err(|e| e.to_string())?;
    println!("rewrote openapi/openapi.json");
    println!(
        "\n{} is in place. Next: give it its real fields (domain, migration, entity, \
         columns()), say what it is in each new file's header, and run cargo test.",
        n.plural
    );
    Ok(())
}

const DOMAIN: &str = r##"//! {{Record}}s: a project-owned record (written by `cargo xtask
//! new-resource`; say here what it is).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::validation::{self, Check, FieldError};

/// What a client sends to create (POST) or fully replace (PUT) a {{words}}.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "project_id": "019367e0-0000-7000-8000-000000000010",
    "title": "A {{words}}",
    "notes": null
}))]
pub struct {{Record}}Input {
    /// The project it belongs to; must exist.
    pub project_id: Uuid,
    #[validate(length(min = 1, max = 500), custom(function = "validation::not_blank"))]
    #[schema(min_length = 1, max_length = 500, pattern = r"\S")]
    pub title: String,
    #[validate(length(max = 10000))]
    #[schema(max_length = 10000)]
    pub notes: Option<String>,
}

impl Check for {{Record}}Input {
    fn check(&self) -> Vec<FieldError> {
        match self.validate() {
            Ok(()) => Vec::new(),
            Err(e) => validation::flatten(&e),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "019367e0-0000-7000-8000-000000000070",
    "project_id": "019367e0-0000-7000-8000-000000000010",
    "title": "A {{words}}",
    "notes": null,
    "created_at": "2026-11-22T08:00:00Z",
    "updated_at": "2026-11-22T08:00:00Z",
    "created_by": "019367e0-0000-7000-8000-0000000000aa",
    "updated_by": "019367e0-0000-7000-8000-0000000000aa",
    "version": 1
}))]
pub struct {{Record}} {
    pub id: Uuid,
    pub project_id: Uuid,
    pub title: String,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub created_by: Option<Uuid>,
    pub updated_by: Option<Uuid>,
    /// +1 on every write; the ETag is derived from it.
    pub version: i32,
    /// Set when the record was deleted; only admins see deleted records
    /// (`include_deleted=true`), and `POST .../restore` clears it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
    /// Who deleted it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_by: Option<Uuid>,
}

impl From<&{{Record}}> for {{Record}}Input {
    fn from(r: &{{Record}}) -> Self {
        {{Record}}Input {
            project_id: r.project_id,
            title: r.title.clone(),
            notes: r.notes.clone(),
        }
    }
}

crate::paging::sort_keys!(
    /// Keys `GET /{{path}}` sorts by.
    {{Record}}SortKey by default Title asc {
        Title => "title",
        CreatedAt => "created_at",
        UpdatedAt => "updated_at",
    }
);

/// Filters, sort and paging of `GET /{{path}}`. No filter carries an
/// example, so Swagger UI's "Try it out" lists every record.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct {{Record}}ListParams {
    /// Those of this project.
    pub project_id: Option<Uuid>,
    /// Case-insensitive substring of the title or notes.
    pub q: Option<String>,
    /// A sort key, '-' for descending; ties are broken by id.
    #[param(schema_with = {{Record}}SortKey::schema)]
    pub sort: Option<String>,
    /// Page size, 1..100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Also return `total`, the number of matching records.
    pub count: Option<bool>,
    /// Admins only: list deleted records too (each carries `deleted_at`).
    #[param(default = false)]
    pub include_deleted: Option<bool>,
}
"##;

const MIGRATION: &str = r##"//! {{Record}}s (written by `cargo xtask new-resource`): the table, an index
//! for each sort key, and one for a project's records in the default order.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{index, record_columns, restrict};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                record_columns(
                    Table::create()
                        .table("{{plural}}")
                        .col(pk_uuid("id"))
                        .col(uuid("project_id"))
                        .col(text("title"))
                        .col(text_null("notes"))
                        .foreign_key(&mut restrict("{{plural}}", "project_id", "projects")),
                )
                .col(timestamp_with_time_zone_null("deleted_at"))
                .col(uuid_null("deleted_by"))
                .take(),
            )
            .await?;
        for (name, cols) in [
            ("ix_{{plural}}_title", &["title", "id"][..]),
            ("ix_{{plural}}_created_at", &["created_at", "id"][..]),
            ("ix_{{plural}}_updated_at", &["updated_at", "id"][..]),
            ("ix_{{plural}}_project", &["project_id", "title", "id"][..]),
        ] {
            manager.create_index(index(name, "{{plural}}", cols)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("{{plural}}").take())
            .await
    }
}
"##;

const ENTITY: &str = r##"use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "{{plural}}")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub project_id: Uuid,
    pub title: String,
    pub notes: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub created_by: Option<Uuid>,
    pub updated_by: Option<Uuid>,
    pub version: i32,
    pub deleted_at: Option<DateTimeUtc>,
    pub deleted_by: Option<Uuid>,
}

impl ActiveModelBehavior for ActiveModel {}
"##;

const REPO: &str = r##"//! {{Record}}s (written by `cargo xtask new-resource`): a project-owned
//! resource on the generic layer (`resource`). All it says is what differs:
//! its columns, the records it must name, its list filters, and the keys
//! into its table (none yet).

use rihla_domain::{FieldError, Page, {{Record}}, {{Record}}Input, {{Record}}ListParams, {{Record}}SortKey};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::resource::{self, Access, Editable, Held, Link, Resource, Unique};
use super::{added, dangling, existing, text_search};
use crate::entities::{projects, {{plural}}};
use crate::scope::{Owner, Reach, Scope};
use crate::{Actor, Connection, RepoError, WriteConn};

use {{plural}}::{Column, Entity};

pub struct {{Repo}};

fn to_domain(m: {{plural}}::Model) -> {{Record}} {
    {{Record}} {
        id: m.id,
        project_id: m.project_id,
        title: m.title,
        notes: m.notes,
        created_at: m.created_at,
        updated_at: m.updated_at,
        created_by: m.created_by,
        updated_by: m.updated_by,
        version: m.version,
        deleted_at: m.deleted_at,
        deleted_by: m.deleted_by,
    }
}

pub async fn list(
    db: &impl Connection,
    scope: Scope,
    p: &{{Record}}ListParams,
) -> Result<Page<{{Record}}>, RepoError> {
    let (mut select, _, req) = resource::list::<{{Repo}}, {{Record}}SortKey>(&scope, p)?;
    if let Some(project) = p.project_id {
        select = select.filter(Column::ProjectId.eq(project));
    }
    if let Some(q) = text_search(p.q.as_deref(), &[Column::Title, Column::Notes]) {
        select = select.filter(q);
    }
    resource::page::<{{Repo}}>(db, select, req).await
}

/// The project it names exists (of an update, only a project it changes to).
async fn check(
    db: &impl Connection,
    input: &{{Record}}Input,
    before: Option<&{{Record}}>,
) -> Result<(), RepoError> {
    let held: Option<Vec<Uuid>> = before.map(|b| vec![b.project_id]);
    let refs = added(vec![("project_id".to_owned(), input.project_id)], held.as_deref());
    let ids: Vec<Uuid> = refs.iter().map(|(_, id)| *id).collect();
    let errors: Vec<FieldError> =
        dangling(&refs, &existing::<projects::Entity>(db, &ids).await?, "project");
    if errors.is_empty() {
        Ok(())
    } else {
        Err(RepoError::Invalid(errors))
    }
}

/// The columns a client controls, shared by create and replace.
fn columns(input: &{{Record}}Input) -> {{plural}}::ActiveModel {
    super::record_row!({{plural}} {
        project_id: Set(input.project_id),
        title: Set(input.title.clone()),
        notes: Set(input.notes.clone()),
    })
}

impl Resource for {{Repo}} {
    type Entity = Entity;
    type Row = {{plural}}::Model;
    type Record = {{Record}};
    const UNIQUE: &'static [Unique] = &[];
    const LINKS: &'static [Link] = &[];
    const LABEL: Column = Column::Title;

    fn access(reach: &Reach) -> Access<Condition> {
        Access::Projects(reach.projects(Column::ProjectId))
    }

    async fn assemble(
        _db: &impl Connection,
        rows: Vec<{{plural}}::Model>,
    ) -> Result<Vec<{{Record}}>, RepoError> {
        Ok(rows.into_iter().map(to_domain).collect())
    }

    fn label(record: &{{Record}}) -> String {
        format!("{{words}} {:?}", record.title)
    }

    fn held(record: &{{Record}}) -> Held {
        Held::Project(Some(record.project_id))
    }
}

impl Editable for {{Repo}} {
    type Input = {{Record}}Input;

    async fn check(
        db: &impl Connection,
        input: &{{Record}}Input,
        current: Option<&{{Record}}>,
    ) -> Result<(), RepoError> {
        check(db, input, current).await
    }

    async fn owner(_db: &impl Connection, input: &{{Record}}Input) -> Result<Owner, RepoError> {
        Ok(Owner::Projects(vec![("project_id", Some(input.project_id))]))
    }

    async fn insert(
        db: &impl WriteConn,
        actor: &Actor,
        input: &{{Record}}Input,
    ) -> Result<{{Record}}, RepoError> {
        let (id, row) = super::new_row::<Entity>(columns(input), actor);
        Entity::insert(row).exec_without_returning(db).await?;
        resource::load::<Self>(db, id, false, false).await
    }

    async fn write(
        db: &impl WriteConn,
        actor: &Actor,
        current: &{{Record}},
        input: &{{Record}}Input,
    ) -> Result<{{Record}}, RepoError> {
        super::write_version::<Entity>(db, actor, columns(input), current.id, current.version).await?;
        resource::load::<Self>(db, current.id, false, false).await
    }
}
"##;

const ROUTES: &str = r##"//! /api/v1/{{path}}

use rihla_domain::{Page, {{Record}}, {{Record}}Input, {{Record}}ListParams};
use rihla_persistence::repo::{{plural}} as repo;

super::crud::crud_routes! {
    tag: "{{path}}",
    collection: "/{{path}}",
    item: "/{{path}}/{id}",
    id: "{{Record}} id",
    repo: repo,
    resource: repo::{{Repo}},
    writers: Writer,
    record: {{Record}},
    input: {{Record}}Input,
    params: {{Record}}ListParams,
    list: list_{{plural}} => ["List {{words}}s",
        "Filters combine with AND. Keyset-paged: pass `next_cursor` back as `cursor` with the same `sort` to get the next page."],
    create: create_{{singular}} => ["Create a {{words}}",
        "Its project must exist. Honours `Idempotency-Key`."],
    get: get_{{singular}} => ["Get a {{words}}"],
    replace: replace_{{singular}} => ["Replace a {{words}}",
        "Every field is set from the body; omitted optional fields become null."],
    patch: patch_{{singular}} => ["Update a {{words}} partially",
        "A JSON merge patch (RFC 7386): members present change, `null` clears a field. The result must pass the same rules as a replace.",
        {"title": "A new title"}],
    delete: delete_{{singular}} => ["Delete a {{words}}",
        "Soft delete: the record disappears from reads and lists, keeps its history, and can be restored (`POST .../restore`) until `rihla purge` removes it."],
    restore: restore_{{singular}} at "/{{path}}/{id}/restore" => ["Restore a deleted {{words}}",
        "Its project must still exist (409 otherwise)."],
    history: {{singular}}_history at "/{{path}}/{id}/history" => ["History of a {{words}}"],
}
"##;

const TEST: &str = r##"//! {{Record}}s (written by `cargo xtask new-resource`): the round trip of
//! every operation, and the project that cannot be deleted while one names
//! it. The audit trail, CSV export and BOLA matrix cover it through
//! `support::one_of`.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::*;

#[tokio::test]
async fn a_{{singular}}_is_created_read_listed_patched_deleted_and_restored() {
    let app = spawn_app().await;
    let project = app.project(project_body("{{Record}}-1")).await;
    let body = json!({"project_id": id(&project), "title": "First", "notes": "نص عربي"});
    let res = app.post("/api/v1/{{path}}", &app.admin, &body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let created: Value = res.json().await.unwrap();
    for (k, v) in body.as_object().unwrap() {
        assert_eq!(&created[k], v, "{k}");
    }
    assert_eq!(app.read(&location).await, created);

    let listed = app
        .read(&format!("/api/v1/{{path}}?project_id={}&q=fir", id(&project)))
        .await;
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));

    let res = app
        .request(Method::PATCH, &location, &app.admin)
        .header("content-type", "application/merge-patch+json")
        .body(json!({"title": "Renamed", "notes": null}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let patched: Value = res.json().await.unwrap();
    assert_eq!((&patched["title"], &patched["notes"]), (&json!("Renamed"), &Value::Null));

    // The project cannot go while the record names it.
    let res = app
        .delete(&format!("/api/v1/projects/{}", id(&project)), &app.admin)
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);

    assert_eq!(app.delete(&location, &app.admin).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.get(&location, &app.admin).await.status(), StatusCode::NOT_FOUND);
    let res = app
        .post(&format!("{location}/restore"), &app.admin, &json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.read(&location).await["title"], "Renamed");
}

#[tokio::test]
async fn a_{{singular}}_of_a_missing_project_is_refused_naming_the_field() {
    let app = spawn_app().await;
    let res = app
        .post(
            "/api/v1/{{path}}",
            &app.admin,
            &json!({"project_id": "019367e0-0000-7000-8000-000000000999", "title": "x"}),
        )
        .await;
    let problem = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(error_fields(&problem), ["project_id"]);
}
"##;

const ONE_OF_ARM: &str = r##"        ResourceType::{{Record}} => {
            let project = match project {
                Some(p) => p.to_owned(),
                None => id(&post(
                    "/api/v1/projects".into(),
                    editor.clone(),
                    project_body("{{Record}}-P"),
                )
                .await),
            };
            let input = json!({"project_id": project, "title": "A {{words}}"});
            let made = post("/api/v1/{{path}}".into(), editor, input.clone()).await;
            let path = format!("/api/v1/{{path}}/{}", id(&made));
            Written {
                id: id(&made),
                change: patch(&path, "title", renamed.clone()),
                path,
                field: "title",
                value: renamed,
                admin: false,
                correlated: true,
                input,
            }
        }"##;

#[cfg(test)]
mod tests {
    #[test]
    fn names_take_every_form_the_code_uses() {
        let n = super::names("study_mission", None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (
                n.plural.as_str(),
                n.path.as_str(),
                n.record.as_str(),
                n.repo.as_str()
            ),
            (
                "study_missions",
                "study-missions",
                "StudyMission",
                "StudyMissions"
            )
        );
        assert!(super::names("Mission", None).is_err());
        assert!(super::names("mission-2", None).is_err());
    }

    #[test]
    fn today_is_a_date() {
        let d = super::today();
        assert_eq!(d.len(), 8);
        assert!(d.starts_with("20"));
    }
}
