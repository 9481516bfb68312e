//! Opening the database, checking connections out of the pool, and starting
//! write transactions the same way on both backends.
//!
//! `Db` is the pool: as a `ConnectionTrait` it checks a connection out per
//! statement. A request that runs several statements takes one `Conn` for all
//! of them (`reader`), or a `Tx` (`begin_write`) when it writes.

mod pool;
mod writer;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sea_query::Values;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgSslMode};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::sqlx::{self, AssertSqlSafe, ConnectOptions as _, query_with};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, ExecResult,
    QueryResult, RuntimeErr, Statement,
};
use sea_query_sqlx::SqlxValues;

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
        // TLS to a server on this machine protects nothing and costs a third
        // of the throughput of a primary-key read (bench/), so a loopback URL
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
                // A writer's savepoint (db::writer) journals the pages it
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
/// the migrator. Close it before serving.
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

impl Db {
    /// Closes the idle connections and refuses new checkouts.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A write transaction.
///
/// On PostgreSQL, a transaction of its own on a pooled connection. BEGIN,
/// COMMIT and ROLLBACK are plain statements and its state is this struct's.
/// BEGIN goes out with the first statement, so a write that is one statement
/// (`WriteConn::execute_last` as the first) runs on its own, without BEGIN
/// and COMMIT: a statement alone is atomic, and that is two round trips
/// fewer. Dropped while open (an error returned early, a request cut off),
/// it rolls back in a task of its own and only then hands the connection on.
///
/// On SQLite, this writer's part of the writer's current batch (`writer`):
/// it holds SQLite's one writer turn until it commits, rolls back or is
/// dropped, and its commit returns once the batch's commit is done.
pub struct Tx {
    backend: DbBackend,
    kind: TxKind,
}

enum TxKind {
    Own { conn: Option<Conn>, state: OwnState },
    Member(writer::Member),
}

/// Where a transaction of its own is; atomic only because statements take
/// `&self` (they run one at a time).
struct OwnState(std::sync::atomic::AtomicU8);

const NOT_BEGUN: u8 = 0;
const OPEN: u8 = 1;
/// Ran its one statement alone (`execute_last`), or committed or rolled back.
const ENDED: u8 = 2;

impl OwnState {
    fn new(state: u8) -> Self {
        OwnState(std::sync::atomic::AtomicU8::new(state))
    }
    fn get(&self) -> u8 {
        self.0.load(std::sync::atomic::Ordering::Acquire)
    }
    fn set(&self, state: u8) {
        self.0.store(state, std::sync::atomic::Ordering::Release)
    }
}

fn ended() -> DbErr {
    DbErr::Custom("the transaction has ended".into())
}

impl Tx {
    /// The connection for the transaction's next statement, BEGIN sent first
    /// if this is its first.
    async fn conn(&self) -> Result<&Conn, DbErr> {
        match &self.kind {
            TxKind::Member(member) => member.conn(),
            TxKind::Own { conn, state } => {
                let conn = conn.as_ref().ok_or_else(ended)?;
                match state.get() {
                    OPEN => {}
                    NOT_BEGUN => {
                        run(conn, "BEGIN").await?;
                        state.set(OPEN);
                    }
                    _ => return Err(ended()),
                }
                Ok(conn)
            }
        }
    }

    pub async fn commit(self) -> Result<(), RepoError> {
        Ok(self.end(true).await?)
    }

    pub async fn rollback(self) -> Result<(), RepoError> {
        Ok(self.end(false).await?)
    }

    async fn end(mut self, commit: bool) -> Result<(), DbErr> {
        if let TxKind::Own { conn, state } = &self.kind {
            // Left OPEN until it succeeds, so that Drop rolls back if the
            // COMMIT fails or is cut off. Not begun, or one statement alone
            // (already committed): nothing to end.
            if state.get() == OPEN {
                let conn = conn.as_ref().ok_or_else(ended)?;
                run(conn, if commit { "COMMIT" } else { "ROLLBACK" }).await?;
            }
            state.set(ENDED);
            return Ok(());
        }
        let done = TxKind::Own {
            conn: None,
            state: OwnState::new(ENDED),
        };
        match std::mem::replace(&mut self.kind, done) {
            TxKind::Member(member) if commit => member.commit().await,
            TxKind::Member(member) => member.rollback().await,
            TxKind::Own { .. } => Ok(()),
        }
    }
}

impl Drop for Tx {
    fn drop(&mut self) {
        // A member undoes itself (`writer::Member`'s Drop).
        let TxKind::Own { conn, state } = &mut self.kind else {
            return;
        };
        if state.get() != OPEN {
            return;
        }
        let Some(mut conn) = conn.take() else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(rt) if !conn.is_busy() => {
                rt.spawn(async move {
                    if run(&conn, "ROLLBACK").await.is_err() {
                        conn.discard();
                    }
                });
            }
            // Cut off mid-statement (the pool discards it), or no runtime to
            // roll back on: closing the connection rolls back.
            _ => conn.discard(),
        }
    }
}

