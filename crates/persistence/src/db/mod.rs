//! Opening the database, checking connections out of the pool, and starting
//! write transactions the same way on both backends.
//!
//! `Db` is the pool: as a `ConnectionTrait` it checks a connection out per
//! statement. A request that runs several statements takes one `Conn` for all
//! of them (`reader`), or a `Tx` (`begin_write`) when it writes.

mod group_commit;
mod pool;

use std::sync::Arc;
use std::time::Duration;

use sea_orm::sqlx::postgres::{PgConnectOptions, PgSslMode};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::sqlx::{self, ConnectOptions as _};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr, RuntimeErr};

use crate::RepoError;

pub use pool::Conn;
use pool::{Pool, Raw, Slot, Target, is_fatal};

/// Runs `$run` with `$c` bound to the checked-out connection (a `&mut Raw`),
/// marking the connection busy meanwhile: if the future is dropped before the
/// statement finishes, the flag stays set and the pool discards the
/// connection. A connection-level failure discards it too. `$err` wraps the
/// sqlx error as sea-orm's.
macro_rules! on_conn {
    ($conn:expr, $err:expr, $c:ident => $run:expr) => {{
        let mut guard = $conn.slot.lock().await;
        let Slot { raw, busy } = &mut *guard;
        match raw.as_mut() {
            None => Err(DbErr::Conn(RuntimeErr::Internal(
                "the connection was lost earlier in this request".into(),
            ))),
            Some($c) => {
                *busy = true;
                let result = $run;
                *busy = false;
                if let Err(e) = &result
                    && is_fatal(e)
                {
                    *raw = None;
                }
                result.map_err($err)
            }
        }
    }};
}

mod clock;
mod exec;
mod tx;

pub use clock::now;
use exec::{query_failed, run};
pub use tx::{Tx, WriteConn, begin_write};

/// What the repositories run statements on: the pool (`Db`), one request's
/// connection (`Conn`, from `reader`) or a write (`Tx`). Sealed: sea-orm's
/// connection trait, which it stands for, stays inside this crate, so no
/// caller can run a statement of its own.
pub trait Connection: sealed::Connection {}
impl<T: sealed::Connection> Connection for T {}

mod sealed {
    pub trait Connection: sea_orm::ConnectionTrait {}
    impl Connection for super::Db {}
    impl Connection for super::Conn {}
    impl Connection for super::Tx {}
}

#[derive(Debug, Clone)]
pub struct DbSettings {
    pub url: String,
    pub max_connections: u32,
    /// How long a request may wait for a pooled connection before it fails
    /// (the API answers 503) instead of queueing without end.
    pub acquire_timeout: Duration,
    /// SQLite: fsync the write-ahead log on every commit (`synchronous=FULL`)
    /// rather than at checkpoints (`NORMAL`). Both survive the process being
    /// killed; only FULL also keeps the last commits through a power loss.
    /// NORMAL is what SQLite recommends for WAL: a commit does not wait for
    /// the disk.
    pub sqlite_sync_every_commit: bool,
}

/// The database: a pool of connections (see `pool` for how they are kept).
#[derive(Debug, Clone)]
pub struct Db {
    pool: Arc<Pool>,
}

fn conn_err(e: sqlx::Error) -> DbErr {
    DbErr::Conn(RuntimeErr::SqlxError(Arc::new(e)))
}

/// How to open a connection. SQLite runs in WAL mode (readers never block the
/// writer) with a busy timeout, and every write transaction starts with BEGIN
/// IMMEDIATE (see `begin_write`), so concurrent writers queue on the lock
/// instead of failing with "database is locked".
fn target(settings: &DbSettings) -> Result<Target, DbErr> {
    let url = settings.url.as_str();
    if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        let mut o: PgConnectOptions = url.parse().map_err(conn_err)?;
        // TLS to a server on this machine protects nothing and costs much of
        // the throughput of a primary-key read (bench/README.md), so a loopback URL
        // that names no sslmode connects in plain text. Any other host keeps
        // sqlx's default (prefer), and an explicit sslmode always wins.
        let loopback = matches!(o.get_host(), "127.0.0.1" | "localhost" | "::1" | "[::1]");
        if loopback && !url.contains("sslmode=") {
            o = o.ssl_mode(PgSslMode::Disable);
        }
        // Plan each prepared statement once (see `inline_limit` for why).
        let o = o.options([("plan_cache_mode", "force_generic_plan")]);
        Ok(Target::Postgres(o.disable_statement_logging()))
    } else if url.starts_with("sqlite:") {
        let sync = if settings.sqlite_sync_every_commit {
            SqliteSynchronous::Full
        } else {
            SqliteSynchronous::Normal
        };
        let o: SqliteConnectOptions = url.parse().map_err(conn_err)?;
        Ok(Target::Sqlite(
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(sync)
                // A writer's savepoint (db::group_commit) journals the pages it
                // changes; in memory, not a temporary file once over 64 KiB.
                .pragma("temp_store", "memory")
                // Checkpoints run beside the writer (`checkpoints`), not in
                // the commit that fills the log.
                .pragma("wal_autocheckpoint", "0")
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .create_if_missing(true)
                .disable_statement_logging(),
        ))
    } else {
        Err(DbErr::Conn(RuntimeErr::Internal(
            "the database URL must start with postgres:// or sqlite:".into(),
        )))
    }
}

