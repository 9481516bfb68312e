//! Dialogue meetings: /api/v1/dialogues/{id}/meetings[/{meeting_id}], and the
//! calendar across dialogues, /api/v1/meetings. Written out rather than by
//! `crud_routes!` because every item path carries two ids.

use actix_web::web::{Data, Path, Query};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put};
use rihla_domain::{
    AuditEvent, HistoryParams, Meeting, MeetingInput, MeetingListParams, Page, ReadParams,
    ResourceType,
};
use rihla_persistence::repo::meetings as repo;
use uuid::Uuid;

use crate::auth::{Editor, Viewer};
use crate::error::ApiError;
use crate::http::{IdempotencyKey, IfMatch, Valid};
use crate::state::AppState;
use crate::write;

/// List the meetings of all dialogues
///
/// A calendar across dialogues: the filters of the per-dialogue list plus
/// `dialogue_id`. `from`/`to` select meetings whose dates overlap the window.
#[utoipa::path(
    tag = "meetings",
    params(MeetingListParams),
    responses((status = 200, description = "One page, in `sort` order", body = Page<Meeting>))
)]
#[get("/meetings")]
async fn list_meetings(
    caller: Viewer,
    state: Data<AppState>,
    params: Query<MeetingListParams>,
    wants: crate::export::Wants,
) -> Result<HttpResponse, ApiError> {
    caller.include_deleted(params.include_deleted)?;
    crate::export::list(
        wants,
        "meetings",
        params.into_inner(),
        move |p: MeetingListParams| {
            let state = state.clone();
            async move { Ok(repo::list(&state.reader().await?, &p).await?) }
        },
    )
    .await
}

/// List the meetings of a dialogue
///
/// Exactly this dialogue's meetings (its `dialogue_id` filter is the path's).
/// 404 when the dialogue does not exist.
#[utoipa::path(
    tag = "meetings",
    params(("id" = Uuid, Path, description = "Dialogue id"), MeetingListParams),
    responses((status = 200, description = "One page, in `sort` order", body = Page<Meeting>))
)]
#[get("/dialogues/{id}/meetings")]
async fn list_dialogue_meetings(
    caller: Viewer,
    state: Data<AppState>,
    id: Path<Uuid>,
    params: Query<MeetingListParams>,
    wants: crate::export::Wants,
) -> Result<HttpResponse, ApiError> {
    caller.include_deleted(params.include_deleted)?;
    let id = *id;
    crate::export::list(
        wants,
        "dialogue-meetings",
        params.into_inner(),
        move |p: MeetingListParams| {
            let state = state.clone();
            async move { Ok(repo::list_for_dialogue(&state.reader().await?, id, &p).await?) }
        },
    )
    .await
}

/// Create a meeting of a dialogue
///
/// 404 when the dialogue does not exist. Honours `Idempotency-Key`.
#[utoipa::path(
    tag = "meetings",
    params(("id" = Uuid, Path, description = "Dialogue id")),
    request_body = MeetingInput,
    responses((status = 201, description = "Created", body = Meeting))
)]
#[post("/dialogues/{id}/meetings")]
async fn create_meeting(
    caller: Editor,
    state: Data<AppState>,
    req: HttpRequest,
    id: Path<Uuid>,
    key: IdempotencyKey,
    body: Valid<MeetingInput>,
) -> Result<HttpResponse, ApiError> {
    let Valid(body) = body;
    let dialogue = *id;
    write::create(
        &state,
        &caller,
        &req,
        key,
        &body.canonical_hash,
        write::anyone,
        async |tx| Ok(repo::create(tx, &caller.actor(), dialogue, &body.value).await?),
    )
    .await
}

/// Get a meeting of a dialogue
#[utoipa::path(
    tag = "meetings",
    params(
        ("id" = Uuid, Path, description = "Dialogue id"),
        ("meeting_id" = Uuid, Path, description = "Meeting id"),
        ReadParams
    ),
    responses((status = 200, description = "The record", body = Meeting))
)]
#[get("/dialogues/{id}/meetings/{meeting_id}")]
async fn get_meeting(
    caller: Viewer,
    state: Data<AppState>,
    path: Path<(Uuid, Uuid)>,
    read: Query<ReadParams>,
) -> Result<HttpResponse, ApiError> {
    let (dialogue, id) = path.into_inner();
    let record = if caller.include_deleted(read.include_deleted)? {
        repo::get_any(&state.reader().await?, dialogue, id).await?
    } else {
        repo::get(&state.reader().await?, dialogue, id).await?
    };
    Ok(write::ok(&record))
}

