//! Column values as they are stored: enums as their text, lists and
//! objects as JSON text. A stored value no type reads means the row was
//! edited outside the service (`RepoError::Corrupt`).

use std::str::FromStr;

use crate::RepoError;

/// Reads an enum column; a value no variant matches means the row was edited
/// outside the service.
pub(crate) fn parse_enum<T: FromStr>(raw: &str, column: &str) -> Result<T, RepoError> {
    T::from_str(raw).map_err(|_| RepoError::Corrupt(format!("{column} holds {raw:?}")))
}

/// A list of enum values or structs kept as one JSON text column.
pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> Result<String, RepoError> {
    serde_json::to_string(v).map_err(|e| RepoError::Corrupt(e.to_string()))
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    raw: &str,
    column: &str,
) -> Result<T, RepoError> {
    serde_json::from_str(raw).map_err(|e| RepoError::Corrupt(format!("{column}: {e}")))
}
