//! /api/v1/audit-events (the admin's audit log), /api/v1/changes (the change
//! feed), and the history read every resource's `/{id}/history` shares.

use actix_web::web::{Data, Query};
use actix_web::{HttpResponse, get};
use rihla_domain::{
    AuditEvent, AuditEventListParams, ChangeFeed, ChangeListParams, HistoryParams, Page,
    ResourceType, Role,
};
use rihla_persistence::repo::audit;
use uuid::Uuid;

use crate::auth::{Admin, Caller, Viewer};
use crate::error::ApiError;
use crate::export::{self, Wants};
use crate::state::AppState;

/// A record's events, for whoever may read the record: anyone while it is
/// live, admins also once it is deleted or purged. 404 otherwise, as for the
/// record itself.
pub async fn record_history(
    state: &Data<AppState>,
    caller: &Caller,
    resource: ResourceType,
    id: Uuid,
    params: HistoryParams,
    wants: Wants,
) -> Result<HttpResponse, ApiError> {
    let admin = caller.role == Role::Admin;
    let not_found = || ApiError::NotFound("no record with this id".into());
    if !resource.readable_by(caller.role) {
        return Err(not_found());
    }
    if !audit::exists(&state.reader().await?, caller.scope(), resource, id, admin).await? {
        return Err(not_found());
    }
    let state = state.clone();
    let scope = caller.scope();
    export::list(wants, "history", params, move |p: HistoryParams| {
        let (state, scope) = (state.clone(), scope.clone());
        async move { Ok(audit::history(&state.reader().await?, scope, resource, id, &p).await?) }
    })
    .await
}

/// List audit events
///
/// Every change to every record, newest first, with who made it (`actor_type`,
/// `actor_id`), the request it came from, the version it produced and what
/// changed. Filters combine with AND; `from` is inclusive, `to` exclusive.
/// Admins only. Events older than `APP_AUDIT_RETENTION_DAYS` are removed by
/// `rihla audit prune`.
#[utoipa::path(
    tag = "history",
    params(AuditEventListParams),
    responses((status = 200, description = "One page of events, newest first", body = Page<AuditEvent>))
)]
#[get("/audit-events")]
async fn list_audit_events(
    _: Admin,
    state: Data<AppState>,
    params: Query<AuditEventListParams>,
    wants: Wants,
) -> Result<HttpResponse, ApiError> {
    export::list(
        wants,
        "audit-events",
        params.into_inner(),
        move |p: AuditEventListParams| {
            let state = state.clone();
            async move { Ok(audit::list(&state.db, &p).await?) }
        },
    )
    .await
}

/// Read the change feed
///
/// Every committed change, in commit order, exactly once: start without
/// `after`, then pass each page's `next_cursor` back as `after`. An empty page
/// means you are up to date; poll again with the same cursor. Two changes to
/// one record always appear in the order of their versions. Deleted records
/// appear as `delete` events; fetch the record (or its history) for details.
/// Viewers and editors see every resource but users and API keys; admins
/// see all; a partner sees the changes to shared reference data and to the
/// records of its projects. As CSV: every change after `after` up to the
/// last one committed.
#[utoipa::path(
    tag = "history",
    extensions(("x-rihla" = json!(["export"]))),
    params(ChangeListParams),
    responses((status = 200, description = "The changes after `after`, oldest first", body = ChangeFeed))
)]
#[get("/changes")]
async fn list_changes(
    caller: Viewer,
    state: Data<AppState>,
    params: Query<ChangeListParams>,
    wants: Wants,
) -> Result<HttpResponse, ApiError> {
    if let Some(only) = params.resource_type
        && !only.readable_by(caller.role)
    {
        return Err(ApiError::Forbidden(format!(
            "changes to {only} records need the admin role"
        )));
    }
    let readable: Vec<ResourceType> = ResourceType::ALL
        .iter()
        .copied()
        .filter(|t| t.readable_by(caller.role))
        .collect();
    let scope = caller.scope();
    if matches!(wants, Wants::Json) {
        let feed = audit::changes(&state.db, scope, &params, &readable).await?;
        return Ok(HttpResponse::Ok().json(feed));
    }
    // As CSV: every change after `after` up to the last one committed; a
    // page shorter than asked for is the end.
    export::list(
        wants,
        "changes",
        params.into_inner(),
        move |p: ChangeListParams| {
            let (state, scope, readable) = (state.clone(), scope.clone(), readable.clone());
            async move {
                let feed = audit::changes(&state.db, scope, &p, &readable).await?;
                let asked = p.limit.unwrap_or(rihla_domain::audit::FEED_DEFAULT_LIMIT);
                let full = feed.items.len() as u64 == asked;
                Ok(Page {
                    items: feed.items,
                    next_cursor: full.then_some(feed.next_cursor),
                    total: None,
                })
            }
        },
    )
    .await
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_audit_events).service(list_changes);
}