/// A transaction for a read-modify-write. On SQLite it joins the writer's
/// batch, which took the write lock up front (BEGIN IMMEDIATE): a deferred
/// transaction that reads and then writes fails with SQLITE_BUSY when
/// another writer committed in between. On PostgreSQL it holds a pooled
/// connection; BEGIN goes out with its first statement.
pub async fn begin_write(db: &Db) -> Result<Tx, RepoError> {
    let backend = db.pool.backend();
    if let Some(writer) = &db.pool.writer {
        return Ok(Tx {
            backend,
            kind: TxKind::Member(writer.begin(&db.pool).await?),
        });
    }
    Ok(Tx {
        backend,
        kind: TxKind::Own {
            conn: Some(db.pool.acquire().await?),
            state: OwnState::new(NOT_BEGUN),
        },
    })
}

/// What a write runs on: a transaction, or a connection that commits each
/// statement.
#[async_trait::async_trait]
pub trait WriteConn: ConnectionTrait {
    /// Runs the write's last statement. On a PostgreSQL transaction that
    /// has run nothing yet, it runs alone, without BEGIN and COMMIT, and the
    /// transaction then takes no further statement (any would fail) and has
    /// nothing left to commit. Anywhere else, a plain `execute`.
    async fn execute_last(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.execute_raw(stmt).await
    }
}

#[async_trait::async_trait]
impl WriteConn for Tx {
    async fn execute_last(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        if let TxKind::Own {
            conn: Some(conn),
            state,
        } = &self.kind
            && state.get() == NOT_BEGUN
        {
            state.set(ENDED);
            return execute(conn, stmt).await;
        }
        execute(self.conn().await?, stmt).await
    }
}

impl WriteConn for Conn {}
impl WriteConn for Db {}

/// One connection for all the reads of a request: one checkout however many
/// statements it runs. Drop it before the response is encoded, so the
/// connection goes back while the client is being answered.
pub async fn reader(db: &Db) -> Result<Conn, RepoError> {
    Ok(db.pool.acquire().await?)
}

pub async fn ping(db: &Db) -> Result<(), RepoError> {
    let conn = db.pool.acquire().await?;
    Ok(on_conn!(&conn, query_failed, c => match c {
        Raw::Postgres(c) => sqlx::Connection::ping(c).await,
        Raw::Sqlite(c) => sqlx::Connection::ping(c).await,
    })?)
}

/// The current time at the precision PostgreSQL stores, so a value read back is
/// equal to the value written on both backends.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

fn bind(stmt: Statement) -> (AssertSqlSafe<String>, SqlxValues) {
    let mut values = stmt.values.unwrap_or(Values(Vec::new()));
    let sql = inline_limit(stmt.sql, &mut values.0);
    (AssertSqlSafe(sql), SqlxValues(values))
}

/// Writes a bound LIMIT (sea-query binds it, as the statement's last
/// parameter) into PostgreSQL's SQL as a literal.
///
/// PostgreSQL connections use generic plans (`target`): each prepared
/// statement is planned once per connection instead of at every execution,
/// which was the largest cost of a list page on the database side. A generic
/// plan cannot see a bound LIMIT and assumes a tenth of the matching rows,
/// which turns a 21-row index range into a sort of every match; with the
/// LIMIT in the text, the plan is the one the page needs. A statement cached
/// per distinct LIMIT is cheap: lists take 1 to 101 rows.
fn inline_limit(sql: String, values: &mut Vec<sea_orm::Value>) -> String {
    let Some(at) = sql.rfind(" LIMIT ") else {
        return sql;
    };
    let head = at + " LIMIT ".len();
    let Some(param) = sql[head..].strip_prefix('$') else {
        return sql;
    };
    let digits = param.bytes().take_while(u8::is_ascii_digit).count();
    let is_last = param[..digits].parse::<usize>().ok() == Some(values.len());
    match values.last() {
        Some(sea_orm::Value::BigUnsigned(Some(n))) if is_last => {
            let text = format!("{}{n}{}", &sql[..head], &param[digits..]);
            values.pop();
            text
        }
        _ => sql,
    }
}

fn query_failed(e: sqlx::Error) -> DbErr {
    DbErr::Query(RuntimeErr::SqlxError(Arc::new(e)))
}

fn exec_failed(e: sqlx::Error) -> DbErr {
    DbErr::Exec(RuntimeErr::SqlxError(Arc::new(e)))
}

