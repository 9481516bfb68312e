//! One repository per resource (`<resource>.rs`), the resource pattern they
//! are written on (`resource`, listed once in `registry`), and the helpers
//! they share, one module per kind: a record's own row (`rows`), soft
//! delete (`soft_delete`), references between records (`refs`), list
//! filters (`filters`) and stored column values (`codec`). Each write takes
//! the caller's `Actor`; each function takes `&impl Connection`, so the
//! caller decides the transaction.

pub mod activities;
pub mod api_keys;
pub mod audit;
pub mod delegations;
pub mod dialogues;
pub mod documents;
pub mod idempotency;
pub mod login_failures;
pub mod meetings;
pub mod members;
pub mod organisations;
pub mod projects;
pub mod purge;
pub mod refresh_tokens;
pub mod registry;
pub mod reports;
pub mod resource;
pub mod users;

mod codec;
mod filters;
mod refs;
mod rows;
mod soft_delete;

pub(crate) use codec::{from_json, parse_enum, to_json};
pub(crate) use filters::{overlapping, text_search};
pub(crate) use refs::{added, dangling, existing, find_id, referrers};
pub(crate) use rows::{
    Decoded, new_row, one_in, record_row, row, row_in, set_deleted, versioned, write_rows,
    write_version, written_once,
};
pub use soft_delete::SoftDelete;
pub(crate) use soft_delete::{listed, live};
