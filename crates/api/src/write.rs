//! The write paths every resource shares, so each handler stays one call:
//! idempotent create (201 + Location + ETag), merge-patch, and record responses.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};
use rihla_domain::{Check, Record, patch};
use rihla_persistence::repo::idempotency::{self, StoredResponse};
use rihla_persistence::{RepoError, Tx, begin_write, check_version, now};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::{IdempotencyKey, IfMatch, check, etag, from_value};
use crate::state::AppState;

/// 200 with the record and its ETag.
pub fn ok<R: Record>(record: &R) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag(record.version())))
        .json(record)
}

fn replay(stored: StoredResponse, path: &str, hash: &str) -> Result<HttpResponse, ApiError> {
    if stored.method != "POST" || stored.path != path || stored.request_hash != hash {
        return Err(ApiError::Unprocessable {
            detail: "this Idempotency-Key was already used with a different request".into(),
            errors: vec![rihla_domain::FieldError::new(
                "Idempotency-Key",
                "reused",
                "send a new key for a new request",
            )],
        });
    }
    let status = StatusCode::from_u16(stored.status_code).map_err(ApiError::internal)?;
    let mut res = HttpResponse::build(status);
    res.content_type("application/json")
        .insert_header(("idempotent-replayed", "true"));
    if let Some(l) = stored.location {
        res.insert_header((header::LOCATION, l));
    }
    if let Some(e) = stored.etag {
        res.insert_header((header::ETAG, e));
    }
    Ok(res.body(stored.body))
}

/// For `create`: a record kind every caller who may create it may read, so
/// a replay needs no look-up.
pub async fn anyone(_: uuid::Uuid) -> Result<(), ApiError> {
    Ok(())
}

/// The id a stored 201 names, from its Location.
fn created_id(stored: &StoredResponse) -> Option<uuid::Uuid> {
    stored.location.as_deref()?.rsplit('/').next()?.parse().ok()
}

/// A stored 201 for this key, replayed only while `reaches` says the caller
/// still reaches the record it created (a partner removed from the project
/// since gets 404, as for any record of that project).
async fn replay_if_reached(
    stored: StoredResponse,
    path: &str,
    hash: &str,
    reaches: impl AsyncFnOnce(uuid::Uuid) -> Result<(), ApiError>,
) -> Result<HttpResponse, ApiError> {
    if let Some(id) = created_id(&stored)
        && stored.request_hash == hash
    {
        reaches(id).await?;
    }
    replay(stored, path, hash)
}

/// Runs `op` in a write transaction and answers 201. With an Idempotency-Key,
/// the key is claimed in the same transaction before `op` runs: a retry of the
/// same request replays the stored 201 (if `reaches` still lets the caller
/// at the record), another request under the key is 422, and a concurrent
/// duplicate waits for the first and then replays it.
pub async fn create<R: Record>(
    state: &AppState,
    caller: &Caller,
    req: &HttpRequest,
    key: IdempotencyKey,
    request_hash: &str,
    reaches: impl AsyncFnOnce(uuid::Uuid) -> Result<(), ApiError>,
    op: impl AsyncFnOnce(&Tx) -> Result<R, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let path = req.path().to_owned();
    let tx = begin_write(&state.db).await?;
    if let Some(key) = &key.0 {
        let not_before = now() - state.idempotency_ttl;
        if let Some(stored) = idempotency::find(&tx, caller.id, key, not_before).await? {
            // On SQLite the stored answer may be another writer's of the
            // same batch (db::group_commit): it is only given once it is committed.
            commit(tx).await?;
            return replay_if_reached(stored, &path, request_hash, reaches).await;
        }
        let claim = StoredResponse {
            method: "POST".into(),
            path: path.clone(),
            request_hash: request_hash.to_owned(),
            status_code: 0,
            body: String::new(),
            location: None,
            etag: None,
        };
        match idempotency::claim(&tx, caller.id, key, &claim).await {
            Ok(()) => {}
            Err(RepoError::Conflict { .. }) => {
                // A concurrent request with this key committed first.
                drop(tx);
                return match idempotency::find(&state.db, caller.id, key, not_before).await? {
                    Some(stored) => replay_if_reached(stored, &path, request_hash, reaches).await,
                    None => Err(ApiError::Conflict {
                        detail: "a request with this Idempotency-Key is in progress; retry".into(),
                        errors: vec![],
                        references: vec![],
                    }),
                };
            }
            Err(e) => return Err(e.into()),
        }
    }
    let record = op(&tx).await?;
    let location = format!("{}/{}", path.trim_end_matches('/'), record.id());
    let tag = etag(record.version());
    let body = serde_json::to_string(&record).map_err(ApiError::internal)?;
    if let Some(key) = &key.0 {
        idempotency::complete(
            &tx,
            caller.id,
            key,
            201,
            body.clone(),
            Some(location.clone()),
            Some(tag.clone()),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .insert_header((header::ETAG, tag))
        .content_type("application/json")
        .body(body))
}

/// Applies a JSON merge patch to a record's input form and validates the result
/// exactly as a PUT of it would be.
fn merge_patch<I>(current: I, body: &Value) -> Result<I, ApiError>
where
    I: Serialize + DeserializeOwned + Check,
{
    if !body.is_object() {
        return Err(ApiError::validation(vec![rihla_domain::FieldError::new(
            "body",
            "not_an_object",
            "a merge patch (RFC 7386) must be a JSON object",
        )]));
    }
    let mut doc = serde_json::to_value(current).map_err(ApiError::internal)?;
    if let Some(field) = patch::unknown_removal(&doc, body) {
        let name = if field.is_empty() {
            "\"\"".to_owned()
        } else {
            field
        };
        return Err(ApiError::validation(vec![rihla_domain::FieldError::new(
            name.clone(),
            "unknown_field",
            format!("{name}: this record has no such field"),
        )]));
    }
    if let (Some(fields), Some(changes)) = (doc.as_object_mut(), body.as_object()) {
        for (a, b) in I::ALIASES {
            for (set, other) in [(a, b), (b, a)] {
                if changes.contains_key(*set) && !changes.contains_key(*other) {
                    fields.remove(*other);
                }
            }
        }
    }
    patch::merge(&mut doc, body);
    let input: I = from_value(doc)?;
    check(&input)?;
    Ok(input)
}

/// A PATCH's new input for `current`: 412 if If-Match names another version,
/// else the merge of `body` into `current`'s input form, validated.
pub fn patched<R, I>(if_match: IfMatch, current: &R, body: &Value) -> Result<I, ApiError>
where
    R: Record,
    I: for<'a> From<&'a R> + Serialize + DeserializeOwned + Check,
{
    check_version(if_match.0, current.version())?;
    merge_patch(I::from(current), body)
}

pub async fn commit(tx: Tx) -> Result<(), ApiError> {
    Ok(tx.commit().await?)
}

pub async fn begin(state: &AppState) -> Result<Tx, ApiError> {
    Ok(begin_write(&state.db).await?)
}
