//! /api/v1/projects

use rihla_domain::{Page, Project, ProjectInput, ProjectListParams};
use rihla_persistence::repo::projects as repo;

super::crud::crud_routes! {
    tag: "projects",
    collection: "/projects",
    item: "/projects/{id}",
    id: "Project id",
    repo: repo,
    resource: repo::Projects,
    writers: Writer,
    record: Project,
    input: ProjectInput,
    params: ProjectListParams,
    list: list_projects => ["List projects",
        "Filters combine with AND. Keyset-paged: pass `next_cursor` back as `cursor` with the same `sort` to get the next page."],
    create: create_project => ["Create a project",
        "`code` (and `iati_identifier`, when given) must be unique; every participating organisation must exist. Honours `Idempotency-Key`."],
    get: get_project => ["Get a project"],
    replace: replace_project => ["Replace a project",
        "Every field and list is set from the body; omitted fields take their defaults (null, empty, status `planned`). Removing an outcome that activities still use is 409."],
    patch: patch_project => ["Update a project partially",
        "A JSON merge patch (RFC 7386): members present change, `null` clears a field or empties a list, objects such as `budget` merge. The result must pass the same rules as a replace.",
        {"status": "active", "themes": ["governance"]}],
    delete: delete_project => ["Delete a project",
        "Soft delete: the record disappears from reads, lists and reference checks, keeps its history, and can be restored (`POST .../restore`) until `rihla purge` removes it. 409, listing them in `references`, while activities or delegations still refer to it."],
    restore: restore_project at "/projects/{id}/restore" => ["Restore a deleted project",
        "Its code must not have been taken by another project meanwhile, and every organisation it names must still exist (409 otherwise). Its participating organisations, outcomes and lists come back with it."],
    history: project_history at "/projects/{id}/history" => ["History of a project"],
}
