//! Opening the database and starting write transactions the same way on both
//! backends.

use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

pub type Db = DatabaseConnection;
pub type Tx = DatabaseTransaction;

#[derive(Debug, Clone)]
pub struct DbSettings {
    pub url: String,
    pub max_connections: u32,
    /// How long a request may wait for a pooled connection before it fails
    /// (the API answers 503) instead of queueing without end.
    pub acquire_timeout: Duration,
}

/// Opens a pool. SQLite runs in WAL mode (readers never block the writer) with a
/// busy timeout, and every write transaction starts with BEGIN IMMEDIATE (see
/// `begin_write`), so concurrent writers queue on the lock instead of failing
/// with "database is locked".
pub async fn connect(settings: &DbSettings) -> Result<Db, DbErr> {
    let mut opts = ConnectOptions::new(settings.url.clone());
    opts.max_connections(settings.max_connections)
        .min_connections(1)
        .acquire_timeout(settings.acquire_timeout)
        .connect_timeout(Duration::from_secs(5))
        // sqlx pings on every checkout by default: a round trip per query.
        // Only a connection idle long enough to have been dropped (a database
        // restart, a proxy's timeout) is tested; a hot one that broke fails
        // its query (503) and is discarded.
        .test_before_acquire_if_idle_for(Duration::from_secs(5))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .create_if_missing(true)
        });
    Database::connect(opts).await
}

/// A transaction for a read-modify-write. On SQLite it takes the write lock up
/// front: a deferred transaction that reads and then writes fails with
/// SQLITE_BUSY when another writer committed in between.
pub async fn begin_write(db: &Db) -> Result<Tx, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

pub async fn ping(db: &Db) -> Result<(), DbErr> {
    db.ping().await
}

/// The current time at the precision PostgreSQL stores, so a value read back is
/// equal to the value written on both backends.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}
