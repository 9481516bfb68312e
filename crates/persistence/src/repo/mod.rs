//! One repository per resource. Each write takes the caller's `Actor`; each
//! function takes `&impl ConnectionTrait` so the caller decides the transaction.

pub mod idempotency;
pub mod organisations;
pub mod projects;
pub mod refresh_tokens;
pub mod users;

use std::str::FromStr;

use crate::RepoError;

/// Reads an enum column; a value no variant matches means the row was edited
/// outside the service.
pub(crate) fn parse_enum<T: FromStr>(raw: &str, column: &str) -> Result<T, RepoError> {
    T::from_str(raw).map_err(|_| RepoError::Corrupt(format!("{column} holds {raw:?}")))
}
