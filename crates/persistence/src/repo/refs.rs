//! References between records: which ones a write names exist (and are
//! held until it commits), which ones an update adds, and the records that
//! still name one that is being deleted.

use std::collections::HashSet;

use rihla_domain::{FieldError, Reference};
use sea_orm::{ColumnTrait, Condition, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::soft_delete::{SoftDelete, live};
use crate::{Connection, RepoError};

/// The references `refs` (field, id) that an update adds to the ones the
/// record already held (`held`); with no record before (a create, a
/// restore's re-check), all of them. Only these need to be looked up and
/// locked: a reference a live record already holds cannot point at a deleted
/// record, because deleting a record that live records refer to is refused.
/// A PATCH of a title thus costs no look-up.
pub(crate) fn added(refs: Vec<(String, Uuid)>, held: Option<&[Uuid]>) -> Vec<(String, Uuid)> {
    match held {
        None => refs,
        Some(held) => refs
            .into_iter()
            .filter(|(_, id)| !held.contains(id))
            .collect(),
    }
}

/// 422 entries for each `(field, id)` whose id is not in `found`.
pub(crate) fn dangling(
    refs: &[(String, Uuid)],
    found: &HashSet<Uuid>,
    what: &str,
) -> Vec<FieldError> {
    refs.iter()
        .filter(|(_, id)| !found.contains(id))
        .map(|(field, id)| {
            FieldError::new(
                field.clone(),
                "not_found",
                format!("{what} {id} does not exist"),
            )
        })
        .collect()
}

/// Up to `limit` live rows of `E` matching `cond`, as references labelled by
/// `label`. Deleted records never block a delete.
pub(crate) async fn referrers<E: SoftDelete>(
    db: &impl Connection,
    cond: Condition,
    (id, label): (E::Column, E::Column),
    resource: &str,
    limit: u64,
) -> Result<Vec<Reference>, RepoError> {
    let rows: Vec<(Uuid, String)> = E::find()
        .select_only()
        .column(id)
        .column(label)
        .filter(cond)
        .filter(live::<E>())
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, label)| Reference {
            resource: resource.to_owned(),
            id,
            label,
        })
        .collect())
}

/// The id of the first live row of `E` matching `cond`: natural-key look-ups
/// for loaders that must not create a record twice.
pub(crate) async fn find_id<E: SoftDelete>(
    db: &impl Connection,
    id: E::Column,
    cond: Condition,
) -> Result<Option<Uuid>, RepoError> {
    Ok(E::find()
        .select_only()
        .column(id)
        .filter(cond)
        .filter(live::<E>())
        .into_tuple::<Uuid>()
        .one(db)
        .await?)
}

/// Which of `ids` are live rows of `E`, in one query. The rows found are
/// locked in share mode until the transaction ends (PostgreSQL), so a
/// concurrent delete of a record this write is about to point at waits for it
/// and then sees the new reference, instead of both passing their checks.
pub(crate) async fn existing<E: SoftDelete>(
    db: &impl Connection,
    ids: &[Uuid],
) -> Result<HashSet<Uuid>, RepoError> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let found: Vec<Uuid> = E::find()
        .select_only()
        .column(E::ID)
        .filter(E::ID.is_in(ids.iter().copied()))
        .filter(live::<E>())
        .lock_shared()
        .into_tuple()
        .all(db)
        .await?;
    Ok(found.into_iter().collect())
}
