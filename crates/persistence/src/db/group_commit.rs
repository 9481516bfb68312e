//! SQLite's writer, with group commit.
//!
//! SQLite has one writer at a time. Left to SQLite, writers that find the
//! lock taken poll for it with growing sleeps (its busy handler): under 32
//! concurrent writers that gave 600 writes/s with a 1.3 s p99. Writers of
//! this process therefore queue for a turn, in order, without sleeping; the
//! busy timeout only covers other processes (the CLI).
//!
//! A commit writes every page its transaction changed to the write-ahead log:
//! a project create touched about twenty (the table, each of its indexes, the
//! audit event and its indexes), one `pwrite` each, and those writes were the
//! cost of a write. So writers that queue behind each other share one
//! transaction (a *batch*): each runs inside a savepoint of its own, in turn,
//! and the last one commits for all; pages they share (the newest leaf of
//! each index) are written once. It is what a serial execution of them would
//! do, committed at once:
//!
//! - a writer's own failure rolls back its savepoint only;
//! - no writer is answered before the commit that holds its work succeeded
//!   (`Member::commit` waits for it), so no acknowledged write is lost; if that
//!   commit fails, every member of the batch fails (503, nothing kept);
//! - the commit runs in a task of its own, so a request cut off at that moment
//!   cannot leave the others waiting;
//! - a writer cut off mid-statement leaves its connection in an unknown state:
//!   the batch is abandoned (its connection closed, which rolls it back) and
//!   its members fail;
//! - a batch takes at most `MAX_MEMBERS` writers and stays open at most
//!   `MAX_OPEN`, which bounds what a writer waits for the others; a writer
//!   that rolls back commits the batch at once (`commit_on_rollback`).
//!
//! Members see each other's uncommitted work, as consecutive writers would; a
//! read-only answer built on it (an Idempotency-Key replay) also waits for the
//! commit (`write::create`).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sea_orm::{ConnAcquireErr, DbErr, RuntimeErr};
use tokio::sync::{Mutex, OwnedMutexGuard, watch};

use super::exec::run;
use super::pool::{Conn, Pool};

/// Writers one batch takes at most.
const MAX_MEMBERS: usize = 32;
/// How long a batch stays open for more writers.
const MAX_OPEN: Duration = Duration::from_millis(10);
/// How long a writer waits for its turn, as long as SQLite's busy timeout,
/// before failing (503) rather than queueing without end.
const TURN_WAIT: Duration = Duration::from_secs(10);

/// What a batch's commit came to, as its members learn it.
type Outcome = Result<(), Arc<str>>;

#[derive(Debug, Default)]
pub(crate) struct GroupCommit {
    turn: Arc<Mutex<Slot>>,
    /// Writers waiting for the turn to start their work (not members waiting
    /// for their batch's commit): while there are some, a batch stays open.
    queued: AtomicUsize,
}

#[derive(Debug, Default)]
struct Slot {
    batch: Option<Batch>,
}

#[derive(Debug)]
struct Batch {
    conn: Conn,
    members: usize,
    opened: Instant,
    done: watch::Sender<Option<Outcome>>,
}

/// One writer's part of a batch: a savepoint, and the turn while it runs.
pub(crate) struct Member {
    writer: Arc<GroupCommit>,
    turn: Option<OwnedMutexGuard<Slot>>,
    done: watch::Receiver<Option<Outcome>>,
    /// The savepoint is open: dropped now, the member's work is undone.
    open: bool,
}

/// Counts a writer in `GroupCommit::queued` until it has the turn, or gives up.
struct Queued<'a>(&'a AtomicUsize);