/// The statement runners shared by a checked-out connection and a
/// transaction; the arms differ only in the connection's type.
async fn execute(conn: &Conn, stmt: Statement) -> Result<ExecResult, DbErr> {
    let (sql, values) = bind(stmt);
    on_conn!(conn, exec_failed, c => match c {
        Raw::Postgres(c) => query_with(sql, values).execute(c).await.map(Into::into),
        Raw::Sqlite(c) => query_with(sql, values).execute(c).await.map(Into::into),
    })
}

/// A statement of ours without parameters (BEGIN, COMMIT, ROLLBACK).
pub(super) async fn run(conn: &Conn, sql: &'static str) -> Result<(), DbErr> {
    on_conn!(conn, exec_failed, c => match c {
        Raw::Postgres(c) => sqlx::query(sql).execute(c).await.map(drop),
        Raw::Sqlite(c) => sqlx::query(sql).execute(c).await.map(drop),
    })
}

async fn execute_unprepared(conn: &Conn, sql: &str) -> Result<ExecResult, DbErr> {
    use sqlx::Executor;
    let sql = AssertSqlSafe(sql.to_owned());
    on_conn!(conn, exec_failed, c => match c {
        Raw::Postgres(c) => c.execute(sql).await.map(Into::into),
        Raw::Sqlite(c) => c.execute(sql).await.map(Into::into),
    })
}

async fn query_one(conn: &Conn, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
    let (sql, values) = bind(stmt);
    on_conn!(conn, query_failed, c => match c {
        Raw::Postgres(c) => query_with(sql, values).fetch_optional(c).await.map(|r| r.map(Into::into)),
        Raw::Sqlite(c) => query_with(sql, values).fetch_optional(c).await.map(|r| r.map(Into::into)),
    })
}

async fn query_all(conn: &Conn, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
    let (sql, values) = bind(stmt);
    on_conn!(conn, query_failed, c => match c {
        Raw::Postgres(c) => query_with(sql, values)
            .fetch_all(c)
            .await
            .map(|rows| rows.into_iter().map(Into::into).collect()),
        Raw::Sqlite(c) => query_with(sql, values)
            .fetch_all(c)
            .await
            .map(|rows| rows.into_iter().map(Into::into).collect()),
    })
}

#[async_trait::async_trait]
impl ConnectionTrait for Conn {
    fn get_database_backend(&self) -> DbBackend {
        self.backend()
    }
    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        execute(self, stmt).await
    }
    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        execute_unprepared(self, sql).await
    }
    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        query_one(self, stmt).await
    }
    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        query_all(self, stmt).await
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Tx {
    fn get_database_backend(&self) -> DbBackend {
        self.backend
    }
    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        execute(self.conn().await?, stmt).await
    }
    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        execute_unprepared(self.conn().await?, sql).await
    }
    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        query_one(self.conn().await?, stmt).await
    }
    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        query_all(self.conn().await?, stmt).await
    }
}

/// Each statement on a connection of its own, as sea-orm's pool does.
#[async_trait::async_trait]
impl ConnectionTrait for Db {
    fn get_database_backend(&self) -> DbBackend {
        self.pool.backend()
    }
    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        execute(&self.pool.acquire().await?, stmt).await
    }
    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        execute_unprepared(&self.pool.acquire().await?, sql).await
    }
    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        query_one(&self.pool.acquire().await?, stmt).await
    }
    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        query_all(&self.pool.acquire().await?, stmt).await
    }
}

#[cfg(test)]
mod tests {
    use super::inline_limit;
    use sea_orm::Value;

    #[test]
    fn a_bound_limit_becomes_a_literal_and_leaves_the_other_parameters() {
        let mut values = vec![Value::from("active"), Value::BigUnsigned(Some(21))];
        let sql = inline_limit(
            "SELECT a FROM t WHERE s = $1 LIMIT $2 FOR UPDATE".into(),
            &mut values,
        );
        assert_eq!(sql, "SELECT a FROM t WHERE s = $1 LIMIT 21 FOR UPDATE");
        assert_eq!(values, vec![Value::from("active")]);
    }

    #[test]
    fn anything_else_is_left_as_it_is() {
        let count = |n| Value::BigUnsigned(Some(n));
        for (sql, mut values) in [
            ("SELECT a FROM t LIMIT 5", vec![]),
            // Not the last parameter, or not an unsigned count.
            (
                "SELECT a FROM t LIMIT $1 OFFSET $2",
                vec![count(1), count(2)],
            ),
            (
                "SELECT a FROM t WHERE b = $1 LIMIT $2",
                vec![Value::from(1), Value::from("x")],
            ),
            (
                "SELECT a FROM t WHERE b = ? LIMIT ?",
                vec![Value::from(1), count(1)],
            ),
            ("SELECT a FROM t LIMIT ", vec![count(1)]),
        ] {
            let before = values.clone();
            assert_eq!(inline_limit(sql.into(), &mut values), sql);
            assert_eq!(values, before);
        }
    }
}