/// Replace a meeting of a dialogue
///
/// Every field is set from the body; omitted fields take their defaults.
#[utoipa::path(
    tag = "meetings",
    params(
        ("id" = Uuid, Path, description = "Dialogue id"),
        ("meeting_id" = Uuid, Path, description = "Meeting id")
    ),
    request_body = MeetingInput,
    responses((status = 200, description = "The replaced record", body = Meeting))
)]
#[put("/dialogues/{id}/meetings/{meeting_id}")]
async fn replace_meeting(
    caller: Editor,
    state: Data<AppState>,
    path: Path<(Uuid, Uuid)>,
    if_match: IfMatch,
    body: Valid<MeetingInput>,
) -> Result<HttpResponse, ApiError> {
    let (dialogue, id) = path.into_inner();
    let tx = write::begin(&state).await?;
    let record = repo::replace(
        &tx,
        &caller.actor(),
        dialogue,
        id,
        &body.0.value,
        if_match.0,
    )
    .await?;
    write::commit(tx).await?;
    Ok(write::ok(&record))
}

/// Update a meeting of a dialogue partially
///
/// A JSON merge patch (RFC 7386). The result must pass the same rules as a replace.
#[utoipa::path(
    tag = "meetings",
    params(
        ("id" = Uuid, Path, description = "Dialogue id"),
        ("meeting_id" = Uuid, Path, description = "Meeting id")
    ),
    request_body(content = Object, content_type = "application/merge-patch+json",
        example = json!({"status": "held"})),
    responses((status = 200, description = "The updated record", body = Meeting))
)]
#[patch("/dialogues/{id}/meetings/{meeting_id}")]
async fn patch_meeting(
    caller: Editor,
    state: Data<AppState>,
    path: Path<(Uuid, Uuid)>,
    if_match: IfMatch,
    body: crate::http::Json<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    let (dialogue, id) = path.into_inner();
    let tx = write::begin(&state).await?;
    let current = repo::get_for_update(&tx, dialogue, id).await?;
    let input: MeetingInput = write::patched(if_match, &current, &body.value)?;
    let record = repo::update(&tx, &caller.actor(), &current, &input).await?;
    write::commit(tx).await?;
    Ok(write::ok(&record))
}

/// Delete a meeting of a dialogue
///
/// Soft delete: the meeting disappears from reads, lists and reference checks,
/// keeps its history, and can be restored until `rihla purge` removes it. 409,
/// listing them in `references`, while delegations still go to it.
#[utoipa::path(
    tag = "meetings",
    params(
        ("id" = Uuid, Path, description = "Dialogue id"),
        ("meeting_id" = Uuid, Path, description = "Meeting id")
    ),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/dialogues/{id}/meetings/{meeting_id}")]
async fn delete_meeting(
    caller: Editor,
    state: Data<AppState>,
    path: Path<(Uuid, Uuid)>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let (dialogue, id) = path.into_inner();
    let tx = write::begin(&state).await?;
    repo::delete(&tx, &caller.actor(), dialogue, id, if_match.0).await?;
    write::commit(tx).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Restore a deleted meeting
///
/// Its dialogue must still exist (409 otherwise).
#[utoipa::path(
    tag = "meetings",
    extensions(("x-rihla" = json!(["versioned"]))),
    params(
        ("id" = Uuid, Path, description = "Dialogue id"),
        ("meeting_id" = Uuid, Path, description = "Meeting id")
    ),
    responses((status = 200, description = "The restored record", body = Meeting))
)]
#[post("/dialogues/{id}/meetings/{meeting_id}/restore")]
async fn restore_meeting(
    caller: Editor,
    state: Data<AppState>,
    path: Path<(Uuid, Uuid)>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let (dialogue, id) = path.into_inner();
    let tx = write::begin(&state).await?;
    let record = repo::restore(&tx, &caller.actor(), dialogue, id, if_match.0).await?;
    write::commit(tx).await?;
    Ok(write::ok(&record))
}

