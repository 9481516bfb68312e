//! The one error type of the persistence layer.

use rihla_domain::{FieldError, Reference};
use sea_orm::{DbErr, SqlErr};

#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    #[error("record not found")]
    NotFound,
    /// The caller reaches the record but its role does not let it do this.
    #[error("{0}")]
    Forbidden(String),
    /// The write would break a uniqueness or "still referenced" rule.
    #[error("{message}")]
    Conflict {
        message: String,
        errors: Vec<FieldError>,
        references: Vec<Reference>,
    },
    /// The input names records that do not exist (a dangling reference).
    #[error("invalid references")]
    Invalid(Vec<FieldError>),
    /// A list parameter (sort, limit, cursor) the store cannot use.
    #[error("bad list parameters")]
    BadParams(Vec<FieldError>),
    /// A status change the record's workflow does not allow.
    #[error("cannot move from {from} to {to}")]
    IllegalTransition {
        from: String,
        to: String,
        allowed: Vec<String>,
    },
    /// The caller's expected version is not the stored one.
    #[error("version {current} is current")]
    VersionMismatch { current: i32 },
    /// The database did not answer in time or the pool is exhausted.
    #[error("database unavailable: {0}")]
    Unavailable(DbError),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Db(DbError),
}

/// A database failure the caller can only report (and log), never inspect:
/// the driver's error stays inside this crate.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct DbError(DbErr);

impl DbError {
    /// The driver's error, for this crate's own classification.
    pub(crate) fn inner(&self) -> &DbErr {
        &self.0
    }
}

impl From<DbErr> for RepoError {
    fn from(e: DbErr) -> Self {
        match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(msg)) => {
                // Each resource declares its unique indexes (`Resource::UNIQUE`).
                match crate::repo::registry::unique_field(&msg) {
                    Some(field) => RepoError::Conflict {
                        message: format!("another record already has this {field}"),
                        errors: vec![FieldError::new(
                            field,
                            "taken",
                            format!("{field} is already in use"),
                        )],
                        references: vec![],
                    },
                    None => RepoError::Conflict {
                        message: "the write conflicts with an existing record".into(),
                        errors: vec![],
                        references: vec![],
                    },
                }
            }
            _ if is_foreign_key(&e) => RepoError::Conflict {
                message: "the write would leave a reference to a missing record, or remove a record that is still referenced".into(),
                errors: vec![],
                references: vec![],
            },
            _ => match e {
                DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => RepoError::Unavailable(DbError(e)),
                other if is_busy(&other) || is_connection_lost(&other) => {
                    RepoError::Unavailable(DbError(other))
                }
                other => RepoError::Db(DbError(other)),
            },
        }
    }
}

/// SQLite reports a RESTRICT foreign key as SQLITE_CONSTRAINT_TRIGGER (1811),
/// which sea-orm does not classify; the message is the same for every code.
fn is_foreign_key(e: &DbErr) -> bool {
    matches!(e.sql_err(), Some(SqlErr::ForeignKeyConstraintViolation(_)))
        || e.to_string().contains("FOREIGN KEY constraint failed")
}

/// The database went away under a query: a pooled connection is only tested
/// when it has been idle a while (db::connect), so a server restart or
/// shutdown surfaces here, on the query, as an I/O error or as PostgreSQL's
/// class 57P (operator intervention: "terminating connection due to
/// administrator command") or 08 (connection exception). That is the
/// database being unavailable (503, retry), not a bug (500).
fn is_connection_lost(e: &DbErr) -> bool {
    use sea_orm::sqlx::Error;
    match sqlx_error(e) {
        Some(Error::Io(_) | Error::Tls(_) | Error::PoolClosed | Error::WorkerCrashed) => true,
        Some(Error::Database(db)) => db
            .code()
            .is_some_and(|code| code.starts_with("57P") || code.starts_with("08")),
        _ => false,
    }
}

/// PostgreSQL's lock_not_available (55P03): a NOWAIT lock found the row
/// locked.
pub(crate) fn is_lock_not_available(e: &DbErr) -> bool {
    matches!(sqlx_error(e), Some(sea_orm::sqlx::Error::Database(db))
        if db.code().as_deref() == Some("55P03"))
}

/// The driver's own error under a failed statement.
fn sqlx_error(e: &DbErr) -> Option<&sea_orm::sqlx::Error> {
    use sea_orm::RuntimeErr;
    match e {
        DbErr::Query(RuntimeErr::SqlxError(sqlx)) | DbErr::Exec(RuntimeErr::SqlxError(sqlx)) => {
            Some(sqlx.as_ref())
        }
        _ => None,
    }
}

fn is_busy(e: &DbErr) -> bool {
    let text = e.to_string();
    text.contains("database is locked") || text.contains("pool timed out")
}

/// 409 for a delete that other records still point at.
pub(crate) fn still_referenced(what: &str, references: Vec<Reference>) -> RepoError {
    let labels: Vec<String> = references
        .iter()
        .map(|r| format!("{} {:?}", singular(&r.resource), r.label))
        .collect();
    RepoError::Conflict {
        message: format!(
            "{what} is still referenced by {}; remove those references first",
            labels.join(", ")
        ),
        errors: vec![],
        references,
    }
}

/// 412 unless the caller's expected version (from If-Match) is the stored one:
/// the one place this rule lives (the API's PATCH checks it with it too).
pub fn check_version(expected: Option<i32>, current: i32) -> Result<(), RepoError> {
    match expected {
        Some(v) if v != current => Err(RepoError::VersionMismatch { current }),
        _ => Ok(()),
    }
}

fn singular(resource: &str) -> &str {
    match resource {
        "activities" => "activity",
        other => other.strip_suffix('s').unwrap_or(other),
    }
}
