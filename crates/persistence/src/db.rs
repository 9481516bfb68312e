//! Opening the database and starting write transactions the same way on both
//! backends.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sea_query::Values;
use sea_orm::sqlx::pool::PoolConnection;
use sea_orm::sqlx::postgres::PgSslMode;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::sqlx::{AssertSqlSafe, Postgres, Sqlite, query_with};
use sea_orm::{
    ConnAcquireErr, ConnectOptions, ConnectionTrait, Database, DatabaseConnection,
    DatabaseTransaction, DbBackend, DbErr, ExecResult, QueryResult, RuntimeErr,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};
use sea_query_sqlx::SqlxValues;

pub type Db = DatabaseConnection;

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

/// Opens a pool. SQLite runs in WAL mode (readers never block the writer) with a
/// busy timeout, and every write transaction starts with BEGIN IMMEDIATE (see
/// `begin_write`), so concurrent writers queue on the lock instead of failing
/// with "database is locked".
pub async fn connect(settings: &DbSettings) -> Result<Db, DbErr> {
    let mut opts = ConnectOptions::new(settings.url.clone());
    // TLS to a server on this machine protects nothing and costs a third of
    // the throughput of a primary-key read (bench/), so a loopback URL that
    // names no sslmode connects in plain text. Any other host keeps sqlx's
    // default (prefer), and an explicit sslmode always wins.
    let plain = !settings.url.contains("sslmode=");
    let sync = if settings.sqlite_sync_every_commit {
        SqliteSynchronous::Full
    } else {
        SqliteSynchronous::Normal
    };
    opts.map_sqlx_postgres_opts(move |o| {
        let loopback = matches!(o.get_host(), "127.0.0.1" | "localhost" | "::1" | "[::1]");
        if plain && loopback {
            o.ssl_mode(PgSslMode::Disable)
        } else {
            o
        }
    });
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
        .map_sqlx_sqlite_opts(move |o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(sync)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .create_if_missing(true)
        });
    Database::connect(opts).await
}

/// A write transaction. On SQLite it also holds this process's writer turn
/// (see `begin_write`) until it commits, rolls back or is dropped.
pub struct Tx {
    inner: DatabaseTransaction,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Tx {
    pub async fn commit(self) -> Result<(), DbErr> {
        self.inner.commit().await
    }

    pub async fn rollback(self) -> Result<(), DbErr> {
        self.inner.rollback().await
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Tx {
    fn get_database_backend(&self) -> DbBackend {
        self.inner.get_database_backend()
    }
    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.inner.execute_raw(stmt).await
    }
    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.inner.execute_unprepared(sql).await
    }
    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.inner.query_one_raw(stmt).await
    }
    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.inner.query_all_raw(stmt).await
    }
}

/// SQLite has one writer at a time. Left to SQLite, writers that find the
/// lock taken poll for it with growing sleeps (its busy handler): under 32
/// concurrent writers that gave 600 writes/s with a 1.3 s p99 and timeouts.
/// Writers of this process instead queue here, in order, without sleeping,
/// and SQLite's lock is then only contended by other processes (the CLI),
/// which the busy timeout still covers. One queue for the whole process: it
/// normally opens one database.
static SQLITE_WRITER: std::sync::LazyLock<Arc<tokio::sync::Mutex<()>>> =
    std::sync::LazyLock::new(Default::default);

/// How long a writer waits for its turn, as long as SQLite's busy timeout,
/// before failing (503) rather than queueing without end.
const WRITER_WAIT: Duration = Duration::from_secs(10);

/// A transaction for a read-modify-write. On SQLite it takes the write lock up
/// front: a deferred transaction that reads and then writes fails with
/// SQLITE_BUSY when another writer committed in between.
pub async fn begin_write(db: &Db) -> Result<Tx, DbErr> {
    let turn = if db.get_database_backend() == DbBackend::Sqlite {
        let queue = Arc::clone(&SQLITE_WRITER);
        Some(
            tokio::time::timeout(WRITER_WAIT, queue.lock_owned())
                .await
                .map_err(|_| DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout))?,
        )
    } else {
        None
    };
    let inner = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await?;
    Ok(Tx { inner, _turn: turn })
}

