//! The connection pool every request and command runs on.
//!
//! Why not sqlx's pool (which sea-orm wraps): it pings every connection as it
//! goes back to the pool, so each checkout costs a round trip to the database
//! on top of the statements it ran. On PostgreSQL a primary-key GET was then
//! two round trips instead of one, and on SQLite each ping is a hand-off to the
//! connection's worker thread and back. That ping exists to catch connections
//! left in an unknown state; this pool knows their state instead:
//!
//! - a connection whose statement was cut off mid-flight (the request's future
//!   was dropped, e.g. by the request timeout) is discarded, never reused;
//! - one whose statement failed at the connection level (I/O, protocol,
//!   PostgreSQL's 57P/08 classes) is discarded;
//! - one handed back inside a transaction is rolled back first (`Tx`);
//! - one idle for `IDLE_CHECK_AFTER` or more is pinged before use, so a
//!   database restart or a proxy's idle timeout is noticed before a request
//!   runs on a dead socket.
//!
//! Waiters queue in order (a fair semaphore) and give up after the acquire
//! timeout; the most recently used connection is handed out first, so a light
//! load keeps using a few warm connections.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::sqlx::postgres::PgConnectOptions;
use sea_orm::sqlx::sqlite::SqliteConnectOptions;
use sea_orm::sqlx::{self, ConnectOptions, Connection, PgConnection, SqliteConnection};
use sea_orm::{ConnAcquireErr, DbBackend, DbErr, RuntimeErr};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A connection idle this long is pinged before it is handed out.
const IDLE_CHECK_AFTER: Duration = Duration::from_secs(5);
/// Opening one connection may take this long (within the acquire timeout).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How to open a connection.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    Postgres(PgConnectOptions),
    Sqlite(SqliteConnectOptions),
}

/// One open connection of either backend.
#[derive(Debug)]
pub(crate) enum Raw {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

impl Raw {
    async fn ping(&mut self) -> Result<(), sqlx::Error> {
        match self {
            Raw::Postgres(c) => c.ping().await,
            Raw::Sqlite(c) => c.ping().await,
        }
    }

    async fn close(self) {
        let _ = match self {
            Raw::Postgres(c) => c.close().await,
            Raw::Sqlite(c) => c.close().await,
        };
    }
}

#[derive(Debug)]
pub(crate) struct Pool {
    target: Target,
    idle: Mutex<Vec<(Raw, Instant)>>,
    permits: Arc<Semaphore>,
    size: usize,
    /// Requests waiting for a connection now (a metric).
    waiting: std::sync::atomic::AtomicUsize,
    acquire_timeout: Duration,
    /// SQLite's one writer (`group_commit`); none on PostgreSQL.
    pub(crate) writer: Option<Arc<super::group_commit::GroupCommit>>,
}

impl Pool {
    pub(crate) fn new(target: Target, max_connections: u32, acquire_timeout: Duration) -> Self {
        let writer = matches!(target, Target::Sqlite(_)).then(Default::default);
        Pool {
            target,
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(max_connections.max(1) as usize)),
            size: max_connections.max(1) as usize,
            waiting: Default::default(),
            acquire_timeout,
            writer,
        }
    }

    pub(crate) fn backend(&self) -> DbBackend {
        match self.target {
            Target::Postgres(_) => DbBackend::Postgres,
            Target::Sqlite(_) => DbBackend::Sqlite,
        }
    }

