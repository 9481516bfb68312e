//! /api/v1/delegations, and the nested read
//! /api/v1/dialogues/{id}/meetings/{meeting_id}/delegations.

use actix_web::HttpResponse;
use actix_web::web::{Data, Path, Query};
use rihla_domain::{Delegation, DelegationInput, DelegationListParams, Page};
use rihla_persistence::repo::delegations as repo;
use uuid::Uuid;

use crate::auth::Viewer;
use crate::error::ApiError;
use crate::state::AppState;

super::crud::crud_routes! {
    tag: "delegations",
    collection: "/delegations",
    item: "/delegations/{id}",
    id: "Delegation id",
    repo: repo,
    resource: repo::Delegations,
    writers: Writer,
    record: Delegation,
    input: DelegationInput,
    params: DelegationListParams,
    list: list_delegations => ["List delegations",
        "Filters combine with AND; `dialogue_id` and `from`/`to` apply to the delegation's meeting. Every item carries its meeting's title, dates and dialogue name. Keyset-paged: pass `next_cursor` back as `cursor` with the same `sort` to get the next page."],
    create: create_delegation => ["Create a delegation",
        "`meeting_id` must exist, and so must `project_id`, `lead_organisation_id` and every member's `organisation_id` when given (422 naming the field otherwise). At most one member is `head`. A new delegation may start in any status. Honours `Idempotency-Key`."],
    get: get_delegation => ["Get a delegation",
        "Includes `meeting`: the meeting's title, dates and dialogue name."],
    replace: replace_delegation => ["Replace a delegation",
        "Every field is set from the body. `status` may stay or move along the workflow planned -> nominated -> confirmed -> attended, or to cancelled / declined from any state before attended; any other move is 409 with `current_state` and `allowed_next_states`."],
    patch: patch_delegation => ["Update a delegation partially",
        "A JSON merge patch (RFC 7386). A `status` change follows the workflow (see Replace a delegation): an illegal move is 409 with `current_state` and `allowed_next_states` and changes nothing.",
        {"status": "nominated"}],
    delete: delete_delegation => ["Delete a delegation",
        "Soft delete: the record disappears from reads, lists and reference checks, keeps its history, and can be restored (`POST .../restore`) until `rihla purge` removes it."],
    restore: restore_delegation at "/delegations/{id}/restore" => ["Restore a deleted delegation",
        "Its meeting, project and organisations must still exist (409 otherwise)."],
    history: delegation_history at "/delegations/{id}/history" => ["History of a delegation"],
    also: [list_meeting_delegations],
}

/// List the delegations to a meeting
///
/// Exactly the delegations to this meeting, with the filters and sorts of
/// `GET /delegations`. 404 unless the meeting belongs to the dialogue.
#[utoipa::path(
    tag = "delegations",
    params(
        ("id" = Uuid, Path, description = "Dialogue id"),
        ("meeting_id" = Uuid, Path, description = "Meeting id"),
        DelegationListParams
    ),
    responses((status = 200, description = "One page, in `sort` order", body = Page<Delegation>))
)]
#[get("/dialogues/{id}/meetings/{meeting_id}/delegations")]
async fn list_meeting_delegations(
    caller: Viewer,
    state: Data<AppState>,
    path: Path<(Uuid, Uuid)>,
    params: Query<DelegationListParams>,
    wants: crate::export::Wants,
) -> Result<HttpResponse, ApiError> {
    caller.include_deleted(params.include_deleted)?;
    let (dialogue, meeting) = path.into_inner();
    let scope = caller.scope();
    let fetch = move |p: DelegationListParams| {
        let (state, scope) = (state.clone(), scope.clone());
        async move {
            Ok(
                repo::list_for_meeting(&state.reader().await?, scope, dialogue, meeting, &p)
                    .await?,
            )
        }
    };
    crate::export::list(wants, "meeting-delegations", params.into_inner(), fetch).await
}