pub async fn ping(db: &Db) -> Result<(), DbErr> {
    db.ping().await
}

/// The current time at the precision PostgreSQL stores, so a value read back is
/// equal to the value written on both backends.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// One pooled connection for all the reads of a request.
///
/// Through the pool, every statement checks a connection out and back in, and
/// sqlx pings a connection each time it is checked in: a GET that reads a
/// record and then its child rows cost four round trips to the database, two
/// of them pings. A `Reader` checks out once, so it costs one ping however many
/// statements the request runs. Drop it before the response is encoded, so the
/// connection goes back while the client is being answered.
pub struct Reader {
    backend: DbBackend,
    // ConnectionTrait takes `&self`; the lock is never contended, as a
    // request runs its statements one after another.
    conn: tokio::sync::Mutex<ReaderConn>,
}

enum ReaderConn {
    Postgres(PoolConnection<Postgres>),
    Sqlite(PoolConnection<Sqlite>),
}

/// A connection for reads; fails as the pool does (acquire timeout: 503).
pub async fn reader(db: &Db) -> Result<Reader, DbErr> {
    let acquire_failed = |e: sea_orm::sqlx::Error| match e {
        sea_orm::sqlx::Error::PoolTimedOut => DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
        sea_orm::sqlx::Error::PoolClosed => {
            DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed)
        }
        other => DbErr::Conn(RuntimeErr::SqlxError(Arc::new(other))),
    };
    let backend = db.get_database_backend();
    let conn = match backend {
        DbBackend::Postgres => ReaderConn::Postgres(
            db.get_postgres_connection_pool()
                .acquire()
                .await
                .map_err(acquire_failed)?,
        ),
        _ => ReaderConn::Sqlite(
            db.get_sqlite_connection_pool()
                .acquire()
                .await
                .map_err(acquire_failed)?,
        ),
    };
    Ok(Reader {
        backend,
        conn: tokio::sync::Mutex::new(conn),
    })
}

fn bind(stmt: &Statement) -> (AssertSqlSafe<&str>, SqlxValues) {
    let values = stmt.values.clone().unwrap_or(Values(Vec::new()));
    (AssertSqlSafe(stmt.sql.as_str()), SqlxValues(values))
}

fn query_failed(e: sea_orm::sqlx::Error) -> DbErr {
    DbErr::Query(RuntimeErr::SqlxError(Arc::new(e)))
}

fn exec_failed(e: sea_orm::sqlx::Error) -> DbErr {
    DbErr::Exec(RuntimeErr::SqlxError(Arc::new(e)))
}

/// Runs `$run` on the reader's connection, bound to `$c`, whichever backend
/// it is: the arms differ only in the connection's type.
macro_rules! on_reader {
    ($reader:expr, $c:ident => $run:expr) => {
        match &mut *$reader.conn.lock().await {
            ReaderConn::Postgres($c) => $run,
            ReaderConn::Sqlite($c) => $run,
        }
    };
}

#[async_trait::async_trait]
impl ConnectionTrait for Reader {
    fn get_database_backend(&self) -> DbBackend {
        self.backend
    }
    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        let (sql, values) = bind(&stmt);
        Ok(on_reader!(self, c => query_with(sql, values)
            .execute(&mut **c)
            .await
            .map_err(exec_failed)?
            .into()))
    }
    async fn execute_unprepared(&self, _sql: &str) -> Result<ExecResult, DbErr> {
        Err(DbErr::Custom("a Reader runs bound statements only".into()))
    }
    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        let (sql, values) = bind(&stmt);
        Ok(on_reader!(self, c => query_with(sql, values)
            .fetch_optional(&mut **c)
            .await
            .map_err(query_failed)?
            .map(Into::into)))
    }
    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        let (sql, values) = bind(&stmt);
        Ok(on_reader!(self, c => query_with(sql, values)
            .fetch_all(&mut **c)
            .await
            .map_err(query_failed)?
            .into_iter()
            .map(Into::into)
            .collect()))
    }
}