    /// What the metrics show of the pool: its size, connections checked out,
    /// requests waiting for one.
    pub(crate) fn stats(&self) -> (usize, usize, usize) {
        let in_use = self.size.saturating_sub(self.permits.available_permits());
        let waiting = self.waiting.load(std::sync::atomic::Ordering::Relaxed);
        (self.size, in_use, waiting)
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<(Raw, Instant)>> {
        // The lock is never held across an await or a panic point that could
        // leave the list half changed, so a poisoned lock is still sound.
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn open(&self) -> Result<Raw, sqlx::Error> {
        Ok(match &self.target {
            Target::Postgres(o) => Raw::Postgres(o.connect().await?),
            Target::Sqlite(o) => Raw::Sqlite(o.connect().await?),
        })
    }

    /// A connection for the caller alone until the `Conn` is dropped; waits
    /// at most the acquire timeout (then `ConnectionAcquire(Timeout)`, a 503).
    pub(crate) async fn acquire(self: &Arc<Self>) -> Result<Conn, DbErr> {
        let deadline = tokio::time::Instant::now() + self.acquire_timeout;
        let timed_out = || DbErr::ConnectionAcquire(ConnAcquireErr::Timeout);
        use std::sync::atomic::Ordering::Relaxed;
        self.waiting.fetch_add(1, Relaxed);
        let permit =
            tokio::time::timeout_at(deadline, Arc::clone(&self.permits).acquire_owned()).await;
        self.waiting.fetch_sub(1, Relaxed);
        let permit = permit
            .map_err(|_| timed_out())?
            .map_err(|_| DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed))?;
        loop {
            let next = self.idle().pop();
            let raw = match next {
                Some((mut raw, since)) if since.elapsed() >= IDLE_CHECK_AFTER => {
                    match tokio::time::timeout_at(deadline, raw.ping()).await {
                        Ok(Ok(())) => raw,
                        // Dead (or too slow to answer): drop it, try the next.
                        Ok(Err(_)) => continue,
                        Err(_) => return Err(timed_out()),
                    }
                }
                Some((raw, _)) => raw,
                None => {
                    let limit = deadline.min(tokio::time::Instant::now() + CONNECT_TIMEOUT);
                    match tokio::time::timeout_at(limit, self.open()).await {
                        Ok(Ok(raw)) => raw,
                        Ok(Err(e)) => return Err(DbErr::Conn(RuntimeErr::SqlxError(Arc::new(e)))),
                        Err(_) => return Err(timed_out()),
                    }
                }
            };
            return Ok(Conn {
                pool: Arc::clone(self),
                slot: tokio::sync::Mutex::new(Slot {
                    raw: Some(raw),
                    busy: false,
                }),
                _permit: permit,
            });
        }
    }

    /// Closes the idle connections; ones in use close when they come back
    /// after the pool is gone.
    pub(crate) async fn close(&self) {
        self.permits.close();
        let idle: Vec<_> = self.idle().drain(..).collect();
        for (raw, _) in idle {
            raw.close().await;
        }
    }
}

/// What a `Conn` holds: the connection (gone once found broken) and whether a
/// statement is running on it right now.
#[derive(Debug)]
pub(crate) struct Slot {
    pub(crate) raw: Option<Raw>,
    /// Set while a statement runs. Still set when the `Conn` is dropped means
    /// the statement was cut off and the connection's state is unknown.
    pub(crate) busy: bool,
}

/// A pooled connection, returned to the pool when dropped.
#[derive(Debug)]
pub struct Conn {
    pool: Arc<Pool>,
    // `ConnectionTrait` takes `&self`; a request runs its statements one after
    // another, so this lock is never contended.
    pub(crate) slot: tokio::sync::Mutex<Slot>,
    // Dropped after `drop` below has put the connection back, so a waiter
    // woken by the permit finds it.
    _permit: OwnedSemaphorePermit,
}

impl Conn {
    pub(crate) fn backend(&self) -> DbBackend {
        self.pool.backend()
    }

    /// Closes the connection instead of pooling it (its state is unknown).
    pub(crate) fn discard(&mut self) {
        self.slot.get_mut().raw = None;
    }

    /// A statement was running on it when its future was dropped.
    pub(crate) fn is_busy(&mut self) -> bool {
        self.slot.get_mut().busy
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        let slot = self.slot.get_mut();
        let Some(raw) = slot.raw.take() else {
            return;
        };
        if slot.busy || self.pool.permits.is_closed() {
            // Cut off mid-statement, or the pool is closing: dropping the
            // connection closes its socket (or its SQLite handle).
            return;
        }
        self.pool.idle().push((raw, Instant::now()));
    }
}

/// Whether an error means the connection itself is no longer usable (rather
/// than the statement being wrong): it is then discarded, not pooled.
pub(crate) fn is_fatal(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("57P") || code.starts_with("08")),
        _ => false,
    }
}
