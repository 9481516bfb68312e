//! /api/v1/activities, and the nested read /api/v1/projects/{id}/activities.

use actix_web::HttpResponse;
use actix_web::web::{Data, Path, Query};
use rihla_domain::{Activity, ActivityInput, ActivityListParams, Page};
use rihla_persistence::repo::activities as repo;
use uuid::Uuid;

use crate::auth::Viewer;
use crate::error::ApiError;
use crate::export::{self, Wants};
use crate::state::AppState;

super::crud::crud_routes! {
    tag: "activities",
    collection: "/activities",
    item: "/activities/{id}",
    id: "Activity id",
    repo: repo,
    resource: repo::Activities,
    writers: Writer,
    record: Activity,
    input: ActivityInput,
    params: ActivityListParams,
    list: list_activities => ["List activities",
        "Filters combine with AND. `from`/`to` select activities whose period overlaps the window. Keyset-paged: pass `next_cursor` back as `cursor` with the same `sort` to get the next page."],
    create: create_activity => ["Create an activity",
        "`project_id` must name an existing project and `outcome_code`, when given, one of its outcomes; `dialogue_id` and every organisation must exist (422 naming the field otherwise). Honours `Idempotency-Key`."],
    get: get_activity => ["Get an activity"],
    replace: replace_activity => ["Replace an activity",
        "Every field and list is set from the body; omitted fields take their defaults (null, empty, status `planned`)."],
    patch: patch_activity => ["Update an activity partially",
        "A JSON merge patch (RFC 7386): members present change, `null` clears a field or empties a list, objects such as `participants` merge. The result must pass the same rules as a replace.",
        {"status": "completed", "outputs": ["Draft training plan"]}],
    delete: delete_activity => ["Delete an activity",
        "Soft delete: the record disappears from reads, lists and reference checks, keeps its history, and can be restored (`POST .../restore`) until `rihla purge` removes it."],
    restore: restore_activity at "/activities/{id}/restore" => ["Restore a deleted activity",
        "Its project (with its outcome), dialogue and organisations must still exist (409 otherwise)."],
    history: activity_history at "/activities/{id}/history" => ["History of an activity"],
    also: [list_project_activities],
}

/// List the activities of a project
///
/// Exactly this project's activities, with every filter and sort of
/// `GET /activities` (its `project_id` filter is the path's). 404 when the
/// project does not exist.
#[utoipa::path(
    tag = "activities",
    params(("id" = Uuid, Path, description = "Project id"), ActivityListParams),
    responses((status = 200, description = "One page, in `sort` order", body = Page<Activity>))
)]
#[get("/projects/{id}/activities")]
async fn list_project_activities(
    caller: Viewer,
    state: Data<AppState>,
    id: Path<Uuid>,
    params: Query<ActivityListParams>,
    wants: Wants,
) -> Result<HttpResponse, ApiError> {
    caller.include_deleted(params.include_deleted)?;
    let (scope, id) = (caller.scope(), *id);
    export::list(
        wants,
        "project-activities",
        params.into_inner(),
        move |p: ActivityListParams| {
            let (state, scope) = (state.clone(), scope.clone());
            async move { Ok(repo::list_for_project(&state.reader().await?, scope, id, &p).await?) }
        },
    )
    .await
}
