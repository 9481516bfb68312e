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

/// `UPDATE ... SET row WHERE id = ? AND version = ?`: the write lands only on the
/// version the caller read, so a concurrent writer can never be overwritten
/// silently. `row` must set `version` to `version + 1`.
pub(crate) async fn update_versioned<E>(
    db: &impl sea_orm::ConnectionTrait,
    row: E::ActiveModel,
    (id_column, version_column): (E::Column, E::Column),
    id: uuid::Uuid,
    version: i32,
) -> Result<(), RepoError>
where
    E: sea_orm::EntityTrait,
    E::ActiveModel: sea_orm::ActiveModelTrait<Entity = E> + Send,
{
    use sea_orm::{ColumnTrait, QueryFilter};
    let result = E::update_many()
        .set(row)
        .filter(id_column.eq(id))
        .filter(version_column.eq(version))
        .exec(db)
        .await?;
    if result.rows_affected == 1 {
        Ok(())
    } else {
        Err(RepoError::VersionMismatch { current: version })
    }
}