impl<'a> Queued<'a> {
    fn new(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Queued(count)
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn lost(why: &str) -> DbErr {
    DbErr::Conn(RuntimeErr::Internal(format!(
        "the write was not kept: {why}; retry it"
    )))
}

impl GroupCommit {
    /// Writers waiting for their turn now (a metric).
    pub(crate) fn queue_len(&self) -> usize {
        self.queued.load(Ordering::SeqCst)
    }

    /// Joins the open batch, or opens one (BEGIN IMMEDIATE), and starts this
    /// writer's savepoint.
    pub(crate) async fn begin(self: &Arc<Self>, pool: &Arc<Pool>) -> Result<Member, DbErr> {
        let queued = Queued::new(&self.queued);
        let mut turn = tokio::time::timeout(TURN_WAIT, Arc::clone(&self.turn).lock_owned())
            .await
            .map_err(|_| DbErr::ConnectionAcquire(ConnAcquireErr::Timeout))?;
        drop(queued);
        if turn.batch.is_none() {
            let conn = pool.acquire().await?;
            run(&conn, "BEGIN IMMEDIATE").await?;
            turn.batch = Some(Batch {
                conn,
                members: 0,
                opened: Instant::now(),
                done: watch::Sender::new(None),
            });
        }
        let Some(batch) = turn.batch.as_mut() else {
            return Err(lost("the batch vanished"));
        };
        if let Err(e) = run(&batch.conn, "SAVEPOINT member").await {
            abandon(&mut turn);
            return Err(e);
        }
        batch.members += 1;
        let done = batch.done.subscribe();
        Ok(Member {
            writer: Arc::clone(self),
            turn: Some(turn),
            done,
            open: true,
        })
    }
}

/// Ends the batch without committing it: its connection is closed (SQLite
/// then rolls the transaction back) and its members learn it was lost.
fn abandon(slot: &mut Slot) {
    if let Some(mut batch) = slot.batch.take() {
        batch.conn.discard();
        // Dropping `done` without an outcome tells the members.
    }
}

/// Commits the batch in a task of its own, and hands the turn on once the
/// members know the outcome.
fn commit(mut turn: OwnedMutexGuard<Slot>) -> tokio::task::JoinHandle<Result<(), DbErr>> {
    tokio::spawn(async move {
        let Some(mut batch) = turn.batch.take() else {
            return Ok(());
        };
        metrics::histogram!("rihla_sqlite_writer_batch_size").record(batch.members as f64);
        let result = run(&batch.conn, "COMMIT").await;
        if result.is_err() {
            // SQLite may leave the transaction open after a failed COMMIT.
            batch.conn.discard();
        }
        let outcome = result
            .as_ref()
            .map(|_| ())
            .map_err(|e| Arc::from(e.to_string()));
        batch.done.send_replace(Some(outcome));
        drop(batch);
        drop(turn);
        result
    })
}

/// After a writer rolled its work back: commits the batch (for the members
/// before it), without waiting for the outcome. A failed writer usually
/// lost a race on data the batch holds uncommitted (412, 409); committing
/// now lets its retry, which reads committed data, see what it lost to
/// rather than the same stale version again.
fn commit_on_rollback(turn: OwnedMutexGuard<Slot>) {
    drop(commit(turn));
}

impl Member {
    pub(crate) fn conn(&self) -> Result<&Conn, DbErr> {
        self.turn
            .as_ref()
            .and_then(|t| t.batch.as_ref())
            .map(|b| &b.conn)
            .ok_or_else(|| lost("the transaction has ended"))
    }

    /// Keeps this writer's work in the batch and returns once the batch's
    /// commit succeeded (or failed, with every member).
    pub(crate) async fn commit(mut self) -> Result<(), DbErr> {
        // Released, not left for the batch's COMMIT: every write under open
        // savepoints is journaled for each of them.
        if let Err(e) = run(self.conn()?, "RELEASE member").await {
            self.abandon();
            return Err(e);
        }
        self.open = false;
        let Some(mut turn) = self.turn.take() else {
            return Err(lost("the transaction has ended"));
        };
        let mut done = self.done.clone();
        loop {
            match turn.batch.as_ref() {
                // Our batch ended while we waited for the turn: its outcome
                // is known, or it was abandoned.
                None => return outcome(&mut done),
                Some(batch)
                    if self.writer.queued.load(Ordering::SeqCst) > 0
                        && batch.members < MAX_MEMBERS
                        && batch.opened.elapsed() < MAX_OPEN =>
                {
                    // Let the queued writers add their work, then learn the
                    // outcome from whoever commits; or, should they all be
                    // gone, get the turn back and commit.
                    drop(turn);
                    let again = tokio::select! {
                        biased;
                        () = async {
                            let _ = done.wait_for(Option::is_some).await;
                        } => None,
                        again = Arc::clone(&self.writer.turn).lock_owned() => Some(again),
                    };
                    match again {
                        Some(again) if done.borrow().is_none() && done.has_changed().is_ok() => {
                            turn = again;
                        }
                        _ => return outcome(&mut done),
                    }
                }
                Some(_) => {
                    return commit(turn)
                        .await
                        .unwrap_or_else(|_| Err(lost("the commit task stopped")));
                }
            }
        }
    }

    /// Undoes this writer's work; the batch goes on without it.
    pub(crate) async fn rollback(mut self) -> Result<(), DbErr> {
        let conn = self.conn()?;
        // To this writer's savepoint, the newest of that name.
        if let Err(e) = run(conn, "ROLLBACK TO member").await {
            self.abandon();
            return Err(e);
        }
        self.open = false;
        if let Some(turn) = self.turn.take() {
            commit_on_rollback(turn);
        }
        Ok(())
    }

    fn abandon(&mut self) {
        self.open = false;
        if let Some(mut turn) = self.turn.take() {
            abandon(&mut turn);
        }
    }
}

/// The batch's outcome, once known; an abandoned batch is a failure.
fn outcome(done: &mut watch::Receiver<Option<Outcome>>) -> Result<(), DbErr> {
    match &*done.borrow_and_update() {
        Some(Ok(())) => Ok(()),
        Some(Err(why)) => Err(lost(&format!("the commit failed ({why})"))),
        None => Err(lost("the transaction it was part of was abandoned")),
    }
}

impl Drop for Member {
    /// Dropped with its savepoint open (an early error return, a request cut
    /// off): its work is undone in a task of its own, which then hands the
    /// turn on.
    fn drop(&mut self) {
        if !self.open {
            return;
        }
        let Some(mut turn) = self.turn.take() else {
            return;
        };
        let busy = turn.batch.as_mut().is_none_or(|b| b.conn.is_busy());
        let runtime = tokio::runtime::Handle::try_current();
        match runtime {
            Ok(rt) if !busy => {
                rt.spawn(async move {
                    let undone = match turn.batch.as_ref() {
                        Some(b) => run(&b.conn, "ROLLBACK TO member").await,
                        None => Ok(()),
                    };
                    if undone.is_err() {
                        abandon(&mut turn);
                    }
                    commit_on_rollback(turn);
                });
            }
            // Cut off mid-statement, or no runtime to undo it on.
            _ => abandon(&mut turn),
        }
    }
}