/// Opens the pool and one connection in it, so a database that cannot be
/// reached fails start-up rather than the first request.
pub async fn connect(settings: &DbSettings) -> Result<Db, RepoError> {
    let pool = Arc::new(Pool::new(
        target(settings)?,
        settings.max_connections,
        settings.acquire_timeout,
    ));
    drop(pool.acquire().await?);
    if pool.writer.is_some() {
        tokio::spawn(checkpoints(Arc::downgrade(&pool)));
    }
    Ok(Db { pool })
}

/// How often SQLite's write-ahead log is copied back into the database.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// Checkpoints SQLite's write-ahead log from a connection of its own, until
/// the pool is gone. SQLite's own (automatic) checkpoint runs inside the
/// COMMIT that crosses its threshold, with an fsync of the database file, and
/// every writer queued behind that commit waited for it; a PASSIVE checkpoint
/// here runs beside the writer and never waits for a lock.
async fn checkpoints(pool: std::sync::Weak<Pool>) {
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(pool) = pool.upgrade() else {
            return;
        };
        if let Ok(conn) = pool.acquire().await
            && let Err(e) = run(&conn, "PRAGMA wal_checkpoint(PASSIVE)").await
        {
            tracing::warn!(error = %e, "SQLite checkpoint failed");
        }
    }
}

/// A sea-orm connection of one connection, for what needs sea-orm's own type:
/// the migrator (and white-box tests that run it step by step). Close it
/// before serving.
pub async fn connect_for_migrations(
    settings: &DbSettings,
) -> Result<DatabaseConnection, RepoError> {
    let target = target(settings)?;
    let mut opts = ConnectOptions::new(settings.url.clone());
    opts.max_connections(1)
        .acquire_timeout(settings.acquire_timeout.max(Duration::from_secs(5)))
        .sqlx_logging(false);
    match target {
        Target::Postgres(o) => {
            opts.map_sqlx_postgres_opts(move |_| o.clone());
        }
        Target::Sqlite(o) => {
            opts.map_sqlx_sqlite_opts(move |_| o.clone());
        }
    }
    Ok(Database::connect(opts).await?)
}

/// Applies every pending migration (`migrations/`), on a connection of its
/// own that is closed again before the pool opens.
pub async fn migrate(settings: &DbSettings) -> Result<(), RepoError> {
    use migration::{Migrator, MigratorTrait};
    let conn = connect_for_migrations(settings).await?;
    let applied = Migrator::up(&conn, None).await;
    conn.close().await.ok();
    Ok(applied?)
}

impl Db {
    /// Closes the idle connections and refuses new checkouts.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// One connection for all the reads of a request: one checkout however many
/// statements it runs. Drop it before the response is encoded, so the
/// connection goes back while the client is being answered.
pub async fn reader(db: &Db) -> Result<Conn, RepoError> {
    Ok(db.pool.acquire().await?)
}

/// SQLite: a consistent copy of the database at `path` (a new file), made
/// while the server keeps serving: `VACUUM INTO` reads one snapshot of the
/// write-ahead-logged database and writers go on meanwhile. `Ok(false)` on
/// PostgreSQL, which `pg_dump` backs up.
pub async fn backup(db: &Db, path: &str) -> Result<bool, RepoError> {
    let conn = db.pool.acquire().await?;
    let path = path.to_owned();
    Ok(on_conn!(&conn, exec::exec_failed, c => match c {
        Raw::Postgres(_) => Ok::<bool, sqlx::Error>(false),
        Raw::Sqlite(c) => sqlx::query("VACUUM INTO ?").bind(path).execute(c).await.map(|_| true),
    })?)
}

/// The pool and writer as the metrics show them.
#[derive(Debug, Clone, Copy)]
pub struct DbStats {
    pub pool_size: usize,
    pub pool_in_use: usize,
    pub pool_waiting: usize,
    /// SQLite: writers waiting for their turn; none on PostgreSQL.
    pub writer_queue: Option<usize>,
}

pub fn stats(db: &Db) -> DbStats {
    let (pool_size, pool_in_use, pool_waiting) = db.pool.stats();
    DbStats {
        pool_size,
        pool_in_use,
        pool_waiting,
        writer_queue: db.pool.writer.as_ref().map(|w| w.queue_len()),
    }
}

pub async fn ping(db: &Db) -> Result<(), RepoError> {
    let conn = db.pool.acquire().await?;
    Ok(on_conn!(&conn, query_failed, c => match c {
        Raw::Postgres(c) => sqlx::Connection::ping(c).await,
        Raw::Sqlite(c) => sqlx::Connection::ping(c).await,
    })?)
}