/// History of a meeting
///
/// Every create, update, delete, restore and purge of the meeting, newest
/// first. Admins also see the history of deleted and purged meetings.
#[utoipa::path(
    tag = "meetings",
    params(
        ("id" = Uuid, Path, description = "Dialogue id"),
        ("meeting_id" = Uuid, Path, description = "Meeting id"),
        HistoryParams
    ),
    responses((status = 200, description = "One page of events, newest first", body = Page<AuditEvent>))
)]
#[get("/dialogues/{id}/meetings/{meeting_id}/history")]
async fn meeting_history(
    caller: Viewer,
    state: Data<AppState>,
    path: Path<(Uuid, Uuid)>,
    params: Query<HistoryParams>,
    wants: crate::export::Wants,
) -> Result<HttpResponse, ApiError> {
    let (dialogue, id) = path.into_inner();
    // A meeting of another dialogue is not found here. A purged one has no
    // row left to say where it was; its history (admins only) still is.
    if let Some(of) = repo::dialogue_of(&state.db, id).await?
        && of != dialogue
    {
        return Err(ApiError::NotFound(
            "no meeting with this id in this dialogue".into(),
        ));
    }
    super::audit::record_history(
        &state,
        &caller,
        ResourceType::Meeting,
        id,
        params.into_inner(),
        wants,
    )
    .await
}

/// Get a meeting by its id alone
///
/// The same as `GET /dialogues/{id}/meetings/{meeting_id}`, for clients that
/// found the meeting in the calendar or the change feed.
#[utoipa::path(
    tag = "meetings",
    params(("meeting_id" = Uuid, Path, description = "Meeting id"), ReadParams),
    responses((status = 200, description = "The record", body = Meeting))
)]
#[get("/meetings/{meeting_id}")]
async fn get_meeting_by_id(
    caller: Viewer,
    state: Data<AppState>,
    id: Path<Uuid>,
    read: Query<ReadParams>,
) -> Result<HttpResponse, ApiError> {
    let include_deleted = caller.include_deleted(read.include_deleted)?;
    let record = repo::get_by_id(&state.reader().await?, *id, include_deleted).await?;
    Ok(write::ok(&record))
}

/// Restore a deleted meeting by its id alone
///
/// The same as `POST /dialogues/{id}/meetings/{meeting_id}/restore`, for
/// clients that found the meeting in the calendar or the change feed.
#[utoipa::path(
    tag = "meetings",
    extensions(("x-rihla" = json!(["versioned"]))),
    params(("meeting_id" = Uuid, Path, description = "Meeting id")),
    responses((status = 200, description = "The restored record", body = Meeting))
)]
#[post("/meetings/{meeting_id}/restore")]
async fn restore_meeting_by_id(
    caller: Editor,
    state: Data<AppState>,
    id: Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let tx = write::begin(&state).await?;
    let record = repo::restore_by_id(&tx, &caller.actor(), *id, if_match.0).await?;
    write::commit(tx).await?;
    Ok(write::ok(&record))
}

/// History of a meeting by its id alone
///
/// The same as `GET /dialogues/{id}/meetings/{meeting_id}/history`, for
/// clients that found the meeting in the calendar or the change feed.
#[utoipa::path(
    tag = "meetings",
    params(("meeting_id" = Uuid, Path, description = "Meeting id"), HistoryParams),
    responses((status = 200, description = "One page of events, newest first", body = Page<AuditEvent>))
)]
#[get("/meetings/{meeting_id}/history")]
async fn meeting_history_by_id(
    caller: Viewer,
    state: Data<AppState>,
    id: Path<Uuid>,
    params: Query<HistoryParams>,
    wants: crate::export::Wants,
) -> Result<HttpResponse, ApiError> {
    super::audit::record_history(
        &state,
        &caller,
        ResourceType::Meeting,
        *id,
        params.into_inner(),
        wants,
    )
    .await
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_meetings)
        .service(list_dialogue_meetings)
        .service(create_meeting)
        .service(get_meeting)
        .service(replace_meeting)
        .service(patch_meeting)
        .service(delete_meeting)
        .service(restore_meeting)
        .service(meeting_history)
        .service(get_meeting_by_id)
        .service(restore_meeting_by_id)
        .service(meeting_history_by_id);
}
