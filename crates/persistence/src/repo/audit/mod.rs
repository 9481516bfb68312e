//! The audit trail and the change feed, which are one table read two ways.
//!
//! Every write of a record (the generic operations of `resource`) calls one
//! of `created` / `updated` / `transition` (delete, restore) / `purged` on
//! the connection of its own transaction, after the record's row is
//! written, or writes the event in the row's own statement (`with_event`):
//! the event commits with the change or not at all, and an event that
//! cannot be written fails the change.
//!
//! Feed order. `seq` is taken at insert time, so on PostgreSQL a transaction
//! holding a smaller `seq` may commit after a reader has passed a larger one;
//! reading by `seq` would skip it for ever. The feed therefore reads by
//! `position`, which `sequence` hands out *after* commit: one run at a time
//! (the `audit_feed` row is locked for the run), to committed events only, in
//! `seq` order, each run above every position before it. A reader sees a run's
//! positions all at once when it commits, and no later run can produce a
//! smaller one, so reading `position > cursor` page after page yields every
//! committed event exactly once. Two events of one record are written in the
//! order of its versions (the second write waits for the first's row lock and
//! takes its `seq` after the first committed), so the feed keeps that order.
//!
//! `write` makes and writes events, `read` answers history and the audit
//! log, `feed` numbers events after commit and pages the change feed.

mod feed;
mod read;
mod write;

pub use feed::{changes, lag, prune, sequence};
pub use read::{exists, history, list};
pub(crate) use write::*;

use rihla_domain::{Changes, FieldChange, FieldError, Record, ResourceType};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::RepoError;

/// A record the audit trail knows how to name (`registry` implements it
/// for each resource's record).
pub trait Audited: Record {
    const RESOURCE: ResourceType;

    /// Its resource's `Resource::held`.
    fn held(&self) -> crate::repo::resource::Held;
}

/// Fields every write changes; listing them would hide what really changed.
const BOOKKEEPING: &[&str] = &["version", "updated_at", "updated_by"];

/// What the `changes` column holds.
#[derive(Serialize, Deserialize, Default)]
struct Stored {
    #[serde(default)]
    changes: Changes,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    record: Option<Value>,
}

/// Top-level fields whose values differ between two states of a record (an
/// absent state is null); a list or object that changed is shown whole.
pub fn diff(before: &Value, after: &Value) -> Changes {
    let empty = serde_json::Map::new();
    let b = before.as_object().unwrap_or(&empty);
    let a = after.as_object().unwrap_or(&empty);
    b.keys()
        .chain(a.keys())
        .filter(|k| !BOOKKEEPING.contains(&k.as_str()))
        .filter_map(|k| {
            let old = b.get(k).cloned().unwrap_or(Value::Null);
            let new = a.get(k).cloned().unwrap_or(Value::Null);
            (old != new).then(|| (k.clone(), FieldChange { old, new }))
        })
        .collect()
}

fn json<R: Serialize>(r: &R) -> Result<Value, RepoError> {
    serde_json::to_value(r).map_err(|e| RepoError::Corrupt(e.to_string()))
}

fn bad(field: &str, message: &str) -> RepoError {
    RepoError::BadParams(vec![FieldError::new(field, "invalid", message)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_diff_lists_changed_fields_but_not_bookkeeping() {
        let before =
            json!({"title": "a", "status": "planned", "version": 1, "themes": ["x"], "gone": 1});
        let after = json!({"title": "a", "status": "active", "version": 2, "themes": ["x", "y"], "new": true});
        let changes = diff(&before, &after);
        let fields: Vec<&str> = changes.keys().map(String::as_str).collect();
        assert_eq!(fields, ["gone", "new", "status", "themes"]);
        assert_eq!(
            (&changes["status"].old, &changes["status"].new),
            (&json!("planned"), &json!("active"))
        );
        assert_eq!(
            (&changes["gone"].old, &changes["gone"].new),
            (&json!(1), &Value::Null)
        );
    }

    #[test]
    fn a_create_is_every_field_from_nothing() {
        let changes = diff(&Value::Null, &json!({"code": "P-1", "version": 1}));
        assert_eq!(changes.len(), 1);
        assert_eq!(
            (&changes["code"].old, &changes["code"].new),
            (&Value::Null, &json!("P-1"))
        );
    }
}
