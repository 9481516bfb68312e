//! Write transactions: a `Tx` of its own on PostgreSQL, a member of the
//! writer's batch on SQLite (`group_commit`), and `WriteConn`, what a write runs on.

use sea_orm::{ConnectionTrait, DbBackend, DbErr, ExecResult, QueryResult, Statement};

use crate::RepoError;

use super::exec::{execute, execute_unprepared, query_all, query_one, run};
use super::pool::Conn;
use super::{Db, group_commit};

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
/// On SQLite, this writer's part of the writer's current batch (`group_commit`):
/// it holds SQLite's one writer turn until it commits, rolls back or is
/// dropped, and its commit returns once the batch's commit is done.
pub struct Tx {
    backend: DbBackend,
    kind: TxKind,
}

pub(super) enum TxKind {
    Own { conn: Option<Conn>, state: OwnState },
    Member(group_commit::Member),
}

/// Where a transaction of its own is; atomic only because statements take
/// `&self` (they run one at a time).
pub(super) struct OwnState(std::sync::atomic::AtomicU8);

pub(super) const NOT_BEGUN: u8 = 0;
pub(super) const OPEN: u8 = 1;
/// Ran its one statement alone (`execute_last`), or committed or rolled back.
pub(super) const ENDED: u8 = 2;

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

pub(super) fn ended() -> DbErr {
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
        // A member undoes itself (`group_commit::Member`'s Drop).
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
/// statement. Sealed like `Connection`: its one method takes sea-orm's
/// statement, which stays inside this crate.
pub trait WriteConn: super::Connection + sealed::WriteLast {}
impl<T: super::Connection + sealed::WriteLast> WriteConn for T {}

pub(crate) mod sealed {
    use sea_orm::{ConnectionTrait, DbErr, ExecResult, Statement};

    #[async_trait::async_trait]
    pub trait WriteLast: ConnectionTrait {
        /// Runs the write's last statement. On a PostgreSQL transaction that
        /// has run nothing yet, it runs alone, without BEGIN and COMMIT, and the
        /// transaction then takes no further statement (any would fail) and has
        /// nothing left to commit. Anywhere else, a plain `execute`.
        async fn execute_last(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
            self.execute_raw(stmt).await
        }
    }
}

#[async_trait::async_trait]
impl sealed::WriteLast for Tx {
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

impl sealed::WriteLast for Conn {}
impl sealed::WriteLast for Db {}

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
